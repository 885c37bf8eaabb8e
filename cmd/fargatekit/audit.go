package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
)

func init() {
	extraCommands = append(extraCommands, newAuditCmd, newFixCmd)
}

// auditFlags are the flags of `audit` and `fix`: what to audit and how to
// reach it.
type auditFlags struct {
	// fixed, when set, is the target to audit instead of the one the
	// flags name (fix --report audits the report's clusters again).
	fixed *audit.Target

	specFile     string
	clusters     []string
	allClusters  bool
	regions      []string
	kubeconfig   string
	kubeContext  string
	profile      string
	roleARNs     []string
	accountsFile string
	shard        string
	shardCount   int
	concurrency  int
	checks       []string
	skipChecks   []string
	quiet        bool
	noEnv        bool
	orgRoleName  string

	// skipped are organization accounts that cannot be audited (not
	// ACTIVE), reported as incomplete.
	skipped []audit.Incomplete

	// ctx is the command's context, for reads made while resolving flags.
	ctx context.Context

	// awsConfig loads the configuration of one account; tests replace it.
	awsConfig func(ctx context.Context, region, profile, roleARN string) (aws.Config, error)
}

func (f *auditFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&f.specFile, "file", "f", "", "audit the cluster of this spec (YAML) and compare it with the spec")
	fs.StringArrayVar(&f.clusters, "cluster", nil, "audit this cluster (repeatable)")
	fs.BoolVar(&f.allClusters, "all-clusters", false, "audit every cluster of the regions")
	fs.StringArrayVar(&f.regions, "region", nil, "region to audit (repeatable; default: from the environment or profile)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for the clusters' Kubernetes APIs (a context named after the cluster name or ARN, or whose server is the cluster's endpoint); default: an EKS token from the AWS credentials")
	fs.StringVar(&f.kubeContext, "context", "", "kubeconfig context for every cluster audited (default: the one named after the cluster name or ARN, or whose server is the cluster's endpoint)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile")
	fs.StringArrayVar(&f.roleARNs, "role-arn", nil, "IAM role to assume; repeat it to audit several accounts")
	fs.StringVar(&f.accountsFile, "accounts-file", "", "file with one role ARN per line (# comments) to assume, one account each")
	fs.StringVar(&f.shard, "shard", "", "INDEX/COUNT: audit only the accounts of this shard (default: $JOB_COMPLETION_INDEX with --shard-count or $FARGATEKIT_SHARD_COUNT)")
	fs.IntVar(&f.shardCount, "shard-count", 0, "number of shards when the index comes from $JOB_COMPLETION_INDEX")
	fs.IntVar(&f.concurrency, "concurrency", 4, "accounts audited at once")
	fs.StringArrayVar(&f.checks, "check", nil, "run only this check (repeatable)")
	fs.StringArrayVar(&f.skipChecks, "skip-check", nil, "skip this check (repeatable)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "log only warnings and errors")
	fs.BoolVar(&f.noEnv, "no-env", false, noEnvUsage)
	fs.StringVar(&f.orgRoleName, "org-role-name", "", "audit every ACTIVE account of the AWS Organization (organizations:ListAccounts), assuming arn:PARTITION:iam::ID:role/NAME in each")
}

