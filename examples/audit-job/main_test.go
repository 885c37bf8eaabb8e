package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/iamtrust"
)

const region = "ap-northeast-1"

// TestAuditJob runs the job as the CronJob would, with its configuration
// from flags and the environment (AWS_ENDPOINT_URL points the standard AWS
// configuration at moto behind the proxy), against a cluster built from a
// spec: clean, it exits 0; after someone drops the aws:SourceArn condition
// from the Fargate pod execution role's trust, it exits 1 and the JSON
// report carries the IAM-02 finding with its evidence and fix.
func TestAuditJob(t *testing.T) {
	a := envtest.NewAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	cfg := a.Config(region)
	buildCluster(ctx, t, cfg, kube)
	setAWSEnv(t, a.Endpoint)
	kubeconfig, err := kube.Kubeconfig("nightly")
	if err != nil {
		t.Fatal(err)
	}
	kcPath := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kcPath, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FARGATEKIT_CLUSTERS", "nightly")
	args := []string{"-kubeconfig", kcPath, "-fail-on", "high"}

	t.Run("clean", func(t *testing.T) {
		r, code, stderr := runJob(t, args...)
		if code != 0 {
			t.Fatalf("exit code %d, want 0; stderr:\n%s\nhigh findings: %+v\nincomplete: %+v", code, stderr, r.AtOrAbove(iamtrust.SeverityHigh), r.Incomplete)
		}
		want := []string{"arn:aws:eks:" + region + ":" + envtest.AccountID + ":cluster/nightly"}
		if diff := cmp.Diff(want, r.Clusters); diff != "" {
			t.Errorf("clusters audited (-want +got):\n%s", diff)
		}
	})

	t.Run("broken", func(t *testing.T) {
		// The walkthrough's trust, without the confused-deputy condition.
		unscoped := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		if _, err := iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String("nightly-pods"), PolicyDocument: aws.String(unscoped)}); err != nil {
			t.Fatal(err)
		}
		r, code, stderr := runJob(t, args...)
		if code != 1 {
			t.Fatalf("exit code %d, want 1; stderr:\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "finding(s) at or above high") {
			t.Errorf("stderr does not say why: %q", stderr)
		}
		var got *audit.Finding
		for i, f := range r.Findings {
			if f.Check == "IAM-02" {
				got = &r.Findings[i]
			}
		}
		if got == nil {
			t.Fatalf("no IAM-02 finding in %+v", r.Findings)
		}
		role := "arn:aws:iam::" + envtest.AccountID + ":role/nightly-pods"
		if got.Severity != iamtrust.SeverityHigh || got.Resource != role || got.Expected == "" || got.Actual == "" || len(got.Fix) == 0 {
			t.Errorf("IAM-02 finding lacks severity, resource, evidence or fix: %+v", got)
		}
		// -fail-on none reports the same findings and exits 0.
		if _, code, stderr := runJob(t, append(args, "-fail-on", "none")...); code != 0 {
			t.Errorf("-fail-on none: exit code %d, want 0; stderr:\n%s", code, stderr)
		}
	})

	t.Run("missing cluster", func(t *testing.T) {
		// A typo in the cluster name must not pass silently.
		r, code, _ := runJob(t, "-kubeconfig", kcPath, "-cluster", "nightyl")
		if code != 1 || len(r.Incomplete) == 0 {
			t.Errorf("exit code %d with incomplete %+v, want 1 with the missing cluster", code, r.Incomplete)
		}
	})
}

// TestCouldNotRun checks exit code 2 for what keeps the audit from running.
func TestCouldNotRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		reason string
	}{
		{name: "bad threshold", args: []string{"-fail-on", "severe"}, reason: "an unknown severity is bad input"},
		{name: "unknown flag", args: []string{"-clusters", "x"}, reason: "a misspelt flag is bad input"},
		{name: "argument", args: []string{"eks-test"}, reason: "clusters are flags, not arguments"},
		{name: "no region", env: map[string]string{"AWS_REGION": ""}, reason: "the audit needs a region"},
		{name: "unreachable", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, reason: "no caller identity: AWS does not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setAWSEnv(t, "http://127.0.0.1:1")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			code := runMain(ctx, tc.args, os.Getenv, &stdout, &stderr)
			t.Logf("stderr: %s", stderr.String())
			if code != 2 {
				t.Errorf("%s: exit code %d, want 2; stderr:\n%s", tc.reason, code, stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("%s: a report was written although the audit could not run:\n%s", tc.reason, stdout.String())
			}
		})
	}
}

