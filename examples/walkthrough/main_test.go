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
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
)

// The spec file is valid as shipped (with a key filled in), and says what
// the walkthrough needs.
func TestSpecFile(t *testing.T) {
	spec, err := Spec("arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	if spec.Name != "eks-test" || spec.Region != "ap-northeast-1" || spec.Cluster.ServiceIPv4CIDR != "172.20.0.0/16" {
		t.Errorf("cluster %s in %s with service CIDR %s; want eks-test, ap-northeast-1, 172.20.0.0/16", spec.Name, spec.Region, spec.Cluster.ServiceIPv4CIDR)
	}
	if len(spec.FargateProfiles) != 1 || spec.FargateProfiles[0].Name != "init-fargate" || len(spec.FargateProfiles[0].Selectors) != 4 {
		t.Errorf("profiles = %+v; want init-fargate with 4 selectors", spec.FargateProfiles)
	}
	if _, err := Spec(""); err == nil {
		t.Error("Spec without a KMS key: want an error")
	}
}

// The program plans, applies (a second plan is empty) and writes a
// kubeconfig, against moto behind the proxy and a real kube-apiserver.
func TestWalkthrough(t *testing.T) {
	a := envtest.NewAWS(t)
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{AuthenticationMode: access.AuthModeAPIAndConfigMap, CoreDNSWithoutComputeType: true}); err != nil {
		t.Fatal(err)
	}
	cfg := a.Config("ap-northeast-1")
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := options{
		KMSKeyARN:    aws.ToString(key.KeyMetadata.Arn),
		Kube:         func(context.Context, *ekstypes.Cluster) (kubernetes.Interface, error) { return k.Client, nil },
		PollInterval: 50 * time.Millisecond,
	}

	var out bytes.Buffer
	if err := run(ctx, cfg, o, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "create  eks.cluster eks-test") || !strings.Contains(out.String(), "Run again with -yes") {
		t.Fatalf("dry run output lacks the cluster create or the hint:\n%s", out.String())
	}
	if n := a.Proxy.Count("eks", "CreateCluster"); n != 0 {
		t.Fatalf("a dry run created %d clusters", n)
	}

	o.Apply = true
	o.Kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	out.Reset()
	if err := run(ctx, cfg, o, &out); err != nil {
		t.Fatalf("apply: %v\n%s", err, out.String())
	}
	st, err := os.Stat(o.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("kubeconfig mode %v, want 0600", st.Mode().Perm())
	}
	kc, err := clientcmd.LoadFromFile(o.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if ctxt := kc.Contexts[kc.CurrentContext]; ctxt == nil || kc.AuthInfos[ctxt.AuthInfo].Exec == nil {
		t.Errorf("kubeconfig has no current context with an exec user: %+v", kc)
	}

	// Converged: a new plan is empty.
	o.Apply, o.Kubeconfig = false, ""
	out.Reset()
	if err := run(ctx, cfg, o, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "No changes.") {
		t.Errorf("plan after apply:\n%s", out.String())
	}
}
