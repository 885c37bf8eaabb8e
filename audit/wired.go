package audit

import (
	"slices"
	"sort"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
)

// Kinds of wired roles: why a role matters to an audited cluster.
const (
	// KindCluster is a cluster's IAM role.
	KindCluster = "cluster"
	// KindPodExecution is a Fargate profile's pod execution role.
	KindPodExecution = "pod-execution"
	// KindAddon is the service account role of a managed add-on.
	KindAddon = "addon"
	// KindVPCCNI is the service account role of the vpc-cni add-on (also
	// KindAddon).
	KindVPCCNI = "vpc-cni"
	// KindIRSA is a role that trusts a cluster's OIDC provider or that a
	// ServiceAccount names in its eks.amazonaws.com/role-arn annotation.
	KindIRSA = "irsa"
	// KindSpec is a role the target's spec declares.
	KindSpec = "spec"
)

// WiredRole is an IAM role wired to an audited cluster, with the reasons.
type WiredRole struct {
	// Role is the observed role.
	Role *Role
	// Kinds are the Kind… constants that apply, sorted.
	Kinds []string
	// Clusters are the clusters the role is wired to.
	Clusters []*Cluster
	// Addons are the names of the add-ons that use the role.
	Addons []string
	// SpecPolicies are the managed policy ARNs a spec declares for the
	// role (IRSA ServiceAccount roles, ExtraManagedPolicyARNs).
	SpecPolicies []string
	// SpecInline are the inline policy names a spec declares.
	SpecInline []string
}

// Is reports whether the role has the kind.
func (w *WiredRole) Is(kind string) bool { return slices.Contains(w.Kinds, kind) }

// WiredRoles returns every role wired to the snapshot's clusters: the
// cluster roles, the pod execution roles, the add-ons' roles, every role
// that trusts a cluster's OIDC provider whether or not a ServiceAccount
// names it, the roles ServiceAccounts name, and the roles the spec declares.
// Roles that do not exist in the account are left out. The order is by ARN.
func (s *Snapshot) WiredRoles() []*WiredRole {
	byARN := map[string]*WiredRole{}
	get := func(r *Role) *WiredRole {
		w := byARN[r.ARN]
		if w == nil {
			w = &WiredRole{Role: r}
			byARN[r.ARN] = w
		}
		return w
	}
	mark := func(r *Role, kind string, c *Cluster) *WiredRole {
		w := get(r)
		if !slices.Contains(w.Kinds, kind) {
			w.Kinds = append(w.Kinds, kind)
		}
		if c != nil && !slices.Contains(w.Clusters, c) {
			w.Clusters = append(w.Clusters, c)
		}
		return w
	}
	for _, c := range s.Clusters {
		if r := s.Role(c.RoleARN); r != nil {
			mark(r, KindCluster, c)
		}
		for _, p := range c.FargateProfiles {
			if r := s.Role(p.PodExecutionRoleARN); r != nil {
				mark(r, KindPodExecution, c)
			}
		}
		for _, a := range c.Addons {
			if r := s.Role(a.ServiceAccountRoleARN); r != nil {
				w := mark(r, KindAddon, c)
				if a.Name == "vpc-cni" {
					mark(r, KindVPCCNI, c)
				}
				if !slices.Contains(w.Addons, a.Name) {
					w.Addons = append(w.Addons, a.Name)
				}
			}
		}
		if c.Kube != nil {
			for _, sa := range c.Kube.ServiceAccounts {
				if r := s.Role(sa.RoleARN); r != nil {
					mark(r, KindIRSA, c)
				}
			}
		}
		if c.OIDCIssuer != "" {
			for _, r := range s.Roles {
				if trustNamesIssuer(r, s.Partition, s.Account, c.OIDCIssuer) {
					mark(r, KindIRSA, c)
				}
			}
		}
	}
	if sp := s.Spec; sp != nil {
		c := s.Cluster(sp.Region, sp.Name)
		byName := func(name string) *Role {
			for _, r := range s.Roles {
				if r.Name == name {
					return r
				}
			}
			return nil
		}
		specRole := func(arn, name string) *Role {
			if arn != "" {
				return s.Role(arn)
			}
			if name != "" {
				return byName(name)
			}
			return nil
		}
		if r := specRole(sp.ClusterRole.ARN, sp.ClusterRole.Name); r != nil {
			w := mark(r, KindSpec, c)
			mark(r, KindCluster, c)
			w.SpecPolicies = append(w.SpecPolicies, sp.ClusterRole.ExtraManagedPolicyARNs...)
		}
		if r := specRole(sp.PodExecutionRole.ARN, sp.PodExecutionRole.Name); r != nil {
			w := mark(r, KindSpec, c)
			mark(r, KindPodExecution, c)
			w.SpecPolicies = append(w.SpecPolicies, sp.PodExecutionRole.ExtraManagedPolicyARNs...)
		}
		for _, sa := range sp.IRSA.ServiceAccounts {
			name := sa.RoleName
			if name == "" {
				name = irsa.DefaultRoleName(sp.Name, sa.Namespace, sa.Name)
			}
			if r := byName(name); r != nil {
				w := mark(r, KindSpec, c)
				mark(r, KindIRSA, c)
				w.SpecPolicies = append(w.SpecPolicies, sa.ManagedPolicyARNs...)
				for n := range sa.InlinePolicies {
					w.SpecInline = append(w.SpecInline, n)
				}
			}
		}
	}
	out := make([]*WiredRole, 0, len(byARN))
	for _, w := range byARN {
		sort.Strings(w.Kinds)
		sort.Strings(w.Addons)
		sort.Strings(w.SpecInline)
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role.ARN < out[j].Role.ARN })
	return out
}

// Permissions returns the role's identity-based policies and boundary as
// iamtrust evaluates them: attached managed policies at their default
// version, inline policies, and the boundary. A policy whose document was
// not read or did not parse is left out and named in missing.
func (s *Snapshot) Permissions(r *Role) (p *iamtrust.Permissions, missing []string) {
	p = &iamtrust.Permissions{Partition: s.Partition}
	for _, ap := range r.AttachedPolicies {
		mp := s.Policies[ap.ARN]
		if mp == nil || mp.Doc == nil {
			missing = append(missing, ap.ARN)
			continue
		}
		p.Policies = append(p.Policies, iamtrust.PermissionPolicy{Source: ap.ARN, Doc: mp.Doc})
	}
	for _, ip := range r.InlinePolicies {
		if ip.Doc == nil {
			missing = append(missing, "inline:"+ip.Name)
			continue
		}
		p.Policies = append(p.Policies, iamtrust.PermissionPolicy{Source: "inline:" + ip.Name, Doc: ip.Doc})
	}
	if b := r.PermissionsBoundary; b != "" {
		mp := s.Policies[b]
		if mp == nil || mp.Doc == nil {
			// An unreadable boundary is treated as absent: the audit then
			// reports at most what the identity policies allow.
			missing = append(missing, b+" (boundary)")
		} else {
			p.Boundary = &iamtrust.PermissionPolicy{Source: b + " (boundary)", Doc: mp.Doc}
		}
	}
	return p, missing
}
