package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// AttributeDiff is one changed attribute of a change: its path in the
// resource's JSON form and its value before and after, as JSON. Paths join
// object keys with "." (keys that are not plain identifiers are quoted:
// tags["fargatekit.io/cluster"]), index lists (subnets[1]) or, for lists of
// objects that share an identifying key, name the element
// (mapRoles[rolearn=arn:aws:iam::111122223333:role/a]). IAM policy
// documents (objects with a Statement) are compared semantically with
// iamtrust.Diff, so their paths are iamtrust's
// (trustPolicy.Statement[0].Condition.StringEquals["…:sub"]).
type AttributeDiff struct {
	// Path locates the attribute.
	Path string `json:"path"`
	// Op is "+" (added), "-" (removed) or "~" (changed).
	Op string `json:"op"`
	// Before is the value before, as JSON; absent when Op is "+".
	Before json.RawMessage `json:"before,omitempty"`
	// After is the value after, as JSON; absent when Op is "-".
	After json.RawMessage `json:"after,omitempty"`
}

// Line renders d for people, on one line: "~ logging: [api, audit] → []".
// Values are compact (strings unquoted when unambiguous, lists as
// [a, b]) and each is folded to about width characters.
func (d AttributeDiff) Line(width int) string {
	switch d.Op {
	case "+":
		return "+ " + d.Path + ": " + compact(d.After, width)
	case "-":
		return "- " + d.Path + ": " + compact(d.Before, width)
	}
	return "~ " + d.Path + ": " + compact(d.Before, width) + " → " + compact(d.After, width)
}

// Lines renders d as Line does when that fits in about twice width, else
// folded over three lines: the path, then the value before and after.
func (d AttributeDiff) Lines(width int) []string {
	if l := d.Line(width); d.Op != "~" || utf8.RuneCountInString(l) <= 2*width {
		return []string{l}
	}
	return []string{"~ " + d.Path + ":", "    - " + compact(d.Before, width), "    + " + compact(d.After, width)}
}

// DiffValues compares two values by their JSON forms and returns the
// attributes that differ, sorted by path. Either may be nil (a resource that
// does not exist). Values that do not marshal to JSON compare as their
// error text, so that a bad value shows instead of panicking.
func DiffValues(before, after any) []AttributeDiff {
	a, b := toTree(before), toTree(after)
	var out []AttributeDiff
	walk("", a, b, &out)
	return out
}

// toTree marshals v and decodes it into maps, lists and json.Number.
func toTree(v any) any {
	if v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "(value not JSON: " + err.Error() + ")"
	}
	return decodeTree(raw)
}

func decodeTree(raw []byte) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var t any
	if err := dec.Decode(&t); err != nil {
		return string(raw)
	}
	return t
}

// missing marks an absent value (as opposed to JSON null).
type missing struct{}

func rawJSON(v any) json.RawMessage {
	if _, ok := v.(missing); ok {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(strconv.Quote(fmt.Sprint(v)))
	}
	return b
}

func emit(out *[]AttributeDiff, path string, a, b any) {
	if path == "" {
		path = "(value)"
	}
	d := AttributeDiff{Path: path, Op: "~", Before: rawJSON(a), After: rawJSON(b)}
	if _, ok := a.(missing); ok || a == nil {
		d.Op, d.Before = "+", nil
	}
	if _, ok := b.(missing); ok || b == nil {
		if d.Op == "+" {
			return
		}
		d.Op, d.After = "-", nil
	}
	*out = append(*out, d)
}

// walk appends the differences of a and b at path.
func walk(path string, a, b any, out *[]AttributeDiff) {
	if isPolicyDocument(a) || isPolicyDocument(b) {
		if policyDiff(path, a, b, out) {
			return
		}
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				av = missing{}
			case !bin:
				bv = missing{}
			}
			walk(joinKey(path, k), av, bv, out)
		}
		return
	}
	// A map on one side only: list its attributes one by one.
	if aok && isAbsent(b) {
		walk(path, a, map[string]any{}, out)
		return
	}
	if bok && isAbsent(a) {
		walk(path, map[string]any{}, b, out)
		return
	}
	al, alok := a.([]any)
	bl, blok := b.([]any)
	if alok && blok {
		if scalars(al) && scalars(bl) {
			if !jsonEqual(a, b) {
				emit(out, path, a, b)
			}
			return
		}
		if key := identifyingKey(al, bl); key != "" {
			walkKeyed(path, key, al, bl, out)
			return
		}
		for i := 0; i < max(len(al), len(bl)); i++ {
			var av, bv any = missing{}, missing{}
			if i < len(al) {
				av = al[i]
			}
			if i < len(bl) {
				bv = bl[i]
			}
			walk(fmt.Sprintf("%s[%d]", path, i), av, bv, out)
		}
		return
	}
	if !jsonEqual(a, b) {
		emit(out, path, a, b)
	}
}

func isAbsent(v any) bool {
	_, m := v.(missing)
	return m || v == nil
}

