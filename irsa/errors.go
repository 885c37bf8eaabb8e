package irsa

import (
	"errors"
	"fmt"
)

// ValidationError is one problem with the input of Plan: the cluster or a
// ServiceAccountRole. Plan reports every problem at once, joined with
// errors.Join; use errors.As for the first one.
type ValidationError struct {
	// Field is the path of the field, such as "roles[1].managedPolicyARNs[0]"
	// or "cluster.IssuerURL".
	Field string
	// Msg says what is wrong and what is expected.
	Msg string
}

// Error returns "irsa: FIELD: MSG".
func (e *ValidationError) Error() string { return "irsa: " + e.Field + ": " + e.Msg }

// AnnotationConflictError is returned by Plan when a ServiceAccount's
// eks.amazonaws.com/role-arn annotation names another role and the
// ServiceAccountRole does not set OverrideExistingAnnotation.
type AnnotationConflictError struct {
	// ServiceAccount is the annotated ServiceAccount.
	ServiceAccount ServiceAccountRef
	// Current is the role ARN the annotation holds.
	Current string
	// Desired is the role ARN the spec wants there.
	Desired string
}

// Error names the ServiceAccount and both ARNs.
func (e *AnnotationConflictError) Error() string {
	return fmt.Sprintf("irsa: ServiceAccount %s is annotated %s=%s, not %s; another tool or person may rely on that role: set OverrideExistingAnnotation to replace it",
		e.ServiceAccount, AnnotationRoleARN, e.Current, e.Desired)
}

// ErrNamespaceMissing is returned (wrapped in a *ServiceAccountError) when the
// namespace of a ServiceAccount to create does not exist. fargatekit does not
// create namespaces: they carry policies (quotas, network policies, Fargate
// profile selectors) that their owner must decide.
var ErrNamespaceMissing = errors.New("namespace does not exist; create it first (fargatekit does not create namespaces)")

// ServiceAccountError is a problem with one ServiceAccount found while
// planning.
type ServiceAccountError struct {
	// ServiceAccount is the ServiceAccount.
	ServiceAccount ServiceAccountRef
	// Err is the problem.
	Err error
}

// Error returns "irsa: ServiceAccount NS/NAME: ERR".
func (e *ServiceAccountError) Error() string {
	return "irsa: ServiceAccount " + e.ServiceAccount.String() + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *ServiceAccountError) Unwrap() error { return e.Err }

// RoleConflictError is returned by Plan when an existing role cannot become
// the role the spec describes without being deleted, such as a role with
// another path (IAM cannot move a role).
type RoleConflictError struct {
	// Role is the role's name.
	Role string
	// Msg says what differs and what to do.
	Msg string
}

// Error returns "irsa: role NAME: MSG".
func (e *RoleConflictError) Error() string { return "irsa: role " + e.Role + ": " + e.Msg }
