package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// policyActions reads the actions of a published policy.
func policyActions(t testing.TB, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Action []string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]bool{}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			out[a] = true
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// usedActions turns the proxy's counters into IAM action names.
func usedActions(counts map[string]map[string]int) map[string]bool {
	out := map[string]bool{}
	for svc, ops := range counts {
		for op := range ops {
			out[svc+":"+op] = true
		}
	}
	return out
}

var errNoKube = errors.New("no Kubernetes API in this test")

func noKube(context.Context, *audit.Cluster) (*rest.Config, error) { return nil, errNoKube }

// richStack builds a cluster that exercises every read of the audit:
// access entries with policies, an add-on, a pod identity association, a
// customer managed and an inline policy on the pod execution role, Secrets
// encryption, an OIDC provider.
func richStack(ctx context.Context, t testing.TB, cfg aws.Config, name string) *stack {
	t.Helper()
	st := buildStack(ctx, t, cfg, name, "API_AND_CONFIG_MAP", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	im := iam.NewFromConfig(cfg)
	pol, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "-ecr"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	roleName := name + "-pods"
	if _, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(roleName), PolicyName: aws.String("logs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: st.cluster.Identity.Oidc.Issuer, ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	ek := eks.NewFromConfig(cfg)
	key, err := kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ek.AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: aws.String(name),
		EncryptionConfig: []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &ekstypes.Provider{KeyArn: key.KeyMetadata.Arn}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ek.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(name), AddonName: aws.String("coredns"), ConfigurationValues: aws.String(`{"computeType":"Fargate"}`)}); err != nil {
		t.Fatal(err)
	}
	admin := createRole(ctx, t, im, name+"-admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)
	if _, err := ek.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ek.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}}); err != nil {
		t.Fatal(err)
	}
	// EKS (and the proxy) created the FARGATE_LINUX entry with the profile.
	if _, err := ek.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(name), Namespace: aws.String("apps"),
		ServiceAccount: aws.String("web"), RoleArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestReadOnlyPolicyIsExact audits a cluster that exercises every read and
// compares the operations the proxy saw with policies/audit-readonly.json:
// the policy must allow exactly what the audit calls.
func TestReadOnlyPolicyIsExact(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	richStack(ctx, t, a.Config(region), "rich")
	a.Proxy.ResetCounts()
	r, err := audit.Audit(ctx, audit.RegionsTarget(region), func(o *audit.Options) { o.AWS = a.Config(region); o.Kube = noKube })
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range r.Incomplete {
		if !strings.HasPrefix(in.Reason, "kube.") {
			t.Errorf("incomplete %s %s: %s", in.Check, in.Resource, in.Reason)
		}
	}
	used := usedActions(a.Proxy.Counts())
	policy := policyActions(t, "../policies/audit-readonly.json")
	if diff := cmp.Diff(keys(policy), keys(used)); diff != "" {
		t.Errorf("policies/audit-readonly.json vs the actions the audit used (-policy +used):\n%s", diff)
	}
	apply := policyActions(t, "../policies/apply.json")
	for a := range policy {
		if !apply[a] {
			t.Errorf("apply.json lacks the read %s", a)
		}
	}
}