// walkKeyed pairs the objects of two lists by key.
func walkKeyed(path, key string, al, bl []any, out *[]AttributeDiff) {
	index := func(l []any) (map[string]any, []string) {
		m := map[string]any{}
		var order []string
		for _, e := range l {
			id := e.(map[string]any)[key].(string)
			m[id] = e
			order = append(order, id)
		}
		return m, order
	}
	am, aorder := index(al)
	bm, border := index(bl)
	seen := map[string]bool{}
	for _, id := range append(aorder, border...) {
		if seen[id] {
			continue
		}
		seen[id] = true
		av, ain := am[id]
		bv, bin := bm[id]
		if !ain {
			av = missing{}
		}
		if !bin {
			bv = missing{}
		}
		p := fmt.Sprintf("%s[%s=%s]", path, key, id)
		if !ain || !bin {
			emit(out, p, av, bv)
			continue
		}
		walk(p, av, bv, out)
	}
}

// identifyingKeys are the keys that name an element of a list of objects,
// in order of preference.
var identifyingKeys = []string{"id", "name", "arn", "rolearn", "userarn", "principalArn", "Sid", "namespace"}

// identifyingKey is a key that every object of both lists has as a string,
// unique within each list; "" when there is none.
func identifyingKey(lists ...[]any) string {
next:
	for _, k := range identifyingKeys {
		for _, l := range lists {
			seen := map[string]bool{}
			for _, e := range l {
				m, ok := e.(map[string]any)
				if !ok {
					return ""
				}
				s, ok := m[k].(string)
				if !ok || s == "" || seen[s] {
					continue next
				}
				seen[s] = true
			}
		}
		return k
	}
	return ""
}

func scalars(l []any) bool {
	for _, e := range l {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool {
	return bytes.Equal(rawJSON(a), rawJSON(b))
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// joinKey appends an object key to a path.
func joinKey(path, k string) string {
	if !plainKey(k) {
		return path + "[" + strconv.Quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// isPolicyDocument says whether v looks like an IAM policy document: an
// object with a Statement.
func isPolicyDocument(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["Statement"]
	return ok
}

// policyDiff appends iamtrust's semantic differences of two policy
// documents (either may be absent). It reports false when a side does not
// parse as a policy, so that the caller compares the values as JSON.
func policyDiff(path string, a, b any, out *[]AttributeDiff) bool {
	doc := func(v any) (*iamtrust.Document, bool) {
		if isAbsent(v) {
			return nil, true
		}
		if !isPolicyDocument(v) {
			return nil, false
		}
		d, err := iamtrust.Parse(rawJSON(v))
		return d, err == nil
	}
	da, ok := doc(a)
	if !ok {
		return false
	}
	db, ok := doc(b)
	if !ok {
		return false
	}
	for _, d := range iamtrust.Diff(da, db) {
		p := d.Path
		if path != "" {
			p = path + "." + p
		}
		ad := AttributeDiff{Path: p, Op: "~"}
		if d.Before != "" {
			ad.Before = json.RawMessage(d.Before)
		}
		if d.After != "" {
			ad.After = json.RawMessage(d.After)
		}
		switch {
		case d.Before == "":
			ad.Op = "+"
		case d.After == "":
			ad.Op = "-"
		}
		*out = append(*out, ad)
	}
	return true
}

// compact renders a JSON value for people: strings without quotes when
// that is unambiguous, lists as [a, b], objects as {k: v}; folded to about
// width characters ("…" and the full length) when longer.
func compact(raw json.RawMessage, width int) string {
	if len(raw) == 0 {
		return "(none)"
	}
	var b strings.Builder
	writeCompact(&b, decodeTree(raw))
	s := b.String()
	if width > 0 && utf8.RuneCountInString(s) > width {
		r := []rune(s)
		head := width * 2 / 3
		tail := width - head - 1
		s = string(r[:head]) + "…" + string(r[len(r)-tail:]) + fmt.Sprintf(" (%d characters)", len(r))
	}
	return s
}

func writeCompact(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if bareString(t) {
			b.WriteString(t)
		} else {
			b.WriteString(strconv.Quote(t))
		}
	case json.Number:
		b.WriteString(t.String())
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeCompact(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := map[string]bool{}
		for k := range t {
			keys[k] = true
		}
		b.WriteByte('{')
		for i, k := range sortedKeys(keys) {
			if i > 0 {
				b.WriteString(", ")
			}
			if plainKey(k) {
				b.WriteString(k)
			} else {
				b.WriteString(strconv.Quote(k))
			}
			b.WriteString(": ")
			writeCompact(b, t[k])
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, t)
	}
}

// bareString says whether s reads unambiguously without quotes: not empty,
// not a number, boolean or null, and without spaces or the characters that
// delimit compact values.
func bareString(s string) bool {
	if s == "" || s == "true" || s == "false" || s == "null" || s == "(none)" {
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	for _, r := range s {
		if r <= ' ' || strings.ContainsRune(`"',[]{}→…`, r) || r == 0x7f {
			return false
		}
	}
	return true
}
