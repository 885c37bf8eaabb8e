package eksfargate

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// PlanDestroy plans the teardown of what fargatekit created for spec, in
// order: the Fargate profiles (one at a time) and the addons, then the
// cluster, then the IAM roles (policies detached first) including the IRSA
// roles and the OIDC provider, then the network (NAT gateways, Elastic IPs,
// internet gateway, route tables, subnets, VPC). Only resources carrying
// OwnerTag with the cluster's name are deleted; the others (adopted roles
// and subnets, resources made by hand) are listed as left in place, unless
// Options.AllowUnowned. A cluster with deletion protection on is a problem:
// turn it off in the spec and apply first. Apply runs the plan.
func PlanDestroy(ctx context.Context, spec *Spec, opts ...func(*Options)) (*plan.Plan, error) {
	o := newOptions(opts)
	if err := o.Clients.check(); err != nil {
		return nil, err
	}
	s := spec.Clone().Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	snap, err := observeSpec(ctx, o, s)
	if err != nil {
		return nil, err
	}
	d := &differ{s: s, snap: snap, allowUnowned: o.AllowUnowned, account: snap.AccountID, partition: snap.Partition,
		known: map[string]string{}, roleTimes: map[string]time.Time{}, addonIDs: map[string]string{}}
	x := newExecutor(o, s, nil, nil)
	if err := d.destroy(ctx, x); err != nil {
		return nil, err
	}
	if len(d.problems) > 0 {
		return nil, &ValidationError{Problems: d.problems}
	}
	p := &plan.Plan{Changes: bindSteps(d.steps, x)}
	if err := orderPlan(p); err != nil {
		return nil, err
	}
	return p, nil
}

// keep notes a resource left in place.
func (d *differ) keep(id, kind, resource, why string) {
	d.add(step{Change: plan.Change{ID: id, Kind: kind, Resource: resource, Action: plan.NoOp, Summary: "left in place: " + why}})
}

func (d *differ) mayDelete(tags map[string]string) bool { return d.owned(tags) || d.allowUnowned }

func (d *differ) destroy(ctx context.Context, x *executor) error {
	s := d.s
	serial := "eks.fargate-profile/" + s.Name
	unowned := "not tagged " + OwnerTag + "=" + s.Name + " (allow with Options.AllowUnowned)"
	var before []string // changes the cluster deletion waits for
	cl := d.snap.Cluster
	clusterKept := false
	for _, p := range d.snap.FargateProfiles {
		name := aws.ToString(p.FargateProfileName)
		id := "eks.fargate-profile/" + s.Name + "/" + name
		if !d.mayDelete(p.Tags) {
			d.keep(id, KindFargateProfile, s.Name+"/"+name, unowned)
			continue
		}
		before = append(before, d.add(step{Change: plan.Change{ID: id, Kind: KindFargateProfile, Resource: s.Name + "/" + name,
			Action: plan.Delete, Before: liveProfileView(p, nil), Serial: serial, Requirement: reqProfile},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteProfile(ctx, name, r) }}))
	}
	for _, a := range s.Addons {
		live := d.snap.Addons[a.Name]
		if live == nil {
			continue
		}
		id := "eks.addon/" + s.Name + "/" + a.Name
		if !d.mayDelete(live.Tags) {
			d.keep(id, KindAddon, s.Name+"/"+a.Name, unowned)
			continue
		}
		name := a.Name
		before = append(before, d.add(step{Change: plan.Change{ID: id, Kind: KindAddon, Resource: s.Name + "/" + name,
			Action: plan.Delete, Before: liveAddonView(live), Requirement: reqAddon},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteAddon(ctx, name, r) }}))
	}
	clusterDeps := append([]string{}, before...)
	if cl != nil {
		id := d.clusterChangeID()
		switch {
		case !d.mayDelete(cl.Tags):
			d.keep(id, KindCluster, aws.ToString(cl.Arn), unowned)
			clusterKept = true
		case aws.ToBool(cl.DeletionProtection):
			d.problem("spec.cluster.deletionProtection", fmt.Sprintf("the cluster %s has deletion protection on", s.Name), "set deletionProtection: false and apply, then destroy")
		default:
			clusterDeps = append(clusterDeps, d.add(step{Change: plan.Change{ID: id, Kind: KindCluster, Resource: aws.ToString(cl.Arn),
				Action: plan.Delete, Before: liveClusterView(cl, nil), DependsOn: before, Requirement: reqCluster},
				run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteCluster(ctx, r) }}))
		}
	}
	// IAM: the two roles, the IRSA roles and the OIDC provider.
	roles := []struct {
		spec RoleSpec
		snap *RoleSnapshot
	}{{s.ClusterRole, &d.snap.ClusterRole}, {s.PodExecutionRole, &d.snap.PodExecutionRole}}
	for _, r := range roles {
		if r.snap.Role == nil {
			continue
		}
		name := roleName(r.spec)
		id := "iam.role/" + name
		switch {
		case r.spec.ARN != "":
			d.keep(id, KindRole, name, "adopted (spec gives its ARN)")
		case clusterKept:
			d.keep(id, KindRole, name, "the cluster is left in place")
		case !d.mayDelete(iamTagMap(r.snap.Role.Tags)):
			d.keep(id, KindRole, name, unowned)
		default:
			// The policies as observed now: ops.DeleteRole removes them first.
			managed, inline := slices.Clone(r.snap.AttachedPolicyARNs), slices.Clone(r.snap.InlinePolicyNames)
			d.add(step{Change: plan.Change{ID: id, Kind: KindRole, Resource: aws.ToString(r.snap.Role.Arn), Action: plan.Delete,
				Summary: "detach policies, delete", Before: roleView{Name: name, ARN: aws.ToString(r.snap.Role.Arn), Path: aws.ToString(r.snap.Role.Path),
					Trust: documentView(r.snap.Trust)}, DependsOn: clusterDeps},
				run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
					return x.deleteRole(ctx, name, managed, inline)
				}})
		}
	}
	if err := d.destroyIRSA(ctx, x, clusterDeps, clusterKept, unowned); err != nil {
		return err
	}
	if s.Network.VPC != nil && !clusterKept {
		d.destroyNetwork(clusterDeps)
	}
	return nil
}

