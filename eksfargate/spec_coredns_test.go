package eksfargate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate/coredns"
)

func TestCoreDNSTarget(t *testing.T) {
	s := NewSpec("eks-test", "eu-west-1").
		AddFargateProfile("apps", SelectNamespace("apps")).
		AddFargateProfile("system", SelectNamespace("kube-system").WithLabel("k8s-app", "kube-dns"))
	s.CoreDNS.WaitReady = true
	got := s.CoreDNSTarget()
	want := coredns.Target{
		Cluster: "eks-test",
		Spec:    coredns.Spec{OnFargate: boolp(true), WaitReady: true, WaitTimeoutSeconds: 600},
		Profiles: []coredns.Profile{
			{Name: "apps", Selectors: []coredns.Selector{{Namespace: "apps"}}},
			{Name: "system", Selectors: []coredns.Selector{{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}}},
		},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("without the coredns addon (-want +got):\n%s", d)
	}
	if s.CoreDNS.OnFargate != nil || s.CoreDNS.WaitTimeoutSeconds != 0 {
		t.Errorf("CoreDNSTarget changed the spec: %+v", s.CoreDNS)
	}

	s.AddAddon(AddonSpec{Name: "kube-proxy", ResolveConflicts: ResolveNone}).AddAddon(AddonSpec{Name: "coredns"})
	if a := s.CoreDNSTarget().Addon; a == nil || a.ResolveConflicts != ResolveOverwrite {
		t.Errorf("coredns addon without resolveConflicts: Addon = %+v, want the default OVERWRITE", a)
	}
	s.Addons[1].ResolveConflicts = ResolvePreserve
	if a := s.CoreDNSTarget().Addon; a == nil || a.ResolveConflicts != ResolvePreserve {
		t.Errorf("coredns addon with PRESERVE: Addon = %+v", a)
	}
	off := false
	s.CoreDNS.OnFargate = &off
	if o := s.CoreDNSTarget().Spec.OnFargate; o == nil || *o {
		t.Errorf("onFargate false became %v", o)
	}
}
