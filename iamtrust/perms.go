package iamtrust

import (
	"sort"
	"strconv"
	"strings"
)

// AnyResource, as the resource of Permissions.Check, asks whether an action
// is allowed on every resource: only a statement whose Resource covers all
// ARNs ("*", "arn:*:*:*:*:*", …) or whose NotResource excludes that
// particular probe applies to it.
const AnyResource = "*"

// PermissionPolicy is one policy that decides a principal's identity-based
// permissions: an attached managed policy at its default version, an inline
// policy, or the permissions boundary.
type PermissionPolicy struct {
	// Source names the policy in evidence: a managed policy ARN, or
	// "inline:NAME" for an inline policy.
	Source string
	// Doc is the parsed document. A nil Doc grants nothing.
	Doc *Document
}

// Permissions are the policies that decide what an IAM role (or user) may do
// with its own identity: the identity-based policies and the optional
// permissions boundary. Resource-based policies, session policies, SCPs and
// RCPs are not part of it (see the package documentation).
type Permissions struct {
	// Partition is the role's partition ("aws", "aws-cn", "aws-us-gov"),
	// used to build the probe ARN of AnyResource. Empty means "aws".
	Partition string
	// Policies are the identity-based policies: managed (default version)
	// and inline.
	Policies []PermissionPolicy
	// Boundary is the permissions boundary; nil when the role has none.
	Boundary *PermissionPolicy
}

// StatementRef locates one statement of a policy, for evidence.
type StatementRef struct {
	// Policy is the PermissionPolicy.Source of the policy.
	Policy string `json:"policy"`
	// Index is the statement's position in the document.
	Index int `json:"index"`
	// Sid is the statement's Sid, if any.
	Sid string `json:"sid,omitempty"`
	// Conditional is true when the statement has conditions: it applies only
	// to requests that satisfy them.
	Conditional bool `json:"conditional,omitempty"`
}

// String returns "POLICY Statement[i]" with the Sid in parentheses.
func (r StatementRef) String() string {
	s := r.Policy + " Statement[" + strconv.Itoa(r.Index) + "]"
	if r.Sid != "" {
		s += " (" + r.Sid + ")"
	}
	return s
}

// Access is the outcome of Permissions.Check.
type Access struct {
	// Decision is Allow when some identity policy allows the request, the
	// boundary (if any) allows it too, and no Deny applies; ExplicitDeny
	// when an unconditional Deny applies; ImplicitDeny otherwise.
	Decision Decision
	// Conditional is true when every statement that allows the request has
	// conditions (in the identity policies or the boundary), so the request
	// is allowed only when they hold.
	Conditional bool
	// AllowedBy are the identity-policy statements that allow the request.
	AllowedBy []StatementRef
	// DeniedBy are the unconditional Deny statements that apply.
	DeniedBy []StatementRef
	// OutsideBoundary is true when identity policies allow the request but
	// the permissions boundary does not.
	OutsideBoundary bool
}

// Allowed reports whether the decision is Allow.
func (a Access) Allowed() bool { return a.Decision == Allow }

// Check decides whether the principal may perform action on resource under
// its identity-based policies and boundary, the way IAM combines them for a
// request within the same account: an explicit Deny in any of them wins;
// otherwise the request needs an Allow in an identity policy and, when there
// is a boundary, an Allow in the boundary too.
//
// Check asks what a principal can do whatever the request's context, as a
// security review must: an Allow statement with conditions counts as
// allowing (Access.Conditional says so), while a Deny statement with
// conditions is not counted, since a caller may avoid its conditions.
// Actions match without regard to case, with IAM's wildcards; resources
// match as ARNs, part by part. Resource AnyResource asks about every
// resource at once. A statement with neither Resource nor NotResource
// applies to every resource.
func (p *Permissions) Check(action, resource string) Access {
	res := resource
	if resource == AnyResource {
		res = p.probeARN()
	}
	var a Access
	identityAllows, allowCond := false, true
	for _, pol := range p.Policies {
		ok, cond := scanPolicy(pol, action, res, &a.AllowedBy, &a.DeniedBy)
		identityAllows = identityAllows || ok
		allowCond = allowCond && (!ok || cond)
	}
	boundaryAllows, boundaryCond := true, false
	if b := p.Boundary; b != nil {
		var ignored []StatementRef
		boundaryAllows, boundaryCond = scanPolicy(*b, action, res, &ignored, &a.DeniedBy)
	}
	switch {
	case len(a.DeniedBy) > 0:
		a.Decision = ExplicitDeny
	case !identityAllows:
		a.Decision = ImplicitDeny
	case !boundaryAllows:
		a.Decision = ImplicitDeny
		a.OutsideBoundary = true
	default:
		a.Decision = Allow
		a.Conditional = allowCond || boundaryCond
	}
	return a
}

