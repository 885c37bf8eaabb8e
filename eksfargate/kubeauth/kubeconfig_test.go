package kubeauth_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
)

func init() {
	// Another test file of the package may have defined it already.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func kcfgUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// kcfgGolden compares got with testdata/clusterside/name, or rewrites it
// with -update.
func kcfgGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "clusterside", name)
	if kcfgUpdating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", path, d)
	}
}

var kcfgCluster = kubeauth.KubeconfigCluster{
	Name:     "eks-test",
	Region:   "ap-northeast-1",
	Endpoint: "https://ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
	CAData:   []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
	ARN:      "arn:aws:eks:ap-northeast-1:123456789012:cluster/eks-test",
}

// kcfgOther is a kubeconfig with another cluster, as a user has it.
const kcfgOther = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://other.example
    insecure-skip-tls-verify: true
  name: other
users:
- name: other-admin
  user:
    token: secret-token
contexts:
- context:
    cluster: other
    user: other-admin
    namespace: prod
  name: other
current-context: other
preferences: {}
`

func TestWriteKubeconfigMerge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(kcfgOther), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := kubeauth.WriteKubeconfig(path, kcfgCluster, kubeauth.KubeconfigOptions{RoleARN: "arn:aws:iam::123456789012:role/admin", Profile: "prod"}); err != nil {
		t.Fatal(err)
	}
	// Once more with the native token command: the entries are replaced,
	// not duplicated.
	if err := kubeauth.WriteKubeconfig(path, kcfgCluster, kubeauth.KubeconfigOptions{Exec: kubeauth.ExecFargatekit, ContextName: "eks-test", SetCurrent: true}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 (the file holds credentials)", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	kcfgGolden(t, "kubeconfig-merged.yaml", b)
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Contexts["other"] == nil || cfg.Contexts["other"].Namespace != "prod" || cfg.AuthInfos["other-admin"].Token != "secret-token" {
		t.Error("the other cluster's context or user was lost")
	}
	if cfg.CurrentContext != "eks-test" {
		t.Errorf("current context %q, want eks-test (SetCurrent)", cfg.CurrentContext)
	}
	// The first write's context (named by ARN) is still there, and both
	// contexts point at the one cluster entry.
	if got := len(cfg.Clusters); got != 2 {
		t.Errorf("%d clusters, want 2", got)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
}

func TestWriteKubeconfigKeepsCurrentContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kcfgOther), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := kubeauth.WriteKubeconfig(path, kcfgCluster, kubeauth.KubeconfigOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := clientcmd.LoadFromFile(path)
	if cfg.CurrentContext != "other" {
		t.Errorf("current context %q, want other: without SetCurrent the user's choice stays", cfg.CurrentContext)
	}
}

func TestWriteKubeconfigNewFileAndSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real", "config")
	if err := kubeauth.WriteKubeconfig(real, kcfgCluster, kubeauth.KubeconfigOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != kcfgCluster.ARN {
		t.Errorf("a new file's current context is %q, want the cluster's", cfg.CurrentContext)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	other := kcfgCluster
	other.Name, other.ARN = "second", "arn:aws:eks:ap-northeast-1:123456789012:cluster/second"
	if err := kubeauth.WriteKubeconfig(link, other, kubeauth.KubeconfigOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	cfg, _ = clientcmd.LoadFromFile(real)
	if len(cfg.Contexts) != 2 {
		t.Errorf("the file behind the symlink has %d contexts, want 2", len(cfg.Contexts))
	}
}

func TestWriteKubeconfigMalformed(t *testing.T) {
	tests := []struct{ name, content, why string }{
		{"not yaml", "apiVersion: v1\nclusters: [\n", "YAML syntax error"},
		{"wrong shape", "apiVersion: v1\nkind: Config\nclusters: 42\n", "clusters is not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			err := kubeauth.WriteKubeconfig(path, kcfgCluster, kubeauth.KubeconfigOptions{})
			if err == nil || !strings.Contains(err.Error(), "not a valid kubeconfig") {
				t.Fatalf("%s: err = %v, want a clear error", tt.why, err)
			}
			b, _ := os.ReadFile(path)
			if string(b) != tt.content {
				t.Errorf("%s: the file was changed", tt.why)
			}
			if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
				t.Errorf("%s: files left behind: %v", tt.why, ents)
			}
		})
	}
}

func TestKubeconfigExecConfig(t *testing.T) {
	tests := []struct {
		name string
		o    kubeauth.KubeconfigOptions
		want clientcmdapi.ExecConfig
	}{
		{"aws cli", kubeauth.KubeconfigOptions{}, clientcmdapi.ExecConfig{
			Command: "aws", Args: []string{"--region", "ap-northeast-1", "eks", "get-token", "--cluster-name", "eks-test", "--output", "json"},
			APIVersion: "client.authentication.k8s.io/v1beta1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}},
		{"aws cli, role and profile", kubeauth.KubeconfigOptions{RoleARN: "arn:aws:iam::123456789012:role/r", Profile: "p"}, clientcmdapi.ExecConfig{
			Command: "aws", Args: []string{"--region", "ap-northeast-1", "eks", "get-token", "--cluster-name", "eks-test", "--output", "json", "--role-arn", "arn:aws:iam::123456789012:role/r"},
			Env:        []clientcmdapi.ExecEnvVar{{Name: "AWS_PROFILE", Value: "p"}},
			APIVersion: "client.authentication.k8s.io/v1beta1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}},
		{"fargatekit at a path", kubeauth.KubeconfigOptions{Exec: kubeauth.ExecFargatekit, Command: "/opt/bin/fargatekit", RoleARN: "arn:aws:iam::123456789012:role/r"}, clientcmdapi.ExecConfig{
			Command: "/opt/bin/fargatekit", Args: []string{"token", "--cluster", "eks-test", "--region", "ap-northeast-1", "--role-arn", "arn:aws:iam::123456789012:role/r"},
			APIVersion: "client.authentication.k8s.io/v1beta1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}},
	}
	for _, tt := range tests {
		got, err := kubeauth.KubeconfigExecConfig(kcfgCluster, tt.o)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if d := cmp.Diff(tt.want, *got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
	if _, err := kubeauth.KubeconfigExecConfig(kcfgCluster, kubeauth.KubeconfigOptions{Exec: "kubelogin"}); err == nil {
		t.Error("unknown exec accepted")
	}
	if err := kubeauth.WriteKubeconfig(filepath.Join(t.TempDir(), "c"), kubeauth.KubeconfigCluster{Name: "x", Region: "r"}, kubeauth.KubeconfigOptions{}); err == nil {
		t.Error("a cluster without endpoint accepted")
	}
}
