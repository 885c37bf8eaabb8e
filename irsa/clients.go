package irsa

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/awsretry"
	"github.com/fargatekit/fargatekit/internal/ops"
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
// client. Unless cfg has a Retryer of its own, the clients retry with
// fargatekit's one retry policy (the SDK's adaptive mode with more attempts
// and a capped backoff), as eksfargate.NewClients and the audit's do.
func NewClients(cfg aws.Config, kube kubernetes.Interface) Clients {
	cfg = awsretry.Configure(cfg)
	return Clients{IAM: iam.NewFromConfig(cfg), EKS: eks.NewFromConfig(cfg), Kube: kube}
}

// CreatePolicyAPI creates a customer managed policy.
type CreatePolicyAPI interface {
	CreatePolicy(ctx context.Context, params *iam.CreatePolicyInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
}

// CreatePolicyVersionAPI adds a default version to a managed policy.
type CreatePolicyVersionAPI interface {
	CreatePolicyVersion(ctx context.Context, params *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
}

// DeletePolicyVersionAPI deletes an old version of a managed policy.
type DeletePolicyVersionAPI interface {
	DeletePolicyVersion(ctx context.Context, params *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
}

// IAMClient is the part of the IAM API that irsa uses; *iam.Client
// implements it. It reads through package observe and writes through
// package internal/ops (the OIDC provider, the roles, their policies,
// boundaries and tags), except for the customer managed policy's writes,
// which only irsa makes.
type IAMClient interface {
	ops.IAM
	iam.ListRolesAPIClient
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	iam.ListPolicyVersionsAPIClient
	observe.InlinePolicyAPI
	observe.ManagedPolicyAPI
	observe.OIDCProviderAPI
	observe.AccountSummaryAPI
	CreatePolicyAPI
	CreatePolicyVersionAPI
	DeletePolicyVersionAPI
}

// EKSClient is the part of the EKS API that irsa uses; *eks.Client
// implements it. It reads the cluster and the add-on through package
// observe and writes the add-on through package internal/ops.
type EKSClient interface {
	ops.EKS
	ClusterDescriber
}

var (
	_ IAMClient = (*iam.Client)(nil)
	_ EKSClient = (*eks.Client)(nil)
)