// destroyIRSA deletes the IRSA roles of the spec and the cluster's OIDC
// provider when fargatekit owns them.
func (d *differ) destroyIRSA(ctx context.Context, x *executor, deps []string, clusterKept bool, unowned string) error {
	s := d.s
	if !s.wantsIRSA() || clusterKept {
		return nil
	}
	for _, r := range s.IRSA.ServiceAccounts {
		name := r.EffectiveRoleName(s.Name)
		role, err := observe.Role(ctx, x.c.IAM, name)
		if awsNotFound(err) {
			continue
		}
		if err != nil {
			return readErr("iam GetRole "+name, err)
		}
		id := "iam.role/" + name
		if !d.mayDelete(iamTagMap(role.Tags)) {
			d.keep(id, KindRole, name, unowned)
			continue
		}
		// The role's policies as observed now: ops.DeleteRole removes them
		// first. A role gone in between has none.
		var managed, inline []string
		attached, err := observe.AttachedRolePolicies(ctx, x.c.IAM, name)
		if err != nil && !awsNotFound(err) {
			return readErr("iam ListAttachedRolePolicies "+name, err)
		}
		for _, a := range attached {
			managed = append(managed, aws.ToString(a.PolicyArn))
		}
		if inline, err = observe.InlinePolicyNames(ctx, x.c.IAM, name); err != nil && !awsNotFound(err) {
			return readErr("iam ListRolePolicies "+name, err)
		}
		d.add(step{Change: plan.Change{ID: id, Kind: KindRole, Resource: aws.ToString(role.Arn), Action: plan.Delete,
			Summary: "IRSA role of " + r.Namespace + "/" + r.Name + ": detach policies, delete", DependsOn: deps},
			run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
				return x.deleteRole(ctx, name, managed, inline)
			}})
	}
	cl := d.snap.Cluster
	if cl == nil || cl.Identity == nil || cl.Identity.Oidc == nil || aws.ToString(cl.Identity.Oidc.Issuer) == "" {
		return nil
	}
	iamc := x.c.IAM
	arn := iamtrust.OIDCProviderARN(d.partition, d.account, aws.ToString(cl.Identity.Oidc.Issuer))
	out, err := observe.OIDCProvider(ctx, iamc, arn)
	if awsNotFound(err) {
		return nil
	}
	if err != nil {
		return readErr("iam GetOpenIDConnectProvider "+arn, err)
	}
	id := "iam.oidc-provider/" + iamtrust.IssuerHostPath(aws.ToString(cl.Identity.Oidc.Issuer))
	if !d.mayDelete(iamTagMap(out.Tags)) {
		d.keep(id, irsa.KindOIDCProvider, arn, unowned)
		return nil
	}
	d.add(step{Change: plan.Change{ID: id, Kind: irsa.KindOIDCProvider, Resource: arn, Action: plan.Delete, DependsOn: deps},
		run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
			return ops.OIDCProviderDelete(ctx, iamc, arn)
		}})
	return nil
}

