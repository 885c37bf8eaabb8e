package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

// Selection chooses the findings to fix. The zero value selects every
// finding that has a fix.
type Selection struct {
	// Checks, when not empty, selects findings of these check IDs.
	Checks []string
	// Resources, when not empty, selects findings about these resources.
	Resources []string
	// MinSeverity selects findings at or above this severity.
	MinSeverity iamtrust.Severity
}

// Skipped is a selected finding whose fix was left out of the plan, and why.
type Skipped struct {
	// Check and Resource identify the finding.
	Check, Resource string
	// Reason says what opt-in is missing.
	Reason string
}

// FixPlan returns the plan of the selected findings' fixes: their changes,
// de-duplicated (two findings may share a fix), with changes that grant
// more than the spec or the documented requirement left out unless
// Options.AllowGrants is set, destructive changes left out unless
// Options.AllowDestructive is set, and changes of resources fargatekit does
// not manage (a role without the fargatekit.io/cluster tag: the change is
// Blocked) left out unless Options.AllowUnowned is set. It is pure.
func FixPlan(r *Report, sel Selection, opts ...func(*Options)) (*plan.Plan, []Skipped) {
	o := resolve(opts)
	p := &plan.Plan{}
	seen := map[string]bool{}
	var skipped []Skipped
	for i := range r.Findings {
		f := &r.Findings[i]
		if len(f.Fix) == 0 || !sel.selected(f) {
			continue
		}
		if f.GrantsMore && !o.AllowGrants {
			skipped = append(skipped, Skipped{f.Check, f.Resource, "the fix grants more than the spec or the documented requirement; it needs AllowGrants (--allow-grants)"})
			continue
		}
		if f.Destructive() && !o.AllowDestructive {
			skipped = append(skipped, Skipped{f.Check, f.Resource, "the fix deletes or removes access; it needs AllowDestructive (--allow-destructive)"})
			continue
		}
		if why := blockedReason(f.Fix); why != "" && !o.AllowUnowned {
			skipped = append(skipped, Skipped{f.Check, f.Resource, why})
			continue
		}
		for _, c := range f.Fix {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			c.Blocked = "" // allowed: the ownership opt-in is the only block of a fix
			p.Changes = append(p.Changes, c)
		}
	}
	// Changes others depend on first, so that the plan reads in order.
	needed := map[string]bool{}
	for _, c := range p.Changes {
		for _, d := range c.DependsOn {
			needed[d] = true
		}
	}
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if needed[a.ID] != needed[b.ID] {
			return needed[a.ID]
		}
		return a.ID < b.ID
	})
	// Then in dependency order (which that order already is, unless a
	// fix depends on a change of another finding that sorts later).
	if ordered, err := plan.New(p.Changes...); err == nil {
		p = ordered
	}
	return p, skipped
}

// Fix applies the selected findings' fixes through plan.Apply, the same
// executor that applies specs. Findings whose fix needs an opt-in that was
// not given are not fixed; FixPlan lists them. After Fix, a new audit has
// no findings of the fixed kinds.
//
// A fix is data (each change carries a plan.Op), bound to clients only
// now: the AWS clients of Options (Options.AWS or Options.Clients) and, for
// Kubernetes fixes, the cluster's API as Options.Kube or an EKS token
// reaches it. So a report decoded from JSON (fargatekit fix --report) is
// fixed as the report Audit returned is.
func Fix(ctx context.Context, r *Report, sel Selection, opts ...func(*Options)) error {
	if r == nil {
		return errors.New("audit: Fix: no report")
	}
	o := resolve(opts)
	p, _ := FixPlan(r, sel, opts...)
	if p.Empty() {
		return nil
	}
	if r.snapshot == nil {
		if err := sameAccount(ctx, r, &o); err != nil {
			return err
		}
	}
	return plan.Apply(ctx, p, func(po *plan.Options) {
		po.Concurrency = o.ApplyConcurrency
		po.Logger = o.Logger
		po.Progress = o.ApplyProgress
		po.Now = o.Now
		po.Bind = fixBinder(r, &o)
	})
}

// blockedReason is the first reason a fix's changes wait for.
func blockedReason(fix []plan.Change) string {
	for _, c := range fix {
		if c.Blocked != "" {
			return c.Blocked
		}
	}
	return ""
}

// AccountMismatchError says that the caller is not in the account of the
// report whose findings Fix was asked to fix.
type AccountMismatchError struct {
	// Report is the report's account; Caller the caller's.
	Report, Caller string
}

