// Command demo is what `make demo` runs: the Fargate-from-scratch walkthrough
// (examples/walkthrough/fargate.yaml) against a local environment — moto
// behind fargatekit's proxy for AWS, and a real kube-apiserver whose token
// webhook authenticates EKS tokens the way EKS does — narrated step by step:
//
//  1. plan, shown as a diff;
//  2. apply, with progress;
//  3. audit: clean;
//  4. someone makes the walkthrough's classic mistakes;
//  5. audit: each finding with its evidence;
//  6. fix;
//  7. audit: clean again;
//  8. a kubeconfig is written and kubectl uses it once.
//
// It starts everything it needs and stops it all before it exits.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/authwebhook"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

func main() {
	specPath := flag.String("spec", "examples/walkthrough/fargate.yaml", "the walkthrough spec")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n := newNarrator(os.Stdout)
	if err := run(ctx, n, *specPath); err != nil {
		n.fail(err)
		os.Exit(1)
	}
}

// env is the local environment the demo runs against.
type env struct {
	aws     *envtest.AWS
	kube    *envtest.Kube
	webhook *authwebhook.Server
	cfg     aws.Config
}

func (e *env) stop() {
	if e.kube != nil {
		e.kube.Stop()
	}
	if e.webhook != nil {
		e.webhook.Close()
	}
	if e.aws != nil {
		_ = e.aws.Stop()
	}
}

const region = "ap-northeast-1"

func run(ctx context.Context, n *narrator, specPath string) error {
	start := time.Now()
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return fmt.Errorf("read the walkthrough spec: %w (run make demo from the repository root)", err)
	}

	n.step("Starting a local AWS (moto behind fargatekit's proxy) and a real kube-apiserver")
	e, err := startEnv(ctx)
	if err != nil {
		return err
	}
	defer e.stop()
	n.done("local AWS at %s, kube-apiserver %s at %s", e.aws.Endpoint, envtest.KubernetesVersion, e.kube.Config.Host)

	// The spec's KMS key: a customer key in the cluster's region.
	key, err := kms.NewFromConfig(e.cfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("eks-test secrets")})
	if err != nil {
		return fmt.Errorf("create the KMS key: %w", err)
	}
	spec, err := eksfargate.LoadSpec(bytes.ReplaceAll(raw, []byte("${KMS_KEY_ARN}"), []byte(*key.KeyMetadata.Arn)))
	if err != nil {
		return err
	}
	opts := []func(*eksfargate.Options){
		eksfargate.FromConfig(e.cfg),
		func(o *eksfargate.Options) {
			o.Kube = func(context.Context, *ekstypes.Cluster) (kubernetes.Interface, error) { return e.kube.Client, nil }
			o.PollInterval, o.MaxPollInterval = 100*time.Millisecond, 500*time.Millisecond
		},
	}

	n.step("1. Plan: what the walkthrough needs, compared with the (empty) account")
	p, err := eksfargate.Plan(ctx, spec, opts...)
	if err != nil {
		return err
	}
	n.plan(p)

	n.step("2. Apply, one dependency at a time where AWS requires it")
	err = eksfargate.Apply(ctx, p, append(opts, func(o *eksfargate.Options) {
		o.Progress = func(ev plan.Event) {
			if ev.State == "done" {
				n.progress(ev)
			}
		}
	})...)
	if err != nil {
		return err
	}
	again, err := eksfargate.Plan(ctx, spec, opts...)
	if err != nil {
		return err
	}
	n.done("applied; a second plan has %d pending change(s)", len(again.Pending()))

	auditOpts := []func(*audit.Options){func(o *audit.Options) {
		o.AWS = e.cfg
		o.Kube = func(context.Context, *audit.Cluster) (*rest.Config, error) { return e.kube.Config, nil }
		o.PollInterval = 100 * time.Millisecond
		o.AllowDestructive = true // the fix removes ops-user's admin mapping and detaches AdministratorAccess
	}}
	n.step("3. Audit against the spec and the documented requirements")
	r, err := audit.Audit(ctx, audit.SpecTarget(spec), auditOpts...)
	if err != nil {
		return err
	}
	n.report(r, false)
	clean := r

	n.step("4. Someone makes the walkthrough's classic mistakes")
	if err := breakThings(ctx, n, e, spec); err != nil {
		return err
	}

	n.step("5. Audit again: each finding with its evidence")
	r, err = audit.Audit(ctx, audit.SpecTarget(spec), auditOpts...)
	if err != nil {
		return err
	}
	n.report(r, true)

	n.step("6. What changed since step 3 (the nightly job with --baseline)")
	if err := audit.ApplyBaseline(r, clean); err != nil {
		return err
	}
	n.changes(r)

	n.step("7. Fix: apply the findings' remedies")
	fp, skipped := audit.FixPlan(r, audit.Selection{}, auditOpts...)
	for _, c := range fp.Pending() {
		n.item("~", "%s %s", c.Kind, c.Resource)
	}
	for _, s := range skipped {
		n.item("!", "%s %s not fixed: %s", s.Check, s.Resource, s.Reason)
	}
	if err := audit.Fix(ctx, r, audit.Selection{}, auditOpts...); err != nil {
		return err
	}

	n.step("8. Audit once more")
	r, err = audit.Audit(ctx, audit.SpecTarget(spec), auditOpts...)
	if err != nil {
		return err
	}
	n.report(r, false)

	n.step("9. Write a kubeconfig and use it once (kubectl get svc, EKS token via aws eks get-token)")
	if err := useKubeconfig(ctx, n, e, spec); err != nil {
		return err
	}

	n.step("10. The access map: who is cluster-admin, and who reaches which IAM role through pods")
	if err := accessMap(ctx, n, e, spec, auditOpts); err != nil {
		return err
	}
	n.finish(time.Since(start))
	if f := r.AtOrAbove(iamtrust.SeverityMedium); len(f) > 0 || len(r.Incomplete) > 0 {
		return fmt.Errorf("the final audit still has %d finding(s)", len(f))
	}
	return nil
}