// destroyNetwork deletes the VPC fargatekit created and everything in it,
// after the cluster (whose ENIs live in the subnets).
func (d *differ) destroyNetwork(deps []string) {
	s := d.s
	n := d.snap.Network
	key := func(tags []ec2types.Tag) string { return ec2Tag(tags, ResourceKeyTag) }
	var natIDs, eipIDs, rtIDs, subnetIDs []string
	for _, g := range n.NATGateways {
		id, k := aws.ToString(g.NatGatewayId), key(g.Tags)
		natIDs = append(natIDs, d.add(step{Change: plan.Change{ID: "ec2.nat-gateway/" + s.Name + "/" + k + "/" + id, Kind: KindNATGateway,
			Resource: d.netName(k) + " (" + id + ")", Action: plan.Delete, Before: natView{ID: id, Subnet: aws.ToString(g.SubnetId), State: string(g.State)}, DependsOn: deps},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteNATGateway(ctx, id, r) }}))
	}
	for _, a := range n.Addresses {
		id, k := aws.ToString(a.AllocationId), key(a.Tags)
		eipIDs = append(eipIDs, d.add(step{Change: plan.Change{ID: "ec2.elastic-ip/" + s.Name + "/" + k + "/" + id, Kind: KindElasticIP,
			Resource: d.netName(k) + " (" + id + ")", Action: plan.Delete, Before: elasticIPView{id}, DependsOn: append(append([]string{}, deps...), natIDs...)},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.releaseAddress(ctx, id, r) }}))
	}
	for _, rt := range n.RouteTables {
		id, k := aws.ToString(rt.RouteTableId), key(rt.Tags)
		rtIDs = append(rtIDs, d.add(step{Change: plan.Change{ID: "ec2.route-table/" + s.Name + "/" + k + "/" + id, Kind: KindRouteTable,
			Resource: d.netName(k) + " (" + id + ")", Action: plan.Delete, DependsOn: append(append([]string{}, deps...), natIDs...)},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteRouteTable(ctx, id, r) }}))
	}
	var igwIDs []string
	for _, g := range n.InternetGateways {
		id, k := aws.ToString(g.InternetGatewayId), key(g.Tags)
		igwIDs = append(igwIDs, d.add(step{Change: plan.Change{ID: "ec2.internet-gateway/" + s.Name + "/" + k + "/" + id, Kind: KindInternetGateway,
			Resource: d.netName(k) + " (" + id + ")", Action: plan.Delete, DependsOn: append(append(append([]string{}, deps...), natIDs...), eipIDs...)},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.deleteInternetGateway(ctx, id, r)
			}}))
	}
	for _, sn := range n.Subnets {
		id, k := aws.ToString(sn.SubnetId), key(sn.Tags)
		subnetIDs = append(subnetIDs, d.add(step{Change: plan.Change{ID: "ec2.subnet/" + s.Name + "/" + k + "/" + id, Kind: KindSubnet,
			Resource: d.netName(k) + " (" + id + ")", Action: plan.Delete, Before: subnetView{ID: id, AvailabilityZone: aws.ToString(sn.AvailabilityZone), CIDR: aws.ToString(sn.CidrBlock)},
			DependsOn: append(append(append([]string{}, deps...), natIDs...), rtIDs...)},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteSubnet(ctx, id, r) }}))
	}
	for _, v := range n.VPCs {
		id := aws.ToString(v.VpcId)
		all := append(append(append(append(append(append([]string{}, deps...), natIDs...), eipIDs...), rtIDs...), igwIDs...), subnetIDs...)
		d.add(step{Change: plan.Change{ID: "ec2.vpc/" + s.Name + "/" + id, Kind: KindVPC, Resource: d.netName("vpc") + " (" + id + ")", Action: plan.Delete,
			Before: vpcView{ID: id, CIDR: aws.ToString(v.CidrBlock)}, DependsOn: all},
			run: func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteVPC(ctx, id, r) }})
	}
}
