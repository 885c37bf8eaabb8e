package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/fargatekit/fargatekit/envtest"
)

// commandPath finds a command of the tree by its path ("irsa plan").
func commandPath(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	c, _, err := root.Find(strings.Fields(path))
	if err != nil || c.CommandPath() != "fargatekit "+path {
		t.Fatalf("no command %q (%v)", path, err)
	}
	return c
}

// TestConventions checks the one set of conventions on every command: the
// format is -o/--output and offers json where there is a machine-readable
// result; a command that writes has --yes; a command that reaches a
// cluster has --kubeconfig and --context; no --json or --format flag is
// left but the deprecated alias of report render. These are the rows of
// the README's table.
func TestConventions(t *testing.T) {
	root := newRootCmd()
	for _, tc := range []struct {
		path            string
		formats         string // "" when the command has no -o
		writes, reaches bool
	}{
		{"plan", "text json", false, true},
		{"apply", "text json", true, true},
		{"destroy", "text json", true, true},
		{"audit", "text json sarif", false, true},
		{"fix", "text json", true, true},
		{"irsa plan", "text json", false, true},
		{"irsa apply", "text json", true, true},
		{"policy diff", "text json", false, false},
		{"policy eval", "text json", false, false},
		{"policy lint", "text json", false, false},
		{"report merge", "json", false, false},
		{"report render", "text json sarif", false, false},
		{"checks", "text markdown json", false, false},
		{"version", "text json", false, false},
	} {
		c := commandPath(t, root, tc.path)
		o := c.Flags().Lookup("output")
		if tc.formats != "" && (o == nil || o.Shorthand != "o") {
			t.Errorf("%s: no -o/--output", tc.path)
		}
		if o != nil && !strings.Contains(o.Usage, "json") {
			t.Errorf("%s: -o does not offer json: %q", tc.path, o.Usage)
		}
		if got := c.Flags().Lookup("yes") != nil; got != tc.writes {
			t.Errorf("%s: --yes present %t, want %t (every command that writes is a dry run without --yes)", tc.path, got, tc.writes)
		}
		if got := c.Flags().Lookup("kubeconfig") != nil; got != tc.reaches {
			t.Errorf("%s: --kubeconfig present %t, want %t", tc.path, got, tc.reaches)
		}
		// (policy eval's --context is a request condition key.)
		if tc.reaches && c.Flags().Lookup("context") == nil {
			t.Errorf("%s: no --context", tc.path)
		}
		if f := c.Flags().Lookup("json"); f != nil {
			t.Errorf("%s: has --json; the format is -o json", tc.path)
		}
		if f := c.Flags().Lookup("format"); f != nil && f.Deprecated == "" {
			t.Errorf("%s: has --format; the format is -o", tc.path)
		}
		for _, name := range []string{"log-format", "verbose"} {
			if c.Flags().Lookup(name) == nil && c.InheritedFlags().Lookup(name) == nil {
				t.Errorf("%s: no --%s", tc.path, name)
			}
		}
	}
	if out := commandPath(t, root, "report merge").Flags().Lookup("out"); out == nil {
		t.Error("report merge: no --out FILE")
	}
}

