package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// ReportSchema identifies version 1 of the report document. It changes only
// when a field is removed or changes meaning; fields may be added.
const ReportSchema = "fargatekit.io/audit-report/v1"

// Report is the result of an audit: findings with evidence, the checks that
// could not run, and a summary. Its JSON form is documented in the package
// documentation.
type Report struct {
	// Schema is ReportSchema.
	Schema string `json:"schema"`
	// GeneratedAt is when the audit ran (UTC).
	GeneratedAt time.Time `json:"generatedAt"`
	// Account is the audited AWS account; empty in a report merged from
	// several accounts (see Accounts).
	Account string `json:"account"`
	// Accounts lists the accounts of a merged report.
	Accounts []string `json:"accounts,omitempty"`
	// Regions are the regions audited.
	Regions []string `json:"regions"`
	// Clusters are the ARNs of the clusters audited.
	Clusters []string `json:"clusters"`
	// Checks describe the checks that ran.
	Checks []CheckInfo `json:"checks"`
	// Findings, worst first.
	Findings []Finding `json:"findings"`
	// Incomplete lists the checks that could not examine a resource.
	Incomplete []Incomplete `json:"incomplete"`
	// Summary counts findings and checks.
	Summary Summary `json:"summary"`
	// Warnings are notes on how the observation went, such as a denied
	// bulk read replaced by per-role reads.
	Warnings []string `json:"warnings,omitempty"`
	// BaselineAt is when the baseline report was made; nil without a
	// baseline.
	BaselineAt *time.Time `json:"baselineAt,omitempty"`
	// Resolved are the baseline's findings that are no longer found (same
	// check, resource and evidence); empty without a baseline.
	Resolved []Finding `json:"resolved"`
	// PermissionChanges are the changes of the wired roles' trust,
	// policies and boundaries since the baseline, judged bad or not: the
	// permission-drift record. Empty without a baseline.
	PermissionChanges []PermissionChange `json:"permissionChanges"`
	// Inventory are the wired roles' permissions, so that this report can
	// be the next run's baseline.
	Inventory []RoleInventory `json:"inventory,omitempty"`
	// Suppressed are the findings a suppression rule in force accepts;
	// they are not in Findings.
	Suppressed []SuppressedFinding `json:"suppressed,omitempty"`
	// ExpiredSuppressions are rules past their expiry: their findings stay
	// in Findings.
	ExpiredSuppressions []Suppression `json:"expiredSuppressions,omitempty"`
	// ExpiringSuppressions are rules in force that expire within
	// ExpiringSoon.
	ExpiringSuppressions []Suppression `json:"expiringSuppressions,omitempty"`
	// UnusedSuppressions are rules in force that matched no finding.
	UnusedSuppressions []Suppression `json:"unusedSuppressions,omitempty"`
	// MissingClusters are clusters the target named that do not exist.
	MissingClusters []ClusterRef `json:"missingClusters,omitempty"`
	// NoClustersIn are the regions audited in which no cluster was found
	// (none exists and the target named none there): nothing there was
	// checked but the account's IAM.
	NoClustersIn []string `json:"noClustersIn,omitempty"`

	snapshot *Snapshot
}

// CheckInfo is the description of a check in a report, so that renderers
// (SARIF rules) need no catalogue.
type CheckInfo struct {
	// ID of the check.
	ID string `json:"id"`
	// Title of the check.
	Title string `json:"title"`
	// Severity is the check's default severity.
	Severity iamtrust.Severity `json:"severity"`
	// DocURL is the AWS documentation of the requirement.
	DocURL string `json:"docURL"`
	// Rationale says why the requirement exists.
	Rationale string `json:"rationale,omitempty"`
	// Remedy says how to fix a finding.
	Remedy string `json:"remedy,omitempty"`
}

// Summary counts a report's findings and checks.
type Summary struct {
	// BySeverity counts findings per severity name; every severity is
	// present.
	BySeverity map[string]int `json:"bySeverity"`
	// Findings is the number of findings.
	Findings int `json:"findings"`
	// ChecksRun is the number of checks that ran.
	ChecksRun int `json:"checksRun"`
	// ChecksIncomplete is the number of checks with at least one
	// Incomplete entry.
	ChecksIncomplete int `json:"checksIncomplete"`
}

