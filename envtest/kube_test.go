package envtest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/envtest"
)

func TestKubeSeedAndConflict(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{}); err != nil {
		t.Fatal(err)
	}
	// Seeding twice is harmless.
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{}); err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	d, err := k.Client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Annotations["eks.amazonaws.com/compute-type"]; got != "ec2" {
		t.Errorf("coredns pod-template compute-type = %q, want ec2 as EKS seeds it", got)
	}
	for _, ds := range []string{"aws-node", "kube-proxy"} {
		if _, err := k.Client.AppsV1().DaemonSets("kube-system").Get(ctx, ds, metav1.GetOptions{}); err != nil {
			t.Errorf("DaemonSet %s: %v", ds, err)
		}
	}
	if _, err := k.Client.CoreV1().ServiceAccounts("kube-system").Get(ctx, "aws-node", metav1.GetOptions{}); err != nil {
		t.Errorf("ServiceAccount aws-node: %v", err)
	}

	// A stale update is refused with a resourceVersion conflict.
	cm, err := k.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := cm.DeepCopy()
	cm.Data["mapRoles"] = "- rolearn: arn:aws:iam::123456789012:role/a\n  username: a\n"
	if _, err := k.Client.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stale.Data["mapUsers"] = "- userarn: arn:aws:iam::123456789012:user/b\n  username: b\n"
	_, err = k.Client.CoreV1().ConfigMaps("kube-system").Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("stale update: err = %v, want a Conflict", err)
	}
}

func TestKubeAPIModeHasNoAwsAuth(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{AuthenticationMode: "API", CoreDNSWithoutComputeType: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("aws-auth in API mode: err = %v, want NotFound", err)
	}
	d, err := k.Client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Spec.Template.Annotations["eks.amazonaws.com/compute-type"]; ok {
		t.Error("CoreDNSWithoutComputeType: annotation present")
	}

	// A user certificate without groups is authenticated but not authorized.
	cert, key, err := k.ClientCertificate("nobody")
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(k.Config)
	cfg.CertData, cfg.KeyData = cert, key
	c := kubernetes.NewForConfigOrDie(cfg)
	_, err = c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("unprivileged list: err = %v, want Forbidden (RBAC is on)", err)
	}
	// Pods can be created without a default ServiceAccount controller.
	_, err = k.Client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Errorf("create pod: %v", err)
	}
}

func TestKubeconfigWorksWithKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is needed for this interop test: %v", err)
	}
	k := envtest.NewKube(t)
	kc, err := k.Kubeconfig("envtest")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "--kubeconfig", path, "get", "svc", "kubernetes", "-n", "default", "-o", "name").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "service/kubernetes" {
		t.Errorf("kubectl get svc = %q, want service/kubernetes", got)
	}
}

func TestMissingBinariesSayHowToBuild(t *testing.T) {
	_, err := envtest.StartKube(context.Background(), func(o *envtest.KubeOptions) { o.BinDir = t.TempDir() })
	if err == nil || !strings.Contains(err.Error(), "make tools") {
		t.Fatalf("err = %v, want advice to run make tools", err)
	}
}
