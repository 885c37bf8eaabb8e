package audit

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Managed policies the requirements name.
const (
	policyCluster    = "AmazonEKSClusterPolicy"
	policyFargatePod = "AmazonEKSFargatePodExecutionRolePolicy"
)

// managedPolicyARN returns the ARN of an AWS managed policy.
func managedPolicyARN(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// newFinding starts a finding about a cluster's resource.
func newFinding(id string, sev iamtrust.Severity, c *Cluster, resource, msg string) Finding {
	f := Finding{Check: id, Severity: sev, Resource: resource, Message: msg}
	if c != nil {
		f.Region, f.Cluster = c.Region, c.ARN
	}
	return f
}

// kubeRef names a Kubernetes object of a cluster: "CLUSTER:NS/KIND/NAME".
func kubeRef(c *Cluster, ns, kind, name string) string {
	if ns == "" {
		return c.Name + ":" + kind + "/" + name
	}
	return c.Name + ":" + ns + "/" + kind + "/" + name
}

// specFor returns the spec when it describes cluster c.
func specFor(s *Snapshot, c *Cluster) *eksfargate.Spec {
	if s.Spec != nil && s.Spec.Name == c.Name && s.Spec.Region == c.Region {
		return s.Spec
	}
	return nil
}

// defaultedSpec returns a copy of the spec with its defaults filled in.
func defaultedSpec(sp *eksfargate.Spec) *eksfargate.Spec {
	return sp.Clone().Defaults()
}

// specRoleARN returns the ARN of a spec's role: the adopted ARN, or the ARN
// of the named role in the account.
func specRoleARN(s *Snapshot, r eksfargate.RoleSpec) string {
	if r.ARN != "" {
		return r.ARN
	}
	if r.Name == "" {
		return ""
	}
	path := r.Path
	if path == "" {
		path = "/"
	}
	return "arn:" + s.Partition + ":iam::" + s.Account + ":role" + path + r.Name
}

// podExecutionRoles returns the pod execution role ARNs that cluster c uses:
// those of its profiles and, for the spec's cluster, the spec's.
func podExecutionRoles(s *Snapshot, c *Cluster) []string {
	set := map[string]bool{}
	for _, p := range c.FargateProfiles {
		if p.PodExecutionRoleARN != "" {
			set[p.PodExecutionRoleARN] = true
		}
	}
	if sp := specFor(s, c); sp != nil {
		if a := specRoleARN(s, sp.PodExecutionRole); a != "" && len(c.FargateProfiles) == 0 {
			set[a] = true
		}
	}
	return sortedKeys(set)
}

// clustersUsingRole returns the clusters whose profiles use the role.
func clustersUsingRole(s *Snapshot, roleARN string) []*Cluster {
	var out []*Cluster
	for _, c := range s.Clusters {
		for _, a := range podExecutionRoles(s, c) {
			if sameRole(a, roleARN) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// sameRole compares role ARNs, ignoring paths and case (aws-auth and access
// entries may drop the path).
func sameRole(a, b string) bool {
	return strings.EqualFold(roleARNWithoutPath(a), roleARNWithoutPath(b))
}

// trustNamesIssuer reports whether a role's trust names the OIDC provider of
// issuer: as a Federated principal or in a condition key. Unparsed trusts
// are searched as text.
func trustNamesIssuer(r *Role, partition, account, issuer string) bool {
	hp := iamtrust.IssuerHostPath(issuer)
	if hp == "" {
		return false
	}
	if r.Trust == nil {
		return strings.Contains(r.TrustSource, hp)
	}
	return trustPrincipalNamesIssuer(r.Trust, issuer) || trustKeysNameIssuer(r.Trust, issuer)
}

// trustPrincipalNamesIssuer reports a Federated principal for the issuer's
// provider (in any account).
func trustPrincipalNamesIssuer(d *iamtrust.Document, issuer string) bool {
	suffix := ":oidc-provider/" + iamtrust.IssuerHostPath(issuer)
	for _, st := range d.Statement {
		if st.Principal == nil {
			continue
		}
		for _, e := range st.Principal.Entries {
			if e.Type != iamtrust.PrincipalFederated {
				continue
			}
			for _, v := range e.Values.Items {
				if strings.HasSuffix(v, suffix) {
					return true
				}
			}
		}
	}
	return false
}

// trustKeysNameIssuer reports a condition key "<issuer>:…".
func trustKeysNameIssuer(d *iamtrust.Document, issuer string) bool {
	prefix := strings.ToLower(iamtrust.IssuerHostPath(issuer) + ":")
	for _, st := range d.Statement {
		for _, c := range st.Condition {
			for _, k := range c.Keys {
				if strings.HasPrefix(strings.ToLower(k.Key), prefix) {
					return true
				}
			}
		}
	}
	return false
}

// trustedSubjects returns the exact ServiceAccount subjects that Allow
// statements for the issuer's provider name under StringEquals.
func trustedSubjects(d *iamtrust.Document, issuer string) []string {
	key := strings.ToLower(iamtrust.IssuerHostPath(issuer) + ":sub")
	set := map[string]bool{}
	for _, st := range d.Statement {
		if st.Effect != iamtrust.EffectAllow {
			continue
		}
		for _, c := range st.Condition {
			if c.Operator != "StringEquals" {
				continue
			}
			for _, k := range c.Keys {
				if strings.ToLower(k.Key) != key {
					continue
				}
				for _, v := range k.Values.Items {
					if strings.HasPrefix(v, "system:serviceaccount:") && !strings.ContainsAny(v, "*?$") {
						set[v] = true
					}
				}
			}
		}
	}
	return sortedKeys(set)
}

// parseSubject splits "system:serviceaccount:NS:NAME".
func parseSubject(sub string) (ns, name string, ok bool) {
	rest, found := strings.CutPrefix(sub, "system:serviceaccount:")
	if !found {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != ""
}

// cidrsOverlap reports whether two CIDRs overlap.
func cidrsOverlap(a, b string) bool {
	pa, err1 := netip.ParsePrefix(a)
	pb, err2 := netip.ParsePrefix(b)
	if err1 != nil || err2 != nil {
		return false
	}
	return pa.Overlaps(pb)
}

// missing returns the elements of want that are not in have.
func missing(want, have []string) []string {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	var out []string
	for _, w := range want {
		if !set[w] {
			out = append(out, w)
		}
	}
	return out
}

// list renders strings sorted and comma-separated; "(none)" when empty.
func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	c := append([]string(nil), s...)
	sort.Strings(c)
	return strings.Join(c, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// accountOfARN returns the account field of an ARN.
func accountOfARN(a string) string {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
