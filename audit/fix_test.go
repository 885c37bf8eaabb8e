package audit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
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
				"iam.role/eksFargatePodExecutionRole/trust",
				"k8s.deployment/" + fxClusterARN + "/kube-system/coredns",
			},
			[]string{"IRSA-09", "PI-01"}},
		{"with both opt-ins", Selection{}, func(o *Options) { o.AllowDestructive, o.AllowGrants = true, true },
			[]string{
				"eks.addon/" + fxClusterARN + "/coredns",
				"eks.cluster-logging/" + fxClusterARN,
				"eks.pod-identity-association/" + fxClusterARN + "/a-1",
				"iam.role/demo-apps-web/trust",
				"iam.role/eksFargatePodExecutionRole/trust",
				"k8s.deployment/" + fxClusterARN + "/kube-system/coredns",
			}, nil},
		{"one check", Selection{Checks: []string{"iam-02"}}, nil, []string{"iam.role/eksFargatePodExecutionRole/trust"}, nil},
		{"by severity", Selection{MinSeverity: iamtrust.SeverityHigh}, nil,
			[]string{"eks.addon/" + fxClusterARN + "/coredns", "iam.role/eksFargatePodExecutionRole/trust", "k8s.deployment/" + fxClusterARN + "/kube-system/coredns"},
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
	// Fixes are data: every change carries an operation and no function,
	// so that it is bound to clients only when it is applied, and a plan
	// applied without a binder refuses before it runs anything.
	all, _ := FixPlan(r, Selection{}, func(o *Options) { o.AllowGrants, o.AllowDestructive = true, true })
	if len(all.Changes) == 0 {
		t.Fatal("no fix planned")
	}
	for _, c := range all.Changes {
		if c.Op == nil || c.Run != nil {
			t.Errorf("fix %s: Op %v, Run set %v; want an Op and no Run", c.ID, c.Op, c.Run != nil)
		}
	}
	if err := plan.Apply(t.Context(), all); err == nil || !strings.Contains(err.Error(), "pass Options.Bind") {
		t.Errorf("Apply of fixes without a binder = %v, want an error asking for Options.Bind", err)
	}
}

// TestFixPlanOwnership: a fix that rewrites a role fargatekit does not
// manage (no fargatekit.io/cluster tag) is held back, with the reason,
// unless AllowUnowned; the held-back change never reaches a plan.
func TestFixPlanOwnership(t *testing.T) {
	s := brokenSnapshot()
	for _, r := range s.Roles {
		if r.Name == "eksFargatePodExecutionRole" {
			r.Tags = map[string]string{"team": "platform"} // someone else's role
		}
	}
	r := Evaluate(s, nil)
	sel := Selection{Checks: []string{"IAM-02"}}
	p, skipped := FixPlan(r, sel)
	if len(p.Changes) != 0 || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "--allow-unowned") || !strings.Contains(skipped[0].Reason, "eksFargatePodExecutionRole") {
		t.Errorf("untagged role: changes %d, skipped %+v; want the IAM-02 fix held back, naming the role and --allow-unowned", len(p.Changes), skipped)
	}
	p, skipped = FixPlan(r, sel, func(o *Options) { o.AllowUnowned = true })
	if len(p.Changes) != 1 || len(skipped) != 0 || p.Changes[0].Blocked != "" {
		t.Errorf("with AllowUnowned: changes %+v, skipped %+v; want the trust fix, not blocked", p.Changes, skipped)
	}
	// Tags not read (a role outside the wired ones) count as unmanaged.
	for _, ro := range s.Roles {
		if ro.Name == "eksFargatePodExecutionRole" {
			ro.Tags = map[string]string{"fargatekit.io/cluster": "demo"}
			ro.PoliciesRead = false
		}
	}
	if p, _ := FixPlan(Evaluate(s, nil), sel); len(p.Changes) != 0 {
		t.Errorf("role with unread tags: fix planned %+v", p.Changes)
	}
}
