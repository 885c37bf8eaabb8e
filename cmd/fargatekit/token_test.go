package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/fargatekit/fargatekit/envtest"
)

// tokenEnv isolates the AWS SDK from the machine's configuration.
func tokenEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE01")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// tokenDecode reads the ExecCredential printed by "fargatekit token" and
// returns the presigned URL inside and the expiration.
func tokenDecode(t *testing.T, out []byte) (*url.URL, time.Time) {
	t.Helper()
	var ec struct {
		APIVersion, Kind string
		Status           struct {
			Token               string    `json:"token"`
			ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := json.Unmarshal(out, &ec); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if ec.APIVersion != "client.authentication.k8s.io/v1beta1" || ec.Kind != "ExecCredential" {
		t.Errorf("printed %s %s, want a v1beta1 ExecCredential", ec.APIVersion, ec.Kind)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(ec.Status.Token, "k8s-aws-v1."))
	if err != nil || !strings.HasPrefix(ec.Status.Token, "k8s-aws-v1.") {
		t.Fatalf("token %q: %v", ec.Status.Token, err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return u, ec.Status.ExpirationTimestamp
}

func TestTokenCommand(t *testing.T) {
	tokenEnv(t)
	var out, errb bytes.Buffer
	if code := run([]string{"token", "--cluster", "eks-test", "--region", "ap-northeast-1"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	u, exp := tokenDecode(t, out.Bytes())
	q := u.Query()
	if u.Host != "sts.ap-northeast-1.amazonaws.com" || q.Get("Action") != "GetCallerIdentity" || q.Get("X-Amz-Expires") != "60" ||
		q.Get("X-Amz-SignedHeaders") != "host;x-k8s-aws-id" || !strings.HasPrefix(q.Get("X-Amz-Credential"), "AKIAEXAMPLEEXAMPLE01/") {
		t.Errorf("token URL %s", u)
	}
	if d := time.Until(exp); d < 13*time.Minute || d > 14*time.Minute {
		t.Errorf("expires in %s, want about 14 minutes", d)
	}
}

func TestTokenCommandBadInput(t *testing.T) {
	tokenEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "--region", "eu-west-1"}, "--cluster is required"},
		{[]string{"token", "--cluster", "c"}, "no AWS region"},
		{[]string{"token", "--cluster", "c", "--region", "eu-west-1", "--profile", "missing"}, "missing"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: printed %q on failure", tc.args, out.String())
		}
	}
}

// TestTokenCommandRoleARN: with --role-arn the token is signed with the
// role's temporary credentials (from the local STS).
func TestTokenCommandRoleARN(t *testing.T) {
	a := envtest.NewAWS(t) // before tokenEnv: moto_server inherits the environment
	tokenEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", a.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", envtest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", envtest.SecretAccessKey)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(a.Config("eu-west-1")).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("admin"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"token", "--cluster", "eks-test", "--region", "eu-west-1", "--role-arn", "arn:aws:iam::123456789012:role/admin"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	u, _ := tokenDecode(t, out.Bytes())
	q := u.Query()
	if strings.HasPrefix(q.Get("X-Amz-Credential"), envtest.AccessKeyID) || q.Get("X-Amz-Security-Token") == "" {
		t.Errorf("token not signed with the role's session credentials: %s", u)
	}
	if a.Proxy.Count("sts", "AssumeRole") != 1 {
		t.Errorf("AssumeRole calls: %v", a.Proxy.Counts())
	}
}
