package irsa

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/plan"
)

// Plan observes the cluster's IRSA wiring (Observe) and returns the changes
// that converge it on the roles and options (Diff): the OIDC provider, the
// roles with their trust, policies and tags, the ServiceAccount annotations,
// the restarts, and the vpc-cni add-on's role. Drift that is only reported
// (a policy attached out of band) is a NoOp change with a Summary, and is
// logged at warn level; use Observe and Diff for the Drift list itself.
//
// Plan reads only. Run the plan with Apply (or plan.Apply, or merged into a
// larger plan such as eksfargate's).
func Plan(ctx context.Context, c Clients, cluster Cluster, roles []ServiceAccountRole, opts ...func(*Options)) (*plan.Plan, error) {
	o := newOptions(opts)
	d, err := resolve(cluster, roles, o)
	if err != nil {
		return nil, err
	}
	s, err := observeAll(ctx, c, d)
	if err != nil {
		return nil, err
	}
	res, err := diff(c, d, s)
	if err != nil {
		return nil, err
	}
	for _, dr := range res.Drift {
		o.Logger.Warn("irsa: drift", zap.String("cluster", cluster.Name), zap.String("resource", dr.Resource),
			zap.String("summary", dr.Summary), zap.Bool("repaired", dr.Repair != ""))
	}
	p, err := plan.New(res.Changes...)
	if err != nil {
		return nil, fmt.Errorf("irsa: %w", err)
	}
	return p, nil
}

// Apply runs a plan made by Plan: a thin wrapper over plan.Apply.
func Apply(ctx context.Context, p *plan.Plan, opts ...func(*plan.Options)) error {
	return plan.Apply(ctx, p, opts...)
}

// Deferred returns one change that wires IRSA for a cluster that does not
// exist yet, for a larger plan (such as eksfargate's) that creates the
// cluster: its Run reads the cluster (ClusterFromEKS, through c.EKS), plans
// (Plan) and applies the plan. Make it depend on the cluster's creation.
// A plan made once the cluster exists shows the individual changes instead.
func Deferred(c Clients, clusterName string, roles []ServiceAccountRole, opts ...func(*Options)) plan.Change {
	return plan.Change{
		ID:          "irsa/" + clusterName,
		Kind:        "irsa",
		Resource:    clusterName,
		Action:      plan.Create,
		Deferred:    true,
		Summary:     fmt.Sprintf("once the cluster exists: its IAM OIDC provider, %d service-account role(s) and their ServiceAccounts", len(roles)),
		Requirement: reqProvider,
		Run: func(ctx context.Context, report plan.Reporter) error {
			if c.EKS == nil {
				return fmt.Errorf("irsa: Clients.EKS is nil; cluster %s cannot be read", clusterName)
			}
			cl, err := ClusterFromEKS(ctx, c.EKS, clusterName)
			if err != nil {
				return err
			}
			p, err := Plan(ctx, c, cl, roles, opts...)
			if err != nil {
				return err
			}
			report(fmt.Sprintf("%d change(s)", len(p.Pending())))
			return plan.Apply(ctx, p)
		},
	}
}
