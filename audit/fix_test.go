package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
)

func TestFixPlan(t *testing.T) {
	s := brokenSnapshot()
	c := cl(s)
	// Two FG-02 findings (addon and pin) share their two changes.
	c.Addons[0].ConfigurationValues = ""
	c.Kube.CoreDNS.TemplateAnnotations = map[string]string{AnnotationComputeType: "ec2"}
	// IRSA-09 whose fix grants more.
	c.Kube.ServiceAccounts = append(c.Kube.ServiceAccounts, ServiceAccount{Namespace: "apps", Name: "worker", RoleARN: fxWebRA})
	r := Evaluate(s, nil)
	ids := func(sel Selection, opts ...func(*Options)) ([]string, []string) {
		p, skipped := FixPlan(r, sel, opts...)
		var got, held []string
		for _, ch := range p.Changes {
			got = append(got, ch.ID)
		}
		for _, sk := range skipped {
			held = append(held, sk.Check)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("plan invalid: %v", err)
		}
		return got, held
	}
	for _, tc := range []struct {
		why      string
		sel      Selection
		opts     func(*Options)
		want     []string
		wantHeld []string
	}{
		{"everything without opt-ins: destructive and granting fixes held back", Selection{}, nil,
			[]string{
				"eks.addon/" + fxClusterARN + "/coredns", // depended on: first
				"eks.cluster-logging/" + fxClusterARN,
				"iam.role-trust/eksFargatePodExecutionRole",
				"k8s.deployment/" + fxClusterARN + "/kube-system/coredns",
			},
			[]string{"IRSA-09", "PI-01"}},
		{"with both opt-ins", Selection{}, func(o *Options) { o.AllowDestructive, o.AllowGrants = true, true },
			[]string{
				"eks.addon/" + fxClusterARN + "/coredns",
				"eks.cluster-logging/" + fxClusterARN,
				"eks.pod-identity-association/" + fxClusterARN + "/a-1",
				"iam.role-trust/demo-apps-web",
				"iam.role-trust/eksFargatePodExecutionRole",
				"k8s.deployment/" + fxClusterARN + "/kube-system/coredns",
			}, nil},
		{"one check", Selection{Checks: []string{"iam-02"}}, nil, []string{"iam.role-trust/eksFargatePodExecutionRole"}, nil},
		{"by severity", Selection{MinSeverity: iamtrust.SeverityHigh}, nil,
			[]string{"eks.addon/" + fxClusterARN + "/coredns", "iam.role-trust/eksFargatePodExecutionRole", "k8s.deployment/" + fxClusterARN + "/kube-system/coredns"},
			[]string{"IRSA-09"}},
		{"by resource", Selection{Resources: []string{"nothing"}}, nil, nil, nil},
	} {
		var opts []func(*Options)
		if tc.opts != nil {
			opts = append(opts, tc.opts)
		}
		got, held := ids(tc.sel, opts...)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: changes (-want +got):\n%s", tc.why, diff)
		}
		if diff := cmp.Diff(tc.wantHeld, held); diff != "" {
			t.Errorf("%s: held back (-want +got):\n%s", tc.why, diff)
		}
	}
	if err := Fix(t.Context(), r, Selection{}); err != ErrNotFixable {
		t.Errorf("Fix with a hand-built snapshot = %v, want ErrNotFixable", err)
	}
}