// Audit observes the target and runs the selected checks over the
// snapshot. The report's findings carry fixes (see Fix). An error means the
// audit could not run at all (invalid target or options, no caller
// identity, cancelled context); parts that could not be read are in
// Report.Incomplete instead.
func Audit(ctx context.Context, t Target, opts ...func(*Options)) (*Report, error) {
	o := resolve(opts)
	checks, err := o.selectChecks()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	s, err := observeTarget(ctx, t, &o)
	if err != nil {
		return nil, err
	}
	o.Logger.Info("audit: observed", zap.String("account", s.Account), zap.Int("clusters", len(s.Clusters)),
		zap.Int("roles", len(s.Roles)), zap.Int("unavailable", len(s.Unavailable)), zap.Duration("elapsed", time.Since(start)))
	r := Evaluate(s, checks)
	r.GeneratedAt = o.Now().UTC()
	o.Logger.Info("audit: checked", zap.Int("findings", len(r.Findings)), zap.Int("incomplete", len(r.Incomplete)),
		zap.Int("checks", r.Summary.ChecksRun), zap.Duration("elapsed", time.Since(start)))
	return r, nil
}

// Evaluate runs checks over a snapshot (built by Observe or by hand) and
// returns the report; nil checks means the whole catalogue. It is pure.
func Evaluate(s *Snapshot, checks []*Check) *Report {
	if checks == nil {
		checks = Catalogue()
	}
	res := runChecks(s, checks)
	r := &Report{
		Schema:          ReportSchema,
		GeneratedAt:     s.ObservedAt,
		Account:         s.Account,
		Regions:         append([]string{}, s.Regions...),
		Clusters:        []string{},
		Findings:        res.findings,
		Incomplete:      res.incomplete,
		Warnings:        append([]string(nil), s.Warnings...),
		MissingClusters: append([]ClusterRef(nil), s.MissingClusters...),
		snapshot:        s,
	}
	found := map[string]bool{}
	for _, c := range s.Clusters {
		r.Clusters = append(r.Clusters, c.ARN)
		found[c.Region] = true
	}
	for _, m := range s.MissingClusters {
		found[m.Region] = true
	}
	for _, region := range s.Regions {
		if !found[region] {
			r.NoClustersIn = append(r.NoClustersIn, region)
		}
	}
	for _, c := range checks {
		if c.NeedsSpec && s.Spec == nil {
			continue
		}
		r.Checks = append(r.Checks, CheckInfo{ID: c.ID, Title: c.Title, Severity: c.Severity, DocURL: c.DocURL, Rationale: c.Rationale, Remedy: c.Remedy})
	}
	r.Inventory = inventory(s)
	r.normalize()
	r.Finalize()
	r.Summary.ChecksRun = res.run
	r.Summary.ChecksIncomplete = len(res.partial)
	return r
}

// normalize sorts, fills empty lists and recounts the findings.
func (r *Report) normalize() {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Incomplete == nil {
		r.Incomplete = []Incomplete{}
	}
	if r.Regions == nil {
		r.Regions = []string{}
	}
	if r.Clusters == nil {
		r.Clusters = []string{}
	}
	if r.Checks == nil {
		r.Checks = []CheckInfo{}
	}
	sortFindings(r.Findings)
	sort.Strings(r.Regions)
	sort.Strings(r.Clusters)
	sort.Slice(r.Checks, func(i, j int) bool { return r.Checks[i].ID < r.Checks[j].ID })
	r.Summary.BySeverity = map[string]int{}
	for s := iamtrust.SeverityInfo; s <= iamtrust.SeverityCritical; s++ {
		r.Summary.BySeverity[s.String()] = 0
	}
	for _, f := range r.Findings {
		r.Summary.BySeverity[f.Severity.String()]++
	}
	r.Summary.Findings = len(r.Findings)
}

// findingKey identifies a finding for Merge: the same check about the same
// resource of the same account, region and cluster, with the same evidence.
func findingKey(f Finding) string {
	return strings.Join([]string{f.Check, f.Account, f.Region, f.Cluster, f.Resource, f.Expected, f.Actual, f.Message}, "\x00")
}

// Snapshot returns the snapshot the report was made from; nil for a
// decoded or merged report.
func (r *Report) Snapshot() *Snapshot { return r.snapshot }

// AtOrAbove returns the findings whose severity is at least min.
func (r *Report) AtOrAbove(min iamtrust.Severity) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity >= min {
			out = append(out, f)
		}
	}
	return out
}

// JSON renders the report as an indented JSON document.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SchemaError reports a document that is not a version 1 audit report.
type SchemaError struct {
	// Schema is the schema the document declares.
	Schema string
}