// TestPolicyCommandsJSONAndBounds: policy diff and eval print versioned
// JSON with -o json and keep their exit codes; an oversized document is
// refused at once, before parsing, with the limit named.
func TestPolicyCommandsJSONAndBounds(t *testing.T) {
	a := writeFile(t, "a.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	b := writeFile(t, "b.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
	res := cli("policy", "diff", a, b, "-o", "json")
	var diff policyDiffJSON
	if err := json.Unmarshal([]byte(res.out), &diff); err != nil || res.code != 1 || diff.Schema != "fargatekit.io/policy-diff/v1" || diff.Equivalent ||
		len(diff.Differences) != 1 || diff.Differences[0].Op != "+" || string(diff.Differences[0].After) != `"sts:TagSession"` {
		t.Errorf("policy diff -o json: exit %d, %+v (%v)\n%s", res.code, diff, err, res.out)
	}
	if res := cli("policy", "diff", a, a, "-o", "json"); res.code != 0 || !strings.Contains(res.out, `"equivalent": true`) {
		t.Errorf("policy diff of equal documents -o json: exit %d\n%s", res.code, res.out)
	}
	res = cli("policy", "eval", "--policy", a, "--action", "sts:AssumeRole", "--principal", "Service=eks.amazonaws.com", "-o", "json")
	var eval struct {
		Schema     string `json:"schema"`
		Decision   string `json:"decision"`
		Allowed    bool   `json:"allowed"`
		Statements []struct {
			Matched bool `json:"matched"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(res.out), &eval); err != nil || res.code != 0 || eval.Schema != "fargatekit.io/policy-eval/v1" || !eval.Allowed || len(eval.Statements) != 1 || !eval.Statements[0].Matched {
		t.Errorf("policy eval -o json: exit %d, %+v (%v)\n%s", res.code, eval, err, res.out)
	}
	if res := cli("policy", "eval", "--policy", a, "--action", "sts:AssumeRole", "--principal", "Service=ec2.amazonaws.com", "-o", "json"); res.code != 1 || !strings.Contains(res.out, `"allowed": false`) {
		t.Errorf("policy eval -o json of a denied request: exit %d\n%s", res.code, res.out)
	}
	if res := cli("policy", "diff", a, b, "-o", "yaml"); res.code != 2 || !strings.Contains(res.stderr, `-o "yaml"`) {
		t.Errorf("policy diff -o yaml: exit %d, %s", res.code, res.stderr)
	}

	// 45 MB of statements: refused at once, before the quadratic diff.
	big := filepath.Join(t.TempDir(), "big.json")
	var sb strings.Builder
	sb.WriteString(`{"Version":"2012-10-17","Statement":[`)
	st := `{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`
	for i := 0; sb.Len() < 45<<20; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(st)
	}
	sb.WriteString("]}")
	if err := os.WriteFile(big, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"policy", "diff", big, a},
		{"policy", "diff", a, big},
		{"policy", "lint", big},
		{"policy", "eval", "--policy", big, "--action", "sts:AssumeRole", "--principal", "Service=eks.amazonaws.com"},
	} {
		res, took := cliWithin(t, hangGuard, args...)
		if res.code != 2 || !strings.Contains(res.stderr, "input too large") || !strings.Contains(res.stderr, "6,144") || !strings.Contains(res.stderr, "128 KiB") {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming the limit", args, res.code, res.stderr)
		}
		if took > 5e9 {
			t.Errorf("%v: took %s; an oversized input is refused at once", args, took)
		}
	}
	// Standard input is bounded the same way.
	res = cliStdin(sb.String(), "policy", "lint", "-")
	if res.code != 2 || !strings.Contains(res.stderr, "<stdin>: input too large") {
		t.Errorf("policy lint - of 45 MB: exit %d, stderr %q", res.code, res.stderr)
	}
}

// cliStdin runs the CLI with stdin.
func cliStdin(stdin string, args ...string) cliResult {
	var out, errb strings.Builder
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

// TestAuditNoClusters: auditing a region without clusters says "no
// clusters found in REGION" in text and JSON, and exits 1; it never says
// the account meets every requirement.
func TestAuditNoClusters(t *testing.T) {
	a := envtest.NewAWS(t)
	awsEnv(t, a)
	res := cli("audit", "--all-clusters", "--region", "eu-north-1", "--allow-incomplete", "--fail-on", "none")
	if res.code != 1 || !strings.Contains(res.out, "No clusters found in eu-north-1") || strings.Contains(res.out, "meets every requirement") ||
		!strings.Contains(res.stderr, "no clusters found in eu-north-1") {
		t.Errorf("text: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.out, res.stderr)
	}
	res = cli("audit", "--all-clusters", "--region", "eu-north-1", "--allow-incomplete", "--fail-on", "none", "-o", "json")
	r := decodeReport(t, res.out)
	if res.code != 1 || len(r.NoClustersIn) != 1 || r.NoClustersIn[0] != "eu-north-1" {
		t.Errorf("json: exit %d, noClustersIn %v", res.code, r.NoClustersIn)
	}
}

// TestLogsText: on a non-terminal stderr, text mode logs human-readable
// lines (not JSON), with no colour codes; --verbose adds debug lines and
// never credentials, tokens or presigned URLs.
func TestLogsText(t *testing.T) {
	a := envtest.NewAWS(t)
	awsEnv(t, a)
	t.Setenv("AWS_SESSION_TOKEN", "SESSIONTOKENSECRET")
	res := cli("audit", "--all-clusters", "--region", "us-west-2", "--allow-incomplete", "--fail-on", "none", "-v")
	if res.stderr == "" {
		t.Fatal("no logs")
	}
	for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		if strings.HasPrefix(l, "{") {
			t.Errorf("text mode logged JSON: %q", l)
		}
		if strings.Contains(l, "\x1b[") {
			t.Errorf("colour codes on a non-terminal: %q", l)
		}
	}
	for _, secret := range []string{envtest.SecretAccessKey, "SESSIONTOKENSECRET", "X-Amz-Signature", "X-Amz-Credential", "k8s-aws-v1."} {
		if strings.Contains(res.stderr+res.out, secret) {
			t.Errorf("verbose output contains %q", secret)
		}
	}
	if res := cli("audit", "--all-clusters", "--log-format", "yaml"); res.code != 2 || !strings.Contains(res.stderr, `--log-format "yaml"`) {
		t.Errorf("--log-format yaml: exit %d, %s", res.code, res.stderr)
	}
}
