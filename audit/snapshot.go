package audit

import (
	"sort"
	"strings"
	"time"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Parts of a Snapshot, named in Check.Needs and Unavailable.What. A part is
// one kind of observed state; when it could not be read for a cluster, a
// region or the account, the checks that need it report incomplete for that
// scope instead of running on missing data.
const (
	// PartClusters is the list of clusters of a region (eks:ListClusters),
	// used when the target discovers clusters.
	PartClusters = "eks.clusters"
	// PartCluster is a cluster's description (eks:DescribeCluster).
	PartCluster = "eks.cluster"
	// PartFargateProfiles are a cluster's Fargate profiles.
	PartFargateProfiles = "eks.fargateProfiles"
	// PartAddons are a cluster's managed add-ons.
	PartAddons = "eks.addons"
	// PartAccessEntries are a cluster's access entries and their associated
	// access policies.
	PartAccessEntries = "eks.accessEntries"
	// PartPodIdentity are a cluster's EKS Pod Identity associations.
	PartPodIdentity = "eks.podIdentityAssociations"
	// PartClusterVersions is the Kubernetes version catalogue of a region
	// (eks:DescribeClusterVersions).
	PartClusterVersions = "eks.clusterVersions"
	// PartNetwork are the subnets, route tables and VPCs of a region's
	// clusters and profiles.
	PartNetwork = "ec2.network"
	// PartKMS is the KMS key that encrypts a cluster's Secrets.
	PartKMS = "kms.key"
	// PartRoles are every IAM role of the account with its trust policy.
	PartRoles = "iam.roles"
	// PartRolePolicies are the managed and inline policies of the roles
	// that matter to the audited clusters.
	PartRolePolicies = "iam.rolePolicies"
	// PartAccountSummary are the account's IAM quotas
	// (iam:GetAccountSummary).
	PartAccountSummary = "iam.accountSummary"
	// PartOIDCProviders are the account's IAM OIDC providers.
	PartOIDCProviders = "iam.oidcProviders"
	// PartServiceAccounts are a cluster's Kubernetes ServiceAccounts.
	PartServiceAccounts = "kube.serviceAccounts"
	// PartPods are a cluster's Kubernetes Pods.
	PartPods = "kube.pods"
	// PartNamespaces are a cluster's Kubernetes Namespaces.
	PartNamespaces = "kube.namespaces"
	// PartAWSAuth is a cluster's kube-system/aws-auth ConfigMap.
	PartAWSAuth = "kube.awsAuth"
	// PartCoreDNS is a cluster's kube-system/coredns Deployment.
	PartCoreDNS = "kube.coredns"
	// PartRBAC are a cluster's ClusterRoles, ClusterRoleBindings, Roles and
	// RoleBindings.
	PartRBAC = "kube.rbac"
)

// kubeParts are the parts read from a cluster's Kubernetes API.
var kubeParts = []string{PartServiceAccounts, PartPods, PartNamespaces, PartAWSAuth, PartCoreDNS, PartRBAC}

// Unavailable records a part of the snapshot that could not be read: access
// denied, a cluster API that did not answer, a document that failed to
// decode. Checks that need the part report incomplete for its scope.
//
// The scope is the narrowest of: Cluster (one cluster), Region (every
// cluster of the region), or neither (the whole account).
type Unavailable struct {
	// What is the part, one of the Part constants.
	What string `json:"what"`
	// Region is the region the part belongs to; empty for account-wide
	// parts such as IAM.
	Region string `json:"region,omitempty"`
	// Cluster is the ARN of the cluster the part belongs to; empty for
	// region- or account-wide parts.
	Cluster string `json:"cluster,omitempty"`
	// Resource names what could not be read, for example a role ARN or
	// "kube-system/ConfigMap/aws-auth".
	Resource string `json:"resource,omitempty"`
	// Reason says why, for example "AccessDenied: User … is not authorized
	// to perform iam:ListRoles".
	Reason string `json:"reason"`
}

// scopeOf reports whether u concerns cluster c (by ARN and region).
func (u Unavailable) covers(c *Cluster) bool {
	if u.Cluster != "" {
		return u.Cluster == c.ARN
	}
	return u.Region == "" || u.Region == c.Region
}

// partUnavailable reports whether part could not be read for cluster c (or
// for its region or the account), with the reason.
func (s *Snapshot) partUnavailable(part string, c *Cluster) (string, bool) {
	for _, u := range s.Unavailable {
		if u.What == part && (c == nil || u.covers(c)) {
			return u.What + " unavailable: " + u.Reason, true
		}
	}
	return "", false
}

// accountWide reports whether u concerns the whole account.
func (u Unavailable) accountWide() bool { return u.Cluster == "" && u.Region == "" }

// ClusterRef names a cluster to audit.
type ClusterRef struct {
	// Region of the cluster.
	Region string `json:"region"`
	// Name of the cluster.
	Name string `json:"name"`
}

// String returns "region/name".
func (r ClusterRef) String() string { return r.Region + "/" + r.Name }

// Snapshot is the observed state of one AWS account and its clusters: what
// Observe read, typed, read once. Checks are pure functions of a Snapshot,
// so tests build Snapshots by hand.
type Snapshot struct {
	// Account is the 12-digit AWS account ID.
	Account string `json:"account"`
	// Partition is "aws", "aws-cn" or "aws-us-gov".
	Partition string `json:"partition"`
	// Regions are the regions observed, sorted.
	Regions []string `json:"regions"`
	// ObservedAt is when the observation started.
	ObservedAt time.Time `json:"observedAt"`
	// Spec is the desired state the target named, if any. Checks that
	// compare with a spec (CLU-08, FG-03) run only when it is set.
	Spec *eksfargate.Spec `json:"spec,omitempty"`
	// Clusters are the observed clusters, sorted by region and name.
	Clusters []*Cluster `json:"clusters"`
	// MissingClusters are clusters the target named that do not exist.
	MissingClusters []ClusterRef `json:"missingClusters,omitempty"`
	// ClusterVersions is the Kubernetes version catalogue per region.
	ClusterVersions map[string][]ClusterVersion `json:"clusterVersions,omitempty"`
	// Network holds the subnets and VPCs read, per region.
	Network map[string]*Network `json:"network,omitempty"`
	// KMSKeys are the keys of the clusters' encryption configs, by ARN.
	KMSKeys map[string]*KMSKey `json:"kmsKeys,omitempty"`
	// Roles are every IAM role of the account, sorted by ARN.
	Roles []*Role `json:"roles"`
	// Policies are the managed policies (AWS and customer) attached to
	// wired roles or used as their boundaries, by ARN, with their default
	// version.
	Policies map[string]*ManagedPolicy `json:"policies,omitempty"`
	// OIDCProviders are the account's IAM OIDC providers.
	OIDCProviders []*OIDCProvider `json:"oidcProviders"`
	// Quotas are the account's IAM quotas; nil when they were not read.
	Quotas *Quotas `json:"quotas,omitempty"`
	// Unavailable lists the parts that could not be read.
	Unavailable []Unavailable `json:"unavailable,omitempty"`
	// Warnings are notes on how the observation went, such as a bulk read
	// that was denied and replaced by per-role reads.
	Warnings []string `json:"warnings,omitempty"`

	roleIndex map[string]*Role
}

// Quotas are IAM quotas of the account, from GetAccountSummary. Sizes count
// characters without whitespace.
type Quotas struct {
	// AssumeRolePolicySize is the largest trust policy (default 2,048).
	AssumeRolePolicySize int `json:"assumeRolePolicySize"`
	// AttachedPoliciesPerRole is the most managed policies a role may have
	// attached (default 10).
	AttachedPoliciesPerRole int `json:"attachedPoliciesPerRole"`
	// RolePolicySize is the largest total of a role's inline policies
	// (default 10,240).
	RolePolicySize int `json:"rolePolicySize,omitempty"`
	// PolicySize is the largest managed policy (default 6,144).
	PolicySize int `json:"policySize,omitempty"`
}

// Cluster is an observed EKS cluster with its profiles, add-ons, access
// configuration and Kubernetes state.
type Cluster struct {
	// Region of the cluster.
	Region string `json:"region"`
	// Name of the cluster.
	Name string `json:"name"`
	// ARN of the cluster.
	ARN string `json:"arn"`
	// Status is ACTIVE, CREATING, …
	Status string `json:"status,omitempty"`
	// Version is the Kubernetes minor version, such as "1.33".
	Version string `json:"version"`
	// PlatformVersion is the EKS platform version.
	PlatformVersion string `json:"platformVersion,omitempty"`
	// Endpoint is the API server URL.
	Endpoint string `json:"endpoint,omitempty"`
	// CertificateAuthority is the base64 PEM CA of the API server.
	CertificateAuthority string `json:"-"`
	// RoleARN is the cluster IAM role.
	RoleARN string `json:"roleARN"`
	// VPCID is the cluster's VPC.
	VPCID string `json:"vpcID,omitempty"`
	// SubnetIDs are the cluster's subnets.
	SubnetIDs []string `json:"subnetIDs,omitempty"`
	// EndpointPublicAccess and EndpointPrivateAccess are the endpoint
	// settings.
	EndpointPublicAccess bool `json:"endpointPublicAccess"`
	// EndpointPrivateAccess is true when the private endpoint is on.
	EndpointPrivateAccess bool `json:"endpointPrivateAccess"`
	// PublicAccessCIDRs limit the public endpoint.
	PublicAccessCIDRs []string `json:"publicAccessCIDRs,omitempty"`
	// ServiceIPv4CIDR is the Kubernetes service CIDR.
	ServiceIPv4CIDR string `json:"serviceIPv4CIDR,omitempty"`
	// Logging lists the enabled control-plane log types, sorted.
	Logging []string `json:"logging,omitempty"`
	// SecretsKMSKeyARN is the KMS key of Secrets envelope encryption; empty
	// when it is off.
	SecretsKMSKeyARN string `json:"secretsKMSKeyARN,omitempty"`
	// AuthenticationMode is CONFIG_MAP, API_AND_CONFIG_MAP or API.
	AuthenticationMode string `json:"authenticationMode"`
	// OIDCIssuer is the cluster's OIDC issuer URL.
	OIDCIssuer string `json:"oidcIssuer,omitempty"`
	// DeletionProtection is nil when EKS did not report it.
	DeletionProtection *bool `json:"deletionProtection,omitempty"`
	// Tags on the cluster.
	Tags map[string]string `json:"tags,omitempty"`

	// FargateProfiles, sorted by name.
	FargateProfiles []*FargateProfile `json:"fargateProfiles"`
	// Addons, sorted by name.
	Addons []*Addon `json:"addons"`
	// AccessEntries, sorted by principal ARN.
	AccessEntries []*AccessEntry `json:"accessEntries"`
	// PodIdentityAssociations, sorted by namespace and service account.
	PodIdentityAssociations []*PodIdentityAssociation `json:"podIdentityAssociations"`
	// Kube is the state read from the cluster's Kubernetes API; nil when it
	// was not read.
	Kube *KubeState `json:"kube,omitempty"`
}

// Ref returns the cluster's region and name.
func (c *Cluster) Ref() ClusterRef { return ClusterRef{Region: c.Region, Name: c.Name} }

// Addon returns the add-on with the given name, or nil.
func (c *Cluster) Addon(name string) *Addon {
	for _, a := range c.Addons {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// FargateProfile is an observed Fargate profile.
type FargateProfile struct {
	// Name of the profile.
	Name string `json:"name"`
	// ARN of the profile.
	ARN string `json:"arn,omitempty"`
	// Status is ACTIVE, CREATING, …
	Status string `json:"status,omitempty"`
	// PodExecutionRoleARN is the profile's pod execution role.
	PodExecutionRoleARN string `json:"podExecutionRoleARN"`
	// Subnets of the profile.
	Subnets []string `json:"subnets"`
	// Selectors of the profile.
	Selectors []Selector `json:"selectors"`
}

// Selector is a Fargate profile selector.
type Selector struct {
	// Namespace, with the wildcards * and ? that EKS allows.
	Namespace string `json:"namespace"`
	// Labels a pod must carry, all of them.
	Labels map[string]string `json:"labels,omitempty"`
}

// Matches reports whether a pod in namespace ns with the given labels is
// selected, with EKS's wildcards in the namespace and the labels
// (eksfargate.Selector.Matches).
func (s Selector) Matches(ns string, labels map[string]string) bool {
	return eksfargate.Selector{Namespace: s.Namespace, Labels: s.Labels}.Matches(ns, labels)
}

// Addon is an observed EKS managed add-on.
type Addon struct {
	// Name, such as "coredns".
	Name string `json:"name"`
	// Version of the add-on.
	Version string `json:"version,omitempty"`
	// Status is ACTIVE, DEGRADED, …
	Status string `json:"status,omitempty"`
	// ConfigurationValues is the add-on's configuration (JSON or YAML).
	ConfigurationValues string `json:"configurationValues,omitempty"`
	// ServiceAccountRoleARN is the IRSA role of the add-on.
	ServiceAccountRoleARN string `json:"serviceAccountRoleARN,omitempty"`
}

// AccessEntry is an observed access entry.
type AccessEntry struct {
	// PrincipalARN is the IAM principal.
	PrincipalARN string `json:"principalARN"`
	// Type is STANDARD, FARGATE_LINUX, EC2_LINUX, …
	Type string `json:"type"`
	// Username in Kubernetes.
	Username string `json:"username,omitempty"`
	// KubernetesGroups of the entry.
	KubernetesGroups []string `json:"kubernetesGroups,omitempty"`
	// Policies are the associated access policies.
	Policies []AccessPolicyAssociation `json:"policies,omitempty"`
}

// AccessPolicyAssociation is an access policy associated with an entry.
type AccessPolicyAssociation struct {
	// PolicyARN of the access policy.
	PolicyARN string `json:"policyARN"`
	// ScopeType is "cluster" or "namespace".
	ScopeType string `json:"scopeType"`
	// Namespaces of a namespace scope.
	Namespaces []string `json:"namespaces,omitempty"`
}

// PodIdentityAssociation is an observed EKS Pod Identity association.
type PodIdentityAssociation struct {
	// Namespace of the service account.
	Namespace string `json:"namespace"`
	// ServiceAccount name.
	ServiceAccount string `json:"serviceAccount"`
	// AssociationARN of the association.
	AssociationARN string `json:"associationARN"`
	// AssociationID of the association.
	AssociationID string `json:"associationID"`
}

// ClusterVersion is an entry of the Kubernetes version catalogue.
type ClusterVersion struct {
	// Version is the minor version, such as "1.33".
	Version string `json:"version"`
	// Status is STANDARD_SUPPORT, EXTENDED_SUPPORT or UNSUPPORTED.
	Status string `json:"status"`
	// Default marks the version EKS uses when none is given.
	Default bool `json:"default,omitempty"`
	// EndOfStandardSupport, when known.
	EndOfStandardSupport *time.Time `json:"endOfStandardSupport,omitempty"`
	// EndOfExtendedSupport, when known.
	EndOfExtendedSupport *time.Time `json:"endOfExtendedSupport,omitempty"`
}

// Version support statuses as DescribeClusterVersions reports them.
const (
	VersionStandardSupport = "STANDARD_SUPPORT"
	VersionExtendedSupport = "EXTENDED_SUPPORT"
	VersionUnsupported     = "UNSUPPORTED"
)

// Network holds the observed subnets and VPCs of a region.
type Network struct {
	// Subnets by ID.
	Subnets map[string]*Subnet `json:"subnets"`
	// VPCs by ID.
	VPCs map[string]*VPC `json:"vpcs"`
}

// Subnet is an observed subnet with the route that makes it public, if any.
type Subnet struct {
	// ID of the subnet.
	ID string `json:"id"`
	// VPCID of the subnet.
	VPCID string `json:"vpcID"`
	// AvailabilityZone of the subnet.
	AvailabilityZone string `json:"availabilityZone"`
	// CIDR of the subnet.
	CIDR string `json:"cidr,omitempty"`
	// RouteTableID is the route table in effect (explicit association or
	// the VPC's main table).
	RouteTableID string `json:"routeTableID,omitempty"`
	// InternetGatewayRoute is the internet gateway a default route of that
	// table points to ("igw-…"); empty for a private subnet.
	InternetGatewayRoute string `json:"internetGatewayRoute,omitempty"`
}

// Public reports whether the subnet routes to an internet gateway.
func (s *Subnet) Public() bool { return s.InternetGatewayRoute != "" }

// VPC is an observed VPC.
type VPC struct {
	// ID of the VPC.
	ID string `json:"id"`
	// CIDRs are the VPC's IPv4 CIDR blocks (primary and associated).
	CIDRs []string `json:"cidrs"`
}

// KMSKey is an observed KMS key.
type KMSKey struct {
	// ARN of the key.
	ARN string `json:"arn"`
	// KeyManager is CUSTOMER or AWS.
	KeyManager string `json:"keyManager"`
	// State is Enabled, Disabled, PendingDeletion, …
	State string `json:"state"`
}

// Role is an observed IAM role.
type Role struct {
	// Name of the role.
	Name string `json:"name"`
	// ARN of the role.
	ARN string `json:"arn"`
	// Path of the role.
	Path string `json:"path"`
	// RoleID is the role's unique ID (AROA…).
	RoleID string `json:"roleID,omitempty"`
	// TrustSource is the trust policy as IAM returned it, decoded once.
	TrustSource string `json:"trustSource,omitempty"`
	// Trust is the parsed trust policy; nil when it did not parse.
	Trust *iamtrust.Document `json:"-"`
	// TrustError says why the trust policy did not parse.
	TrustError string `json:"trustError,omitempty"`
	// PoliciesRead is true when the role's attached and inline policies
	// and boundary were read (for the roles wired to audited clusters).
	PoliciesRead bool `json:"policiesRead,omitempty"`
	// AttachedPolicies are the managed policies attached to the role.
	AttachedPolicies []AttachedPolicy `json:"attachedPolicies,omitempty"`
	// InlinePolicies are the role's inline policies (read for wired roles).
	InlinePolicies []*InlinePolicy `json:"inlinePolicies,omitempty"`
	// PermissionsBoundary is the ARN of the role's permissions boundary;
	// empty when it has none (read for wired roles).
	PermissionsBoundary string `json:"permissionsBoundary,omitempty"`
	// Tags of the role (read for wired roles, with their policies). A fix
	// rewrites a role only when it carries fargatekit.io/cluster, or with
	// Options.AllowUnowned.
	Tags map[string]string `json:"tags,omitempty"`
}

// HasPolicy reports whether a managed policy with the given ARN is attached.
func (r *Role) HasPolicy(arn string) bool {
	for _, p := range r.AttachedPolicies {
		if p.ARN == arn {
			return true
		}
	}
	return false
}

// AttachedPolicy is a managed policy attached to a role.
type AttachedPolicy struct {
	// Name of the policy.
	Name string `json:"name"`
	// ARN of the policy.
	ARN string `json:"arn"`
}

// InlinePolicy is an inline policy of a role.
type InlinePolicy struct {
	// Name of the policy.
	Name string `json:"name"`
	// Source is the document as IAM returned it, decoded once.
	Source string `json:"source"`
	// Doc is the parsed document; nil when it did not parse.
	Doc *iamtrust.Document `json:"-"`
	// Error says why the document did not parse.
	Error string `json:"error,omitempty"`
}

// ManagedPolicy is a managed policy with its default version.
type ManagedPolicy struct {
	// ARN of the policy.
	ARN string `json:"arn"`
	// Name of the policy.
	Name string `json:"name"`
	// DefaultVersion is the version ID in force.
	DefaultVersion string `json:"defaultVersion"`
	// Source is the default version's document, decoded once.
	Source string `json:"source"`
	// Doc is the parsed document; nil when it did not parse.
	Doc *iamtrust.Document `json:"-"`
	// Error says why the document did not parse.
	Error string `json:"error,omitempty"`
}

// OIDCProvider is an observed IAM OIDC provider.
type OIDCProvider struct {
	// ARN of the provider.
	ARN string `json:"arn"`
	// URL is the issuer without scheme, as IAM stores it.
	URL string `json:"url"`
	// ClientIDs are the audiences the provider accepts.
	ClientIDs []string `json:"clientIDs"`
}

// KubeState is what the audit read from a cluster's Kubernetes API.
type KubeState struct {
	// ServiceAccounts, sorted by namespace and name.
	ServiceAccounts []ServiceAccount `json:"serviceAccounts"`
	// Pods, sorted by namespace and name.
	Pods []Pod `json:"pods"`
	// Namespaces, sorted.
	Namespaces []string `json:"namespaces"`
	// AWSAuth is the aws-auth ConfigMap; nil when it does not exist.
	AWSAuth *AWSAuth `json:"awsAuth,omitempty"`
	// CoreDNS is the coredns Deployment; nil when it does not exist.
	CoreDNS *Deployment `json:"coreDNS,omitempty"`
	// RBAC are the cluster's RBAC objects; nil when they were not read.
	RBAC *RBAC `json:"rbac,omitempty"`
}

// RBAC holds a cluster's RBAC objects, reduced to what the access map
// evaluates.
type RBAC struct {
	// ClusterRoles, by name.
	ClusterRoles []RBACRole `json:"clusterRoles"`
	// Roles, by namespace and name.
	Roles []RBACRole `json:"roles"`
	// ClusterRoleBindings, by name.
	ClusterRoleBindings []RBACBinding `json:"clusterRoleBindings"`
	// RoleBindings, by namespace and name.
	RoleBindings []RBACBinding `json:"roleBindings"`
}

// RBACRole is a Role or ClusterRole.
type RBACRole struct {
	// Namespace is empty for a ClusterRole.
	Namespace string `json:"namespace,omitempty"`
	// Name of the role.
	Name string `json:"name"`
	// Labels of the role, which aggregation rules select.
	Labels map[string]string `json:"labels,omitempty"`
	// Rules are the role's policy rules as stored; for an aggregated
	// ClusterRole the stored rules are what kube-controller-manager filled
	// in, and the access map computes them from Aggregation instead.
	Rules []RBACRule `json:"rules,omitempty"`
	// Aggregation are the label selectors of an aggregated ClusterRole
	// (aggregationRule.clusterRoleSelectors), as "key=value,key2=value2"
	// selector strings; nil for a role without aggregation.
	Aggregation []string `json:"aggregation,omitempty"`
}

// RBACRule is one PolicyRule.
type RBACRule struct {
	// Verbs, such as get, list, create, "*".
	Verbs []string `json:"verbs"`
	// APIGroups, "" for the core group, "*" for all.
	APIGroups []string `json:"apiGroups,omitempty"`
	// Resources, with subresources as "pods/exec"; "*" for all.
	Resources []string `json:"resources,omitempty"`
	// ResourceNames narrow the rule to these objects.
	ResourceNames []string `json:"resourceNames,omitempty"`
	// NonResourceURLs of a ClusterRole rule.
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// RBACBinding is a RoleBinding or ClusterRoleBinding.
type RBACBinding struct {
	// Namespace is empty for a ClusterRoleBinding.
	Namespace string `json:"namespace,omitempty"`
	// Name of the binding.
	Name string `json:"name"`
	// RoleKind is Role or ClusterRole.
	RoleKind string `json:"roleKind"`
	// RoleName is the bound role.
	RoleName string `json:"roleName"`
	// Subjects of the binding.
	Subjects []RBACSubject `json:"subjects"`
}

// RBACSubject is a binding's subject.
type RBACSubject struct {
	// Kind is User, Group or ServiceAccount.
	Kind string `json:"kind"`
	// Name of the user, group or ServiceAccount.
	Name string `json:"name"`
	// Namespace of a ServiceAccount.
	Namespace string `json:"namespace,omitempty"`
}

// ServiceAccount is a Kubernetes ServiceAccount, reduced to what the checks
// use.
type ServiceAccount struct {
	// Namespace of the ServiceAccount.
	Namespace string `json:"namespace"`
	// Name of the ServiceAccount.
	Name string `json:"name"`
	// RoleARN is the eks.amazonaws.com/role-arn annotation, if any.
	RoleARN string `json:"roleARN,omitempty"`
	// Audience is the eks.amazonaws.com/audience annotation, if any
	// (default sts.amazonaws.com).
	Audience string `json:"audience,omitempty"`
}

// Pod is a Kubernetes Pod, reduced to what the checks use.
type Pod struct {
	// Namespace of the pod.
	Namespace string `json:"namespace"`
	// Name of the pod.
	Name string `json:"name"`
	// Labels of the pod.
	Labels map[string]string `json:"labels,omitempty"`
	// Phase is Pending, Running, …
	Phase string `json:"phase"`
	// SchedulerName is the pod's scheduler (fargate-scheduler on Fargate).
	SchedulerName string `json:"schedulerName,omitempty"`
	// NodeName is the node the pod runs on, if scheduled.
	NodeName string `json:"nodeName,omitempty"`
	// OwnerKind is the kind of the controlling owner (ReplicaSet,
	// DaemonSet, …), if any.
	OwnerKind string `json:"ownerKind,omitempty"`
}

// AWSAuth is the parsed aws-auth ConfigMap.
type AWSAuth struct {
	// MapRoles are the role mappings.
	MapRoles []AWSAuthMapping `json:"mapRoles,omitempty"`
	// MapUsers are the user mappings.
	MapUsers []AWSAuthMapping `json:"mapUsers,omitempty"`
	// MapAccounts are the accounts whose IAM principals are all mapped,
	// each with its own ARN as username.
	MapAccounts []string `json:"mapAccounts,omitempty"`
}

// AWSAuthMapping is an entry of mapRoles or mapUsers.
type AWSAuthMapping struct {
	// ARN is rolearn (mapRoles) or userarn (mapUsers); an IAM Identity
	// Center matcher is "sso:ACCOUNT:PERMISSION-SET".
	ARN string `json:"arn"`
	// Username in Kubernetes.
	Username string `json:"username,omitempty"`
	// Groups in Kubernetes.
	Groups []string `json:"groups,omitempty"`
}

// Deployment is a Kubernetes Deployment, reduced to what the checks use.
type Deployment struct {
	// Namespace of the Deployment.
	Namespace string `json:"namespace"`
	// Name of the Deployment.
	Name string `json:"name"`
	// TemplateLabels are the pod template's labels.
	TemplateLabels map[string]string `json:"templateLabels,omitempty"`
	// TemplateAnnotations are the pod template's annotations.
	TemplateAnnotations map[string]string `json:"templateAnnotations,omitempty"`
	// Replicas wanted.
	Replicas int32 `json:"replicas"`
	// ReadyReplicas reported.
	ReadyReplicas int32 `json:"readyReplicas"`
}

// Role returns the role with the given ARN, or nil. The ARN may carry a path
// or not: aws-auth and annotations often leave the path out.
func (s *Snapshot) Role(arn string) *Role {
	if s.roleIndex != nil {
		if r, ok := s.roleIndex[arn]; ok {
			return r
		}
		return s.roleIndex[roleARNWithoutPath(arn)]
	}
	bare := roleARNWithoutPath(arn)
	var loose *Role
	for _, r := range s.Roles {
		if r.ARN == arn {
			return r
		}
		if loose == nil && roleARNWithoutPath(r.ARN) == bare {
			loose = r
		}
	}
	return loose
}

// index builds the role index that makes Role fast. Audit calls it once
// before running checks; a Snapshot built by hand works without it.
func (s *Snapshot) index() {
	s.roleIndex = make(map[string]*Role, 2*len(s.Roles))
	for _, r := range s.Roles {
		if _, dup := s.roleIndex[roleARNWithoutPath(r.ARN)]; !dup {
			s.roleIndex[roleARNWithoutPath(r.ARN)] = r
		}
	}
	for _, r := range s.Roles {
		s.roleIndex[r.ARN] = r
	}
}

// roleARNWithoutPath strips the path of a role ARN:
// arn:aws:iam::1:role/a/b/name → arn:aws:iam::1:role/name.
func roleARNWithoutPath(arn string) string {
	i := strings.Index(arn, ":role/")
	if i < 0 {
		return arn
	}
	rest := arn[i+len(":role/"):]
	if j := strings.LastIndexByte(rest, '/'); j >= 0 {
		return arn[:i+len(":role/")] + rest[j+1:]
	}
	return arn
}

// OIDCProviderFor returns the provider whose URL is the issuer's, or nil.
func (s *Snapshot) OIDCProviderFor(issuer string) *OIDCProvider {
	want := iamtrust.IssuerHostPath(issuer)
	for _, p := range s.OIDCProviders {
		if iamtrust.IssuerHostPath(p.URL) == want || strings.HasSuffix(p.ARN, ":oidc-provider/"+want) {
			return p
		}
	}
	return nil
}

// Subnet returns an observed subnet of a region, or nil.
func (s *Snapshot) Subnet(region, id string) *Subnet {
	if n := s.Network[region]; n != nil {
		return n.Subnets[id]
	}
	return nil
}

// ClusterVersion returns the catalogue entry of a version in a region.
func (s *Snapshot) ClusterVersion(region, version string) (ClusterVersion, bool) {
	for _, v := range s.ClusterVersions[region] {
		if v.Version == version {
			return v, true
		}
	}
	return ClusterVersion{}, false
}

// Cluster returns the observed cluster of a region with the given name.
func (s *Snapshot) Cluster(region, name string) *Cluster {
	for _, c := range s.Clusters {
		if c.Region == region && c.Name == name {
			return c
		}
	}
	return nil
}

// sortSnapshot puts every list in a stable order.
func (s *Snapshot) sort() {
	sort.Strings(s.Regions)
	sort.Slice(s.Clusters, func(i, j int) bool {
		a, b := s.Clusters[i], s.Clusters[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Name < b.Name
	})
	for _, c := range s.Clusters {
		sort.Slice(c.FargateProfiles, func(i, j int) bool { return c.FargateProfiles[i].Name < c.FargateProfiles[j].Name })
		sort.Slice(c.Addons, func(i, j int) bool { return c.Addons[i].Name < c.Addons[j].Name })
		sort.Slice(c.AccessEntries, func(i, j int) bool { return c.AccessEntries[i].PrincipalARN < c.AccessEntries[j].PrincipalARN })
		sort.Slice(c.PodIdentityAssociations, func(i, j int) bool {
			a, b := c.PodIdentityAssociations[i], c.PodIdentityAssociations[j]
			if a.Namespace != b.Namespace {
				return a.Namespace < b.Namespace
			}
			return a.ServiceAccount < b.ServiceAccount
		})
		if k := c.Kube; k != nil {
			sort.Slice(k.ServiceAccounts, func(i, j int) bool {
				a, b := k.ServiceAccounts[i], k.ServiceAccounts[j]
				if a.Namespace != b.Namespace {
					return a.Namespace < b.Namespace
				}
				return a.Name < b.Name
			})
			sort.Slice(k.Pods, func(i, j int) bool {
				a, b := k.Pods[i], k.Pods[j]
				if a.Namespace != b.Namespace {
					return a.Namespace < b.Namespace
				}
				return a.Name < b.Name
			})
			sort.Strings(k.Namespaces)
		}
	}
	sort.Slice(s.Roles, func(i, j int) bool { return s.Roles[i].ARN < s.Roles[j].ARN })
	sort.Slice(s.OIDCProviders, func(i, j int) bool { return s.OIDCProviders[i].ARN < s.OIDCProviders[j].ARN })
	sort.Slice(s.MissingClusters, func(i, j int) bool { return s.MissingClusters[i].String() < s.MissingClusters[j].String() })
	sort.SliceStable(s.Unavailable, func(i, j int) bool {
		a, b := s.Unavailable[i], s.Unavailable[j]
		if a.What != b.What {
			return a.What < b.What
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Resource < b.Resource
	})
	s.roleIndex = nil
}
