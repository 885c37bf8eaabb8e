package iamtrust

import (
	"slices"
	"strings"
	"sync"
)

// canonState is a document's cached canonical form.
type canonState struct {
	doc *Document
	// stmts are the canonical statements' compact JSON, sorted and
	// without duplicates, parallel to doc.Statement.
	stmts []string
	// key is the compact JSON of doc; documents with the same key are
	// Equal.
	key string

	// grants is computed on first need: the sorted, de-duplicated grants
	// (see grantKey) of doc, for documents whose keys differ.
	grantsOnce sync.Once
	grants     string
}

// canonical returns d's canonical form, computing it on first use.
func (d *Document) canonical() *canonState {
	if c := d.canon.Load(); c != nil {
		return c
	}
	c := canonicalize(d)
	d.canon.Store(c)
	return c
}

// Canonical returns the canonical form of d: the form Equal compares. It is
// idempotent: Canonical(Canonical(d)) is Canonical(d). The canonical form
//
//   - drops Id and every Sid, which label but do not change a policy;
//   - lower-cases action names and condition key names, which IAM matches
//     without regard to case, and condition values under
//     StringEqualsIgnoreCase and StringNotEqualsIgnoreCase;
//   - writes an account's root ARN in an AWS principal as the bare account
//     ID ("arn:aws:iam::111122223333:root" becomes "111122223333");
//   - sorts and de-duplicates statements, principal types, values, condition
//     operators and condition keys, merging condition blocks of the same
//     operator and dropping empty ones;
//   - writes one value as a bare string and several as a list, and every
//     JSON boolean or number as a string.
//
// Version is kept as it is: an absent Version is not 2012-10-17. The result
// is a new document that the caller may modify. Canonical(nil) is nil.
func Canonical(d *Document) *Document {
	if d == nil {
		return nil
	}
	return d.canonical().doc.Clone()
}

// Equal reports whether a and b are the same policy in IAM's eyes: whether
// their canonical forms (see Canonical) are the same. So documents that
// differ only in white space, key order, a string against a one-element list,
// statement or value order, duplicate values or statements, an account ID
// against its root ARN, the case of action and condition key names, a JSON
// boolean or number against its string, or Sid and Id, are equal.
//
// Statements split into several, or merged into one, are equal too, as are
// statements that another statement of the same effect, principal and
// conditions already covers (an Allow of s3:GetObject beside one of s3:*):
// Equal compares the documents' grants, each a (principal, action, resource)
// under the rest of its statement, after dropping grants that a wildcard
// grant of the same statement shape covers.
//
// Documents that differ in anything that changes who may do what are not:
// an absent Version against "2012-10-17", "*" against {"AWS": "*"}, a role ARN
// against the unique ID (AROA…) that IAM leaves when the role is deleted (a
// new role of the same name is a different principal), condition values that
// differ in case under a case-sensitive operator, or any added or missing
// condition.
//
// Equal caches each document's canonical form, so comparing the same parsed
// documents again is cheap. Equal(nil, nil) is true.
func Equal(a, b *Document) bool {
	if a == nil || b == nil {
		return a == b
	}
	ca, cb := a.canonical(), b.canonical()
	if ca.key == cb.key {
		return true
	}
	if a.Version != b.Version {
		return false
	}
	return ca.grantKey() == cb.grantKey()
}

// grant is one (principal, action, resource) of a statement; rest is the
// statement's other elements (Effect, NotPrincipal, NotAction, NotResource,
// Condition) as canonical JSON. Elements are ORed within a statement, so a
// statement is the union of its grants, and so is a document.
type grant struct {
	rest, principal, action, resource string
}

// grantKey returns the document's grants as one comparable string.
func (c *canonState) grantKey() string {
	c.grantsOnce.Do(func() {
		var gs []grant
		buf := make([]byte, 0, 256)
		for i := range c.doc.Statement {
			st := c.doc.Statement[i] // a copy
			principals := []string{""}
			if st.Principal != nil {
				if st.Principal.Any {
					principals = []string{"*"}
				} else {
					principals = principals[:0]
					for _, e := range st.Principal.Entries {
						for _, v := range e.Values.Items {
							principals = append(principals, e.Type+"\x00"+v)
						}
					}
				}
			}
			actions := orEmpty(st.Action.Items)
			resources := orEmpty(st.Resource.Items)
			st.Principal, st.Action, st.Resource = nil, Values{}, Values{}
			buf = st.appendJSON(buf[:0], false)
			rest := string(buf)
			for _, p := range principals {
				for _, a := range actions {
					for _, r := range resources {
						gs = append(gs, grant{rest: rest, principal: p, action: a, resource: r})
					}
				}
			}
		}
		// Drop the grants another grant of the same shape covers.
		kept := gs[:0:0]
		for i, g := range gs {
			covered := false
			for j, h := range gs {
				if i != j && h != g && h.rest == g.rest && h.principal == g.principal && covers(h.action, g.action, true) && coversResource(h.resource, g.resource) {
					covered = true
					break
				}
			}
			if !covered {
				kept = append(kept, g)
			}
		}
		keys := make([]string, len(kept))
		for i, g := range kept {
			keys[i] = g.rest + "\x01" + g.principal + "\x01" + g.action + "\x01" + g.resource
		}
		slices.Sort(keys)
		c.grants = strings.Join(slices.Compact(keys), "\x02")
	})
	return c.grants
}

// orEmpty returns the values of an element that the grants range over: an
// absent element is one empty value (the statement does not restrict it),
// an empty list none (the statement grants nothing).
func orEmpty(items []string) []string {
	if items == nil {
		return []string{""}
	}
	return items
}

