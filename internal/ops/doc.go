// Package ops is fargatekit's one write path to AWS: every IAM and EKS
// write that more than one planner makes (roles, their trust, policies,
// boundaries and tags; OIDC providers; add-ons; cluster configuration;
// access entries and their policies; pod identity associations) is one
// function here, with one meaning of "done already" (a delete of what is
// gone, an attach of what is attached, a create whose earlier answer was
// lost) and one ownership rule: nothing that exists without the ownership
// tag of the cluster is adopted.
//
// Its waits are one loop, Poll: WaitUpdate (an EKS update, stopping at
// once on Failed or Cancelled), WaitAddonActive and WaitAddonGone, and the
// waits of eksfargate's resources, each reporting its states through the
// change's plan.Reporter.
//
// It also turns changes described as data (plan.Op) back into runnable
// changes: Binder binds an Op to clients when the change is applied, not
// when it is planned, so that a report decoded from JSON can be fixed.
//
// Reads go through package observe, which ops uses to re-observe after an
// ambiguous outcome. Plumbing for eksfargate, irsa and audit, not an API.
package ops

import "fmt"

// OwnerTag is the tag that marks a resource fargatekit manages for a
// cluster; its value is the cluster's name.
const OwnerTag = "fargatekit.io/cluster"

// OwnershipError says that a resource exists that the cluster does not
// own, so the write path will not adopt or change it.
type OwnershipError struct {
	// Resource names the resource, such as "role eksClusterRole".
	Resource string
	// Cluster is the cluster that wanted it.
	Cluster string
	// Owner is the value of its ownership tag; empty when untagged.
	Owner string
	// Err is the error that revealed the resource, if any.
	Err error
}

// Error says whose the resource is and how to proceed.
func (e *OwnershipError) Error() string {
	owner := "is not tagged " + OwnerTag + "=" + e.Cluster
	if e.Owner != "" {
		owner = "belongs to cluster " + e.Owner + " (" + OwnerTag + "=" + e.Owner + ")"
	}
	return fmt.Sprintf("%s exists and %s: fargatekit does not adopt it; pick another name, or tag it %s=%s to hand it over", e.Resource, owner, OwnerTag, e.Cluster)
}

// Unwrap returns the error that revealed the resource.
func (e *OwnershipError) Unwrap() error { return e.Err }

// Owned reports whether tags mark a resource as the cluster's (OwnerTag
// with the cluster's name), the one test of ownership the planners and the
// audit's fixes share.
func Owned(tags map[string]string, cluster string) bool {
	return cluster != "" && tags[OwnerTag] == cluster
}

// Managed reports whether tags mark a resource as fargatekit's for some
// cluster (OwnerTag with any value).
func Managed(tags map[string]string) bool { return tags[OwnerTag] != "" }

// NotOwned is the reason a change waits for (plan.Change.Blocked) when it
// would rewrite a resource fargatekit does not manage: such changes run
// only with the caller's opt-in (AllowUnowned, --allow-unowned).
func NotOwned(resource string) string {
	return resource + " is not tagged " + OwnerTag + ", so fargatekit does not manage it: allow changes to unowned resources (AllowUnowned, --allow-unowned), or tag it " + OwnerTag + "=<cluster> to hand it over"
}