// badInput is exit code 2.
func badInput(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// target builds the audit target from the flags. defaultRegion is the
// configuration's region, used when no --region is given.
func (f *auditFlags) target(defaultRegion string) (audit.Target, error) {
	if f.fixed != nil && f.specFile == "" && len(f.clusters) == 0 && !f.allClusters {
		return *f.fixed, nil
	}
	n := 0
	if f.specFile != "" {
		n++
	}
	if len(f.clusters) > 0 {
		n++
	}
	if f.allClusters {
		n++
	}
	if n != 1 {
		return audit.Target{}, badInput("give exactly one of -f SPEC, --cluster NAME and --all-clusters")
	}
	regions := f.regions
	if len(regions) == 0 && defaultRegion != "" {
		regions = []string{defaultRegion}
	}
	switch {
	case f.specFile != "":
		b, err := os.ReadFile(f.specFile)
		if err != nil {
			return audit.Target{}, badInput("spec: %v", err)
		}
		sp, err := eksfargate.LoadSpec(b, specEnv(f.noEnv))
		if err != nil {
			return audit.Target{}, badInput("%s: %v", f.specFile, err)
		}
		if sp.Name == "" || sp.Region == "" {
			return audit.Target{}, badInput("%s: the spec needs name and region", f.specFile)
		}
		return audit.SpecTarget(sp), nil
	case len(f.clusters) > 0:
		if len(regions) == 0 {
			return audit.Target{}, badInput("no region: pass --region or set AWS_REGION")
		}
		var t audit.Target
		for _, r := range regions {
			t.Clusters = append(t.Clusters, audit.ClustersTarget(r, f.clusters...).Clusters...)
		}
		return t, nil
	default:
		if len(regions) == 0 {
			return audit.Target{}, badInput("no region: pass --region or set AWS_REGION")
		}
		return audit.RegionsTarget(regions...), nil
	}
}

// accounts returns the role ARNs to audit (sorted), or [""] for the
// caller's own account, and this shard's part of them.
func (f *auditFlags) accounts() ([]string, error) {
	set := map[string]bool{}
	for _, a := range f.roleARNs {
		set[strings.TrimSpace(a)] = true
	}
	if f.accountsFile != "" {
		b, err := os.ReadFile(f.accountsFile)
		if err != nil {
			return nil, badInput("accounts file: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		line := 0
		for sc.Scan() {
			line++
			l := strings.TrimSpace(sc.Text())
			if i := strings.IndexByte(l, '#'); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			if l == "" {
				continue
			}
			if !strings.HasPrefix(l, "arn:") || !strings.Contains(l, ":role/") {
				return nil, badInput("%s:%d: %q is not a role ARN", f.accountsFile, line, l)
			}
			set[l] = true
		}
	}
	if f.orgRoleName != "" {
		if err := f.orgAccounts(set); err != nil {
			return nil, err
		}
	}
	delete(set, "")
	all := make([]string, 0, len(set))
	for a := range set {
		all = append(all, a)
	}
	sort.Strings(all)
	if len(all) == 0 {
		all = []string{""}
	}
	index, count, err := f.shardOf()
	if err != nil {
		return nil, err
	}
	if count <= 1 {
		return all, nil
	}
	var mine []string
	for i, a := range all {
		if i%count == index {
			mine = append(mine, a)
		}
	}
	return mine, nil
}

// orgAccounts adds the role of every ACTIVE account of the caller's AWS
// Organization to set; the other accounts become incomplete entries.
func (f *auditFlags) orgAccounts(set map[string]bool) error {
	if strings.ContainsAny(f.orgRoleName, ":/ ") {
		return badInput("--org-role-name %q: want a role name (the role each account has for the audit), not an ARN or path", f.orgRoleName)
	}
	if f.awsConfig == nil {
		f.awsConfig = loadAWSConfig
	}
	region := ""
	if len(f.regions) > 0 {
		region = f.regions[0]
	}
	ctx := context.Background()
	if f.ctx != nil {
		ctx = f.ctx
	}
	cfg, err := f.awsConfig(ctx, region, f.profile, "")
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	partition := iamtrust.PartitionForRegion(cfg.Region)
	accounts, err := observe.OrganizationAccounts(ctx, organizations.NewFromConfig(cfg))
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("list the organization's accounts (organizations:ListAccounts, from the management or a delegated administrator account): %w", err)}
	}
	n := 0
	{
		for _, a := range accounts {
			id := aws.ToString(a.Id)
			n++
			if a.State != orgtypes.AccountStateActive && a.Status != orgtypes.AccountStatusActive {
				state := string(a.State)
				if state == "" {
					state = string(a.Status)
				}
				f.skipped = append(f.skipped, audit.Incomplete{Check: "*", Resource: "account " + id, Reason: "the account is " + state + ", not ACTIVE: it cannot be audited"})
				continue
			}
			set["arn:"+partition+":iam::"+id+":role/"+f.orgRoleName] = true
		}
	}
	if n == 0 {
		return &exitError{code: 2, err: errors.New("the organization lists no accounts")}
	}
	return nil
}

// shardOf parses --shard or the Kubernetes indexed-Job environment.
func (f *auditFlags) shardOf() (index, count int, err error) {
	spec := f.shard
	if spec == "" {
		idx := os.Getenv("JOB_COMPLETION_INDEX")
		if idx == "" {
			return 0, 1, nil
		}
		count = f.shardCount
		if count == 0 {
			if c := os.Getenv("FARGATEKIT_SHARD_COUNT"); c != "" {
				if count, err = strconv.Atoi(c); err != nil {
					return 0, 0, badInput("FARGATEKIT_SHARD_COUNT %q: %v", c, err)
				}
			}
		}
		if count == 0 {
			return 0, 0, badInput("JOB_COMPLETION_INDEX is set but the shard count is not: pass --shard-count or set FARGATEKIT_SHARD_COUNT")
		}
		spec = idx + "/" + strconv.Itoa(count)
	}
	i, c, ok := strings.Cut(spec, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(c)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return 0, 0, badInput("shard %q: want INDEX/COUNT with 0 <= INDEX < COUNT", spec)
	}
	return index, count, nil
}

// kubeFromFile returns an Options.Kube that picks the cluster's context of
// a kubeconfig (see kubeconfigREST).
func kubeFromFile(path, contextName string) func(context.Context, *audit.Cluster) (*rest.Config, error) {
	return func(_ context.Context, c *audit.Cluster) (*rest.Config, error) {
		return kubeconfigREST(path, contextName, c.Name, c.ARN, c.Endpoint)
	}
}

// options returns the audit options shared by every account.
func (f *auditFlags) options(log *zap.Logger) func(*audit.Options) {
	return func(o *audit.Options) {
		o.Logger = log
		o.Checks = f.checks
		o.SkipChecks = f.skipChecks
		if f.kubeconfig != "" || f.kubeContext != "" {
			o.Kube = kubeFromFile(f.kubeconfig, f.kubeContext)
		}
	}
}

// runAudits audits every account of this shard, at most --concurrency at
// once, and merges the reports. An account that could not be audited at all
// becomes an incomplete entry; if none could, the error is returned.
func (f *auditFlags) runAudits(ctx context.Context, log *zap.Logger, extra ...func(*audit.Options)) (*audit.Report, error) {
	f.ctx = ctx
	accounts, err := f.accounts()
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		// More shards than accounts: this shard has nothing to audit. It
		// still writes a (valid, empty) report so that a merge of every
		// shard's report finds one per shard.
		log.Info("audit: this shard has no accounts")
		return emptyReport(time.Now()), nil
	}
	if f.awsConfig == nil {
		f.awsConfig = loadAWSConfig
	}
	region := ""
	if len(f.regions) > 0 {
		region = f.regions[0]
	}
	if f.specFile != "" && region == "" {
		// The spec names its region.
		if b, err := os.ReadFile(f.specFile); err == nil {
			if sp, err := eksfargate.LoadSpec(b, specEnv(f.noEnv)); err == nil {
				region = sp.Region
			}
		}
	}
	type result struct {
		r   *audit.Report
		err error
	}
	results := make([]result, len(accounts))
	sem := make(chan struct{}, max(1, f.concurrency))
	var wg sync.WaitGroup
	var targetErr error
	var once sync.Once
	for i, acct := range accounts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l := log
			if acct != "" {
				l = log.With(zap.String("roleArn", acct))
			}
			start := time.Now()
			cfg, err := f.awsConfig(ctx, region, f.profile, acct)
			if err != nil {
				results[i].err = err
				return
			}
			t, err := f.target(cfg.Region)
			if err != nil {
				once.Do(func() { targetErr = err })
				return
			}
			l.Info("audit: start", zap.Int("account", i+1), zap.Int("of", len(accounts)))
			opts := append([]func(*audit.Options){f.options(l), func(o *audit.Options) { o.AWS = cfg }}, extra...)
			r, err := audit.Audit(ctx, t, opts...)
			if err != nil {
				l.Warn("audit: could not run", zap.Error(err))
				results[i].err = err
				return
			}
			l.Info("audit: done", zap.String("accountId", r.Account), zap.Int("findings", len(r.Findings)),
				zap.Int("incomplete", len(r.Incomplete)), zap.Duration("elapsed", time.Since(start)))
			results[i].r = r
		})
	}
	wg.Wait()
	if targetErr != nil {
		return nil, targetErr
	}
	var reports []*audit.Report
	failed := append([]audit.Incomplete(nil), f.skipped...)
	var firstErr error
	for i, res := range results {
		if res.err != nil {
			var te *audit.TargetError
			if errors.As(res.err, &te) {
				return nil, badInput("%v", res.err)
			}
			if firstErr == nil {
				firstErr = res.err
			}
			who := accounts[i]
			if who == "" {
				who = "the caller's account"
			}
			failed = append(failed, audit.Incomplete{Check: "*", Resource: who, Reason: "the audit could not run: " + res.err.Error()})
			continue
		}
		reports = append(reports, res.r)
	}
	if len(reports) == 0 {
		return nil, &exitError{code: 2, err: firstErr}
	}
	var merged *audit.Report
	if len(reports) == 1 && len(failed) == 0 {
		merged = reports[0]
	} else {
		merged, err = audit.Merge(reports...)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		merged.Incomplete = append(merged.Incomplete, failed...)
		if len(failed) > 0 {
			merged.Summary.ChecksIncomplete++
		}
	}
	return merged, nil
}

