package audit

import (
	"context"
	"errors"
	"sort"

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

// ErrNotFixable is returned by Fix for a report that did not come from Audit
// in this process (decoded from JSON or merged): its fixes cannot run.
var ErrNotFixable = errors.New("audit: the report has no runnable fixes (it was decoded or merged); run the audit again and fix from its report")

// FixPlan returns the plan of the selected findings' fixes: their changes,
// de-duplicated (two findings may share a fix), with changes that grant
// more than the spec or the documented requirement left out unless
// Options.AllowGrants is set, and destructive changes left out unless
// Options.AllowDestructive is set. It is pure.
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
		for _, c := range f.Fix {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
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
	return p, skipped
}

// Fix applies the selected findings' fixes through plan.Apply, the same
// executor that applies specs. Findings whose fix needs an opt-in that was
// not given are not fixed; FixPlan lists them. After Fix, a new audit has
// no findings of the fixed kinds.
func Fix(ctx context.Context, r *Report, sel Selection, opts ...func(*Options)) error {
	if r == nil || r.snapshot == nil || r.snapshot.act == nil {
		return ErrNotFixable
	}
	o := resolve(opts)
	p, _ := FixPlan(r, sel, opts...)
	return plan.Apply(ctx, p, func(po *plan.Options) {
		po.Concurrency = o.ApplyConcurrency
		po.Logger = o.Logger
		po.Progress = o.ApplyProgress
		po.Now = o.Now
	})
}
