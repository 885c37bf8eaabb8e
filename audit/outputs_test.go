package audit_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

func outputsReport() *audit.Report {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	r := &audit.Report{Schema: audit.ReportSchema, GeneratedAt: now, Account: "123456789012", Regions: []string{"us-west-2"},
		Checks: []audit.CheckInfo{{ID: "PERM-02", Title: "Wired role has admin-equivalent access"}, {ID: "CLU-01", Title: "Public API endpoint"}},
		Findings: []audit.Finding{
			{Check: "PERM-02", Severity: iamtrust.SeverityCritical, Account: "123456789012", Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Resource: "arn:aws:iam::123456789012:role/pods", Message: "admin"},
			{Check: "CLU-01", Severity: iamtrust.SeverityMedium, Account: "123456789012", Region: "us-west-2", Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Resource: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Message: "open", Status: audit.StatusPersisting},
		},
		PermissionChanges: []audit.PermissionChange{{Resource: "arn:aws:iam::123456789012:role/pods", Part: audit.PartPermissions, Policy: "arn:aws:iam::aws:policy/AdministratorAccess"}},
		Incomplete:        []audit.Incomplete{{Check: "FG-02", Resource: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Reason: "kube.coredns unavailable"}},
	}
	r.Finalize()
	return r
}

// TestOpenMetrics: the Prometheus text parser reads the metrics back, with
// the names, labels and values of the report.
func TestOpenMetrics(t *testing.T) {
	r := outputsReport()
	path := filepath.Join(t.TempDir(), "fargatekit.prom")
	if err := audit.WriteMetricsFile(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "# EOF\n") {
		t.Errorf("no # EOF: %q", b[max(0, len(b)-20):])
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the Prometheus text parser rejects the file: %v\n%s", err, b)
	}
	val := func(name string, labels map[string]string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Fatalf("no metric %s", name)
		}
		if f.GetType().String() != "GAUGE" {
			t.Errorf("%s is %s, want a gauge", name, f.GetType())
		}
	next:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			return m.GetGauge().GetValue()
		}
		t.Fatalf("%s: no sample with %v", name, labels)
		return 0
	}
	if v := val("fargatekit_audit_findings", map[string]string{"check": "PERM-02", "severity": "critical"}); v != 1 {
		t.Errorf("findings = %v", v)
	}
	if v := val("fargatekit_audit_new_findings", map[string]string{"check": "PERM-02"}); v != 1 {
		t.Errorf("new findings = %v", v)
	}
	if _, ok := fams["fargatekit_audit_new_findings"]; ok {
		for _, m := range fams["fargatekit_audit_new_findings"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "check" && l.GetValue() == "CLU-01" {
					t.Error("a persisting finding is counted as new")
				}
			}
		}
	}
	if v := val("fargatekit_audit_permission_changes", nil); v != 1 {
		t.Errorf("permission changes = %v", v)
	}
	if v := val("fargatekit_audit_incomplete_checks", nil); v != 1 {
		t.Errorf("incomplete = %v", v)
	}
	if v := val("fargatekit_audit_last_success_timestamp_seconds", nil); v != float64(r.GeneratedAt.Unix()) {
		t.Errorf("last success = %v", v)
	}
	if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// TestSecurityHub imports findings into moto's Security Hub and archives a
// resolved one on the next run.
func TestSecurityHub(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	sh := securityhub.NewFromConfig(a.Config(region))
	if _, err := sh.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	r := outputsReport()
	r.Findings[1].Status = audit.StatusNew
	res, err := audit.SendToSecurityHub(ctx, sh, r, audit.ASFFOptions{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2 || res.Archived != 0 || res.Calls != 1 {
		t.Errorf("first run: %+v", res)
	}
	get := func() map[string]shtypes.AwsSecurityFinding {
		out, err := sh.GetFindings(ctx, &securityhub.GetFindingsInput{})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]shtypes.AwsSecurityFinding{}
		for _, f := range out.Findings {
			m[aws.ToString(f.GeneratorId)] = f
		}
		return m
	}
	got := get()
	if f, ok := got["fargatekit/PERM-02"]; !ok || f.Severity.Label != shtypes.SeverityLabelCritical || aws.ToString(f.SchemaVersion) != audit.ASFFSchemaVersion ||
		aws.ToString(f.ProductArn) != "arn:aws:securityhub:us-west-2:123456789012:product/123456789012/default" {
		t.Errorf("PERM-02 in Security Hub: %+v", f)
	}
	// Next night: CLU-01 is resolved, PERM-02 persists.
	next := outputsReport()
	next.Findings = next.Findings[:1]
	next.Findings[0].Status = audit.StatusPersisting
	next.Resolved = []audit.Finding{r.Findings[1]}
	res, err = audit.SendToSecurityHub(ctx, sh, next, audit.ASFFOptions{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Archived != 1 {
		t.Errorf("second run: %+v", res)
	}
	if f := get()["fargatekit/CLU-01"]; f.RecordState != shtypes.RecordStateArchived {
		t.Errorf("CLU-01 record state %q, want ARCHIVED", f.RecordState)
	}
	// Batches of at most 100.
	many := outputsReport()
	for i := range 250 {
		f := many.Findings[0]
		f.Resource += string(rune('a' + i%26))
		f.Fingerprint = ""
		f.Message = strings.Repeat("x", i)
		f.Actual = f.Message
		many.Findings = append(many.Findings, f)
	}
	many.Finalize()
	res, err = audit.SendToSecurityHub(ctx, sh, many, audit.ASFFOptions{Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 3 {
		t.Errorf("%d findings in %d calls, want 3 calls of at most 100", res.Imported, res.Calls)
	}
}
