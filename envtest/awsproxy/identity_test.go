package awsproxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// userKey creates an IAM user with an access key in moto and returns the
// key.
func userKey(t *testing.T, c clients, name, policy string) aws.Credentials {
	t.Helper()
	ctx := t.Context()
	if _, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if policy != "" {
		if _, err := c.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

// TestPresignedGetCallerIdentity: a presigned GetCallerIdentity GET, as an
// EKS token carries it (the signature only in the query), reaches moto's
// STS, which names the IAM user whose key signed it, and is counted as
// sts/GetCallerIdentity. Without the Authorization header the proxy adds,
// moto answers it from S3 (ListAllMyBucketsResult).
func TestPresignedGetCallerIdentity(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := t.Context()
	key := userKey(t, c, "token-user", "")
	cfg := a.Config(region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")
	pre, err := sts.NewPresignClient(sts.NewFromConfig(cfg)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if pre.Method != http.MethodGet || !strings.Contains(pre.URL, "X-Amz-Credential=") {
		t.Fatalf("presigned request %s %s: want a GET with the signature in the query", pre.Method, pre.URL)
	}
	a.Proxy.ResetCounts()
	req, err := http.NewRequestWithContext(ctx, pre.Method, pre.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range pre.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = vs
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: HTTP %d: %s", resp.StatusCode, body)
	}
	want := "<Arn>arn:aws:iam::" + envtest.AccountID + ":user/token-user</Arn>"
	if !strings.Contains(string(body), "GetCallerIdentityResponse") || !strings.Contains(string(body), want) {
		t.Errorf("GET presigned URL answered\n%s\nwant a GetCallerIdentityResponse with %s", body, want)
	}
	if got := a.Proxy.Count("sts", "GetCallerIdentity"); got != 1 {
		t.Errorf("Count(sts, GetCallerIdentity) = %d, want 1; counts %v", got, a.Proxy.Counts())
	}
}

// TestOwnLookupsUnderEnforcement: with moto's IAM enforcement on, the
// proxy's own lookups (GET /clusters/NAME before an emulated EKS operation,
// EC2 route tables before a Fargate profile, IAM reads before an OIDC
// client ID change) pass moto's signature check when the proxy signs them
// with valid credentials. moto 5.2.1 verifies a GET only if it carries a
// signed X-Amz-Content-Sha256.
func TestOwnLookupsUnderEnforcement(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := t.Context()
	n, _ := newCluster(t, c, "enforced")
	podRole := createRole(t, c, "enforced-pods", trustFargate)
	oidc, err := c.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://oidc.eks." + region + ".amazonaws.com/id/ENFORCED"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{oidcThumbprint},
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := userKey(t, c, "proxy-admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	adminCreds := credentials.NewStaticCredentialsProvider(admin.AccessKeyID, admin.SecretAccessKey, "")

	// A proxy of its own, signing its lookups as the admin.
	p, err := awsproxy.New(a.MotoURL, func(o *awsproxy.Options) { o.Credentials = adminCreds })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)

	setEnforcement(t, a, "0")
	if _, err := c.iam.ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		t.Fatal("moto's IAM enforcement is off: the dummy credentials may list roles")
	}
	cfg := a.Config(region)
	cfg.BaseEndpoint = aws.String(srv.URL)
	cfg.Credentials = adminCreds
	// The caller's own GETs need the header as well; the proxy cannot add
	// it to a request it does not sign.
	cfg.APIOptions = append(cfg.APIOptions, v4.AddContentSHA256HeaderMiddleware)
	ek, im := eks.NewFromConfig(cfg), iam.NewFromConfig(cfg)

	if _, err := ek.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String("enforced")}); err != nil {
		t.Errorf("ListAddons (proxy looks up the cluster): %v", err)
	}
	if _, err := ek.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("enforced")}); err != nil {
		t.Errorf("ListPodIdentityAssociations (proxy looks up the cluster): %v", err)
	}
	if _, err := ek.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{
		ClusterName: aws.String("enforced"), FargateProfileName: aws.String("default"), PodExecutionRoleArn: aws.String(podRole),
		Subnets: []string{n.private}, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}},
	}); err != nil {
		t.Errorf("CreateFargateProfile (proxy reads the route tables): %v", err)
	}
	if _, err := im.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: oidc.OpenIDConnectProviderArn, ClientID: aws.String("other"),
	}); err != nil {
		t.Errorf("AddClientIDToOpenIDConnectProvider (proxy reads and re-creates the provider): %v", err)
	}
}

// setEnforcement sets moto's INITIAL_NO_AUTH_ACTION_COUNT ("0": enforce
// now) and puts the previous value back when the test ends.
func setEnforcement(t *testing.T, a *envtest.AWS, count string) {
	t.Helper()
	post := func(body string) (string, error) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, a.MotoURL+"/moto-api/reset-auth", strings.NewReader(body))
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var out struct {
			Previous string `json:"PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return "", err
		}
		return out.Previous, nil
	}
	prev, err := post(count)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := post(prev); err != nil {
			t.Errorf("restore moto's enforcement to %s: %v", prev, err)
		}
	})
}

var issuerPattern = regexp.MustCompile(`^https://oidc\.eks\.` + region + `\.amazonaws\.com/id/[0-9A-F]{32}$`)

// TestClusterIssuerPerCluster: every cluster has an issuer of its own (moto
// gives them all the same), of EKS's form, stable for its life, and new
// when a cluster of the same name is created again.
func TestClusterIssuerPerCluster(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := t.Context()
	issuer := func(name string) string {
		t.Helper()
		out, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Cluster.Identity == nil || out.Cluster.Identity.Oidc == nil {
			t.Fatalf("cluster %s has no identity.oidc", name)
		}
		return aws.ToString(out.Cluster.Identity.Oidc.Issuer)
	}
	n := newNetwork(t, c)
	role := createRole(t, c, "issuer-cluster", trustEKS)
	create := func(name string) string {
		t.Helper()
		out, err := c.eks.CreateCluster(ctx, &eks.CreateClusterInput{
			Name: aws.String(name), RoleArn: aws.String(role),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private, n.private2}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := aws.ToString(out.Cluster.Identity.Oidc.Issuer)
		if !issuerPattern.MatchString(got) {
			t.Errorf("CreateCluster %s: issuer %q, want %s", name, got, issuerPattern)
		}
		if d := issuer(name); d != got {
			t.Errorf("cluster %s: CreateCluster issuer %q, DescribeCluster %q", name, got, d)
		}
		return got
	}
	one, two := create("issuer-one"), create("issuer-two")
	if one == two {
		t.Errorf("two clusters share the issuer %s", one)
	}
	if again := issuer("issuer-one"); again != one {
		t.Errorf("DescribeCluster issuer-one: %q, then %q", one, again)
	}
	if _, err := c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("issuer-one")}); err != nil {
		t.Fatal(err)
	}
	if re := create("issuer-one"); re == one {
		t.Errorf("issuer-one created again kept its issuer %s", one)
	}
}
