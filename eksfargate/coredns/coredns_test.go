package coredns

import (
	"errors"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/plan"
	"github.com/google/go-cmp/cmp"
)

func TestCoreDNSSelectingProfile(t *testing.T) {
	dns := map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}
	prof := func(name string, sels ...Selector) Profile {
		return Profile{Name: name, Selectors: sels}
	}
	tests := []struct {
		name     string
		profiles []Profile
		labels   map[string]string
		want     string
	}{
		{"namespace only", []Profile{prof("default", Selector{Namespace: "default"}), prof("system", Selector{Namespace: "kube-system"})}, dns, "system"},
		{"wildcard namespace", []Profile{prof("all", Selector{Namespace: "kube-*"})}, dns, "all"},
		{"matching label", []Profile{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})}, dns, "dns"},
		{"wildcard label value", []Profile{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-*"}})}, dns, "dns"},
		{"label CoreDNS lacks", []Profile{prof("x", Selector{Namespace: "kube-system", Labels: map[string]string{"team": "a"}})}, dns, ""},
		{"second selector matches", []Profile{prof("x", Selector{Namespace: "apps"}, Selector{Namespace: "kube-system"})}, dns, "x"},
		{"none", []Profile{prof("apps", Selector{Namespace: "apps"})}, dns, ""},
		{"default labels", []Profile{prof("dns", Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})}, nil, "dns"},
	}
	for _, tt := range tests {
		if got := SelectingProfile(Target{Profiles: tt.profiles}, tt.labels); got != tt.want {
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
		got, err := FargateConfig(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.why, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.why, got, tt.want)
		}
	}
	if _, err := FargateConfig("{not: [json"); err == nil {
		t.Error("malformed configuration values accepted: they would be overwritten")
	}
}

func TestCoreDNSFargateReasons(t *testing.T) {
	fargatePod := Pod{Name: "coredns-a", Phase: "Running", Ready: true, OnFargate: true, SchedulerName: FargateSchedulerName}
	ec2Pod := Pod{Name: "coredns-b", Phase: "Pending", SchedulerName: "default-scheduler"}
	tests := []struct {
		name   string
		st     Status
		wantOK bool
		want   string
	}{
		{"annotation present", Status{Mode: ModeSelfManaged, AnnotationPresent: true, ComputeTypeAnnotation: "ec2", Replicas: 2}, false, "compute-type: ec2"},
		{"annotation absent, never restarted, no pods", Status{Mode: ModeSelfManaged, Replicas: 2}, false, "rollout not restarted"},
		{"annotation absent, restarted", Status{Mode: ModeSelfManaged, Replicas: 2, RestartedAt: "2026-01-01T00:00:00Z"}, true, ""},
		{"annotation absent, pods on Fargate", Status{Mode: ModeSelfManaged, Replicas: 1, Pods: []Pod{fargatePod}}, true, ""},
		{"pod from before the profile", Status{Mode: ModeSelfManaged, Replicas: 2, RestartedAt: "x", Pods: []Pod{fargatePod, ec2Pod}}, false, "coredns-b"},
		{"terminating EC2 pod is fine", Status{Mode: ModeSelfManaged, Replicas: 1, Pods: []Pod{fargatePod, {Name: "old", Terminating: true}}}, true, ""},
		{"addon on EC2", Status{Mode: ModeAddon, AddonComputeType: ""}, false, `computeType is ""`},
		{"addon on Fargate", Status{Mode: ModeAddon, AddonComputeType: "Fargate"}, true, ""},
		{"absent", Status{Mode: ModeAbsent}, false, "not installed"},
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

func TestCoreDNSNotReadyErrorText(t *testing.T) {
	e := &NotReadyError{Ready: 0, Want: 2, Pods: []Pod{{Name: "coredns-x", Phase: "Pending", SchedulerName: "default-scheduler", Reason: "Unschedulable", Message: "no nodes"}},
		Events: map[string][]string{"coredns-x": {"Warning FailedScheduling: no nodes available"}}}
	want := `coredns: 0/2 pods Ready on Fargate after 0s; pod coredns-x Pending (scheduler "default-scheduler": no Fargate profile selected it when it was created) Unschedulable: no nodes; event: Warning FailedScheduling: no nodes available`
	if d := cmp.Diff(want, e.Error()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestDiff: the pure part of Plan, from a hand-built observation.
func TestDiff(t *testing.T) {
	tgt := Target{Cluster: "eks-test", Profiles: []Profile{{Name: "system", Selectors: []Selector{{Namespace: "kube-system"}}}}}
	onFargate := []Pod{{Name: "coredns-1", OnFargate: true}, {Name: "coredns-2", OnFargate: true}}
	off := false
	for _, tc := range []struct {
		why         string
		t           Target
		st          Status
		wantAction  plan.Action
		wantSummary string
		wantErr     error
	}{
		{"the addon without computeType: update it", tgt,
			Status{Mode: ModeAddon, SelectingProfile: "system", Replicas: 2, Pods: onFargate, Ready: 2},
			plan.Update, `addon computeType is "", want "Fargate"`, nil},
		{"the addon on Fargate: nothing to do", tgt,
			Status{Mode: ModeAddon, AddonComputeType: "Fargate", SelectingProfile: "system", Replicas: 2, Pods: onFargate, Ready: 2},
			plan.NoOp, "on Fargate (profile system)", nil},
		{"self-managed, pinned to EC2", tgt,
			Status{Mode: ModeSelfManaged, AnnotationPresent: true, ComputeTypeAnnotation: "ec2", SelectingProfile: "system", Replicas: 2},
			plan.Update, "pod template has eks.amazonaws.com/compute-type: ec2", nil},
		{"pods created before the profile", tgt,
			Status{Mode: ModeSelfManaged, SelectingProfile: "system", RestartedAt: "x", Replicas: 1, Pods: []Pod{{Name: "coredns-old"}}},
			plan.Update, "coredns-old", nil},
		{"no profile selects CoreDNS", Target{Cluster: "eks-test"},
			Status{Mode: ModeAddon}, "", "", ErrNoProfile},
		{"CoreDNS absent", tgt,
			Status{Mode: ModeAbsent, SelectingProfile: "system"}, plan.NoOp, "not installed", nil},
		{"the spec leaves CoreDNS alone", Target{Cluster: "eks-test", Spec: Spec{OnFargate: &off}},
			Status{Mode: ModeSelfManaged, AnnotationPresent: true}, "", "", nil},
	} {
		got, err := Diff(tc.t, &tc.st)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err = %v, want %v", tc.why, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		if tc.wantAction == "" {
			if len(got) != 0 {
				t.Errorf("%s: changes %+v, want none", tc.why, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Action != tc.wantAction || !strings.Contains(got[0].Summary, tc.wantSummary) || got[0].Run != nil {
			t.Errorf("%s: changes %+v; want one %s change saying %q, without Run", tc.why, got, tc.wantAction, tc.wantSummary)
		}
	}
}
