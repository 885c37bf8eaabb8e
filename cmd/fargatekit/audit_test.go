package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
)

// The -update flag rewrites docs/checks.md. Other test files of this package
// may register it too; it is registered once and read by name.
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return true
}()

func updateAuditGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestChecksDoc fails when docs/checks.md is not what `fargatekit checks -o
// markdown` prints; -update regenerates it.
func TestChecksDoc(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"checks", "-o", "markdown"}, nil, &out, &errb); code != 0 {
		t.Fatalf("checks -o markdown: exit %d: %s", code, errb.String())
	}
	path := filepath.Join("..", "..", "docs", "checks.md")
	if updateAuditGolden() {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/fargatekit -run TestChecksDoc -update)", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("docs/checks.md is stale; run go test ./cmd/fargatekit -run TestChecksDoc -update (-file +generated):\n%s", diff)
	}
	for _, c := range audit.Catalogue() {
		if !strings.Contains(out.String(), "\n## "+c.ID+"\n") {
			t.Errorf("checks.md lacks a section for %s", c.ID)
		}
	}
}

func TestChecksCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"checks"}, 0, "IAM-02   high"},
		{[]string{"checks", "-o", "json"}, 0, `"id": "PI-01"`},
		{[]string{"checks", "-o", "yaml"}, 2, ""},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, nil, &out, &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v: exit %d (want %d), output lacks %q:\n%s%s", tc.args, code, tc.code, tc.want, out.String(), errb.String())
		}
	}
}

func TestAuditFlagErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "us-west-2")
	for _, tc := range []struct {
		args []string
		why  string
	}{
		{[]string{"audit"}, "no target"},
		{[]string{"audit", "--cluster", "a", "--all-clusters"}, "two targets"},
		{[]string{"audit", "--cluster", "a", "-o", "yaml"}, "unknown format"},
		{[]string{"audit", "--cluster", "a", "--fail-on", "severe"}, "unknown severity"},
		{[]string{"audit", "-f", "/does/not/exist.yaml"}, "missing spec"},
		{[]string{"audit", "--cluster", "a", "--shard", "2/2"}, "shard out of range"},
		{[]string{"audit", "--cluster", "a", "--accounts-file", "/does/not/exist"}, "missing accounts file"},
		{[]string{"fix", "--cluster", "a", "--role-arn", "arn:aws:iam::1:role/a", "--role-arn", "arn:aws:iam::2:role/a"}, "fix of two accounts"},
		{[]string{"report", "merge", "/does/not/exist.json"}, "missing report"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, nil, &out, &errb); code != 2 {
			t.Errorf("%s: %v: exit %d, want 2\n%s", tc.why, tc.args, code, errb.String())
		}
	}
}

func TestShards(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts")
	if err := os.WriteFile(file, []byte("# accounts\narn:aws:iam::333333333333:role/audit\narn:aws:iam::111111111111:role/audit  # first\n\narn:aws:iam::222222222222:role/audit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		shard, env, count string
		want              []string
		why               string
	}{
		{"", "", "", []string{"arn:aws:iam::111111111111:role/audit", "arn:aws:iam::222222222222:role/audit", "arn:aws:iam::333333333333:role/audit"}, "no sharding: every account, sorted"},
		{"0/2", "", "", []string{"arn:aws:iam::111111111111:role/audit", "arn:aws:iam::333333333333:role/audit"}, "shard 0 of 2 takes the even indexes"},
		{"1/2", "", "", []string{"arn:aws:iam::222222222222:role/audit"}, "shard 1 of 2"},
		{"", "2", "3", []string{"arn:aws:iam::333333333333:role/audit"}, "JOB_COMPLETION_INDEX with the count from the environment"},
	} {
		t.Setenv("JOB_COMPLETION_INDEX", tc.env)
		t.Setenv("FARGATEKIT_SHARD_COUNT", tc.count)
		f := auditFlags{accountsFile: file, shard: tc.shard}
		got, err := f.accounts()
		if err != nil {
			t.Fatalf("%s: %v", tc.why, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.why, diff)
		}
	}
}

// awsEnv points the SDK (and the aws CLI) at the local AWS.
func awsEnv(t *testing.T, a *envtest.AWS) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": a.Endpoint, "AWS_ACCESS_KEY_ID": envtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": envtest.SecretAccessKey,
		"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-west-2", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if old, ok := os.LookupEnv(k); ok {
			t.Cleanup(func() { os.Setenv(k, old) })
			os.Unsetenv(k)
		}
	}
}