func startEnv(ctx context.Context) (*env, error) {
	e := &env{}
	var err error
	e.aws, err = envtest.StartAWS(ctx)
	if err != nil {
		return nil, err
	}
	e.cfg = e.aws.Config(region)
	e.cfg.RetryMaxAttempts = 5
	u, _ := url.Parse(e.aws.Endpoint)
	e.webhook, err = authwebhook.Start(func(o *authwebhook.Options) {
		o.ClusterID = "eks-test"
		o.AllowedHosts = []string{u.Host}
		o.AllowHTTP = true
		o.Mode = authwebhook.ModeAPIAndConfigMap
		o.AccessEntries = eks.NewFromConfig(e.cfg)
	})
	if err != nil {
		e.stop()
		return nil, err
	}
	dir, err := os.MkdirTemp("", "fargatekit-demo-")
	if err != nil {
		e.stop()
		return nil, err
	}
	args, err := e.webhook.APIServerArgs(dir)
	if err != nil {
		e.stop()
		return nil, err
	}
	e.kube, err = envtest.StartKube(ctx, func(o *envtest.KubeOptions) { o.ExtraArgs = args })
	if err != nil {
		e.stop()
		return nil, fmt.Errorf("%w (the first run builds the test tools with `make tools`)", err)
	}
	e.webhook.SetKube(e.kube.Client)
	// What EKS puts into a new cluster: coredns, aws-node, kube-proxy, and
	// aws-auth (the walkthrough uses API_AND_CONFIG_MAP). No addon manager
	// runs here, so the coredns Deployment is seeded as the coredns addon
	// leaves it once its computeType is Fargate: without the
	// eks.amazonaws.com/compute-type annotation.
	if err := envtest.Seed(ctx, e.kube.Client, envtest.SeedOptions{
		AuthenticationMode:        access.AuthModeAPIAndConfigMap,
		CoreDNSWithoutComputeType: true,
	}); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// breakThings makes the mistakes the walkthrough's readers make, the way
// they make them: by hand, with the AWS API and kubectl-style edits.
func breakThings(ctx context.Context, n *narrator, e *env, spec *eksfargate.Spec) error {
	iamc := iam.NewFromConfig(e.cfg)

	// a. The pod execution role trusts eks-fargate-pods without
	//    aws:SourceArn, as in the walkthrough.
	unscoped := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(spec.PodExecutionRole.Name), PolicyDocument: aws.String(unscoped),
	}); err != nil {
		return fmt.Errorf("edit the pod execution role's trust: %w", err)
	}
	n.item("-", "pod execution role %s: trust without aws:SourceArn", spec.PodExecutionRole.Name)

	// b. The aws-node IRSA role's condition keys name us-west-2 while the
	//    cluster's OIDC provider is in ap-northeast-1 (copied from a blog).
	dc, err := eks.NewFromConfig(e.cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(spec.Name)})
	if err != nil {
		return err
	}
	issuer := aws.ToString(dc.Cluster.Identity.Oidc.Issuer)
	host := iamtrust.IssuerHostPath(issuer)
	wrongHost := strings.Replace(host, region, "us-west-2", 1)
	cniRole := irsa.DefaultRoleName(spec.Name, "kube-system", "aws-node")
	provider := iamtrust.OIDCProviderARN("aws", envtest.AccountID, issuer)
	wrongTrust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{%q:"system:serviceaccount:kube-system:aws-node",%q:"sts.amazonaws.com"}}}]}`,
		provider, wrongHost+":sub", wrongHost+":aud")
	if _, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(cniRole), PolicyDocument: aws.String(wrongTrust),
	}); err != nil {
		return fmt.Errorf("edit the aws-node role's trust: %w", err)
	}
	n.item("-", "IRSA role %s: condition keys for us-west-2", cniRole)

	// c. ops-user is put into system:masters by editing aws-auth.
	cms := e.kube.Client.CoreV1().ConfigMaps("kube-system")
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := cms.Get(ctx, "aws-auth", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cm.Data["mapUsers"] = strings.Replace(cm.Data["mapUsers"], "ops-readers", "system:masters", 1)
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("edit aws-auth: %w", err)
	}
	n.item("-", "aws-auth: ops-user mapped to system:masters")

	// d. The CoreDNS pod-template annotation that pins it to EC2 comes back.
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"eks.amazonaws.com/compute-type":"ec2"}}}}}`)
	if _, err := e.kube.Client.AppsV1().Deployments("kube-system").Patch(ctx, "coredns", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotate coredns: %w", err)
	}
	n.item("-", "coredns: eks.amazonaws.com/compute-type: ec2 put back")

	// e. To "fix" an image pull error, someone attaches AdministratorAccess
	//    to the pod execution role: every Fargate node can now do anything.
	if _, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName: aws.String(spec.PodExecutionRole.Name), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"),
	}); err != nil {
		return fmt.Errorf("attach AdministratorAccess: %w", err)
	}
	n.item("-", "pod execution role %s: AdministratorAccess attached", spec.PodExecutionRole.Name)
	return nil
}