// scanPolicy collects the statements of one policy that apply to the
// request: Allow statements into allowed, unconditional Deny statements into
// denied. It reports whether any Allow applies, and whether every Allow that
// applies is conditional.
func scanPolicy(pol PermissionPolicy, action, resource string, allowed, denied *[]StatementRef) (allows, conditional bool) {
	if pol.Doc == nil {
		return false, false
	}
	conditional = true
	for i := range pol.Doc.Statement {
		st := &pol.Doc.Statement[i]
		if !stmtAppliesTo(st, action, resource) {
			continue
		}
		ref := StatementRef{Policy: pol.Source, Index: i, Sid: st.Sid, Conditional: len(st.Condition) > 0}
		switch st.Effect {
		case EffectDeny:
			if !ref.Conditional {
				*denied = append(*denied, ref)
			}
		case EffectAllow:
			*allowed = append(*allowed, ref)
			allows = true
			conditional = conditional && ref.Conditional
		}
	}
	return allows, allows && conditional
}

// probeARN is the ARN that stands for "any resource": no real resource
// pattern but a full wildcard matches it.
func (p *Permissions) probeARN() string {
	part := p.Partition
	if part == "" {
		part = "aws"
	}
	return "arn:" + part + ":fargatekit-any-service:fargatekit-any-region:000000000000:fargatekit-any-resource"
}

// stmtAppliesTo reports whether the statement's action and resource
// elements cover the request, ignoring its conditions.
func stmtAppliesTo(st *Statement, action, resource string) bool {
	switch {
	case st.Action.Items != nil:
		if !actionMatches(st.Action, action) {
			return false
		}
	case st.NotAction.Items != nil:
		if actionMatches(st.NotAction, action) {
			return false
		}
	default:
		return false // a statement without an action element grants nothing
	}
	switch {
	case st.Resource.Items != nil:
		return resourceMatches(st.Resource, resource)
	case st.NotResource.Items != nil:
		return !resourceMatches(st.NotResource, resource)
	}
	return true
}

func resourceMatches(v Values, resource string) bool {
	for _, p := range v.Items {
		if p == "*" || p == resource || arnMatch(p, resource, false) {
			return true
		}
	}
	return false
}

