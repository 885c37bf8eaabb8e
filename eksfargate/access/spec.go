package access

import "strings"

// Authentication modes of an EKS cluster. The mode only moves forward:
// CONFIG_MAP → API_AND_CONFIG_MAP → API.
const (
	AuthModeConfigMap         = "CONFIG_MAP"
	AuthModeAPIAndConfigMap   = "API_AND_CONFIG_MAP"
	AuthModeAPI               = "API"
	DefaultAuthenticationMode = AuthModeAPI
)

// Well-known Kubernetes groups and EKS access policies.
const (
	GroupSystemMasters       = "system:masters"
	ClusterAdminAccessPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

// Spec says who may use the cluster. Mappings go to the aws-auth
// ConfigMap in the CONFIG_MAP and API_AND_CONFIG_MAP modes and to access
// entries in the API and API_AND_CONFIG_MAP modes.
type Spec struct {
	// Mappings of IAM principals to Kubernetes identities.
	Mappings []Mapping `json:"mappings,omitempty"`
	// MigrateToAccessEntries creates access entries for every aws-auth
	// mapping (the plan lists each), as a step towards the API mode.
	MigrateToAccessEntries bool `json:"migrateToAccessEntries,omitempty"`
}

// Mapping maps an IAM role or user to a Kubernetes username and groups
// and, for access entries, to access policies.
type Mapping struct {
	// ARN of the IAM role or user.
	ARN string `json:"arn"`
	// Username in Kubernetes. Default: derived by EKS from the ARN.
	Username string `json:"username,omitempty"`
	// Groups in Kubernetes.
	Groups []string `json:"groups,omitempty"`
	// AccessPolicies associated with the access entry.
	AccessPolicies []Policy `json:"accessPolicies,omitempty"`
	// AllowClusterAdmin is the explicit opt-in required for a mapping to
	// system:masters or to the cluster-admin access policy.
	AllowClusterAdmin bool `json:"allowClusterAdmin,omitempty"`
}

// Policy is an EKS access policy association.
type Policy struct {
	// PolicyARN, for example
	// arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy.
	PolicyARN string `json:"policyARN"`
	// Namespaces limits the scope; empty means the whole cluster.
	Namespaces []string `json:"namespaces,omitempty"`
}

// Target is the cluster whose access Plan and Validate consider: what they
// need of eksfargate's spec.
type Target struct {
	// Cluster is the EKS cluster's name.
	Cluster string
	// Mode is the authentication mode the spec asks for; empty means
	// DefaultAuthenticationMode.
	Mode string
	// PodExecutionRoleARN is the spec's Fargate pod execution role, which
	// EKS maps by itself and the spec must not map.
	PodExecutionRoleARN string
	// Access is the spec's access section.
	Access Spec
}

// Problem is a problem of the access section of a spec: the field path
// (from "spec"), the rule it breaks and the fix.
type Problem struct {
	// Path is the field, such as "spec.access.mappings[0].groups[1]".
	Path string `json:"path"`
	// Rule says what is wrong.
	Rule string `json:"rule"`
	// Fix says what to do about it.
	Fix string `json:"fix,omitempty"`
}

// ValidationError is every problem of the access section, as Plan refuses
// it before reading anything.
type ValidationError struct {
	// Problems in spec order.
	Problems []Problem
}

// Error renders one problem per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("access: invalid spec:")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.Path + ": " + p.Rule)
		if p.Fix != "" {
			b.WriteString("; fix: " + p.Fix)
		}
	}
	return b.String()
}
