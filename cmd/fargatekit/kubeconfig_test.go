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
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fargatekit/fargatekit/envtest"
)

func TestKubeconfigCommand(t *testing.T) {
	a := envtest.NewAWS(t) // before tokenEnv: moto_server inherits the environment
	tokenEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", a.Endpoint)
	dir := t.TempDir()
	if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile prod]\nregion = eu-west-1\naws_access_key_id = "+envtest.AccessKeyID+"\naws_secret_access_key = "+envtest.SecretAccessKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := eks.NewFromConfig(a.Config("eu-west-1")).CreateCluster(context.Background(), &eks.CreateClusterInput{
		Name: aws.String("eks-test"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Cluster.Arn)
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\ncontexts:\n- name: mine\n  context: {cluster: mine, user: mine}\nclusters:\n- name: mine\n  cluster: {server: https://mine.example}\nusers:\n- name: mine\n  user: {token: t}\ncurrent-context: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, errb bytes.Buffer
	if code := run([]string{"kubeconfig", "--cluster", "eks-test", "--region", "eu-west-1", "--kubeconfig", path}, strings.NewReader(""), &stdout, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(stdout.String(), "Updated context "+arn) {
		t.Errorf("stdout %q", stdout.String())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != arn || cfg.Contexts["mine"] == nil {
		t.Errorf("current %q, contexts %v: want the new one current and the old one kept", cfg.CurrentContext, cfg.Contexts)
	}
	cl := cfg.Clusters[arn]
	if cl == nil || cl.Server != aws.ToString(out.Cluster.Endpoint) || len(cl.CertificateAuthorityData) == 0 {
		t.Errorf("cluster entry %+v, want DescribeCluster's endpoint and CA", cl)
	}
	if e := cfg.AuthInfos[arn].Exec; e == nil || e.Command != "aws" || strings.Join(e.Args, " ") != "--region eu-west-1 eks get-token --cluster-name eks-test --output json" {
		t.Errorf("exec %+v", e)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}

	// The native token command with a profile and a role, under another
	// context name, not made current.
	stdout.Reset()
	if code := run([]string{"kubeconfig", "--cluster", "eks-test", "--profile", "prod", "--kubeconfig", path, "--exec", "fargatekit",
		"--role-arn", "arn:aws:iam::123456789012:role/admin", "--context", "test", "--no-set-current"}, strings.NewReader(""), &stdout, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	cfg, _ = clientcmd.LoadFromFile(path)
	e := cfg.AuthInfos[arn].Exec
	if e.Command != "fargatekit" || strings.Join(e.Args, " ") != "token --cluster eks-test --region eu-west-1 --role-arn arn:aws:iam::123456789012:role/admin" ||
		len(e.Env) != 1 || e.Env[0].Name != "AWS_PROFILE" || e.Env[0].Value != "prod" {
		t.Errorf("exec %+v", e)
	}
	if cfg.CurrentContext != arn || cfg.Contexts["test"] == nil {
		t.Errorf("current %q, contexts %v", cfg.CurrentContext, cfg.Contexts)
	}
}

func TestKubeconfigCommandBadInput(t *testing.T) {
	a := envtest.NewAWS(t) // before tokenEnv: moto_server inherits the environment
	tokenEnv(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	if err := os.WriteFile(broken, []byte("clusters: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", a.Endpoint)
	if _, err := eks.NewFromConfig(a.Config("eu-west-1")).CreateCluster(context.Background(), &eks.CreateClusterInput{
		Name: aws.String("eks-test"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"kubeconfig", "--region", "eu-west-1"}, "--cluster is required"},
		{[]string{"kubeconfig", "--cluster", "eks-test", "--region", "eu-west-1", "--exec", "kubelogin"}, "want aws or fargatekit"},
		{[]string{"kubeconfig", "--cluster", "nope", "--region", "eu-west-1", "--kubeconfig", filepath.Join(dir, "x")}, "describe cluster nope"},
		{[]string{"kubeconfig", "--cluster", "eks-test", "--region", "eu-west-1", "--kubeconfig", broken}, "not a valid kubeconfig"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	if b, _ := os.ReadFile(broken); string(b) != "clusters: [\n" {
		t.Error("a malformed kubeconfig was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a kubeconfig was written for a cluster that does not exist")
	}
}