// covers reports whether pattern p covers every value that q does: q is the
// same, or p is a wildcard pattern that matches q's text and q has no '?'
// that p would read as one literal character.
func covers(p, q string, fold bool) bool {
	if p == q {
		return true
	}
	if p == "" || q == "" || !isPattern(p) || strings.IndexByte(p, '?') >= 0 && isPattern(q) {
		return false
	}
	return wildcardMatch(p, q, fold, false)
}

// coversResource is covers for resources, which match as ARNs.
func coversResource(p, q string) bool {
	if p == q || p == "*" && q != "" {
		return true
	}
	if p == "" || q == "" || !isPattern(p) || strings.IndexByte(p, '?') >= 0 && isPattern(q) {
		return false
	}
	return arnMatch(p, q, false)
}

func canonicalize(d *Document) *canonState {
	type item struct {
		st  Statement
		key string
	}
	items := make([]item, len(d.Statement))
	buf := make([]byte, 0, 512)
	for i := range d.Statement {
		items[i].st = canonStatement(&d.Statement[i])
		buf = items[i].st.appendJSON(buf[:0], false)
		items[i].key = string(buf)
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	items = slices.CompactFunc(items, func(a, b item) bool { return a.key == b.key })

	cd := &Document{Version: d.Version, Statement: make([]Statement, len(items))}
	c := &canonState{doc: cd, stmts: make([]string, len(items))}
	n := len(`{"Statement":[]}`) + len(`"Version":"",`) + len(d.Version)
	for i, it := range items {
		cd.Statement[i] = it.st
		c.stmts[i] = it.key
		n += len(it.key) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	if d.Version != "" {
		b = append(b, `"Version":`...)
		b = appendString(b, d.Version)
		b = append(b, ',')
	}
	b = append(b, `"Statement":[`...)
	for i, k := range c.stmts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, k...)
	}
	b = append(b, ']', '}')
	c.key = string(b)
	return c
}

// canonStatement returns the canonical form of one statement, without Sid.
func canonStatement(s *Statement) Statement {
	return Statement{
		Effect:       s.Effect,
		Principal:    canonPrincipals(s.Principal),
		NotPrincipal: canonPrincipals(s.NotPrincipal),
		Action:       canonValues(s.Action, strings.ToLower),
		NotAction:    canonValues(s.NotAction, strings.ToLower),
		Resource:     canonValues(s.Resource, nil),
		NotResource:  canonValues(s.NotResource, nil),
		Condition:    canonConditions(s.Condition),
	}
}

func canonValues(v Values, fn func(string) string) Values {
	if v.Items == nil {
		return Values{}
	}
	items := make([]string, len(v.Items))
	for i, s := range v.Items {
		if fn != nil {
			s = fn(s)
		}
		items[i] = s
	}
	if len(items) > 1 {
		slices.Sort(items)
		items = slices.Compact(items)
	}
	return Values{Items: items, Single: len(items) == 1}
}

func canonPrincipals(p *Principals) *Principals {
	if p == nil {
		return nil
	}
	if p.Any {
		return &Principals{Any: true}
	}
	out := &Principals{Entries: make([]PrincipalEntry, 0, len(p.Entries))}
	for _, e := range p.Entries {
		var fn func(string) string
		if e.Type == PrincipalAWS {
			fn = canonAWSPrincipal
		}
		v := canonValues(e.Values, fn)
		if i := slices.IndexFunc(out.Entries, func(o PrincipalEntry) bool { return o.Type == e.Type }); i >= 0 {
			// Builders can repeat a type; the parser cannot.
			merged := append(slices.Clone(out.Entries[i].Values.Items), v.Items...)
			out.Entries[i].Values = canonValues(Values{Items: merged}, nil)
			continue
		}
		out.Entries = append(out.Entries, PrincipalEntry{Type: e.Type, Values: v})
	}
	slices.SortFunc(out.Entries, func(a, b PrincipalEntry) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// canonAWSPrincipal writes an account root ARN as the bare account ID.
func canonAWSPrincipal(s string) string {
	if acct, ok := rootARNAccount(s); ok {
		return acct
	}
	return s
}

// rootARNAccount returns the account of "arn:<partition>:iam::<account>:root".
func rootARNAccount(s string) (string, bool) {
	a, ok := splitARN(s)
	if !ok || a.service != "iam" || a.region != "" || a.resource != "root" || !isAccountID(a.account) {
		return "", false
	}
	return a.account, true
}

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func canonConditions(conds []Condition) []Condition {
	var out []Condition
	for _, c := range conds {
		if len(c.Keys) == 0 {
			continue
		}
		var fn func(string) string
		if op := parseOperator(c.Operator); op.ignoreCase() {
			fn = strings.ToLower
		}
		i := slices.IndexFunc(out, func(o Condition) bool { return o.Operator == c.Operator })
		if i < 0 {
			out = append(out, Condition{Operator: c.Operator, Keys: make([]ConditionKey, 0, len(c.Keys))})
			i = len(out) - 1
		}
		for _, k := range c.Keys {
			out[i].Keys = append(out[i].Keys, ConditionKey{Key: strings.ToLower(k.Key), Values: canonValues(k.Values, fn)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b Condition) int { return strings.Compare(a.Operator, b.Operator) })
	for _, c := range out {
		slices.SortFunc(c.Keys, func(a, b ConditionKey) int {
			if n := strings.Compare(a.Key, b.Key); n != 0 {
				return n
			}
			if n := slices.Compare(a.Values.Items, b.Values.Items); n != 0 {
				return n
			}
			// A present, empty list sorts after an absent one.
			return compareBool(a.Values.Items != nil, b.Values.Items != nil)
		})
	}
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}
