package irsa

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// IAM's default quotas, which an account can only raise (Service Quotas).
// A role within them fits in every account, so plan reads the account's
// quotas (iam:GetAccountSummary) only for a role beyond them.
const (
	// DefaultAssumeRolePolicySizeQuota is the default largest trust
	// policy, in characters without whitespace.
	DefaultAssumeRolePolicySizeQuota = 2048
	// DefaultAttachedPoliciesPerRoleQuota is the default number of managed
	// policies a role may have attached.
	DefaultAttachedPoliciesPerRoleQuota = 10
)

// Quotas are the account's IAM quotas that bound a ServiceAccountRole, from
// GetAccountSummary.
type Quotas struct {
	// AssumeRolePolicySize is AssumeRolePolicySizeQuota.
	AssumeRolePolicySize int
	// AttachedPoliciesPerRole is AttachedPoliciesPerRoleQuota.
	AttachedPoliciesPerRole int
}

// CapacityError is a role that would not fit the account's IAM quotas: a
// trust policy longer than AssumeRolePolicySizeQuota (a role shared by many
// ServiceAccounts) or more managed policies than AttachedPoliciesPerRoleQuota.
// Plan returns it before any write.
type CapacityError struct {
	// Field is the spec field of the role, such as "roles[2]".
	Field string
	// Role is the role name.
	Role string
	// What is "trust policy" or "attached managed policies".
	What string
	// Size is the planned size: characters without whitespace, or the
	// number of policies.
	Size int
	// Quota is the account's quota.
	Quota int
	// QuotaRead is false when the quota is IAM's default because the
	// account's could not be read.
	QuotaRead bool
}

// Error names the role, the size, the quota and the ways out.
func (e *CapacityError) Error() string {
	src := "the account's quota"
	if !e.QuotaRead {
		src = "IAM's default quota (the account's was not read)"
	}
	if e.What == "trust policy" {
		return fmt.Sprintf("irsa: %s: the trust policy of role %s would be %d characters without whitespace, over %s AssumeRolePolicySizeQuota of %d; "+
			"split the role (one per workload), ask for a higher quota (Service Quotas: IAM, Role trust policy length), "+
			"or trust a namespace pattern (allowWildcardSubjects with system:serviceaccount:NS:*), which lets every ServiceAccount of the namespace, present and future, assume the role",
			e.Field, e.Role, e.Size, src, e.Quota)
	}
	return fmt.Sprintf("irsa: %s: role %s would have %d managed policies attached, over %s AttachedPoliciesPerRoleQuota of %d; "+
		"merge policies into fewer customer managed ones, use inline policies, split the role, or ask for a higher quota (Service Quotas: IAM, Managed policies per role)",
		e.Field, e.Role, e.Size, src, e.Quota)
}

// PolicySize counts a policy document's characters without whitespace, as
// IAM counts them against its size quotas.
func PolicySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// beyondDefaults reports whether a desired role needs more than IAM's
// default quotas allow.
func beyondDefaults(d *desired) bool {
	for _, r := range d.roles {
		if PolicySize(r.trust.String()) > DefaultAssumeRolePolicySizeQuota || len(r.managed) > DefaultAttachedPoliciesPerRoleQuota {
			return true
		}
	}
	return false
}

// observeQuotas reads the account's quotas, only when a role needs more than
// the defaults.
func observeQuotas(ctx context.Context, api observe.AccountSummaryAPI, d *desired, s *Snapshot) error {
	if !beyondDefaults(d) {
		return nil
	}
	summary, err := observe.AccountSummary(ctx, api)
	if err != nil {
		return fmt.Errorf("irsa: a role needs more than IAM's default quotas, and the account's could not be read (iam:GetAccountSummary): %w", err)
	}
	s.Quotas = &Quotas{
		AssumeRolePolicySize:    int(summary["AssumeRolePolicySizeQuota"]),
		AttachedPoliciesPerRole: int(summary["AttachedPoliciesPerRoleQuota"]),
	}
	return nil
}

// checkCapacity returns a *CapacityError for the first role that would not
// fit: pure, over the snapshot's quotas (IAM's defaults when not read).
func checkCapacity(d *desired, s *Snapshot) error {
	q, read := Quotas{DefaultAssumeRolePolicySizeQuota, DefaultAttachedPoliciesPerRoleQuota}, false
	if s.Quotas != nil {
		read = true
		if s.Quotas.AssumeRolePolicySize > 0 {
			q.AssumeRolePolicySize = s.Quotas.AssumeRolePolicySize
		}
		if s.Quotas.AttachedPoliciesPerRole > 0 {
			q.AttachedPoliciesPerRole = s.Quotas.AttachedPoliciesPerRole
		}
	}
	for _, r := range d.roles {
		if n := PolicySize(r.trust.String()); n > q.AssumeRolePolicySize {
			return &CapacityError{Field: r.field, Role: r.name, What: "trust policy", Size: n, Quota: q.AssumeRolePolicySize, QuotaRead: read}
		}
		// Out-of-band policies count too unless they are to be detached.
		n := len(r.managed)
		if live := s.Roles[r.name]; live != nil && !r.spec.DetachUnmanagedPolicies {
			for _, p := range live.ManagedPolicyARNs {
				if !containsFold(r.managed, p) {
					n++
				}
			}
		}
		if n > q.AttachedPoliciesPerRole {
			return &CapacityError{Field: r.field, Role: r.name, What: "attached managed policies", Size: n, Quota: q.AttachedPoliciesPerRole, QuotaRead: read}
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
