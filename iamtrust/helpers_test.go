package iamtrust

import "encoding/json"

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustParse(tb interface {
	Helper()
	Fatalf(string, ...any)
}, s string) *Document {
	tb.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", s, err)
	}
	return d
}
