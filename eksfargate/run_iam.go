package eksfargate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func iamTags(tags map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(tags))
	for _, k := range specSortedKeys(tags) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func (x *executor) createRole(ctx context.Context, name, path, trust, boundary, description string, tags map[string]string) error {
	in := &iam.CreateRoleInput{
		RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String(description), Tags: iamTags(tags),
	}
	if boundary != "" {
		in.PermissionsBoundary = aws.String(boundary)
	}
	_, err := x.c.IAM.CreateRole(ctx, in)
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		// An earlier create whose answer was lost (an interrupted apply)
		// leaves a role tagged for us: bring its trust policy in line.
		out, gerr := x.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if gerr == nil && iamTagMap(out.Role.Tags)[OwnerTag] == x.cluster && aws.ToString(out.Role.Path) == path {
			return x.repairRole(ctx, name, true, trust, boundary)
		}
	}
	if err != nil {
		return fmt.Errorf("create role %s: %w", name, err)
	}
	x.noteRole(name)
	return nil
}

func (x *executor) repairRole(ctx context.Context, name string, fixTrust bool, trust, boundary string) error {
	if fixTrust {
		if _, err := x.c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)}); err != nil {
			return fmt.Errorf("role %s: update trust policy: %w", name, err)
		}
		x.noteRole(name)
	}
	if boundary != "" {
		if _, err := x.c.IAM.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(name), PermissionsBoundary: aws.String(boundary)}); err != nil {
			return fmt.Errorf("role %s: permissions boundary: %w", name, err)
		}
	}
	return nil
}

func (x *executor) attachRolePolicy(ctx context.Context, role, policyARN string) error {
	if _, err := x.c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)}); err != nil {
		return fmt.Errorf("role %s: attach %s: %w", role, policyARN, err)
	}
	return nil
}

// detachRolePolicy detaches a managed policy; one already detached is fine.
func (x *executor) detachRolePolicy(ctx context.Context, role, policyARN string) error {
	if _, err := x.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(policyARN)}); err != nil && !awsNotFound(err) {
		return fmt.Errorf("role %s: detach %s: %w", role, policyARN, err)
	}
	return nil
}

// deleteRolePolicy deletes an inline policy; one already gone is fine.
func (x *executor) deleteRolePolicy(ctx context.Context, role, name string) error {
	if _, err := x.c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)}); err != nil && !awsNotFound(err) {
		return fmt.Errorf("role %s: delete inline policy %s: %w", role, name, err)
	}
	return nil
}

// deleteRole detaches the role's managed policies, deletes its inline
// policies, then deletes it. A role already gone is fine.
func (x *executor) deleteRole(ctx context.Context, name string) error {
	p := iam.NewListAttachedRolePoliciesPaginator(x.c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if awsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("role %s: list attached policies: %w", name, err)
		}
		for _, a := range out.AttachedPolicies {
			if err := x.detachRolePolicy(ctx, name, aws.ToString(a.PolicyArn)); err != nil {
				return err
			}
		}
	}
	ip := iam.NewListRolePoliciesPaginator(x.c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx)
		if awsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("role %s: list inline policies: %w", name, err)
		}
		for _, pn := range out.PolicyNames {
			if err := x.deleteRolePolicy(ctx, name, pn); err != nil {
				return err
			}
		}
	}
	if _, err := x.c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete role %s: %w", name, err)
	}
	return nil
}
