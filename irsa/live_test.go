package irsa_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

const liveRegion = "ap-northeast-1"

// One moto (behind the proxy) and one kube-apiserver serve every test of
// this binary; tests reset AWS and use namespaces of their own.
var (
	liveAWS  *envtest.AWS
	liveKube *envtest.Kube
)

func TestMain(m *testing.M) {
	os.Exit(envtest.RunWithAWSAndKube(m, &liveAWS, &liveKube, &envtest.SeedOptions{}))
}

// liveEnv is a test's view of the shared servers.
type liveEnv struct {
	t       testing.TB
	ctx     context.Context
	cfg     aws.Config
	iam     *iam.Client
	eks     *eks.Client
	kube    kubernetes.Interface
	clients irsa.Clients
	cluster irsa.Cluster
}

// setupLive resets AWS, creates an EKS cluster in moto (which gives it an
// issuer https://oidc.eks.ap-northeast-1.amazonaws.com/id/…) and creates the
// namespaces.
func setupLive(t testing.TB, namespaces ...string) *liveEnv {
	t.Helper()
	if liveAWS == nil {
		t.Skip("needs moto_server and kube-apiserver: skipped in -short mode")
	}
	ctx := context.Background()
	if err := liveAWS.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	e := &liveEnv{t: t, ctx: ctx, cfg: liveAWS.Config(liveRegion), kube: liveKube.Client}
	e.iam, e.eks = iam.NewFromConfig(e.cfg), eks.NewFromConfig(e.cfg)
	e.clients = irsa.NewClients(e.cfg, e.kube)
	_, err := e.eks.CreateCluster(ctx, &eks.CreateClusterInput{
		Name:               aws.String("eks-test"),
		RoleArn:            aws.String("arn:aws:iam::" + envtest.AccountID + ":role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-0a", "subnet-0b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.cluster, err = irsa.ClusterFromEKS(ctx, e.eks, "eks-test")
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range namespaces {
		if _, err := e.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// plan plans and fails the test on error.
func (e *liveEnv) plan(roles []irsa.ServiceAccountRole, opts ...func(*irsa.Options)) *plan.Plan {
	e.t.Helper()
	p, err := irsa.Plan(e.ctx, e.clients, e.cluster, roles, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// converge plans and applies, then checks that a new plan is empty.
func (e *liveEnv) converge(roles []irsa.ServiceAccountRole, opts ...func(*irsa.Options)) *plan.Plan {
	e.t.Helper()
	p := e.plan(roles, opts...)
	if err := irsa.Apply(e.ctx, p); err != nil {
		e.t.Fatalf("apply: %v\nplan:\n%s", err, p.Text())
	}
	if again := e.plan(roles, opts...); !again.Empty() {
		e.t.Fatalf("plan after apply is not empty:\n%s", again.Text())
	}
	return p
}

func (e *liveEnv) trust(role string) *iamtrust.Document {
	e.t.Helper()
	out, err := e.iam.GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := iamtrust.ParseLive(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *liveEnv) expectedTrust(refs ...irsa.ServiceAccountRef) *iamtrust.Document {
	e.t.Helper()
	var sas []iamtrust.ServiceAccount
	for _, r := range refs {
		sas = append(sas, iamtrust.ServiceAccount{Namespace: r.Namespace, Name: r.Name})
	}
	d, err := iamtrust.IRSATrust(iamtrust.IRSA{AccountID: e.cluster.AccountID, IssuerURL: e.cluster.IssuerURL, ServiceAccounts: sas})
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *liveEnv) serviceAccount(ns, name string) *corev1.ServiceAccount {
	e.t.Helper()
	sa, err := e.kube.CoreV1().ServiceAccounts(ns).Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return sa
}

func (e *liveEnv) attached(role string) []string {
	e.t.Helper()
	out, err := e.iam.ListAttachedRolePolicies(e.ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	slices.Sort(arns)
	return arns
}

func TestLiveClusterFromEKS(t *testing.T) {
	e := setupLive(t)
	c := e.cluster
	if c.Name != "eks-test" || c.Region != liveRegion || c.AccountID != envtest.AccountID || c.Partition != "aws" {
		t.Errorf("cluster = %+v", c)
	}
	if !strings.HasPrefix(c.IssuerURL, "https://oidc.eks."+liveRegion+".amazonaws.com/id/") {
		t.Errorf("issuer = %q", c.IssuerURL)
	}
	if _, err := irsa.ClusterFromEKS(e.ctx, e.eks, "no-such-cluster"); err == nil {
		t.Error("a missing cluster gave no error")
	}
}

func TestLiveAnnotatesAndTrustIsExact(t *testing.T) {
	e := setupLive(t, "live-exact")
	sts := true
	exp := int64(3600)
	role := irsa.ServiceAccountRole{
		Namespace: "live-exact", Name: "api", ManagedPolicyARNs: []string{s3ReadOnly},
		InlinePolicies:       map[string]string{"sqs": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`},
		Tags:                 map[string]string{"team": "api"},
		STSRegionalEndpoints: &sts, TokenExpiration: &exp,
		PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess",
	}
	e.converge([]irsa.ServiceAccountRole{role})

	name := role.EffectiveRoleName("eks-test")
	got := e.trust(name)
	if want := e.expectedTrust(irsa.ServiceAccountRef{Namespace: "live-exact", Name: "api"}); !iamtrust.Equal(want, got) {
		t.Errorf("trust = %s\nwant %s", got, want)
	}
	// The exact condition keys and values, independent of the builder.
	host := strings.TrimPrefix(e.cluster.IssuerURL, "https://")
	keys := map[string][]string{}
	for _, st := range got.Statement {
		if st.Principal == nil || len(st.Principal.Entries) != 1 || st.Principal.Entries[0].Type != "Federated" ||
			st.Principal.Entries[0].Values.Items[0] != "arn:aws:iam::"+envtest.AccountID+":oidc-provider/"+host {
			t.Errorf("principal = %+v", st.Principal)
		}
		for _, c := range st.Condition {
			for _, k := range c.Keys {
				keys[c.Operator+" "+k.Key] = k.Values.Items
			}
		}
	}
	wantKeys := map[string][]string{
		"StringEquals " + host + ":sub": {"system:serviceaccount:live-exact:api"},
		"StringEquals " + host + ":aud": {"sts.amazonaws.com"},
	}
	if d := cmp.Diff(wantKeys, keys); d != "" {
		t.Errorf("condition keys (-want +got):\n%s", d)
	}
	sa := e.serviceAccount("live-exact", "api")
	wantAnn := map[string]string{
		irsa.AnnotationRoleARN:              "arn:aws:iam::" + envtest.AccountID + ":role/" + name,
		irsa.AnnotationSTSRegionalEndpoints: "true",
		irsa.AnnotationTokenExpiration:      "3600",
	}
	if d := cmp.Diff(wantAnn, sa.Annotations); d != "" {
		t.Errorf("annotations (-want +got):\n%s", d)
	}
	if sa.Labels[irsa.LabelManagedBy] != irsa.ManagedBy {
		t.Errorf("labels = %v", sa.Labels)
	}
	if d := cmp.Diff([]string{s3ReadOnly}, e.attached(name)); d != "" {
		t.Errorf("attached (-want +got):\n%s", d)
	}
	prov, err := e.iam.GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(e.cluster.ProviderARN())})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"sts.amazonaws.com"}, prov.ClientIDList); d != "" {
		t.Errorf("client IDs (-want +got):\n%s", d)
	}
	got2, err := e.iam.GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if b := got2.Role.PermissionsBoundary; b == nil || aws.ToString(b.PermissionsBoundaryArn) != role.PermissionsBoundary {
		t.Errorf("permissions boundary = %+v", b)
	}
	tags, err := e.iam.ListRoleTags(e.ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	gotTags := map[string]string{}
	for _, tg := range tags.Tags {
		gotTags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if d := cmp.Diff(map[string]string{"team": "api", irsa.OwnerTag: "eks-test"}, gotTags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}

func TestLiveTrustDriftRepaired(t *testing.T) {
	e := setupLive(t, "live-drift")
	role := irsa.ServiceAccountRole{Namespace: "live-drift", Name: "api"}
	roles := []irsa.ServiceAccountRole{role}
	e.converge(roles)
	name := role.EffectiveRoleName("eks-test")
	// Someone widens the trust to every ServiceAccount of the namespace.
	widened := strings.Replace(e.expectedTrust(irsa.ServiceAccountRef{Namespace: "live-drift", Name: "api"}).String(),
		`"StringEquals"`, `"StringLike"`, 1)
	widened = strings.Replace(widened, "live-drift:api", "live-drift:*", 1)
	if _, err := e.iam.UpdateAssumeRolePolicy(e.ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(widened)}); err != nil {
		t.Fatal(err)
	}
	res := observeDiff(t, e, roles)
	if len(res.Drift) != 1 || res.Drift[0].Resource != "iam.role/"+name || res.Drift[0].Repair == "" {
		t.Fatalf("drift = %+v", res.Drift)
	}
	p := e.converge(roles)
	if d := cmp.Diff([]string{"iam.role/" + name + " update"}, actions(p.Pending())); d != "" {
		t.Errorf("repair (-want +got):\n%s", d)
	}
	if !iamtrust.Equal(e.expectedTrust(irsa.ServiceAccountRef{Namespace: "live-drift", Name: "api"}), e.trust(name)) {
		t.Errorf("trust not repaired: %s", e.trust(name))
	}
}

func observeDiff(t *testing.T, e *liveEnv, roles []irsa.ServiceAccountRole, opts ...func(*irsa.Options)) *irsa.Result {
	t.Helper()
	s, err := irsa.Observe(e.ctx, e.clients, e.cluster, roles, opts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := irsa.Diff(e.clients, e.cluster, roles, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestLiveWalkthroughManualTrust follows the walkthrough by hand (aws iam
// create-open-id-connect-provider, create-role with a trust whose condition
// keys name an us-west-2 issuer, attach-role-policy, kubectl annotate) for a
// cluster in ap-northeast-1: the plan finds the wrong keys and fixes them.
func TestLiveWalkthroughManualTrust(t *testing.T) {
	e := setupLive(t, "live-walk")
	host := strings.TrimPrefix(e.cluster.IssuerURL, "https://")
	id := host[strings.LastIndex(host, "/")+1:]
	if _, err := e.iam.CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(e.cluster.IssuerURL), ClientIDList: []string{"sts.amazonaws.com"},
	}); err != nil {
		t.Fatal(err)
	}
	manual := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
	  "Principal": {"Federated": "arn:aws:iam::` + envtest.AccountID + `:oidc-provider/` + host + `"},
	  "Action": "sts:AssumeRoleWithWebIdentity",
	  "Condition": {"StringEquals": {
	    "oidc.eks.us-west-2.amazonaws.com/id/` + id + `:sub": "system:serviceaccount:live-walk:app",
	    "oidc.eks.us-west-2.amazonaws.com/id/` + id + `:aud": "sts.amazonaws.com"}}}]}`
	if _, err := e.iam.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("walkthrough-app"), AssumeRolePolicyDocument: aws.String(manual)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.AttachRolePolicy(e.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("walkthrough-app"), PolicyArn: aws.String(s3ReadOnly)}); err != nil {
		t.Fatal(err)
	}
	roleARN := "arn:aws:iam::" + envtest.AccountID + ":role/walkthrough-app"
	if _, err := e.kube.CoreV1().ServiceAccounts("live-walk").Create(e.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "app", Annotations: map[string]string{irsa.AnnotationRoleARN: roleARN},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	roles := []irsa.ServiceAccountRole{{Namespace: "live-walk", Name: "app", RoleName: "walkthrough-app", ManagedPolicyARNs: []string{s3ReadOnly}}}
	p := e.plan(roles)
	ch := change(t, p.Changes, "iam.role/walkthrough-app")
	if ch.Action != plan.Update || !strings.Contains(ch.Summary, "issuer oidc.eks.us-west-2.amazonaws.com/id/"+id) {
		t.Fatalf("role change %s %q: want an update naming the us-west-2 issuer", ch.Action, ch.Summary)
	}
	e.converge(roles)
	if !iamtrust.Equal(e.expectedTrust(irsa.ServiceAccountRef{Namespace: "live-walk", Name: "app"}), e.trust("walkthrough-app")) {
		t.Errorf("trust not fixed: %s", e.trust("walkthrough-app"))
	}
	if got := e.serviceAccount("live-walk", "app").Annotations[irsa.AnnotationRoleARN]; got != roleARN {
		t.Errorf("annotation = %q", got)
	}
}

func TestLiveServiceAccountDeleted(t *testing.T) {
	e := setupLive(t, "live-deleted")
	roles := []irsa.ServiceAccountRole{{Namespace: "live-deleted", Name: "api"}}
	e.converge(roles)
	if err := e.kube.CoreV1().ServiceAccounts("live-deleted").Delete(e.ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p := e.converge(roles)
	if d := cmp.Diff([]string{"k8s.serviceaccount/live-deleted/api create"}, actions(p.Pending())); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if e.serviceAccount("live-deleted", "api").Annotations[irsa.AnnotationRoleARN] == "" {
		t.Error("re-created without the annotation")
	}
}

func TestLiveProviderDeleted(t *testing.T) {
	e := setupLive(t, "live-provider")
	roles := []irsa.ServiceAccountRole{{Namespace: "live-provider", Name: "api"}}
	e.converge(roles)
	if _, err := e.iam.DeleteOpenIDConnectProvider(e.ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(e.cluster.ProviderARN())}); err != nil {
		t.Fatal(err)
	}
	p := e.converge(roles)
	if d := cmp.Diff([]string{"iam.oidc-provider/" + strings.TrimPrefix(e.cluster.IssuerURL, "https://") + " create"}, actions(p.Pending())); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestLiveMissingNamespace(t *testing.T) {
	e := setupLive(t)
	_, err := irsa.Plan(e.ctx, e.clients, e.cluster, []irsa.ServiceAccountRole{{Namespace: "no-such-namespace", Name: "api"}})
	if !errors.Is(err, irsa.ErrNamespaceMissing) || !strings.Contains(err.Error(), "no-such-namespace/api") {
		t.Errorf("err = %v", err)
	}
}

func TestLiveSharedRole(t *testing.T) {
	e := setupLive(t, "live-share-a", "live-share-b")
	a := irsa.ServiceAccountRef{Namespace: "live-share-a", Name: "reader"}
	b := irsa.ServiceAccountRef{Namespace: "live-share-b", Name: "reader"}
	roles := []irsa.ServiceAccountRole{{Namespace: a.Namespace, Name: a.Name, RoleName: "shared-reader", AlsoServiceAccounts: []irsa.ServiceAccountRef{b}}}
	e.converge(roles)
	if !iamtrust.Equal(e.expectedTrust(a, b), e.trust("shared-reader")) {
		t.Errorf("trust = %s", e.trust("shared-reader"))
	}
	for _, r := range []irsa.ServiceAccountRef{a, b} {
		if got := e.serviceAccount(r.Namespace, r.Name).Annotations[irsa.AnnotationRoleARN]; got != "arn:aws:iam::"+envtest.AccountID+":role/shared-reader" {
			t.Errorf("%s annotation = %q", r, got)
		}
	}
}

func TestLiveOutOfBandPolicies(t *testing.T) {
	e := setupLive(t, "live-oob")
	role := irsa.ServiceAccountRole{Namespace: "live-oob", Name: "api", ManagedPolicyARNs: []string{s3ReadOnly}}
	e.converge([]irsa.ServiceAccountRole{role})
	name := role.EffectiveRoleName("eks-test")
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	if _, err := e.iam.AttachRolePolicy(e.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("by-hand"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::x/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// Pending drift, blocked: the plan is not empty, apply leaves it.
	res := observeDiff(t, e, []irsa.ServiceAccountRole{role})
	if len(res.Drift) != 2 || !strings.Contains(res.Drift[0].Summary, admin) || res.Drift[0].Repair != "" || res.Drift[1].Repair != "" {
		t.Fatalf("drift = %+v", res.Drift)
	}
	p := e.plan([]irsa.ServiceAccountRole{role})
	if p.Empty() || !strings.Contains(p.Text(), "[blocked: set detachUnmanagedPolicies") {
		t.Fatalf("plan without the opt-in does not show the out-of-band permissions as blocked:\n%s", p.Text())
	}
	if err := irsa.Apply(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{admin, s3ReadOnly}, e.attached(name)); d != "" {
		t.Errorf("attached (-want +got):\n%s", d)
	}
	// Detached and deleted when asked.
	role.DetachUnmanagedPolicies = true
	e.converge([]irsa.ServiceAccountRole{role})
	if d := cmp.Diff([]string{s3ReadOnly}, e.attached(name)); d != "" {
		t.Errorf("attached after detach (-want +got):\n%s", d)
	}
	if out, err := e.iam.ListRolePolicies(e.ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)}); err != nil || len(out.PolicyNames) != 0 {
		t.Errorf("inline policies after the opt-in: %v, %v", out, err)
	}
}

func TestLiveAnnotationOfAnotherRole(t *testing.T) {
	e := setupLive(t, "live-other")
	other := "arn:aws:iam::" + envtest.AccountID + ":role/someone-elses"
	if _, err := e.kube.CoreV1().ServiceAccounts("live-other").Create(e.ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "api", Annotations: map[string]string{irsa.AnnotationRoleARN: other, "keep": "me"}, Labels: map[string]string{"app": "api"},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := irsa.ServiceAccountRole{Namespace: "live-other", Name: "api"}
	_, err := irsa.Plan(e.ctx, e.clients, e.cluster, []irsa.ServiceAccountRole{role})
	var ce *irsa.AnnotationConflictError
	if !errors.As(err, &ce) || ce.Current != other || ce.Desired != role.RoleARN(e.cluster) {
		t.Fatalf("err = %v, want an *AnnotationConflictError naming both ARNs", err)
	}
	role.OverrideExistingAnnotation = true
	e.converge([]irsa.ServiceAccountRole{role})
	sa := e.serviceAccount("live-other", "api")
	want := map[string]string{irsa.AnnotationRoleARN: role.RoleARN(e.cluster), "keep": "me"}
	if d := cmp.Diff(want, sa.Annotations); d != "" {
		t.Errorf("annotations (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"app": "api", irsa.LabelManagedBy: irsa.ManagedBy}, sa.Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
}

func TestLiveRestartWorkloads(t *testing.T) {
	e := setupLive(t, "live-restart")
	mk := func(name, sa string) {
		labels := map[string]string{"app": name}
		_, err := e.kube.AppsV1().Deployments("live-restart").Create(e.ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
				},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	mk("api", "api")
	mk("unrelated", "other")
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	roles := []irsa.ServiceAccountRole{{Namespace: "live-restart", Name: "api", RestartWorkloads: true}}
	p := e.converge(roles, func(o *irsa.Options) { o.Now = func() time.Time { return now } })
	if !slices.Contains(actions(p.Changes), "k8s.rollout-restart/Deployment/live-restart/api update") {
		t.Errorf("the plan lists no restart of the Deployment: %v", actions(p.Changes))
	}
	for name, want := range map[string]string{"api": "2031-01-02T03:04:05Z", "unrelated": ""} {
		d, err := e.kube.AppsV1().Deployments("live-restart").Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Spec.Template.Annotations[irsa.AnnotationRestartedAt]; got != want {
			t.Errorf("%s restartedAt = %q, want %q", name, got, want)
		}
	}
}

func TestLiveVPCCNI(t *testing.T) {
	e := setupLive(t)
	if _, err := e.eks.CreateAddon(e.ctx, &eks.CreateAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("vpc-cni")}); err != nil {
		t.Fatal(err)
	}
	opts := func(o *irsa.Options) {
		o.VPCCNI = &irsa.VPCCNIOptions{}
		o.FargateOnly = true
		o.PollInterval = 20 * time.Millisecond
	}
	p := e.plan(nil, opts)
	want := []string{
		"iam.oidc-provider/" + strings.TrimPrefix(e.cluster.IssuerURL, "https://") + " create",
		"iam.role/eks-test-kube-system-aws-node create",
		"iam.role-policy/eks-test-kube-system-aws-node/" + cniPolicy + " create",
		"eks.addon/eks-test/vpc-cni/service-account-role update",
		"k8s.rollout-restart/DaemonSet/kube-system/aws-node update",
	}
	if d := cmp.Diff(want, actions(p.Pending())); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	liveAWS.Proxy.ResetCounts()
	e.converge(nil, opts)
	out, err := e.eks.DescribeAddon(e.ctx, &eks.DescribeAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("vpc-cni")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Addon.ServiceAccountRoleArn); got != "arn:aws:iam::"+envtest.AccountID+":role/eks-test-kube-system-aws-node" {
		t.Errorf("serviceAccountRoleArn = %q", got)
	}
	if n := liveAWS.Proxy.Count("eks", "DeleteAddon"); n != 0 {
		t.Errorf("DeleteAddon called %d times; the role is set with UpdateAddon", n)
	}
	if n := liveAWS.Proxy.Count("eks", "UpdateAddon"); n != 1 {
		t.Errorf("UpdateAddon called %d times, want 1", n)
	}
	ds, err := e.kube.AppsV1().DaemonSets("kube-system").Get(e.ctx, "aws-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Spec.Template.Annotations[irsa.AnnotationRestartedAt] == "" {
		t.Error("aws-node was not restarted")
	}
	if d := cmp.Diff([]string{cniPolicy}, e.attached("eks-test-kube-system-aws-node")); d != "" {
		t.Errorf("attached (-want +got):\n%s", d)
	}
}

// TestLiveProviderClientID repairs a provider whose client IDs lack
// sts.amazonaws.com, through the proxy's emulation of
// AddClientIDToOpenIDConnectProvider (moto lacks it).
func TestLiveProviderClientID(t *testing.T) {
	e := setupLive(t)
	if _, err := e.iam.CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(e.cluster.IssuerURL), ClientIDList: []string{"other-audience"},
	}); err != nil {
		t.Fatal(err)
	}
	p := e.plan(nil)
	ch := change(t, p.Changes, "iam.oidc-provider/"+strings.TrimPrefix(e.cluster.IssuerURL, "https://"))
	if ch.Action != plan.Update || ch.Destructive || !strings.Contains(ch.Summary, "add client ID sts.amazonaws.com") {
		t.Fatalf("provider change %s (destructive %v) %q", ch.Action, ch.Destructive, ch.Summary)
	}
	liveAWS.Proxy.ResetCounts()
	e.converge(nil)
	if n := liveAWS.Proxy.Count("iam", "AddClientIDToOpenIDConnectProvider"); n != 1 {
		t.Errorf("AddClientIDToOpenIDConnectProvider called %d times, want 1", n)
	}
	out, err := e.iam.GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(e.cluster.ProviderARN())})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"other-audience", "sts.amazonaws.com"}, out.ClientIDList); d != "" {
		t.Errorf("client IDs (-want +got):\n%s", d)
	}
}

func TestLiveFaults(t *testing.T) {
	e := setupLive(t, "live-faults")
	roles := []irsa.ServiceAccountRole{{Namespace: "live-faults", Name: "api", ManagedPolicyARNs: []string{s3ReadOnly}}}
	e.converge(roles)
	t.Run("throttling is retried", func(t *testing.T) {
		remove := liveAWS.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "GetRole", Kind: awsproxy.Throttle, Times: 2})
		defer remove()
		if p := e.plan(roles); !p.Empty() {
			t.Errorf("plan under throttling:\n%s", p.Text())
		}
	})
	t.Run("a read that keeps failing fails the plan", func(t *testing.T) {
		remove := liveAWS.Proxy.AddFault(awsproxy.Fault{Service: "iam", Operation: "ListAttachedRolePolicies", Kind: awsproxy.ServerError})
		defer remove()
		p, err := irsa.Plan(e.ctx, e.clients, e.cluster, roles)
		if err == nil || !strings.Contains(err.Error(), "role eks-test-live-faults-api") || !strings.Contains(err.Error(), "list managed policies") {
			t.Fatalf("plan = %v, err = %v; want an error naming the read", p, err)
		}
	})
}

func TestLiveDeferred(t *testing.T) {
	e := setupLive(t, "live-deferred")
	roles := []irsa.ServiceAccountRole{{Namespace: "live-deferred", Name: "api"}}
	ch := irsa.Deferred(e.clients, "eks-test", roles)
	if ch.Action != plan.Create || ch.Run == nil {
		t.Fatalf("deferred change = %+v", ch)
	}
	if err := plan.Apply(e.ctx, &plan.Plan{Changes: []plan.Change{ch}}); err != nil {
		t.Fatal(err)
	}
	if p := e.plan(roles); !p.Empty() {
		t.Errorf("plan after the deferred change:\n%s", p.Text())
	}
	if got := e.serviceAccount("live-deferred", "api").Annotations[irsa.AnnotationRoleARN]; got == "" {
		t.Error("not annotated")
	}
	bad := irsa.Deferred(e.clients, "no-such-cluster", roles)
	if err := plan.Apply(e.ctx, &plan.Plan{Changes: []plan.Change{bad}}); err == nil {
		t.Error("a deferred change for a missing cluster succeeded")
	}
}

func TestLiveVPCCNIIPv6Recreate(t *testing.T) {
	e := setupLive(t)
	if _, err := e.eks.CreateAddon(e.ctx, &eks.CreateAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("vpc-cni")}); err != nil {
		t.Fatal(err)
	}
	opts := func(o *irsa.Options) {
		o.VPCCNI = &irsa.VPCCNIOptions{IPv6: true, RecreateAddon: true}
		o.PollInterval = 20 * time.Millisecond
	}
	policyARN := "arn:aws:iam::" + envtest.AccountID + ":policy/eks-test-AmazonEKS_CNI_IPv6_Policy"
	p := e.plan(nil, opts)
	ch := change(t, p.Changes, "eks.addon/eks-test/vpc-cni/service-account-role")
	if ch.Action != plan.Replace || !ch.Destructive {
		t.Fatalf("add-on change %s (destructive %v), want a destructive replace", ch.Action, ch.Destructive)
	}
	liveAWS.Proxy.ResetCounts()
	e.converge(nil, opts)
	for op, want := range map[string]int{"DeleteAddon": 1, "CreateAddon": 1, "UpdateAddon": 0} {
		if n := liveAWS.Proxy.Count("eks", op); n != want {
			t.Errorf("%s called %d times, want %d", op, n, want)
		}
	}
	out, err := e.eks.DescribeAddon(e.ctx, &eks.DescribeAddonInput{ClusterName: aws.String("eks-test"), AddonName: aws.String("vpc-cni")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Addon.ServiceAccountRoleArn); !strings.HasSuffix(got, ":role/eks-test-kube-system-aws-node") {
		t.Errorf("serviceAccountRoleArn = %q", got)
	}
	if d := cmp.Diff([]string{policyARN}, e.attached("eks-test-kube-system-aws-node")); d != "" {
		t.Errorf("attached (-want +got):\n%s", d)
	}
	pol, err := e.iam.GetPolicy(e.ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.iam.GetPolicyVersion(e.ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policyARN), VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := iamtrust.ParseLive(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range doc.Statement {
		got = append(got, st.Action.Items...)
	}
	slices.Sort(got)
	want := []string{"ec2:AssignIpv6Addresses", "ec2:CreateTags", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("IPv6 policy actions (-want +got):\n%s", d)
	}
	// Someone edits the policy: a new default version repairs it.
	if _, err := e.iam.CreatePolicyVersion(e.ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN), SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	p = e.converge(nil, opts)
	if d := cmp.Diff([]string{"iam.policy/eks-test-AmazonEKS_CNI_IPv6_Policy update"}, actions(p.Pending())); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TestLiveTrustCapacity: a role shared by 70 ServiceAccounts needs a trust
// policy over moto's (and IAM's default) AssumeRolePolicySizeQuota of 2,048:
// Plan reads the live quota and refuses before any write.
func TestLiveTrustCapacity(t *testing.T) {
	e := setupLive(t, "live-cap")
	role := irsa.ServiceAccountRole{Namespace: "live-cap", Name: "sa-0", RoleName: "live-shared"}
	for i := 1; i < 70; i++ {
		role.AlsoServiceAccounts = append(role.AlsoServiceAccounts, irsa.ServiceAccountRef{Namespace: "live-cap", Name: fmt.Sprintf("sa-%d", i)})
	}
	liveAWS.Proxy.ResetCounts()
	_, err := irsa.Plan(e.ctx, e.clients, e.cluster, []irsa.ServiceAccountRole{role})
	var ce *irsa.CapacityError
	if !errors.As(err, &ce) || !ce.QuotaRead || ce.Quota != 2048 || ce.Size <= 2048 {
		t.Fatalf("err = %v, want a *CapacityError over the live quota of 2048", err)
	}
	if n := liveAWS.Proxy.Count("iam", "GetAccountSummary"); n != 1 {
		t.Errorf("%d GetAccountSummary calls, want 1", n)
	}
	for svc, ops := range liveAWS.Proxy.Counts() {
		for op := range ops {
			for _, w := range []string{"Create", "Put", "Attach", "Update", "Tag", "Delete"} {
				if strings.HasPrefix(op, w) {
					t.Errorf("a write before the refusal: %s:%s", svc, op)
				}
			}
		}
	}
}
