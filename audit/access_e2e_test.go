package audit_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/iamtrust"
)

const accountARN = "arn:aws:iam::123456789012:"

// seedRBAC creates the RBAC objects of the access map test: each
// capability class, aggregation, resourceNames that narrow, and bindings to
// users and groups.
func seedRBAC(ctx context.Context, t *testing.T, k kubernetes.Interface) {
	t.Helper()
	rb := k.RbacV1()
	cr := func(name string, lbl map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) {
		t.Helper()
		if _, err := rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbl}, AggregationRule: agg, Rules: rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	crb := func(name, role string, subjects ...rbacv1.Subject) {
		t.Helper()
		if _, err := rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}, Subjects: subjects}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rbind := func(ns, name, kind, role string, subjects ...rbacv1.Subject) {
		t.Helper()
		if _, err := rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: kind, Name: role}, Subjects: subjects}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	group := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "Group", Name: n, APIGroup: "rbac.authorization.k8s.io"}
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", Name: n, APIGroup: "rbac.authorization.k8s.io"}
	}
	for _, ns := range []string{"apps", "data", "other"} {
		if _, err := k.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A custom ClusterRole with every verb on everything: cluster-admin by
	// another name.
	cr("fk-star", nil, nil, rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}})
	crb("ops-star", "fk-star", group("ops"))
	// Aggregation: fk-agg has no rules of its own; fk-pods (labelled) gives
	// create on deployments. No controller fills fk-agg here.
	cr("fk-agg", nil, &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"fk/agg": "true"}}}})
	cr("fk-pods", map[string]string{"fk/agg": "true"}, nil, rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}})
	rbind("apps", "devs-agg", "ClusterRole", "fk-agg", group("devs"))
	// resourceNames narrow: one named Secret is not "secrets read", and a
	// create with resourceNames never allows a create.
	cr("fk-narrow", nil, nil,
		rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"one"}},
		rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods"}, ResourceNames: []string{"p"}})
	crb("readers-narrow", "fk-narrow", group("readers"))
	// Secrets read in data; escalation through bind; token minting in data.
	if _, err := rb.Roles("data").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "secrets"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rbind("data", "reader-secrets", "Role", "secrets", user("reader"))
	cr("fk-binder", nil, nil, rbacv1.PolicyRule{Verbs: []string{"bind"}, APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}})
	crb("binders", "fk-binder", group("binders"))
	cr("fk-mint", nil, nil, rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}})
	rbind("data", "minters", "ClusterRole", "fk-mint", group("minters"))
}

