package audit

import (
	"sort"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/suggest"
)

// Link is one link of the chain from a ServiceAccount to its IAM role.
type Link struct {
	// Name of the link, such as "annotation" or "trust: sub and aud".
	Name string `json:"name"`
	// OK is true when the link holds.
	OK bool `json:"ok"`
	// Detail says what was found.
	Detail string `json:"detail"`
	// Fix says how to repair a broken link.
	Fix string `json:"fix,omitempty"`
}

// Explanation is why pods of a ServiceAccount can or cannot assume their
// IAM role, link by link; `fargatekit access why` prints it.
type Explanation struct {
	// Cluster is the cluster's ARN.
	Cluster string `json:"cluster"`
	// Namespace and Name of the ServiceAccount.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// RoleARN is the annotated role, if any.
	RoleARN string `json:"roleArn,omitempty"`
	// Links in order; those after the first broken one are still checked
	// where they can be.
	Links []Link `json:"links"`
	// Broken is the name of the first broken link; empty when pods of the
	// ServiceAccount can assume their role.
	Broken string `json:"broken,omitempty"`
}

// Explain checks every link from a ServiceAccount of cluster c to its IAM
// role: the annotation, the role, the cluster's OIDC provider, the trust's
// Federated principal, its condition keys, sub and aud, the Fargate profile
// that schedules the pods, and what the role may then do. It is pure.
func Explain(s *Snapshot, c *Cluster, namespace, name string) *Explanation {
	if s.roleIndex == nil {
		s.index()
	}
	e := &Explanation{Cluster: c.ARN, Namespace: namespace, Name: name}
	add := func(l Link) {
		e.Links = append(e.Links, l)
		if !l.OK && e.Broken == "" {
			e.Broken = l.Name
		}
	}
	subject := "system:serviceaccount:" + namespace + ":" + name
	var sa *ServiceAccount
	if c.Kube != nil {
		for i := range c.Kube.ServiceAccounts {
			if k := &c.Kube.ServiceAccounts[i]; k.Namespace == namespace && k.Name == name {
				sa = k
			}
		}
	}
	switch {
	case c.Kube == nil || c.Kube.ServiceAccounts == nil && c.Kube.Namespaces == nil:
		add(Link{Name: "annotation", Detail: "the cluster's ServiceAccounts could not be read", Fix: "check the kubeconfig and that it may list serviceaccounts"})
		return e
	case sa == nil:
		add(Link{Name: "annotation", Detail: "the ServiceAccount " + namespace + "/" + name + " does not exist", Fix: "create it (kubectl create serviceaccount -n " + namespace + " " + name + ") and annotate it"})
		return e
	case sa.RoleARN == "":
		add(Link{Name: "annotation", Detail: "no " + AnnotationRoleARN + " annotation", Fix: "kubectl annotate serviceaccount -n " + namespace + " " + name + " " + AnnotationRoleARN + "=arn:aws:iam::ACCOUNT:role/ROLE, then restart its pods"})
		return e
	}
	e.RoleARN = sa.RoleARN
	add(Link{Name: "annotation", OK: true, Detail: AnnotationRoleARN + "=" + sa.RoleARN})

	r := s.Role(sa.RoleARN)
	if r == nil {
		fix := "create the role, or fix the annotation"
		if best := closestRole(s, sa.RoleARN); best != "" {
			fix = "did you mean " + best + "? fix the annotation, or create the role"
		}
		add(Link{Name: "role", Detail: "no role " + sa.RoleARN + " in account " + s.Account, Fix: fix})
		return e
	}
	add(Link{Name: "role", OK: true, Detail: r.ARN + " exists"})

	issuer := c.OIDCIssuer
	provARN := iamtrust.OIDCProviderARN(s.Partition, s.Account, issuer)
	p := s.OIDCProviderFor(issuer)
	switch {
	case issuer == "":
		add(Link{Name: "OIDC provider", Detail: "the cluster has no OIDC issuer", Fix: "IRSA needs a cluster with an OIDC issuer"})
	case p == nil:
		add(Link{Name: "OIDC provider", Detail: "no IAM OIDC provider for " + issuer, Fix: "fargatekit fix --check IRSA-01 (or create " + provARN + " with client ID sts.amazonaws.com)"})
	case !contains(p.ClientIDs, iamtrust.STSAudience):
		add(Link{Name: "OIDC provider", Detail: p.ARN + " lacks the client ID sts.amazonaws.com (has " + list(p.ClientIDs) + ")", Fix: "fargatekit fix --check IRSA-01 adds it"})
	default:
		add(Link{Name: "OIDC provider", OK: true, Detail: p.ARN + " with client ID sts.amazonaws.com"})
	}

	if r.Trust == nil {
		add(Link{Name: "trust: Federated principal", Detail: "the trust policy does not parse: " + r.TrustError, Fix: "rewrite the trust in the documented grammar"})
		return e
	}
	hp := iamtrust.IssuerHostPath(issuer)
	var feds []string
	for _, st := range r.Trust.Statement {
		if st.Principal == nil {
			continue
		}
		for _, en := range st.Principal.Entries {
			if en.Type == iamtrust.PrincipalFederated {
				feds = append(feds, en.Values.Items...)
			}
		}
	}
	if contains(feds, provARN) {
		add(Link{Name: "trust: Federated principal", OK: true, Detail: "the trust names " + provARN})
	} else {
		detail := "the trust names no Federated principal"
		if len(feds) > 0 {
			detail = "the trust names " + list(feds) + ", not this cluster's provider"
		}
		add(Link{Name: "trust: Federated principal", Detail: detail, Fix: `set "Principal": {"Federated": "` + provARN + `"}`})
	}

	lo := iamtrust.LintOptions{AccountID: s.Account, Region: c.Region, Cluster: c.Name, IssuerURL: issuer}
	var keyProblems, subProblems []string
	for _, lf := range iamtrust.Lint(r.Trust, lo) {
		switch lf.Check {
		case "IRSA-08":
			keyProblems = append(keyProblems, lf.Message)
		case "IRSA-02", "IRSA-03", "IRSA-05":
			subProblems = append(subProblems, lf.Message)
		}
	}
	for _, st := range r.Trust.Statement {
		for _, cond := range st.Condition {
			for _, k := range cond.Keys {
				low := strings.ToLower(k.Key)
				if strings.HasPrefix(low, "arn:") || strings.HasPrefix(low, "https://") {
					keyProblems = append(keyProblems, "condition key "+k.Key+" has an arn: or https:// prefix; IAM's keys are "+hp+":sub and "+hp+":aud")
				}
			}
		}
	}
	if len(keyProblems) > 0 {
		sort.Strings(keyProblems)
		add(Link{Name: "trust: condition keys", Detail: strings.Join(keyProblems, "; "), Fix: "use " + hp + ":sub and " + hp + ":aud (fargatekit fix --check IRSA-08)"})
	} else {
		add(Link{Name: "trust: condition keys", OK: true, Detail: "the keys name " + hp})
	}

	aud := sa.Audience
	if aud == "" {
		aud = iamtrust.STSAudience
	}
	res := iamtrust.Evaluate(r.Trust, saRequest(s, c, iamtrust.ServiceAccount{Namespace: namespace, Name: name}, sa.Audience))
	if res.Decision == iamtrust.Allow {
		add(Link{Name: "trust: sub and aud", OK: true, Detail: "the trust admits " + subject + " with audience " + aud})
	} else {
		var why []string
		for _, st := range res.Statements {
			why = append(why, "Statement["+itoa(st.Index)+"]: "+st.Reason)
		}
		why = append(why, subProblems...)
		add(Link{Name: "trust: sub and aud", Detail: "the trust does not admit " + subject + " with audience " + aud + " (" + res.Decision.String() + "): " + strings.Join(why, "; "),
			Fix: `add "StringEquals": {"` + hp + `:sub": "` + subject + `", "` + hp + `:aud": "sts.amazonaws.com"} (StringLike only for patterns)`})
	}

	var profiles []string
	for _, fp := range c.FargateProfiles {
		for _, sel := range fp.Selectors {
			if sel.Matches(namespace, nil) || (len(sel.Labels) > 0 && (Selector{Namespace: sel.Namespace}).Matches(namespace, nil)) {
				label := fp.Name
				if len(sel.Labels) > 0 {
					label += " (pods with labels " + labelsText(sel.Labels) + ")"
				}
				profiles = append(profiles, label)
				break
			}
		}
	}
	if len(profiles) > 0 {
		add(Link{Name: "Fargate profile", OK: true, Detail: "pods of " + namespace + " are scheduled by " + strings.Join(profiles, ", ")})
	} else {
		add(Link{Name: "Fargate profile", Detail: "no Fargate profile selects namespace " + namespace + ": its pods stay Pending", Fix: "add a profile selector for " + namespace})
	}

	if r.PoliciesRead {
		perms, _ := s.Permissions(r)
		caps := iamtrust.Classes(perms.Capabilities())
		var names []string
		for _, ap := range r.AttachedPolicies {
			names = append(names, ap.Name)
		}
		for _, ip := range r.InlinePolicies {
			names = append(names, "inline "+ip.Name)
		}
		detail := "the role has " + strings.Join(append([]string{}, names...), ", ")
		if len(names) == 0 {
			detail = "the role has no policies: it can assume nothing useful"
		}
		if len(caps) > 0 {
			detail += "; it is " + strings.Join(caps, ", ")
		}
		add(Link{Name: "permissions", OK: true, Detail: detail})
	}
	return e
}

func labelsText(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// closestRole suggests the role whose ARN is nearest to a mistyped one.
func closestRole(s *Snapshot, arn string) string {
	best, bestD := "", 4
	for _, r := range s.Roles {
		if d := suggest.Distance(roleARNWithoutPath(r.ARN), roleARNWithoutPath(arn), bestD); d < bestD {
			best, bestD = r.ARN, d
		}
	}
	return best
}
