package audit_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// TestGradedFindings: a finding whose severity is not its check's says so,
// and why, in its message and in JSON's "graded"; one at the check's
// severity has no "graded".
func TestGradedFindings(t *testing.T) {
	check := &audit.Check{ID: "ORG-02", Title: "t", Severity: iamtrust.SeverityMedium, Needs: []string{audit.PartCluster},
		Run: func(s *audit.Snapshot) []audit.Finding {
			return []audit.Finding{
				{Severity: iamtrust.SeverityHigh, Resource: "a", Message: "Kubernetes 1.29 is no longer supported"},
				{Severity: iamtrust.SeverityLow, Resource: "b", Message: "only under conditions"},
				{Severity: iamtrust.SeverityMedium, Resource: "c", Message: "as catalogued"},
			}
		}}
	s := &audit.Snapshot{Account: "111122223333", Regions: []string{"eu-west-1"},
		Clusters: []*audit.Cluster{{Region: "eu-west-1", Name: "demo", ARN: "arn:aws:eks:eu-west-1:111122223333:cluster/demo"}}}
	r := audit.Evaluate(s, []*audit.Check{check})
	got := map[string]audit.Finding{}
	for _, f := range r.Findings {
		got[f.Resource] = f
	}
	for _, tc := range []struct {
		res, graded, reason string
	}{
		{"a", "graded up from the check's medium to high: Kubernetes 1.29 is no longer supported", "graded up says why"},
		{"b", "graded down from the check's medium to low: only under conditions", "graded down says why"},
		{"c", "", "a finding at the catalogue severity is not graded"},
	} {
		f := got[tc.res]
		if f.Graded != tc.graded {
			t.Errorf("%s: Graded %q, want %q (%s)", tc.res, f.Graded, tc.graded, tc.reason)
		}
		if tc.graded != "" && !strings.Contains(f.Message, "graded") {
			t.Errorf("%s: message %q does not say it was graded (%s)", tc.res, f.Message, tc.reason)
		}
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(`"graded":`)); n != 2 {
		t.Errorf(`JSON has %d "graded" fields, want 2:\n%s`, n, b)
	}
}

// TestNoClustersIn: a region audited with no cluster in it is listed in
// NoClustersIn and said in the text, instead of "the account meets every
// requirement checked"; a merge keeps a region empty only when no report
// found a cluster there.
func TestNoClustersIn(t *testing.T) {
	r := audit.Evaluate(&audit.Snapshot{Account: "111122223333", Regions: []string{"eu-west-1"}}, []*audit.Check{})
	if len(r.NoClustersIn) != 1 || r.NoClustersIn[0] != "eu-west-1" {
		t.Fatalf("NoClustersIn = %v, want [eu-west-1]", r.NoClustersIn)
	}
	var b bytes.Buffer
	if err := audit.WriteText(&b, r, audit.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No clusters found in eu-west-1") || strings.Contains(b.String(), "meets every requirement") {
		t.Errorf("text:\n%s", b.String())
	}
	js, _ := r.JSON()
	if !strings.Contains(string(js), `"noClustersIn": [`) && !strings.Contains(string(js), `"noClustersIn":[`) {
		t.Errorf("JSON lacks noClustersIn:\n%s", js)
	}
	other := audit.Evaluate(&audit.Snapshot{Account: "111122223333", Regions: []string{"eu-west-1"},
		Clusters: []*audit.Cluster{{Region: "eu-west-1", Name: "demo", ARN: "arn:aws:eks:eu-west-1:111122223333:cluster/demo"}}}, []*audit.Check{})
	m, err := audit.Merge(r, other)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.NoClustersIn) != 0 {
		t.Errorf("merged NoClustersIn = %v, want none: the other report found a cluster there", m.NoClustersIn)
	}
}

// TestMergeKeepsEachFindingOnce: the same report merged with itself keeps
// each finding once, counts it once, and warns.
func TestMergeKeepsEachFindingOnce(t *testing.T) {
	check := &audit.Check{ID: "ORG-03", Title: "t", Severity: iamtrust.SeverityLow, Needs: []string{audit.PartCluster},
		Run: func(s *audit.Snapshot) []audit.Finding {
			return []audit.Finding{{Severity: iamtrust.SeverityLow, Resource: "a", Message: "m"}, {Severity: iamtrust.SeverityLow, Resource: "b", Message: "m"}}
		}}
	r := audit.Evaluate(&audit.Snapshot{Account: "111122223333", Regions: []string{"eu-west-1"},
		Clusters: []*audit.Cluster{{Region: "eu-west-1", Name: "demo", ARN: "arn:aws:eks:eu-west-1:111122223333:cluster/demo"}}}, []*audit.Check{check})
	m, err := audit.Merge(r, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Findings) != 2 || m.Summary.Findings != 2 {
		t.Errorf("merged %d findings (summary %d), want 2", len(m.Findings), m.Summary.Findings)
	}
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "report 2 repeats 2 finding(s)") {
		t.Errorf("warnings = %q", m.Warnings)
	}
}