// accessMap prints the demo cluster's access map and writes it as an HTML
// page, saying where.
func accessMap(ctx context.Context, n *narrator, e *env, spec *eksfargate.Spec, auditOpts []func(*audit.Options)) error {
	s, err := audit.Observe(ctx, audit.SpecTarget(spec), auditOpts...)
	if err != nil {
		return err
	}
	var maps []*audit.AccessMap
	for _, c := range s.Clusters {
		maps = append(maps, audit.BuildAccessMap(s, c))
	}
	var text bytes.Buffer
	if err := audit.WriteAccessText(&text, maps); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(text.String(), "\n"), "\n") {
		fmt.Fprintf(n.w, "    %s\n", line)
	}
	path := filepath.Join(os.TempDir(), "fargatekit-demo-access.html")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := audit.Evaluate(s, nil)
	if err := audit.WriteAccessHTML(f, maps, r.Findings); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	n.done("the access map as a picture: %s (open it in a browser; fargatekit access -o html --out FILE does the same)", path)
	return nil
}

// useKubeconfig writes a kubeconfig whose user runs `aws eks get-token`,
// and runs kubectl with it as the IAM user admin: the apiserver's webhook
// checks the presigned STS call and maps admin through aws-auth.
func useKubeconfig(ctx context.Context, n *narrator, e *env, spec *eksfargate.Spec) error {
	iamc := iam.NewFromConfig(e.cfg)
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		return fmt.Errorf("create IAM user admin: %w", err)
	}
	ak, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "fargatekit-demo-kubeconfig-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config")
	err = kubeauth.WriteKubeconfig(path, kubeauth.KubeconfigCluster{
		Name: spec.Name, Region: spec.Region, Endpoint: e.kube.Config.Host, CAData: e.kube.CACert,
	}, kubeauth.KubeconfigOptions{Exec: kubeauth.ExecAWSCLI, SetCurrent: true})
	if err != nil {
		return err
	}
	n.done("kubeconfig written to %s (mode 0600, exec: aws eks get-token)", path)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return fmt.Errorf("kubectl is needed for this step: %w", err)
	}
	cmd := exec.CommandContext(ctx, kubectl, "--kubeconfig", path, "get", "svc", "-A")
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+aws.ToString(ak.AccessKey.AccessKeyId),
		"AWS_SECRET_ACCESS_KEY="+aws.ToString(ak.AccessKey.SecretAccessKey),
		"AWS_SESSION_TOKEN=",
		"AWS_ENDPOINT_URL="+e.aws.Endpoint,
		"AWS_DEFAULT_REGION="+spec.Region,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl get svc: %v\n%s", err, out)
	}
	n.block(string(out))
	return nil
}

