package iamtrust

import (
	"strconv"
	"strings"
	"unsafe"
)

// Decision is the outcome of evaluating a request against a policy.
type Decision int

// The three outcomes of evaluation. The zero value is ImplicitDeny.
const (
	// ImplicitDeny: no statement allows the request, and none denies it.
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// ExplicitDeny: a Deny statement matches the request; it wins over any
	// Allow.
	ExplicitDeny
)

// String returns "Allow", "ExplicitDeny" or "ImplicitDeny".
func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "ImplicitDeny"
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Principal is the caller of a request: the principal that wants to assume
// the role.
type Principal struct {
	// Type is PrincipalAWS, PrincipalService, PrincipalFederated or
	// PrincipalCanonicalUser.
	Type string
	// Value identifies the caller: for AWS, an account ID or the ARN of an
	// account root, user, role or assumed-role session; for Service, the
	// service principal ("eks-fargate-pods.amazonaws.com"); for Federated,
	// the identity provider (an OIDC provider ARN).
	Value string
}

// Request is a request to evaluate, such as an sts:AssumeRoleWithWebIdentity
// call by a pod's service account.
type Request struct {
	// Action is the action requested, such as "sts:AssumeRole".
	Action string
	// Principal is the caller.
	Principal Principal
	// Context holds the request's condition keys and their values. Key names
	// match without regard to case. A key with several values is
	// multivalued, for the ForAnyValue: and ForAllValues: operators.
	Context map[string][]string
}

// StatementTrace tells how one statement fared in an evaluation.
type StatementTrace struct {
	// Index is the statement's position in the document.
	Index int
	// Sid is the statement's Sid, if any.
	Sid string
	// Matched is true when the statement applies to the request: its
	// principal, action and conditions all match.
	Matched bool
	// Reason says why the statement matched or which element did not.
	Reason string
}

// Result is the outcome of Evaluate.
type Result struct {
	// Decision is the outcome.
	Decision Decision
	// Statements trace every statement of the document, in order.
	Statements []StatementTrace
}

// Evaluate evaluates a request against a trust policy the way IAM does for
// the principal side of a role assumption.
//
// A statement applies when its Principal names the caller (or NotPrincipal
// does not), its Action covers the request's action (or NotAction does not),
// and every condition holds. An explicit Deny wins; otherwise an Allow
// allows; otherwise the request is implicitly denied.
//
// Principals: "*" matches every caller and {"AWS": "*"} every AWS caller. An
// account ID or account root ARN matches every principal of that account
// (users, roles, role sessions); a role ARN matches the role and its
// sessions (arn:…:sts::…:assumed-role/NAME/…). Service principals match
// without regard to case, other values exactly. A statement without
// Principal or NotPrincipal (as in an identity policy) applies to any caller.
//
// Actions match with the IAM wildcards '*' and '?' and without regard to
// case. Resource and NotResource are not evaluated: trust policies have
// none.
//
// Conditions: keys are ANDed, values ORed; a negated operator
// (StringNotEquals…) holds when the request value matches none of the values.
// A key absent from the request fails a condition, except under a negated
// operator, an …IfExists operator, ForAllValues: and Null. See the package
// documentation for the operators supported. Policy variables (${aws:username},
// ${key, 'default'}, and the escapes ${*}, ${?}, ${$}) are substituted from the
// context in documents of version 2012-10-17; a condition whose variable
// cannot be resolved does not hold.
func Evaluate(d *Document, r Request) Result {
	if d == nil {
		return Result{}
	}
	res := Result{Statements: make([]StatementTrace, len(d.Statement))}
	vars := d.Version == VersionCurrent
	var allow, deny bool
	// The reasons of statements that do not match share one buffer.
	buf := reasonBuf{b: make([]byte, 0, 192*len(d.Statement))}
	for i := range d.Statement {
		st := &d.Statement[i]
		ok, reason := evalStatement(st, &r, vars, &buf)
		res.Statements[i] = StatementTrace{Index: i, Sid: st.Sid, Matched: ok, Reason: reason}
		if ok {
			switch st.Effect {
			case EffectAllow:
				allow = true
			case EffectDeny:
				deny = true
			}
		}
	}
	switch {
	case deny:
		res.Decision = ExplicitDeny
	case allow:
		res.Decision = Allow
	}
	return res
}

