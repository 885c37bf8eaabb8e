package iamtrust

import "sync/atomic"

// Policy language versions accepted in a document's Version element.
const (
	// VersionCurrent is the current policy language, with policy variables.
	VersionCurrent = "2012-10-17"
	// VersionLegacy is the original policy language. It has no policy
	// variables: "${aws:username}" is literal text under it.
	VersionLegacy = "2008-10-17"
)

// Effect is a statement's Effect element. Its values are case-sensitive.
type Effect string

// The two effects a statement can have.
const (
	// EffectAllow grants the statement's actions.
	EffectAllow Effect = "Allow"
	// EffectDeny forbids the statement's actions; an explicit deny wins over
	// any allow.
	EffectDeny Effect = "Deny"
)

// Principal types: the keys of a Principal or NotPrincipal object.
const (
	// PrincipalAWS names accounts, IAM users and roles, and role sessions.
	PrincipalAWS = "AWS"
	// PrincipalService names AWS services, such as "eks.amazonaws.com".
	PrincipalService = "Service"
	// PrincipalFederated names identity providers, such as an IAM OIDC
	// provider ARN.
	PrincipalFederated = "Federated"
	// PrincipalCanonicalUser names an Amazon S3 canonical user ID.
	PrincipalCanonicalUser = "CanonicalUser"
)

// Document is an IAM policy document: a trust policy (a role's
// AssumeRolePolicyDocument) or an identity policy.
//
// Parse keeps the text a document came from (see Source) and enough of its
// shape (string or list, single statement or list) for MarshalJSON to write
// the same shape back. Compare documents with Equal, never field by field: IAM
// rewrites documents it stores.
//
// Use a Document through a pointer. Equal, Diff and Canonical cache the
// document's canonical form on first use, so a document must not be modified
// after it has been compared; modify a Clone instead.
type Document struct {
	// Version is the policy language version, "2012-10-17" or "2008-10-17";
	// empty when the element is absent (IAM then uses 2008-10-17).
	Version string
	// ID is the optional Id element; empty when absent.
	ID string
	// Statement holds the statements in source order.
	Statement []Statement
	// SingleStatement records that Statement was written as one object
	// rather than a list. MarshalJSON writes a list unless this is true and
	// there is exactly one statement.
	SingleStatement bool

	source string
	canon  atomic.Pointer[canonState]
}

// Statement is one element of a document's Statement list.
//
// A nil Principal, NotPrincipal, Action, NotAction, Resource, NotResource or
// Condition means the element is absent; an empty, non-nil one was written as
// an empty list or object.
type Statement struct {
	// Sid is the optional statement ID; empty when absent. It labels the
	// statement and has no effect on evaluation, so Equal ignores it.
	Sid string
	// Effect is EffectAllow or EffectDeny.
	Effect Effect
	// Principal is who the statement applies to.
	Principal *Principals
	// NotPrincipal is who the statement does not apply to.
	NotPrincipal *Principals
	// Action lists the actions the statement covers ("sts:AssumeRole").
	Action Values
	// NotAction lists the actions the statement does not cover.
	NotAction Values
	// Resource lists the resources the statement covers; trust policies
	// have none.
	Resource Values
	// NotResource lists the resources the statement does not cover.
	NotResource Values
	// Condition holds the condition operators in source order; all of them
	// must hold for the statement to apply.
	Condition []Condition
}

// Principals is the value of a Principal or NotPrincipal element: either the
// bare string "*" or an object from principal type to values.
type Principals struct {
	// Any is true for the bare string "*", which covers every principal,
	// including anonymous callers. It is not the same as {"AWS": "*"}.
	Any bool
	// Entries hold the principal types and their values in source order.
	// They are ignored when Any is true.
	Entries []PrincipalEntry
}

// PrincipalEntry is one member of a Principal object, such as
// "Service": "eks.amazonaws.com".
type PrincipalEntry struct {
	// Type is PrincipalAWS, PrincipalService, PrincipalFederated or
	// PrincipalCanonicalUser.
	Type string
	// Values are the principals of that type.
	Values Values
}

