package eksfargate

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/fargatekit/fargatekit/plan"
)

// Most EC2 creates have no idempotency token. When an apply is interrupted
// after AWS accepted a create but before its answer arrived, and the next
// plan looks before the resource shows, the resource gets created twice.
// Both carry OwnerTag and the same ResourceKeyTag, so the plan after that
// sees the pair: it keeps the one in use and deletes the other.

// pickPrimary returns, per key, the item with the highest score (ties: the
// lowest ID), and the others.
func pickPrimary[T any](items []T, key func(T) string, id func(T) string, score func(T) int) (keep, extra []T) {
	byKey := map[string][]T{}
	var keys []string
	for _, it := range items {
		k := key(it)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], it)
	}
	sort.Strings(keys)
	for _, k := range keys {
		group := byKey[k]
		sort.SliceStable(group, func(i, j int) bool {
			si, sj := score(group[i]), score(group[j])
			if si != sj {
				return si > sj
			}
			return id(group[i]) < id(group[j])
		})
		keep = append(keep, group[0])
		extra = append(extra, group[1:]...)
	}
	return keep, extra
}

// dedupeNetwork keeps one resource per key and plans deleting the others.
func (d *differ) dedupeNetwork(n NetworkSnapshot) NetworkSnapshot {
	key := func(tags []ec2types.Tag) string { return ec2Tag(tags, ResourceKeyTag) }
	subnetsIn := map[string]int{}
	for _, s := range n.Subnets {
		subnetsIn[aws.ToString(s.VpcId)]++
	}
	var out NetworkSnapshot
	var extraVPCs []ec2types.Vpc
	out.VPCs, extraVPCs = pickPrimary(n.VPCs, func(v ec2types.Vpc) string { return key(v.Tags) }, func(v ec2types.Vpc) string { return aws.ToString(v.VpcId) },
		func(v ec2types.Vpc) int { return subnetsIn[aws.ToString(v.VpcId)] })
	primaryVPC := ""
	for _, v := range out.VPCs {
		if key(v.Tags) == "vpc" {
			primaryVPC = aws.ToString(v.VpcId)
		}
	}
	associated := map[string]bool{}
	for _, rt := range n.RouteTables {
		for _, a := range rt.Associations {
			associated[aws.ToString(a.SubnetId)] = true
		}
	}
	var extraSubnets []ec2types.Subnet
	out.Subnets, extraSubnets = pickPrimary(n.Subnets, func(s ec2types.Subnet) string { return key(s.Tags) }, func(s ec2types.Subnet) string { return aws.ToString(s.SubnetId) },
		func(s ec2types.Subnet) int {
			sc := 0
			if aws.ToString(s.VpcId) == primaryVPC {
				sc += 2
			}
			if associated[aws.ToString(s.SubnetId)] {
				sc++
			}
			return sc
		})
	var extraIGWs []ec2types.InternetGateway
	out.InternetGateways, extraIGWs = pickPrimary(n.InternetGateways, func(g ec2types.InternetGateway) string { return key(g.Tags) },
		func(g ec2types.InternetGateway) string { return aws.ToString(g.InternetGatewayId) },
		func(g ec2types.InternetGateway) int {
			for _, a := range g.Attachments {
				if aws.ToString(a.VpcId) == primaryVPC {
					return 1
				}
			}
			return 0
		})
	var extraNATs []ec2types.NatGateway
	out.NATGateways, extraNATs = pickPrimary(n.NATGateways, func(g ec2types.NatGateway) string { return key(g.Tags) },
		func(g ec2types.NatGateway) string { return aws.ToString(g.NatGatewayId) },
		func(g ec2types.NatGateway) int {
			sc := 0
			if aws.ToString(g.VpcId) == primaryVPC {
				sc += 2
			}
			if g.State == ec2types.NatGatewayStateAvailable {
				sc++
			}
			return sc
		})
	inUse := map[string]bool{}
	for _, g := range out.NATGateways {
		for _, a := range g.NatGatewayAddresses {
			inUse[aws.ToString(a.AllocationId)] = true
		}
	}
	var extraEIPs []ec2types.Address
	out.Addresses, extraEIPs = pickPrimary(n.Addresses, func(a ec2types.Address) string { return key(a.Tags) },
		func(a ec2types.Address) string { return aws.ToString(a.AllocationId) },
		func(a ec2types.Address) int {
			if inUse[aws.ToString(a.AllocationId)] {
				return 1
			}
			return 0
		})
	var extraRTs []ec2types.RouteTable
	out.RouteTables, extraRTs = pickPrimary(n.RouteTables, func(r ec2types.RouteTable) string { return key(r.Tags) },
		func(r ec2types.RouteTable) string { return aws.ToString(r.RouteTableId) },
		func(r ec2types.RouteTable) int {
			sc := len(r.Associations)
			if aws.ToString(r.VpcId) == primaryVPC {
				sc += 10
			}
			return sc
		})

	const why = "duplicate left by an interrupted apply"
	dup := func(kind, key, id string, before any, deps []string, run func(ctx context.Context, x *executor, r plan.Reporter) error) string {
		return d.add(step{Change: plan.Change{ID: kind + "/" + d.s.Name + "/" + key + "#" + id, Kind: kind, Resource: d.netName(key) + " (" + id + ")",
			Action: plan.Delete, Summary: why, Before: before, Requirement: reqNetwork}, run: run})
	}
	var natIDs, rtIDs, all []string
	for _, g := range extraNATs {
		id := aws.ToString(g.NatGatewayId)
		natIDs = append(natIDs, dup(KindNATGateway, key(g.Tags), id, natView{ID: id, Subnet: aws.ToString(g.SubnetId), State: string(g.State)}, nil,
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteNATGateway(ctx, id, r) }))
	}
	all = append(all, natIDs...)
	for _, a := range extraEIPs {
		id := aws.ToString(a.AllocationId)
		all = append(all, dup(KindElasticIP, key(a.Tags), id, elasticIPView{id}, natIDs,
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.releaseAddress(ctx, id, r) }))
	}
	for _, rt := range extraRTs {
		id := aws.ToString(rt.RouteTableId)
		rtIDs = append(rtIDs, dup(KindRouteTable, key(rt.Tags), id, routeTableView{ID: id}, nil,
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteRouteTable(ctx, id, r) }))
	}
	all = append(all, rtIDs...)
	for _, g := range extraIGWs {
		id := aws.ToString(g.InternetGatewayId)
		all = append(all, dup(KindInternetGateway, key(g.Tags), id, gatewayView{ID: id}, natIDs,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.deleteInternetGateway(ctx, id, r)
			}))
	}
	for _, s := range extraSubnets {
		id := aws.ToString(s.SubnetId)
		all = append(all, dup(KindSubnet, key(s.Tags), id, subnetView{ID: id, AvailabilityZone: aws.ToString(s.AvailabilityZone), CIDR: aws.ToString(s.CidrBlock)},
			append(append([]string{}, natIDs...), rtIDs...),
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteSubnet(ctx, id, r) }))
	}
	for _, v := range extraVPCs {
		id := aws.ToString(v.VpcId)
		dup(KindVPC, key(v.Tags), id, vpcView{ID: id, CIDR: aws.ToString(v.CidrBlock)}, all,
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.deleteVPC(ctx, id, r) })
	}
	return out
}