// narrator prints the demo for people: short, aligned, coloured on a TTY.
type narrator struct {
	w     io.Writer
	color bool
}

func newNarrator(w io.Writer) *narrator { return &narrator{w: w, color: audit.AutoColor(w)} }

func (n *narrator) paint(code, s string) string {
	if !n.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (n *narrator) step(s string) { fmt.Fprintf(n.w, "\n%s\n", n.paint("1;34", "==> "+s)) }
func (n *narrator) block(s string) {
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(n.w, "    %s\n", l)
	}
}
func (n *narrator) done(f string, a ...any) {
	fmt.Fprintf(n.w, "    %s %s\n", n.paint("32", "ok"), fmt.Sprintf(f, a...))
}
func (n *narrator) item(mark, f string, a ...any) {
	code := map[string]string{"+": "32", "~": "33", "-": "31", "!": "35"}[mark]
	fmt.Fprintf(n.w, "    %s %s\n", n.paint(code, mark), fmt.Sprintf(f, a...))
}
func (n *narrator) fail(err error) {
	fmt.Fprintf(n.w, "\n%s %v\n", n.paint("1;31", "demo failed:"), err)
}

func (n *narrator) plan(p *plan.Plan) {
	marks := map[plan.Action]string{plan.Create: "+", plan.Update: "~", plan.Replace: "~", plan.Delete: "-"}
	for _, c := range p.Pending() {
		if c.Deferred {
			n.item(">", "%-7s %-26s %s (%s)", "defer", c.Kind, c.Resource, c.Summary)
			continue
		}
		summary := ""
		if c.Summary != "" {
			summary = " (" + c.Summary + ")"
		}
		n.item(marks[c.Action], "%-7s %-26s %s%s", c.Action, c.Kind, c.Resource, summary)
	}
	sum := p.Summarize()
	n.done("%d to create, %d to update, %d to replace, %d to delete, %d deferred (the cluster side, planned once the cluster exists)",
		sum.Create, sum.Update, sum.Replace, sum.Delete, sum.Deferred)
}