// reasonBuf holds the text of several reasons. Text is only ever appended, so
// strings that share its memory stay unchanged.
type reasonBuf struct{ b []byte }

// string returns the text appended since start.
func (r *reasonBuf) string(start int) string {
	s := r.b[start:]
	return unsafe.String(unsafe.SliceData(s), len(s))
}

// concat appends the parts and returns them as one string.
func (r *reasonBuf) concat(parts ...string) string {
	start := len(r.b)
	for _, p := range parts {
		r.b = append(r.b, p...)
	}
	return r.string(start)
}

func evalStatement(st *Statement, r *Request, vars bool, buf *reasonBuf) (bool, string) {
	switch {
	case st.Principal != nil:
		if !principalMatches(st.Principal, r.Principal) {
			return false, buf.concat("Principal does not name ", r.Principal.Type, " ", r.Principal.Value)
		}
	case st.NotPrincipal != nil:
		if principalMatches(st.NotPrincipal, r.Principal) {
			return false, buf.concat("NotPrincipal excludes ", r.Principal.Type, " ", r.Principal.Value)
		}
	}
	switch {
	case st.Action.Items != nil:
		if !actionMatches(st.Action, r.Action) {
			return false, buf.concat("Action does not cover ", r.Action)
		}
	case st.NotAction.Items != nil:
		if actionMatches(st.NotAction, r.Action) {
			return false, buf.concat("NotAction excludes ", r.Action)
		}
	}
	for _, c := range st.Condition {
		op := parseOperator(c.Operator)
		for _, k := range c.Keys {
			if f := evalKey(op, k, r.Context, vars); f.kind != holds {
				return false, f.reason(buf, c.Operator, k.Key)
			}
		}
	}
	return true, matchReason(st.Effect, len(st.Condition) > 0)
}

// matchReason says why a statement matched, without allocating.
func matchReason(e Effect, conditions bool) string {
	switch {
	case e == EffectAllow && conditions:
		return "Allow: principal, action and every condition match"
	case e == EffectAllow:
		return "Allow: principal and action match; no condition"
	case e == EffectDeny && conditions:
		return "Deny: principal, action and every condition match"
	case e == EffectDeny:
		return "Deny: principal and action match; no condition"
	}
	return string(e) + ": principal, action and every condition match"
}

func actionMatches(v Values, action string) bool {
	for _, p := range v.Items {
		if isPattern(p) {
			if wildcardMatch(p, action, true, false) {
				return true
			}
		} else if strings.EqualFold(p, action) {
			return true
		}
	}
	return false
}

func principalMatches(p *Principals, r Principal) bool {
	if p.Any {
		return true
	}
	for _, e := range p.Entries {
		if e.Type != r.Type {
			continue
		}
		for _, v := range e.Values.Items {
			if principalValueMatches(e.Type, v, r.Value) {
				return true
			}
		}
	}
	return false
}

func principalValueMatches(typ, pv, rv string) bool {
	if pv == "*" || pv == rv {
		return true
	}
	switch typ {
	case PrincipalAWS:
		return awsPrincipalCovers(pv, rv)
	case PrincipalService:
		return strings.EqualFold(pv, rv)
	}
	return false
}

// awsPrincipalCovers reports whether the AWS principal pv in a policy covers
// the caller rv: an account covers its principals, a role its sessions.
func awsPrincipalCovers(pv, rv string) bool {
	acct, partition := "", ""
	if isAccountID(pv) {
		acct = pv
	} else if a, ok := splitARN(pv); ok && a.service == "iam" && a.resource == "root" && isAccountID(a.account) {
		acct, partition = a.account, a.partition
	}
	ra, rIsARN := splitARN(rv)
	if acct != "" {
		if isAccountID(rv) {
			return rv == acct
		}
		return rIsARN && ra.account == acct && (partition == "" || ra.partition == partition)
	}
	pa, ok := splitARN(pv)
	if !ok || !rIsARN || pa.service != "iam" || ra.service != "sts" ||
		pa.partition != ra.partition || pa.account != ra.account {
		return false
	}
	role, ok := strings.CutPrefix(pa.resource, "role/")
	if !ok {
		return false
	}
	role = role[strings.LastIndexByte(role, '/')+1:]
	session, ok := strings.CutPrefix(ra.resource, "assumed-role/")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(session, "/")
	return ok && name == role
}

