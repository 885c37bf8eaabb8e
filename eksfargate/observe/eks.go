package observe

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Cluster describes an EKS cluster (eks:DescribeCluster).
func Cluster(ctx context.Context, api eks.DescribeClusterAPIClient, name string) (*ekstypes.Cluster, error) {
	out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.Cluster, nil
}

// ClusterNames lists the region's clusters (eks:ListClusters).
func ClusterNames(ctx context.Context, api eks.ListClustersAPIClient) ([]string, error) {
	var all []string
	p := eks.NewListClustersPaginator(api, &eks.ListClustersInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Clusters...)
	}
	return all, nil
}

// ClusterVersions reads the region's Kubernetes version catalogue, every
// status included (eks:DescribeClusterVersions).
func ClusterVersions(ctx context.Context, api eks.DescribeClusterVersionsAPIClient) ([]ekstypes.ClusterVersionInformation, error) {
	var all []ekstypes.ClusterVersionInformation
	p := eks.NewDescribeClusterVersionsPaginator(api, &eks.DescribeClusterVersionsInput{IncludeAll: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.ClusterVersions...)
	}
	return all, nil
}

// FargateProfileNames lists a cluster's Fargate profiles
// (eks:ListFargateProfiles).
func FargateProfileNames(ctx context.Context, api eks.ListFargateProfilesAPIClient, cluster string) ([]string, error) {
	var all []string
	p := eks.NewListFargateProfilesPaginator(api, &eks.ListFargateProfilesInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.FargateProfileNames...)
	}
	return all, nil
}

// FargateProfile describes a Fargate profile (eks:DescribeFargateProfile).
// The write path's waits poll it too.
func FargateProfile(ctx context.Context, api eks.DescribeFargateProfileAPIClient, cluster, name string) (*ekstypes.FargateProfile, error) {
	out, err := api.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(cluster), FargateProfileName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.FargateProfile, nil
}

// AddonNames lists a cluster's managed add-ons (eks:ListAddons).
func AddonNames(ctx context.Context, api eks.ListAddonsAPIClient, cluster string) ([]string, error) {
	var all []string
	p := eks.NewListAddonsPaginator(api, &eks.ListAddonsInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Addons...)
	}
	return all, nil
}

// Addon describes a managed add-on (eks:DescribeAddon). The write path's
// waits poll it too.
func Addon(ctx context.Context, api eks.DescribeAddonAPIClient, cluster, name string) (*ekstypes.Addon, error) {
	out, err := api.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	return out.Addon, nil
}

// AddonVersions lists the versions of an add-on for a Kubernetes version
// (eks:DescribeAddonVersions), calling each for every page.
func AddonVersions(ctx context.Context, api eks.DescribeAddonVersionsAPIClient, addon, kubernetesVersion string, each func([]ekstypes.AddonInfo) error) error {
	p := eks.NewDescribeAddonVersionsPaginator(api, &eks.DescribeAddonVersionsInput{AddonName: aws.String(addon), KubernetesVersion: aws.String(kubernetesVersion)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		if err := each(out.Addons); err != nil {
			return err
		}
	}
	return nil
}

// AccessEntryPrincipals lists the principal ARNs of a cluster's access
// entries (eks:ListAccessEntries).
func AccessEntryPrincipals(ctx context.Context, api eks.ListAccessEntriesAPIClient, cluster string) ([]string, error) {
	var all []string
	p := eks.NewListAccessEntriesPaginator(api, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.AccessEntries...)
	}
	return all, nil
}

// AccessEntryAPI reads an access entry and its access policies.
type AccessEntryAPI interface {
	eks.ListAssociatedAccessPoliciesAPIClient
	DescribeAccessEntry(ctx context.Context, params *eks.DescribeAccessEntryInput, optFns ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
}

// AccessEntry describes an access entry (eks:DescribeAccessEntry) and lists
// its associated access policies (eks:ListAssociatedAccessPolicies). Only
// STANDARD entries (and entries of no reported type) have access policies:
// EKS refuses the list for the other types, so it is not called for them.
func AccessEntry(ctx context.Context, api AccessEntryAPI, cluster, principal string) (*ekstypes.AccessEntry, []ekstypes.AssociatedAccessPolicy, error) {
	out, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	if err != nil {
		return nil, nil, err
	}
	e := out.AccessEntry
	if e == nil {
		return nil, nil, nil
	}
	if t := aws.ToString(e.Type); t != "" && t != "STANDARD" {
		return e, nil, nil
	}
	var policies []ekstypes.AssociatedAccessPolicy
	p := eks.NewListAssociatedAccessPoliciesPaginator(api, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return e, nil, err
		}
		policies = append(policies, page.AssociatedAccessPolicies...)
	}
	return e, policies, nil
}

// PodIdentityAssociations lists a cluster's EKS Pod Identity associations
// (eks:ListPodIdentityAssociations).
func PodIdentityAssociations(ctx context.Context, api eks.ListPodIdentityAssociationsAPIClient, cluster string) ([]ekstypes.PodIdentityAssociationSummary, error) {
	var all []ekstypes.PodIdentityAssociationSummary
	p := eks.NewListPodIdentityAssociationsPaginator(api, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Associations...)
	}
	return all, nil
}

// KeyAPI describes a KMS key.
type KeyAPI interface {
	DescribeKey(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// Key describes a KMS key as the caller sees it (kms:DescribeKey).
func Key(ctx context.Context, api KeyAPI, keyID string) (*kmstypes.KeyMetadata, error) {
	out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, err
	}
	return out.KeyMetadata, nil
}

// Update describes an EKS update of a cluster, or of one of its add-ons
// when addon is not empty (eks:DescribeUpdate). The write path's one wait
// for updates polls it.
func Update(ctx context.Context, api eks.DescribeUpdateAPIClient, cluster, addon, id string) (*ekstypes.Update, error) {
	in := &eks.DescribeUpdateInput{Name: aws.String(cluster), UpdateId: aws.String(id)}
	if addon != "" {
		in.AddonName = aws.String(addon)
	}
	out, err := api.DescribeUpdate(ctx, in)
	if err != nil {
		return nil, err
	}
	return out.Update, nil
}
