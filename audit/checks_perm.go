package audit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// Documentation of the purposes and of the permission checks.
const (
	docFargateLogging = "https://docs.aws.amazon.com/eks/latest/userguide/fargate-logging.html"
	docAutoMode       = "https://docs.aws.amazon.com/eks/latest/userguide/auto-cluster-iam-role.html"
	docSGForPods      = "https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html"
	docCNIIPv6        = "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html#cni-iam-role-create-ipv6-policy"
	docLeastPrivilege = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
	docEscalation     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html"
	docQuotas         = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
)

// Purpose is the documented purpose of a kind of wired role: the managed
// policies and extra actions AWS documents for it. Anything else a role of
// that kind can do is beyond its purpose (PERM-01).
type Purpose struct {
	// Kind is the Kind… constant of the roles it applies to.
	Kind string `json:"kind"`
	// Policies are AWS managed policy names.
	Policies []string `json:"policies"`
	// Actions are documented actions besides those policies.
	Actions []string `json:"actions,omitempty"`
	// DocURLs document the policies and actions.
	DocURLs []string `json:"docURLs"`
}

var purposes = []Purpose{
	{
		Kind: KindCluster,
		Policies: []string{policyCluster, "AmazonEKSVPCResourceController",
			"AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"},
		DocURLs: []string{docClusterRole, docSGForPods, docAutoMode},
	},
	{
		Kind:     KindPodExecution,
		Policies: []string{policyFargatePod},
		Actions:  []string{"logs:CreateLogStream", "logs:CreateLogGroup", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"},
		DocURLs:  []string{docPodExecRole, docFargateLogging},
	},
	{
		Kind:     KindVPCCNI,
		Policies: []string{"AmazonEKS_CNI_Policy"},
		Actions: []string{"ec2:AssignIpv6Addresses", "ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces",
			"ec2:DescribeInstanceTypes", "ec2:CreateTags"},
		DocURLs: []string{docCNIRole, docCNIIPv6},
	},
}

// Purposes returns the documented purposes of the wired role kinds, as
// data with documentation links.
func Purposes() []Purpose {
	out := slices.Clone(purposes)
	for i := range out {
		out[i].Policies = slices.Clone(out[i].Policies)
		out[i].Actions = slices.Clone(out[i].Actions)
		out[i].DocURLs = slices.Clone(out[i].DocURLs)
	}
	return out
}

// purposeOf returns the managed policy ARNs and actions within the
// purpose of a wired role, and whether it has a documented purpose at all.
// IRSA roles have one only when a spec declares them: their spec policies.
func purposeOf(s *Snapshot, w *WiredRole) (policies, actions []string, ok bool) {
	for _, p := range purposes {
		if !w.Is(p.Kind) {
			continue
		}
		ok = true
		for _, n := range p.Policies {
			policies = append(policies, managedPolicyARN(s.Partition, n))
		}
		actions = append(actions, p.Actions...)
	}
	if w.Is(KindSpec) {
		ok = true
		policies = append(policies, w.SpecPolicies...)
		for _, n := range w.SpecInline {
			policies = append(policies, "inline:"+n)
		}
		if b := w.Role.PermissionsBoundary; b != "" {
			policies = append(policies, b+" (boundary)")
		}
	}
	return policies, actions, ok
}

// kindsText names a wired role's kinds for messages.
func kindsText(w *WiredRole) string {
	var parts []string
	for _, k := range w.Kinds {
		switch k {
		case KindCluster:
			parts = append(parts, "cluster role")
		case KindPodExecution:
			parts = append(parts, "pod execution role")
		case KindVPCCNI:
			parts = append(parts, "vpc-cni role")
		case KindAddon:
			if !w.Is(KindVPCCNI) {
				parts = append(parts, "add-on role ("+strings.Join(w.Addons, ", ")+")")
			}
		case KindIRSA:
			parts = append(parts, "IRSA role")
		}
	}
	if len(parts) == 0 {
		return "role declared by the spec"
	}
	return strings.Join(parts, " and ")
}

// firstCluster returns the first cluster a role is wired to, for the
// finding's scope.
func firstCluster(w *WiredRole) *Cluster {
	if len(w.Clusters) > 0 {
		return w.Clusters[0]
	}
	return nil
}

// permsOf returns a wired role's permissions, or false when its policies
// were not read.
func permsOf(s *Snapshot, w *WiredRole) (*iamtrust.Permissions, []string, bool) {
	if !w.Role.PoliciesRead {
		return nil, nil, false
	}
	p, missing := s.Permissions(w.Role)
	return p, missing, true
}

func refsText(refs []iamtrust.StatementRef) string {
	var parts []string
	for _, r := range refs {
		s := r.String()
		if r.Conditional {
			s += " [conditional]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// removalFixes returns the changes that remove the policies granting a
// capability, for the policies outside the role's purpose; it reports false
// when a granting policy is within the purpose or is a boundary, so no
// automatic remedy exists.
func (s *Snapshot) removalFixes(w *WiredRole, refs []iamtrust.StatementRef, requirement string) ([]plan.Change, bool) {
	purpose, _, _ := purposeOf(s, w)
	var out []plan.Change
	seen := map[string]bool{}
	for _, ref := range refs {
		if seen[ref.Policy] {
			continue
		}
		seen[ref.Policy] = true
		if slices.Contains(purpose, ref.Policy) || strings.HasSuffix(ref.Policy, " (boundary)") {
			return nil, false
		}
		if name, ok := strings.CutPrefix(ref.Policy, "inline:"); ok {
			out = append(out, s.fixDeleteInlinePolicy(w.Role, name, requirement))
		} else {
			out = append(out, s.fixDetachPolicy(w.Role, ref.Policy, requirement))
		}
	}
	return out, len(out) > 0
}

// fixDetachPolicy detaches a managed policy from a role.
func (s *Snapshot) fixDetachPolicy(r *Role, policyARN, requirement string) plan.Change {
	return guardRole(r, plan.Change{
		ID: ops.RolePolicyID(r.Name, policyARN), Kind: ops.KindRolePolicy, Resource: r.ARN, Action: plan.Delete,
		Summary: "detach " + policyARN, Before: map[string]string{"role": r.Name, "policyArn": policyARN}, Requirement: requirement,
		Destructive: true,
		Op:          ops.NewOp(ops.OpDetachRolePolicy, "", "", ops.RolePolicyArgs{Role: r.Name, PolicyARN: policyARN}),
	})
}

// fixDeleteInlinePolicy deletes an inline policy of a role.
func (s *Snapshot) fixDeleteInlinePolicy(r *Role, policy, requirement string) plan.Change {
	var before any = policy
	for _, ip := range r.InlinePolicies {
		if ip.Name == policy && ip.Doc != nil {
			before = docValue(ip.Doc)
		}
	}
	return guardRole(r, plan.Change{
		ID: ops.InlinePolicyID(r.Name, policy), Kind: ops.KindInlinePolicy, Resource: r.ARN, Action: plan.Delete,
		Summary: "delete inline policy " + policy, Before: before, Requirement: requirement, Destructive: true,
		Op: ops.NewOp(ops.OpDeleteRolePolicy, "", "", ops.RolePolicyArgs{Role: r.Name, PolicyName: policy}),
	})
}

// capabilityFindings runs the capability catalogue over every wired role
// and returns the findings of one class.
func capabilityFindings(s *Snapshot, id, class string, sev iamtrust.Severity) []Finding {
	var out []Finding
	for _, w := range s.WiredRoles() {
		p, missing, ok := permsOf(s, w)
		if !ok {
			continue
		}
		caps := p.Capabilities()
		var hits []iamtrust.Capability
		for _, c := range caps {
			if c.Class == class {
				hits = append(hits, c)
			}
		}
		if len(hits) == 0 {
			continue
		}
		// A role that is admin is reported once, by PERM-02.
		if class != iamtrust.CapabilityAdmin && slices.Contains(iamtrust.Classes(caps), iamtrust.CapabilityAdmin) {
			continue
		}
		var actions, evidence []string
		var refs []iamtrust.StatementRef
		conditional := true
		for _, h := range hits {
			a := h.Action
			if h.With != "" {
				a += " with " + h.With
			}
			actions = append(actions, a)
			evidence = append(evidence, a+" on * via "+refsText(h.GrantedBy)+" ("+h.Why+")")
			refs = append(refs, h.GrantedBy...)
			conditional = conditional && h.Conditional
		}
		fsev := sev
		msg := "the " + kindsText(w) + " " + w.Role.Name + " "
		switch class {
		case iamtrust.CapabilityAdmin:
			msg += "has admin-equivalent access (" + strings.Join(actions, ", ") + ")"
		case iamtrust.CapabilityEscalation:
			msg += "can escalate its privileges (" + strings.Join(actions, ", ") + ")"
		default:
			msg += "has broad data access (" + strings.Join(actions, ", ") + ")"
		}
		if conditional {
			fsev = max(fsev-1, iamtrust.SeverityLow)
			msg += "; only under conditions, so graded down one step"
		}
		out = append(out, s.permFinding(id, fsev, w, msg, evidence, missing, refs))
	}
	return out
}

// permFinding builds a permission finding: the evidence, the purpose it
// departs from, the policies that could not be evaluated, and the removal
// of the granting policies as its fix where they are outside the purpose.
func (s *Snapshot) permFinding(id string, sev iamtrust.Severity, w *WiredRole, msg string, evidence, missing []string, refs []iamtrust.StatementRef) Finding {
	f := newFinding(id, sev, firstCluster(w), w.Role.ARN, msg)
	f.Expected = expectedPurpose(s, w)
	f.Actual = strings.Join(evidence, "; ")
	if len(missing) > 0 {
		f.Actual += "; not evaluated (not read or did not parse): " + strings.Join(missing, ", ")
	}
	if fix, ok := s.removalFixes(w, refs, ""); ok {
		f.Fix = fix
	}
	return f
}

// expectedPurpose describes what a wired role should be able to do.
func expectedPurpose(s *Snapshot, w *WiredRole) string {
	pols, acts, ok := purposeOf(s, w)
	if !ok {
		return "no admin-equivalent, privilege-escalating or broad data permissions"
	}
	var names []string
	for _, p := range pols {
		names = append(names, strings.TrimPrefix(p, "arn:"+s.Partition+":iam::aws:policy/"))
	}
	e := "only its documented purpose: " + strings.Join(names, ", ")
	if len(acts) > 0 {
		e += " and " + strings.Join(acts, ", ")
	}
	return e
}

func runPERM02(s *Snapshot) []Finding {
	return capabilityFindings(s, "PERM-02", iamtrust.CapabilityAdmin, iamtrust.SeverityCritical)
}

func runPERM03(s *Snapshot) []Finding {
	return capabilityFindings(s, "PERM-03", iamtrust.CapabilityEscalation, iamtrust.SeverityHigh)
}

func runPERM04(s *Snapshot) []Finding {
	return capabilityFindings(s, "PERM-04", iamtrust.CapabilityData, iamtrust.SeverityMedium)
}

func runPERM01(s *Snapshot) []Finding {
	var out []Finding
	for _, w := range s.WiredRoles() {
		pols, acts, ok := purposeOf(s, w)
		if !ok {
			continue
		}
		p, missing, read := permsOf(s, w)
		if !read {
			continue
		}
		// An admin-equivalent role is reported once, by PERM-02.
		if slices.Contains(iamtrust.Classes(p.Capabilities()), iamtrust.CapabilityAdmin) {
			continue
		}
		excess := p.Beyond(pols, acts)
		if len(excess) == 0 {
			continue
		}
		var ev []string
		var refs []iamtrust.StatementRef
		for _, e := range excess {
			s := e.Action + " on " + e.Resource + " via " + e.Statement.String()
			if e.Statement.Conditional {
				s += " [conditional]"
			}
			ev = append(ev, s)
			refs = append(refs, e.Statement)
		}
		out = append(out, s.permFinding("PERM-01", iamtrust.SeverityMedium, w,
			"the "+kindsText(w)+" "+w.Role.Name+" can do more than its documented purpose: "+strconv.Itoa(len(excess))+" grant(s) beyond it", ev, missing, refs))
	}
	return out
}

// serviceOfKind is the one principal a service role's trust may name.
func serviceOfKind(kind string) string {
	switch kind {
	case KindCluster:
		return iamtrust.ServiceEKS
	case KindPodExecution:
		return iamtrust.ServiceEKSFargatePods
	}
	return ""
}

// runTRUST01 reports cluster and pod execution roles whose trust admits
// anything but their documented service: another account, "*", a Federated
// principal, NotPrincipal, or a second Allow statement.
func runTRUST01(s *Snapshot) []Finding {
	var out []Finding
	for _, w := range s.WiredRoles() {
		r := w.Role
		if r.Trust == nil {
			continue // POL-01
		}
		for _, kind := range []string{KindCluster, KindPodExecution} {
			if !w.Is(kind) {
				continue
			}
			svc := serviceOfKind(kind)
			var problems []string
			allows := 0
			for i, st := range r.Trust.Statement {
				if st.Effect != iamtrust.EffectAllow {
					continue
				}
				allows++
				path := "Statement[" + strconv.Itoa(i) + "]"
				for _, o := range otherPrincipals(&iamtrust.Document{Statement: []iamtrust.Statement{st}}, svc) {
					problems = append(problems, path+" trusts "+o)
				}
			}
			if allows > 1 {
				problems = append(problems, strconv.Itoa(allows)+" Allow statements where the documented trust has one")
			}
			if len(problems) == 0 {
				continue
			}
			name := "cluster role"
			if kind == KindPodExecution {
				name = "pod execution role"
			}
			f := newFinding("TRUST-01", iamtrust.SeverityHigh, firstCluster(w), r.ARN,
				"the "+name+" "+r.Name+" is trusted beyond its purpose: "+strings.Join(problems, "; "))
			f.Expected = "one Allow statement for Service " + svc
			f.Actual = r.Trust.String()
			out = append(out, f)
		}
	}
	return out
}

// runTRUST02 runs the public-principal (IRSA-06) and action-fits-principal
// (IRSA-07) rules on every wired role that is not an IRSA role; the IRSA
// checks cover those.
func runTRUST02(s *Snapshot) []Finding {
	var out []Finding
	for _, w := range s.WiredRoles() {
		if w.Is(KindIRSA) || w.Role.Trust == nil {
			continue
		}
		c := firstCluster(w)
		lo := iamtrust.LintOptions{AccountID: s.Account}
		if c != nil {
			lo.Region, lo.Cluster, lo.IssuerURL = c.Region, c.Name, c.OIDCIssuer
		}
		for _, lf := range iamtrust.Lint(w.Role.Trust, lo) {
			if lf.Check != "IRSA-06" && lf.Check != "IRSA-07" {
				continue
			}
			f := newFinding("TRUST-02", lf.Severity, c, w.Role.ARN, "the "+kindsText(w)+" "+w.Role.Name+": "+lf.Message+" ("+lf.Path+", rule "+lf.Check+")")
			f.Actual = w.Role.Trust.String()
			out = append(out, f)
		}
	}
	return out
}

// policySize counts a document's characters without whitespace, as IAM
// counts them against its size quotas.
func policySize(src string) int {
	n := 0
	for _, r := range src {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// runQUOTA01 warns about wired roles whose trust policy is at 90% or more of
// the account's AssumeRolePolicySizeQuota, or whose attached policies fill
// AttachedPoliciesPerRoleQuota: the next ServiceAccount or policy fails.
func runQUOTA01(s *Snapshot) []Finding {
	q := s.Quotas
	if q == nil {
		return nil
	}
	var out []Finding
	for _, w := range s.WiredRoles() {
		r := w.Role
		if q.AssumeRolePolicySize > 0 && r.TrustSource != "" {
			size := policySize(r.TrustSource)
			if size*10 >= q.AssumeRolePolicySize*9 {
				f := newFinding("QUOTA-01", iamtrust.SeverityMedium, firstCluster(w), r.ARN,
					fmt.Sprintf("the trust policy of %s uses %d of %d characters (%d%%) of the trust policy size quota: one more ServiceAccount may not fit", r.Name, size, q.AssumeRolePolicySize, size*100/q.AssumeRolePolicySize))
				f.Expected = fmt.Sprintf("under 90%% of AssumeRolePolicySizeQuota (%d)", q.AssumeRolePolicySize)
				f.Actual = fmt.Sprintf("%d characters without whitespace", size)
				out = append(out, f)
			}
		}
		if q.AttachedPoliciesPerRole > 0 && r.PoliciesRead && len(r.AttachedPolicies) >= q.AttachedPoliciesPerRole {
			f := newFinding("QUOTA-01", iamtrust.SeverityLow, firstCluster(w), r.ARN,
				fmt.Sprintf("%s has %d managed policies attached, the quota of %d: no further policy can be attached", r.Name, len(r.AttachedPolicies), q.AttachedPoliciesPerRole))
			f.Expected = fmt.Sprintf("fewer than AttachedPoliciesPerRoleQuota (%d)", q.AttachedPoliciesPerRole)
			f.Actual = list(attachedARNs(r))
			out = append(out, f)
		}
	}
	return out
}
