package audit

import (
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// irsaInUse reports whether anything of cluster c relies on IRSA.
func irsaInUse(s *Snapshot, c *Cluster) bool {
	if c.Kube != nil {
		for _, sa := range c.Kube.ServiceAccounts {
			if sa.RoleARN != "" {
				return true
			}
		}
	}
	for _, a := range c.Addons {
		if a.ServiceAccountRoleARN != "" {
			return true
		}
	}
	if sp := specFor(s, c); sp != nil && len(sp.IRSA.ServiceAccounts) > 0 {
		return true
	}
	return false
}

func runIRSA01(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.OIDCIssuer == "" {
			continue
		}
		sev := iamtrust.SeverityMedium
		impact := "no pod can use IAM roles for service accounts"
		if irsaInUse(s, c) {
			sev = iamtrust.SeverityHigh
			impact = "ServiceAccounts annotated with roles cannot assume them"
		}
		p := s.OIDCProviderFor(c.OIDCIssuer)
		provARN := iamtrust.OIDCProviderARN(s.Partition, s.Account, c.OIDCIssuer)
		switch {
		case p == nil:
			f := newFinding("IRSA-01", sev, c, provARN, "no IAM OIDC provider for the cluster's issuer: "+impact)
			f.Expected = "IAM OIDC provider " + provARN + " with client ID " + iamtrust.STSAudience
			f.Actual = "not found"
			f.Fix = []plan.Change{s.fixCreateOIDCProvider(c)}
			out = append(out, f)
		case !contains(p.ClientIDs, iamtrust.STSAudience):
			f := newFinding("IRSA-01", sev, c, p.ARN, "the IAM OIDC provider lacks the client ID "+iamtrust.STSAudience+": "+impact)
			f.Expected = "client IDs include " + iamtrust.STSAudience
			f.Actual = "client IDs " + list(p.ClientIDs)
			f.Fix = []plan.Change{s.fixAddClientID(c, p)}
			out = append(out, f)
		}
	}
	return out
}

