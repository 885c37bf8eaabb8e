package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/envtest"
)

// walkthroughSpec is the spec the examples ship; it references
// ${KMS_KEY_ARN}.
const walkthroughSpec = "../../examples/walkthrough/fargate.yaml"

const testKMSKey = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// hangGuard bounds a CLI run that must not hang; it is far above what a
// run takes, so that it catches hangs only.
const hangGuard = 30 * time.Second

// cliWithin runs the CLI and fails the test if it has not returned within
// limit. It returns the result and the time the run took.
func cliWithin(t *testing.T, limit time.Duration, args ...string) (cliResult, time.Duration) {
	t.Helper()
	done := make(chan cliResult, 1)
	start := time.Now()
	go func() { done <- cli(args...) }()
	select {
	case r := <-done:
		return r, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("fargatekit %s did not return within %s", strings.Join(args, " "), limit)
		return cliResult{}, 0
	}
}

// blackHole listens on 127.0.0.1, accepts connections and never answers.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// unsetEnv unsets k for the test and restores it after.
func unsetEnv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "") // registers the restore
	os.Unsetenv(k)
}

// endpointEnv points the SDK at endpoint with static credentials and no
// shared configuration.
func endpointEnv(t *testing.T, endpoint string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_REGION": "us-west-2", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "KUBECONFIG": none,
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		unsetEnv(t, k)
	}
}

// writeKubeconfig writes a kubeconfig whose only cluster is server.
func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: t}}]
current-context: c
`, server)
	if err := os.WriteFile(p, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTimeoutBlackHole runs every command that calls AWS against an
// endpoint that accepts connections and never answers: each gives up at
// --timeout with exit 2 and says what it waited for and where.
func TestTimeoutBlackHole(t *testing.T) {
	addr := blackHole(t)
	endpointEnv(t, "http://"+addr)
	t.Setenv("KMS_KEY_ARN", testKMSKey)
	kubeconfig := writeKubeconfig(t, "http://"+addr)
	roles := writeFile(t, "roles.yaml", "serviceAccounts:\n  - namespace: a\n    name: b\n")
	anyOp := `[a-z0-9]+:[A-Za-z]+`
	for _, tc := range []struct {
		name, reason string
		args         []string
		op           string // regexp of the operation named
	}{
		{"plan", "plan reads the account; the walkthrough spec loads with KMS_KEY_ARN exported", []string{"plan", "-f", walkthroughSpec}, anyOp},
		{"apply", "apply plans first", []string{"apply", "-f", walkthroughSpec}, anyOp},
		{"destroy", "destroy plans the teardown first", []string{"destroy", "-f", walkthroughSpec}, anyOp},
		{"audit", "audit identifies the caller first", []string{"audit", "--cluster", "demo"}, anyOp},
		{"fix", "fix audits first", []string{"fix", "--cluster", "demo"}, anyOp},
		{"irsa plan", "irsa reads the cluster from EKS", []string{"irsa", "plan", "--cluster", "demo", "-f", roles, "--kubeconfig", kubeconfig}, `eks:DescribeCluster`},
		{"irsa apply", "irsa apply plans first", []string{"irsa", "apply", "--cluster", "demo", "-f", roles, "--kubeconfig", kubeconfig}, `eks:DescribeCluster`},
		{"kubeconfig", "kubeconfig reads the cluster's endpoint", []string{"kubeconfig", "--cluster", "demo", "--kubeconfig", filepath.Join(t.TempDir(), "kc")}, `eks:DescribeCluster`},
		{"token", "a token for a role needs its credentials first", []string{"token", "--cluster", "demo", "--role-arn", "arn:aws:iam::123456789012:role/deploy"}, `sts:AssumeRole`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := cliWithin(t, hangGuard, append(tc.args, "--timeout", "2s")...)
			want := regexp.MustCompile(`timed out after 2s \(--timeout\) waiting for ` + tc.op + ` at ` + regexp.QuoteMeta(addr) + `:`)
			last := lastLine(res.stderr)
			if res.code != 2 || !want.MatchString(last) {
				t.Errorf("%s: exit %d, last line of stderr %q; want exit 2 and %s", tc.reason, res.code, last, want)
			}
			if strings.Contains(last, "context deadline exceeded") {
				t.Errorf("%s: the message shows the raw context error: %q", tc.reason, last)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestRequestTimeoutBlackHole checks that each request has its own bound:
// with a long --timeout, a short --request-timeout ends the command (after
// the SDK's retries) and says so.
func TestRequestTimeoutBlackHole(t *testing.T) {
	addr := blackHole(t)
	endpointEnv(t, "http://"+addr)
	res, _ := cliWithin(t, hangGuard, "kubeconfig", "--cluster", "demo", "--kubeconfig", filepath.Join(t.TempDir(), "kc"),
		"--timeout", "10m", "--request-timeout", "200ms")
	want := "eks:DescribeCluster at " + addr + " did not answer within 200ms (--request-timeout)"
	if res.code != 2 || !strings.Contains(res.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", res.code, res.stderr, want)
	}
}

func TestTimeoutFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		args         []string
		want         string
	}{
		{"zero", "a zero timeout would fail every call", []string{"kubeconfig", "--cluster", "c", "--timeout", "0s"}, "--timeout: want a positive duration"},
		{"negative request", "a negative request timeout is a typo", []string{"kubeconfig", "--cluster", "c", "--request-timeout", "-1s"}, "--request-timeout: want a positive duration"},
		{"not a duration", "pflag parses the duration", []string{"token", "--cluster", "c", "--timeout", "ten"}, `invalid argument "ten" for "--timeout"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := cli(tc.args...)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.reason, res.code, res.stderr, tc.want)
			}
		})
	}
}

