package audit

import (
	"slices"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
)

const (
	docRBAC      = "https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html"
	docIRSAScope = "https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html"
)

// accessMaps builds the access map of every cluster of the view once per
// check run.
func accessMaps(s *Snapshot) []*AccessMap {
	out := make([]*AccessMap, 0, len(s.Clusters))
	for _, c := range s.Clusters {
		out = append(out, BuildAccessMap(s, c))
	}
	return out
}

// runACC01 reports principals that are cluster-admin-equivalent through
// RBAC (a ClusterRoleBinding to a ClusterRole with every verb on every
// resource, custom or cluster-admin itself) that the spec does not declare.
// system:masters and AmazonEKSClusterAdminPolicy are IAM-05's.
func runACC01(s *Snapshot) []Finding {
	var out []Finding
	for i, m := range accessMaps(s) {
		c := s.Clusters[i]
		sp := specFor(s, c)
		sev, why := iamtrust.SeverityHigh, "the spec does not allow it (allowClusterAdmin)"
		if sp == nil {
			sev, why = iamtrust.SeverityMedium, "no spec allows it"
		}
		for _, p := range m.Principals {
			if !p.ClusterAdmin || adminAllowed(sp, p.ARN) {
				continue
			}
			// system:masters (bound to cluster-admin by Kubernetes itself)
			// and AmazonEKSClusterAdminPolicy are IAM-05's.
			if slices.ContainsFunc(p.ClusterAdminVia, func(v string) bool {
				return v == "group system:masters" || strings.HasPrefix(v, "access policy AmazonEKSClusterAdminPolicy")
			}) {
				continue
			}
			var rbac []string
			for _, v := range p.ClusterAdminVia {
				if strings.HasPrefix(v, "ClusterRoleBinding ") {
					rbac = append(rbac, v)
				}
			}
			if len(rbac) == 0 {
				continue
			}
			f := newFinding("ACC-01", sev, c, p.ARN, p.ARN+" is cluster-admin-equivalent through RBAC ("+strings.Join(rbac, "; ")+"); "+why)
			f.Expected = "no cluster-admin path unless the spec sets allowClusterAdmin for the principal"
			f.Actual = p.ARN + " → Kubernetes user " + p.Username + groupsText(p.Groups) + " → " + strings.Join(rbac, "; ")
			out = append(out, f)
		}
	}
	return out
}

// runACC02 reports principals without cluster-admin that reach an
// admin-equivalent or privilege-escalating IAM role by creating pods: the
// path people forget.
func runACC02(s *Snapshot) []Finding {
	var out []Finding
	for i, m := range accessMaps(s) {
		c := s.Clusters[i]
		byRole := map[string]AccessServiceAccount{}
		for _, sa := range m.ServiceAccounts {
			byRole[sa.RoleARN] = sa
		}
		for _, p := range m.Principals {
			if p.ClusterAdmin || !(p.ReachableAdmin || p.ReachableEscalation) {
				continue
			}
			for _, path := range p.Paths {
				sa := byRole[path.Role]
				if !sa.AdminEquivalent && !slices.Contains(sa.Capabilities, iamtrust.CapabilityEscalation) {
					continue
				}
				f := newFinding("ACC-02", iamtrust.SeverityHigh, c, p.ARN,
					p.ARN+" is not cluster-admin but reaches "+path.Role+" ("+strings.Join(sa.Capabilities, ", ")+") by creating pods in "+sa.Namespace)
				f.Expected = "no path from a principal to an admin-equivalent or privilege-escalating IAM role"
				f.Actual = strings.Join(path.Steps, " → ")
				out = append(out, f)
			}
		}
	}
	return out
}

// runACC03 reports IRSA roles annotated on a ServiceAccount whose trust
// also names ServiceAccounts of other namespaces. A trust without a sub
// condition, or with a pattern, is IRSA-02's and IRSA-04's.
func runACC03(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil || c.OIDCIssuer == "" {
			continue
		}
		done := map[string]bool{}
		for _, sa := range c.Kube.ServiceAccounts {
			r := s.Role(sa.RoleARN)
			if sa.RoleARN == "" || r == nil || r.Trust == nil || done[r.ARN+"\x00"+sa.Namespace] {
				continue
			}
			done[r.ARN+"\x00"+sa.Namespace] = true
			var others []string
			for _, sub := range trustedSubjects(r.Trust, c.OIDCIssuer) {
				if ns, _, ok := parseSubject(sub); ok && ns != sa.Namespace && !hasAnyWildcard(ns) {
					others = append(others, sub)
				}
			}
			if len(others) == 0 {
				continue
			}
			f := newFinding("ACC-03", iamtrust.SeverityMedium, c, r.ARN,
				"the role of ServiceAccount "+sa.Namespace+"/"+sa.Name+" also trusts ServiceAccounts of other namespaces: "+strings.Join(others, ", "))
			f.Expected = "a trust that admits only the namespace(s) whose workloads use the role"
			f.Actual = r.Trust.String()
			out = append(out, f)
		}
	}
	return out
}

func hasAnyWildcard(s string) bool { return strings.ContainsAny(s, "*?") }