// writeReport renders a report in the format asked for; spec, when not
// empty, is the spec file SARIF results point at.
func writeReport(w io.Writer, r *audit.Report, format string, spec ...string) error {
	switch format {
	case "text", "":
		return audit.WriteText(w, r, audit.TextOptions{Color: audit.AutoColor(w)})
	case "json":
		b, err := r.JSON()
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	case "sarif":
		o := audit.SARIFOptions{ToolVersion: currentVersion().Version}
		if len(spec) > 0 && spec[0] != "" && spec[0] != "-" {
			if data, err := readFileBounded(spec[0], 16<<20); err == nil {
				o.SpecFile, o.SpecData = filepath.ToSlash(spec[0]), data
			}
		}
		return audit.WriteSARIFWith(w, r, o)
	case "openmetrics":
		return audit.WriteOpenMetrics(w, r)
	case "asff":
		return audit.WriteASFF(w, r, audit.ASFFOptions{})
	}
	return badInput("output %q: want text, json, sarif, openmetrics or asff", format)
}

// parseFailOn parses --fail-on: a severity or "none".
func parseFailOn(s string) (iamtrust.Severity, bool, error) {
	if strings.EqualFold(s, "none") {
		return 0, false, nil
	}
	sev, err := iamtrust.ParseSeverity(s)
	if err != nil {
		return 0, false, badInput("--fail-on: %v (or none)", err)
	}
	return sev, true, nil
}

