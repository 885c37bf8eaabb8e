package ops

// Kinds of the resources the write path changes (plan.Change.Kind), and the
// IDs and serial keys of their changes: one scheme for every planner, so
// that a change has the same ID whether eksfargate, irsa or an audit fix
// plans it.
const (
	KindRole         = "iam.role"
	KindRolePolicy   = "iam.role-policy-attachment"
	KindInlinePolicy = "iam.role-inline-policy"
	KindOIDCProvider = "iam.oidc-provider"
	KindAddon        = "eks.addon"
	KindAccessEntry  = "eks.access-entry"
)

// RoleID is the ID of a change of a role.
func RoleID(role string) string { return "iam.role/" + role }

// RolePolicyID is the ID of attaching or detaching a managed policy.
func RolePolicyID(role, policyARN string) string { return "iam.role-policy/" + role + "/" + policyARN }

// InlinePolicyID is the ID of putting or deleting an inline policy.
func InlinePolicyID(role, name string) string { return "iam.role-inline-policy/" + role + "/" + name }

// OIDCProviderID is the ID of a change of the OIDC provider of an issuer
// (its URL without https://).
func OIDCProviderID(issuerHostPath string) string { return "iam.oidc-provider/" + issuerHostPath }

// ClusterUpdateSerial is the serial key of the changes that update a
// cluster or its add-ons: EKS runs one update of a cluster at a time.
func ClusterUpdateSerial(cluster string) string { return "eks.cluster-update/" + cluster }