// irsaRoles returns the roles whose trust concerns cluster c's issuer and
// that no other audited cluster's issuer claims as its principal.
func irsaRoles(s *Snapshot, c *Cluster) []*Role {
	var out []*Role
	for _, r := range s.Roles {
		if r.Trust == nil || !trustNamesIssuer(r, s.Partition, s.Account, c.OIDCIssuer) {
			continue
		}
		if !trustPrincipalNamesIssuer(r.Trust, c.OIDCIssuer) {
			claimed := false
			for _, o := range s.Clusters {
				if o != c && o.OIDCIssuer != "" && trustPrincipalNamesIssuer(r.Trust, o.OIDCIssuer) {
					claimed = true
				}
			}
			if claimed {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// runIRSALint returns the Run function of an IRSA check that iamtrust.Lint
// implements: it lints every role whose trust names a cluster's issuer.
func runIRSALint(id string) func(*Snapshot) []Finding {
	return func(s *Snapshot) []Finding {
		var out []Finding
		for _, c := range s.Clusters {
			if c.OIDCIssuer == "" {
				continue
			}
			for _, r := range irsaRoles(s, c) {
				lo := iamtrust.LintOptions{AccountID: s.Account, Region: c.Region, Cluster: c.Name, IssuerURL: c.OIDCIssuer}
				var fix []plan.Change
				var grants bool
				fixDone := false
				for _, lf := range iamtrust.Lint(r.Trust, lo) {
					if lf.Check != id {
						continue
					}
					f := newFinding(id, lf.Severity, c, r.ARN, lf.Message+" ("+lf.Path+")")
					f.Actual = r.Trust.String()
					if (id == "IRSA-04" || id == "IRSA-08") && !fixDone {
						fixDone = true
						if why, gone := s.partUnavailable(PartServiceAccounts, c); gone {
							f.FixUnavailable = "the fix rewrites the trust for the ServiceAccounts annotated with the role, which could not be read: " + why
						} else if doc, more, ok := irsaRewrite(s, c, r, nil); ok {
							fix = []plan.Change{s.fixTrust(r, doc, "trust policy: exact subjects of the ServiceAccounts annotated with the role", docIRSATrust)}
							grants = more
							f.Expected = doc.String()
						}
					}
					f.Fix, f.GrantsMore = fix, grants
					if len(out) > 0 && out[len(out)-1].Resource == f.Resource && out[len(out)-1].FixUnavailable != "" {
						f.FixUnavailable = out[len(out)-1].FixUnavailable
					}
					out = append(out, f)
				}
			}
		}
		return out
	}
}

// annotatedWith returns cluster c's ServiceAccounts annotated with role r.
func annotatedWith(c *Cluster, r *Role) []iamtrust.ServiceAccount {
	var out []iamtrust.ServiceAccount
	if c.Kube == nil {
		return nil
	}
	for _, sa := range c.Kube.ServiceAccounts {
		if sa.RoleARN != "" && sameRole(sa.RoleARN, r.ARN) {
			out = append(out, iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name})
		}
	}
	return out
}

// specDeclares reports whether the spec lists the ServiceAccount for the
// role.
func specDeclares(s *Snapshot, c *Cluster, r *Role, sa iamtrust.ServiceAccount) bool {
	sp := specFor(s, c)
	if sp == nil {
		return false
	}
	for _, sr := range sp.IRSA.ServiceAccounts {
		name := sr.RoleName
		if name == "" {
			name = irsa.DefaultRoleName(c.Name, sr.Namespace, sr.Name)
		}
		if name != r.Name {
			continue
		}
		for _, ref := range sr.ServiceAccounts() {
			if ref.Namespace == sa.Namespace && ref.Name == sa.Name {
				return true
			}
		}
	}
	return false
}

// saRequest is the web-identity request of a ServiceAccount's pod.
func saRequest(s *Snapshot, c *Cluster, sa iamtrust.ServiceAccount, aud string) iamtrust.Request {
	hp := iamtrust.IssuerHostPath(c.OIDCIssuer)
	if aud == "" {
		aud = iamtrust.STSAudience
	}
	return iamtrust.Request{
		Action:    iamtrust.ActionAssumeRoleWithWebIdentity,
		Principal: iamtrust.Principal{Type: iamtrust.PrincipalFederated, Value: iamtrust.OIDCProviderARN(s.Partition, s.Account, c.OIDCIssuer)},
		Context: map[string][]string{
			hp + ":sub": {sa.Subject()},
			hp + ":aud": {aud},
		},
	}
}

// irsaRewrite builds the trust of role r for cluster c's issuer with exact
// subjects: those the trust already names exactly, the ServiceAccounts
// annotated with the role, and extra. Statements for other issuers are
// kept. more reports whether a subject gains access it did not have and the
// spec does not declare. ok is false when no subject is known.
func irsaRewrite(s *Snapshot, c *Cluster, r *Role, extra []iamtrust.ServiceAccount) (doc *iamtrust.Document, more, ok bool) {
	set := map[string]iamtrust.ServiceAccount{}
	for _, sub := range trustedSubjects(r.Trust, c.OIDCIssuer) {
		if ns, name, ok := parseSubject(sub); ok {
			set[sub] = iamtrust.ServiceAccount{Namespace: ns, Name: name}
		}
	}
	for _, sa := range append(annotatedWith(c, r), extra...) {
		set[sa.Subject()] = sa
	}
	if len(set) == 0 {
		return nil, false, false
	}
	var sas []iamtrust.ServiceAccount
	for _, k := range sortedKeysOf(set) {
		sa := set[k]
		sas = append(sas, sa)
		if iamtrust.Evaluate(r.Trust, saRequest(s, c, sa, "")).Decision != iamtrust.Allow && !specDeclares(s, c, r, sa) {
			more = true
		}
	}
	doc, err := iamtrust.IRSATrust(iamtrust.IRSA{Partition: s.Partition, AccountID: s.Account, IssuerURL: c.OIDCIssuer, ServiceAccounts: sas})
	if err != nil {
		return nil, false, false
	}
	for _, st := range r.Trust.Clone().Statement {
		one := &iamtrust.Document{Version: iamtrust.VersionCurrent, Statement: []iamtrust.Statement{st}}
		if trustPrincipalNamesIssuer(one, c.OIDCIssuer) || trustKeysNameIssuer(one, c.OIDCIssuer) {
			continue
		}
		doc.Statement = append(doc.Statement, st)
	}
	return doc, more, true
}

func runIRSA09(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil || c.OIDCIssuer == "" {
			continue
		}
		fixes := map[string][]plan.Change{}
		for _, sa := range c.Kube.ServiceAccounts {
			if sa.RoleARN == "" {
				continue
			}
			res := kubeRef(c, sa.Namespace, "ServiceAccount", sa.Name)
			r := s.Role(sa.RoleARN)
			ref := iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name}
			switch {
			case r == nil && accountOfARN(sa.RoleARN) != s.Account:
				f := newFinding("IRSA-09", iamtrust.SeverityInfo, c, res, "annotated with "+sa.RoleARN+", a role in another account: its trust was not checked")
				out = append(out, f)
			case r == nil:
				f := newFinding("IRSA-09", iamtrust.SeverityHigh, c, res, "annotated with "+sa.RoleARN+", which does not exist")
				f.Expected, f.Actual = "an existing role that trusts "+ref.Subject(), "role not found"
				out = append(out, f)
			case r.Trust == nil:
				f := newFinding("IRSA-09", iamtrust.SeverityMedium, c, res, "annotated with "+r.ARN+", whose trust policy does not parse (see POL-01)")
				out = append(out, f)
			default:
				res2 := iamtrust.Evaluate(r.Trust, saRequest(s, c, ref, sa.Audience))
				if res2.Decision == iamtrust.Allow {
					continue
				}
				if _, ok := fixes[r.ARN]; !ok {
					if doc, _, ok := irsaRewrite(s, c, r, nil); ok {
						fixes[r.ARN] = []plan.Change{s.fixTrust(r, doc, "trust policy: allow the ServiceAccounts annotated with the role", docIRSAAssociate)}
					} else {
						fixes[r.ARN] = nil
					}
				}
				f := newFinding("IRSA-09", iamtrust.SeverityHigh, c, res, "annotated with "+r.ARN+", whose trust does not let "+ref.Subject()+" assume it ("+res2.Decision.String()+")")
				f.Expected = "the trust allows sts:AssumeRoleWithWebIdentity for " + ref.Subject() + " with audience " + orDefault(sa.Audience, iamtrust.STSAudience)
				f.Actual = r.Trust.String()
				f.Fix = fixes[r.ARN]
				f.GrantsMore = !specDeclares(s, c, r, ref)
				out = append(out, f)
			}
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func runIRSA10(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil || c.OIDCIssuer == "" {
			continue
		}
		exists := map[string]bool{}
		for _, sa := range c.Kube.ServiceAccounts {
			exists[sa.Namespace+"/"+sa.Name] = true
		}
		for _, r := range irsaRoles(s, c) {
			var gone []string
			for _, sub := range trustedSubjects(r.Trust, c.OIDCIssuer) {
				if ns, name, ok := parseSubject(sub); ok && !exists[ns+"/"+name] {
					gone = append(gone, ns+"/"+name)
				}
			}
			if len(gone) == 0 {
				continue
			}
			f := newFinding("IRSA-10", iamtrust.SeverityLow, c, r.ARN, "the trust names ServiceAccounts that do not exist in "+c.Name+": "+strings.Join(gone, ", "))
			f.Expected = "only existing ServiceAccounts"
			f.Actual = "missing: " + strings.Join(gone, ", ")
			out = append(out, f)
		}
	}
	return out
}

func runIRSA11(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil {
			continue
		}
		var awsNode *ServiceAccount
		for i, sa := range c.Kube.ServiceAccounts {
			if sa.Namespace == "kube-system" && sa.Name == "aws-node" {
				awsNode = &c.Kube.ServiceAccounts[i]
			}
		}
		if awsNode == nil || awsNode.RoleARN != "" {
			continue
		}
		if a := c.Addon("vpc-cni"); a != nil && a.ServiceAccountRoleARN != "" {
			continue
		}
		f := newFinding("IRSA-11", iamtrust.SeverityInfo, c, kubeRef(c, "kube-system", "ServiceAccount", "aws-node"),
			"aws-node has no IRSA role of its own; on a Fargate-only cluster it never runs")
		f.Expected = "vpc-cni serviceAccountRoleArn with AmazonEKS_CNI_Policy"
		f.Actual = "no role"
		out = append(out, f)
	}
	return out
}
