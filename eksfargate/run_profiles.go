package eksfargate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/plan"
)

func profileHealthText(h *ekstypes.FargateProfileHealth) string {
	if h == nil || len(h.Issues) == 0 {
		return "EKS reports no health issue"
	}
	var parts []string
	for _, i := range h.Issues {
		parts = append(parts, fmt.Sprintf("%s: %s %v", i.Code, aws.ToString(i.Message), i.ResourceIds))
	}
	return strings.Join(parts, "; ")
}

// createProfile creates a Fargate profile and waits until it is ACTIVE.
// EKS allows one profile CREATING or DELETING per cluster: a
// ResourceInUseException is retried with jittered backoff (the plan also
// runs profile changes one at a time). A new pod execution role that EKS
// can't assume yet is retried within Options.RolePropagation.
func (x *executor) createProfile(ctx context.Context, p profileSpec, report plan.Reporter) error {
	var subnets []string
	for _, k := range p.subnetKeys {
		id, err := x.id(k)
		if err != nil {
			return err
		}
		subnets = append(subnets, id)
	}
	in := &eks.CreateFargateProfileInput{
		ClusterName:         aws.String(x.cluster),
		FargateProfileName:  aws.String(p.name),
		PodExecutionRoleArn: aws.String(p.roleARN),
		Subnets:             subnets,
		Tags:                p.tags,
	}
	for _, s := range p.selectors {
		in.Selectors = append(in.Selectors, ekstypes.FargateProfileSelector{Namespace: aws.String(s.Namespace), Labels: s.Labels})
	}
	what := "Fargate profile " + p.name
	// A ResourceInUseException also answers a create whose name is taken:
	// then the profile exists, and it is ours only if it has what we asked.
	exists := func(ctx context.Context) (bool, error) {
		fp, err := observe.FargateProfile(ctx, x.c.EKS, x.cluster, p.name)
		if awsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("describe %s: %w", what, err)
		}
		if fp == nil {
			return false, nil
		}
		live := liveProfileView(*fp, nil)
		want := profileView{PodExecutionRoleARN: p.roleARN, Subnets: sortedCopy(subnets), Selectors: p.selectors}
		if !profileMatches(live, want) {
			return false, fmt.Errorf("%s: a profile of that name already exists with other selectors, subnets or role", what)
		}
		return true, nil
	}
	err := x.retryRolePropagation(ctx, what, []string{p.roleName}, report, func(ctx context.Context) error {
		return x.retryInUse(ctx, what, report, func(ctx context.Context) error {
			_, err := x.c.EKS.CreateFargateProfile(ctx, in)
			return err
		}, exists)
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	return x.waitProfile(ctx, p.name, report)
}

// waitProfile waits until a profile is ACTIVE; CREATE_FAILED stops at once
// with the health issues EKS gives.
func (x *executor) waitProfile(ctx context.Context, name string, report plan.Reporter) error {
	what := "Fargate profile " + name
	return x.waitFor(ctx, what, x.o.Timeouts.FargateProfile, report, func(ctx context.Context) (string, bool, error) {
		p, err := observe.FargateProfile(ctx, x.c.EKS, x.cluster, name)
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		if p == nil {
			return "", false, fmt.Errorf("describe %s: empty answer", what)
		}
		switch p.Status {
		case ekstypes.FargateProfileStatusActive:
			return string(p.Status), true, nil
		case ekstypes.FargateProfileStatusCreateFailed, ekstypes.FargateProfileStatusDeleting, ekstypes.FargateProfileStatusDeleteFailed:
			return string(p.Status), false, fmt.Errorf("%s is %s: %s", what, p.Status, profileHealthText(p.Health))
		}
		return string(p.Status), false, nil
	})
}

// deleteProfile deletes a profile and waits until it is gone; DELETE_FAILED
// stops at once with the health issues. A profile already gone is fine.
func (x *executor) deleteProfile(ctx context.Context, name string, report plan.Reporter) error {
	what := "Fargate profile " + name
	err := x.retryInUse(ctx, "delete "+what, report, func(ctx context.Context) error {
		_, err := x.c.EKS.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(x.cluster), FargateProfileName: aws.String(name)})
		return err
	}, func(ctx context.Context) (bool, error) {
		// Refused because the profile itself is already DELETING: wait for it.
		fp, err := observe.FargateProfile(ctx, x.c.EKS, x.cluster, name)
		if awsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("describe %s: %w", what, err)
		}
		return fp == nil || fp.Status == ekstypes.FargateProfileStatusDeleting, nil
	})
	if err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return x.waitFor(ctx, what, x.o.Timeouts.FargateProfile, report, func(ctx context.Context) (string, bool, error) {
		fp, err := observe.FargateProfile(ctx, x.c.EKS, x.cluster, name)
		if awsNotFound(err) {
			return "DELETED", true, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("describe %s: %w", what, err)
		}
		if fp == nil {
			return "DELETED", true, nil
		}
		if st := fp.Status; st == ekstypes.FargateProfileStatusDeleteFailed {
			return string(st), false, fmt.Errorf("%s is %s: %s", what, st, profileHealthText(fp.Health))
		}
		return string(fp.Status), false, nil
	})
}
