package eksfargate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectorMatchesNamespace(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
		why        string
	}{
		{"kube-system", "kube-system", true, "exact"},
		{"kube-*", "kube-system", true, "star suffix"},
		{"*", "kube-system", true, "star alone"},
		{"*-system", "kube-system", true, "star prefix"},
		{"kube-?ystem", "kube-system", true, "question mark is one character"},
		{"kube-??stem", "kube-system", true, "two question marks"},
		{"kube-?", "kube-system", false, "question mark is exactly one"},
		{"k*s*m", "kube-system", true, "backtracking"},
		{"default", "kube-system", false, "other namespace"},
		{"kube-system-*", "kube-system", false, "longer literal"},
		{"", "kube-system", false, "empty pattern"},
		{"[k]ube-system", "kube-system", false, "no character classes in EKS"},
	}
	for _, tt := range tests {
		if got := (Selector{Namespace: tt.pattern}).Matches(tt.s, nil); got != tt.want {
			t.Errorf("%s: Selector{Namespace: %q}.Matches(%q) = %v, want %v", tt.why, tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestSelectorMatchesLabels(t *testing.T) {
	pod := map[string]string{"k8s-app": "kube-dns", "tier": "control"}
	tests := []struct {
		labels map[string]string
		want   bool
		why    string
	}{
		{nil, true, "no labels: the namespace decides"},
		{map[string]string{"k8s-app": "kube-dns"}, true, "a label the pod carries"},
		{map[string]string{"k8s-app": "kube-*"}, true, "a wildcard value"},
		{map[string]string{"k8s-*": "kube-dns"}, true, "a wildcard key"},
		{map[string]string{"k8s-app": "kube-dns", "tier": "web"}, false, "every label must match"},
		{map[string]string{"missing": "*"}, false, "a key the pod lacks"},
	}
	for _, tt := range tests {
		if got := (Selector{Namespace: "kube-system", Labels: tt.labels}).Matches("kube-system", pod); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.why, got, tt.want)
		}
	}
}

func TestCoreDNSSelectingProfile(t *testing.T) {
	dns := map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}
	prof := func(name string, sels ...Selector) FargateProfileSpec {
		return FargateProfileSpec{Name: name, Selectors: sels}
	}
	tests := []struct {
		name     string
		profiles []FargateProfileSpec
		labels   map[string]string
		want     string
	}{
		{"namespace only", []FargateProfileSpec{prof("default", Selector{Namespace: "default"}), prof("system", Selector{Namespace: "kube-system"})}, dns, "system"},
		{"wildcard namespace", []FargateProfileSpec{prof("all", Selector{Namespace: "kube-*"})}, dns, "all"},
		{"matching label", []FargateProfileSpec{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})}, dns, "dns"},
		{"wildcard label value", []FargateProfileSpec{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-*"}})}, dns, "dns"},
		{"label CoreDNS lacks", []FargateProfileSpec{prof("x", Selector{Namespace: "kube-system", Labels: map[string]string{"team": "a"}})}, dns, ""},
		{"second selector matches", []FargateProfileSpec{prof("x", Selector{Namespace: "apps"}, Selector{Namespace: "kube-system"})}, dns, "x"},
		{"none", []FargateProfileSpec{prof("apps", Selector{Namespace: "apps"})}, dns, ""},
		{"default labels", []FargateProfileSpec{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})}, nil, "dns"},
	}
	for _, tt := range tests {
		s := &Spec{FargateProfiles: tt.profiles}
		if got := CoreDNSSelectingProfile(s, tt.labels); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCoreDNSFargateConfig(t *testing.T) {
	tests := []struct{ in, want, why string }{
		{"", `{"computeType":"Fargate"}`, "no values yet"},
		{`{"replicaCount":3,"computeType":"ec2"}`, `{"computeType":"Fargate","replicaCount":3}`, "other values kept, computeType replaced"},
		{"replicaCount: 3\nresources:\n  limits:\n    memory: 170Mi\n", `{"computeType":"Fargate","replicaCount":3,"resources":{"limits":{"memory":"170Mi"}}}`, "YAML values are accepted"},
		{`{"replicaCount":12345678901234567890}`, `{"computeType":"Fargate","replicaCount":12345678901234567890}`, "numbers stay exact"},
	}
	for _, tt := range tests {
		got, err := CoreDNSFargateConfig(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.why, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.why, got, tt.want)
		}
	}
	if _, err := CoreDNSFargateConfig("{not: [json"); err == nil {
		t.Error("malformed configuration values accepted: they would be overwritten")
	}
}

