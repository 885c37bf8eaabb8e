package eksfargate

import (
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/irsa"
)

// APIVersion and Kind identify a fargatekit spec file.
const (
	APIVersion = "fargatekit.io/v1alpha1"
	Kind       = "FargateCluster"
)

// OwnerTag is the tag fargatekit puts on everything it creates; its value is
// the cluster name. Resources without it are never deleted or destructively
// replaced without an explicit opt-in.
const OwnerTag = "fargatekit.io/cluster"

// Spec is the desired state of one Fargate-only EKS cluster and its IAM
// wiring. Build it in code (NewSpec and its methods) or decode it from a
// versioned YAML file (LoadSpec); check it with Validate.
type Spec struct {
	// APIVersion is "fargatekit.io/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Kind is "FargateCluster".
	Kind string `json:"kind"`
	// Name of the EKS cluster: 1–100 characters, starting alphanumeric;
	// letters, digits, '-' and '_'.
	Name string `json:"name"`
	// Region of the cluster, for example "ap-northeast-1".
	Region string `json:"region"`
	// AccountID is the AWS account. Optional: read from STS when empty.
	AccountID string `json:"accountID,omitempty"`
	// Tags go on every resource fargatekit creates, next to OwnerTag.
	Tags map[string]string `json:"tags,omitempty"`

	// Network is the VPC and subnets.
	Network NetworkSpec `json:"network"`
	// ClusterRole is the cluster IAM role (eks.amazonaws.com,
	// AmazonEKSClusterPolicy).
	ClusterRole RoleSpec `json:"clusterRole"`
	// PodExecutionRole is the Fargate pod execution role
	// (eks-fargate-pods.amazonaws.com scoped by aws:SourceArn,
	// AmazonEKSFargatePodExecutionRolePolicy).
	PodExecutionRole RoleSpec `json:"podExecutionRole"`
	// Cluster is the EKS control plane.
	Cluster ClusterSpec `json:"cluster"`
	// FargateProfiles select the pods that run on Fargate.
	FargateProfiles []FargateProfileSpec `json:"fargateProfiles"`
	// Addons are EKS managed addons (vpc-cni, coredns, kube-proxy).
	Addons []AddonSpec `json:"addons,omitempty"`
	// CoreDNS moves CoreDNS onto Fargate (package coredns).
	CoreDNS coredns.Spec `json:"coreDNS,omitempty"`
	// Access says who may use the cluster (aws-auth and access entries).
	Access access.Spec `json:"access,omitempty"`
	// IRSA is the OIDC provider and the service-account roles.
	IRSA IRSASpec `json:"irsa,omitempty"`
}

// NetworkSpec either creates a VPC (VPC set) or adopts existing subnets
// (SubnetIDs set), not both.
type NetworkSpec struct {
	// VPC, when set, is created with its subnets, gateways and routes.
	VPC *VPCSpec `json:"vpc,omitempty"`
	// SubnetIDs adopts existing subnets: at least 2 AZs; the private ones
	// (no route to an internet gateway) host Fargate pods.
	SubnetIDs []string `json:"subnetIDs,omitempty"`
	// SecurityGroupIDs are extra security groups for the control plane ENIs.
	SecurityGroupIDs []string `json:"securityGroupIDs,omitempty"`
}

// NAT gateway layouts.
const (
	NATSingle = "single"
	NATPerAZ  = "per-az"
)

// VPCSpec is a VPC that fargatekit creates: public subnets (tagged
// kubernetes.io/role/elb, routed to an internet gateway) and private subnets
// (tagged kubernetes.io/role/internal-elb, routed to NAT).
type VPCSpec struct {
	// CIDR of the VPC, for example "192.168.0.0/16".
	CIDR string `json:"cidr"`
	// AvailabilityZones to spread subnets over; at least 2. Default: the
	// first two of the region.
	AvailabilityZones []string `json:"availabilityZones,omitempty"`
	// PublicSubnetCIDRs, one per AZ. Default: carved from CIDR.
	PublicSubnetCIDRs []string `json:"publicSubnetCIDRs,omitempty"`
	// PrivateSubnetCIDRs, one per AZ. Default: carved from CIDR.
	PrivateSubnetCIDRs []string `json:"privateSubnetCIDRs,omitempty"`
	// NATGateway is NATSingle (default) or NATPerAZ.
	NATGateway string `json:"natGateway,omitempty"`
}

// RoleSpec is an IAM role that fargatekit creates (Name) or adopts (ARN).
type RoleSpec struct {
	// Name of the role to create or converge.
	Name string `json:"name,omitempty"`
	// ARN adopts an existing role instead; its trust and policies are still
	// checked.
	ARN string `json:"arn,omitempty"`
	// Path of the role. Default "/"; the Fargate pod execution role must be "/".
	Path string `json:"path,omitempty"`
	// PermissionsBoundary is a managed policy ARN.
	PermissionsBoundary string `json:"permissionsBoundary,omitempty"`
	// ExtraManagedPolicyARNs are attached besides the required policy.
	ExtraManagedPolicyARNs []string `json:"extraManagedPolicyARNs,omitempty"`
	// DetachUnmanagedPolicies lets apply detach the managed policies
	// attached to the role out of band (neither required nor listed in
	// ExtraManagedPolicyARNs) and delete its inline policies. Without it
	// they are pending drift: plan shows their removal as blocked, so
	// --detailed-exitcode exits 1, and apply leaves them.
	DetachUnmanagedPolicies bool `json:"detachUnmanagedPolicies,omitempty"`
}