// TestLeastPrivilegeEnforced runs moto with IAM enforcement: the audit runs
// under a user with exactly policies/audit-readonly.json, and a user whose
// policy lacks one action per service sees those reads as incomplete,
// never as a pass.
//
// The stack and the users are built first, with envtest's dummy
// credentials, then enforcement is switched on through moto's
// /moto-api/reset-auth (the same switch as INITIAL_NO_AUTH_ACTION_COUNT, at
// a point the test chooses). From then on the proxy signs its own lookups
// (before the add-on, access entry and pod identity reads it emulates) with
// the admin user's key.
func TestLeastPrivilegeEnforced(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	ctx := t.Context()
	var mu sync.Mutex
	var admin aws.Credentials
	proxyCreds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		if admin.AccessKeyID == "" {
			return aws.Credentials{AccessKeyID: envtest.AccessKeyID, SecretAccessKey: envtest.SecretAccessKey}, nil
		}
		return admin, nil
	})
	a := envtest.NewAWS(t, func(o *envtest.AWSOptions) {
		o.Proxy = append(o.Proxy, func(po *awsproxy.Options) { po.Credentials = proxyCreds })
	})
	richStack(ctx, t, a.Config(region), "lp")
	im := iam.NewFromConfig(a.Config(region))
	user := func(name, policy string) aws.Credentials {
		if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if _, err := im.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
		k, err := im.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
	}
	adminCreds := user("admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	mu.Lock()
	admin = adminCreds
	mu.Unlock()
	readonly, err := os.ReadFile("../policies/audit-readonly.json")
	if err != nil {
		t.Fatal(err)
	}
	auditor := user("auditor", string(readonly))
	// Remove one action per service. Which of them moto enforces is
	// checked below: IAM, EC2 and KMS are moto's; of EKS, moto serves
	// DescribeCluster, ListClusters, ListFargateProfiles and
	// DescribeFargateProfile, while the proxy emulates add-ons, access
	// entries, pod identity and versions without authorizing them.
	removed := map[string]string{ // action → the part that must go incomplete
		"iam:GetPolicyVersion":    audit.PartRolePolicies,
		"ec2:DescribeRouteTables": audit.PartNetwork,
		"kms:DescribeKey":         audit.PartKMS,
		"eks:ListFargateProfiles": audit.PartFargateProfiles,
	}
	var doc map[string]any
	if err := json.Unmarshal(readonly, &doc); err != nil {
		t.Fatal(err)
	}
	var stmts []any
	for _, st := range doc["Statement"].([]any) {
		m := st.(map[string]any)
		var keep []any
		for _, act := range m["Action"].([]any) {
			if _, gone := removed[act.(string)]; !gone {
				keep = append(keep, act)
			}
		}
		if len(keep) > 0 {
			m["Action"] = keep
			stmts = append(stmts, m)
		}
	}
	doc["Statement"] = stmts
	narrowed, _ := json.Marshal(doc)
	narrow := user("narrow", string(narrowed))
	// The per-role fallback: no bulk read, but the five actions that
	// replace it.
	fallbackPolicy := strings.Replace(string(readonly), `"iam:GetAccountAuthorizationDetails",`,
		`"iam:ListRoles", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:GetRole",`, 1)
	if fallbackPolicy == string(readonly) {
		t.Fatal("audit-readonly.json has no iam:GetAccountAuthorizationDetails")
	}
	fallback := user("fallback", fallbackPolicy)

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.MotoURL+"/moto-api/reset-auth", strings.NewReader("0"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Enforcement is on: the dummy credentials are refused now.
	if _, err := im.ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		t.Fatal("moto's IAM enforcement is off: the dummy credentials may list roles")
	}
	cfgAs := func(c aws.Credentials) aws.Config {
		cfg := a.Config(region)
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
		cfg.APIOptions = append(cfg.APIOptions, signedPayload)
		return cfg
	}
	run := func(c aws.Credentials) *audit.Report {
		r, err := audit.Audit(ctx, audit.RegionsTarget(region), func(o *audit.Options) { o.AWS = cfgAs(c); o.Kube = noKube })
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	full := run(auditor)
	for _, in := range full.Incomplete {
		switch part := strings.SplitN(in.Reason, " ", 2)[0]; {
		case strings.HasPrefix(part, "kube."):
		default:
			t.Errorf("read-only policy: incomplete %s %s: %s", in.Check, in.Resource, in.Reason)
		}
	}
	if len(full.Findings) == 0 {
		t.Fatal("read-only policy: no findings at all")
	}
	if len(full.Warnings) > 0 {
		t.Errorf("read-only policy: warnings %v", full.Warnings)
	}
	// Without the bulk read the audit says so and finds the same.
	fb := run(fallback)
	for _, in := range fb.Incomplete {
		if !strings.HasPrefix(in.Reason, "kube.") {
			t.Errorf("fallback: incomplete %s %s: %s", in.Check, in.Resource, in.Reason)
		}
	}
	if len(fb.Warnings) != 1 || !strings.Contains(fb.Warnings[0], "iam:GetAccountAuthorizationDetails") || !strings.Contains(fb.Warnings[0], "AccessDenied") {
		t.Errorf("fallback: warnings %q, want one naming the denied bulk read", fb.Warnings)
	}
	findingKeys := func(r *audit.Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.Check+" "+f.Resource+" "+f.Message)
		}
		return out
	}
	if diff := cmp.Diff(findingKeys(full), findingKeys(fb)); diff != "" {
		t.Errorf("findings with the bulk read vs the per-role fallback (-bulk +fallback):\n%s", diff)
	}
	denied := run(narrow)
	reasons := map[string]bool{}
	for _, in := range denied.Incomplete {
		reasons[strings.SplitN(in.Reason, " ", 2)[0]] = true
	}
	for action, part := range removed {
		if !reasons[part] {
			t.Errorf("without %s: no check reported %s incomplete; incomplete: %+v", action, part, denied.Incomplete)
		}
	}
	// A denied read never turns into a pass: each check that passed with
	// full rights but needed a removed part is incomplete, not silent.
	fullIDs, deniedIDs := map[string]bool{}, map[string]bool{}
	for _, f := range full.Findings {
		fullIDs[f.Check] = true
	}
	for _, f := range denied.Findings {
		deniedIDs[f.Check] = true
	}
	incomplete := map[string]bool{}
	for _, in := range denied.Incomplete {
		incomplete[in.Check] = true
	}
	for id := range fullIDs {
		if !deniedIDs[id] && !incomplete[id] {
			t.Errorf("%s: found with full rights, silently absent with narrowed rights", id)
		}
	}
}

// signedPayload makes the SDK send and sign X-Amz-Content-Sha256. moto's
// signature check (moto 5.2.1, with IAM enforcement on) hashes the request's
// headers as the payload of a GET without a query string, so every EKS
// DescribeCluster/ListFargateProfiles… fails with SignatureDoesNotMatch;
// with the header signed, moto's botocore uses it instead.
// The proxy signs its own lookups so; it cannot add the header to the
// caller's requests without breaking their signatures.
func signedPayload(stack *middleware.Stack) error { return v4.AddContentSHA256HeaderMiddleware(stack) }