// TestTimeoutDefaults checks each command's default --timeout: apply and
// destroy cover cluster creation, the read-only commands are shorter.
func TestTimeoutDefaults(t *testing.T) {
	root := newRootCmd()
	want := map[string]time.Duration{
		"plan": 10 * time.Minute, "apply": time.Hour, "destroy": time.Hour, "audit": 10 * time.Minute, "fix": 30 * time.Minute,
		"irsa plan": 5 * time.Minute, "irsa apply": 15 * time.Minute, "kubeconfig": 2 * time.Minute, "token": time.Minute,
		"access": 5 * time.Minute, "access why": 5 * time.Minute,
	}
	got := map[string]time.Duration{}
	for _, c := range root.Commands() {
		cmds := c.Commands()
		if len(cmds) == 0 || c.RunE != nil {
			cmds = append(cmds, c)
		}
		for _, sc := range cmds {
			name := sc.Name()
			if sc != c {
				name = c.Name() + " " + sc.Name()
			}
			if f := sc.Flags().Lookup("timeout"); f != nil {
				d, err := time.ParseDuration(f.DefValue)
				if err != nil {
					t.Fatalf("%s --timeout default %q: %v", name, f.DefValue, err)
				}
				got[name] = d
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands with --timeout and their defaults (-want +got):\n%s", diff)
	}
}

// TestSpecFileEnv checks ${VAR} expansion, --no-env and the one-document
// rule on the commands that read a spec.
func TestSpecFileEnv(t *testing.T) {
	addr := blackHole(t)
	endpointEnv(t, "http://"+addr)
	unsetEnv(t, "KMS_KEY_ARN")
	unsetEnv(t, "FK_TEST_UNSET")
	data, err := os.ReadFile(walkthroughSpec)
	if err != nil {
		t.Fatal(err)
	}
	keyLine := 1 + bytes.Count(data[:bytes.Index(data, []byte("${KMS_KEY_ARN}"))], []byte("\n"))
	twoDocs := writeFile(t, "two.yaml", string(data)+"---\nname: other\n")
	twoDocsLine := 1 + bytes.Count(data, []byte("\n"))
	roles := writeFile(t, "roles.yaml", "serviceAccounts:\n  - namespace: a\n    name: b\n    managedPolicyARNs: [\"${FK_TEST_UNSET}\"]\n")
	for _, tc := range []struct {
		name, reason string
		args         []string
		want         []string // substrings of stderr
	}{
		{"unset", "an unset variable is an error naming it, its line and the way out",
			[]string{"plan", "-f", walkthroughSpec}, []string{fmt.Sprintf("line %d: ${KMS_KEY_ARN}: KMS_KEY_ARN is not set", keyLine), "--no-env"}},
		{"no-env", "--no-env takes the text as written: the literal reference then fails validation, not expansion",
			[]string{"apply", "-f", walkthroughSpec, "--no-env"}, []string{`spec.cluster.secretsKMSKeyARN: "${KMS_KEY_ARN}" is not a KMS key ARN`}},
		{"second document", "a second YAML document is refused with its line",
			[]string{"destroy", "-f", twoDocs, "--no-env"}, []string{fmt.Sprintf("line %d starts a second YAML document", twoDocsLine)}},
		{"audit", "audit -f expands the spec too",
			[]string{"audit", "-f", walkthroughSpec}, []string{fmt.Sprintf("line %d: ${KMS_KEY_ARN}: KMS_KEY_ARN is not set", keyLine)}},
		{"irsa", "irsa -f expands its file too",
			[]string{"irsa", "plan", "--cluster", "demo", "-f", roles}, []string{"line 4: ${FK_TEST_UNSET}: FK_TEST_UNSET is not set"}},
		{"irsa no-env", "with --no-env irsa reads the file as written and goes on (here to the missing kubeconfig)",
			[]string{"irsa", "plan", "--cluster", "demo", "-f", roles, "--no-env"}, []string{"kubeconfig"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := cliWithin(t, hangGuard, append(tc.args, "--timeout", "2s")...)
			if res.code != 2 {
				t.Errorf("%s: exit %d, want 2; stderr %s", tc.reason, res.code, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("%s: stderr %q lacks %q", tc.reason, res.stderr, w)
				}
			}
			if strings.Contains(res.stderr, "timed out") {
				t.Errorf("%s: the file should have been refused before any call: %s", tc.reason, res.stderr)
			}
		})
	}

	// Exported, the variable expands and the command goes on to AWS.
	t.Setenv("KMS_KEY_ARN", testKMSKey)
	res, _ := cliWithin(t, hangGuard, "audit", "-f", walkthroughSpec, "--no-env", "--timeout", "1s")
	if res.code != 2 || !strings.Contains(res.stderr, "timed out after 1s") {
		t.Errorf("audit -f --no-env: the spec loads and the audit starts: exit %d, stderr %s", res.code, res.stderr)
	}
}

func TestInputFlags(t *testing.T) {
	spec := writeFile(t, "spec.yaml", "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: c\nregion: us-east-1\n")
	for _, tc := range []struct {
		name, reason string
		args         []string
		want         string // substring of stderr
	}{
		{"plan role", "--role-arn is an IAM role ARN", []string{"plan", "-f", spec, "--role-arn", "deploy"},
			`--role-arn "deploy": not an ARN; want arn:<partition>:iam::<12-digit account>:role/<name>`},
		{"audit role list", "every repeated --role-arn is checked", []string{"audit", "--cluster", "c", "--role-arn", "arn:aws:iam::123456789012:role/a", "--role-arn", "arn:aws:iam::1234:role/b"},
			`--role-arn "arn:aws:iam::1234:role/b": the account "1234" is not 12 digits`},
		{"user ARN", "a user is not a role", []string{"irsa", "plan", "--cluster", "c", "--role-arn", "arn:aws:iam::123456789012:user/alice"},
			`a user, not a role`},
		{"session ARN", "an assumed-role session suggests its role", []string{"kubeconfig", "--cluster", "c", "--role-arn", "arn:aws:sts::123456789012:assumed-role/deploy/me"},
			`did you mean arn:aws:iam::123456789012:role/deploy?`},
		{"missing hyphen", "us-east1 is us-east-1", []string{"audit", "--cluster", "c", "--region", "us-east1"},
			`--region "us-east1": not a region name: want AREA-DIRECTION-NUMBER such as us-east-1, eu-west-2, ap-southeast-4, cn-north-1 or us-gov-west-1; did you mean us-east-1?`},
		{"missing first hyphen", "useast-1 is us-east-1", []string{"token", "--cluster", "c", "--region", "useast-1"}, `did you mean us-east-1?`},
		{"typo", "us-est-1 is one edit from two regions", []string{"plan", "-f", spec, "--region", "us-est-1"}, `did you mean us-east-1 or us-west-1?`},
		{"far", "nothing close: the form only", []string{"token", "--cluster", "c", "--region", "mars"}, `--region "mars": not a region name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := cli(tc.args...)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.reason, res.code, res.stderr, tc.want)
			}
		})
	}
	// Good values pass: the command fails later, for another reason.
	res := cli("kubeconfig", "--cluster", "c", "--region", "cn-north-1", "--role-arn", "arn:aws-cn:iam::123456789012:role/ops/deploy", "--exec", "bogus")
	if res.code != 2 || !strings.Contains(res.stderr, `--exec "bogus"`) {
		t.Errorf("valid --region and --role-arn pass the checks: exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestCheckRegion(t *testing.T) {
	for _, tc := range []struct {
		region, reason string
		ok             bool
		near           string
	}{
		{"us-east-1", "a region of aws", true, ""},
		{"ap-southeast-4", "a two-word direction", true, ""},
		{"us-gov-west-1", "aws-us-gov has a qualifier", true, ""},
		{"cn-north-1", "aws-cn", true, ""},
		{"us-isob-east-1", "aws-iso-b", true, ""},
		{"eusc-de-east-1", "aws-eusc", true, ""},
		{"xy-central-3", "a region opened after this release follows the naming and passes", true, ""},
		{"us-east1", "a missing hyphen", false, "us-east-1"},
		{"US-EAST-1", "case matters; the lower-case name is suggested", false, "us-east-1"},
		{"us-est-1", "a misspelt direction", false, "us-east-1 or us-west-1"},
		{"eu-west", "no number: every close region is named", false, "eu-west-1, eu-west-2 or eu-west-3"},
		{"us-foo-west-1", "an unknown qualifier; the regions two edits away are named", false, "us-gov-west-1 or us-iso-west-1"},
		{"eusc-east-1", "eusc needs its qualifier", false, "us-east-1"},
		{"us-east-01", "numbers do not start with 0", false, "us-east-1"},
		{"", "empty", false, ""},
	} {
		err := checkRegion(tc.region)
		if (err == nil) != tc.ok {
			t.Errorf("%q (%s): error %v, want ok %t", tc.region, tc.reason, err, tc.ok)
			continue
		}
		if err == nil {
			continue
		}
		hasNear := strings.Contains(err.Error(), "did you mean")
		if tc.near == "" && hasNear || tc.near != "" && !strings.Contains(err.Error(), "did you mean "+tc.near+"?") {
			t.Errorf("%q (%s): %v; want suggestion %q", tc.region, tc.reason, err, tc.near)
		}
	}
}

func TestCheckRoleARN(t *testing.T) {
	for _, tc := range []struct {
		arn, reason, want string // want: "" for valid, else a substring
	}{
		{"arn:aws:iam::123456789012:role/deploy", "a role", ""},
		{"arn:aws:iam::123456789012:role/service-role/a.b@c=d,e+f_g-h", "a path and every allowed character", ""},
		{"arn:aws-us-gov:iam::123456789012:role/x", "GovCloud", ""},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("a", 64), "64 characters is the longest name", ""},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("a", 65), "65 is too long", "is not 1 to 64"},
		{"arn:aws:iam::123456789012:role/", "no name", "is not 1 to 64"},
		{"arn:aws:iam::123456789012:role/a b", "a space", "is not 1 to 64"},
		{"arn:aws:iam::123456789012:role", "no role/ prefix", "no role name"},
		{"arn:aws:iam:us-east-1:123456789012:role/x", "IAM is global", "no region"},
		{"arn:aws:s3:::bucket", "another service", "a s3 ARN"},
		{"arn:azure:iam::123456789012:role/x", "unknown partition", `unknown partition "azure"`},
		{"arn:aws:iam::12345678901a:role/x", "account digits", "not 12 digits"},
		{"arn:aws:iam::123456789012:policy/x", "a policy", "a policy, not a role"},
		{"123456789012", "an account ID", "not an ARN"},
	} {
		err := checkRoleARN(tc.arn)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q (%s): %v", tc.arn, tc.reason, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q (%s): %v; want an error with %q", tc.arn, tc.reason, err, tc.want)
		}
	}
}

func TestVersionFrom(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name, reason string
		ldflags      string
		bi           *debug.BuildInfo
		want         versionInfo
	}{
		{"no build info", "without build information only the ldflags value and the runtime are known", "dev", nil,
			versionInfo{Version: "dev", GoVersion: runtime.Version()}},
		{"vcs", "commit and date come from the vcs settings", "v1.2.3",
			&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "(devel)"}, Settings: settings("vcs.revision", "abc123", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false")},
			versionInfo{Version: "v1.2.3", Commit: "abc123", Date: "2026-01-02T03:04:05Z", GoVersion: "go1.99"}},
		{"dirty", "a modified work tree marks the commit", "v1.2.3",
			&debug.BuildInfo{GoVersion: "go1.99", Settings: settings("vcs.revision", "abc123", "vcs.modified", "true")},
			versionInfo{Version: "v1.2.3", Commit: "abc123-dirty", GoVersion: "go1.99"}},
		{"module version", "go install …@v0.4.0 records the module version, used when ldflags left dev", "dev",
			&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v0.4.0"}},
			versionInfo{Version: "v0.4.0", GoVersion: "go1.99"}},
		{"ldflags win", "an ldflags version is kept over the module version", "v2.0.0",
			&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v0.4.0"}},
			versionInfo{Version: "v2.0.0", GoVersion: "go1.99"}},
		{"devel", "(devel) is not a version", "dev",
			&debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "(devel)"}},
			versionInfo{Version: "dev", GoVersion: "go1.99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.Schema = versionSchema
			if diff := cmp.Diff(tc.want, versionFrom(tc.ldflags, tc.bi)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	text := cli("version")
	if text.code != 0 || !strings.HasPrefix(text.out, "fargatekit "+currentVersion().Version+"\n") || !strings.Contains(text.out, "go:     "+currentVersion().GoVersion) {
		t.Errorf("version: exit %d\n%s", text.code, text.out)
	}
	if flag := cli("--version"); flag.code != 0 || flag.out != text.out {
		t.Errorf("--version prints what version prints: exit %d\n%s\nwant\n%s", flag.code, flag.out, text.out)
	}
	js := cli("version", "-o", "json")
	var got map[string]any
	if js.code != 0 || json.Unmarshal([]byte(js.out), &got) != nil {
		t.Fatalf("version -o json: exit %d\n%s", js.code, js.out)
	}
	for _, k := range []string{"schema", "version", "commit", "date", "goVersion"} {
		if _, ok := got[k].(string); !ok {
			t.Errorf("version -o json: field %q missing or not a string: %s", k, js.out)
		}
	}
	if got["schema"] != versionSchema || got["goVersion"] != runtime.Version() {
		t.Errorf("version -o json: %s", js.out)
	}
	if bad := cli("version", "-o", "yaml"); bad.code != 2 || !strings.Contains(bad.stderr, `-o "yaml": want text or json`) {
		t.Errorf("version -o yaml: exit %d, stderr %q", bad.code, bad.stderr)
	}
}

// TestVersionBinary builds the real binary, as a release would, and checks
// that it reports the ldflags version and the commit and date of the work
// tree it was built from.
func TestVersionBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", "../.."}, args...)...).Output()
		if err != nil {
			t.Skipf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	commit := git("rev-parse", "HEAD")
	if git("status", "--porcelain") != "" {
		commit += "-dirty"
	}
	unix, err := strconv.ParseInt(git("log", "-1", "--format=%ct"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "fargatekit")
	build := exec.Command("go", "build", "-buildvcs=true", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	date, err := time.Parse(time.RFC3339, v.Date)
	if v.Version != "v9.8.7-test" || v.Commit != commit || err != nil || !date.Equal(time.Unix(unix, 0)) {
		t.Errorf("version -o json = %+v; want version v9.8.7-test, commit %s, date %s", v, commit, time.Unix(unix, 0).UTC().Format(time.RFC3339))
	}
	flag, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(flag), "fargatekit v9.8.7-test\ncommit: "+commit+"\n") {
		t.Errorf("--version: %v\n%s", err, flag)
	}
}

// TestTimeoutKubeBlackHole checks the Kubernetes side: AWS (moto) answers,
// the cluster's API server accepts connections and never answers; irsa
// plan gives up at --timeout and names the Kubernetes request, and with a
// --request-timeout shorter than --timeout the REST client's own bound
// ends it first.
func TestTimeoutKubeBlackHole(t *testing.T) {
	a := envtest.NewAWS(t)
	awsEnv(t, a)
	if _, err := eks.NewFromConfig(a.Config("us-west-2")).CreateCluster(context.Background(), &eks.CreateClusterInput{
		Name: aws.String("demo"), RoleArn: aws.String("arn:aws:iam::" + envtest.AccountID + ":role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-0a", "subnet-0b"}},
	}); err != nil {
		t.Fatal(err)
	}
	addr := blackHole(t)
	kubeconfig := writeKubeconfig(t, "http://"+addr)
	roles := writeFile(t, "roles.yaml", "serviceAccounts:\n  - namespace: a\n    name: b\n")
	args := []string{"irsa", "plan", "--cluster", "demo", "-f", roles, "--kubeconfig", kubeconfig}

	res, _ := cliWithin(t, hangGuard, append(args, "--timeout", "3s")...)
	want := regexp.MustCompile(`timed out after 3s \(--timeout\) waiting for Kubernetes GET /api/v1/\S+ at ` + regexp.QuoteMeta(addr) + `: .*\(kubeconfig`)
	if res.code != 2 || !want.MatchString(res.stderr) {
		t.Errorf("--timeout: exit %d, stderr %q; want 2 and %s", res.code, res.stderr, want)
	}

	// 2s: moto must answer its own calls within the bound.
	res, _ = cliWithin(t, hangGuard, append(args, "--timeout", "10m", "--request-timeout", "2s")...)
	if res.code != 2 || !regexp.MustCompile(`Kubernetes GET /api/v1/\S+ at `+regexp.QuoteMeta(addr)+` did not answer within 2s \(--request-timeout\)`).MatchString(res.stderr) {
		t.Errorf("--request-timeout: exit %d, stderr %q", res.code, res.stderr)
	}
}
