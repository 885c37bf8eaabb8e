package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/envtest"
)

func TestIRSABadInput(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("serviceAccounts:\n  - namespace: a\n    name: b\n    managedPolicies: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("serviceAccounts:\n  - namespace: a\n    name: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
		why     string
	}{
		{"no file", []string{"irsa", "plan", "--cluster", "c"}, "pass -f", "the roles are required"},
		{"typo", []string{"irsa", "plan", "--cluster", "c", "-f", typo}, "managedPolicies", "unknown fields of the irsa section are errors"},
		{"no cluster", []string{"irsa", "plan", "-f", good}, "--cluster", "the cluster is required"},
		{"ipv6 alone", []string{"irsa", "apply", "--cluster", "c", "-f", good, "--ipv6"}, "--vpc-cni", "--ipv6 qualifies --vpc-cni"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 2 {
				t.Errorf("exit %d, want 2 (%s); stderr %s", code, tc.why, errb.String())
			}
			if !strings.Contains(errb.String(), tc.wantErr) {
				t.Errorf("stderr %q lacks %q (%s)", errb.String(), tc.wantErr, tc.why)
			}
		})
	}
}

func TestIRSALive(t *testing.T) {
	a := envtest.NewAWS(t)
	k := envtest.NewKube(t)
	ctx := context.Background()
	t.Setenv("AWS_ENDPOINT_URL", a.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", envtest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", envtest.SecretAccessKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	if _, err := eks.NewFromConfig(a.Config("ap-northeast-1")).CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String("eks-test"), RoleArn: aws.String("arn:aws:iam::" + envtest.AccountID + ":role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-0a", "subnet-0b"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := k.Kubeconfig("envtest")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	roles := filepath.Join(dir, "spec.yaml")
	spec := "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: eks-test\nregion: ap-northeast-1\n" +
		"network: {subnetIDs: [subnet-0a]}\n" +
		"irsa:\n  serviceAccounts:\n    - namespace: monitoring\n      name: prometheus\n      managedPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n"
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(roles, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(wantCode int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "-f", roles, "--kubeconfig", kubeconfig)
		if code := run(args, strings.NewReader(""), &out, &errb); code != wantCode {
			t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, wantCode, out.String(), errb.String())
		}
		return out.String()
	}
	cli(1, "irsa", "plan", "--detailed-exitcode")
	out := cli(0, "irsa", "plan")
	for _, w := range []string{"iam.oidc-provider", "iam.role arn:aws:iam::" + envtest.AccountID + ":role/eks-test-monitoring-prometheus", "k8s.serviceaccount monitoring/ServiceAccount/prometheus"} {
		if !strings.Contains(out, w) {
			t.Errorf("plan output lacks %q:\n%s", w, out)
		}
	}
	// Without --yes, apply is a dry run: the plan is shown, nothing changes.
	if out := cli(0, "irsa", "apply"); !strings.Contains(out, "iam.oidc-provider") {
		t.Errorf("apply without --yes shows no plan:\n%s", out)
	}
	cli(1, "irsa", "plan", "--detailed-exitcode")
	cli(0, "irsa", "apply", "--yes")
	if out := cli(0, "irsa", "plan", "--detailed-exitcode"); !strings.Contains(out, "No changes.") {
		t.Errorf("plan after apply:\n%s", out)
	}
	if out := cli(0, "irsa", "plan", "-o", "json"); !strings.Contains(out, `"schema": "fargatekit.io/plan/v1"`) {
		t.Errorf("JSON plan:\n%s", out)
	}
	sa, err := k.Client.CoreV1().ServiceAccounts("monitoring").Get(ctx, "prometheus", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::"+envtest.AccountID+":role/eks-test-monitoring-prometheus" {
		t.Errorf("annotations = %v", sa.Annotations)
	}
}
