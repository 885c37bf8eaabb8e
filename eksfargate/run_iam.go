package eksfargate

import (
	"context"

	"github.com/fargatekit/fargatekit/internal/ops"
)

// createRole creates a role (ops.CreateRole). A role of that name that an
// earlier create whose answer was lost (an interrupted apply) left, tagged
// for this cluster and with the same path, is adopted: its trust policy,
// tags and boundary are brought in line. Either way the role is noted as
// new, for the IAM propagation retries.
func (x *executor) createRole(ctx context.Context, name, path, trust, boundary, description string, tags map[string]string) error {
	err := ops.RoleCreate(ctx, x.c.IAM, ops.NewRole{
		Name: name, Path: path, Description: description, Trust: trust, Boundary: boundary, Tags: tags, Cluster: x.cluster,
	})
	if err != nil {
		return err
	}
	x.noteRole(name)
	return nil
}

func (x *executor) repairRole(ctx context.Context, name string, fixTrust bool, trust, boundary string) error {
	if fixTrust {
		if err := ops.RoleTrust(ctx, x.c.IAM, name, trust); err != nil {
			return err
		}
		x.noteRole(name)
	}
	if boundary != "" {
		if err := ops.RoleBoundary(ctx, x.c.IAM, name, boundary); err != nil {
			return err
		}
	}
	return nil
}

func (x *executor) attachRolePolicy(ctx context.Context, role, policyARN string) error {
	return ops.PolicyAttach(ctx, x.c.IAM, role, policyARN)
}

// detachRolePolicy detaches a managed policy; one already detached is fine.
func (x *executor) detachRolePolicy(ctx context.Context, role, policyARN string) error {
	return ops.PolicyDetach(ctx, x.c.IAM, role, policyARN)
}

// deleteRolePolicy deletes an inline policy; one already gone is fine.
func (x *executor) deleteRolePolicy(ctx context.Context, role, name string) error {
	return ops.InlinePolicyDelete(ctx, x.c.IAM, role, name)
}

// retagRole tags and untags an IAM role.
func (x *executor) retagRole(ctx context.Context, name string, set map[string]string, unset []string) error {
	if err := ops.RoleTag(ctx, x.c.IAM, name, set); err != nil {
		return err
	}
	return ops.RoleUntag(ctx, x.c.IAM, name, unset)
}

// deleteRole detaches the role's managed policies and deletes its inline
// policies, both as observed when the change was planned, then deletes it.
// A role already gone is fine; a policy attached since the plan makes IAM
// refuse the delete (DeleteConflict).
func (x *executor) deleteRole(ctx context.Context, name string, managed, inline []string) error {
	return ops.RoleDelete(ctx, x.c.IAM, name, managed, inline)
}
