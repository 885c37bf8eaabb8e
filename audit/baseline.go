package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// Finding statuses against a baseline.
const (
	// StatusNew is a finding the baseline does not hold (every finding of
	// an audit without a baseline).
	StatusNew = "new"
	// StatusPersisting is a finding the baseline holds too.
	StatusPersisting = "persisting"
)

// Parts of a role in a PermissionChange.
const (
	// PartTrust is the role's trust policy.
	PartTrust = "trust"
	// PartPermissions are the role's attached and inline policies.
	PartPermissions = "permissions"
	// PartBoundary is the role's permissions boundary.
	PartBoundary = "boundary"
)

// RoleInventory is what a report keeps of a wired role's permissions, so
// that it can serve as the next run's baseline: the canonical documents
// (iamtrust.Canonical), and a digest of them all.
type RoleInventory struct {
	// ARN of the role.
	ARN string `json:"arn"`
	// Digest is a stable hash of everything below; equal digests mean no
	// permission change.
	Digest string `json:"digest"`
	// Trust is the canonical trust policy.
	Trust string `json:"trust,omitempty"`
	// Policies are the canonical documents of the attached managed
	// policies (by ARN, at their default version) and inline policies (by
	// "inline:NAME").
	Policies map[string]string `json:"policies"`
	// Boundary is the boundary's ARN, and BoundaryPolicy its canonical
	// document.
	Boundary       string `json:"boundary,omitempty"`
	BoundaryPolicy string `json:"boundaryPolicy,omitempty"`
}