// TestParseFlags checks flags and their environment defaults.
func TestParseFlags(t *testing.T) {
	high, medium := iamtrust.SeverityHigh, iamtrust.SeverityMedium
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		clusters []string
		failOn   *iamtrust.Severity
		reason   string
	}{
		{name: "defaults", failOn: &high, reason: "every cluster of the region, failing on high"},
		{name: "env clusters", env: map[string]string{"FARGATEKIT_CLUSTERS": " a, b ,,"}, clusters: []string{"a", "b"}, failOn: &high, reason: "comma-separated, blanks ignored"},
		{name: "flag wins", args: []string{"-cluster", "x", "-cluster", "y"}, env: map[string]string{"FARGATEKIT_CLUSTERS": "a"}, clusters: []string{"x", "y"}, failOn: &high, reason: "flags override the environment"},
		{name: "env threshold", env: map[string]string{"FARGATEKIT_FAIL_ON": "medium"}, failOn: &medium, reason: "threshold from the environment"},
		{name: "none", args: []string{"-fail-on=none"}, env: map[string]string{"FARGATEKIT_FAIL_ON": "medium"}, reason: "none never fails on findings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFlags(tc.args, func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("%s: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.clusters, f.clusters); diff != "" {
				t.Errorf("%s: clusters (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.failOn, f.failOn); diff != "" {
				t.Errorf("%s: fail-on (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// runJob runs the job in-process as main does and decodes its report.
func runJob(t *testing.T, args ...string) (*audit.Report, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runMain(t.Context(), args, os.Getenv, &stdout, &stderr)
	r, err := audit.DecodeReport(&stdout)
	if err != nil {
		t.Fatalf("exit code %d; the output is not a report: %v\nstderr:\n%s", code, err, stderr.String())
	}
	return r, code, stderr.String()
}

// setAWSEnv makes the standard AWS configuration use the local endpoint
// with envtest's dummy credentials, and nothing from the machine's own
// configuration.
func setAWSEnv(t *testing.T, endpoint string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_REGION":                  region,
		"AWS_ACCESS_KEY_ID":           envtest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       envtest.SecretAccessKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
		"FARGATEKIT_CLUSTERS":         "",
		"FARGATEKIT_FAIL_ON":          "",
	} {
		t.Setenv(k, v)
	}
}

// buildCluster builds a Fargate-only cluster the way fargatekit builds it
// from a spec, so that the audit finds nothing at or above high.
func buildCluster(ctx context.Context, t *testing.T, cfg aws.Config, kube *envtest.Kube) {
	t.Helper()
	// What EKS puts into a new cluster, with CoreDNS as the coredns addon
	// leaves it once computeType is Fargate (no addon manager runs here).
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: access.AuthModeAPI, CoreDNSWithoutComputeType: true}); err != nil {
		t.Fatal(err)
	}
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("nightly secrets")})
	if err != nil {
		t.Fatal(err)
	}
	spec := eksfargate.NewSpec("nightly", region).
		WithVPC("10.0.0.0/16").
		WithClusterRole("nightly-cluster").
		WithPodExecutionRole("nightly-pods").
		WithEndpointAccess(true, true, "203.0.113.0/24").
		WithSecretsEncryption(aws.ToString(key.KeyMetadata.Arn)).
		AddFargateProfile("system", eksfargate.SelectNamespace("kube-system").WithLabel("k8s-app", "kube-dns")).
		AddFargateProfile("audit", eksfargate.SelectNamespace("fargatekit-audit")).
		AddAddon(eksfargate.AddonSpec{Name: "coredns"})
	opts := []func(*eksfargate.Options){eksfargate.FromConfig(cfg), func(o *eksfargate.Options) {
		o.Kube = func(context.Context, *ekstypes.Cluster) (kubernetes.Interface, error) { return kube.Client, nil }
	}}
	p, err := eksfargate.Plan(ctx, spec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := eksfargate.Apply(ctx, p, opts...); err != nil {
		t.Fatalf("apply: %v\n%s", err, p.Text())
	}
}
