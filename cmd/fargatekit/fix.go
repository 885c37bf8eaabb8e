package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/plan"
)

func newFixCmd() *cobra.Command {
	var f auditFlags
	var yes, allowGrants, allowDestructive, allowUnowned bool
	var output, reportFile string
	var resources []string
	cmd := &cobra.Command{
		Use:   "fix (-f SPEC | --cluster NAME... | --all-clusters | --report FILE) [--yes] [flags]",
		Short: "Fix audit findings (dry run unless --yes)",
		Long: `Fix audits the target, then plans the fixes of the findings selected with
--check and --resource and prints the plan. With --yes it applies the plan
through the same executor as ` + "`fargatekit apply`" + ` and audits again to verify.

With --report FILE it fixes the findings of an audit report written
earlier (fargatekit audit -o json), without auditing first: the report's
fixes are data, bound to the caller's clients when they run. The caller
must be in the report's account. After --yes it audits the report's
clusters again (or the target the flags name) to verify.

Fixes that grant more than the spec or the documented requirement need
--allow-grants; fixes that delete or remove access need --allow-destructive;
fixes that rewrite a role fargatekit does not manage (no fargatekit.io/cluster
tag) need --allow-unowned.
Fix works on one account at a time (at most one --role-arn).

Exit codes: 0 nothing to fix, or every selected finding fixed; 1 a dry run
with changes to make, or findings left after the fix; 2 bad input, or a fix
that failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			if len(f.roleARNs) > 1 || f.accountsFile != "" {
				return badInput("fix works on one account: give at most one --role-arn and no --accounts-file")
			}
			log := commandLogger(cmd, f.quiet)
			defer func() { _ = log.Sync() }()
			out := cmd.OutOrStdout()
			opts := func(o *audit.Options) {
				o.AllowGrants = allowGrants
				o.AllowDestructive = allowDestructive
				o.AllowUnowned = allowUnowned
				o.ApplyProgress = func(ev plan.Event) {
					if ev.State == "started" || ev.State == "done" || ev.State == "failed" {
						stderrLine(cmd, false, "%s %s %s: %s (%s)", ev.Change.Action, ev.Change.Kind, ev.Change.Resource, ev.State, ev.Elapsed.Round(time.Millisecond))
					}
				}
			}
			var r *audit.Report
			var err error
			if reportFile != "" {
				r, err = readFixReport(reportFile)
				if err != nil {
					return err
				}
				f.fixed = reportTarget(r)
				// Fix binds the report's changes to this account's clients.
				region := ""
				if len(f.regions) > 0 {
					region = f.regions[0]
				} else if len(r.Regions) > 0 {
					region = r.Regions[0]
				}
				if f.awsConfig == nil {
					f.awsConfig = loadAWSConfig
				}
				roleARN := ""
				if len(f.roleARNs) == 1 {
					roleARN = f.roleARNs[0]
				}
				cfg, err := f.awsConfig(cmd.Context(), region, f.profile, roleARN)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				base := opts
				opts = func(o *audit.Options) {
					base(o)
					f.options(log)(o)
					o.AWS = cfg
				}
			} else {
				r, err = f.runAudits(cmd.Context(), log, opts)
			}
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return &exitError{code: 2, err: err}
			}
			sel := audit.Selection{Checks: f.checks, Resources: resources}
			p, skipped := audit.FixPlan(r, sel, opts)
			doc := fixJSON{Schema: "fargatekit.io/fix/v1", Plan: p, Skipped: []fixSkipped{}, StillOpen: []fixOpen{}}
			for _, sk := range skipped {
				doc.Skipped = append(doc.Skipped, fixSkipped{sk.Check, sk.Resource, sk.Reason})
			}
			if output == "json" {
				// Written once, at the end, with what happened.
				defer func() { _ = writeJSON(out, doc) }()
			} else {
				fmt.Fprint(out, p.Text())
				writeSkipped(out, skipped)
			}
			if p.Empty() {
				return nil
			}
			if !yes {
				doc.DryRun = true
				if output != "json" {
					fmt.Fprintln(out, "\nDry run: nothing was changed. Run again with --yes to apply.")
				}
				return &exitError{code: 1}
			}
			if err := audit.Fix(cmd.Context(), r, sel, opts); err != nil {
				return &exitError{code: 2, err: fmt.Errorf("fix: %w", err)}
			}
			doc.Applied = true
			fixed := map[string]bool{}
			for _, c := range p.Changes {
				for _, fd := range r.Findings {
					for _, fc := range fd.Fix {
						if fc.ID == c.ID {
							fixed[fd.Check] = true
						}
					}
				}
			}
			log.Info("fix: applied; auditing again", zap.Int("changes", len(p.Pending())))
			again, err := f.runAudits(cmd.Context(), log)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("verify: %w", err)}
			}
			left := 0
			for _, fd := range again.Findings {
				if fixed[fd.Check] && len(fd.Fix) > 0 && !skippedHas(skipped, fd) {
					left++
					doc.StillOpen = append(doc.StillOpen, fixOpen{fd.Check, fd.Resource, fd.Message})
					if output != "json" {
						fmt.Fprintf(out, "still open: %s %s: %s\n", fd.Check, fd.Resource, fd.Message)
					}
				}
			}
			if left > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d fixed finding(s) still open after the fix", left)}
			}
			if output != "json" {
				fmt.Fprintf(out, "\nFixed: %d change(s) applied; a new audit finds none of the fixed kinds.\n", len(p.Pending()))
			}
			return nil
		},
	}
	f.register(cmd)
	registerTimeout(cmd.Flags(), 30*time.Minute)
	cmd.Flags().BoolVar(&yes, "yes", false, "apply the fixes (default: dry run)")
	cmd.Flags().BoolVar(&allowGrants, "allow-grants", false, "allow fixes that grant more than the spec or the documented requirement")
	cmd.Flags().BoolVar(&allowDestructive, "allow-destructive", false, "allow fixes that delete or remove access")
	cmd.Flags().BoolVar(&allowUnowned, "allow-unowned", false, "allow fixes that rewrite roles fargatekit does not manage (no "+eksfargate.OwnerTag+" tag)")
	cmd.Flags().StringArrayVar(&resources, "resource", nil, "fix only findings about this resource (repeatable)")
	cmd.Flags().StringVar(&reportFile, "report", "", "fix the findings of this audit report (fargatekit audit -o json) instead of auditing first")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json (fargatekit.io/fix/v1: the plan, what was not planned, whether it was applied, what is still open)")
	return cmd
}

// readFixReport reads the report that fix --report fixes: one account's.
func readFixReport(path string) (*audit.Report, error) {
	b, err := readFileBounded(path, maxReportBytes)
	if err != nil {
		return nil, badInput("--report %s: %v", path, err)
	}
	r, err := audit.DecodeReport(bytes.NewReader(b))
	if err != nil {
		return nil, badInput("--report %s: %v", path, err)
	}
	if r.Account == "" {
		return nil, badInput("--report %s: a report merged from several accounts (%s) cannot be fixed at once; fix each account's report", path, strings.Join(r.Accounts, ", "))
	}
	return r, nil
}

// reportTarget is the target that verifies a fix of report r: the
// clusters it audited.
func reportTarget(r *audit.Report) *audit.Target {
	t := &audit.Target{}
	for _, c := range r.Clusters {
		a, err := arn.Parse(c)
		name, ok := strings.CutPrefix(a.Resource, "cluster/")
		if err != nil || !ok || a.Region == "" {
			continue
		}
		t.Clusters = append(t.Clusters, audit.ClusterRef{Region: a.Region, Name: name})
	}
	if len(t.Clusters) == 0 {
		t.Regions = append(t.Regions, r.Regions...)
	}
	if len(t.Clusters) == 0 && len(t.Regions) == 0 {
		return nil
	}
	return t
}

func skippedHas(skipped []audit.Skipped, f audit.Finding) bool {
	for _, s := range skipped {
		if s.Check == f.Check && s.Resource == f.Resource {
			return true
		}
	}
	return false
}

func writeSkipped(w io.Writer, skipped []audit.Skipped) {
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(w, "\nNot planned (%d):\n", len(skipped))
	for _, s := range skipped {
		fmt.Fprintf(w, "  %s %s: %s\n", s.Check, s.Resource, s.Reason)
	}
}

// fixJSON is `fix -o json`.
type fixJSON struct {
	Schema string `json:"schema"`
	// Plan is the fix plan (fargatekit.io/plan/v1).
	Plan *plan.Plan `json:"plan"`
	// Skipped are the selected findings not planned, and why.
	Skipped []fixSkipped `json:"skipped"`
	// DryRun is true when changes were planned and --yes was not given.
	DryRun bool `json:"dryRun"`
	// Applied is true when the plan was applied.
	Applied bool `json:"applied"`
	// StillOpen are fixed findings that a new audit still finds.
	StillOpen []fixOpen `json:"stillOpen"`
}

type fixSkipped struct {
	Check    string `json:"check"`
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

type fixOpen struct {
	Check    string `json:"check"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
}