// nightly are the flags of the nightly job: what changed since the last
// run, governed suppressions, and the outputs that reach people.
type nightly struct {
	baseline         string
	suppressions     string
	failOnPersisting bool
	failOnChange     bool
	metricsFile      string
	securityHub      bool
}

// apply compares r with the baseline and applies the suppressions. Bad
// input (an unreadable, corrupt or foreign baseline; a bad suppressions
// file) is exit 2: the job never silently compares against nothing.
func (n *nightly) apply(r *audit.Report, now time.Time) error {
	if n.baseline != "" {
		b, err := readFileBounded(n.baseline, maxReportBytes)
		if err != nil {
			return badInput("--baseline: %v", err)
		}
		base, err := audit.DecodeReport(bytes.NewReader(b))
		if err != nil {
			return badInput("--baseline %s: %v", n.baseline, err)
		}
		if err := audit.ApplyBaseline(r, base); err != nil {
			return badInput("--baseline %s: %v", n.baseline, err)
		}
	}
	if n.suppressions != "" {
		b, err := readFileBounded(n.suppressions, 16<<20)
		if err != nil {
			return badInput("--suppressions: %v", err)
		}
		rules, err := audit.ParseSuppressions(b)
		if err != nil {
			return badInput("--suppressions %s: %v", n.suppressions, err)
		}
		r.ApplySuppressions(rules, now)
	}
	return nil
}

