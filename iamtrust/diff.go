package iamtrust

import (
	"slices"
	"strconv"
	"strings"
)

// Difference is one semantic difference between two documents.
type Difference struct {
	// Path locates the element, such as "Version",
	// "Statement[Sid=AllowEKS].Principal.Service" or
	// `Statement[0].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/X:sub"]`.
	// Statements are named by Sid when they have one, else by index (in
	// the first document, or in the second for an added statement).
	Path string `json:"path"`
	// Before is the element in the first document, as JSON; empty when the
	// second document adds it.
	Before string `json:"before,omitempty"`
	// After is the element in the second document, as JSON; empty when the
	// second document removes it.
	After string `json:"after,omitempty"`
}

// String returns the difference for people: "~ PATH: BEFORE → AFTER" for a
// change, "- PATH: BEFORE" for a removal and "+ PATH: AFTER" for an addition.
func (d Difference) String() string {
	switch {
	case d.Before == "":
		return "+ " + d.Path + ": " + d.After
	case d.After == "":
		return "- " + d.Path + ": " + d.Before
	}
	return "~ " + d.Path + ": " + d.Before + " → " + d.After
}

// Diff returns the semantic differences from a to b: empty exactly when
// Equal(a, b). It compares canonical forms (see Canonical), pairs changed
// statements by Sid or by likeness, and reports values added to or removed
// from an element separately ("- …", "+ …"), or as one change ("~ …") when
// one value replaces another. Values are shown as written in the documents.
// A nil document is treated as a document without statements.
func Diff(a, b *Document) []Difference {
	if a == nil {
		a = &Document{}
	}
	if b == nil {
		b = &Document{}
	}
	if Equal(a, b) {
		return nil
	}
	var out []Difference
	if a.Version != b.Version {
		out = append(out, Difference{Path: "Version", Before: jsonOrEmpty(a.Version), After: jsonOrEmpty(b.Version)})
	}
	as, bs := diffStatements(a), diffStatements(b)
	// Statements in both are the same; drop them.
	for i := range as {
		for j := range bs {
			if !bs[j].done && as[i].key == bs[j].key {
				as[i].done, bs[j].done = true, true
				break
			}
		}
	}
	pair := func(i, j int) {
		as[i].done, bs[j].done = true, true
		out = append(out, diffStatement(&as[i], &bs[j])...)
	}
	// Pair by Sid.
	for i := range as {
		if as[i].done || as[i].orig.Sid == "" {
			continue
		}
		for j := range bs {
			if !bs[j].done && bs[j].orig.Sid == as[i].orig.Sid {
				pair(i, j)
				break
			}
		}
	}
	// Pair the rest by likeness: same effect and at least one element in
	// common, or the only statement left on each side.
	left := func(s []stmtDiff) (n int) {
		for i := range s {
			if !s[i].done {
				n++
			}
		}
		return n
	}
	for i := range as {
		if as[i].done {
			continue
		}
		if left(as) == 1 && left(bs) == 1 {
			pair(i, slices.IndexFunc(bs, func(s stmtDiff) bool { return !s.done }))
			break
		}
		best, bestScore := -1, 0
		for j := range bs {
			if bs[j].done {
				continue
			}
			if s := likeness(&as[i].canon, &bs[j].canon); s > bestScore {
				best, bestScore = j, s
			}
		}
		if best >= 0 {
			pair(i, best)
		}
	}
	for i := range as {
		if !as[i].done {
			out = append(out, Difference{Path: as[i].label, Before: statementJSON(as[i].orig)})
		}
	}
	for j := range bs {
		if !bs[j].done {
			out = append(out, Difference{Path: bs[j].label, After: statementJSON(bs[j].orig)})
		}
	}
	return out
}

// stmtDiff is a statement being diffed.
type stmtDiff struct {
	orig  *Statement
	canon Statement
	key   string
	label string
	done  bool
}

func diffStatements(d *Document) []stmtDiff {
	out := make([]stmtDiff, 0, len(d.Statement))
	for i := range d.Statement {
		st := &d.Statement[i]
		c := canonStatement(st)
		key := string(c.appendJSON(nil, false))
		if slices.ContainsFunc(out, func(s stmtDiff) bool { return s.key == key }) {
			continue // a duplicate
		}
		label := "Statement[" + strconv.Itoa(i) + "]"
		if st.Sid != "" {
			label = "Statement[Sid=" + st.Sid + "]"
		}
		out = append(out, stmtDiff{orig: st, canon: c, key: key, label: label})
	}
	return out
}