// PermissionChange is one difference of a role's permissions from the
// baseline, whether or not a check judges it bad: the permission-drift
// record.
type PermissionChange struct {
	// Resource is the role's ARN.
	Resource string `json:"resource"`
	// Part is PartTrust, PartPermissions or PartBoundary.
	Part string `json:"part"`
	// Policy is the policy that changed: "trust policy", a managed policy
	// ARN, "inline:NAME", or the boundary's ARN.
	Policy string `json:"policy"`
	// Added and Removed are the semantic differences (iamtrust.Diff
	// paths), or the whole policy when it was attached or detached.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// fingerprintOf identifies a finding across runs: the same check about the
// same resource with the same evidence.
func fingerprintOf(f Finding) string {
	h := sha256.Sum256([]byte(strings.Join([]string{f.Check, f.Account, f.Region, f.Cluster, f.Resource, f.Expected, f.Actual}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// inventory records the permissions of the snapshot's wired roles: each
// document as written (compact JSON), and a digest of their canonical forms,
// so that IAM's rewriting never changes the digest.
func inventory(s *Snapshot) []RoleInventory {
	var out []RoleInventory
	text := func(d *iamtrust.Document, src string) string {
		if d == nil {
			return src
		}
		return d.String()
	}
	for _, w := range s.WiredRoles() {
		r := w.Role
		if !r.PoliciesRead {
			continue
		}
		inv := RoleInventory{ARN: r.ARN, Trust: text(r.Trust, r.TrustSource), Policies: map[string]string{}, Boundary: r.PermissionsBoundary}
		for _, ap := range r.AttachedPolicies {
			if mp := s.Policies[ap.ARN]; mp != nil {
				inv.Policies[ap.ARN] = text(mp.Doc, mp.Source)
			} else {
				inv.Policies[ap.ARN] = ""
			}
		}
		for _, ip := range r.InlinePolicies {
			inv.Policies["inline:"+ip.Name] = text(ip.Doc, ip.Source)
		}
		if b := r.PermissionsBoundary; b != "" {
			if mp := s.Policies[b]; mp != nil {
				inv.BoundaryPolicy = text(mp.Doc, mp.Source)
			}
		}
		inv.Digest = inv.digest()
		out = append(out, inv)
	}
	return out
}

// canonicalText is the canonical form of a document's text, or the text
// itself when it does not parse.
func canonicalText(src string) string {
	if src == "" {
		return ""
	}
	d, err := iamtrust.Parse([]byte(src))
	if err != nil {
		return src
	}
	return iamtrust.Canonical(d).String()
}

func (inv RoleInventory) digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "trust\x00%s\x00boundary\x00%s\x00%s", canonicalText(inv.Trust), inv.Boundary, canonicalText(inv.BoundaryPolicy))
	keys := make([]string, 0, len(inv.Policies))
	for k := range inv.Policies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s\x00%s", k, canonicalText(inv.Policies[k]))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// BaselineError is a baseline that cannot serve: of another account, of
// another schema, or unreadable. The job must not compare against nothing.
type BaselineError struct {
	// Reason says what is wrong.
	Reason string
}

// Error says why the baseline cannot serve.
func (e *BaselineError) Error() string { return "audit: baseline: " + e.Reason }

// ApplyBaseline compares r with an earlier report of the same account (or
// a merged fleet report that holds it): each finding gets Status and
// FirstSeen (a persisting finding keeps the baseline's), the baseline's
// findings no longer found go to Resolved, and every change of a role's
// trust, policies or boundary goes to PermissionChanges, compared
// semantically (IAM's rewriting is never a change). Without a baseline,
// Finalize gives every finding StatusNew.
func ApplyBaseline(r, base *Report) error {
	if base == nil {
		return &BaselineError{Reason: "no baseline report"}
	}
	if base.Schema != ReportSchema {
		return &BaselineError{Reason: fmt.Sprintf("schema %q is not %q", base.Schema, ReportSchema)}
	}
	accounts := reportAccounts(r)
	baseAccounts := reportAccounts(base)
	for _, a := range accounts {
		if !slices.Contains(baseAccounts, a) {
			return &BaselineError{Reason: fmt.Sprintf("it holds account(s) %s, not %s: compare a report only with an earlier report of the same account (or a merged report of its fleet)", strings.Join(baseAccounts, ", "), a)}
		}
	}
	r.Finalize()
	inScope := func(f Finding) bool {
		return slices.Contains(accounts, f.Account) && (len(r.Regions) == 0 || f.Region == "" || slices.Contains(r.Regions, f.Region))
	}
	old := map[string]Finding{}
	for _, f := range base.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = fingerprintOf(f)
		}
		old[fp] = f
	}
	for _, f := range base.Suppressed {
		old[f.Finding.Fingerprint] = f.Finding
	}
	seen := map[string]bool{}
	mark := func(f *Finding) {
		seen[f.Fingerprint] = true
		if o, ok := old[f.Fingerprint]; ok {
			f.Status = StatusPersisting
			if o.FirstSeen != nil {
				f.FirstSeen = o.FirstSeen
			}
		}
	}
	for i := range r.Findings {
		mark(&r.Findings[i])
	}
	for i := range r.Suppressed {
		mark(&r.Suppressed[i].Finding)
	}
	r.Resolved = []Finding{}
	for _, f := range base.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = fingerprintOf(f)
		}
		if !seen[fp] && inScope(f) {
			r.Resolved = append(r.Resolved, f)
		}
	}
	sortFindings(r.Resolved)
	r.PermissionChanges = permissionChanges(base.Inventory, r.Inventory)
	r.BaselineAt = timePtr(base.GeneratedAt)
	return nil
}

// reportAccounts lists the accounts a report covers.
func reportAccounts(r *Report) []string {
	if len(r.Accounts) > 0 {
		return r.Accounts
	}
	if r.Account != "" {
		return []string{r.Account}
	}
	return nil
}

