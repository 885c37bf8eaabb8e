package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// EKS is what the write path calls on EKS for add-ons, cluster
// configuration, access entries and pod identity associations; *eks.Client
// implements it.
type EKS interface {
	eks.DescribeAddonAPIClient
	eks.DescribeUpdateAPIClient
	eks.ListAssociatedAccessPoliciesAPIClient
	DescribeAccessEntry(ctx context.Context, params *eks.DescribeAccessEntryInput, optFns ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	CreateAddon(ctx context.Context, params *eks.CreateAddonInput, optFns ...func(*eks.Options)) (*eks.CreateAddonOutput, error)
	UpdateAddon(ctx context.Context, params *eks.UpdateAddonInput, optFns ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
	DeleteAddon(ctx context.Context, params *eks.DeleteAddonInput, optFns ...func(*eks.Options)) (*eks.DeleteAddonOutput, error)
	UpdateClusterConfig(ctx context.Context, params *eks.UpdateClusterConfigInput, optFns ...func(*eks.Options)) (*eks.UpdateClusterConfigOutput, error)
	CreateAccessEntry(ctx context.Context, params *eks.CreateAccessEntryInput, optFns ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error)
	UpdateAccessEntry(ctx context.Context, params *eks.UpdateAccessEntryInput, optFns ...func(*eks.Options)) (*eks.UpdateAccessEntryOutput, error)
	DeleteAccessEntry(ctx context.Context, params *eks.DeleteAccessEntryInput, optFns ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error)
	AssociateAccessPolicy(ctx context.Context, params *eks.AssociateAccessPolicyInput, optFns ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error)
	DisassociateAccessPolicy(ctx context.Context, params *eks.DisassociateAccessPolicyInput, optFns ...func(*eks.Options)) (*eks.DisassociateAccessPolicyOutput, error)
	DeletePodIdentityAssociation(ctx context.Context, params *eks.DeletePodIdentityAssociationInput, optFns ...func(*eks.Options)) (*eks.DeletePodIdentityAssociationOutput, error)
}

var _ EKS = (*eks.Client)(nil)

// AddonCreate creates a managed add-on. An add-on of that name that exists
// already (an earlier attempt whose answer was lost) is reported as
// exists=true with no error; the caller converges it.
func AddonCreate(ctx context.Context, api EKS, in *eks.CreateAddonInput) (exists bool, err error) {
	_, err = api.CreateAddon(ctx, in)
	var inUse *ekstypes.ResourceInUseException
	if errors.As(err, &inUse) {
		// The name is taken, or another operation runs: tell them apart.
		a, derr := observe.Addon(ctx, api, aws.ToString(in.ClusterName), aws.ToString(in.AddonName))
		if derr == nil && a != nil {
			return true, nil
		}
	}
	return false, err
}

// AddonUpdate changes an add-on in place (version, configuration values,
// service-account role) and returns EKS's update, for WaitUpdate.
func AddonUpdate(ctx context.Context, api EKS, in *eks.UpdateAddonInput) (*ekstypes.Update, error) {
	out, err := api.UpdateAddon(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Update, nil
}

// AddonDelete deletes an add-on, keeping its Kubernetes objects when
// preserve is set; one deleted already is fine.
func AddonDelete(ctx context.Context, api EKS, cluster, name string, preserve bool) error {
	_, err := api.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name), Preserve: preserve})
	if err != nil && !observe.IsNotFound(err) {
		return err
	}
	return nil
}

// ClusterConfigUpdate sends one cluster configuration update (EKS allows
// one kind of change per call) and returns EKS's update, for WaitUpdate.
func ClusterConfigUpdate(ctx context.Context, api EKS, in *eks.UpdateClusterConfigInput) (*ekstypes.Update, error) {
	out, err := api.UpdateClusterConfig(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Update, nil
}

// AccessEntryCreate creates an access entry. One that exists already
// (created in the meantime) is reported as exists=true with no error; the
// caller converges it.
func AccessEntryCreate(ctx context.Context, api EKS, in *eks.CreateAccessEntryInput) (exists bool, err error) {
	_, err = api.CreateAccessEntry(ctx, in)
	var inUse *ekstypes.ResourceInUseException
	if errors.As(err, &inUse) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("create access entry %s: %w", aws.ToString(in.PrincipalArn), err)
	}
	return false, nil
}

// AccessEntryUpdate sets an access entry's Kubernetes groups (and username,
// when not empty). No groups is sent as an empty list, which clears them.
func AccessEntryUpdate(ctx context.Context, api EKS, cluster, principal, username string, groups []string) error {
	if groups == nil {
		groups = []string{}
	}
	in := &eks.UpdateAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), KubernetesGroups: groups}
	if username != "" {
		in.Username = aws.String(username)
	}
	if _, err := api.UpdateAccessEntry(ctx, in); err != nil {
		return fmt.Errorf("update access entry %s: %w", principal, err)
	}
	return nil
}

// AccessEntryDelete deletes an access entry; one deleted already is fine.
func AccessEntryDelete(ctx context.Context, api EKS, cluster, principal string) error {
	_, err := api.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil && !observe.IsNotFound(err) {
		return fmt.Errorf("delete access entry %s: %w", principal, err)
	}
	return nil
}

// AccessPolicyAssociate associates an access policy with an entry, at
// cluster scope or, with namespaces, at namespace scope.
func AccessPolicyAssociate(ctx context.Context, api EKS, cluster, principal, policyARN string, namespaces []string) error {
	scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
	if len(namespaces) > 0 {
		scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: namespaces}
	}
	_, err := api.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyARN), AccessScope: scope,
	})
	return err
}

// AccessPolicyDisassociate removes an access policy from an entry; one
// removed already is fine.
func AccessPolicyDisassociate(ctx context.Context, api EKS, cluster, principal, policyARN string) error {
	_, err := api.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{
		ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyARN),
	})
	if err != nil && !observe.IsNotFound(err) {
		return err
	}
	return nil
}

// PodIdentityDelete deletes a pod identity association; one
// deleted already is fine.
func PodIdentityDelete(ctx context.Context, api EKS, cluster, id string) error {
	_, err := api.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	if err != nil && !observe.IsNotFound(err) {
		return err
	}
	return nil
}