// Error names both accounts and the way out.
func (e *AccountMismatchError) Error() string {
	return fmt.Sprintf("audit: the report is of account %s but the caller is in account %s: fix it with credentials of %s (--profile or --role-arn)", e.Report, e.Caller, e.Report)
}

// sameAccount checks, for a report that did not come from Audit in this
// process, that the caller is in the report's account: its fixes name
// roles by name, which another account may have too.
func sameAccount(ctx context.Context, r *Report, o *Options) error {
	if r.Account == "" {
		return errors.New("audit: Fix: the report names no account (a merged report?): fix each account's report")
	}
	caller := o.AccountID
	if caller == "" {
		var err error
		caller, _, err = observe.Caller(ctx, o.Clients(fixIAMRegion(r, o)).STS)
		if err != nil {
			return fmt.Errorf("audit: Fix: identify the caller (sts:GetCallerIdentity): %w", err)
		}
	}
	if caller != r.Account {
		return &AccountMismatchError{Report: r.Account, Caller: caller}
	}
	return nil
}

// fixBinder binds the operations of fixes to the clients of o.
func fixBinder(r *Report, o *Options) plan.Binder {
	env := ops.Env{
		Clients: func(region string) ops.Clients {
			if region == "" {
				region = fixIAMRegion(r, o)
			}
			c := o.Clients(region)
			return ops.Clients{IAM: c.IAM, EKS: c.EKS}
		},
		Poll:    o.PollInterval,
		Timeout: o.WaitTimeout,
		Kube: func(ctx context.Context, op plan.Op, _ plan.Reporter) error {
			return runKubeFix(ctx, r, o, op)
		},
	}
	return env.Bind
}

// fixIAMRegion is the region whose clients make the global IAM calls: the
// report's first region, else the configuration's.
func fixIAMRegion(r *Report, o *Options) string {
	if s := r.snapshot; s != nil && len(s.Regions) > 0 {
		return s.Regions[0]
	}
	for _, f := range r.Findings {
		if f.Region != "" {
			return f.Region
		}
	}
	if o.AWS.Region != "" {
		return o.AWS.Region
	}
	return "us-east-1"
}

// fixCluster returns the observed cluster an operation concerns: the one
// the audit read when the report came from Audit, else the cluster as EKS
// describes it now (a decoded report keeps no endpoint or CA).
func fixCluster(ctx context.Context, r *Report, o *Options, region, name string) (*Cluster, error) {
	if s := r.snapshot; s != nil {
		if c := s.Cluster(region, name); c != nil {
			return c, nil
		}
	}
	described, err := observe.Cluster(ctx, o.Clients(region).EKS, name)
	if err != nil {
		return nil, fmt.Errorf("describe cluster %s in %s: %w", name, region, err)
	}
	return clusterFromAPI(ClusterRef{Region: region, Name: name}, described), nil
}

// runKubeFix performs the Kubernetes fixes (aws-auth and CoreDNS), which
// need the cluster-side code of eksfargate.
func runKubeFix(ctx context.Context, r *Report, o *Options, op plan.Op) error {
	c, err := fixCluster(ctx, r, o, op.Region, op.Cluster)
	if err != nil {
		return err
	}
	cfg, err := kubeConfig(ctx, o, c)
	if err != nil {
		return fmt.Errorf("Kubernetes API of %s: %w", c.Name, err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("Kubernetes API of %s: %w", c.Name, err)
	}
	var args ops.AWSAuthArgs
	if len(op.Args) > 0 {
		if err := json.Unmarshal(op.Args, &args); err != nil {
			return fmt.Errorf("arguments of %s: %w", op.Name, err)
		}
	}
	switch op.Name {
	case ops.OpAWSAuthUpsert, ops.OpAWSAuthRemove:
		edit := access.AWSAuthEdit{Remove: args.ARNs}
		for _, m := range args.Mappings {
			edit.Upsert = append(edit.Upsert, access.Mapping{ARN: m.ARN, Username: m.Username, Groups: m.Groups})
		}
		_, err = access.ApplyAWSAuth(ctx, kc, edit, func(ao *access.AWSAuthOptions) {
			ao.Logger = o.Logger
			ao.NoCreate = op.Name == ops.OpAWSAuthRemove
		})
		return err
	case ops.OpCoreDNSRestartOnFarg:
		err = coredns.Restart(ctx, kc, o.Now())
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	return fmt.Errorf("unknown Kubernetes operation %q", op.Name)
}