// Control-plane log types.
var AllLogTypes = []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}

// ClusterSpec is the EKS control plane.
type ClusterSpec struct {
	// Version is the Kubernetes version, for example "1.33". Default: the
	// newest version in standard support (DescribeClusterVersions).
	Version string `json:"version,omitempty"`
	// EndpointPublicAccess; default true.
	EndpointPublicAccess *bool `json:"endpointPublicAccess,omitempty"`
	// EndpointPrivateAccess; default true.
	EndpointPrivateAccess *bool `json:"endpointPrivateAccess,omitempty"`
	// PublicAccessCIDRs limit the public endpoint. Default 0.0.0.0/0 (which
	// the audit reports as CLU-01).
	PublicAccessCIDRs []string `json:"publicAccessCIDRs,omitempty"`
	// SecretsKMSKeyARN enables envelope encryption of Secrets with a customer
	// KMS key in the cluster's region. Once enabled it cannot be disabled.
	SecretsKMSKeyARN string `json:"secretsKMSKeyARN,omitempty"`
	// ServiceIPv4CIDR: RFC 1918, /12 to /24, not overlapping the VPC.
	// Immutable.
	ServiceIPv4CIDR string `json:"serviceIPv4CIDR,omitempty"`
	// Logging lists enabled control-plane log types. Default: AllLogTypes.
	Logging []string `json:"logging,omitempty"`
	// AuthenticationMode: API (default), API_AND_CONFIG_MAP or CONFIG_MAP.
	AuthenticationMode string `json:"authenticationMode,omitempty"`
	// DeletionProtection refuses DeleteCluster while set.
	DeletionProtection bool `json:"deletionProtection,omitempty"`
	// BootstrapCreatorAdmin gives the IAM identity that creates the cluster
	// an access entry with AmazonEKSClusterAdminPolicy (EKS's own default).
	// fargatekit's default is false: who may use the cluster is declared in
	// Access, where a cluster admin needs the explicit AllowClusterAdmin, and
	// an undeclared admin is what the audit reports as IAM-05. Set only at
	// creation; in CONFIG_MAP mode EKS requires it and it is always sent.
	BootstrapCreatorAdmin bool `json:"bootstrapCreatorAdmin,omitempty"`
	// Tags on the cluster.
	Tags map[string]string `json:"tags,omitempty"`
}

// FargateProfileSpec is a Fargate profile. Profiles are immutable: a change
// of selectors, subnets or role is a replace (create the new one, then
// delete the old).
type FargateProfileSpec struct {
	// Name; the prefix "eks-" is reserved.
	Name string `json:"name"`
	// PodExecutionRoleARN. Default: the spec's pod execution role.
	PodExecutionRoleARN string `json:"podExecutionRoleARN,omitempty"`
	// Subnets, private only. Default: the spec's private subnets.
	Subnets []string `json:"subnets,omitempty"`
	// Selectors: 1 to 5, each with a namespace and at most 5 labels.
	Selectors []Selector `json:"selectors"`
	// Tags on the profile.
	Tags map[string]string `json:"tags,omitempty"`
}

// Selector selects pods by namespace (wildcards * and ? allowed, as EKS
// allows them) and labels.
type Selector struct {
	// Namespace is required.
	Namespace string `json:"namespace"`
	// Labels; at most 5.
	Labels map[string]string `json:"labels,omitempty"`
}

// Conflict resolution of addon create and update, as EKS names them.
const (
	ResolveNone      = "NONE"
	ResolveOverwrite = "OVERWRITE"
	ResolvePreserve  = "PRESERVE"
)

// AddonSpec is an EKS managed addon.
type AddonSpec struct {
	// Name: "vpc-cni", "coredns", "kube-proxy", or another EKS addon.
	Name string `json:"name"`
	// Version. Default: the one DescribeAddonVersions marks default for the
	// cluster's Kubernetes version.
	Version string `json:"version,omitempty"`
	// ConfigurationValues is a JSON document, for example
	// {"computeType":"Fargate"} for coredns.
	ConfigurationValues string `json:"configurationValues,omitempty"`
	// ServiceAccountRoleARN is the IRSA role of the addon's ServiceAccount.
	ServiceAccountRoleARN string `json:"serviceAccountRoleARN,omitempty"`
	// ServiceAccountRole names a role of Spec.IRSA.ServiceAccounts (by its
	// namespace/name) whose ARN becomes ServiceAccountRoleARN.
	ServiceAccountRole string `json:"serviceAccountRole,omitempty"`
	// ResolveConflicts: NONE, OVERWRITE (default) or PRESERVE.
	ResolveConflicts string `json:"resolveConflicts,omitempty"`
}

// IRSASpec is the cluster's IAM OIDC provider and its service-account roles.
type IRSASpec struct {
	// OIDCProvider creates the IAM OIDC provider for the cluster's issuer;
	// default true when ServiceAccounts is not empty.
	OIDCProvider *bool `json:"oidcProvider,omitempty"`
	// ServiceAccounts are the IRSA roles.
	ServiceAccounts []irsa.ServiceAccountRole `json:"serviceAccounts,omitempty"`
}

// AccessTarget is what package access needs of the spec to plan and
// validate who may use the cluster.
func (s *Spec) AccessTarget() access.Target {
	return access.Target{Cluster: s.Name, Mode: s.Cluster.AuthenticationMode, PodExecutionRoleARN: s.PodExecutionRole.ARN, Access: s.Access}
}