func statementJSON(s *Statement) string { return string(s.appendJSON(nil, true)) }

func jsonOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return string(appendString(nil, s))
}

// likeness scores how alike two statements are; 0 means too different to
// pair.
func likeness(a, b *Statement) int {
	if a.Effect != b.Effect {
		return 0
	}
	s := 0
	if principalsKey(a.Principal) == principalsKey(b.Principal) && principalsKey(a.NotPrincipal) == principalsKey(b.NotPrincipal) {
		s += 2
	}
	if slices.Equal(a.Action.Items, b.Action.Items) && slices.Equal(a.NotAction.Items, b.NotAction.Items) {
		s++
	}
	if string(appendConditions(nil, a.Condition)) == string(appendConditions(nil, b.Condition)) {
		s++
	}
	return s
}

func principalsKey(p *Principals) string {
	if p == nil {
		return ""
	}
	return string(p.appendJSON(nil))
}

// diffStatement lists the differences between two paired statements.
func diffStatement(a, b *stmtDiff) []Difference {
	var out []Difference
	label := a.label
	if a.orig.Effect != b.orig.Effect {
		out = append(out, Difference{Path: label + ".Effect", Before: jsonOrEmpty(string(a.orig.Effect)), After: jsonOrEmpty(string(b.orig.Effect))})
	}
	out = diffPrincipals(out, label+".Principal", a.canon.Principal, b.canon.Principal, a.orig.Principal, b.orig.Principal)
	out = diffPrincipals(out, label+".NotPrincipal", a.canon.NotPrincipal, b.canon.NotPrincipal, a.orig.NotPrincipal, b.orig.NotPrincipal)
	lower := strings.ToLower
	out = diffValues(out, label+".Action", a.canon.Action, b.canon.Action, a.orig.Action.Items, b.orig.Action.Items, lower)
	out = diffValues(out, label+".NotAction", a.canon.NotAction, b.canon.NotAction, a.orig.NotAction.Items, b.orig.NotAction.Items, lower)
	out = diffValues(out, label+".Resource", a.canon.Resource, b.canon.Resource, a.orig.Resource.Items, b.orig.Resource.Items, nil)
	out = diffValues(out, label+".NotResource", a.canon.NotResource, b.canon.NotResource, a.orig.NotResource.Items, b.orig.NotResource.Items, nil)
	out = diffConditions(out, label+".Condition", a, b)
	if len(out) == 0 {
		// Only possible for statements that repeat a condition key under
		// one operator; show them whole.
		out = append(out, Difference{Path: label, Before: statementJSON(a.orig), After: statementJSON(b.orig)})
	}
	return out
}

func diffPrincipals(out []Difference, path string, ca, cb, oa, ob *Principals) []Difference {
	switch {
	case ca == nil && cb == nil:
		return out
	case ca == nil || cb == nil || ca.Any != cb.Any:
		return append(out, Difference{Path: path, Before: principalsJSON(oa), After: principalsJSON(ob)})
	case ca.Any:
		return out
	}
	types := make([]string, 0, len(ca.Entries)+len(cb.Entries))
	for _, e := range ca.Entries {
		types = append(types, e.Type)
	}
	for _, e := range cb.Entries {
		types = append(types, e.Type)
	}
	slices.Sort(types)
	types = slices.Compact(types)
	for _, t := range types {
		var fn func(string) string
		if t == PrincipalAWS {
			fn = canonAWSPrincipal
		}
		out = diffValues(out, path+"."+t, principalValues(ca, t), principalValues(cb, t), principalValues(oa, t).Items, principalValues(ob, t).Items, fn)
	}
	return out
}

func principalsJSON(p *Principals) string {
	if p == nil {
		return ""
	}
	return string(p.appendJSON(nil))
}

// principalValues returns the values of one principal type (all of them,
// for a document built with a type twice).
func principalValues(p *Principals, typ string) Values {
	var v Values
	n := 0
	for _, e := range p.Entries {
		if e.Type == typ {
			v.Items = append(v.Items, e.Values.Items...)
			if v.Items == nil {
				v.Items = []string{}
			}
			n++
		}
	}
	if n == 1 && len(v.Items) == 1 {
		v.Single = true
	}
	return v
}

