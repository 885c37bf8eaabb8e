package irsa

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/client-go/kubernetes"
)

// Clients are the APIs Plan reads and its changes write. Build them with
// NewClients, or fill in test doubles.
type Clients struct {
	// IAM manages the OIDC provider, the roles and their policies.
	IAM IAMClient
	// EKS reads and updates the vpc-cni add-on. Only needed with
	// Options.VPCCNI (and by Deferred, to read the cluster).
	EKS EKSClient
	// Kube creates and annotates ServiceAccounts and restarts workloads.
	Kube kubernetes.Interface
}

// NewClients returns Clients for an AWS configuration and a Kubernetes
// client. Configure throttling in cfg (the fargatekit CLI uses the SDK's
// adaptive retry mode).
func NewClients(cfg aws.Config, kube kubernetes.Interface) Clients {
	return Clients{IAM: iam.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg), Kube: kube}
}

// GetOpenIDConnectProviderAPI reads the cluster's OIDC provider.
type GetOpenIDConnectProviderAPI interface {
	GetOpenIDConnectProvider(ctx context.Context, params *iam.GetOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
}

// CreateOpenIDConnectProviderAPI creates the OIDC provider.
type CreateOpenIDConnectProviderAPI interface {
	CreateOpenIDConnectProvider(ctx context.Context, params *iam.CreateOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
}

// AddClientIDToOpenIDConnectProviderAPI adds sts.amazonaws.com to a provider's client IDs.
type AddClientIDToOpenIDConnectProviderAPI interface {
	AddClientIDToOpenIDConnectProvider(ctx context.Context, params *iam.AddClientIDToOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error)
}

// UpdateOpenIDConnectProviderThumbprintAPI sets a provider's thumbprints.
type UpdateOpenIDConnectProviderThumbprintAPI interface {
	UpdateOpenIDConnectProviderThumbprint(ctx context.Context, params *iam.UpdateOpenIDConnectProviderThumbprintInput, optFns ...func(*iam.Options)) (*iam.UpdateOpenIDConnectProviderThumbprintOutput, error)
}

// TagOpenIDConnectProviderAPI tags a provider.
type TagOpenIDConnectProviderAPI interface {
	TagOpenIDConnectProvider(ctx context.Context, params *iam.TagOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.TagOpenIDConnectProviderOutput, error)
}

// DeleteOpenIDConnectProviderAPI deletes a provider that must be replaced.
type DeleteOpenIDConnectProviderAPI interface {
	DeleteOpenIDConnectProvider(ctx context.Context, params *iam.DeleteOpenIDConnectProviderInput, optFns ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
}

// DeleteRoleAPI deletes a role the spec no longer names (pruning).
type DeleteRoleAPI interface {
	DeleteRole(ctx context.Context, params *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// ListRolesAPI lists roles with their trust policies, in bulk.
type ListRolesAPI interface {
	ListRoles(ctx context.Context, params *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// GetRoleAPI reads a role's tags and permissions boundary, which ListRoles leaves out.
type GetRoleAPI interface {
	GetRole(ctx context.Context, params *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// CreateRoleAPI creates a role.
type CreateRoleAPI interface {
	CreateRole(ctx context.Context, params *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
}

// UpdateAssumeRolePolicyAPI replaces a role's trust policy.
type UpdateAssumeRolePolicyAPI interface {
	UpdateAssumeRolePolicy(ctx context.Context, params *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
}

// TagRoleAPI tags a role.
type TagRoleAPI interface {
	TagRole(ctx context.Context, params *iam.TagRoleInput, optFns ...func(*iam.Options)) (*iam.TagRoleOutput, error)
}

// PutRolePermissionsBoundaryAPI sets a role's permissions boundary.
type PutRolePermissionsBoundaryAPI interface {
	PutRolePermissionsBoundary(ctx context.Context, params *iam.PutRolePermissionsBoundaryInput, optFns ...func(*iam.Options)) (*iam.PutRolePermissionsBoundaryOutput, error)
}

// ListAttachedRolePoliciesAPI lists a role's managed policies.
type ListAttachedRolePoliciesAPI interface {
	ListAttachedRolePolicies(ctx context.Context, params *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
}

// AttachRolePolicyAPI attaches a managed policy.
type AttachRolePolicyAPI interface {
	AttachRolePolicy(ctx context.Context, params *iam.AttachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// DetachRolePolicyAPI detaches a managed policy.
type DetachRolePolicyAPI interface {
	DetachRolePolicy(ctx context.Context, params *iam.DetachRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
}

// DeleteRolePolicyAPI deletes an inline policy.
type DeleteRolePolicyAPI interface {
	DeleteRolePolicy(ctx context.Context, params *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// GetAccountSummaryAPI reads the account's IAM quotas.
type GetAccountSummaryAPI interface {
	GetAccountSummary(ctx context.Context, params *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

// ListRolePoliciesAPI lists a role's inline policy names.
type ListRolePoliciesAPI interface {
	ListRolePolicies(ctx context.Context, params *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
}

// GetRolePolicyAPI reads an inline policy.
type GetRolePolicyAPI interface {
	GetRolePolicy(ctx context.Context, params *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
}

// PutRolePolicyAPI creates or replaces an inline policy.
type PutRolePolicyAPI interface {
	PutRolePolicy(ctx context.Context, params *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
}

// GetPolicyAPI reads a customer managed policy.
type GetPolicyAPI interface {
	GetPolicy(ctx context.Context, params *iam.GetPolicyInput, optFns ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
}

// GetPolicyVersionAPI reads a version of a managed policy.
type GetPolicyVersionAPI interface {
	GetPolicyVersion(ctx context.Context, params *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// CreatePolicyAPI creates a customer managed policy.
type CreatePolicyAPI interface {
	CreatePolicy(ctx context.Context, params *iam.CreatePolicyInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
}

// CreatePolicyVersionAPI adds a default version to a managed policy.
type CreatePolicyVersionAPI interface {
	CreatePolicyVersion(ctx context.Context, params *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
}

// ListPolicyVersionsAPI lists a managed policy's versions.
type ListPolicyVersionsAPI interface {
	ListPolicyVersions(ctx context.Context, params *iam.ListPolicyVersionsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
}

// DeletePolicyVersionAPI deletes an old version of a managed policy.
type DeletePolicyVersionAPI interface {
	DeletePolicyVersion(ctx context.Context, params *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
}

// DescribeAddonAPI reads an add-on.
type DescribeAddonAPI interface {
	DescribeAddon(ctx context.Context, params *eks.DescribeAddonInput, optFns ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
}

// UpdateAddonAPI sets an add-on's service account role.
type UpdateAddonAPI interface {
	UpdateAddon(ctx context.Context, params *eks.UpdateAddonInput, optFns ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
}

// DescribeUpdateAPI follows an add-on update.
type DescribeUpdateAPI interface {
	DescribeUpdate(ctx context.Context, params *eks.DescribeUpdateInput, optFns ...func(*eks.Options)) (*eks.DescribeUpdateOutput, error)
}

// DeleteAddonAPI deletes an add-on to re-create it (RecreateAddon).
type DeleteAddonAPI interface {
	DeleteAddon(ctx context.Context, params *eks.DeleteAddonInput, optFns ...func(*eks.Options)) (*eks.DeleteAddonOutput, error)
}

// CreateAddonAPI re-creates an add-on (RecreateAddon).
type CreateAddonAPI interface {
	CreateAddon(ctx context.Context, params *eks.CreateAddonInput, optFns ...func(*eks.Options)) (*eks.CreateAddonOutput, error)
}

// IAMClient is the part of the IAM API that irsa uses; *iam.Client
// implements it.
type IAMClient interface {
	GetOpenIDConnectProviderAPI
	CreateOpenIDConnectProviderAPI
	AddClientIDToOpenIDConnectProviderAPI
	UpdateOpenIDConnectProviderThumbprintAPI
	TagOpenIDConnectProviderAPI
	DeleteOpenIDConnectProviderAPI
	ListRolesAPI
	GetRoleAPI
	CreateRoleAPI
	DeleteRoleAPI
	UpdateAssumeRolePolicyAPI
	TagRoleAPI
	PutRolePermissionsBoundaryAPI
	ListAttachedRolePoliciesAPI
	AttachRolePolicyAPI
	DetachRolePolicyAPI
	DeleteRolePolicyAPI
	GetAccountSummaryAPI
	ListRolePoliciesAPI
	GetRolePolicyAPI
	PutRolePolicyAPI
	GetPolicyAPI
	GetPolicyVersionAPI
	CreatePolicyAPI
	CreatePolicyVersionAPI
	ListPolicyVersionsAPI
	DeletePolicyVersionAPI
}

// EKSClient is the part of the EKS API that irsa uses; *eks.Client
// implements it.
type EKSClient interface {
	ClusterDescriber
	DescribeAddonAPI
	UpdateAddonAPI
	DescribeUpdateAPI
	DeleteAddonAPI
	CreateAddonAPI
}

var (
	_ IAMClient = (*iam.Client)(nil)
	_ EKSClient = (*eks.Client)(nil)
)