// ProbeAction returns a concrete action name that an action pattern matches
// and that, but for a pattern at least as broad, nothing else does: "iam:*"
// gives "iam:FargatekitProbe", "ec2:Describe*" gives
// "ec2:DescribeFargatekitProbe", and "*" gives
// "fargatekit-probe:FargatekitProbe". A name without wildcards is returned
// as it is.
func ProbeAction(pattern string) string {
	if pattern == "*" {
		return "fargatekit-probe:FargatekitProbe"
	}
	if !isPattern(pattern) {
		return pattern
	}
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			if i+1 < len(pattern) && pattern[i+1] == ':' || i == 0 {
				b.WriteString("fargatekit-probe")
			} else {
				b.WriteString("FargatekitProbe")
			}
		case '?':
			b.WriteByte('Q')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// probeResource returns a concrete resource that a statement's resource
// element covers: the first Resource pattern with its wildcards filled in,
// or AnyResource.
func probeResource(st *Statement) string {
	if len(st.Resource.Items) == 0 {
		return AnyResource
	}
	r := st.Resource.Items[0]
	if r == "*" {
		return AnyResource
	}
	r = strings.ReplaceAll(r, "*", "fargatekit-probe")
	return strings.ReplaceAll(r, "?", "q")
}

// Excess is a permission beyond a principal's documented purpose.
type Excess struct {
	// Action is the action or action pattern as the statement writes it,
	// or "NotAction [...]" for a statement that allows everything but a
	// list.
	Action string `json:"action"`
	// Resource is the resource the statement grants it on ("*" for all).
	Resource string `json:"resource"`
	// Statement is where it is granted.
	Statement StatementRef `json:"statement"`
}

// Beyond lists what the identity policies allow beyond a purpose, after the
// boundary and Deny statements have had their say. The purpose is a set of
// managed policies (by ARN; their own statements are within purpose by
// definition) and of action patterns (documented extra actions, such as the
// Fargate logging actions).
//
// An action pattern of another policy is within purpose when its probe (see
// ProbeAction) matches a purpose action: a literal action the purpose
// allows, or a wildcard no broader than one the purpose writes. So
// "ecr:BatchGetImage" is within AmazonEKSFargatePodExecutionRolePolicy and
// "ecr:Get*" is not, since the purpose does not grant every ecr:Get action.
// A NotAction statement is beyond purpose unless the purpose allows "*".
func (p *Permissions) Beyond(purposePolicies []string, purposeActions []string) []Excess {
	inPurpose := map[string]bool{}
	for _, arn := range purposePolicies {
		inPurpose[arn] = true
	}
	patterns := Values{Items: append([]string(nil), purposeActions...)}
	for _, pol := range p.Policies {
		if !inPurpose[pol.Source] || pol.Doc == nil {
			continue
		}
		for _, st := range pol.Doc.Statement {
			if st.Effect == EffectAllow {
				patterns.Items = append(patterns.Items, st.Action.Items...)
			}
		}
	}
	var out []Excess
	seen := map[string]bool{}
	for _, pol := range p.Policies {
		if inPurpose[pol.Source] || pol.Doc == nil {
			continue
		}
		for i := range pol.Doc.Statement {
			st := &pol.Doc.Statement[i]
			if st.Effect != EffectAllow {
				continue
			}
			ref := StatementRef{Policy: pol.Source, Index: i, Sid: st.Sid, Conditional: len(st.Condition) > 0}
			res := probeResource(st)
			resText := "*"
			if len(st.Resource.Items) > 0 {
				resText = strings.Join(st.Resource.Items, ", ")
			} else if st.NotResource.Items != nil {
				resText = "NotResource [" + strings.Join(st.NotResource.Items, ", ") + "]"
			}
			var actions []string
			if st.NotAction.Items != nil && st.Action.Items == nil {
				probe := "fargatekit-probe:FargatekitProbe"
				if !actionMatches(patterns, probe) && !actionMatches(st.NotAction, probe) {
					if p.Check(probe, res).Allowed() {
						key := "NotAction" + ref.String()
						if !seen[key] {
							seen[key] = true
							out = append(out, Excess{Action: "NotAction [" + strings.Join(st.NotAction.Items, ", ") + "]", Resource: resText, Statement: ref})
						}
					}
				}
				continue
			}
			actions = st.Action.Items
			for _, act := range actions {
				probe := ProbeAction(act)
				if actionMatches(patterns, probe) {
					continue
				}
				if !p.Check(probe, res).Allowed() {
					continue
				}
				key := strings.ToLower(act) + "\x00" + ref.String()
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, Excess{Action: act, Resource: resText, Statement: ref})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Statement.Policy != out[j].Statement.Policy {
			return out[i].Statement.Policy < out[j].Statement.Policy
		}
		return out[i].Statement.Index < out[j].Statement.Index
	})
	return out
}
