package irsa

// ServiceAccountRef names a Kubernetes ServiceAccount.
type ServiceAccountRef struct {
	// Namespace of the ServiceAccount.
	Namespace string `json:"namespace"`
	// Name of the ServiceAccount.
	Name string `json:"name"`
}

// String returns "namespace/name".
func (r ServiceAccountRef) String() string { return r.Namespace + "/" + r.Name }

// Subject returns the OIDC subject a projected token of this ServiceAccount
// carries: "system:serviceaccount:NAMESPACE:NAME".
func (r ServiceAccountRef) Subject() string {
	return "system:serviceaccount:" + r.Namespace + ":" + r.Name
}

// ServiceAccountRole is an IAM role for one or more Kubernetes service
// accounts (IRSA): the IAM role, its web-identity trust, the policies it
// carries, and the eks.amazonaws.com/role-arn annotation on each
// ServiceAccount.
type ServiceAccountRole struct {
	// Namespace and Name of the main ServiceAccount.
	Namespace string `json:"namespace"`
	// Name of the main ServiceAccount.
	Name string `json:"name"`
	// AlsoServiceAccounts lists more ServiceAccounts that share the role; the
	// trust then allows each of them.
	AlsoServiceAccounts []ServiceAccountRef `json:"alsoServiceAccounts,omitempty"`
	// RoleName of the IAM role. Default: derived from the cluster, namespace
	// and name, at most 64 characters, stable.
	RoleName string `json:"roleName,omitempty"`
	// RolePath of the IAM role. Default "/".
	RolePath string `json:"rolePath,omitempty"`
	// ManagedPolicyARNs are attached to the role, exactly.
	ManagedPolicyARNs []string `json:"managedPolicyARNs,omitempty"`
	// InlinePolicies maps an inline policy name to its JSON document.
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
	// PermissionsBoundary is the ARN of a managed policy used as the role's
	// permissions boundary.
	PermissionsBoundary string `json:"permissionsBoundary,omitempty"`
	// Tags on the role; fargatekit adds its ownership tag.
	Tags map[string]string `json:"tags,omitempty"`
	// AllowWildcardSubjects is the explicit opt-in for namespace or name
	// patterns containing * or ?, which put the subject under StringLike.
	AllowWildcardSubjects bool `json:"allowWildcardSubjects,omitempty"`
	// STSRegionalEndpoints sets eks.amazonaws.com/sts-regional-endpoints.
	STSRegionalEndpoints *bool `json:"stsRegionalEndpoints,omitempty"`
	// TokenExpiration sets eks.amazonaws.com/token-expiration, in seconds.
	TokenExpiration *int64 `json:"tokenExpiration,omitempty"`
	// OverrideExistingAnnotation allows replacing an
	// eks.amazonaws.com/role-arn annotation that points at another role.
	OverrideExistingAnnotation bool `json:"overrideExistingAnnotation,omitempty"`
	// DetachUnmanagedPolicies lets apply detach the managed policies
	// attached to the role out of band and delete the inline policies put on
	// it out of band. Without it they are pending drift: the plan shows
	// their removal as blocked (so --detailed-exitcode exits 1), and apply
	// leaves them.
	DetachUnmanagedPolicies bool `json:"detachUnmanagedPolicies,omitempty"`
	// RestartWorkloads restarts the Deployments, StatefulSets and DaemonSets
	// that use the ServiceAccounts after the annotation changes, so their pods
	// pick up credentials.
	RestartWorkloads bool `json:"restartWorkloads,omitempty"`
}

// ServiceAccounts returns the main ServiceAccount followed by the others.
func (r ServiceAccountRole) ServiceAccounts() []ServiceAccountRef {
	return append([]ServiceAccountRef{{Namespace: r.Namespace, Name: r.Name}}, r.AlsoServiceAccounts...)
}

// EffectiveRoleName returns RoleName, or DefaultRoleName(cluster, Namespace,
// Name) when RoleName is empty.
func (r ServiceAccountRole) EffectiveRoleName(cluster string) string {
	if r.RoleName != "" {
		return r.RoleName
	}
	return DefaultRoleName(cluster, r.Namespace, r.Name)
}

// EffectiveRolePath returns RolePath, or "/" when it is empty.
func (r ServiceAccountRole) EffectiveRolePath() string {
	if r.RolePath == "" {
		return "/"
	}
	return r.RolePath
}

// RoleARN returns the ARN the role has (or will have) in the cluster's
// account: "arn:PARTITION:iam::ACCOUNT:role/PATH/NAME".
func (r ServiceAccountRole) RoleARN(c Cluster) string {
	return "arn:" + c.partition() + ":iam::" + c.AccountID + ":role" + r.EffectiveRolePath() + r.EffectiveRoleName(c.Name)
}