// diffValues compares two canonical values. origA and origB are the values as
// written, used to show each value the way its document wrote it; fn maps a
// written value to its canonical form.
func diffValues(out []Difference, path string, ca, cb Values, origA, origB []string, fn func(string) string) []Difference {
	if ca.Items == nil && cb.Items == nil {
		return out
	}
	if ca.Items == nil || cb.Items == nil {
		return append(out, Difference{Path: path, Before: valuesJSON(ca, origA, fn), After: valuesJSON(cb, origB, fn)})
	}
	var removed, added []string
	for _, v := range ca.Items {
		if _, ok := slices.BinarySearch(cb.Items, v); !ok {
			removed = append(removed, v)
		}
	}
	for _, v := range cb.Items {
		if _, ok := slices.BinarySearch(ca.Items, v); !ok {
			added = append(added, v)
		}
	}
	if len(removed) == 1 && len(added) == 1 {
		return append(out, Difference{Path: path, Before: jsonString(display(removed[0], origA, fn)), After: jsonString(display(added[0], origB, fn))})
	}
	for _, v := range removed {
		out = append(out, Difference{Path: path, Before: jsonString(display(v, origA, fn))})
	}
	for _, v := range added {
		out = append(out, Difference{Path: path, After: jsonString(display(v, origB, fn))})
	}
	return out
}

func jsonString(s string) string { return string(appendString(nil, s)) }

// display returns the value as written in orig whose canonical form is v.
func display(v string, orig []string, fn func(string) string) string {
	for _, o := range orig {
		c := o
		if fn != nil {
			c = fn(o)
		}
		if c == v {
			return o
		}
	}
	return v
}

func valuesJSON(c Values, orig []string, fn func(string) string) string {
	if c.Items == nil {
		return ""
	}
	shown := Values{Items: make([]string, len(c.Items)), Single: c.Single}
	for i, v := range c.Items {
		shown.Items[i] = display(v, orig, fn)
	}
	return string(shown.appendJSON(nil))
}

// condKey identifies a canonical condition key.
type condKey struct{ op, key string }

func diffConditions(out []Difference, path string, a, b *stmtDiff) []Difference {
	ma, mb := conditionMap(a.canon.Condition), conditionMap(b.canon.Condition)
	keys := make([]condKey, 0, len(ma)+len(mb))
	for k := range ma {
		keys = append(keys, k)
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y condKey) int {
		if n := strings.Compare(x.op, y.op); n != 0 {
			return n
		}
		return strings.Compare(x.key, y.key)
	})
	for _, k := range keys {
		name := originalKey(k, a.orig.Condition, b.orig.Condition)
		var fn func(string) string
		if parseOperator(k.op).ignoreCase() {
			fn = strings.ToLower
		}
		p := path + "." + k.op + "[" + strconv.Quote(name) + "]"
		out = diffValues(out, p, ma[k], mb[k], originalValues(k, a.orig.Condition), originalValues(k, b.orig.Condition), fn)
	}
	return out
}

// conditionMap maps canonical (operator, key) to its values, merging repeated
// keys.
func conditionMap(conds []Condition) map[condKey]Values {
	m := make(map[condKey]Values)
	for _, c := range conds {
		for _, k := range c.Keys {
			ck := condKey{c.Operator, k.Key}
			if prev, ok := m[ck]; ok {
				merged := append(slices.Clone(prev.Items), k.Values.Items...)
				m[ck] = canonValues(Values{Items: merged}, nil)
				continue
			}
			m[ck] = k.Values
		}
	}
	return m
}

func originalKey(k condKey, conds ...[]Condition) string {
	for _, cs := range conds {
		for _, c := range cs {
			if c.Operator != k.op {
				continue
			}
			for _, ck := range c.Keys {
				if strings.EqualFold(ck.Key, k.key) {
					return ck.Key
				}
			}
		}
	}
	return k.key
}

func originalValues(k condKey, conds []Condition) []string {
	var out []string
	for _, c := range conds {
		if c.Operator != k.op {
			continue
		}
		for _, ck := range c.Keys {
			if strings.EqualFold(ck.Key, k.key) {
				out = append(out, ck.Values.Items...)
			}
		}
	}
	return out
}
