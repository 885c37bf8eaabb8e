package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/iamtrust"
)

const region = "eu-west-1"

// TestEmbed runs the tool twice against moto and a real kube-apiserver:
// the first run builds the cluster from the spec made in code, with the
// tool's logger and progress lines, and its audit passes the company rule;
// then someone creates an untagged cluster by hand, and the second run plans
// nothing and reports ACME-01 for that cluster only.
func TestEmbed(t *testing.T) {
	a := envtest.NewAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: "API", CoreDNSWithoutComputeType: true}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := Config{
		AWS:        a.Config(region),
		Cluster:    "payments",
		CostCenter: "cc-4711",
		SecretsKey: secretsKey(t, a.Config(region)),
		Apply:      true,
		// Every cluster's Kubernetes API is the local apiserver.
		Kube: func(context.Context, string) (*rest.Config, error) { return kube.Config, nil },
		Log:  &logs,
	}

	var out bytes.Buffer
	if err := run(ctx, cfg, &out); err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	first := out.String()
	t.Logf("first run:\n%s", first)
	for _, want := range []string{
		"+   create  eks.cluster payments",
		"eks.cluster/payments: ACTIVE", // the state of the wait
		"eks.cluster/payments: done",
		"eks.fargate-profile/payments/system: done",
		"deferred/irsa: k8s.serviceaccount/default/invoice-archiver: done",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first run: no %q in the output", want)
		}
	}
	for _, id := range []string{"ACME-01", "CLU-04"} {
		if strings.Contains(first, id) {
			t.Errorf("first run: %s for the cluster built with the tag and a secrets key", id)
		}
	}
	clusterARN := "arn:aws:eks:" + region + ":" + envtest.AccountID + ":cluster/payments"
	rep := auditOf(t, first)
	for _, f := range rep {
		if f.cluster == clusterARN && f.severity >= iamtrust.SeverityHigh {
			t.Errorf("the cluster built from the spec has a %s finding: %s", f.severity, f.line)
		}
	}

	// The tag went on the cluster, and the logs are the tool's JSON lines.
	ek := eks.NewFromConfig(cfg.AWS)
	dc, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("payments")})
	if err != nil {
		t.Fatal(err)
	}
	if got := dc.Cluster.Tags[costCenterTag]; got != "cc-4711" {
		t.Errorf("cluster tag %s = %q, want cc-4711", costCenterTag, got)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("logs: %d line(s)", len(lines))
	}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["tool"] != "acme-platform" {
			t.Errorf("log line is not the tool's JSON: %q (%v)", l, err)
			break
		}
	}

	// Someone creates a cluster by hand, without the tag.
	role, err := iam.NewFromConfig(cfg.AWS).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("payments-cluster")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ek.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("legacy"), RoleArn: role.Role.Arn, ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: dc.Cluster.ResourcesVpcConfig.SubnetIds},
	}); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := run(ctx, cfg, &out); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	second := out.String()
	t.Logf("second run:\n%s", second)
	if !strings.Contains(second, "No changes.") {
		t.Errorf("second run: the plan is not empty")
	}
	if strings.Contains(second, "Applying:") {
		t.Errorf("second run applied something")
	}
	legacyARN := "arn:aws:eks:" + region + ":" + envtest.AccountID + ":cluster/legacy"
	var acme []string
	for _, f := range auditOf(t, second) {
		if f.check == "ACME-01" {
			acme = append(acme, f.cluster)
		}
	}
	if len(acme) != 1 || acme[0] != legacyARN {
		t.Errorf("ACME-01 findings for %v, want only %s", acme, legacyARN)
	}
}

// finding is one finding of the text report.
type finding struct {
	check, resource, cluster string
	severity                 iamtrust.Severity
	line                     string
}

// auditOf reads the findings back from the text report: a heading per
// severity ("HIGH (2)"), then per finding "  CHECK  RESOURCE" and, when the
// resource is not the cluster, "cluster: ARN".
func auditOf(t *testing.T, out string) []finding {
	t.Helper()
	_, report, ok := strings.Cut(out, "fargatekit audit of account")
	if !ok {
		t.Fatalf("no audit report in the output")
	}
	heading := regexp.MustCompile(`^(CRITICAL|HIGH|MEDIUM|LOW|INFO) \(\d+\)$`)
	item := regexp.MustCompile(`^  (\S+)\s+(\S+)$`)
	var fs []finding
	var sev iamtrust.Severity
	for _, l := range strings.Split(report, "\n") {
		if m := heading.FindStringSubmatch(l); m != nil {
			s, err := iamtrust.ParseSeverity(strings.ToLower(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			sev = s
			continue
		}
		if strings.HasPrefix(l, "INCOMPLETE") {
			break
		}
		if m := item.FindStringSubmatch(l); m != nil {
			fs = append(fs, finding{check: m[1], resource: m[2], cluster: m[2], severity: sev, line: l})
			continue
		}
		if c, ok := strings.CutPrefix(strings.TrimSpace(l), "cluster:"); ok && len(fs) > 0 {
			fs[len(fs)-1].cluster = strings.TrimSpace(c)
		}
	}
	return fs
}

// secretsKey creates a KMS key for Secrets encryption.
func secretsKey(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out, err := kms.NewFromConfig(cfg).CreateKey(t.Context(), &kms.CreateKeyInput{Description: aws.String("payments secrets")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// TestCostCenterCheck runs ACME-01 over snapshots built by hand, as the
// audit runs it over observed ones.
func TestCostCenterCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tags   map[string]string
		unread bool // the cluster could not be described
		want   []string
		reason string
	}{
		{name: "tagged", tags: map[string]string{"cost-center": "cc-1"}, reason: "the tag is what the rule asks for"},
		{name: "untagged", want: []string{"ACME-01"}, reason: "no tags at all"},
		{name: "other tags", tags: map[string]string{"team": "payments"}, want: []string{"ACME-01"}, reason: "other tags do not count"},
		{name: "blank", tags: map[string]string{"cost-center": " "}, want: []string{"ACME-01"}, reason: "a blank value bills nobody"},
		{name: "unreadable", unread: true, reason: "a cluster that could not be read is incomplete, not a finding and not a pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arn := "arn:aws:eks:eu-west-1:123456789012:cluster/c"
			s := &audit.Snapshot{Account: "123456789012", Partition: "aws", Regions: []string{"eu-west-1"},
				Clusters: []*audit.Cluster{{Region: "eu-west-1", Name: "c", ARN: arn, Tags: tc.tags}}}
			if tc.unread {
				s.Unavailable = []audit.Unavailable{{What: audit.PartCluster, Region: "eu-west-1", Cluster: arn, Reason: "AccessDenied"}}
			}
			r := audit.Evaluate(s, []*audit.Check{costCenterCheck()})
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Check)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: findings (-want +got):\n%s", tc.reason, diff)
			}
			if tc.unread && len(r.Incomplete) == 0 {
				t.Errorf("%s: no incomplete entry", tc.reason)
			}
		})
	}
}

// TestClusterSpec checks that the spec built in code passes fargatekit's
// validation, as Plan would check it.
func TestClusterSpec(t *testing.T) {
	s := clusterSpec("payments", "eu-west-1", "cc-4711").Defaults()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Tags[costCenterTag] != "cc-4711" {
		t.Errorf("tags %v", s.Tags)
	}
}
