package kubeauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
)

var tokenClock = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func tokenConfig(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEEXAMPLE01", "secret", ""),
	}
}

// tokenURL decodes a token by hand (not with ParseToken), so that the test
// checks the format independently of the code under test.
func tokenURL(t *testing.T, tok string) *url.URL {
	t.Helper()
	rest, ok := strings.CutPrefix(tok, "k8s-aws-v1.")
	if !ok {
		t.Fatalf("token %q lacks the k8s-aws-v1. prefix", tok)
	}
	if strings.ContainsAny(rest, "=+/") {
		t.Fatalf("token is not base64url without padding: %q", rest)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTokenRoundTrip(t *testing.T) {
	tests := []struct {
		region, endpoint, wantHost, why string
	}{
		{"ap-northeast-1", "", "sts.ap-northeast-1.amazonaws.com", "regional endpoint, not the global one"},
		{"us-east-1", "", "sts.us-east-1.amazonaws.com", "us-east-1 too is regional"},
		{"cn-north-1", "", "sts.cn-north-1.amazonaws.com.cn", "China partition"},
		{"eu-west-1", "http://127.0.0.1:4566", "127.0.0.1:4566", "BaseEndpoint overrides the host"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			cfg := tokenConfig(tt.region)
			if tt.endpoint != "" {
				cfg.BaseEndpoint = aws.String(tt.endpoint)
			}
			gen := kubeauth.NewTokenGenerator(cfg, func(o *kubeauth.TokenOptions) { o.Now = func() time.Time { return tokenClock } })
			tok, err := gen.Token(context.Background(), "eks-test")
			if err != nil {
				t.Fatal(err)
			}
			u := tokenURL(t, tok.Value)
			q := u.Query()
			if u.Host != tt.wantHost {
				t.Errorf("%s: host = %q, want %q", tt.why, u.Host, tt.wantHost)
			}
			got := map[string]string{
				"Action":              q.Get("Action"),
				"Version":             q.Get("Version"),
				"X-Amz-Expires":       q.Get("X-Amz-Expires"),
				"X-Amz-Date":          q.Get("X-Amz-Date"),
				"X-Amz-SignedHeaders": q.Get("X-Amz-SignedHeaders"),
				"X-Amz-Algorithm":     q.Get("X-Amz-Algorithm"),
				"X-Amz-Credential":    q.Get("X-Amz-Credential"),
			}
			want := map[string]string{
				"Action":              "GetCallerIdentity",
				"Version":             "2011-06-15",
				"X-Amz-Expires":       "60",
				"X-Amz-Date":          "20260304T050607Z",
				"X-Amz-SignedHeaders": "host;x-k8s-aws-id",
				"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
				"X-Amz-Credential":    "AKIAEXAMPLEEXAMPLE01/20260304/" + tt.region + "/sts/aws4_request",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("signed query (-want +got):\n%s", d)
			}
			if len(q.Get("X-Amz-Signature")) != 64 {
				t.Errorf("X-Amz-Signature = %q, want 64 hex digits", q.Get("X-Amz-Signature"))
			}
			if !tok.Expiration.Equal(tokenClock.Add(14 * time.Minute)) {
				t.Errorf("expiration = %s, want signing time + 14 min", tok.Expiration)
			}
			// ParseToken agrees with the hand decoding.
			pu, err := kubeauth.ParseToken(tok.Value)
			if err != nil {
				t.Fatal(err)
			}
			if pu.String() != u.String() {
				t.Errorf("ParseToken = %s, want %s", pu, u)
			}
		})
	}
}

// TestTokenSignatureBindsCluster: the same signer, time and credentials give
// a different signature for another cluster, because x-k8s-aws-id is signed;
// and the same inputs give the same token (the signature is deterministic).
func TestTokenSignatureBindsCluster(t *testing.T) {
	gen := kubeauth.NewTokenGenerator(tokenConfig("eu-west-1"), func(o *kubeauth.TokenOptions) { o.Now = func() time.Time { return tokenClock } })
	a, _ := gen.Token(context.Background(), "cluster-a")
	a2, _ := gen.Token(context.Background(), "cluster-a")
	b, _ := gen.Token(context.Background(), "cluster-b")
	if a.Value != a2.Value {
		t.Error("same inputs, different tokens")
	}
	if tokenURL(t, a.Value).Query().Get("X-Amz-Signature") == tokenURL(t, b.Value).Query().Get("X-Amz-Signature") {
		t.Error("the cluster name does not change the signature: x-k8s-aws-id is not signed")
	}
	if _, err := gen.Token(context.Background(), ""); err == nil {
		t.Error("empty cluster name accepted")
	}
}

func TestTokenExecCredential(t *testing.T) {
	tok := kubeauth.Token{Value: "k8s-aws-v1.abc", Expiration: time.Date(2026, 3, 4, 5, 20, 7, 500, time.UTC)}
	b, err := tok.ExecCredentialJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"apiVersion": "client.authentication.k8s.io/v1beta1",
		"kind":       "ExecCredential",
		"spec":       map[string]any{"interactive": false},
		"status":     map[string]any{"token": "k8s-aws-v1.abc", "expirationTimestamp": "2026-03-04T05:20:07Z"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ExecCredential JSON (-want +got):\n%s", d)
	}
}

func TestParseTokenErrors(t *testing.T) {
	enc := func(s string) string { return "k8s-aws-v1." + base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"
	tests := []struct{ tok, why, want string }{
		{"Bearer abc", "no prefix", "missing prefix"},
		{"k8s-aws-v1.abc=", "padding is not allowed", "base64url"},
		{enc("not a url\x7f"), "not a URL", "not a URL"},
		{enc("/relative?Action=GetCallerIdentity"), "no host", "no http(s) host"},
		{enc(strings.Replace(good, "GetCallerIdentity", "AssumeRole", 1)), "another action", "want GetCallerIdentity"},
		{enc(strings.Replace(good, "&X-Amz-Expires=60", "", 1)), "no expiry", "X-Amz-Expires"},
		{enc(strings.Replace(good, "%3Bx-k8s-aws-id", "", 1)), "cluster not signed", "signed headers"},
	}
	for _, tt := range tests {
		if _, err := kubeauth.ParseToken(tt.tok); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseToken(%q) err = %v, want %q", tt.why, tt.tok, err, tt.want)
		}
	}
	if _, err := kubeauth.ParseToken(enc(good)); err != nil {
		t.Errorf("good token: %v", err)
	}
}

func FuzzParseToken(f *testing.F) {
	gen := kubeauth.NewTokenGenerator(tokenConfig("eu-west-1"), func(o *kubeauth.TokenOptions) { o.Now = func() time.Time { return tokenClock } })
	tok, _ := gen.Token(context.Background(), "eks-test")
	f.Add(tok.Value)
	f.Add("k8s-aws-v1.")
	f.Add("k8s-aws-v1.aHR0cHM6Ly8=")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := kubeauth.ParseToken(s)
		if err != nil {
			return
		}
		if u.Query().Get("Action") != "GetCallerIdentity" || u.Host == "" {
			t.Fatalf("accepted %q as %s", s, u)
		}
	})
}

func ExampleToken_ExecCredentialJSON() {
	tok := kubeauth.Token{Value: "k8s-aws-v1.aHR0cHM6Ly9zdHM", Expiration: time.Date(2026, 1, 2, 3, 18, 5, 0, time.UTC)}
	b, _ := tok.ExecCredentialJSON()
	fmt.Println(string(b))
	// Output:
	// {"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false},"status":{"expirationTimestamp":"2026-01-02T03:18:05Z","token":"k8s-aws-v1.aHR0cHM6Ly9zdHM"}}
}
