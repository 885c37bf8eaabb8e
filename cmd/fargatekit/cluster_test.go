package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

// clusterTestSpec is a small Fargate-only stack; KEY is replaced by a KMS
// key ARN.
const clusterTestSpec = `apiVersion: fargatekit.io/v1alpha1
kind: FargateCluster
name: cli-test
region: ap-northeast-1
network:
  vpc:
    cidr: 192.168.0.0/16
    availabilityZones: [ap-northeast-1a, ap-northeast-1c]
clusterRole:
  name: cliClusterRole
podExecutionRole:
  name: cliPodExecutionRole
cluster:
  version: "1.34"
  secretsKMSKeyARN: KEY
  serviceIPv4CIDR: 172.20.0.0/16
fargateProfiles:
  - name: init-fargate
    selectors:
      - namespace: kube-system
      - namespace: default
addons:
  - name: coredns
  - name: kube-proxy
`

func clusterRunCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestClusterCommandsBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := strings.Replace(clusterTestSpec, "KEY", "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", 1)
	for _, tc := range []struct {
		name   string
		reason string
		args   []string
		stdin  string
		stderr string
	}{
		{"no file", "-f is required", []string{"plan"}, "", `"file" not set`},
		{"missing file", "an unreadable spec is bad input", []string{"plan", "-f", filepath.Join(dir, "none.yaml")}, "", "read spec"},
		{"unknown field", "strict decoding names the field", []string{"apply", "-f", write("u.yaml", valid+"clustr: {}\n")}, "", "spec.clustr: unknown field"},
		{"invalid", "validation problems have paths", []string{"destroy", "-f", write("i.yaml", strings.Replace(valid, "init-fargate", "eks-init", 1))}, "", "spec.fargateProfiles[0].name"},
		{"stdin", `"-" reads standard input`, []string{"plan", "-f", "-"}, "kind: Nope\n", "spec.kind"},
		{"output", "text or json", []string{"plan", "-f", write("v.yaml", valid), "-o", "yaml", "--region", "ap-northeast-1"}, "", `--output "yaml"`},
		{"region", "the region is the spec's", []string{"plan", "-f", write("r.yaml", valid), "--region", "us-east-1"}, "", "differs from the spec's region"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := clusterRunCLI(t, tc.stdin, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.reason, code, stderr, tc.stderr)
			}
		})
	}
}

// clusterLiveEnv starts a local AWS, points the CLI at it (awsEnv), and
// writes clusterTestSpec with a KMS key of that AWS; it returns the AWS, its
// configuration in the spec's region and the spec file.
func clusterLiveEnv(t *testing.T) (*envtest.AWS, aws.Config, string) {
	t.Helper()
	a := envtest.NewAWS(t)
	awsEnv(t, a)
	cfg := a.Config("ap-northeast-1")
	key, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(file, []byte(strings.Replace(clusterTestSpec, "KEY", aws.ToString(key.KeyMetadata.Arn), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return a, cfg, file
}

func TestClusterCommandsLive(t *testing.T) {
	_, cfg, file := clusterLiveEnv(t)
	ctx := context.Background()
	clusterExists := func() bool {
		_, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("cli-test")})
		return err == nil
	}

	code, out, stderr := clusterRunCLI(t, "", "plan", "-f", file, "--aws-only")
	if code != 0 || !strings.Contains(out, "Plan: 18 to create, 0 to update, 0 to replace, 0 to delete.") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, _ = clusterRunCLI(t, "", "plan", "-f", file, "--aws-only", "--detailed-exitcode"); code != 1 {
		t.Fatalf("plan --detailed-exitcode with changes pending: exit %d, want 1", code)
	}
	code, out, _ = clusterRunCLI(t, "", "plan", "-f", file, "--aws-only", "-o", "json")
	var doc struct {
		Schema  string         `json:"schema"`
		Summary map[string]int `json:"summary"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || doc.Schema != plan.JSONSchemaVersion || doc.Summary["create"] != 18 {
		t.Fatalf("plan -o json: exit %d, %+v\n%s", code, doc, out)
	}
	code, _, stderr = clusterRunCLI(t, "", "apply", "-f", file, "--aws-only")
	if code != 0 || !strings.Contains(stderr, "--yes") || clusterExists() {
		t.Fatalf("apply without --yes: exit %d, cluster exists %t\n%s", code, clusterExists(), stderr)
	}
	code, _, stderr = clusterRunCLI(t, "", "apply", "-f", file, "--aws-only", "--yes", "--log-format", "json")
	if code != 0 || !clusterExists() || !strings.Contains(stderr, "create eks.cluster cli-test: done") {
		t.Fatalf("apply --yes: exit %d\n%s", code, stderr)
	}
	// --log-format json: progress and the closing line are JSON too.
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] == nil {
			t.Errorf("apply --log-format json: stderr line is not a JSON log entry: %q", l)
		}
	}
	code, out, _ = clusterRunCLI(t, "", "plan", "-f", file, "--aws-only", "--detailed-exitcode")
	if code != 0 || !strings.HasPrefix(out, "No changes.") {
		t.Fatalf("plan after apply: exit %d\n%s", code, out)
	}
	// Permission drift: AdministratorAccess attached to the pod execution
	// role behind fargatekit's back is pending (blocked without the opt-in).
	if _, err := iam.NewFromConfig(cfg).AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("cliPodExecutionRole"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = clusterRunCLI(t, "", "plan", "-f", file, "--aws-only", "--detailed-exitcode")
	if code != 1 || !strings.Contains(out, "AdministratorAccess") || !strings.Contains(out, "[blocked: set spec.podExecutionRole.detachUnmanagedPolicies") {
		t.Fatalf("plan with AdministratorAccess attached out of band: exit %d, want 1\n%s", code, out)
	}
	if _, err := iam.NewFromConfig(cfg).DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("cliPodExecutionRole"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = clusterRunCLI(t, "", "destroy", "-f", file, "--aws-only")
	if code != 0 || !strings.Contains(out, "to delete.") || !clusterExists() {
		t.Fatalf("destroy without --yes: exit %d\n%s", code, out)
	}
	code, _, stderr = clusterRunCLI(t, "", "destroy", "-f", file, "--aws-only", "--yes")
	if code != 0 || clusterExists() {
		t.Fatalf("destroy --yes: exit %d\n%s", code, stderr)
	}
	code, out, _ = clusterRunCLI(t, "", "destroy", "-f", file, "--aws-only")
	if code != 0 || !strings.HasPrefix(out, "Nothing to destroy") {
		t.Fatalf("destroy after destroy: exit %d, want 0 and \"Nothing to destroy\"\n%s", code, out)
	}
}
