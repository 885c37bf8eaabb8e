package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// TestAuditFixCycle builds a broken Fargate-only setup in moto and a real
// kube-apiserver, audits it, fixes every fixable finding, and audits again:
// the fixed kinds are gone, the others remain.
func TestAuditFixCycle(t *testing.T) {
	a := setupAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	st := buildStack(ctx, t, a.Config(region), "cycle", "CONFIG_MAP", podTrustUnscoped, nil, "apps", "kube-system")
	issuer := aws.ToString(st.cluster.Identity.Oidc.Issuer)
	if issuer == "" {
		t.Fatal("moto gave the cluster no OIDC issuer")
	}
	// aws-auth without the pod execution role (as after a wholesale
	// rewrite) but with an admin mapping and an unrelated entry that must
	// survive; CoreDNS pinned to ec2.
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: "CONFIG_MAP",
		MapRoles: "- rolearn: arn:aws:iam::123456789012:role/admin\n  username: admin\n  groups:\n  - system:masters\n- rolearn: arn:aws:iam::123456789012:role/viewer\n  username: viewer\n  groups:\n  - viewers\n"}); err != nil {
		t.Fatal(err)
	}
	// An IRSA ServiceAccount whose role trusts every ServiceAccount of its
	// namespace (IRSA-04) and one whose role does not trust it (IRSA-09).
	hp := iamtrust.IssuerHostPath(issuer)
	prov := "arn:aws:iam::123456789012:oidc-provider/" + hp
	im := iam.NewFromConfig(a.Config(region))
	webRole := createRole(ctx, t, im, "cycle-web", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+prov+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"`+hp+`:sub":"system:serviceaccount:apps:*"},"StringEquals":{"`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
	otherRole := createRole(ctx, t, im, "cycle-other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+prov+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:sub":"system:serviceaccount:apps:nobody","`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
	for _, ns := range []string{"apps"} {
		if _, err := kube.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, roleARN := range map[string]string{"web": webRole, "batch": otherRole} {
		if _, err := kube.Client.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{audit.AnnotationRoleARN: roleARN}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A pod identity association (useless on Fargate).
	if _, err := eks.NewFromConfig(st.cfg).CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String("cycle"), Namespace: aws.String("apps"), ServiceAccount: aws.String("web"), RoleArn: aws.String(webRole)}); err != nil {
		t.Fatal(err)
	}

	opts := func(o *audit.Options) {
		o.AWS = a.Config(region)
		o.Kube = kubeFor(kube.Config)
		o.PollInterval = 20 * time.Millisecond
	}
	target := audit.ClustersTarget(region, "cycle")
	before, err := audit.Audit(ctx, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := checksOf(before)
	for _, id := range []string{"IAM-01", "IAM-02", "IAM-03", "IAM-04", "IAM-05", "CLU-03", "FG-02", "IRSA-01", "IRSA-04", "IRSA-09", "PI-01", "CLU-06", "CLU-04"} {
		if got[id] == 0 {
			t.Errorf("before: no %s finding; got %v", id, got)
		}
	}
	if len(before.Incomplete) > 0 {
		t.Errorf("before: incomplete %+v", before.Incomplete)
	}

	fixable := []string{"IAM-01", "IAM-02", "IAM-03", "IAM-04", "IAM-05", "CLU-03", "FG-02", "IRSA-01", "IRSA-04", "IRSA-09", "PI-01"}
	// Without opt-ins, destructive and granting fixes are held back.
	p, skipped := audit.FixPlan(before, audit.Selection{Checks: fixable})
	held := map[string]bool{}
	for _, s := range skipped {
		held[s.Check] = true
	}
	for _, id := range []string{"IAM-05", "PI-01", "IRSA-09"} {
		if !held[id] {
			t.Errorf("%s was not held back without an opt-in (skipped %+v)", id, skipped)
		}
	}
	if len(p.Pending()) == 0 {
		t.Fatal("empty fix plan")
	}
	t.Logf("fix plan:\n%s", p.Text())
	// The test's roles were made without fargatekit's ownership tag: their
	// fixes need AllowUnowned.
	for _, s := range skipped {
		if strings.Contains(s.Reason, "--allow-unowned") && !strings.HasPrefix(s.Check, "IAM-0") && !strings.HasPrefix(s.Check, "IRSA-0") {
			t.Errorf("%s held back for ownership, but it changes no role: %s", s.Check, s.Reason)
		}
	}
	if err := audit.Fix(ctx, before, audit.Selection{Checks: fixable}, opts, func(o *audit.Options) { o.AllowDestructive, o.AllowUnowned = true, true }); err != nil {
		t.Fatalf("fix: %v", err)
	}

	after, err := audit.Audit(ctx, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	got = checksOf(after)
	for _, id := range []string{"IAM-01", "IAM-02", "IAM-03", "IAM-04", "IAM-05", "CLU-03", "FG-02", "IRSA-01", "IRSA-04", "PI-01"} {
		if got[id] > 0 {
			for _, f := range after.Findings {
				if f.Check == id {
					t.Errorf("after fix: %s %s: %s", f.Check, f.Resource, f.Message)
				}
			}
		}
	}
	// IRSA-09 needs --allow-grants: it stays.
	if got["IRSA-09"] == 0 {
		t.Errorf("after fix: IRSA-09 gone although its fix grants more and was not allowed")
	}
	for _, id := range []string{"CLU-06", "CLU-04"} {
		if got[id] == 0 {
			t.Errorf("after fix: %s gone although it has no fix", id)
		}
	}
	// aws-auth kept the unrelated entry and gained the node mapping.
	cm, err := kube.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := access.ParseAWSAuth(cm.Data)
	if err != nil {
		t.Fatal(err)
	}
	var viewer, node, admin bool
	for _, m := range parsed.MapRoles {
		switch {
		case strings.HasSuffix(m.RoleARN, "role/viewer"):
			viewer = true
		case strings.HasSuffix(m.RoleARN, "role/cycle-pods") && m.Username == access.FargateNodeUsername:
			node = true
		case strings.HasSuffix(m.RoleARN, "role/admin"):
			admin = true
		}
	}
	if !viewer || !node || admin {
		t.Errorf("aws-auth after fix: viewer kept %v, node mapping added %v, admin removed %v:\n%s", viewer, node, !admin, cm.Data["mapRoles"])
	}

	// With --allow-grants the remaining IRSA-09 goes too.
	if err := audit.Fix(ctx, after, audit.Selection{Checks: []string{"IRSA-09"}}, opts, func(o *audit.Options) { o.AllowGrants, o.AllowUnowned = true, true }); err != nil {
		t.Fatal(err)
	}
	final, err := audit.Audit(ctx, target, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := checksOf(final)["IRSA-09"]; n > 0 {
		t.Errorf("IRSA-09 remains after a fix with AllowGrants: %d", n)
	}
}

func TestAuditUnreachableCluster(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	buildStack(ctx, t, a.Config(region), "dark", "API", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	closed := &rest.Config{Host: "https://127.0.0.1:1", TLSClientConfig: rest.TLSClientConfig{Insecure: true}, Timeout: 2 * time.Second}
	r, err := audit.Audit(ctx, audit.ClustersTarget(region, "dark"), func(o *audit.Options) {
		o.AWS = a.Config(region)
		o.Kube = kubeFor(closed)
	})
	if err != nil {
		t.Fatal(err)
	}
	inc := map[string]string{}
	for _, in := range r.Incomplete {
		inc[in.Check] = in.Reason
	}
	for _, id := range []string{"FG-02", "FG-04", "IAM-04", "IAM-05", "IRSA-09", "IRSA-10"} {
		if !strings.Contains(inc[id], "unreachable") {
			t.Errorf("%s: incomplete reason %q, want the unreachable API", id, inc[id])
		}
	}
	// AWS-side checks still ran and found the unscoped trust.
	if checksOf(r)["IAM-02"] == 0 {
		t.Errorf("IAM-02 missing: AWS checks must still run when the cluster API is down")
	}
	for _, f := range r.Findings {
		if f.Check == "FG-02" || f.Check == "IAM-04" {
			t.Errorf("finding %s from a cluster whose API was not read", f.Check)
		}
	}
}

// TestAuditBadTargets covers a spec whose cluster is missing and targets or
// options that cannot run.
func TestAuditBadTargets(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	buildStack(ctx, t, a.Config(region), "present", "API", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	sp := eksfargate.NewSpec("absent", region)
	r, err := audit.Audit(ctx, audit.SpecTarget(sp), func(o *audit.Options) { o.AWS = a.Config(region) })
	if err != nil {
		t.Fatal(err)
	}
	if checksOf(r)["CLU-08"] != 1 {
		t.Errorf("spec of a missing cluster: findings %v, want one CLU-08", checksOf(r))
	}
	if _, err := audit.Audit(ctx, audit.Target{}, func(o *audit.Options) { o.AWS = a.Config(region) }); err == nil {
		t.Errorf("empty target: no error")
	}
	if _, err := audit.Audit(ctx, audit.ClustersTarget(region, "present"), func(o *audit.Options) { o.AWS = a.Config(region); o.Checks = []string{"NOPE"} }); err == nil {
		t.Errorf("unknown check: no error")
	}
}