func (n *narrator) progress(ev plan.Event) {
	fmt.Fprintf(n.w, "    %s %-26s %-40s %6s\n", n.paint("32", "✓"), ev.Change.Kind, trim(ev.Change.Resource, 40), ev.Elapsed.Round(time.Millisecond))
}

// report prints findings at or above medium with their evidence, and lower
// ones as one-line notes.
// changes prints what changed since the baseline: the new findings and the
// permission changes, as the nightly job reports them first.
func (n *narrator) changes(r *audit.Report) {
	var news []string
	for _, f := range r.NewFindings() {
		if f.Severity >= iamtrust.SeverityMedium {
			news = append(news, f.Check)
		}
	}
	n.item("!", "%d new finding(s) at medium or above: %s; %d resolved", len(news), strings.Join(news, ", "), len(r.Resolved))
	for _, c := range r.PermissionChanges {
		n.item("~", "%s %s of %s", c.Part, c.Policy, c.Resource)
		for _, x := range c.Removed {
			fmt.Fprintf(n.w, "        - %s\n", trim(x, 110))
		}
		for _, x := range c.Added {
			fmt.Fprintf(n.w, "        + %s\n", trim(x, 110))
		}
	}
}

func (n *narrator) report(r *audit.Report, evidence bool) {
	fs := append([]audit.Finding(nil), r.Findings...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
	var notes []string
	serious := 0
	for _, f := range fs {
		if f.Severity < iamtrust.SeverityMedium {
			notes = append(notes, f.Check+" ("+f.Severity.String()+")")
			continue
		}
		serious++
		lines := wrap(f.Message, 96)
		if len(lines) > 3 {
			lines = append(lines[:2], trim(strings.Join(lines[2:], " "), 96))
		}
		n.item("!", "%-8s %-8s %s", f.Check, f.Severity, lines[0])
		if evidence {
			for _, l := range lines[1:] {
				fmt.Fprintf(n.w, "%24s%s\n", "", l)
			}
		}
		if evidence {
			if n.policyDiff(f.Expected, f.Actual) {
				continue
			}
			if f.Expected != "" {
				fmt.Fprintf(n.w, "        expected: %s\n", trim(f.Expected, 110))
			}
			if f.Actual != "" {
				fmt.Fprintf(n.w, "        actual:   %s\n", trim(f.Actual, 110))
			}
		}
	}
	for _, in := range r.Incomplete {
		n.item("?", "%-8s incomplete: %s", in.Check, in.Reason)
	}
	if serious == 0 && len(r.Incomplete) == 0 {
		n.done("clean: %d checks ran, no finding at medium or above", r.Summary.ChecksRun)
	}
	if len(notes) > 0 {
		fmt.Fprintf(n.w, "    %s %s\n", n.paint("2", "notes:"), n.paint("2", strings.Join(notes, ", ")+""))
	}
}

// policyDiff prints the semantic difference between two policy documents
// (what IAM would see), and reports whether both were documents.
func (n *narrator) policyDiff(expected, actual string) bool {
	want, err1 := iamtrust.ParseLive(expected)
	got, err2 := iamtrust.ParseLive(actual)
	if err1 != nil || err2 != nil {
		return false
	}
	for _, d := range iamtrust.Diff(got, want) {
		fmt.Fprintf(n.w, "        %s\n", trim(d.String(), 140))
	}
	return true
}

func (n *narrator) finish(d time.Duration) {
	fmt.Fprintf(n.w, "\n%s in %s; everything it started is stopped.\n", n.paint("1;32", "Demo complete"), d.Round(100*time.Millisecond))
}

// wrap splits s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

func trim(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= max {
		return s
	}
	return s[:max-1] + "…"
}
