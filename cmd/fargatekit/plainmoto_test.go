package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

// TestWalkthroughPlansAgainstPlainMoto: the shipped walkthrough spec plans
// against moto_server itself, without the project's proxy (moto serves no
// DescribeClusterVersions and no add-on versions: it answers an HTML 404),
// with only KMS_KEY_ARN exported. The version catalogue falls back to the
// spec's version with a warning; no deserializer text reaches the user.
func TestWalkthroughPlansAgainstPlainMoto(t *testing.T) {
	a := envtest.NewAWS(t)
	// a.MotoURL is moto_server on its own 127.0.0.1 port, started with
	// MOTO_IAM_LOAD_MANAGED_POLICIES=true; the proxy is not in the way.
	endpointEnv(t, a.MotoURL)
	cfg := a.Config("ap-northeast-1")
	cfg.BaseEndpoint = aws.String(a.MotoURL)
	key, err := kms.NewFromConfig(cfg).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KMS_KEY_ARN", aws.ToString(key.KeyMetadata.Arn))
	unsetEnv(t, "AWS_REGION")

	res, _ := cliWithin(t, hangGuard, "plan", "-f", walkthroughSpec)
	if res.code != 0 {
		t.Fatalf("plan against plain moto: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.out, res.stderr)
	}
	for _, bad := range []string{"deserialization failed", "invalid character", "StatusCode: 404"} {
		if strings.Contains(res.stderr+res.out, bad) {
			t.Errorf("output shows raw SDK text %q:\n%s", bad, res.stderr)
		}
	}
	if !strings.Contains(res.stderr, "support status of Kubernetes 1.33 was not checked") || !strings.Contains(res.stderr, "eks:DescribeClusterVersions") {
		t.Errorf("no warning that the support status was not checked:\n%s", res.stderr)
	}
	if !strings.Contains(res.out, "+   create  eks.cluster eks-test: Kubernetes 1.33") || !strings.Contains(res.out, "2 deferred") || strings.Contains(res.out, "to update, 0 to replace, 0 to delete, 0 deferred") {
		t.Errorf("plan:\n%s", res.out)
	}
	if strings.Contains(res.out, "2 to update") {
		t.Errorf("deferred steps counted as updates:\n%s", res.out)
	}

	res, _ = cliWithin(t, hangGuard, "plan", "-f", walkthroughSpec, "-o", "json", "--log-format", "json")
	var doc struct {
		Schema  string       `json:"schema"`
		Summary plan.Summary `json:"summary"`
	}
	if res.code != 0 || json.Unmarshal([]byte(res.out), &doc) != nil || doc.Schema != plan.JSONSchemaVersion || doc.Summary.Deferred != 2 || doc.Summary.Update != 0 {
		t.Fatalf("plan -o json: exit %d, %+v\n%s", res.code, doc, res.out)
	}
	// --log-format json: every stderr line is a JSON object.
	for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["msg"] == nil {
			t.Errorf("--log-format json: stderr line is not a JSON log entry: %q", l)
		}
	}

	// The destroy plan of nothing says so.
	res, _ = cliWithin(t, hangGuard, "destroy", "-f", walkthroughSpec, "--aws-only")
	if res.code != 0 || !strings.HasPrefix(res.out, "Nothing to destroy") {
		t.Errorf("destroy of nothing: exit %d\n%s\n%s", res.code, res.out, res.stderr)
	}
}
