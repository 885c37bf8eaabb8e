package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The -update flag rewrites golden files. Another test file of this package
// may define it too; it is registered once and read by name.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	return true
}()

func updatePolicyGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const (
	policyOIDCHost = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2"
	policyOIDCARN  = "arn:aws:iam::111122223333:oidc-provider/" + policyOIDCHost
	policyTD       = "testdata/policy/"
)

func TestPolicyCommands(t *testing.T) {
	irsaSource, err := os.ReadFile(policyTD + "irsa.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		reason   string
		args     []string
		stdin    string
		wantCode int
	}{
		{
			name:     "diff-equivalent",
			reason:   "IAM's URL-encoded, reordered copy of the cluster role trust is the same policy",
			args:     []string{"diff", policyTD + "cluster-role.json", policyTD + "cluster-role-iam.txt"},
			wantCode: 0,
		},
		{
			name:     "diff-different",
			reason:   "a dropped aud condition and a widened subject are differences",
			args:     []string{"diff", policyTD + "irsa.json", policyTD + "irsa-prod.json"},
			wantCode: 1,
		},
		{
			name:     "diff-stdin",
			reason:   `"-" reads standard input`,
			args:     []string{"diff", "-", policyTD + "irsa.json"},
			stdin:    string(irsaSource),
			wantCode: 0,
		},
		{
			name:     "diff-both-stdin",
			reason:   "standard input can be read once",
			args:     []string{"diff", "-", "-"},
			wantCode: 2,
		},
		{
			name:     "diff-bad-input",
			reason:   "a trailing comma is bad input, reported with file, line and column",
			args:     []string{"diff", policyTD + "irsa.json", policyTD + "walkthrough-trailing-comma.json"},
			wantCode: 2,
		},
		{
			name:     "diff-missing-file",
			reason:   "an unreadable file is bad input",
			args:     []string{"diff", policyTD + "irsa.json", policyTD + "no-such-file.json"},
			wantCode: 2,
		},
		{
			name:   "eval-allow",
			reason: "the service account named in the trust may assume the role",
			args: []string{"eval", "--policy", policyTD + "irsa.json", "--action", "sts:AssumeRoleWithWebIdentity",
				"--principal", "Federated=" + policyOIDCARN,
				"--context", policyOIDCHost + ":sub=system:serviceaccount:default:my-service-account",
				"--context", policyOIDCHost + ":aud=sts.amazonaws.com"},
			wantCode: 0,
		},
		{
			name:   "eval-deny",
			reason: "another service account may not; the trace says which condition failed",
			args: []string{"eval", "--policy", policyTD + "irsa.json", "--action", "sts:AssumeRoleWithWebIdentity",
				"--principal", "federated=" + policyOIDCARN,
				"--context", policyOIDCHost + ":sub=system:serviceaccount:kube-system:other",
				"--context", policyOIDCHost + ":aud=sts.amazonaws.com"},
			wantCode: 1,
		},
		{
			name:   "eval-walkthrough",
			reason: "the walkthrough's trust cannot be assumed: its keys name another provider",
			args: []string{"eval", "--policy", policyTD + "walkthrough-fixed.json", "--action", "sts:AssumeRoleWithWebIdentity",
				"--principal", "Federated=arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2",
				"--context", "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2:sub=system:serviceaccount:fargate-demo:demo-app",
				"--context", "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2:aud=sts.amazonaws.com"},
			wantCode: 1,
		},
		{
			name:   "eval-fargate-stdin",
			reason: "Fargate may assume the pod execution role for the cluster's profiles; the policy comes from stdin, URL-encoded",
			args: []string{"eval", "--policy", "-", "--action", "sts:AssumeRole", "--principal", "Service=eks-fargate-pods.amazonaws.com",
				"--context", "aws:SourceArn=arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/default/1"},
			stdin:    "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22eks-fargate-pods.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%2C%22Condition%22%3A%7B%22ArnLike%22%3A%7B%22aws%3ASourceArn%22%3A%22arn%3Aaws%3Aeks%3Aus-west-2%3A111122223333%3Afargateprofile%2Fmy-cluster%2F%2A%22%7D%7D%7D%7D",
			wantCode: 0,
		},
		{
			name:     "eval-bad-principal",
			reason:   "an unknown principal type is bad input",
			args:     []string{"eval", "--policy", policyTD + "irsa.json", "--action", "sts:AssumeRole", "--principal", "Role=x"},
			wantCode: 2,
		},
		{
			name:     "eval-bad-context",
			reason:   "a context without '=' is bad input",
			args:     []string{"eval", "--policy", policyTD + "irsa.json", "--action", "sts:AssumeRole", "--principal", "AWS=111122223333", "--context", "novalue"},
			wantCode: 2,
		},
		{
			name:     "eval-missing-flag",
			reason:   "--principal is required",
			args:     []string{"eval", "--policy", policyTD + "irsa.json", "--action", "sts:AssumeRole"},
			wantCode: 2,
		},
		{
			name:     "lint-clean",
			reason:   "the documented Fargate trust for this cluster has no findings",
			args:     []string{"lint", policyTD + "fargate.json", "--account", "111122223333", "--region", "us-west-2", "--cluster", "my-cluster"},
			wantCode: 0,
		},
		{
			name:     "lint-other-cluster",
			reason:   "the same trust checked against another cluster is scoped wrongly (IAM-02, high)",
			args:     []string{"lint", policyTD + "fargate.json", "--account", "444455556666", "--region", "us-west-2", "--cluster", "prod"},
			wantCode: 1,
		},
		{
			name:     "lint-walkthrough",
			reason:   "the fixed walkthrough document still names the wrong provider in its keys (IRSA-08)",
			args:     []string{"lint", policyTD + "walkthrough-fixed.json"},
			wantCode: 1,
		},
		{
			name:     "lint-walkthrough-json",
			reason:   "the JSON form of the same findings",
			args:     []string{"lint", "-o", "json", policyTD + "walkthrough-fixed.json", "--issuer", "https://" + policyOIDCHost},
			wantCode: 1,
		},
		{
			name:     "lint-json-empty",
			reason:   "no findings is an empty list, not null",
			args:     []string{"lint", "--output", "json", policyTD + "cluster-role.json"},
			wantCode: 0,
		},
		{
			name:     "lint-below-fail-on",
			reason:   "findings below --fail-on are shown but do not fail",
			args:     []string{"lint", policyTD + "fargate-no-sourcearn.json", "--fail-on", "critical"},
			wantCode: 0,
		},
		{
			name:     "lint-at-fail-on",
			reason:   "a finding at --fail-on fails (default high)",
			args:     []string{"lint", policyTD + "irsa-prod.json"},
			wantCode: 1,
		},
		{
			name:     "lint-bad-fail-on",
			reason:   "an unknown severity is bad input",
			args:     []string{"lint", policyTD + "irsa.json", "--fail-on", "severe"},
			wantCode: 2,
		},
		{
			name:     "lint-bad-output",
			reason:   "an unknown output format is bad input",
			args:     []string{"lint", policyTD + "irsa.json", "-o", "yaml"},
			wantCode: 2,
		},
		{
			name:     "lint-bad-input",
			reason:   "a document that does not parse is bad input",
			args:     []string{"lint", policyTD + "walkthrough-trailing-comma.json"},
			wantCode: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"policy"}, tt.args...), strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d: %s\nstderr: %s", code, tt.wantCode, tt.reason, stderr.String())
			}
			got := fmt.Sprintf("$ fargatekit policy %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s",
				strings.Join(tt.args, " "), code, stdout.String(), stderr.String())
			golden := filepath.Join("testdata", "policy", tt.name+".golden")
			if updatePolicyGolden() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("output (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
}

func TestPolicyCommandHelp(t *testing.T) {
	// Every subcommand documents itself.
	for _, c := range newPolicyCmd().Commands() {
		if c.Short == "" || c.Long == "" {
			t.Errorf("policy %s has no Short or Long help", c.Name())
		}
	}
}
