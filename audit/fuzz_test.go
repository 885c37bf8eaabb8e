package audit

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodeReport: any input either decodes into a report that encodes
// and decodes again to the same JSON, or is an error; never a panic.
func FuzzDecodeReport(f *testing.F) {
	b, err := Evaluate(brokenSnapshot(), nil).JSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"fargatekit.io/audit-report/v1"}`))
	f.Add([]byte(`{"schema":"fargatekit.io/audit-report/v1","findings":[{"severity":"nope"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReport(bytes.NewReader(data))
		if err != nil {
			return
		}
		one, err := r.JSON()
		if err != nil {
			t.Fatalf("a decoded report does not encode: %v", err)
		}
		r2, err := DecodeReport(bytes.NewReader(one))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		two, _ := r2.JSON()
		if !bytes.Equal(one, two) {
			t.Fatalf("not stable:\n%s\n%s", one, two)
		}
		var text bytes.Buffer
		if err := WriteText(&text, r, TextOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := WriteSARIF(&text, r); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzAddonComputeType: configuration values of any shape never panic, and
// JSON objects with computeType Fargate are recognised.
func FuzzAddonComputeType(f *testing.F) {
	for _, s := range []string{"", `{"computeType":"Fargate"}`, "computeType: Fargate\nreplicaCount: 2", "[1,2]", "{", `{"computeType":3}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, values string) {
		got := computeType(values)
		if strings.TrimSpace(values) == `{"computeType":"Fargate"}` && got != "Fargate" {
			t.Fatalf("computeType(%q) = %q", values, got)
		}
	})
}