func TestCoreDNSFargateReasons(t *testing.T) {
	fargatePod := CoreDNSPod{Name: "coredns-a", Phase: "Running", Ready: true, OnFargate: true, SchedulerName: FargateSchedulerName}
	ec2Pod := CoreDNSPod{Name: "coredns-b", Phase: "Pending", SchedulerName: "default-scheduler"}
	tests := []struct {
		name   string
		st     CoreDNSStatus
		wantOK bool
		want   string
	}{
		{"annotation present", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, AnnotationPresent: true, ComputeTypeAnnotation: "ec2", Replicas: 2}, false, "compute-type: ec2"},
		{"annotation absent, never restarted, no pods", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, Replicas: 2}, false, "rollout not restarted"},
		{"annotation absent, restarted", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, Replicas: 2, RestartedAt: "2026-01-01T00:00:00Z"}, true, ""},
		{"annotation absent, pods on Fargate", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, Replicas: 1, Pods: []CoreDNSPod{fargatePod}}, true, ""},
		{"pod from before the profile", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, Replicas: 2, RestartedAt: "x", Pods: []CoreDNSPod{fargatePod, ec2Pod}}, false, "coredns-b"},
		{"terminating EC2 pod is fine", CoreDNSStatus{Mode: CoreDNSModeSelfManaged, Replicas: 1, Pods: []CoreDNSPod{fargatePod, {Name: "old", Terminating: true}}}, true, ""},
		{"addon on EC2", CoreDNSStatus{Mode: CoreDNSModeAddon, AddonComputeType: ""}, false, `computeType is ""`},
		{"addon on Fargate", CoreDNSStatus{Mode: CoreDNSModeAddon, AddonComputeType: "Fargate"}, true, ""},
		{"absent", CoreDNSStatus{Mode: CoreDNSModeAbsent}, false, "not installed"},
	}
	for _, tt := range tests {
		ok, why := tt.st.fargateReasons()
		if ok != tt.wantOK || !strings.Contains(strings.Join(why, "; "), tt.want) {
			t.Errorf("%s: ok=%v why=%q, want ok=%v mentioning %q", tt.name, ok, why, tt.wantOK, tt.want)
		}
		if ok != tt.st.OnFargate() {
			t.Errorf("%s: OnFargate disagrees", tt.name)
		}
	}
}

func ExampleCoreDNSFargateConfig() {
	cfg, _ := CoreDNSFargateConfig(`{"replicaCount":3}`)
	fmt.Println(cfg)
	// Output: {"computeType":"Fargate","replicaCount":3}
}

func TestCoreDNSNotReadyErrorText(t *testing.T) {
	e := &CoreDNSNotReadyError{Ready: 0, Want: 2, Pods: []CoreDNSPod{{Name: "coredns-x", Phase: "Pending", SchedulerName: "default-scheduler", Reason: "Unschedulable", Message: "no nodes"}},
		Events: map[string][]string{"coredns-x": {"Warning FailedScheduling: no nodes available"}}}
	want := `coredns: 0/2 pods Ready on Fargate after 0s; pod coredns-x Pending (scheduler "default-scheduler": no Fargate profile selected it when it was created) Unschedulable: no nodes; event: Warning FailedScheduling: no nodes available`
	if d := cmp.Diff(want, e.Error()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
