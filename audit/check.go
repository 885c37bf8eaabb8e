package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

// Check is one requirement of the catalogue: data plus a pure function over
// a Snapshot, in the manner of golang.org/x/tools/go/analysis. Run must not
// read AWS or Kubernetes, must not modify the Snapshot, and must not assume
// that a part named in Needs is present for every cluster: Audit runs it on
// a view of the Snapshot without the clusters whose needed parts are
// unavailable, and reports those as incomplete.
type Check struct {
	// ID is stable: reports, --check flags and suppressions name it.
	ID string `json:"id"`
	// Title is a one-line summary of what is wrong when the check fires.
	Title string `json:"title"`
	// Severity is the default severity of the check's findings; a finding
	// may carry another (a CLU-05 finding is high for an unsupported
	// version and medium in extended support).
	Severity iamtrust.Severity `json:"severity"`
	// Rationale says why the requirement exists.
	Rationale string `json:"rationale"`
	// DocURL is the AWS documentation of the requirement.
	DocURL string `json:"docURL"`
	// Remedy says how to fix a finding, by hand or with `fargatekit fix`.
	Remedy string `json:"remedy"`
	// Needs lists the Snapshot parts (Part… constants) the check reads.
	Needs []string `json:"needs"`
	// NeedsSpec is true for checks that compare with a spec; they run only
	// when the target has one.
	NeedsSpec bool `json:"needsSpec,omitempty"`
	// Fixable is true when the check's findings may carry fixes.
	Fixable bool `json:"fixable,omitempty"`
	// Run returns the check's findings.
	Run func(*Snapshot) []Finding `json:"-"`
}

