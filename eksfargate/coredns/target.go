package coredns

import (
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/fargatekit/fargatekit/internal/wildcard"
)

// Spec says whether and how CoreDNS is moved onto Fargate. It is the
// coreDNS section of a cluster spec (eksfargate.Spec.CoreDNS).
type Spec struct {
	// OnFargate; default true. With the coredns addon, its configuration
	// value computeType is set to Fargate; otherwise the pod-template
	// annotation eks.amazonaws.com/compute-type is removed and the rollout
	// restarted.
	OnFargate *bool `json:"onFargate,omitempty"`
	// WaitReady waits until the CoreDNS pods are Ready after the change.
	WaitReady bool `json:"waitReady,omitempty"`
	// WaitTimeoutSeconds bounds that wait. Default 600.
	WaitTimeoutSeconds int `json:"waitTimeoutSeconds,omitempty"`
}

// Target is what the CoreDNS step needs to know of a cluster spec: the
// cluster, the CoreDNS settings, the Fargate profiles (to find the one that
// selects the CoreDNS pods) and the coredns addon when the spec manages it.
// eksfargate.Spec.CoreDNSTarget builds it from a cluster spec.
type Target struct {
	// Cluster is the name of the EKS cluster.
	Cluster string
	// Spec is the CoreDNS section of the cluster spec.
	Spec Spec
	// Profiles are the Fargate profiles of the cluster spec, in its order.
	Profiles []Profile
	// Addon is the coredns addon of the cluster spec; nil when the spec
	// does not manage it.
	Addon *Addon
	// Observed, when set, is the coredns add-on as the caller read it in
	// the same observation (Observed.Addon nil: there is none), so that
	// Observe does not read it a second time.
	Observed *ObservedAddon
}

// ObservedAddon is the coredns add-on as the caller read it.
type ObservedAddon struct {
	// Addon is DescribeAddon's answer; nil when the cluster has no coredns
	// add-on.
	Addon *ekstypes.Addon
}

// Profile is a Fargate profile as far as CoreDNS is concerned: its name
// and selectors.
type Profile struct {
	// Name of the profile.
	Name string
	// Selectors of the profile.
	Selectors []Selector
}

// Selector is a Fargate profile selector.
type Selector struct {
	// Namespace pattern ('*' and '?' allowed).
	Namespace string
	// Labels the pod must carry (wildcards allowed in keys and values).
	Labels map[string]string
}

// Matches reports whether a pod in namespace with these labels is selected:
// the namespace matches the selector's pattern, and each of the selector's
// labels matches some label of the pod (keys and values may use the
// wildcards * and ?, as EKS allows). It is pure, and agrees with
// eksfargate.Selector.Matches.
func (sel Selector) Matches(namespace string, labels map[string]string) bool {
	return wildcard.MatchSelector(sel.Namespace, sel.Labels, namespace, labels)
}

// Addon is the coredns addon as the cluster spec manages it.
type Addon struct {
	// ResolveConflicts of the addon update that sets computeType: NONE,
	// OVERWRITE or PRESERVE; "" means OVERWRITE.
	ResolveConflicts string
}