// Condition is one condition operator with its keys, such as
// "StringEquals": {"aws:SourceAccount": "111122223333"}. All keys must hold.
type Condition struct {
	// Operator is the condition operator, with its optional "ForAnyValue:"
	// or "ForAllValues:" prefix and "IfExists" suffix. Operators are
	// case-sensitive.
	Operator string
	// Keys hold the condition keys in source order.
	Keys []ConditionKey
}

// ConditionKey is one condition key with the values it is compared against;
// any one value may match.
type ConditionKey struct {
	// Key is the condition key name, such as "aws:SourceArn". Key names are
	// case-insensitive.
	Key string
	// Values are the values to compare against. JSON booleans and numbers
	// are held in their string form ("true", "12").
	Values Values
}

// Values is an element whose JSON form is a string or a list of strings.
type Values struct {
	// Items are the values in source order. Nil means the element is
	// absent.
	Items []string
	// Single records that the element was written as a bare string rather
	// than a list; MarshalJSON writes a bare string when this is true and
	// there is exactly one item.
	Single bool
	// Bare records that every item was written as a JSON boolean or number
	// (possible in condition values only); MarshalJSON then writes the items
	// that are valid JSON literals without quotes.
	Bare bool
}

// One returns a Values holding the single string s, written as a bare string.
func One(s string) Values { return Values{Items: []string{s}, Single: true} }

// List returns a Values holding the given strings, written as a list. List()
// with no arguments is an empty list, which is not the same as an absent
// element.
func List(s ...string) Values {
	items := make([]string, len(s))
	copy(items, s)
	return Values{Items: items}
}

// Present reports whether the element was written at all.
func (v Values) Present() bool { return v.Items != nil }

// Source returns the JSON text the document was parsed from, byte for byte
// (for ParseLive, the decoded text). It returns "" for a document that Parse
// did not make.
func (d *Document) Source() string { return d.source }

// Clone returns a deep copy of d without its source text or cached canonical
// form, for callers that want to modify a document.
func (d *Document) Clone() *Document {
	if d == nil {
		return nil
	}
	c := &Document{
		Version:         d.Version,
		ID:              d.ID,
		SingleStatement: d.SingleStatement,
	}
	if d.Statement != nil {
		c.Statement = make([]Statement, len(d.Statement))
		for i := range d.Statement {
			c.Statement[i] = d.Statement[i].clone()
		}
	}
	return c
}

func (s *Statement) clone() Statement {
	c := Statement{
		Sid:          s.Sid,
		Effect:       s.Effect,
		Principal:    s.Principal.clone(),
		NotPrincipal: s.NotPrincipal.clone(),
		Action:       s.Action.clone(),
		NotAction:    s.NotAction.clone(),
		Resource:     s.Resource.clone(),
		NotResource:  s.NotResource.clone(),
	}
	if s.Condition != nil {
		c.Condition = make([]Condition, len(s.Condition))
		for i, b := range s.Condition {
			keys := make([]ConditionKey, len(b.Keys))
			for j, k := range b.Keys {
				keys[j] = ConditionKey{Key: k.Key, Values: k.Values.clone()}
			}
			c.Condition[i] = Condition{Operator: b.Operator, Keys: keys}
		}
	}
	return c
}

func (p *Principals) clone() *Principals {
	if p == nil {
		return nil
	}
	c := &Principals{Any: p.Any}
	if p.Entries != nil {
		c.Entries = make([]PrincipalEntry, len(p.Entries))
		for i, e := range p.Entries {
			c.Entries[i] = PrincipalEntry{Type: e.Type, Values: e.Values.clone()}
		}
	}
	return c
}

func (v Values) clone() Values {
	if v.Items == nil {
		return v
	}
	items := make([]string, len(v.Items))
	copy(items, v.Items)
	return Values{Items: items, Single: v.Single, Bare: v.Bare}
}
