package irsa

import (
	"errors"
	"strings"
)

// ErrPodIdentityOnFargate is the error every fargatekit API returns instead
// of creating an EKS Pod Identity association for a Fargate-only cluster.
// The EKS Pod Identity agent is a DaemonSet, and DaemonSets do not run on
// Fargate, so pods on Fargate never receive Pod Identity credentials; use an
// IAM role for the service account (a ServiceAccountRole and Plan) instead.
var ErrPodIdentityOnFargate = errors.New("EKS Pod Identity does not work for pods on AWS Fargate (its agent is a DaemonSet, and DaemonSets do not run on Fargate); use IAM roles for service accounts instead: declare a ServiceAccountRole and run irsa.Plan")

// PodIdentityError refuses Pod Identity associations for a Fargate-only
// cluster. errors.Is(err, ErrPodIdentityOnFargate) holds.
type PodIdentityError struct {
	// Cluster is the cluster's name.
	Cluster string
	// ServiceAccounts are the associations' ServiceAccounts.
	ServiceAccounts []ServiceAccountRef
}

// Error names the ServiceAccounts and points to IRSA.
func (e *PodIdentityError) Error() string {
	names := make([]string, len(e.ServiceAccounts))
	for i, sa := range e.ServiceAccounts {
		names[i] = sa.String()
	}
	return "irsa: cluster " + e.Cluster + " is Fargate-only: no Pod Identity association for " +
		strings.Join(names, ", ") + ": " + ErrPodIdentityOnFargate.Error()
}

// Unwrap returns ErrPodIdentityOnFargate.
func (e *PodIdentityError) Unwrap() error { return ErrPodIdentityOnFargate }

// ValidatePodIdentity is the check every API that would create an EKS Pod
// Identity association calls first. For a Fargate-only cluster it returns a
// *PodIdentityError naming the ServiceAccounts; otherwise, or when there are
// no ServiceAccounts, nil.
func ValidatePodIdentity(cluster string, fargateOnly bool, serviceAccounts ...ServiceAccountRef) error {
	if !fargateOnly || len(serviceAccounts) == 0 {
		return nil
	}
	return &PodIdentityError{Cluster: cluster, ServiceAccounts: append([]ServiceAccountRef(nil), serviceAccounts...)}
}
