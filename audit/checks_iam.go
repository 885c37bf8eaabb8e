package audit

import (
	"sort"
	"strings"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

func runIAM01(s *Snapshot) []Finding {
	var out []Finding
	done := map[string]bool{}
	for _, c := range s.Clusters {
		if c.RoleARN == "" || done[c.RoleARN] {
			continue
		}
		done[c.RoleARN] = true
		r := s.Role(c.RoleARN)
		if r == nil {
			f := newFinding("IAM-01", iamtrust.SeverityHigh, c, c.RoleARN, "the cluster role does not exist: EKS cannot manage the cluster's network interfaces")
			f.Expected, f.Actual = "an IAM role trusted by eks.amazonaws.com", "not found"
			out = append(out, f)
			continue
		}
		want, err := iamtrust.ClusterRoleTrust(s.Partition)
		if err != nil {
			continue
		}
		switch {
		case r.Trust == nil:
			// POL-01 reports it; the rewrite below still applies.
			f := newFinding("IAM-01", iamtrust.SeverityHigh, c, r.ARN, "the cluster role's trust policy does not parse")
			f.Expected, f.Actual = want.String(), r.TrustSource
			f.Fix = []plan.Change{s.fixTrust(r, want, "trust policy: the documented cluster role trust", docClusterRole)}
			out = append(out, f)
		case iamtrust.Evaluate(r.Trust, iamtrust.Request{Action: iamtrust.ActionAssumeRole,
			Principal: iamtrust.Principal{Type: iamtrust.PrincipalService, Value: iamtrust.ServiceEKS}}).Decision != iamtrust.Allow:
			f := newFinding("IAM-01", iamtrust.SeverityHigh, c, r.ARN, "the cluster role's trust does not let eks.amazonaws.com assume it")
			f.Expected, f.Actual = want.String(), r.Trust.String()
			f.Fix = []plan.Change{s.fixTrust(r, want, "trust policy: the documented cluster role trust", docClusterRole)}
			out = append(out, f)
		case !iamtrust.Equal(r.Trust, want):
			sev := iamtrust.SeverityLow
			msg := "the cluster role's trust differs from the documented one"
			if others := otherPrincipals(r.Trust, iamtrust.ServiceEKS); len(others) > 0 {
				sev = iamtrust.SeverityMedium
				msg += "; it also trusts " + list(others)
			}
			f := newFinding("IAM-01", sev, c, r.ARN, msg)
			f.Expected, f.Actual = want.String(), r.Trust.String()
			f.Fix = []plan.Change{s.fixTrust(r, want, "trust policy: the documented cluster role trust", docClusterRole)}
			out = append(out, f)
		}
		if pol := managedPolicyARN(s.Partition, policyCluster); r.PoliciesRead && !r.HasPolicy(pol) {
			f := newFinding("IAM-01", iamtrust.SeverityHigh, c, r.ARN, "the cluster role lacks "+policyCluster)
			f.Expected = pol + " attached"
			f.Actual = "attached: " + list(attachedARNs(r))
			f.Fix = []plan.Change{s.fixAttachPolicy(r, pol, docClusterRole)}
			out = append(out, f)
		}
	}
	return out
}

// otherPrincipals lists the principals that Allow statements name besides
// the given service.
func otherPrincipals(d *iamtrust.Document, service string) []string {
	set := map[string]bool{}
	for _, st := range d.Statement {
		if st.Effect != iamtrust.EffectAllow {
			continue
		}
		if st.Principal == nil {
			if st.NotPrincipal != nil {
				set["NotPrincipal"] = true
			}
			continue
		}
		if st.Principal.Any {
			set["*"] = true
			continue
		}
		for _, e := range st.Principal.Entries {
			for _, v := range e.Values.Items {
				if e.Type == iamtrust.PrincipalService && strings.EqualFold(v, service) {
					continue
				}
				set[e.Type+":"+v] = true
			}
		}
	}
	return sortedKeys(set)
}

func attachedARNs(r *Role) []string {
	var out []string
	for _, p := range r.AttachedPolicies {
		out = append(out, p.ARN)
	}
	return out
}

// fargateProfileSample returns a profile ARN of cluster c, for evaluating
// aws:SourceArn conditions.
func fargateProfileSample(s *Snapshot, c *Cluster) string {
	for _, p := range c.FargateProfiles {
		if p.ARN != "" {
			return p.ARN
		}
	}
	return "arn:" + s.Partition + ":eks:" + c.Region + ":" + s.Account + ":fargateprofile/" + c.Name + "/profile/00000000-0000-0000-0000-000000000000"
}

func runIAM02(s *Snapshot) []Finding {
	var out []Finding
	done := map[string]bool{}
	for _, c := range s.Clusters {
		for _, roleARN := range podExecutionRoles(s, c) {
			r := s.Role(roleARN)
			if r == nil || done[r.ARN] {
				continue // IAM-03 reports a missing role
			}
			done[r.ARN] = true
			if r.Trust == nil {
				continue // POL-01
			}
			users := clustersUsingRole(s, r.ARN)
			if len(users) == 0 {
				users = []*Cluster{c}
			}
			want, err := fargateTrustFor(s, r, users)
			if err != nil {
				continue
			}
			fix := s.fixTrust(r, want, "trust policy: scope eks-fargate-pods.amazonaws.com with aws:SourceArn", docPodExecRole)
			// Can EKS Fargate assume the role for each cluster?
			for _, u := range users {
				req := iamtrust.Request{Action: iamtrust.ActionAssumeRole,
					Principal: iamtrust.Principal{Type: iamtrust.PrincipalService, Value: iamtrust.ServiceEKSFargatePods},
					Context:   map[string][]string{"aws:SourceArn": {fargateProfileSample(s, u)}, "aws:SourceAccount": {s.Account}}}
				if iamtrust.Evaluate(r.Trust, req).Decision != iamtrust.Allow {
					f := newFinding("IAM-02", iamtrust.SeverityHigh, u, r.ARN, "the pod execution role's trust does not let eks-fargate-pods.amazonaws.com assume it for the cluster's profiles: Fargate pods cannot start")
					f.Expected, f.Actual = want.String(), r.Trust.String()
					f.Fix = []plan.Change{fix}
					out = append(out, f)
				}
			}
			// Is the trust scoped? Lint knows the rule; with several
			// clusters it checks the account and region only.
			lo := iamtrust.LintOptions{AccountID: s.Account}
			if len(users) == 1 {
				lo.Region, lo.Cluster = users[0].Region, users[0].Name
			}
			for _, lf := range iamtrust.Lint(r.Trust, lo) {
				if lf.Check != "IAM-02" {
					continue
				}
				f := newFinding("IAM-02", lf.Severity, c, r.ARN, lf.Message+" ("+lf.Path+")")
				f.Expected, f.Actual = want.String(), r.Trust.String()
				f.Fix = []plan.Change{fix}
				out = append(out, f)
			}
		}
	}
	return out
}

// fargateTrustFor builds the documented pod execution trust for the
// clusters that use the role, keeping the aws:SourceArn patterns the trust
// already has for other clusters of this account (which the audit may not
// see), so that the rewrite breaks none of them.
func fargateTrustFor(s *Snapshot, r *Role, users []*Cluster) (*iamtrust.Document, error) {
	sort.Slice(users, func(i, j int) bool { return users[i].ARN < users[j].ARN })
	doc, err := iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Partition: s.Partition, Region: users[0].Region, AccountID: s.Account, Cluster: users[0].Name})
	if err != nil {
		return nil, err
	}
	patterns := map[string]bool{}
	for _, u := range users {
		patterns[iamtrust.FargateProfileARNPattern(s.Partition, u.Region, s.Account, u.Name)] = true
	}
	prefix := "arn:" + s.Partition + ":eks:"
	for _, st := range r.Trust.Statement {
		for _, cond := range st.Condition {
			if !strings.HasPrefix(cond.Operator, "Arn") {
				continue
			}
			for _, k := range cond.Keys {
				if !strings.EqualFold(k.Key, "aws:SourceArn") {
					continue
				}
				for _, v := range k.Values.Items {
					// Keep only patterns for one named cluster of this account.
					rest, ok := strings.CutPrefix(v, prefix)
					if !ok {
						continue
					}
					parts := strings.SplitN(rest, ":", 3)
					if len(parts) != 3 || parts[1] != s.Account || strings.ContainsAny(parts[0], "*?") {
						continue
					}
					name, ok := strings.CutPrefix(parts[2], "fargateprofile/")
					if !ok {
						continue
					}
					cl, _, _ := strings.Cut(name, "/")
					if cl == "" || strings.ContainsAny(cl, "*?") {
						continue
					}
					patterns[iamtrust.FargateProfileARNPattern(s.Partition, parts[0], s.Account, cl)] = true
				}
			}
		}
	}
	if len(patterns) > 1 {
		doc.Statement[0].Condition[0].Keys[0].Values = iamtrust.List(sortedKeys(patterns)...)
	}
	return doc, nil
}

