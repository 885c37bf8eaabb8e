package iamtrust

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// MarshalJSON returns the document as compact JSON, ready to send to IAM. It
// keeps the shape the document was parsed with (bare string or list, single
// statement or list) but not its white space or key order: elements come in
// the conventional order Version, Id, Statement and Sid, Effect, Principal,
// NotPrincipal, Action, NotAction, Resource, NotResource, Condition. Principal
// types, condition operators and condition keys keep their order. It never
// returns an error.
func (d *Document) MarshalJSON() ([]byte, error) {
	return d.appendJSON(nil), nil
}

// JSON returns the document as JSON indented by two spaces, with a final
// newline, for people to read. IAM accepts it as well as the compact form of
// MarshalJSON.
func (d *Document) JSON() []byte {
	var b bytes.Buffer
	// Indenting valid JSON cannot fail.
	_ = json.Indent(&b, d.appendJSON(nil), "", "  ")
	b.WriteByte('\n')
	return b.Bytes()
}

// UnmarshalJSON parses data with Parse, so a Document can be a field of a
// struct decoded with encoding/json (or sigs.k8s.io/yaml). JSON null leaves
// d unchanged.
func (d *Document) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	nd, err := Parse(data)
	if err != nil {
		return err
	}
	d.Version, d.ID, d.Statement, d.SingleStatement = nd.Version, nd.ID, nd.Statement, nd.SingleStatement
	d.source = nd.source
	d.canon.Store(nil)
	return nil
}

// String returns the compact JSON form of the document.
func (d *Document) String() string { return string(d.appendJSON(nil)) }

func (d *Document) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
	}
	if d.Version != "" {
		field("Version")
		b = appendString(b, d.Version)
	}
	if d.ID != "" {
		field("Id")
		b = appendString(b, d.ID)
	}
	field("Statement")
	if d.SingleStatement && len(d.Statement) == 1 {
		b = d.Statement[0].appendJSON(b, true)
	} else {
		b = append(b, '[')
		for i := range d.Statement {
			if i > 0 {
				b = append(b, ',')
			}
			b = d.Statement[i].appendJSON(b, true)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSON writes the statement; without sid, the Sid is left out (for
// canonical forms).
func (s *Statement) appendJSON(b []byte, sid bool) []byte {
	b = append(b, '{')
	n := 0
	field := func(name string) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, name)
		b = append(b, ':')
	}
	if sid && s.Sid != "" {
		field("Sid")
		b = appendString(b, s.Sid)
	}
	if s.Effect != "" {
		field("Effect")
		b = appendString(b, string(s.Effect))
	}
	if s.Principal != nil {
		field("Principal")
		b = s.Principal.appendJSON(b)
	}
	if s.NotPrincipal != nil {
		field("NotPrincipal")
		b = s.NotPrincipal.appendJSON(b)
	}
	for _, v := range [...]struct {
		name string
		v    *Values
	}{{"Action", &s.Action}, {"NotAction", &s.NotAction}, {"Resource", &s.Resource}, {"NotResource", &s.NotResource}} {
		if v.v.Items != nil {
			field(v.name)
			b = v.v.appendJSON(b)
		}
	}
	if s.Condition != nil {
		field("Condition")
		b = appendConditions(b, s.Condition)
	}
	return append(b, '}')
}

func appendConditions(b []byte, conds []Condition) []byte {
	b = append(b, '{')
	for i, c := range conds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, c.Operator)
		b = append(b, ':', '{')
		for j, k := range c.Keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k.Key)
			b = append(b, ':')
			b = k.Values.appendJSON(b)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (p *Principals) appendJSON(b []byte) []byte {
	if p.Any {
		return append(b, `"*"`...)
	}
	b = append(b, '{')
	for i, e := range p.Entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.Type)
		b = append(b, ':')
		b = e.Values.appendJSON(b)
	}
	return append(b, '}')
}

func (v Values) appendJSON(b []byte) []byte {
	if v.Single && len(v.Items) == 1 {
		return v.appendItem(b, v.Items[0])
	}
	b = append(b, '[')
	for i, s := range v.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = v.appendItem(b, s)
	}
	return append(b, ']')
}

func (v Values) appendItem(b []byte, s string) []byte {
	if v.Bare && isJSONLiteral(s) {
		return append(b, s...)
	}
	return appendString(b, s)
}

// isJSONLiteral reports whether s is a JSON boolean or number.
func isJSONLiteral(s string) bool {
	if s == "true" || s == "false" {
		return true
	}
	p := parser{s: s}
	if _, err := p.literal(); err != nil {
		return false
	}
	return p.pos == len(s) && s != "null"
}

const hexDigits = "0123456789abcdef"

// plainByte marks the bytes a JSON string holds as they are: printable ASCII
// other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString writes s as a JSON string. It escapes only what JSON requires
// (and U+2028, U+2029 for safe embedding); invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for i < len(s) && plainByte[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, s...)
		return append(b, '"')
	}
	b = append(b, s[:i]...)
	s = s[i:]
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += w
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += w
			start = i
			continue
		}
		i += w
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
