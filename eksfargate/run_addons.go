package eksfargate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

func (x *executor) createAddon(ctx context.Context, a addonSpec, report plan.Reporter) error {
	in := &eks.CreateAddonInput{
		ClusterName:      aws.String(x.cluster),
		AddonName:        aws.String(a.name),
		ResolveConflicts: ekstypes.ResolveConflicts(a.resolve),
		Tags:             a.tags,
	}
	if a.version != "" {
		in.AddonVersion = aws.String(a.version)
	}
	if a.config != "" {
		in.ConfigurationValues = aws.String(a.config)
	}
	if a.roleARN != "" {
		in.ServiceAccountRoleArn = aws.String(a.roleARN)
	}
	what := "addon " + a.name
	// An add-on of that name that exists already (an earlier attempt whose
	// answer was lost) counts as created: ops.CreateAddon tells it from
	// another operation in progress, which is retried.
	err := x.retryInUse(ctx, "create "+what, report, func(ctx context.Context) error {
		_, err := ops.AddonCreate(ctx, x.c.EKS, in)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	return x.waitAddon(ctx, a.name, report)
}

// waitAddon waits until an addon is ACTIVE (ops.WaitAddonActive).
// CREATE_FAILED and UPDATE_FAILED stop at once with the health issues EKS
// gives; DEGRADED (pods not ready yet) keeps waiting, and a timeout reports
// its issues.
func (x *executor) waitAddon(ctx context.Context, name string, report plan.Reporter) error {
	return ops.WaitAddonActive(ctx, x.c.EKS, x.cluster, name, x.waitOptions("addon "+name, x.o.Timeouts.Addon, report))
}

// waitAddonGone waits until an addon is deleted (ops.WaitAddonGone);
// DELETE_FAILED stops at once.
func (x *executor) waitAddonGone(ctx context.Context, name string, report plan.Reporter) error {
	return ops.WaitAddonGone(ctx, x.c.EKS, x.cluster, name, x.waitOptions("addon "+name, x.o.Timeouts.Addon, report))
}

// updateAddon changes version, configuration values or service-account role
// in place (UpdateAddon, never delete and create) and waits for the update.
func (x *executor) updateAddon(ctx context.Context, a addonSpec, report plan.Reporter) error {
	in := &eks.UpdateAddonInput{ClusterName: aws.String(x.cluster), AddonName: aws.String(a.name), ResolveConflicts: ekstypes.ResolveConflicts(a.resolve)}
	if a.version != "" {
		in.AddonVersion = aws.String(a.version)
	}
	if a.config != "" {
		in.ConfigurationValues = aws.String(a.config)
	}
	if a.roleARN != "" {
		in.ServiceAccountRoleArn = aws.String(a.roleARN)
	}
	what := "addon " + a.name
	var u *ekstypes.Update
	err := x.retryInUse(ctx, "update "+what, report, func(ctx context.Context) error {
		var err error
		u, err = ops.AddonUpdate(ctx, x.c.EKS, in)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if err := x.waitUpdate(ctx, u, a.name, report); err != nil {
		return err
	}
	return x.waitAddon(ctx, a.name, report)
}

// deleteAddon deletes an addon and waits until it is gone.
func (x *executor) deleteAddon(ctx context.Context, name string, report plan.Reporter) error {
	err := x.retryInUse(ctx, "delete addon "+name, report, func(ctx context.Context) error {
		return ops.AddonDelete(ctx, x.c.EKS, x.cluster, name, false)
	}, nil)
	if err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete addon %s: %w", name, err)
	}
	return x.waitAddonGone(ctx, name, report)
}
