package audit

import (
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

func runFG01(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		for _, p := range c.FargateProfiles {
			for _, id := range p.Subnets {
				sn := s.Subnet(c.Region, id)
				res := p.ARN
				if res == "" {
					res = "fargateprofile/" + c.Name + "/" + p.Name
				}
				switch {
				case sn == nil:
					f := newFinding("FG-01", iamtrust.SeverityMedium, c, res, "profile "+p.Name+" names subnet "+id+", which does not exist")
					f.Expected, f.Actual = "existing private subnets", id+" not found"
					out = append(out, f)
				case sn.Public():
					f := newFinding("FG-01", iamtrust.SeverityHigh, c, res, "profile "+p.Name+" uses subnet "+id+", which routes to internet gateway "+sn.InternetGatewayRoute)
					f.Expected = "private subnets (no route to an internet gateway)"
					f.Actual = id + ": route table " + sn.RouteTableID + " → " + sn.InternetGatewayRoute
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// coreDNSLabels are the labels CoreDNS pods carry when its Deployment is not
// readable for its template.
var coreDNSLabels = map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}

// computeType returns the computeType of an add-on's configuration values
// (JSON or YAML), or "".
func computeType(values string) string {
	if strings.TrimSpace(values) == "" {
		return ""
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(values), &m); err != nil {
		return ""
	}
	v, _ := m["computeType"].(string)
	return v
}

func runFG02(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil {
			continue
		}
		dep := c.Kube.CoreDNS
		addon := c.Addon("coredns")
		if dep == nil && addon == nil {
			continue // no CoreDNS at all
		}
		labels := coreDNSLabels
		if dep != nil && len(dep.TemplateLabels) > 0 {
			labels = dep.TemplateLabels
		}
		res := kubeRef(c, "kube-system", "Deployment", "coredns")
		selected := false
		for _, p := range c.FargateProfiles {
			for _, sel := range p.Selectors {
				if sel.Matches("kube-system", labels) {
					selected = true
				}
			}
		}
		if !selected {
			f := newFinding("FG-02", iamtrust.SeverityHigh, c, res, "no Fargate profile selects the CoreDNS pods (kube-system, k8s-app=kube-dns): they stay Pending")
			f.Expected = "a profile with a selector for namespace kube-system (optionally labels k8s-app=kube-dns)"
			f.Actual = "profiles: " + profileSummary(c)
			out = append(out, f)
		}
		var fix []plan.Change
		addonPinned := addon != nil && !strings.EqualFold(computeType(addon.ConfigurationValues), "Fargate")
		if addonPinned {
			if ch, ok := s.fixCoreDNSAddon(c, addon); ok {
				fix = append(fix, ch)
			}
		}
		pinned := dep != nil && dep.TemplateAnnotations[AnnotationComputeType] == "ec2"
		var pending []string
		for _, p := range c.Kube.Pods {
			if p.Namespace == "kube-system" && p.Labels["k8s-app"] == "kube-dns" && p.Phase == "Pending" {
				pending = append(pending, p.Name)
			}
		}
		if dep != nil && (pinned || addonPinned || len(pending) > 0) {
			fix = append(fix, s.fixCoreDNSDeployment(c, addonPinned))
		}
		if addonPinned {
			f := newFinding("FG-02", iamtrust.SeverityHigh, c, res, "the coredns add-on does not set computeType Fargate: the add-on pins CoreDNS to EC2 and undoes other fixes when it updates")
			f.Expected = `configuration values {"computeType":"Fargate"}`
			f.Actual = "configuration values " + orNone(addon.ConfigurationValues)
			f.Fix = fix
			out = append(out, f)
		}
		if pinned {
			f := newFinding("FG-02", iamtrust.SeverityHigh, c, res, "the CoreDNS pod template is pinned to EC2 ("+AnnotationComputeType+": ec2): its pods are never scheduled on Fargate")
			f.Expected = "no " + AnnotationComputeType + " annotation on the pod template"
			f.Actual = AnnotationComputeType + ": ec2"
			f.Fix = fix
			out = append(out, f)
		}
		if len(pending) > 0 && !pinned && !addonPinned && selected {
			f := newFinding("FG-02", iamtrust.SeverityHigh, c, res, "CoreDNS pods are Pending: "+list(pending)+"; pods created before their profile must be restarted")
			f.Expected = "CoreDNS pods Running on Fargate"
			f.Actual = fmt.Sprintf("%d pod(s) Pending", len(pending))
			f.Fix = fix
			out = append(out, f)
		}
	}
	return out
}

func profileSummary(c *Cluster) string {
	if len(c.FargateProfiles) == 0 {
		return "(none)"
	}
	var parts []string
	for _, p := range c.FargateProfiles {
		parts = append(parts, p.Name+" "+selectorsText(p.Selectors))
	}
	return strings.Join(parts, "; ")
}

func selectorsText(sels []Selector) string {
	var parts []string
	for _, s := range sels {
		t := s.Namespace
		if len(s.Labels) > 0 {
			var ls []string
			for k, v := range s.Labels {
				ls = append(ls, k+"="+v)
			}
			sort.Strings(ls)
			t += "{" + strings.Join(ls, ",") + "}"
		}
		parts = append(parts, t)
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

func runFG03(s *Snapshot) []Finding {
	if s.Spec == nil {
		return nil
	}
	var out []Finding
	for _, c := range s.Clusters {
		sp := specFor(s, c)
		if sp == nil {
			continue
		}
		d := defaultedSpec(sp)
		live := map[string]*FargateProfile{}
		for _, p := range c.FargateProfiles {
			live[p.Name] = p
		}
		podRole := specRoleARN(s, d.PodExecutionRole)
		wanted := map[string]bool{}
		for _, want := range d.FargateProfiles {
			wanted[want.Name] = true
			res := "arn:" + s.Partition + ":eks:" + c.Region + ":" + s.Account + ":fargateprofile/" + c.Name + "/" + want.Name
			got := live[want.Name]
			if got == nil {
				f := newFinding("FG-03", iamtrust.SeverityMedium, c, res, "profile "+want.Name+" of the spec does not exist")
				f.Expected = "profile " + want.Name + " " + selectorsText(specSelectors(want.Selectors))
				f.Actual = "not found"
				out = append(out, f)
				continue
			}
			if got.ARN != "" {
				res = got.ARN
			}
			var diffs, exp, act []string
			if a, b := selectorsText(specSelectors(want.Selectors)), selectorsText(got.Selectors); a != b {
				diffs, exp, act = append(diffs, "selectors"), append(exp, "selectors "+a), append(act, "selectors "+b)
			}
			if len(want.Subnets) > 0 {
				if a, b := list(want.Subnets), list(got.Subnets); a != b {
					diffs, exp, act = append(diffs, "subnets"), append(exp, "subnets "+a), append(act, "subnets "+b)
				}
			}
			role := want.PodExecutionRoleARN
			if role == "" {
				role = podRole
			}
			if role != "" && !sameRole(role, got.PodExecutionRoleARN) {
				diffs, exp, act = append(diffs, "pod execution role"), append(exp, "role "+role), append(act, "role "+got.PodExecutionRoleARN)
			}
			if len(diffs) == 0 {
				continue
			}
			f := newFinding("FG-03", iamtrust.SeverityMedium, c, res, "profile "+want.Name+" differs from the spec in "+strings.Join(diffs, ", ")+"; profiles are immutable, so it must be replaced")
			f.Expected, f.Actual = strings.Join(exp, "; "), strings.Join(act, "; ")
			out = append(out, f)
		}
		for _, p := range c.FargateProfiles {
			if wanted[p.Name] {
				continue
			}
			f := newFinding("FG-03", iamtrust.SeverityLow, c, p.ARN, "profile "+p.Name+" is not in the spec")
			f.Expected, f.Actual = "no profile "+p.Name, "profile "+p.Name+" "+selectorsText(p.Selectors)
			out = append(out, f)
		}
	}
	return out
}

func specSelectors(in []eksfargate.Selector) []Selector {
	out := make([]Selector, len(in))
	for i, s := range in {
		out[i] = Selector{Namespace: s.Namespace, Labels: s.Labels}
	}
	return out
}

func runFG04(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Kube == nil {
			continue
		}
		byNS := map[string][]string{}
		for _, p := range c.Kube.Pods {
			if p.OwnerKind == "DaemonSet" || p.Phase == "Succeeded" || p.Phase == "Failed" {
				continue // DaemonSets never run on Fargate; finished pods need no node
			}
			matched := false
			for _, prof := range c.FargateProfiles {
				for _, sel := range prof.Selectors {
					if sel.Matches(p.Namespace, p.Labels) {
						matched = true
					}
				}
			}
			if !matched {
				byNS[p.Namespace] = append(byNS[p.Namespace], p.Name)
			}
		}
		for _, ns := range sortedKeysOf(byNS) {
			pods := byNS[ns]
			sample := pods
			if len(sample) > 5 {
				sample = append(append([]string{}, sample[:5]...), fmt.Sprintf("… %d more", len(pods)-5))
			}
			f := newFinding("FG-04", iamtrust.SeverityMedium, c, kubeRef(c, "", "Namespace", ns),
				fmt.Sprintf("%d pod(s) in namespace %s match no Fargate profile selector and are never scheduled", len(pods), ns))
			f.Expected = "a profile selector for namespace " + ns
			f.Actual = "pods " + strings.Join(sample, ", ") + "; profiles: " + profileSummary(c)
			out = append(out, f)
		}
	}
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func runPI01(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		for _, a := range c.PodIdentityAssociations {
			res := a.AssociationARN
			if res == "" {
				res = kubeRef(c, a.Namespace, "ServiceAccount", a.ServiceAccount)
			}
			f := newFinding("PI-01", iamtrust.SeverityMedium, c, res,
				"EKS Pod Identity association for "+a.Namespace+"/"+a.ServiceAccount+": pods on Fargate never receive Pod Identity credentials")
			f.Expected = "an IRSA role (eks.amazonaws.com/role-arn) for " + a.Namespace + "/" + a.ServiceAccount
			f.Actual = "pod identity association " + a.AssociationID
			f.Fix = []plan.Change{s.fixDeletePodIdentity(c, a)}
			out = append(out, f)
		}
	}
	return out
}
