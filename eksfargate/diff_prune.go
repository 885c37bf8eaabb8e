package eksfargate

import (
	"context"

	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/plan"
)

// BlockedDestructive is the Blocked text of a delete that prunes what the
// spec no longer names, when Options.AllowDestructive is not set.
const BlockedDestructive = "pass --allow-destructive (Options.AllowDestructive) to delete it"

const reqPrune = "the spec is complete: what carries the cluster's ownership tag (" + OwnerTag + ") but is no longer in the spec is deleted; remove the tag to keep it"

// pruneSummary says why a resource is pruned.
func (d *differ) pruneSummary() string {
	return "not in the spec (tagged " + OwnerTag + "=" + d.s.Name + ")"
}

// blocked is the Blocked text of a prune: empty with AllowDestructive.
func (d *differ) blocked() string {
	if d.allowDestructive {
		return ""
	}
	return BlockedDestructive
}

// prune plans deleting the Fargate profiles and add-ons that carry
// OwnerTag with the cluster's name but that the spec no longer names.
// Untagged ones are never touched. Profiles are deleted one at a time (the
// profiles' Serial key), after the spec's profiles are created and ACTIVE,
// so that the profile that now selects their pods exists first.
func (d *differ) prune() {
	if d.snap.Cluster == nil || d.snap.Cluster.Status == ekstypes.ClusterStatusDeleting {
		return
	}
	serial := "eks.fargate-profile/" + d.s.Name
	profileDeps := append([]string{}, d.profileIDs...)
	others := append([]ekstypes.FargateProfile{}, d.snap.OtherFargateProfiles...)
	sort.Slice(others, func(i, j int) bool {
		return aws.ToString(others[i].FargateProfileName) < aws.ToString(others[j].FargateProfileName)
	})
	for _, p := range others {
		if !d.owned(p.Tags) {
			continue
		}
		name := aws.ToString(p.FargateProfileName)
		summary := d.pruneSummary()
		if p.Status == ekstypes.FargateProfileStatusDeleting {
			summary += "; wait until deleted (now DELETING)"
		}
		if lost := d.unselectedNamespaces(p); len(lost) > 0 {
			summary += "; no remaining profile selects " + strings.Join(lost, ", ") + ": pods of namespace " + strings.Join(lost, ", ") + " will stay Pending"
		}
		ch := plan.Change{ID: "eks.fargate-profile/" + d.s.Name + "/" + name + "#prune", Kind: KindFargateProfile,
			Resource: d.s.Name + "/" + name, Action: plan.Delete, Summary: summary,
			Before: liveProfileView(p, p.Tags), Requirement: reqPrune,
			DependsOn: profileDeps, Serial: serial, Blocked: d.blocked()}
		d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.deleteProfile(ctx, name, r)
		}})
	}
	for _, n := range specSortedKeys(d.snap.OtherAddons) {
		a := d.snap.OtherAddons[n]
		if a == nil || !d.owned(a.Tags) {
			continue
		}
		summary := d.pruneSummary()
		if a.Status == ekstypes.AddonStatusDeleting {
			summary += "; wait until deleted (now DELETING)"
		}
		if r := aws.ToString(a.ServiceAccountRoleArn); r != "" {
			summary += "; before its service-account role " + r[strings.LastIndexByte(r, '/')+1:]
		}
		name := n
		ch := plan.Change{ID: "eks.addon/" + d.s.Name + "/" + name + "#prune", Kind: KindAddon,
			Resource: d.s.Name + "/" + name, Action: plan.Delete, Summary: summary, Before: liveAddonView(a),
			Requirement: reqPrune, DependsOn: append([]string{}, d.clusterIDs...), Blocked: d.blocked()}
		d.pruneAddonIDs = append(d.pruneAddonIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.deleteAddon(ctx, name, r)
		}}))
	}
}

// unselectedNamespaces returns the namespaces of a pruned profile's
// selectors whose pods no profile of the spec selects any more: a spec
// selector covers a pruned one when it has the same namespace and its
// labels are a subset of the pruned selector's.
func (d *differ) unselectedNamespaces(p ekstypes.FargateProfile) []string {
	seen := map[string]bool{}
	var lost []string
	for _, old := range p.Selectors {
		ns := aws.ToString(old.Namespace)
		covered := false
		for _, sp := range d.s.FargateProfiles {
			for _, sel := range sp.Selectors {
				if sel.Namespace == ns && labelsSubset(sel.Labels, old.Labels) {
					covered = true
				}
			}
		}
		if !covered && !seen[ns] {
			seen[ns] = true
			lost = append(lost, ns)
		}
	}
	sort.Strings(lost)
	return lost
}

// labelsSubset reports whether every label of sub is in of.
func labelsSubset(sub, of map[string]string) bool {
	for k, v := range sub {
		if w, ok := of[k]; !ok || w != v {
			return false
		}
	}
	return true
}