// failKind says why a condition key does not hold.
type failKind uint8

const (
	holds failKind = iota
	failUnknownOperator
	failAbsent
	failPresent
	failUnresolved
	failNoneSatisfies
	failValueDoesNotSatisfy
	failMatchesExcluded
	failMatchesNone
)

// failure is the outcome of evaluating one condition key; the reason text is
// built only when a trace needs it.
type failure struct {
	kind   failKind
	detail string   // the unresolved variable or the failing request value
	values []string // the request values
}

// reason renders the failure into buf.
func (f failure) reason(buf *reasonBuf, op, key string) string {
	start := len(buf.b)
	b := buf.b
	b = append(b, "Condition "...)
	b = append(b, op...)
	b = append(b, '[')
	b = appendString(b, key)
	b = append(b, "] does not hold: "...)
	switch f.kind {
	case failUnknownOperator:
		b = append(b, "unknown condition operator"...)
	case failAbsent:
		b = append(b, "key is absent from the request"...)
	case failPresent:
		b = append(b, "key is present in the request"...)
	case failUnresolved:
		b = append(b, "policy variable "...)
		b = append(b, f.detail...)
		b = append(b, " cannot be resolved"...)
	case failNoneSatisfies:
		b = append(b, "no request value "...)
		b = appendValues(b, f.values)
		b = append(b, " satisfies it"...)
	case failValueDoesNotSatisfy:
		b = append(b, "request value "...)
		b = appendString(b, f.detail)
		b = append(b, " does not satisfy it"...)
	case failMatchesExcluded:
		b = append(b, "request value "...)
		b = appendValues(b, f.values)
		b = append(b, " matches an excluded value"...)
	case failMatchesNone:
		b = append(b, "request value "...)
		b = appendValues(b, f.values)
		b = append(b, " matches no policy value"...)
	}
	buf.b = b
	return buf.string(start)
}

func appendValues(b []byte, vs []string) []byte {
	if len(vs) == 1 {
		return appendString(b, vs[0])
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// evalKey evaluates one condition key.
func evalKey(op operator, k ConditionKey, ctx map[string][]string, vars bool) failure {
	if op.base == opUnknown {
		return failure{kind: failUnknownOperator}
	}
	rvs, present := lookup(ctx, k.Key)
	if op.base == opNull {
		for _, pv := range k.Values.Items {
			if (strings.EqualFold(pv, "true") && !present) || (strings.EqualFold(pv, "false") && present) {
				return failure{}
			}
		}
		if present {
			return failure{kind: failPresent}
		}
		return failure{kind: failAbsent}
	}
	if !present {
		switch {
		case op.set == setAllValues, op.ifExists:
			return failure{}
		case op.set == setAnyValue:
			return failure{kind: failAbsent}
		case op.negated():
			return failure{}
		}
		return failure{kind: failAbsent}
	}
	if vars {
		for _, pv := range k.Values.Items {
			if hasVariable(pv) {
				if _, v, ok := substitute(pv, ctx, false); !ok {
					return failure{kind: failUnresolved, detail: v}
				}
			}
		}
	}
	anyMatch := func(rv string) bool {
		for _, pv := range k.Values.Items {
			escaped := false
			if vars && hasVariable(pv) {
				pv, _, _ = substitute(pv, ctx, op.like())
				escaped = op.like()
			}
			if op.match(pv, rv, escaped) {
				return true
			}
		}
		return false
	}
	neg := op.negated()
	switch op.set {
	case setAnyValue:
		for _, rv := range rvs {
			if anyMatch(rv) != neg {
				return failure{}
			}
		}
		return failure{kind: failNoneSatisfies, values: rvs}
	case setAllValues:
		for _, rv := range rvs {
			if anyMatch(rv) == neg {
				return failure{kind: failValueDoesNotSatisfy, detail: rv}
			}
		}
		return failure{}
	}
	matched := false
	for _, rv := range rvs {
		if anyMatch(rv) {
			matched = true
			break
		}
	}
	switch {
	case matched == neg && neg:
		return failure{kind: failMatchesExcluded, values: rvs}
	case matched == neg:
		return failure{kind: failMatchesNone, values: rvs}
	}
	return failure{}
}
