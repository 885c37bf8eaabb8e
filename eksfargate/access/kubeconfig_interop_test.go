package access_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	authnv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/authwebhook"
	"github.com/fargatekit/fargatekit/plan"
)

// kcfgCaller is an IAM user of the local AWS with an access key.
type kcfgCaller struct {
	arn, key, secret string
}

func kcfgNewCaller(t *testing.T, ic *iam.Client, name string) kcfgCaller {
	t.Helper()
	ctx := context.Background()
	u, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return kcfgCaller{arn: aws.ToString(u.User.Arn), key: aws.ToString(k.AccessKey.AccessKeyId), secret: aws.ToString(k.AccessKey.SecretAccessKey)}
}

// TestKubectlInterop is the end-to-end proof of the cluster side: a
// kubeconfig written by WriteKubeconfig, tokens made by `aws eks get-token`
// and by `fargatekit token`, mappings written into aws-auth by access.Plan,
// and kubectl (the installed one) reaching a real kube-apiserver whose
// token webhook verifies the tokens against the local STS and maps callers
// through aws-auth as aws-iam-authenticator does. A caller removed from
// aws-auth is refused with 401.
func TestKubectlInterop(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is needed for this interop test (.ci/run installs it)")
	}
	a := envtest.NewAWS(t)
	u, _ := url.Parse(a.Endpoint)
	wh := authwebhook.New(t, func(o *authwebhook.Options) {
		o.ClusterID = "eks-test"
		o.AllowedHosts = []string{u.Host}
		o.AllowHTTP = true
	})
	args, err := wh.APIServerArgs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k := awsAuthKube(t, func(o *envtest.KubeOptions) { o.ExtraArgs = append(o.ExtraArgs, args...) })
	wh.SetKube(k.Client)
	ctx := context.Background()

	// Callers: alice (mapped as a user), carol (not mapped; may assume the
	// role dev, which is mapped), and the RBAC that lets fk-viewers read.
	cfg := a.Config("eu-west-1")
	ic := iam.NewFromConfig(cfg)
	alice, carol := kcfgNewCaller(t, ic, "alice"), kcfgNewCaller(t, ic, "carol")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("dev"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	devARN := aws.ToString(role.Role.Arn)
	// (The built-in "view" role is aggregated by kube-controller-manager,
	// which does not run here; so a role of our own.)
	if _, err := k.Client.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "fk-viewer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments"}, Verbs: []string{"get", "list"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "fk-viewers"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "fk-viewer"},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "fk-viewers"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	spec := awsAuthSpec(
		access.Mapping{ARN: alice.arn, Username: "alice", Groups: []string{"fk-viewers"}},
		access.Mapping{ARN: devARN, Username: "dev:{{SessionName}}", Groups: []string{"fk-viewers"}},
	)
	kcfgApplyAccess(t, k.Client, spec)

	dir := t.TempDir()
	cluster := kubeauth.KubeconfigCluster{Name: "eks-test", Region: "eu-west-1", Endpoint: k.Config.Host, CAData: k.CACert,
		ARN: "arn:aws:eks:eu-west-1:123456789012:cluster/eks-test"}
	kubectlAs := func(t *testing.T, kubeconfig string, c kcfgCaller, args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
			"AWS_ACCESS_KEY_ID=" + c.key, "AWS_SECRET_ACCESS_KEY=" + c.secret,
			"AWS_ENDPOINT_URL=" + a.Endpoint, "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=" + filepath.Join(dir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "no-aws-credentials"),
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	whoami := func(t *testing.T, kubeconfig string, c kcfgCaller) authnv1.UserInfo {
		t.Helper()
		out, stderr, err := kubectlAs(t, kubeconfig, c, "auth", "whoami", "-o", "json")
		if err != nil {
			t.Fatalf("kubectl auth whoami: %v\n%s", err, stderr)
		}
		var r authnv1.SelfSubjectReview
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return r.Status.UserInfo
	}
	write := func(t *testing.T, name string, o kubeauth.KubeconfigOptions) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := kubeauth.WriteKubeconfig(p, cluster, o); err != nil {
			t.Fatal(err)
		}
		return p
	}

	hasAWS := false
	if _, err := exec.LookPath("aws"); err == nil {
		hasAWS = true
	}
	t.Run("aws eks get-token, user", func(t *testing.T) {
		if !hasAWS {
			t.Fatal("the aws CLI is needed for this interop test (.ci/run installs it)")
		}
		kc := write(t, "aws-user", kubeauth.KubeconfigOptions{})
		ui := whoami(t, kc, alice)
		if ui.Username != "alice" || !contains(ui.Groups, "fk-viewers") || !contains(ui.Groups, "system:authenticated") {
			t.Errorf("kubectl is %+v, want alice in fk-viewers", ui)
		}
		if out, stderr, err := kubectlAs(t, kc, alice, "get", "deployments", "-n", "kube-system", "-o", "name"); err != nil || !strings.Contains(out, "deployment.apps/coredns") {
			t.Errorf("kubectl get deployments: %v %s %s", err, out, stderr)
		}
	})
	t.Run("aws eks get-token --role-arn", func(t *testing.T) {
		if !hasAWS {
			t.Fatal("the aws CLI is needed for this interop test (.ci/run installs it)")
		}
		kc := write(t, "aws-role", kubeauth.KubeconfigOptions{RoleARN: devARN})
		ui := whoami(t, kc, carol) // carol is not mapped, the role she assumes is
		if ui.Username != "dev:EKSGetTokenAuth" || !contains(ui.Groups, "fk-viewers") {
			t.Errorf("kubectl is %+v, want the dev role's mapping with the CLI's session name", ui)
		}
	})
	t.Run("fargatekit token", func(t *testing.T) {
		bin := filepath.Join(t.TempDir(), "fargatekit")
		build := exec.Command("go", "build", "-o", bin, "github.com/fargatekit/fargatekit/cmd/fargatekit")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build cmd/fargatekit: %v\n%s", err, out)
		}
		kc := write(t, "native", kubeauth.KubeconfigOptions{Exec: kubeauth.ExecFargatekit, Command: bin})
		if ui := whoami(t, kc, alice); ui.Username != "alice" {
			t.Errorf("kubectl is %+v, want alice", ui)
		}
		kc = write(t, "native-role", kubeauth.KubeconfigOptions{Exec: kubeauth.ExecFargatekit, Command: bin, RoleARN: devARN})
		if ui := whoami(t, kc, carol); ui.Username != "dev:fargatekit-token" {
			t.Errorf("kubectl is %+v, want the dev role's mapping", ui)
		}
	})
	t.Run("RESTConfigForCluster", func(t *testing.T) {
		ccfg := cfg.Copy()
		ccfg.Credentials = credentials.NewStaticCredentialsProvider(carol.key, carol.secret, "")
		rc, err := kubeauth.RESTConfigForCluster(ctx, ccfg, "eks-test", func(o *kubeauth.RESTConfigOptions) {
			o.Cluster = &ekstypes.Cluster{Name: aws.String("eks-test"), Endpoint: aws.String(k.Config.Host),
				CertificateAuthority: &ekstypes.Certificate{Data: aws.String(base64.StdEncoding.EncodeToString(k.CACert))}}
			o.Token = []func(*kubeauth.TokenOptions){func(to *kubeauth.TokenOptions) { to.RoleARN, to.SessionName = devARN, "client-go" }}
		})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			t.Fatal(err)
		}
		r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.UserInfo.Username != "dev:client-go" {
			t.Errorf("client-go is %+v", r.Status.UserInfo)
		}
	})
	t.Run("unmapped and removed callers are refused", func(t *testing.T) {
		kc := write(t, "refused", kubeauth.KubeconfigOptions{Exec: kubeauth.ExecAWSCLI})
		if !hasAWS {
			t.Fatal("the aws CLI is needed for this interop test (.ci/run installs it)")
		}
		if _, stderr, err := kubectlAs(t, kc, carol, "auth", "whoami"); err == nil || !strings.Contains(stderr, "Unauthorized") {
			t.Errorf("unmapped carol: err %v, stderr %q; want 401 Unauthorized", err, stderr)
		}
		// Remove alice from the spec: fargatekit owns her mapping, so it
		// goes, and her next request is refused.
		spec.Access.Mappings = spec.Access.Mappings[1:]
		kcfgApplyAccess(t, k.Client, spec)
		_, stderr, err := kubectlAs(t, kc, alice, "auth", "whoami")
		if err == nil || !strings.Contains(stderr, "Unauthorized") {
			t.Errorf("removed alice: err %v, stderr %q; want 401 Unauthorized", err, stderr)
		}
		revs := wh.Reviews()
		last := revs[len(revs)-1]
		if last.Authenticated || !strings.Contains(last.Reason, "user/alice is not mapped") {
			t.Errorf("last review %+v: alice should be refused for not being mapped (not for a bad token)", last)
		}
		// The Fargate pod execution role's mapping survived it all.
		if got := awsAuthParsed(t, k.Client); !strings.Contains(strings.Join(awsAuthRoleARNs(got), " "), "role/AmazonEKSFargatePodExecutionRole") {
			t.Errorf("aws-auth lost the Fargate mapping: %v", awsAuthRoleARNs(got))
		}
	})
}

func kcfgApplyAccess(t *testing.T, c kubernetes.Interface, spec *eksfargate.Spec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	chs, err := access.Plan(ctx, access.Clients{Kube: c}, spec.AccessTarget(), access.AuthModeConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Apply(ctx, &plan.Plan{Changes: chs}); err != nil {
		t.Fatal(err)
	}
}
