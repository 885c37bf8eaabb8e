package eksfargate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/awsretry"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/irsa"
)

// EKSAPI is the part of the EKS API that Plan, Apply and PlanDestroy call,
// the cluster side's (access entries, the IRSA add-on update) included:
// the SDK's own per-operation interfaces where it has them (they also serve
// its paginators and the read functions of package observe), the write
// path's interface (ops.EKS: add-ons, cluster configuration, access entries)
// and the exact signatures of the rest. *eks.Client implements it.
type EKSAPI interface {
	ops.EKS
	irsa.EKSClient
	access.EntryClient
	eks.DescribeClusterAPIClient
	eks.DescribeClusterVersionsAPIClient
	eks.ListFargateProfilesAPIClient
	eks.DescribeFargateProfileAPIClient
	eks.ListAddonsAPIClient
	eks.DescribeAddonVersionsAPIClient
	CreateCluster(ctx context.Context, params *eks.CreateClusterInput, optFns ...func(*eks.Options)) (*eks.CreateClusterOutput, error)
	UpdateClusterVersion(ctx context.Context, params *eks.UpdateClusterVersionInput, optFns ...func(*eks.Options)) (*eks.UpdateClusterVersionOutput, error)
	AssociateEncryptionConfig(ctx context.Context, params *eks.AssociateEncryptionConfigInput, optFns ...func(*eks.Options)) (*eks.AssociateEncryptionConfigOutput, error)
	TagResource(ctx context.Context, params *eks.TagResourceInput, optFns ...func(*eks.Options)) (*eks.TagResourceOutput, error)
	UntagResource(ctx context.Context, params *eks.UntagResourceInput, optFns ...func(*eks.Options)) (*eks.UntagResourceOutput, error)
	DeleteCluster(ctx context.Context, params *eks.DeleteClusterInput, optFns ...func(*eks.Options)) (*eks.DeleteClusterOutput, error)
	CreateFargateProfile(ctx context.Context, params *eks.CreateFargateProfileInput, optFns ...func(*eks.Options)) (*eks.CreateFargateProfileOutput, error)
	DeleteFargateProfile(ctx context.Context, params *eks.DeleteFargateProfileInput, optFns ...func(*eks.Options)) (*eks.DeleteFargateProfileOutput, error)
}

// IAMAPI is the part of the IAM API that fargatekit calls for the cluster
// role and the pod execution role: the write path's interface (ops.IAM:
// roles, their trust, policies, boundaries and tags, OIDC providers) and
// the reads of package observe. *iam.Client implements it.
type IAMAPI interface {
	ops.IAM
	irsa.IAMClient
	iam.ListAttachedRolePoliciesAPIClient
	iam.ListRolePoliciesAPIClient
	observe.AccountSummaryAPI
}

