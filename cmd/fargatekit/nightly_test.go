package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
)

// nightlyStack builds a small cluster with the aws CLI-free SDK path: a
// cluster role, a pod execution role without aws:SourceArn, a cluster and
// a profile, plus a kube-apiserver seeded as EKS seeds one.
func nightlyStack(t *testing.T) (*envtest.AWS, []string, string) {
	t.Helper()
	a := envtest.NewAWS(t)
	kube := envtest.NewKube(t)
	awsEnv(t, a)
	if err := envtest.Seed(t.Context(), kube.Client, envtest.SeedOptions{AuthenticationMode: "CONFIG_MAP"}); err != nil {
		t.Fatal(err)
	}
	st := walkthroughStack(t, a, "pods")
	dir, podRole, subA, subB := st.dir, st.podRole, st.subA, st.subB
	write := func(name, content string) string { return st.write(t, name, content) }
	awscli(t, a, "eks", "create-fargate-profile", "--cluster-name", "demo", "--fargate-profile-name", "default", "--pod-execution-role-arn", podRole,
		"--subnets", subA, subB, "--selectors", "namespace=default", "namespace=kube-system")
	kc, err := kube.Kubeconfig("demo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return a, []string{"--cluster", "demo", "--region", "us-west-2", "--kubeconfig", write("kubeconfig", string(kc)), "-q"}, dir
}

// TestNightlyJob runs the nightly loop through the CLI: audit, change a
// permission, audit against the first report with suppressions, metrics and
// Security Hub, and check exit codes.
func TestNightlyJob(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is needed: pip install awscli")
	}
	a, base, dir := nightlyStack(t)
	first := cli(append([]string{"audit", "-o", "json", "--fail-on", "none", "--allow-incomplete"}, base...)...)
	if first.code != 0 {
		t.Fatalf("first audit: exit %d\n%s", first.code, first.stderr)
	}
	prev := filepath.Join(dir, "previous.json")
	if err := os.WriteFile(prev, []byte(first.out), 0o644); err != nil {
		t.Fatal(err)
	}
	// No change: everything persists; --fail-on high counts new findings
	// only, and IAM-02 (high) is not new.
	res := cli(append([]string{"audit", "--baseline", prev, "--fail-on", "high", "--allow-incomplete", "--fail-on-change"}, base...)...)
	if res.code != 0 || !strings.Contains(res.out, "Since the baseline of") || !strings.Contains(res.out, "0 new finding(s), 0 resolved, 0 permission change(s)") {
		t.Errorf("unchanged: exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	if res := cli(append([]string{"audit", "--baseline", prev, "--fail-on", "high", "--fail-on-persisting", "--allow-incomplete"}, base...)...); res.code != 1 {
		t.Errorf("--fail-on-persisting: exit %d, want 1 (IAM-02 persists)", res.code)
	}
	// A night of drift: AdministratorAccess on the pod execution role.
	awscli(t, a, "iam", "attach-role-policy", "--role-name", "pods", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess")
	supp := filepath.Join(dir, "suppressions.yaml")
	if err := os.WriteFile(supp, []byte("suppressions:\n  - check: IAM-02\n    resource: arn:aws:iam::123456789012:role/pods\n    reason: fixed in the next release\n    owner: platform@example.com\n    expires: 2099-01-01\n"+
		"  - check: CLU-01\n    resource: '*'\n    reason: expired on purpose\n    owner: net@example.com\n    expires: 2020-01-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, "fargatekit.prom")
	if _, err := securityhub.NewFromConfig(a.Config("us-west-2")).EnableSecurityHub(t.Context(), &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	res = cli(append([]string{"audit", "-o", "json", "--baseline", prev, "--suppressions", supp, "--metrics-file", metrics, "--security-hub", "--fail-on-change", "--allow-incomplete"}, base...)...)
	if res.code != 1 {
		t.Fatalf("drift: exit %d, want 1\n%s", res.code, res.stderr)
	}
	r := decodeReport(t, res.out)
	var changed bool
	for _, c := range r.PermissionChanges {
		if c.Resource == "arn:aws:iam::123456789012:role/pods" && c.Policy == "arn:aws:iam::aws:policy/AdministratorAccess" {
			changed = true
		}
	}
	if !changed {
		t.Errorf("permissionChanges %+v lacks AdministratorAccess on pods", r.PermissionChanges)
	}
	var newPerm, suppressed bool
	for _, f := range r.Findings {
		if f.Check == "PERM-02" && f.Status == audit.StatusNew {
			newPerm = true
		}
		if f.Check == "IAM-02" {
			t.Errorf("IAM-02 is suppressed by a rule in force, yet in findings")
		}
	}
	for _, s := range r.Suppressed {
		suppressed = suppressed || s.Finding.Check == "IAM-02"
	}
	if !newPerm || !suppressed || len(r.ExpiredSuppressions) != 1 {
		t.Errorf("new PERM-02 %v, IAM-02 suppressed %v, expired rules %d", newPerm, suppressed, len(r.ExpiredSuppressions))
	}
	b, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil || fams["fargatekit_audit_permission_changes"] == nil {
		t.Errorf("metrics file: %v\n%s", err, b)
	}
	out, err := securityhub.NewFromConfig(a.Config("us-west-2")).GetFindings(t.Context(), &securityhub.GetFindingsInput{})
	if err != nil || len(out.Findings) == 0 {
		t.Errorf("Security Hub holds %d findings (%v)", len(out.Findings), err)
	}
	// -o openmetrics and -o asff.
	if res := cli(append([]string{"audit", "-o", "openmetrics", "--fail-on", "none", "--allow-incomplete"}, base...)...); !strings.HasSuffix(res.out, "# EOF\n") {
		t.Errorf("-o openmetrics: %q", res.out[max(0, len(res.out)-40):])
	}
	res = cli(append([]string{"audit", "-o", "asff", "--fail-on", "none", "--allow-incomplete"}, base...)...)
	var asff []map[string]any
	if err := json.Unmarshal([]byte(res.out), &asff); err != nil || len(asff) == 0 || asff[0]["SchemaVersion"] != "2018-10-08" {
		t.Errorf("-o asff: %v %.200s", err, res.out)
	}
	// Bad baselines and suppressions are exit 2, naming the problem.
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema":`), 0o644)
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(strings.Replace(first.out, `"account": "123456789012"`, `"account": "210987654321"`, 1)), 0o644)
	badSupp := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badSupp, []byte("suppressions:\n  - check: IAM-02\n    resource: '*'\n    owner: me\n    expires: 2099-01-01\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--baseline", corrupt}, "decode report"},
		{[]string{"--baseline", other}, "210987654321"},
		{[]string{"--baseline", filepath.Join(dir, "missing.json")}, "--baseline"},
		{[]string{"--suppressions", badSupp}, "line 2: reason is required"},
		{[]string{"--fail-on-change"}, "needs --baseline"},
	} {
		res := cli(append(append([]string{"audit"}, base...), tc.args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 with %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
}

// TestOrgFleet lists the organization's accounts and assumes the audit role
// in each; an account whose role cannot be assumed is an incomplete entry.
func TestOrgFleet(t *testing.T) {
	a := envtest.NewAWS(t)
	awsEnv(t, a)
	ctx := t.Context()
	org := organizations.NewFromConfig(a.Config("us-east-1"))
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"prod", "dev"} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.CreateAccountStatus.AccountId))
	}
	a.Proxy.DenyAssumeRole("arn:aws:iam::" + ids[1] + ":role/fargatekit-audit")
	res := cli("audit", "--org-role-name", "fargatekit-audit", "--all-clusters", "--region", "us-east-1", "-o", "json", "--fail-on", "none", "--allow-incomplete", "-q")
	if res.code != 0 && res.code != 1 {
		t.Fatalf("org audit: exit %d\n%s", res.code, res.stderr)
	}
	r := decodeReport(t, res.out)
	var denied bool
	for _, in := range r.Incomplete {
		if strings.Contains(in.Resource, ids[1]) && strings.Contains(in.Reason, "AccessDenied") {
			denied = true
		}
	}
	if !denied {
		t.Errorf("the unassumable account %s is not an incomplete entry: %+v", ids[1], r.Incomplete)
	}
	accts := strings.Join(append(r.Accounts, r.Account), " ")
	if !strings.Contains(accts, ids[0]) {
		t.Errorf("accounts audited %q lack %s", accts, ids[0])
	}
	if res := cli("audit", "--org-role-name", "arn:aws:iam::1:role/x", "--all-clusters", "--region", "us-east-1"); res.code != 2 || !strings.Contains(res.stderr, "want a role name") {
		t.Errorf("--org-role-name with an ARN: exit %d %q", res.code, res.stderr)
	}
}

// TestAccessCommand runs `fargatekit access` in every format and `access
// why` on a broken and a working ServiceAccount.
func TestAccessCommand(t *testing.T) {
	a, base, dir := nightlyStack(t)
	issuer := awscli(t, a, "eks", "describe-cluster", "--name", "demo", "--query", "cluster.identity.oidc.issuer")
	awscli(t, a, "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", strings.Repeat("a", 40))
	hp := strings.TrimPrefix(issuer, "https://")
	trust := filepath.Join(dir, "irsa.json")
	os.WriteFile(trust, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:sub":"system:serviceaccount:default:web","`+hp+`:aud":"sts.amazonaws.com"}}}]}`), 0o644)
	role := awscli(t, a, "iam", "create-role", "--role-name", "web", "--assume-role-policy-document", "file://"+trust, "--query", "Role.Arn")
	kubeconfig := base[5]
	kc, err := kubeconfigREST(kubeconfig, "", "demo", "", "")
	if err != nil {
		t.Fatal(err)
	}
	k, err := kubernetes.NewForConfig(kc)
	if err != nil {
		t.Fatal(err)
	}
	for name, arn := range map[string]string{"web": role, "typo": strings.Replace(role, "role/web", "role/wbe", 1)} {
		if _, err := k.CoreV1().ServiceAccounts("default").Create(t.Context(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name,
			Annotations: map[string]string{audit.AnnotationRoleARN: arn}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	res := cli(append([]string{"access", "-o", "json"}, base...)...)
	if res.code != 0 {
		t.Fatalf("access -o json: exit %d\n%s", res.code, res.stderr)
	}
	var m audit.AccessMap
	if err := json.Unmarshal([]byte(res.out), &m); err != nil || m.Schema != audit.AccessMapSchema || len(m.ServiceAccounts) != 2 {
		t.Fatalf("access JSON: %v %+v", err, m)
	}
	for format, want := range map[string]string{"text": "cluster-admin", "mermaid": "flowchart LR", "dot": "digraph"} {
		if res := cli(append([]string{"access", "-o", format}, base...)...); res.code != 0 || !strings.Contains(res.out, want) {
			t.Errorf("access -o %s: exit %d, lacks %q\n%.300s", format, res.code, want, res.out)
		}
	}
	page := filepath.Join(dir, "access.html")
	res = cli(append([]string{"access", "-o", "html", "--out", page}, base...)...)
	html, _ := os.ReadFile(page)
	if res.code != 0 || !strings.Contains(string(html), "<svg") || !strings.Contains(res.stderr, "wrote "+page) {
		t.Errorf("access -o html --out: exit %d, %d bytes, stderr %q", res.code, len(html), res.stderr)
	}
	if res := cli(append([]string{"access", "why", "default/web"}, base...)...); res.code != 0 || !strings.Contains(res.out, "can assume their role") {
		t.Errorf("why default/web: exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	if res := cli(append([]string{"access", "why", "default/typo"}, base...)...); res.code != 1 || !strings.Contains(res.out, "did you mean "+role) {
		t.Errorf("why default/typo: exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	for _, args := range [][]string{
		append([]string{"access", "why", "no-slash"}, base...),
		{"access", "--cluster", "nope", "--region", "us-west-2", "-q", "--kubeconfig", kubeconfig},
		append([]string{"access", "-o", "yaml"}, base...),
	} {
		if res := cli(args...); res.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, res.code, res.stderr)
		}
	}
}