// sinks writes the metrics file and sends to Security Hub.
func (n *nightly) sinks(cmd *cobra.Command, f *auditFlags, r *audit.Report, log *zap.Logger) error {
	if n.metricsFile != "" {
		if err := audit.WriteMetricsFile(n.metricsFile, r); err != nil {
			return &exitError{code: 2, err: err}
		}
		log.Info("audit: metrics written", zap.String("path", n.metricsFile))
	}
	if n.securityHub {
		if f.awsConfig == nil {
			f.awsConfig = loadAWSConfig
		}
		region := ""
		if len(f.regions) > 0 {
			region = f.regions[0]
		}
		cfg, err := f.awsConfig(cmd.Context(), region, f.profile, "")
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		res, err := audit.SendToSecurityHub(cmd.Context(), securityhub.NewFromConfig(cfg), r, audit.ASFFOptions{Region: cfg.Region})
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		log.Info("audit: sent to Security Hub", zap.Int("imported", res.Imported), zap.Int("archived", res.Archived), zap.Int("calls", res.Calls))
	}
	return nil
}

func newAuditCmd() *cobra.Command {
	var f auditFlags
	var n nightly
	var output, failOn string
	var allowIncomplete bool
	cmd := &cobra.Command{
		Use:   "audit (-f SPEC | --cluster NAME... | --all-clusters) [flags]",
		Short: "Audit Fargate-only EKS clusters and their IAM wiring against the documented requirements",
		Long: `Audit reads an account and its clusters (read-only: policies/audit-readonly.json
lists every AWS action it uses), runs the checks of ` + "`fargatekit checks`" + `, and
reports findings with evidence.

Several accounts: repeat --role-arn or list role ARNs in --accounts-file; they
are audited in parallel (--concurrency) and their reports merged. In an
indexed Kubernetes Job, --shard INDEX/COUNT (or $JOB_COMPLETION_INDEX with
--shard-count) audits a stable share of the accounts; join the shards' JSON
reports with ` + "`fargatekit report merge`" + `.

Exit codes: 0 no finding at or above --fail-on and nothing incomplete;
1 findings at or above --fail-on, checks that could not run (unless
--allow-incomplete), or no cluster found in the regions audited (the
report says "no clusters found in REGION"; its noClustersIn lists them);
2 bad input, or an audit that could not run at all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			min, failing, err := parseFailOn(failOn)
			if err != nil {
				return err
			}
			switch output {
			case "text", "json", "sarif", "openmetrics", "asff":
			default:
				return badInput("-o %q: want text, json, sarif, openmetrics or asff", output)
			}
			if n.failOnPersisting && n.baseline == "" {
				return badInput("--fail-on-persisting needs --baseline")
			}
			if n.failOnChange && n.baseline == "" {
				return badInput("--fail-on-change needs --baseline: permission changes are measured against it")
			}
			log := commandLogger(cmd, f.quiet)
			defer func() { _ = log.Sync() }()
			r, err := f.runAudits(cmd.Context(), log)
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return &exitError{code: 2, err: err}
			}
			if len(f.clusters) > 0 && len(r.MissingClusters) > 0 {
				var msgs []string
				for _, m := range r.MissingClusters {
					msgs = append(msgs, "cluster "+m.Name+" not found in "+m.Region)
				}
				return badInput("%s (check --cluster and --region)", strings.Join(msgs, "; "))
			}
			if err := n.apply(r, time.Now()); err != nil {
				return err
			}
			if err := writeReport(cmd.OutOrStdout(), r, output, f.specFile); err != nil {
				return err
			}
			if err := n.sinks(cmd, &f, r, log); err != nil {
				return err
			}
			if len(r.Clusters) == 0 && len(r.NoClustersIn) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("no clusters found in %s: nothing but the account's IAM was audited (check --region and the account)", strings.Join(r.NoClustersIn, ", "))}
			}
			if n.failOnChange && len(r.PermissionChanges) > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d permission change(s) since the baseline (--fail-on-change)", len(r.PermissionChanges))}
			}
			return auditExit(r, min, failing && (n.baseline == "" || n.failOnPersisting), allowIncomplete, failing && n.baseline != "" && !n.failOnPersisting)
		},
	}
	f.register(cmd)
	registerTimeout(cmd.Flags(), 10*time.Minute)
	cmd.Flags().StringVar(&n.baseline, "baseline", "", "an earlier report (JSON, of the same account or a merged fleet report) to compare with: findings get status new/persisting and firstSeen, resolved ones and permission changes are listed, and --fail-on counts new findings only")
	cmd.Flags().StringVar(&n.suppressions, "suppressions", "", "YAML file of suppression rules (check, resource, reason, owner, expires); expired rules fail closed")
	cmd.Flags().BoolVar(&n.failOnPersisting, "fail-on-persisting", false, "with --baseline, let --fail-on count persisting findings too")
	cmd.Flags().BoolVar(&n.failOnChange, "fail-on-change", false, "with --baseline, exit 1 when any wired role's permissions changed")
	cmd.Flags().StringVar(&n.metricsFile, "metrics-file", "", "also write OpenMetrics gauges to this file, atomically (node-exporter textfile collector)")
	cmd.Flags().BoolVar(&n.securityHub, "security-hub", false, "send new findings to AWS Security Hub (BatchImportFindings) and archive resolved ones")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "report format: text, json or sarif")
	cmd.Flags().StringVar(&failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical, or none)")
	cmd.Flags().BoolVar(&allowIncomplete, "allow-incomplete", false, "exit 0 even when some checks could not run")
	return cmd
}

// auditExit turns a report into the exit code: findings at or above min
// (all of them, or with onlyNew the new ones), then incomplete checks.
func auditExit(r *audit.Report, min iamtrust.Severity, failing, allowIncomplete bool, onlyNew ...bool) error {
	if len(onlyNew) > 0 && onlyNew[0] {
		n := 0
		for _, f := range r.NewFindings() {
			if f.Severity >= min {
				n++
			}
		}
		if n > 0 {
			return &exitError{code: 1, err: fmt.Errorf("%d new finding(s) at or above %s since the baseline (%d persisting not counted; --fail-on-persisting counts them)", n, min, len(r.Findings)-len(r.NewFindings()))}
		}
	}
	if failing {
		if n := len(r.AtOrAbove(min)); n > 0 {
			return &exitError{code: 1, err: fmt.Errorf("%d of the report's %d finding(s) at or above %s", n, r.Summary.Findings, min)}
		}
	}
	if len(r.Incomplete) > 0 && !allowIncomplete {
		return &exitError{code: 1, err: fmt.Errorf("%d check(s) incomplete, as the report's summary counts them (%d resource(s) not examined; see incomplete); pass --allow-incomplete to accept", max(1, r.Summary.ChecksIncomplete), len(r.Incomplete))}
	}
	return nil
}

// emptyReport is the report of a shard that had no account to audit.
func emptyReport(now time.Time) *audit.Report {
	return &audit.Report{
		Schema:      audit.ReportSchema,
		GeneratedAt: now.UTC(),
		Regions:     []string{},
		Clusters:    []string{},
		Checks:      []audit.CheckInfo{},
		Findings:    []audit.Finding{},
		Incomplete:  []audit.Incomplete{},
	}
}
