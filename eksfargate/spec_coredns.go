package eksfargate

import "github.com/fargatekit/fargatekit/eksfargate/coredns"

// CoreDNSTarget returns the input of package coredns for this spec, with
// its defaults applied (Defaults, on a copy; s is not changed): the
// cluster name, the coreDNS section, the Fargate profiles' names and
// selectors, and the coredns addon's resolveConflicts when the spec lists
// that addon (nil Addon otherwise).
func (s *Spec) CoreDNSTarget() coredns.Target {
	d := s.Clone().Defaults()
	t := coredns.Target{Cluster: d.Name, Spec: d.CoreDNS}
	for _, p := range d.FargateProfiles {
		cp := coredns.Profile{Name: p.Name}
		for _, sel := range p.Selectors {
			cp.Selectors = append(cp.Selectors, coredns.Selector{Namespace: sel.Namespace, Labels: sel.Labels})
		}
		t.Profiles = append(t.Profiles, cp)
	}
	for _, a := range d.Addons {
		if a.Name != coredns.AddonName {
			continue
		}
		if t.Addon == nil {
			t.Addon = &coredns.Addon{}
		}
		if a.ResolveConflicts != "" {
			t.Addon.ResolveConflicts = a.ResolveConflicts
		}
	}
	return t
}