// Finding is a requirement that the observed state does not meet, with the
// evidence and, where a remedy exists, the changes that fix it.
type Finding struct {
	// Check is the ID of the check.
	Check string `json:"check"`
	// Severity of this finding.
	Severity iamtrust.Severity `json:"severity"`
	// Account is the AWS account.
	Account string `json:"account,omitempty"`
	// Region of the resource; empty for global resources (IAM).
	Region string `json:"region,omitempty"`
	// Cluster is the ARN of the cluster the finding is about, if any.
	Cluster string `json:"cluster,omitempty"`
	// Resource is the resource at fault: an ARN, or a Kubernetes reference
	// "CLUSTER:NAMESPACE/KIND/NAME".
	Resource string `json:"resource"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Expected is what the requirement or the spec wants.
	Expected string `json:"expected,omitempty"`
	// Actual is what was observed.
	Actual string `json:"actual,omitempty"`
	// Fix are the changes that remedy the finding; empty when there is no
	// automatic remedy. They render as planned changes; their Run
	// functions are only present in a report that Audit returned.
	Fix []plan.Change `json:"fix,omitempty"`
	// FixUnavailable says why a finding that normally carries a fix has
	// none this time: the fix needs a part that could not be read, while
	// the finding itself stands on what was read.
	FixUnavailable string `json:"fixUnavailable,omitempty"`
	// Fingerprint identifies the finding across runs (check, account,
	// region, cluster, resource, expected and actual): the baseline,
	// SARIF's partialFingerprints and Security Hub's Id use it.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Status is StatusNew or StatusPersisting (against a baseline).
	Status string `json:"status,omitempty"`
	// FirstSeen is when the finding was first reported: the baseline's for
	// a persisting finding, else this report's time.
	FirstSeen *time.Time `json:"firstSeen,omitempty"`
	// GrantsMore is true when the fix grants more than the spec or the
	// documented requirement needs; Fix applies it only with AllowGrants.
	GrantsMore bool `json:"grantsMore,omitempty"`
	// Graded is set when Severity differs from the check's catalogue
	// severity, and says why: "graded up from medium: Kubernetes 1.29 is
	// no longer supported". The message then ends with the grading too.
	// A check may set it; Evaluate fills it in otherwise, from the
	// message, which states the condition that set the severity.
	Graded string `json:"graded,omitempty"`
}

// grade fills in Graded (and notes it in Message) for a finding whose
// severity is not its check's.
func grade(c *Check, f *Finding) {
	if f.Severity == c.Severity {
		return
	}
	dir := "up"
	if f.Severity < c.Severity {
		dir = "down"
	}
	note := fmt.Sprintf("graded %s from the check's %s to %s", dir, c.Severity, f.Severity)
	if f.Graded == "" {
		f.Graded = note + ": " + f.Message
	}
	if !strings.Contains(f.Message, "graded") {
		f.Message += " (" + note + ")"
	}
}

// Destructive reports whether any change of the fix deletes or removes
// something.
func (f *Finding) Destructive() bool {
	for _, c := range f.Fix {
		if c.Destructive {
			return true
		}
	}
	return false
}

// Incomplete is a check that could not run, fully or for one resource,
// because a part it needs could not be read. It is never a pass.
type Incomplete struct {
	// Check is the ID of the check.
	Check string `json:"check"`
	// Resource is what the check could not examine: a cluster ARN, a
	// region, or the account.
	Resource string `json:"resource"`
	// Reason says which part was missing and why.
	Reason string `json:"reason"`
}

// Catalogue returns the built-in checks in a stable order. Each call
// returns new values, so callers may modify them.
func Catalogue() []*Check {
	return catalogue()
}

// result is the outcome of running checks over a snapshot.
type result struct {
	findings   []Finding
	incomplete []Incomplete
	run        int
	partial    map[string]bool // checks with incomplete entries
}

// runChecks runs each check on the view of the snapshot it can trust.
// explainFix makes each change of a fix say, in words, which requirement it
// restores: a change whose Requirement is only a documentation URL gets
// "fixes CHECK-ID: title (URL)".
func explainFix(c *Check, fix []plan.Change) {
	for i := range fix {
		r := fix[i].Requirement
		if r == "" || strings.HasPrefix(r, "https://") {
			if r == "" {
				r = c.DocURL
			}
			fix[i].Requirement = "fixes " + c.ID + ": " + c.Title + " (" + r + ")"
		}
	}
}

func runChecks(s *Snapshot, checks []*Check) result {
	s.index()
	res := result{partial: map[string]bool{}}
	seenInc := map[[2]string]bool{}
	addInc := func(in Incomplete) {
		k := [2]string{in.Check, in.Resource}
		if seenInc[k] {
			return
		}
		seenInc[k] = true
		res.incomplete = append(res.incomplete, in)
		res.partial[in.Check] = true
	}
	for _, c := range checks {
		if c.NeedsSpec && s.Spec == nil {
			continue
		}
		res.run++
		needs := map[string]bool{}
		for _, p := range c.Needs {
			needs[p] = true
			if p == PartCluster {
				needs[PartClusters] = true
			}
		}
		blocked := false
		excluded := map[string]bool{}
		for _, u := range s.Unavailable {
			if !needs[u.What] {
				continue
			}
			reason := u.What + " unavailable"
			if u.Resource != "" {
				reason += " (" + u.Resource + ")"
			}
			reason += ": " + u.Reason
			switch {
			case u.accountWide():
				addInc(Incomplete{Check: c.ID, Resource: "account " + s.Account, Reason: reason})
				blocked = true
			case u.Cluster != "":
				addInc(Incomplete{Check: c.ID, Resource: u.Cluster, Reason: reason})
				excluded[u.Cluster] = true
			default:
				addInc(Incomplete{Check: c.ID, Resource: "region " + u.Region, Reason: reason})
				for _, cl := range s.Clusters {
					if u.covers(cl) {
						excluded[cl.ARN] = true
					}
				}
			}
		}
		if blocked {
			continue
		}
		view := *s
		if len(excluded) > 0 {
			view.Clusters = nil
			for _, cl := range s.Clusters {
				if !excluded[cl.ARN] {
					view.Clusters = append(view.Clusters, cl)
				}
			}
		}
		fs, err := safeRun(c, &view)
		if err != nil {
			addInc(Incomplete{Check: c.ID, Resource: "account " + s.Account, Reason: err.Error()})
			continue
		}
		for _, f := range fs {
			if f.Check == "" {
				f.Check = c.ID
			}
			if f.Account == "" {
				f.Account = s.Account
			}
			explainFix(c, f.Fix)
			grade(c, &f)
			res.findings = append(res.findings, f)
		}
	}
	sortFindings(res.findings)
	sort.SliceStable(res.incomplete, func(i, j int) bool {
		a, b := res.incomplete[i], res.incomplete[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Resource < b.Resource
	})
	return res
}

// safeRun runs a check, turning a panic (a bug in a custom check, or a
// snapshot built by hand with missing pieces) into an error.
func safeRun(c *Check, s *Snapshot) (fs []Finding, err error) {
	defer func() {
		if r := recover(); r != nil {
			fs, err = nil, fmt.Errorf("check %s failed: %v", c.ID, r)
		}
	}()
	return c.Run(s), nil
}

// sortFindings orders findings by severity (worst first), check, cluster
// and resource.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Message < b.Message
	})
}
