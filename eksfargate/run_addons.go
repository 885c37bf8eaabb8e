package eksfargate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

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
	err := x.retryInUse(ctx, "create "+what, report, func(ctx context.Context) error {
		_, err := x.c.EKS.CreateAddon(ctx, in)
		return err
	}, func(ctx context.Context) (bool, error) {
		// The name is taken: the addon exists already (an earlier attempt).
		_, err := x.c.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(x.cluster), AddonName: aws.String(a.name)})
		if awsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	return x.waitAddon(ctx, a.name, report)
}

// waitAddon waits until an addon is ACTIVE. CREATE_FAILED and UPDATE_FAILED
// stop at once with the health issues EKS gives; DEGRADED (pods not ready
// yet) keeps waiting, and a timeout reports its issues.
func (x *executor) waitAddon(ctx context.Context, name string, report plan.Reporter) error {
	what := "addon " + name
	var last *ekstypes.Addon
	err := x.waitFor(ctx, what, x.o.Timeouts.Addon, report, func(ctx context.Context) (string, bool, error) {
		out, err := x.c.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(x.cluster), AddonName: aws.String(name)})
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		last = out.Addon
		switch st := out.Addon.Status; st {
		case ekstypes.AddonStatusActive:
			return string(st), true, nil
		case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusUpdateFailed, ekstypes.AddonStatusDeleting, ekstypes.AddonStatusDeleteFailed:
			return string(st), false, fmt.Errorf("%s is %s: %s", what, st, addonHealthText(out.Addon.Health))
		default:
			return string(st), false, nil
		}
	})
	if err != nil && last != nil && last.Status == ekstypes.AddonStatusDegraded {
		return fmt.Errorf("%w (health: %s)", err, addonHealthText(last.Health))
	}
	return err
}

func (x *executor) waitAddonGone(ctx context.Context, name string, report plan.Reporter) error {
	what := "addon " + name
	return x.waitFor(ctx, what, x.o.Timeouts.Addon, report, func(ctx context.Context) (string, bool, error) {
		out, err := x.c.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(x.cluster), AddonName: aws.String(name)})
		if awsNotFound(err) {
			return "DELETED", true, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		if st := out.Addon.Status; st == ekstypes.AddonStatusDeleteFailed {
			return string(st), false, fmt.Errorf("%s is %s: %s", what, st, addonHealthText(out.Addon.Health))
		}
		return string(out.Addon.Status), false, nil
	})
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
	var out *eks.UpdateAddonOutput
	err := x.retryInUse(ctx, "update "+what, report, func(ctx context.Context) error {
		var err error
		out, err = x.c.EKS.UpdateAddon(ctx, in)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if err := x.waitUpdate(ctx, out.Update, a.name, report); err != nil {
		return err
	}
	return x.waitAddon(ctx, a.name, report)
}

// deleteAddon deletes an addon and waits until it is gone.
func (x *executor) deleteAddon(ctx context.Context, name string, report plan.Reporter) error {
	err := x.retryInUse(ctx, "delete addon "+name, report, func(ctx context.Context) error {
		_, err := x.c.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(x.cluster), AddonName: aws.String(name)})
		return err
	}, nil)
	if err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete addon %s: %w", name, err)
	}
	return x.waitAddonGone(ctx, name, report)
}
