package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// brokenSnapshot has a few findings of each severity and an incomplete part.
func brokenSnapshot() *Snapshot {
	s := goodSnapshot()
	c := cl(s)
	setTrust(roleOf(s, fxPodRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	c.Logging = []string{"api", "audit"}
	c.PublicAccessCIDRs = []string{"0.0.0.0/0"}
	c.DeletionProtection = nil
	c.PodIdentityAssociations = []*PodIdentityAssociation{{Namespace: "apps", ServiceAccount: "web", AssociationARN: "arn:aws:eks:us-west-2:123456789012:podidentityassociation/demo/a-1", AssociationID: "a-1"}}
	s.Unavailable = []Unavailable{{What: PartKMS, Region: fxRegion, Cluster: c.ARN, Resource: fxKey, Reason: "AccessDeniedException: not authorized to perform kms:DescribeKey"}}
	return s
}

func TestRenderGolden(t *testing.T) {
	r := Evaluate(brokenSnapshot(), nil)
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", b)

	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.sarif", sarif.Bytes())

	var text bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt", text.Bytes())

	var color bytes.Buffer
	if err := WriteText(&color, r, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(color.String(), "\x1b[1;31mHIGH\x1b[0m") || strings.Contains(text.String(), "\x1b[") {
		t.Errorf("colour only when asked: colour output lacks ANSI HIGH, or plain output has escapes")
	}
	if AutoColor(&color) {
		t.Errorf("AutoColor(buffer) = true")
	}
}

func TestReportJSONSchema(t *testing.T) {
	r := Evaluate(brokenSnapshot(), nil)
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "generatedAt", "account", "findings", "incomplete", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	if doc["schema"] != ReportSchema {
		t.Errorf("schema = %v", doc["schema"])
	}
	sum := doc["summary"].(map[string]any)
	for _, k := range []string{"bySeverity", "checksRun", "checksIncomplete"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	// Every finding's fix renders as planned changes, without Run.
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		for _, ch := range asList(fm["fix"]) {
			c := ch.(map[string]any)
			if c["id"] == nil || c["action"] == nil || c["resource"] == nil {
				t.Errorf("fix change lacks id/action/resource: %v", c)
			}
		}
	}

	back, err := DecodeReport(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(b), string(again)); diff != "" {
		t.Errorf("decode and encode changed the report (-want +got):\n%s", diff)
	}
	// A decoded report plans the same fixes, operations included, and
	// Fix refuses to run them with credentials of another account.
	all := func(o *Options) { o.AllowGrants, o.AllowDestructive = true, true }
	want, _ := FixPlan(r, Selection{}, all)
	got, _ := FixPlan(back, Selection{}, all)
	wj, _ := json.Marshal(want.Changes)
	gj, _ := json.Marshal(got.Changes)
	if diff := cmp.Diff(string(wj), string(gj)); diff != "" || len(want.Pending()) == 0 {
		t.Errorf("fix plan of the decoded report (-want +got), %d changes:\n%s", len(want.Pending()), diff)
	}
	for _, c := range got.Pending() {
		if c.Op == nil {
			t.Errorf("decoded fix %s lost its operation", c.ID)
		}
	}
	var mismatch *AccountMismatchError
	if err := Fix(t.Context(), back, Selection{}, all, func(o *Options) { o.AccountID = "999999999999" }); !errors.As(err, &mismatch) {
		t.Errorf("Fix of a decoded report from another account = %v, want *AccountMismatchError", err)
	}
	if _, err := DecodeReport(strings.NewReader(`{"schema":"fargatekit.io/audit-report/v9"}`)); err == nil {
		t.Errorf("a report of another schema decoded")
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestMerge(t *testing.T) {
	a := Evaluate(brokenSnapshot(), nil)
	s := goodSnapshot()
	s.Account = "210987654321"
	cl(s).ARN = "arn:aws:eks:us-west-2:210987654321:cluster/demo"
	cl(s).EndpointPrivateAccess = false
	b := Evaluate(s, nil)
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Account != "" || !cmp.Equal(m.Accounts, []string{"123456789012", "210987654321"}) {
		t.Errorf("accounts = %q %v", m.Account, m.Accounts)
	}
	if m.Summary.Findings != len(a.Findings)+len(b.Findings) || len(m.Findings) != m.Summary.Findings {
		t.Errorf("findings = %d, want %d", m.Summary.Findings, len(a.Findings)+len(b.Findings))
	}
	if m.Summary.ChecksRun != a.Summary.ChecksRun {
		t.Errorf("checksRun = %d, want the distinct checks %d", m.Summary.ChecksRun, a.Summary.ChecksRun)
	}
	n := 0
	for _, v := range m.Summary.BySeverity {
		n += v
	}
	if n != m.Summary.Findings {
		t.Errorf("bySeverity adds up to %d, want %d", n, m.Summary.Findings)
	}
	for i := 1; i < len(m.Findings); i++ {
		if m.Findings[i].Severity > m.Findings[i-1].Severity {
			t.Fatalf("merged findings not sorted worst first at %d", i)
		}
	}
	// Merging the same report twice keeps one copy of each incomplete entry.
	mm, err := Merge(a, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(mm.Incomplete) != len(a.Incomplete) || mm.Account != a.Account {
		t.Errorf("merge of a report with itself: %d incomplete, account %q", len(mm.Incomplete), mm.Account)
	}
	if _, err := Merge(); err == nil {
		t.Errorf("Merge() = nil error")
	}
	if _, err := Merge(&Report{Schema: "x"}); err == nil {
		t.Errorf("Merge of another schema = nil error")
	}
}

func TestSARIFLevels(t *testing.T) {
	for _, tc := range []struct {
		sev  iamtrust.Severity
		want string
	}{{iamtrust.SeverityCritical, "error"}, {iamtrust.SeverityHigh, "error"}, {iamtrust.SeverityMedium, "warning"}, {iamtrust.SeverityLow, "note"}, {iamtrust.SeverityInfo, "note"}} {
		if got := sarifLevel(tc.sev); got != tc.want {
			t.Errorf("sarifLevel(%s) = %s, want %s", tc.sev, got, tc.want)
		}
	}
}

// TestRenderChangesFirst: with a baseline the text leads with what changed
// (new findings, resolved ones, permission changes as +/- lines per role)
// and folds the persisting findings to one line each.
func TestRenderChangesFirst(t *testing.T) {
	good := goodSnapshot()
	withManagedDocs(t, good)
	base := Evaluate(good, nil)
	broken := brokenSnapshot()
	withManagedDocs(t, broken)
	attach(broken, fxPodRA, fxAdminARN)
	putInline(t, broken, fxPodRA, "extra", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}]}`)
	r := Evaluate(broken, nil)
	// The baseline already had the CLU-03 finding: persisting.
	r0 := Evaluate(brokenSnapshot(), nil)
	for _, f := range r0.Findings {
		if f.Check == "CLU-03" {
			base.Findings = append(base.Findings, f)
		}
	}
	if err := ApplyBaseline(r, base); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := WriteText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-baseline.txt", text.Bytes())
	out := text.String()
	for _, want := range []string{"Since the baseline of", "PERMISSION CHANGES", "+ policy arn:aws:iam::aws:policy/AdministratorAccess attached or put", "NEW FINDINGS", "PERSISTING (1)", "CLU-03"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Index(out, "PERMISSION CHANGES") > strings.Index(out, "PERSISTING") {
		t.Error("persisting findings come before what changed")
	}
}

// TestSARIFLocationsAndBaseline: every result has a physical location (the
// spec line, or a stable path per account, region and cluster), the
// finding's fingerprint, and with a baseline its baselineState; resolved
// findings come as absent.
func TestSARIFLocationsAndBaseline(t *testing.T) {
	base := Evaluate(goodSnapshot(), nil)
	r := Evaluate(brokenSnapshot(), nil)
	r.Resolved = []Finding{{Check: "IAM-01", Severity: iamtrust.SeverityHigh, Account: fxAccount, Resource: fxClusterRA, Message: "fixed", Fingerprint: "abc"}}
	if err := ApplyBaseline(r, base); err != nil {
		t.Fatal(err)
	}
	r.Resolved = append(r.Resolved, Finding{Check: "IAM-01", Severity: iamtrust.SeverityHigh, Account: fxAccount, Resource: fxClusterRA, Message: "fixed", Fingerprint: "abc"})
	spec := []byte("apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: demo\nregion: us-west-2\ncluster:\n  version: \"1.34\"\npodExecutionRole:\n  name: pods\n")
	for _, tc := range []struct {
		name string
		o    SARIFOptions
		uri  func(Finding) (string, int)
	}{
		{"no spec", SARIFOptions{}, func(f Finding) (string, int) { return SARIFLocation(f), 1 }},
		{"spec", SARIFOptions{SpecFile: "clusters/demo.yaml", SpecData: spec}, func(f Finding) (string, int) {
			switch specField(f.Check) {
			case "cluster":
				return "clusters/demo.yaml", 5
			case "podExecutionRole":
				return "clusters/demo.yaml", 7
			}
			return "clusters/demo.yaml", 3
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSARIFWith(&buf, r, tc.o); err != nil {
				t.Fatal(err)
			}
			var log struct {
				Runs []struct {
					Results []struct {
						RuleID    string `json:"ruleId"`
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
								Region           struct{ StartLine int } `json:"region"`
							} `json:"physicalLocation"`
						} `json:"locations"`
						PartialFingerprints map[string]string `json:"partialFingerprints"`
						BaselineState       string            `json:"baselineState"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
				t.Fatal(err)
			}
			res := log.Runs[0].Results
			if len(res) != len(r.Findings)+len(r.Resolved) {
				t.Fatalf("%d results for %d findings and %d resolved", len(res), len(r.Findings), len(r.Resolved))
			}
			states := map[string]int{}
			for i, x := range res {
				states[x.BaselineState]++
				if len(x.Locations) == 0 || x.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" {
					t.Fatalf("result %d (%s) has no artifactLocation.uri: GitHub code scanning rejects it", i, x.RuleID)
				}
				if x.PartialFingerprints["fargatekit/v1"] == "" {
					t.Errorf("result %d has no partial fingerprint", i)
				}
				var f Finding
				if i < len(r.Findings) {
					f = r.Findings[i]
				} else {
					f = r.Resolved[i-len(r.Findings)]
				}
				uri, line := tc.uri(f)
				if got := x.Locations[0].PhysicalLocation; got.ArtifactLocation.URI != uri || got.Region.StartLine != line {
					t.Errorf("%s: location %s:%d, want %s:%d", x.RuleID, got.ArtifactLocation.URI, got.Region.StartLine, uri, line)
				}
			}
			if states["new"] != len(r.Findings) || states["absent"] != len(r.Resolved) {
				t.Errorf("baselineState counts %v", states)
			}
		})
	}
}