// cliStack is what walkthroughStack builds with the aws CLI, as the
// walkthrough's readers do.
type cliStack struct {
	dir                  string
	clusterRole, podRole string
	subA, subB           string
}

// write puts a file into the stack's directory and returns its path.
func (s *cliStack) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// walkthroughStack creates, with the aws CLI, the cluster role
// eksClusterRole, the pod execution role podRoleName trusted without
// aws:SourceArn (the walkthrough's mistake), a VPC with two subnets in
// us-west-2a and us-west-2b, and the cluster demo on them.
func walkthroughStack(t *testing.T, a *envtest.AWS, podRoleName string) *cliStack {
	t.Helper()
	st := &cliStack{dir: t.TempDir()}
	clusterTrust := st.write(t, "cluster-trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
	podTrust := st.write(t, "pod-trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	st.clusterRole = awscli(t, a, "iam", "create-role", "--role-name", "eksClusterRole", "--assume-role-policy-document", "file://"+clusterTrust, "--query", "Role.Arn")
	awscli(t, a, "iam", "attach-role-policy", "--role-name", "eksClusterRole", "--policy-arn", "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
	st.podRole = awscli(t, a, "iam", "create-role", "--role-name", podRoleName, "--assume-role-policy-document", "file://"+podTrust, "--query", "Role.Arn")
	awscli(t, a, "iam", "attach-role-policy", "--role-name", podRoleName, "--policy-arn", "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")
	vpc := awscli(t, a, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId")
	st.subA = awscli(t, a, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.128.0/19", "--availability-zone", "us-west-2a", "--query", "Subnet.SubnetId")
	st.subB = awscli(t, a, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.160.0/19", "--availability-zone", "us-west-2b", "--query", "Subnet.SubnetId")
	awscli(t, a, "eks", "create-cluster", "--name", "demo", "--role-arn", st.clusterRole, "--kubernetes-version", "1.34",
		"--resources-vpc-config", "subnetIds="+st.subA+","+st.subB)
	return st
}

// awscli runs the aws CLI against the local AWS and returns its output.
func awscli(t *testing.T, a *envtest.AWS, args ...string) string {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", a.Endpoint, "--output", "text"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

type cliResult struct {
	code        int
	out, stderr string
}

func cli(args ...string) cliResult {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

func decodeReport(t *testing.T, s string) *audit.Report {
	t.Helper()
	r, err := audit.DecodeReport(strings.NewReader(s))
	if err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
	return r
}

func ids(r *audit.Report) map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		m[f.Check]++
	}
	return m
}

// TestAuditWalkthrough builds the walkthrough's stack with the aws CLI (a
// pod execution role trusted without aws:SourceArn, a cluster, a profile
// from --cli-input-json) against moto and a real kube-apiserver seeded as
// EKS seeds a cluster, then runs `fargatekit audit`, `fix` and the report
// commands on it, checking findings and exit codes.
func TestAuditWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	a := envtest.NewAWS(t)
	kube := envtest.NewKube(t)
	awsEnv(t, a)
	ctx := t.Context()
	if err := envtest.Seed(ctx, kube.Client, envtest.SeedOptions{AuthenticationMode: "CONFIG_MAP"}); err != nil {
		t.Fatal(err)
	}
	st := walkthroughStack(t, a, "AmazonEKSFargatePodExecutionRole")
	dir, podRole, subA, subB := st.dir, st.podRole, st.subA, st.subB
	write := func(name, content string) string { return st.write(t, name, content) }
	profile := write("profile.json", `{"clusterName":"demo","fargateProfileName":"default","podExecutionRoleArn":"`+podRole+`",
  "subnets":["`+subA+`","`+subB+`"],"selectors":[{"namespace":"default"},{"namespace":"kube-system"}]}`)
	awscli(t, a, "eks", "create-fargate-profile", "--cli-input-json", "file://"+profile)
	kc, err := kube.Kubeconfig("demo")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := write("kubeconfig", string(kc))
	base := []string{"--cluster", "demo", "--region", "us-west-2", "--kubeconfig", kubeconfig, "-q"}

	// The audit finds the walkthrough's gaps and exits 1.
	res := cli(append([]string{"audit", "-o", "json"}, base...)...)
	if res.code != 1 {
		t.Fatalf("audit: exit %d, want 1\n%s", res.code, res.stderr)
	}
	firstReport := res.out
	r := decodeReport(t, res.out)
	got := ids(r)
	for _, id := range []string{"IAM-02", "IAM-04", "FG-02", "CLU-01", "CLU-03", "CLU-04", "CLU-06", "IRSA-01"} {
		if got[id] == 0 {
			t.Errorf("audit: no %s finding; got %v", id, got)
		}
	}
	for _, id := range []string{"IAM-01", "IAM-03", "FG-01", "NET-02"} {
		if got[id] > 0 {
			t.Errorf("audit: unexpected %s finding on a correct part of the stack", id)
		}
	}
	if len(r.Incomplete) > 0 {
		t.Errorf("audit: incomplete %+v", r.Incomplete)
	}
	for _, format := range []string{"text", "sarif"} {
		res := cli(append([]string{"audit", "-o", format}, base...)...)
		if res.code != 1 || !strings.Contains(res.out, "IAM-02") {
			t.Errorf("audit -o %s: exit %d, IAM-02 in output %v", format, res.code, strings.Contains(res.out, "IAM-02"))
		}
	}
	if res := cli(append([]string{"audit", "--fail-on", "critical", "--check", "IAM-02"}, base...)...); res.code != 0 {
		t.Errorf("audit --fail-on critical --check IAM-02: exit %d, want 0 (IAM-02 is high)\n%s", res.code, res.stderr)
	}

	// fix: a dry run shows the plan and exits 1; --yes applies it, audits
	// again and exits 0.
	fixChecks := []string{"--check", "IAM-02", "--check", "IAM-04", "--check", "FG-02", "--check", "CLU-03", "--check", "IRSA-01"}
	// The stack's roles were made with the aws CLI, without fargatekit's
	// ownership tag: their fixes wait for --allow-unowned.
	res = cli(append(append([]string{"fix"}, base...), fixChecks...)...)
	if res.code != 1 || !strings.Contains(res.out, "Not planned") || !strings.Contains(res.out, "--allow-unowned") || strings.Contains(res.out, "aws:SourceArn") {
		t.Fatalf("fix (dry run) of untagged roles: exit %d, want IAM-02 held back for --allow-unowned\n%s%s", res.code, res.out, res.stderr)
	}
	fixChecks = append([]string{"--allow-unowned"}, fixChecks...)
	res = cli(append(append([]string{"fix"}, base...), fixChecks...)...)
	if res.code != 1 || !strings.Contains(res.out, "Dry run") || !strings.Contains(res.out, "aws:SourceArn") {
		t.Fatalf("fix (dry run): exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	// fix --report fixes the report the first audit wrote, without
	// auditing first: the fixes are data, bound to this caller's clients
	// when they run, and never to another account's.
	reportFile := write("report.json", firstReport)
	foreign := write("foreign.json", strings.Replace(firstReport, `"account": "`+r.Account+`"`, `"account": "999999999999"`, 1))
	if res := cli(append([]string{"fix", "--yes", "--report", foreign, "--region", "us-west-2", "--kubeconfig", kubeconfig, "-q"}, fixChecks...)...); res.code != 2 || !strings.Contains(res.stderr, "999999999999") {
		t.Errorf("fix --report of another account's report: exit %d, want 2 naming the account\n%s", res.code, res.stderr)
	}
	if res := cli("fix", "--report", write("garbage.json", `{"schema":`), "-q"); res.code != 2 {
		t.Errorf("fix --report of a corrupt report: exit %d, want 2\n%s", res.code, res.stderr)
	}
	res = cli(append([]string{"fix", "--report", reportFile, "--region", "us-west-2", "--kubeconfig", kubeconfig, "-q"}, fixChecks...)...)
	if res.code != 1 || !strings.Contains(res.out, "Dry run") || !strings.Contains(res.out, "aws:SourceArn") {
		t.Fatalf("fix --report (dry run): exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	res = cli(append([]string{"fix", "--yes", "--report", reportFile, "--region", "us-west-2", "--kubeconfig", kubeconfig, "-q"}, fixChecks...)...)
	if res.code != 0 || !strings.Contains(res.out, "Fixed") {
		t.Fatalf("fix --yes --report: exit %d\n%s%s", res.code, res.out, res.stderr)
	}
	res = cli(append(append([]string{"audit", "-o", "json", "--fail-on", "info"}, base...), fixChecks[1:]...)...)
	if res.code != 0 {
		t.Errorf("audit after fix: exit %d, want 0\n%s", res.code, res.out)
	}

	// A spec: the cluster is compared with it (CLU-08, FG-03).
	spec := write("spec.yaml", `apiVersion: fargatekit.io/v1alpha1
kind: FargateCluster
name: demo
region: us-west-2
network:
  subnetIDs: [`+subA+`, `+subB+`]
clusterRole:
  name: eksClusterRole
podExecutionRole:
  name: AmazonEKSFargatePodExecutionRole
cluster:
  version: "1.35"
  authenticationMode: CONFIG_MAP
fargateProfiles:
- name: default
  selectors:
  - namespace: default
  - namespace: kube-system
`)
	res = cli("audit", "-f", spec, "--kubeconfig", kubeconfig, "-q", "-o", "json", "--fail-on", "none")
	if res.code != 0 {
		t.Errorf("audit -f: exit %d\n%s", res.code, res.stderr)
	}
	specReport := decodeReport(t, res.out)
	for _, f := range specReport.Findings {
		if f.Check == "CLU-08" {
			t.Logf("CLU-08: %s: %s → %s", f.Message, f.Expected, f.Actual)
		}
	}
	if g := ids(specReport); g["CLU-08"] == 0 || g["FG-03"] > 0 {
		t.Errorf("audit -f: want CLU-08 (version 1.35 in the spec, 1.34 live) and no FG-03; got %v", g)
	}
	if res := cli("audit", "-f", write("bad.yaml", "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: demo\nregion: us-west-2\nclusterr: {}\n"), "-q"); res.code != 2 {
		t.Errorf("audit -f with an unknown field: exit %d, want 2", res.code)
	}

	// An unreachable cluster API: incomplete, exit 1; accepted with
	// --allow-incomplete.
	closed := write("closed", strings.Replace(string(kc), kube.Config.Host, "https://127.0.0.1:1", 1))
	dark := []string{"--cluster", "demo", "--region", "us-west-2", "--kubeconfig", closed, "-q", "-o", "json"}
	res = cli(append([]string{"audit"}, dark...)...)
	if res.code != 1 {
		t.Errorf("audit, API unreachable: exit %d, want 1", res.code)
	}
	r = decodeReport(t, res.out)
	unreachable := 0
	for _, in := range r.Incomplete {
		if strings.Contains(in.Reason, "unreachable") {
			unreachable++
		}
	}
	if unreachable == 0 {
		t.Errorf("audit, API unreachable: no incomplete entry names the unreachable API: %+v", r.Incomplete)
	}
	if res := cli(append([]string{"audit", "--allow-incomplete", "--fail-on", "none"}, dark...)...); res.code != 0 {
		t.Errorf("audit --allow-incomplete --fail-on none: exit %d, want 0", res.code)
	}
	// A cluster that does not exist is bad input, even with
	// --allow-incomplete: a typo must never pass.
	for _, extra := range [][]string{nil, {"--allow-incomplete"}} {
		res := cli(append([]string{"audit", "--cluster", "nope", "--region", "us-west-2", "-q", "--kubeconfig", kubeconfig, "--fail-on", "none"}, extra...)...)
		if res.code != 2 || !strings.Contains(res.stderr, "cluster nope not found in us-west-2") {
			t.Errorf("audit %v of a cluster that does not exist: exit %d, stderr %q; want 2 naming the cluster and region", extra, res.code, res.stderr)
		}
	}

	// Several accounts (moto's AssumeRole gives the role's account), in
	// shards, merged.
	accounts := []string{"--role-arn", "arn:aws:iam::123456789012:role/audit", "--role-arn", "arn:aws:iam::210987654321:role/audit"}
	all := []string{"--all-clusters", "--region", "us-west-2", "--kubeconfig", kubeconfig, "-q", "-o", "json", "--fail-on", "none"}
	res = cli(append(append([]string{"audit"}, all...), accounts...)...)
	if res.code != 0 && res.code != 1 {
		t.Fatalf("audit of two accounts: exit %d\n%s", res.code, res.stderr)
	}
	both := decodeReport(t, res.out)
	if diff := cmp.Diff([]string{"123456789012", "210987654321"}, both.Accounts); diff != "" {
		t.Errorf("two accounts (-want +got):\n%s", diff)
	}
	var files []string
	for i := range 2 {
		res := cli(append(append([]string{"audit", "--shard", []string{"0/2", "1/2"}[i]}, all...), accounts...)...)
		shard := decodeReport(t, res.out)
		if shard.Account == "" {
			t.Errorf("shard %d audited %v, want one account", i, shard.Accounts)
		}
		files = append(files, write("shard"+string(rune('0'+i))+".json", res.out))
	}
	merged := filepath.Join(dir, "merged.json")
	if res := cli("report", "merge", files[0], files[1], "--out", merged); res.code != 0 {
		t.Fatalf("report merge: exit %d: %s", res.code, res.stderr)
	}
	b, err := os.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeReport(t, string(b))
	if len(m.Findings) != len(both.Findings) || !cmp.Equal(m.Accounts, both.Accounts) {
		t.Errorf("merged shards: %d findings in %v, want %d in %v", len(m.Findings), m.Accounts, len(both.Findings), both.Accounts)
	}
	res = cli("report", "render", merged, "-o", "sarif", "--fail-on", "none", "--allow-incomplete")
	if res.code != 0 || !strings.Contains(res.out, `"version": "2.1.0"`) {
		t.Errorf("report render: exit %d", res.code)
	}
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Version string `json:"version"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(res.out), &sarif); err != nil || len(sarif.Runs) != 1 || sarif.Runs[0].Tool.Driver.Version != currentVersion().Version {
		t.Errorf("SARIF tool.driver.version: %+v (%v), want %q", sarif, err, currentVersion().Version)
	}
	// The same report twice: each finding once, and a warning.
	shard0, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	res = cli("report", "merge", files[0], files[0])
	if twice := decodeReport(t, res.out); res.code != 0 || len(twice.Findings) != len(decodeReport(t, string(shard0)).Findings) ||
		twice.Summary.Findings != len(twice.Findings) || !strings.Contains(res.stderr, "warning: merge: report 2 repeats") {
		t.Errorf("merge of a report with itself: exit %d, %d findings (shard has %d), stderr %q", res.code, len(twice.Findings), len(decodeReport(t, string(shard0)).Findings), res.stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["schema"] != audit.ReportSchema {
		t.Errorf("merged report schema: %v %v", doc["schema"], err)
	}
}

// A shard with no account (more shards than accounts) writes a valid empty
// report and succeeds, so that `report merge` finds one report per shard.
func TestEmptyShardWritesEmptyReport(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts")
	if err := os.WriteFile(file, []byte("arn:aws:iam::111111111111:role/audit\narn:aws:iam::222222222222:role/audit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"audit", "--accounts-file", file, "--shard", "2/3", "--region", "us-east-1", "-o", "json"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errb.String())
	}
	r, err := audit.DecodeReport(&out)
	if err != nil {
		t.Fatalf("the empty shard's report does not decode: %v\n%s", err, out.String())
	}
	if len(r.Findings) != 0 || len(r.Incomplete) != 0 {
		t.Errorf("empty shard: %d findings, %d incomplete; want none", len(r.Findings), len(r.Incomplete))
	}
}