// Error names the schema found and the one expected.
func (e *SchemaError) Error() string {
	return fmt.Sprintf("audit: report schema %q is not %q", e.Schema, ReportSchema)
}

// DecodeReport reads a JSON report and checks its schema. The report's
// fixes have no Run functions: run Audit again to fix.
func DecodeReport(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("audit: decode report: %w", err)
	}
	if r.Schema != ReportSchema {
		return nil, &SchemaError{Schema: r.Schema}
	}
	r.normalize()
	return &r, nil
}

// Merge joins reports of shards or accounts into one. Findings and
// incomplete entries are concatenated and sorted, each kept once: a finding
// that an earlier report holds already (the same report given twice,
// overlapping shards) is dropped with a warning in Warnings; the summary is
// recounted
// (checks run and incomplete are the distinct checks); Account is kept when
// every report has the same, else Accounts lists them.
func Merge(reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("audit: merge: no reports")
	}
	out := &Report{Schema: ReportSchema}
	accounts := map[string]bool{}
	regions := map[string]bool{}
	clusters := map[string]bool{}
	checks := map[string]CheckInfo{}
	run := map[string]bool{}
	partial := map[string]bool{}
	seenInc := map[[2]string]bool{}
	seenFinding := map[string]bool{}
	seenWarning := map[string]bool{}
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("audit: merge: report %d is nil", i)
		}
		if r.Schema != ReportSchema {
			return nil, &SchemaError{Schema: r.Schema}
		}
		if r.GeneratedAt.After(out.GeneratedAt) {
			out.GeneratedAt = r.GeneratedAt
		}
		if r.Account != "" {
			accounts[r.Account] = true
		}
		for _, a := range r.Accounts {
			accounts[a] = true
		}
		for _, x := range r.Regions {
			regions[x] = true
		}
		for _, x := range r.Clusters {
			clusters[x] = true
		}
		for _, c := range r.Checks {
			checks[c.ID] = c
			run[c.ID] = true
		}
		repeated := 0
		for _, f := range r.Findings {
			key := findingKey(f)
			if seenFinding[key] {
				repeated++
				continue
			}
			seenFinding[key] = true
			out.Findings = append(out.Findings, f)
		}
		if repeated > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("merge: report %d repeats %d finding(s) of an earlier report (the same report given twice, or overlapping shards); each finding is kept once", i+1, repeated))
		}
		for _, w := range r.Warnings {
			if !seenWarning[w] {
				seenWarning[w] = true
				out.Warnings = append(out.Warnings, w)
			}
		}
		out.MissingClusters = append(out.MissingClusters, r.MissingClusters...)
		for _, in := range r.Incomplete {
			key := [2]string{in.Check, in.Resource}
			if !seenInc[key] {
				seenInc[key] = true
				out.Incomplete = append(out.Incomplete, in)
			}
			partial[in.Check] = true
		}
	}
	// A region is empty in the merged report when no report found a
	// cluster there.
	withClusters := map[string]bool{}
	for c := range clusters {
		if parts := strings.SplitN(c, ":", 5); len(parts) == 5 {
			withClusters[parts[3]] = true
		}
	}
	empty := map[string]bool{}
	for _, r := range reports {
		for _, region := range r.NoClustersIn {
			if !withClusters[region] {
				empty[region] = true
			}
		}
	}
	if len(empty) > 0 {
		out.NoClustersIn = sortedKeys(empty)
	}
	accs := sortedKeys(accounts)
	if len(accs) == 1 {
		out.Account = accs[0]
	} else {
		out.Accounts = accs
	}
	out.Regions, out.Clusters = sortedKeys(regions), sortedKeys(clusters)
	for _, id := range sortedKeysOf(checks) {
		out.Checks = append(out.Checks, checks[id])
	}
	sort.SliceStable(out.Incomplete, func(i, j int) bool {
		a, b := out.Incomplete[i], out.Incomplete[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Resource < b.Resource
	})
	out.normalize()
	out.Summary.ChecksRun = len(run)
	out.Summary.ChecksIncomplete = len(partial)
	return out, nil
}

// selected reports whether f matches the selection.
func (sel Selection) selected(f *Finding) bool {
	if f.Severity < sel.MinSeverity {
		return false
	}
	if len(sel.Checks) > 0 {
		ok := false
		for _, id := range sel.Checks {
			if strings.EqualFold(id, f.Check) {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(sel.Resources) > 0 {
		ok := false
		for _, r := range sel.Resources {
			if r == f.Resource {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
