package coredns_test

import (
	"testing"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
)

// TestCoreDNSSelectorAgrees: coredns.Selector matches exactly the pods
// that eksfargate.Selector matches, so the profile Plan finds is the one
// Validate and the audit find.
func TestCoreDNSSelectorAgrees(t *testing.T) {
	pods := []struct {
		ns     string
		labels map[string]string
	}{
		{"kube-system", map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}},
		{"kube-system", nil},
		{"default", map[string]string{"k8s-app": "kube-dns"}},
	}
	sels := []struct {
		ns     string
		labels map[string]string
	}{
		{"kube-system", nil},
		{"kube-*", map[string]string{"k8s-app": "kube-dns"}},
		{"kube-?ystem", map[string]string{"k8s-*": "kube-*"}},
		{"*", map[string]string{"missing": "*"}},
		{"", nil},
		{"[k]ube-system", nil},
	}
	for _, s := range sels {
		for _, p := range pods {
			got := coredns.Selector{Namespace: s.ns, Labels: s.labels}.Matches(p.ns, p.labels)
			want := eksfargate.Selector{Namespace: s.ns, Labels: s.labels}.Matches(p.ns, p.labels)
			if got != want {
				t.Errorf("selector %q %v, pod %s %v: coredns says %v, eksfargate says %v", s.ns, s.labels, p.ns, p.labels, got, want)
			}
		}
	}
}