// TestAccessMap builds a cluster in moto with access entries and aws-auth,
// RBAC in a real kube-apiserver, IRSA ServiceAccounts and roles, and checks
// every link of the map and the checks that read it.
func TestAccessMap(t *testing.T) {
	a := setupAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	cfg := a.Config(region)
	st := buildStack(ctx, t, cfg, "acc", "API_AND_CONFIG_MAP", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	issuer := aws.ToString(st.cluster.Identity.Oidc.Issuer)
	hp := iamtrust.IssuerHostPath(issuer)
	prov := accountARN + "oidc-provider/" + hp
	im := iam.NewFromConfig(cfg)
	if _, err := im.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	trust := func(subs ...string) string {
		list := `"` + strings.Join(subs, `","`) + `"`
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + hp + `:sub":[` + list + `],"` + hp + `:aud":"sts.amazonaws.com"}}}]}`
	}
	adminRole := createRole(ctx, t, im, "acc-web", trust("system:serviceaccount:apps:web"), adminPolicyARN)
	brokenRole := createRole(ctx, t, im, "acc-broken", trust("system:serviceaccount:apps:somebody-else"))
	etlRole := createRole(ctx, t, im, "acc-etl", trust("system:serviceaccount:data:etl", "system:serviceaccount:other:etl"), "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")

	// Access entries: a cluster admin by policy, an editor of apps, a
	// developer by group, and a principal in both sources.
	ek := eks.NewFromConfig(cfg)
	entry := func(arn string, groups []string, policy, scope string, nss ...string) {
		t.Helper()
		if _, err := ek.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("acc"), PrincipalArn: aws.String(arn), KubernetesGroups: groups}); err != nil {
			t.Fatal(err)
		}
		if policy != "" {
			if _, err := ek.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String("acc"), PrincipalArn: aws.String(arn),
				PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/" + policy), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(scope), Namespaces: nss}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	entry(accountARN+"role/platform", nil, "AmazonEKSClusterAdminPolicy", "cluster")
	entry(accountARN+"role/editor", nil, "AmazonEKSEditPolicy", "namespace", "apps")
	entry(accountARN+"role/dev", []string{"devs"}, "", "")
	entry(accountARN+"role/both", []string{"viewers"}, "", "")
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: "API_AND_CONFIG_MAP",
		MapRoles: "- rolearn: " + accountARN + "role/ops\n  username: ops:{{SessionName}}\n  groups: [ops]\n" +
			"- rolearn: " + accountARN + "role/both\n  username: both\n  groups: [system:masters]\n" +
			"- rolearn: " + accountARN + "role/binder\n  username: binder\n  groups: [binders]\n" +
			"- rolearn: " + accountARN + "role/minter\n  username: minter\n  groups: [minters]\n",
		MapUsers: "- userarn: " + accountARN + "user/reader\n  username: reader\n  groups: [readers]\n"}); err != nil {
		t.Fatal(err)
	}
	seedRBAC(ctx, t, kube.Client)
	for _, sa := range []struct{ ns, name, role string }{{"apps", "web", adminRole}, {"apps", "broken", brokenRole}, {"data", "etl", etlRole}} {
		if _, err := kube.Client.CoreV1().ServiceAccounts(sa.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa.name,
			Annotations: map[string]string{audit.AnnotationRoleARN: sa.role}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	opts := func(k *rest.Config) func(*audit.Options) {
		return func(o *audit.Options) { o.AWS = cfg; o.Kube = kubeFor(k) }
	}
	// Count the Kubernetes requests: one (paged) LIST per kind.
	counted := rest.CopyConfig(kube.Config)
	var mu sync.Mutex
	requests := map[string]int{}
	counted.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			requests[r.Method+" "+r.URL.Path]++
			mu.Unlock()
			return rt.RoundTrip(r)
		})
	})
	maps, err := audit.Access(ctx, audit.ClustersTarget(region, "acc"), opts(counted))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"} {
		if n := requests["GET /apis/rbac.authorization.k8s.io/v1/"+kind]; n != 1 {
			t.Errorf("%d LISTs of %s, want 1: %v", n, kind, requests)
		}
	}
	if len(maps) != 1 || len(maps[0].Incomplete) != 0 || maps[0].Schema != audit.AccessMapSchema {
		t.Fatalf("maps %d, incomplete %v", len(maps), maps)
	}
	m := maps[0]
	who := map[string]audit.AccessPrincipal{}
	for _, p := range m.Principals {
		who[strings.TrimPrefix(p.ARN, accountARN)] = p
	}
	check := func(name string, admin bool, via string, pods []string, reach []string) {
		t.Helper()
		p, ok := who[name]
		if !ok {
			t.Errorf("%s is not in the map", name)
			return
		}
		if p.ClusterAdmin != admin || (via != "" && !slices.ContainsFunc(p.ClusterAdminVia, func(v string) bool { return strings.Contains(v, via) })) {
			t.Errorf("%s: clusterAdmin %v via %v, want %v via %q", name, p.ClusterAdmin, p.ClusterAdminVia, admin, via)
		}
		if !slices.Equal(p.PodCreateNamespaces, pods) {
			t.Errorf("%s: podCreateNamespaces %v, want %v", name, p.PodCreateNamespaces, pods)
		}
		if !slices.Equal(p.ReachableRoles, reach) {
			t.Errorf("%s: reachableRoles %v, want %v", name, p.ReachableRoles, reach)
		}
	}
	all := []string{etlRole, adminRole} // sorted
	check("role/platform", true, "AmazonEKSClusterAdminPolicy (cluster)", []string{"*"}, all)
	check("role/ops", true, "ClusterRoleBinding ops-star → ClusterRole fk-star", []string{"*"}, all)
	check("role/editor", false, "", []string{"apps"}, []string{adminRole})
	check("role/dev", false, "", []string{"apps"}, []string{adminRole}) // through the aggregated fk-agg
	check("role/both", false, "", []string{}, []string{})               // the access entry wins over aws-auth's system:masters
	check("user/reader", false, "", []string{}, []string{})             // resourceNames narrow
	check("role/minter", false, "", []string{"data"}, []string{etlRole})
	if p := who["user/reader"]; !slices.Equal(p.SecretsReadNamespaces, []string{"data"}) {
		t.Errorf("reader: secretsReadNamespaces %v, want [data] (the named Secret elsewhere does not count)", p.SecretsReadNamespaces)
	}
	if p := who["role/binder"]; len(p.Escalation) != 1 || !strings.Contains(p.Escalation[0], "fk-binder") {
		t.Errorf("binder: escalation %v", p.Escalation)
	}
	if p := who["role/dev"]; !p.ReachableAdmin || len(p.Paths) != 1 || !strings.Contains(strings.Join(p.Paths[0].Steps, " "), "apps/web") {
		t.Errorf("dev: reachableAdmin %v paths %+v", p.ReachableAdmin, p.Paths)
	}
	sas := map[string]audit.AccessServiceAccount{}
	for _, sa := range m.ServiceAccounts {
		sas[sa.Namespace+"/"+sa.Name] = sa
	}
	if sa := sas["apps/web"]; !sa.TrustAllows || !sa.AdminEquivalent || sa.FargateProfile != "apps" {
		t.Errorf("apps/web: %+v", sa)
	}
	if sa := sas["apps/broken"]; sa.TrustAllows || !strings.Contains(sa.TrustReason, "does not admit system:serviceaccount:apps:broken") {
		t.Errorf("apps/broken: %+v", sa)
	}
	if sa := sas["data/etl"]; !sa.TrustAllows || !slices.Contains(sa.Capabilities, iamtrust.CapabilityData) {
		t.Errorf("data/etl: %+v", sa)
	}

	// The checks that read the map.
	r, err := audit.Audit(ctx, audit.ClustersTarget(region, "acc"), opts(kube.Config))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Check, "ACC-") {
			found[f.Check] = append(found[f.Check], strings.TrimPrefix(f.Resource, accountARN))
		}
	}
	for id, want := range map[string][]string{
		"ACC-01": {"role/ops"},
		"ACC-02": {"role/dev", "role/editor"},
		"ACC-03": {"role/acc-etl"},
	} {
		got := found[id]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s on %v, want %v", id, got, want)
		}
	}

	// A kubeconfig that cannot read RBAC: the map says so, never "nobody is
	// admin" by RBAC.
	cert, key, err := kube.ClientCertificate("auditor", "auditors")
	if err != nil {
		t.Fatal(err)
	}
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "fk-audit-no-rbac"}, Rules: []rbacv1.PolicyRule{
		{Verbs: []string{"list", "get"}, APIGroups: []string{"", "apps"}, Resources: []string{"serviceaccounts", "pods", "namespaces", "configmaps", "deployments"}}}}
	if _, err := kube.Client.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "fk-audit-no-rbac"},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cr.Name}, Subjects: []rbacv1.Subject{{Kind: "Group", Name: "auditors", APIGroup: "rbac.authorization.k8s.io"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	limited := rest.AnonymousClientConfig(kube.Config)
	limited.CertData, limited.KeyData = cert, key
	maps, err = audit.Access(ctx, audit.ClustersTarget(region, "acc"), opts(limited))
	if err != nil {
		t.Fatal(err)
	}
	if inc := strings.Join(maps[0].Incomplete, "; "); !strings.Contains(inc, audit.PartRBAC) || !strings.Contains(inc, "forbidden") {
		t.Errorf("incomplete = %q, want kube.rbac forbidden", inc)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestAccessMapAuthModes: in API mode aws-auth is ignored, in CONFIG_MAP
// mode access entries are.
func TestAccessMapAuthModes(t *testing.T) {
	a := setupAWS(t)
	kube := envtest.NewKube(t)
	ctx := t.Context()
	cfg := a.Config(region)
	buildStack(ctx, t, cfg, "api", "API", podTrustUnscoped, []string{fargatePolicyARN})
	if _, err := eks.NewFromConfig(cfg).CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("api"), PrincipalArn: aws.String(accountARN + "role/entry")}); err != nil {
		t.Fatal(err)
	}
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: "API_AND_CONFIG_MAP",
		MapRoles: "- rolearn: " + accountARN + "role/mapped\n  username: mapped\n  groups: [system:masters]\n"}); err != nil {
		t.Fatal(err)
	}
	maps, err := audit.Access(ctx, audit.ClustersTarget(region, "api"), func(o *audit.Options) { o.AWS = cfg; o.Kube = kubeFor(kube.Config) })
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range maps[0].Principals {
		arns = append(arns, strings.TrimPrefix(p.ARN, accountARN))
		if slices.Contains(p.Sources, audit.SourceAWSAuth) || slices.Contains(p.ClusterAdminVia, "group system:masters") {
			t.Errorf("API mode: %s comes from the ignored aws-auth: %+v", p.ARN, p)
		}
	}
	if slices.Contains(arns, "role/mapped") || !slices.Contains(arns, "role/entry") {
		t.Errorf("API mode principals %v: want the access entries only", arns)
	}

	// CONFIG_MAP: only aws-auth counts; system:masters is cluster-admin.
	buildStack(ctx, t, cfg, "cm", "CONFIG_MAP", podTrustUnscoped, []string{fargatePolicyARN})
	maps, err = audit.Access(ctx, audit.ClustersTarget(region, "cm"), func(o *audit.Options) { o.AWS = cfg; o.Kube = kubeFor(kube.Config) })
	if err != nil {
		t.Fatal(err)
	}
	var mapped *audit.AccessPrincipal
	for i, p := range maps[0].Principals {
		if slices.Contains(p.Sources, audit.SourceAccessEntry) {
			t.Errorf("CONFIG_MAP mode: %s comes from an access entry", p.ARN)
		}
		if strings.HasSuffix(p.ARN, "role/mapped") {
			mapped = &maps[0].Principals[i]
		}
	}
	if mapped == nil || !mapped.ClusterAdmin || !slices.Contains(mapped.ClusterAdminVia, "group system:masters") {
		t.Errorf("CONFIG_MAP mode: role/mapped %+v, want cluster-admin via system:masters", mapped)
	}

	// A malformed aws-auth: the map says so, with the line.
	cm, err := kube.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["mapRoles"] = "- rolearn: " + accountARN + "role/mapped\n  username: mapped\n  groups: [system:masters\n"
	if _, err := kube.Client.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	maps, err = audit.Access(ctx, audit.ClustersTarget(region, "cm"), func(o *audit.Options) { o.AWS = cfg; o.Kube = kubeFor(kube.Config) })
	if err != nil {
		t.Fatal(err)
	}
	if inc := strings.Join(maps[0].Incomplete, "; "); !strings.Contains(inc, audit.PartAWSAuth) || !strings.Contains(inc, "line") {
		t.Errorf("malformed aws-auth: incomplete %q, want kube.awsAuth with the line", inc)
	}
}