// EC2API is the part of the EC2 API that fargatekit calls for the VPC, its
// subnets, gateways and routes. *ec2.Client implements it.
type EC2API interface {
	ec2.DescribeVpcsAPIClient
	ec2.DescribeSubnetsAPIClient
	ec2.DescribeRouteTablesAPIClient
	ec2.DescribeInternetGatewaysAPIClient
	ec2.DescribeNatGatewaysAPIClient
	DescribeAvailabilityZones(ctx context.Context, params *ec2.DescribeAvailabilityZonesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
	DescribeAddresses(ctx context.Context, params *ec2.DescribeAddressesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	CreateVpc(ctx context.Context, params *ec2.CreateVpcInput, optFns ...func(*ec2.Options)) (*ec2.CreateVpcOutput, error)
	ModifyVpcAttribute(ctx context.Context, params *ec2.ModifyVpcAttributeInput, optFns ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error)
	DeleteVpc(ctx context.Context, params *ec2.DeleteVpcInput, optFns ...func(*ec2.Options)) (*ec2.DeleteVpcOutput, error)
	CreateSubnet(ctx context.Context, params *ec2.CreateSubnetInput, optFns ...func(*ec2.Options)) (*ec2.CreateSubnetOutput, error)
	ModifySubnetAttribute(ctx context.Context, params *ec2.ModifySubnetAttributeInput, optFns ...func(*ec2.Options)) (*ec2.ModifySubnetAttributeOutput, error)
	DeleteSubnet(ctx context.Context, params *ec2.DeleteSubnetInput, optFns ...func(*ec2.Options)) (*ec2.DeleteSubnetOutput, error)
	CreateTags(ctx context.Context, params *ec2.CreateTagsInput, optFns ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, params *ec2.DeleteTagsInput, optFns ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
	CreateInternetGateway(ctx context.Context, params *ec2.CreateInternetGatewayInput, optFns ...func(*ec2.Options)) (*ec2.CreateInternetGatewayOutput, error)
	AttachInternetGateway(ctx context.Context, params *ec2.AttachInternetGatewayInput, optFns ...func(*ec2.Options)) (*ec2.AttachInternetGatewayOutput, error)
	DetachInternetGateway(ctx context.Context, params *ec2.DetachInternetGatewayInput, optFns ...func(*ec2.Options)) (*ec2.DetachInternetGatewayOutput, error)
	DeleteInternetGateway(ctx context.Context, params *ec2.DeleteInternetGatewayInput, optFns ...func(*ec2.Options)) (*ec2.DeleteInternetGatewayOutput, error)
	CreateRouteTable(ctx context.Context, params *ec2.CreateRouteTableInput, optFns ...func(*ec2.Options)) (*ec2.CreateRouteTableOutput, error)
	CreateRoute(ctx context.Context, params *ec2.CreateRouteInput, optFns ...func(*ec2.Options)) (*ec2.CreateRouteOutput, error)
	ReplaceRoute(ctx context.Context, params *ec2.ReplaceRouteInput, optFns ...func(*ec2.Options)) (*ec2.ReplaceRouteOutput, error)
	AssociateRouteTable(ctx context.Context, params *ec2.AssociateRouteTableInput, optFns ...func(*ec2.Options)) (*ec2.AssociateRouteTableOutput, error)
	DisassociateRouteTable(ctx context.Context, params *ec2.DisassociateRouteTableInput, optFns ...func(*ec2.Options)) (*ec2.DisassociateRouteTableOutput, error)
	DeleteRouteTable(ctx context.Context, params *ec2.DeleteRouteTableInput, optFns ...func(*ec2.Options)) (*ec2.DeleteRouteTableOutput, error)
	AllocateAddress(ctx context.Context, params *ec2.AllocateAddressInput, optFns ...func(*ec2.Options)) (*ec2.AllocateAddressOutput, error)
	ReleaseAddress(ctx context.Context, params *ec2.ReleaseAddressInput, optFns ...func(*ec2.Options)) (*ec2.ReleaseAddressOutput, error)
	CreateNatGateway(ctx context.Context, params *ec2.CreateNatGatewayInput, optFns ...func(*ec2.Options)) (*ec2.CreateNatGatewayOutput, error)
	DeleteNatGateway(ctx context.Context, params *ec2.DeleteNatGatewayInput, optFns ...func(*ec2.Options)) (*ec2.DeleteNatGatewayOutput, error)
}

// KMSAPI checks the secrets encryption key. *kms.Client implements it.
type KMSAPI interface {
	DescribeKey(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

// STSAPI reads the caller's account when the spec does not name it.
// *sts.Client implements it.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ EKSAPI = (*eks.Client)(nil)
	_ IAMAPI = (*iam.Client)(nil)
	_ EC2API = (*ec2.Client)(nil)
	_ KMSAPI = (*kms.Client)(nil)
	_ STSAPI = (*sts.Client)(nil)
)

// Clients are the AWS clients of Plan and PlanDestroy. The Run functions of
// the changes keep using them during Apply.
type Clients struct {
	// EKS manages the cluster, profiles and addons. The cluster side also
	// needs access.EntryClient and irsa.EKSClient, which *eks.Client is.
	EKS EKSAPI
	// IAM manages the two roles. IRSA also needs irsa.IAMClient, which
	// *iam.Client is.
	IAM IAMAPI
	// EC2 manages the network.
	EC2 EC2API
	// KMS checks the secrets key.
	KMS KMSAPI
	// STS reads the account when the spec has none.
	STS STSAPI

	// cfg is kept when the clients come from NewClients, so that the
	// cluster-side and IRSA planners get real clients of their own.
	cfg *aws.Config
}

// DefaultMaxAttempts is how many times the clients built by NewClients try a
// call that fails with a retryable error (throttling, 5xx, connection
// errors) before giving up.
const DefaultMaxAttempts = awsretry.MaxAttempts

// NewClients builds real SDK clients from cfg. Unless cfg already has a
// Retryer, every client retries in the SDK's adaptive mode (client-side rate
// limiting after throttling) with up to DefaultMaxAttempts attempts and a
// capped backoff: fargatekit's one retry policy, which the CLI uses too.
func NewClients(cfg aws.Config) Clients {
	cfg = awsretry.Configure(cfg)
	c := cfg
	return Clients{
		EKS: eks.NewFromConfig(cfg),
		IAM: iam.NewFromConfig(cfg),
		EC2: ec2.NewFromConfig(cfg),
		KMS: kms.NewFromConfig(cfg),
		STS: sts.NewFromConfig(cfg),
		cfg: &c,
	}
}

// FromConfig sets Options.Clients to NewClients(cfg).
func FromConfig(cfg aws.Config) func(*Options) {
	return func(o *Options) { o.Clients = NewClients(cfg) }
}