// permissionChanges compares two inventories role by role. A role absent
// from the baseline is new (every grant of it added); one absent now is
// not reported (its findings, if any, are resolved).
func permissionChanges(before, after []RoleInventory) []PermissionChange {
	old := map[string]RoleInventory{}
	for _, inv := range before {
		old[inv.ARN] = inv
	}
	out := []PermissionChange{}
	for _, now := range after {
		was, ok := old[now.ARN]
		if ok && was.Digest == now.Digest {
			continue
		}
		if !ok {
			was = RoleInventory{ARN: now.ARN, Policies: map[string]string{}}
		}
		if c, changed := docChange(now.ARN, PartTrust, "trust policy", was.Trust, now.Trust); changed {
			out = append(out, c)
		}
		names := map[string]bool{}
		for k := range was.Policies {
			names[k] = true
		}
		for k := range now.Policies {
			names[k] = true
		}
		for _, k := range sortedKeys(names) {
			a, inA := was.Policies[k]
			b, inB := now.Policies[k]
			switch {
			case inA && !inB:
				out = append(out, PermissionChange{Resource: now.ARN, Part: PartPermissions, Policy: k, Added: []string{}, Removed: []string{policyLabel(k, "detached or deleted")}})
			case !inA && inB:
				c, _ := docChange(now.ARN, PartPermissions, k, "", b)
				c.Added = append([]string{policyLabel(k, "attached or put")}, c.Added...)
				out = append(out, c)
			default:
				if c, changed := docChange(now.ARN, PartPermissions, k, a, b); changed {
					out = append(out, c)
				}
			}
		}
		if was.Boundary != now.Boundary {
			c := PermissionChange{Resource: now.ARN, Part: PartBoundary, Policy: now.Boundary, Added: []string{}, Removed: []string{}}
			if now.Boundary != "" {
				c.Added = append(c.Added, "boundary "+now.Boundary)
			}
			if was.Boundary != "" {
				c.Removed = append(c.Removed, "boundary "+was.Boundary)
			}
			out = append(out, c)
		} else if c, changed := docChange(now.ARN, PartBoundary, now.Boundary, was.BoundaryPolicy, now.BoundaryPolicy); changed {
			out = append(out, c)
		}
	}
	return out
}

func policyLabel(k, verb string) string {
	if strings.HasPrefix(k, "inline:") {
		return "inline policy " + strings.TrimPrefix(k, "inline:") + " " + verb
	}
	return "policy " + k + " " + verb
}

// docChange diffs two canonical documents semantically.
func docChange(role, part, policy, a, b string) (PermissionChange, bool) {
	c := PermissionChange{Resource: role, Part: part, Policy: policy, Added: []string{}, Removed: []string{}}
	if a == b {
		return c, false
	}
	da, errA := parseOrEmpty(a)
	db, errB := parseOrEmpty(b)
	if errA != nil || errB != nil {
		// Unparsable text: compare as text.
		if a != "" {
			c.Removed = append(c.Removed, a)
		}
		if b != "" {
			c.Added = append(c.Added, b)
		}
		return c, true
	}
	diffs := iamtrust.Diff(da, db)
	if len(diffs) == 0 {
		return c, false
	}
	for _, d := range diffs {
		if d.Path == "Version" && (a == "" || b == "") {
			continue // a policy attached or detached whole: its statements say it
		}
		switch {
		case d.Before == "":
			c.Added = append(c.Added, d.Path+": "+d.After)
		case d.After == "":
			c.Removed = append(c.Removed, d.Path+": "+d.Before)
		default:
			c.Removed = append(c.Removed, d.Path+": "+d.Before)
			c.Added = append(c.Added, d.Path+": "+d.After)
		}
	}
	return c, true
}

func parseOrEmpty(s string) (*iamtrust.Document, error) {
	if s == "" {
		return &iamtrust.Document{}, nil
	}
	return iamtrust.Parse([]byte(s))
}

// Finalize fills what every report carries whatever its baseline: each
// finding's Fingerprint, Status (new unless a baseline said otherwise) and
// FirstSeen (the report's time unless a baseline said otherwise). Audit
// calls it; call it again after adding findings by hand.
func (r *Report) Finalize() {
	now := r.GeneratedAt.UTC()
	fill := func(f *Finding) {
		if f.Fingerprint == "" {
			f.Fingerprint = fingerprintOf(*f)
		}
		if f.Status == "" {
			f.Status = StatusNew
		}
		if f.FirstSeen == nil {
			t := now
			f.FirstSeen = &t
		}
	}
	for i := range r.Findings {
		fill(&r.Findings[i])
	}
	for i := range r.Suppressed {
		fill(&r.Suppressed[i].Finding)
	}
	if r.Resolved == nil {
		r.Resolved = []Finding{}
	}
	if r.PermissionChanges == nil {
		r.PermissionChanges = []PermissionChange{}
	}
}

// NewFindings returns the findings whose Status is StatusNew.
func (r *Report) NewFindings() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status != StatusPersisting {
			out = append(out, f)
		}
	}
	return out
}

// timePtr returns a pointer to t in UTC.
func timePtr(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}