// ecrPullActions are what Fargate needs to pull images from ECR.
var ecrPullActions = []string{"ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}

// ecrManagedPolicies are AWS managed policies known to grant ECR pulls.
var ecrManagedPolicies = []string{
	policyFargatePod, "AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly",
	"AmazonEC2ContainerRegistryPowerUser", "AmazonEC2ContainerRegistryFullAccess", "AdministratorAccess",
}

// canPullImages reports whether the role's policies grant the ECR pulls.
func canPullImages(s *Snapshot, r *Role) bool {
	for _, name := range ecrManagedPolicies {
		if r.HasPolicy(managedPolicyARN(s.Partition, name)) {
			return true
		}
	}
	var docs []*iamtrust.Document
	for _, p := range r.InlinePolicies {
		if p.Doc != nil {
			docs = append(docs, p.Doc)
		}
	}
	for _, ap := range r.AttachedPolicies {
		if mp := s.Policies[ap.ARN]; mp != nil && mp.Doc != nil {
			docs = append(docs, mp.Doc)
		}
	}
	for _, action := range ecrPullActions {
		allowed, denied := false, false
		for _, d := range docs {
			switch iamtrust.Evaluate(d, iamtrust.Request{Action: action}).Decision {
			case iamtrust.Allow:
				allowed = true
			case iamtrust.ExplicitDeny:
				denied = true
			}
		}
		if !allowed || denied {
			return false
		}
	}
	return true
}

func runIAM03(s *Snapshot) []Finding {
	var out []Finding
	done := map[string]bool{}
	for _, c := range s.Clusters {
		for _, roleARN := range podExecutionRoles(s, c) {
			if done[roleARN] {
				continue
			}
			done[roleARN] = true
			r := s.Role(roleARN)
			if r == nil {
				if accountOfARN(roleARN) != s.Account {
					f := newFinding("IAM-03", iamtrust.SeverityInfo, c, roleARN, "the pod execution role is in another account; its policies were not checked")
					out = append(out, f)
					continue
				}
				f := newFinding("IAM-03", iamtrust.SeverityHigh, c, roleARN, "the pod execution role does not exist: Fargate pods cannot start")
				f.Expected, f.Actual = "an IAM role with "+policyFargatePod, "not found"
				out = append(out, f)
				continue
			}
			if r.Path != "/" {
				f := newFinding("IAM-03", iamtrust.SeverityHigh, c, r.ARN, "the pod execution role's path is "+r.Path+"; EKS requires /")
				f.Expected, f.Actual = "path /", "path "+r.Path
				out = append(out, f)
			}
			if r.PoliciesRead && !canPullImages(s, r) {
				pol := managedPolicyARN(s.Partition, policyFargatePod)
				f := newFinding("IAM-03", iamtrust.SeverityHigh, c, r.ARN, "the pod execution role cannot pull images from ECR ("+strings.Join(ecrPullActions, ", ")+")")
				f.Expected = pol + " attached (or policies allowing " + strings.Join(ecrPullActions, ", ") + ")"
				f.Actual = "attached: " + list(attachedARNs(r))
				f.Fix = []plan.Change{s.fixAttachPolicy(r, pol, docPodExecRole)}
				out = append(out, f)
			}
		}
	}
	return out
}

// fargateNodeGroups are the groups EKS gives the pod execution role in
// aws-auth; the first two are what a node needs to join.
var fargateNodeGroups = []string{"system:bootstrappers", "system:nodes", "system:node-proxier"}

func runIAM04(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		for _, roleARN := range podExecutionRoles(s, c) {
			viaConfigMap, viaAPI := false, false
			var partial *AWSAuthMapping
			if c.AuthenticationMode != access.AuthModeAPI && c.Kube != nil && c.Kube.AWSAuth != nil {
				for i, m := range c.Kube.AWSAuth.MapRoles {
					if !sameRole(m.ARN, roleARN) {
						continue
					}
					if contains(m.Groups, "system:bootstrappers") && contains(m.Groups, "system:nodes") {
						viaConfigMap = true
					} else {
						partial = &c.Kube.AWSAuth.MapRoles[i]
					}
				}
			}
			if c.AuthenticationMode != access.AuthModeConfigMap {
				for _, e := range c.AccessEntries {
					if e.Type == "FARGATE_LINUX" && sameRole(e.PrincipalARN, roleARN) {
						viaAPI = true
					}
				}
			}
			if viaConfigMap || viaAPI {
				continue
			}
			f := newFinding("IAM-04", iamtrust.SeverityHigh, c, roleARN, "the pod execution role is not registered for the cluster: Fargate pods stay Pending")
			switch c.AuthenticationMode {
			case access.AuthModeConfigMap:
				f.Expected = "aws-auth mapRoles entry for " + roleARN + " with username " + access.FargateNodeUsername + " and groups " + strings.Join(fargateNodeGroups, ", ")
				f.Actual = "no such entry"
				if partial != nil {
					f.Actual = "entry with username " + partial.Username + " and groups " + list(partial.Groups)
				} else {
					f.Fix = []plan.Change{s.fixAWSAuthNodeMapping(c, roleARN)}
				}
			default:
				f.Expected = "a FARGATE_LINUX access entry for " + roleARN
				f.Actual = "no such entry"
				f.Fix = []plan.Change{s.fixFargateAccessEntry(c, roleARN)}
			}
			out = append(out, f)
		}
	}
	return out
}

