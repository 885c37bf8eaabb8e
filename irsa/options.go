package irsa

import (
	"time"

	"go.uber.org/zap"
)

// Names fargatekit reads and writes on Kubernetes objects and AWS resources.
const (
	// AnnotationRoleARN on a ServiceAccount names the IAM role its pods
	// assume; the EKS pod identity webhook turns it into AWS_ROLE_ARN and a
	// projected token when a pod is created.
	AnnotationRoleARN = "eks.amazonaws.com/role-arn"
	// AnnotationSTSRegionalEndpoints ("true" or "false") makes the SDKs in
	// the pods use the regional STS endpoint.
	AnnotationSTSRegionalEndpoints = "eks.amazonaws.com/sts-regional-endpoints"
	// AnnotationTokenExpiration is the lifetime of the projected token, in
	// seconds.
	AnnotationTokenExpiration = "eks.amazonaws.com/token-expiration"
	// AnnotationRestartedAt on a pod template restarts a rollout, as
	// kubectl rollout restart does.
	AnnotationRestartedAt = "kubectl.kubernetes.io/restartedAt"
	// LabelManagedBy is the label fargatekit adds to the ServiceAccounts it
	// creates or annotates, with the value ManagedBy, unless the label is
	// there already with another tool's name (which is then kept).
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is fargatekit's value of LabelManagedBy.
	ManagedBy = "fargatekit"
	// OwnerTag is the tag fargatekit puts on the roles, policies and OIDC
	// provider it manages; its value is the cluster's name. It has the same
	// value as eksfargate.OwnerTag. A role tagged for another cluster is
	// never taken over.
	OwnerTag = "fargatekit.io/cluster"
	// VPCCNIAddon is the name of the Amazon VPC CNI add-on.
	VPCCNIAddon = "vpc-cni"
)

// Options configure Observe, Diff and Plan. The zero value of each field
// works, except OIDCProvider, which Plan sets to true before applying the
// option functions.
type Options struct {
	// OIDCProvider makes the plan create and repair the cluster's IAM OIDC
	// provider. Default true. When false, a missing provider is reported as
	// drift (no role can be assumed without it).
	OIDCProvider bool
	// ComputeThumbprint computes the issuer's thumbprint (see Thumbprint)
	// and puts it on the provider. IAM does not need it for EKS issuers.
	ComputeThumbprint bool
	// Thumbprint configures the TLS connection of ComputeThumbprint.
	Thumbprint ThumbprintOptions
	// Logger receives what Plan observes and the drift it finds. nil means
	// zap.NewNop().
	Logger *zap.Logger
	// VPCCNI, when set, also wires the vpc-cni add-on to a role for
	// kube-system/aws-node.
	VPCCNI *VPCCNIOptions
	// FargateOnly says the cluster runs no EC2 nodes. The plan then notes
	// that aws-node does not run on Fargate pods. (Pod Identity is refused
	// for such clusters by ValidatePodIdentity.)
	FargateOnly bool
	// Tags go on every IAM resource the plan creates or tags, next to
	// OwnerTag and the role's own Tags (which win).
	Tags map[string]string
	// Concurrency bounds the AWS and Kubernetes reads in flight at once.
	// Default 8.
	Concurrency int
	// Now is the clock for restart annotations. Default time.Now.
	Now func() time.Time
	// PollInterval is the least time between two reads of a long-running
	// add-on update. Default 10 s.
	PollInterval time.Duration
	// AddonTimeout bounds the wait for the vpc-cni add-on to be ACTIVE
	// again. Default 20 min.
	AddonTimeout time.Duration
	// AllowDestructive lets the plan delete what the roles given to Plan
	// no longer name: service-account roles that carry OwnerTag with the
	// cluster's name and trust its OIDC provider (after their
	// ServiceAccounts' role annotation is removed), and, with
	// PruneOIDCProvider, the provider itself. Without it those deletes are
	// pending but blocked (plan.Change Blocked).
	AllowDestructive bool
	// PruneOIDCProvider plans deleting the cluster's OIDC provider when
	// OIDCProvider is false, no role is given, the provider carries
	// OwnerTag with the cluster's name and no role trusts it any more. It
	// is for callers whose spec says the provider is no longer wanted (as
	// eksfargate's does when its spec drops IRSA); without it OIDCProvider
	// false leaves the provider alone.
	PruneOIDCProvider bool
}

// VPCCNIOptions wire the Amazon VPC CNI add-on (vpc-cni) to an IAM role for
// its ServiceAccount kube-system/aws-node.
//
// The role is the ServiceAccountRole for kube-system/aws-node when the roles
// given to Plan hold one; otherwise Plan adds one with the policy below. The
// add-on's serviceAccountRoleArn is set with UpdateAddon (not by deleting
// and re-creating the add-on), with resolveConflicts PRESERVE so that
// settings made to aws-node outside the add-on survive; then the plan
// follows the update (DescribeUpdate) until it is Successful, waits for the
// add-on to be ACTIVE (stopping at once on a failed state; a DEGRADED
// add-on is waited for until AddonTimeout, and the error then gives its
// health issues), and restarts the aws-node DaemonSet. EKS itself annotates the add-on's
// ServiceAccount. Without the add-on (a self-managed VPC CNI), the
// ServiceAccount is annotated instead.
type VPCCNIOptions struct {
	// AddonName is the add-on's name. Default "vpc-cni".
	AddonName string
	// RoleName of the role. Default: DefaultRoleName(cluster, "kube-system",
	// "aws-node").
	RoleName string
	// IPv6 gives the role a customer managed policy for IPv6 clusters (AWS
	// offers no managed one): ec2:AssignIpv6Addresses,
	// ec2:DescribeInstances, ec2:DescribeTags,
	// ec2:DescribeNetworkInterfaces, ec2:DescribeInstanceTypes, and
	// ec2:CreateTags on network interfaces. Otherwise the role gets
	// arn:PARTITION:iam::aws:policy/AmazonEKS_CNI_Policy.
	IPv6 bool
	// IPv6PolicyName names the IPv6 policy. Default
	// "CLUSTER-AmazonEKS_CNI_IPv6_Policy" (at most 128 characters).
	IPv6PolicyName string
	// RecreateAddon deletes the add-on (keeping its Kubernetes objects) and
	// creates it again with the role, instead of UpdateAddon. It is
	// destructive and only for add-ons that UpdateAddon cannot repair.
	RecreateAddon bool
	// SkipRestart leaves the aws-node DaemonSet alone after the add-on
	// changes.
	SkipRestart bool
}

// newOptions resolves the defaults, then applies opts.
func newOptions(opts []func(*Options)) Options {
	o := Options{OIDCProvider: true}
	for _, f := range opts {
		f(&o)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 10 * time.Second
	}
	if o.AddonTimeout <= 0 {
		o.AddonTimeout = 20 * time.Minute
	}
	if o.VPCCNI != nil {
		v := *o.VPCCNI
		if v.AddonName == "" {
			v.AddonName = VPCCNIAddon
		}
		o.VPCCNI = &v
	}
	return o
}
