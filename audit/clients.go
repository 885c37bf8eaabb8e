package audit

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/awsretry"
	"github.com/fargatekit/fargatekit/internal/ops"
)

// EKSAPI is what the audit reads from EKS (through package observe) and
// what its fixes write (through internal/ops): the SDK's per-operation
// interfaces. *eks.Client implements it.
type EKSAPI interface {
	eks.ListClustersAPIClient
	eks.DescribeClusterAPIClient
	eks.DescribeClusterVersionsAPIClient
	eks.ListFargateProfilesAPIClient
	eks.DescribeFargateProfileAPIClient
	eks.ListAddonsAPIClient
	eks.ListAccessEntriesAPIClient
	eks.ListPodIdentityAssociationsAPIClient
	observe.AccessEntryAPI
	ops.EKS
}

// EC2API is what the audit reads from EC2; *ec2.Client implements it.
type EC2API interface {
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeVpcsAPIClient
}

// KMSAPI is what the audit reads from KMS; *kms.Client implements it.
type KMSAPI interface {
	observe.KeyAPI
}

// IAMAPI is what the audit reads from IAM (through package observe) and
// what its fixes write (through internal/ops); *iam.Client implements it.
type IAMAPI interface {
	iam.GetAccountAuthorizationDetailsAPIClient
	iam.ListRolesAPIClient
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	observe.AccountSummaryAPI
	observe.InlinePolicyAPI
	observe.ManagedPolicyAPI
	observe.OIDCProvidersAPI
	observe.OIDCProviderAPI
	ops.IAM
}

// STSAPI identifies the caller; *sts.Client implements it.
type STSAPI interface {
	observe.CallerAPI
}

var (
	_ EKSAPI = (*eks.Client)(nil)
	_ EC2API = (*ec2.Client)(nil)
	_ KMSAPI = (*kms.Client)(nil)
	_ IAMAPI = (*iam.Client)(nil)
	_ STSAPI = (*sts.Client)(nil)
)

// Clients are the AWS clients of one region. IAM and STS are global: the
// audit uses those of the first region.
type Clients struct {
	// EKS reads clusters, profiles, add-ons, access entries and versions.
	EKS EKSAPI
	// EC2 reads subnets, route tables and VPCs.
	EC2 EC2API
	// KMS describes Secrets encryption keys.
	KMS KMSAPI
	// IAM reads roles, policies and OIDC providers.
	IAM IAMAPI
	// STS identifies the caller's account.
	STS STSAPI
}

// clientsFromConfig builds the SDK clients of a region from cfg, with the
// adaptive retryer for throttling unless cfg has a retryer of its own.
func clientsFromConfig(cfg aws.Config, region string) Clients {
	cfg = cfg.Copy()
	cfg.Region = region
	cfg = awsretry.Configure(cfg)
	return Clients{
		EKS: eks.NewFromConfig(cfg),
		EC2: ec2.NewFromConfig(cfg),
		KMS: kms.NewFromConfig(cfg),
		IAM: iam.NewFromConfig(cfg),
		STS: sts.NewFromConfig(cfg),
	}
}