// adminAllowed reports whether the spec allows cluster-admin for the ARN.
func adminAllowed(sp *eksfargate.Spec, arn string) bool {
	if sp == nil {
		return false
	}
	for _, m := range sp.Access.Mappings {
		if m.AllowClusterAdmin && (sameRole(m.ARN, arn) || strings.EqualFold(m.ARN, arn)) {
			return true
		}
	}
	return false
}

func runIAM05(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		sp := specFor(s, c)
		sev, why := iamtrust.SeverityHigh, "the spec does not allow it (allowClusterAdmin)"
		if sp == nil {
			sev, why = iamtrust.SeverityMedium, "no spec allows it"
		}
		expected := "no cluster-admin mapping unless the spec sets allowClusterAdmin"
		if c.AuthenticationMode != access.AuthModeAPI && c.Kube != nil && c.Kube.AWSAuth != nil {
			for _, group := range []struct {
				key string
				ms  []AWSAuthMapping
			}{{"mapRoles", c.Kube.AWSAuth.MapRoles}, {"mapUsers", c.Kube.AWSAuth.MapUsers}} {
				for _, m := range group.ms {
					if !contains(m.Groups, access.GroupSystemMasters) || adminAllowed(sp, m.ARN) {
						continue
					}
					f := newFinding("IAM-05", sev, c, m.ARN, "aws-auth "+group.key+" maps "+m.ARN+" to system:masters; "+why)
					f.Expected = expected
					f.Actual = "aws-auth " + group.key + ": username " + m.Username + ", groups " + list(m.Groups)
					if !strings.HasPrefix(m.ARN, "sso:") && !strings.HasPrefix(m.Username, "system:node:") {
						f.Fix = []plan.Change{s.fixAWSAuthRemove(c, m.ARN)}
					}
					out = append(out, f)
				}
			}
		}
		if c.AuthenticationMode != access.AuthModeConfigMap {
			adminPolicy := "arn:" + s.Partition + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
			for _, e := range c.AccessEntries {
				if adminAllowed(sp, e.PrincipalARN) {
					continue
				}
				if contains(e.KubernetesGroups, access.GroupSystemMasters) {
					f := newFinding("IAM-05", sev, c, e.PrincipalARN, "the access entry of "+e.PrincipalARN+" has the Kubernetes group system:masters; "+why)
					f.Expected = expected
					f.Actual = "kubernetesGroups " + list(e.KubernetesGroups)
					f.Fix = []plan.Change{s.fixAccessEntryGroups(c, e)}
					out = append(out, f)
				}
				for _, p := range e.Policies {
					if p.PolicyARN != adminPolicy {
						continue
					}
					f := newFinding("IAM-05", sev, c, e.PrincipalARN, "the access entry of "+e.PrincipalARN+" is associated with AmazonEKSClusterAdminPolicy ("+p.ScopeType+" scope); "+why)
					f.Expected = expected
					f.Actual = p.PolicyARN + " (" + p.ScopeType + " scope)"
					f.Fix = []plan.Change{s.fixDisassociateAdmin(c, e, p.PolicyARN)}
					out = append(out, f)
				}
			}
		}
	}
	return out
}
