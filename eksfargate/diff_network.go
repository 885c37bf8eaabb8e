package eksfargate

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/fargatekit/fargatekit/plan"
)

// Subnet role tags that load balancers look for.
const (
	tagPublicELB   = "kubernetes.io/role/elb"
	tagInternalELB = "kubernetes.io/role/internal-elb"
)

// Views of network resources in plans.
type vpcView struct {
	ID   string            `json:"id,omitempty"`
	CIDR string            `json:"cidr"`
	DNS  bool              `json:"dnsSupportAndHostnames"`
	Tags map[string]string `json:"tags,omitempty"`
}

type gatewayView struct {
	ID         string `json:"id,omitempty"`
	AttachedTo string `json:"attachedTo,omitempty"`
}

type subnetView struct {
	ID                  string            `json:"id,omitempty"`
	AvailabilityZone    string            `json:"availabilityZone"`
	CIDR                string            `json:"cidr"`
	MapPublicIPOnLaunch bool              `json:"mapPublicIpOnLaunch"`
	Tags                map[string]string `json:"tags,omitempty"`
}

type elasticIPView struct {
	AllocationID string `json:"allocationId,omitempty"`
}

type natView struct {
	ID        string `json:"id,omitempty"`
	Subnet    string `json:"subnet"`
	ElasticIP string `json:"elasticIp"`
	State     string `json:"state,omitempty"`
}

type routeTableView struct {
	ID      string            `json:"id,omitempty"`
	Routes  map[string]string `json:"routes"`
	Subnets []string          `json:"subnets"`
}

func ec2TagMap(tags []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// subsetTags returns the entries of live whose keys are in want, so that a
// view shows only the tags fargatekit manages.
func subsetTags(live, want map[string]string) map[string]string {
	out := map[string]string{}
	for k := range want {
		if v, ok := live[k]; ok {
			out[k] = v
		}
	}
	return out
}

// missingTags returns the tags of want that live lacks or has with another
// value.
func missingTags(live, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if live[k] != v {
			out[k] = v
		}
	}
	return out
}

func (d *differ) network() {
	if d.s.Network.VPC != nil {
		d.ownedNetwork()
	} else {
		d.adoptedNetwork()
	}
}

// ref is the ID of a network resource when it exists, else a placeholder
// naming it.
func (d *differ) ref(key string) string {
	if id := d.known[key]; id != "" {
		return id
	}
	return key + " " + unknownValue
}

// refShort is the ID of a network resource when it exists, else its key
// without the kind ("nat-0").
func (d *differ) refShort(key string) string {
	if id := d.known[key]; id != "" {
		return id
	}
	return key[strings.LastIndexByte(key, '/')+1:]
}

func (d *differ) netName(key string) string { return d.s.Name + "-" + key }

func (d *differ) netTags(key string, extra map[string]string) map[string]string {
	t := d.ownerTags(extra)
	t[ResourceKeyTag] = key
	t["Name"] = d.netName(key)
	return t
}

// ownedNetwork plans the VPC fargatekit creates: the VPC, an internet
// gateway, a public and a private subnet per availability zone, Elastic IPs
// and NAT gateways (one, or one per zone), a public route table and a
// private route table per NAT gateway.
func (d *differ) ownedNetwork() {
	v := d.s.Network.VPC
	n := d.dedupeNetwork(d.snap.Network)
	byKey := func(tags []ec2types.Tag) string { return ec2Tag(tags, ResourceKeyTag) }

	// Availability zones: the spec's, else those of the subnets that exist,
	// else the region's first ones.
	d.azs = slices.Clone(v.AvailabilityZones)
	if len(d.azs) == 0 {
		count := len(v.PublicSubnetCIDRs)
		if count == 0 {
			count = defaultAZCount
		}
		zones := map[int]string{}
		for _, s := range n.Subnets {
			var i int
			if _, err := fmt.Sscanf(byKey(s.Tags), "public-%d", &i); err == nil {
				zones[i] = aws.ToString(s.AvailabilityZone)
			}
		}
		for i := 0; i < count; i++ {
			if z := zones[i]; z != "" {
				d.azs = append(d.azs, z)
			}
		}
		if len(d.azs) < count {
			d.azs = nil
			avail := d.snap.AvailabilityZones
			if len(avail) < count {
				d.problem("spec.network.vpc.availabilityZones", fmt.Sprintf("%s has %d available zones; the VPC needs %d", d.s.Region, len(avail), count), "list the availability zones to use")
				return
			}
			d.azs = slices.Clone(avail[:count])
		}
	}
	d.natCount = 1
	if v.NATGateway == NATPerAZ {
		d.natCount = len(d.azs)
	}

	// VPC.
	vpcID := "ec2.vpc/" + d.s.Name
	var liveVPC *ec2types.Vpc
	for i := range n.VPCs {
		if byKey(n.VPCs[i].Tags) == "vpc" {
			liveVPC = &n.VPCs[i]
			break
		}
	}
	vpcTags := d.netTags("vpc", nil)
	want := vpcView{CIDR: v.CIDR, DNS: true, Tags: vpcTags}
	switch {
	case liveVPC == nil:
		d.netIDs = append(d.netIDs, d.add(step{Change: plan.Change{
			ID: vpcID, Kind: KindVPC, Resource: d.netName("vpc"), Action: plan.Create,
			Summary: "VPC " + v.CIDR + " with DNS support and hostnames", After: want, Requirement: reqNetwork,
		}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.createVPC(ctx, v.CIDR, vpcTags)
		}}))
	default:
		id := aws.ToString(liveVPC.VpcId)
		d.known["vpc"] = id
		if aws.ToString(liveVPC.CidrBlock) != v.CIDR {
			d.problem("spec.network.vpc.cidr", fmt.Sprintf("the VPC %s has CIDR %s; a VPC's primary CIDR can't be changed", id, aws.ToString(liveVPC.CidrBlock)),
				"set cidr back to "+aws.ToString(liveVPC.CidrBlock)+", or destroy the network and apply again")
		}
		live := ec2TagMap(liveVPC.Tags)
		before := vpcView{ID: id, CIDR: aws.ToString(liveVPC.CidrBlock), DNS: live[vpcDNSTag] == "enabled", Tags: subsetTags(live, vpcTags)}
		want.ID = id
		missing, unset := tagDrift(live, vpcTags, vpcDNSTag)
		if !before.DNS || len(missing) > 0 || len(unset) > 0 {
			summary := "enable DNS support and hostnames; tags"
			if before.DNS {
				summary = tagSummary(missing, unset)
			}
			for _, k := range unset {
				before.Tags[k] = live[k]
			}
			d.netIDs = append(d.netIDs, d.add(step{Change: plan.Change{
				ID: vpcID, Kind: KindVPC, Resource: d.netName("vpc") + " (" + id + ")", Action: plan.Update,
				Summary: summary, Before: before, After: want, Requirement: reqVPCDNS,
			}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				if err := x.repairVPC(ctx, id, missing); err != nil {
					return err
				}
				return x.untagEC2(ctx, id, unset)
			}}))
		} else {
			d.add(step{Change: plan.Change{ID: vpcID, Kind: KindVPC, Resource: d.netName("vpc") + " (" + id + ")", Action: plan.NoOp, Before: before, After: want}})
		}
	}

	// Internet gateway.
	igwTags := d.netTags("igw", nil)
	var liveIGW *ec2types.InternetGateway
	for i := range n.InternetGateways {
		if byKey(n.InternetGateways[i].Tags) == "igw" {
			liveIGW = &n.InternetGateways[i]
			break
		}
	}
	igwChange := plan.Change{ID: "ec2.internet-gateway/" + d.s.Name, Kind: KindInternetGateway, Resource: d.netName("igw"),
		Requirement: reqPublicSubnet, DependsOn: []string{vpcID}}
	switch {
	case liveIGW == nil:
		igwChange.Action = plan.Create
		igwChange.Summary = "create and attach to the VPC"
		igwChange.After = gatewayView{AttachedTo: d.ref("vpc")}
		d.netIDs = append(d.netIDs, d.add(step{Change: igwChange, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.createInternetGateway(ctx, igwTags)
		}}))
	default:
		id := aws.ToString(liveIGW.InternetGatewayId)
		d.known["igw"] = id
		attached := ""
		for _, a := range liveIGW.Attachments {
			if a.State != ec2types.AttachmentStatusDetached && a.State != ec2types.AttachmentStatusDetaching {
				attached = aws.ToString(a.VpcId)
			}
		}
		igwChange.Resource += " (" + id + ")"
		igwChange.Before = gatewayView{ID: id, AttachedTo: attached}
		igwChange.After = gatewayView{ID: id, AttachedTo: d.ref("vpc")}
		if attached == "" || attached != d.known["vpc"] {
			igwChange.Action = plan.Update
			igwChange.Summary = "attach to the VPC"
			d.netIDs = append(d.netIDs, d.add(step{Change: igwChange, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.attachInternetGateway(ctx, id, attached)
			}}))
		} else {
			igwChange.Action = plan.NoOp
			d.add(step{Change: igwChange})
		}
	}

	// Subnets.
	liveSubnets := map[string]*ec2types.Subnet{}
	for i := range n.Subnets {
		liveSubnets[byKey(n.Subnets[i].Tags)] = &n.Subnets[i]
	}
	for _, kind := range []string{"public", "private"} {
		cidrs := v.PublicSubnetCIDRs
		roleTag := tagPublicELB
		req := reqPublicSubnet
		if kind == "private" {
			cidrs, roleTag, req = v.PrivateSubnetCIDRs, tagInternalELB, reqPrivateSubnet
		}
		for i, cidr := range cidrs {
			if i >= len(d.azs) {
				break
			}
			key := fmt.Sprintf("%s-%d", kind, i)
			az := d.azs[i]
			tags := d.netTags(key, map[string]string{roleTag: "1"})
			public := kind == "public"
			want := subnetView{AvailabilityZone: az, CIDR: cidr, MapPublicIPOnLaunch: public, Tags: tags}
			ch := plan.Change{ID: "ec2.subnet/" + d.s.Name + "/" + key, Kind: KindSubnet, Resource: d.netName(key),
				Requirement: req, DependsOn: []string{vpcID}}
			live := liveSubnets[key]
			if live == nil {
				ch.Action, ch.Summary, ch.After = plan.Create, kind+" subnet "+cidr+" in "+az, want
				sid := d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
					return x.createSubnet(ctx, key, az, cidr, public, tags)
				}})
				d.netIDs, d.subnetIDs = append(d.netIDs, sid), append(d.subnetIDs, sid)
				if !public {
					d.privateSubnets = append(d.privateSubnets, "subnet/"+key)
				}
				d.clusterSubnets = append(d.clusterSubnets, "subnet/"+key)
				continue
			}
			id := aws.ToString(live.SubnetId)
			d.known["subnet/"+key] = id
			if !public {
				d.privateSubnets = append(d.privateSubnets, "subnet/"+key)
			}
			d.clusterSubnets = append(d.clusterSubnets, "subnet/"+key)
			ch.Resource += " (" + id + ")"
			if aws.ToString(live.CidrBlock) != cidr || aws.ToString(live.AvailabilityZone) != az {
				d.problem(fmt.Sprintf("spec.network.vpc.%sSubnetCIDRs[%d]", kind, i),
					fmt.Sprintf("the subnet %s is %s in %s, not %s in %s; a subnet's CIDR and zone can't be changed", id, aws.ToString(live.CidrBlock), aws.ToString(live.AvailabilityZone), cidr, az),
					"set the spec back, or destroy the network and apply again")
				continue
			}
			liveTags := ec2TagMap(live.Tags)
			want.ID = id
			before := subnetView{ID: id, AvailabilityZone: az, CIDR: cidr, MapPublicIPOnLaunch: aws.ToBool(live.MapPublicIpOnLaunch), Tags: subsetTags(liveTags, tags)}
			missing, unset := tagDrift(liveTags, tags)
			fixMap := public && !before.MapPublicIPOnLaunch
			for _, k := range unset {
				before.Tags[k] = liveTags[k]
			}
			ch.Before, ch.After = before, want
			if len(missing) > 0 || fixMap || len(unset) > 0 {
				ch.Action = plan.Update
				var what []string
				if len(missing) > 0 {
					what = append(what, "tags "+strings.Join(specSortedKeys(missing), ", "))
				}
				if len(unset) > 0 {
					what = append(what, "untag "+strings.Join(unset, ", "))
				}
				if fixMap {
					what = append(what, "map public IPs on launch")
				}
				ch.Summary = strings.Join(what, "; ")
				sid := d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
					if err := x.repairSubnet(ctx, id, missing, fixMap); err != nil {
						return err
					}
					return x.untagEC2(ctx, id, unset)
				}})
				d.netIDs, d.subnetIDs = append(d.netIDs, sid), append(d.subnetIDs, sid)
				continue
			}
			ch.Action = plan.NoOp
			d.add(step{Change: ch})
		}
	}

	// Elastic IPs and NAT gateways.
	liveEIPs := map[string]*ec2types.Address{}
	for i := range n.Addresses {
		liveEIPs[byKey(n.Addresses[i].Tags)] = &n.Addresses[i]
	}
	liveNATs := map[string]*ec2types.NatGateway{}
	for i := range n.NATGateways {
		liveNATs[byKey(n.NATGateways[i].Tags)] = &n.NATGateways[i]
	}
	igwID := "ec2.internet-gateway/" + d.s.Name
	for i := 0; i < d.natCount; i++ {
		natKey := fmt.Sprintf("nat-%d", i)
		eipKey := fmt.Sprintf("eip-%d", i)
		pubKey := fmt.Sprintf("public-%d", i)
		eipChangeID := "ec2.elastic-ip/" + d.s.Name + "/" + eipKey
		eipTags := d.netTags(eipKey, nil)
		if a := liveEIPs[eipKey]; a == nil {
			d.netIDs = append(d.netIDs, d.add(step{Change: plan.Change{ID: eipChangeID, Kind: KindElasticIP, Resource: d.netName(eipKey),
				Action: plan.Create, Summary: "Elastic IP for NAT gateway " + natKey, After: elasticIPView{}, Requirement: reqPrivateSubnet,
			}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.allocateAddress(ctx, eipKey, eipTags)
			}}))
		} else {
			id := aws.ToString(a.AllocationId)
			d.known["eip/"+eipKey] = id
			d.add(step{Change: plan.Change{ID: eipChangeID, Kind: KindElasticIP, Resource: d.netName(eipKey) + " (" + id + ")",
				Action: plan.NoOp, Before: elasticIPView{id}, After: elasticIPView{id}}})
		}
		natChangeID := "ec2.nat-gateway/" + d.s.Name + "/" + natKey
		natTags := d.netTags(natKey, nil)
		want := natView{Subnet: d.ref("subnet/" + pubKey), ElasticIP: d.ref("eip/" + eipKey), State: "available"}
		ch := plan.Change{ID: natChangeID, Kind: KindNATGateway, Resource: d.netName(natKey), Requirement: reqPrivateSubnet,
			DependsOn: []string{eipChangeID, "ec2.subnet/" + d.s.Name + "/" + pubKey, igwID}}
		live := liveNATs[natKey]
		if live == nil {
			ch.Action, ch.Summary, ch.After = plan.Create, "NAT gateway in "+d.netName(pubKey), want
			d.netIDs = append(d.netIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.createNATGateway(ctx, natKey, "subnet/"+pubKey, "eip/"+eipKey, natTags, r)
			}}))
			continue
		}
		id := aws.ToString(live.NatGatewayId)
		d.known["nat/"+natKey] = id
		ch.Resource += " (" + id + ")"
		eip := ""
		for _, a := range live.NatGatewayAddresses {
			eip = aws.ToString(a.AllocationId)
		}
		before := natView{ID: id, Subnet: aws.ToString(live.SubnetId), ElasticIP: eip, State: string(live.State)}
		want.ID = id
		want.Subnet, want.ElasticIP = before.Subnet, before.ElasticIP
		ch.Before, ch.After = before, want
		if live.State == ec2types.NatGatewayStatePending {
			ch.Action, ch.Summary = plan.Update, "wait until available (now pending)"
			d.netIDs = append(d.netIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.waitNATGateway(ctx, id, r)
			}}))
			continue
		}
		ch.Action = plan.NoOp
		d.add(step{Change: ch})
	}

	// Route tables.
	liveRTs := map[string]*ec2types.RouteTable{}
	for i := range n.RouteTables {
		liveRTs[byKey(n.RouteTables[i].Tags)] = &n.RouteTables[i]
	}
	type rtPlan struct {
		key, target string
		subnets     []string
		deps        []string
		req         string
	}
	rts := []rtPlan{{key: "rtb-public", target: "igw", req: reqPublicSubnet, deps: []string{igwID}}}
	for i := range d.azs {
		rts[0].subnets = append(rts[0].subnets, fmt.Sprintf("subnet/public-%d", i))
	}
	for j := 0; j < d.natCount; j++ {
		p := rtPlan{key: fmt.Sprintf("rtb-private-%d", j), target: fmt.Sprintf("nat/nat-%d", j), req: reqPrivateSubnet,
			deps: []string{fmt.Sprintf("ec2.nat-gateway/%s/nat-%d", d.s.Name, j)}}
		for i := range d.azs {
			if d.natCount == 1 || i == j {
				p.subnets = append(p.subnets, fmt.Sprintf("subnet/private-%d", i))
			}
		}
		rts = append(rts, p)
	}
	for _, rt := range rts {
		tags := d.netTags(rt.key, nil)
		deps := append([]string{vpcID}, rt.deps...)
		for _, s := range rt.subnets {
			deps = append(deps, "ec2.subnet/"+d.s.Name+"/"+strings.TrimPrefix(s, "subnet/"))
		}
		want := routeTableView{Routes: map[string]string{"0.0.0.0/0": d.ref(rt.target)}}
		for _, s := range rt.subnets {
			want.Subnets = append(want.Subnets, d.ref(s))
		}
		sort.Strings(want.Subnets)
		ch := plan.Change{ID: "ec2.route-table/" + d.s.Name + "/" + strings.TrimPrefix(rt.key, "rtb-"), Kind: KindRouteTable,
			Resource: d.netName(rt.key), Requirement: rt.req, DependsOn: deps}
		isPrivate := strings.HasPrefix(rt.key, "rtb-private")
		live := liveRTs[rt.key]
		if live == nil {
			ch.Action, ch.After = plan.Create, want
			ch.Summary = "route 0.0.0.0/0 to " + d.refShort(rt.target) + " for " + strings.Join(trimAll(rt.subnets, "subnet/"), ", ")
			id := d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.createRouteTable(ctx, rt.key, tags, rt.target, rt.subnets)
			}})
			d.netIDs = append(d.netIDs, id)
			if isPrivate {
				d.privateRouteIDs = append(d.privateRouteIDs, id)
			}
			continue
		}
		id := aws.ToString(live.RouteTableId)
		d.known["rtb/"+rt.key] = id
		ch.Resource += " (" + id + ")"
		before := routeTableView{ID: id, Routes: map[string]string{}}
		liveTarget := ""
		for _, r := range live.Routes {
			if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" {
				continue
			}
			liveTarget = aws.ToString(r.GatewayId) + aws.ToString(r.NatGatewayId)
			before.Routes["0.0.0.0/0"] = liveTarget
		}
		associated := map[string]bool{}
		for _, a := range live.Associations {
			if s := aws.ToString(a.SubnetId); s != "" {
				before.Subnets = append(before.Subnets, s)
				associated[s] = true
			}
		}
		sort.Strings(before.Subnets)
		want.ID = id
		ch.Before, ch.After = before, want
		routeOK := liveTarget != "" && liveTarget == d.known[rt.target]
		var missingAssoc []string
		for _, s := range rt.subnets {
			if sid := d.known[s]; sid == "" || !associated[sid] {
				missingAssoc = append(missingAssoc, s)
			}
		}
		if routeOK && len(missingAssoc) == 0 {
			ch.Action = plan.NoOp
			d.add(step{Change: ch})
			continue
		}
		var what []string
		if !routeOK {
			what = append(what, "route 0.0.0.0/0 to "+d.refShort(rt.target))
		}
		if len(missingAssoc) > 0 {
			what = append(what, "associate "+strings.Join(trimAll(missingAssoc, "subnet/"), ", "))
		}
		ch.Action, ch.Summary = plan.Update, strings.Join(what, "; ")
		hadRoute := liveTarget != ""
		sid := d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.repairRouteTable(ctx, id, rt.target, hadRoute, !routeOK, missingAssoc)
		}})
		d.netIDs = append(d.netIDs, sid)
		if isPrivate {
			d.privateRouteIDs = append(d.privateRouteIDs, sid)
		}
	}
}

func trimAll(s []string, prefix string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.TrimPrefix(v, prefix)
	}
	return out
}

// adoptedNetwork checks adopted subnets: they exist, share a VPC, span at
// least 2 zones, and at least 2 are private (no route to an internet
// gateway). Profiles get the private ones by default.
func (d *differ) adoptedNetwork() {
	n := d.snap.Network
	byID := map[string]*ec2types.Subnet{}
	for i := range n.Subnets {
		byID[aws.ToString(n.Subnets[i].SubnetId)] = &n.Subnets[i]
	}
	zones := map[string]bool{}
	vpcs := map[string]bool{}
	var private []string
	for i, id := range d.s.Network.SubnetIDs {
		s := byID[id]
		if s == nil {
			d.problem(fmt.Sprintf("spec.network.subnetIDs[%d]", i), fmt.Sprintf("%s does not exist in %s", id, d.s.Region), "fix the subnet ID")
			continue
		}
		zones[aws.ToString(s.AvailabilityZone)] = true
		vpcs[aws.ToString(s.VpcId)] = true
		d.clusterSubnets = append(d.clusterSubnets, "subnet/"+id)
		d.known["subnet/"+id] = id
		if igw := d.publicRoute(s); igw == "" {
			private = append(private, "subnet/"+id)
		}
	}
	if len(vpcs) > 1 {
		d.problem("spec.network.subnetIDs", fmt.Sprintf("the subnets are in %d VPCs (%s); EKS needs them in one", len(vpcs), strings.Join(specSortedKeys(vpcs), ", ")), "list subnets of one VPC")
	}
	if len(byID) > 0 && len(zones) < 2 {
		d.problem("spec.network.subnetIDs", fmt.Sprintf("the subnets are in %d availability zone(s); EKS needs at least 2", len(zones)), "add a subnet of another zone")
	}
	if len(byID) > 0 && len(private) < 2 {
		d.problem("spec.network.subnetIDs", fmt.Sprintf("%d of the subnets are private (no route to an internet gateway); Fargate pods need at least 2 private subnets", len(private)), "add private subnets (routed to a NAT gateway)")
	}
	d.privateSubnets = private
	for pi, p := range d.s.FargateProfiles {
		for si, id := range p.Subnets {
			path := fmt.Sprintf("spec.fargateProfiles[%d].subnets[%d]", pi, si)
			s := byID[id]
			if s == nil {
				d.problem(path, fmt.Sprintf("%s does not exist in %s", id, d.s.Region), "fix the subnet ID")
				continue
			}
			if igw := d.publicRoute(s); igw != "" {
				d.problem(path, fmt.Sprintf("%s is public (route %s → %s); Fargate profiles need private subnets", id, "0.0.0.0/0", igw), "use a subnet whose route table sends 0.0.0.0/0 to a NAT gateway, not an internet gateway")
			}
			if !vpcs[aws.ToString(s.VpcId)] && len(vpcs) > 0 {
				d.problem(path, fmt.Sprintf("%s is in %s, not in the cluster's VPC", id, aws.ToString(s.VpcId)), "use a subnet of the cluster's VPC")
			}
		}
	}
	if sc := d.s.Cluster.ServiceIPv4CIDR; sc != "" {
		if sp, err := netip.ParsePrefix(sc); err == nil {
			for _, v := range n.VPCs {
				for _, a := range v.CidrBlockAssociationSet {
					if vp, err := netip.ParsePrefix(aws.ToString(a.CidrBlock)); err == nil && vp.Overlaps(sp) {
						d.problem("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("%s overlaps %s of the VPC %s", sc, vp, aws.ToString(v.VpcId)), "use a block outside the VPC's CIDRs")
					}
				}
			}
		}
	}
}

// publicRoute returns the internet gateway a subnet routes to, or "" for a
// private subnet. A subnet without an explicit association uses its VPC's
// main route table.
func (d *differ) publicRoute(s *ec2types.Subnet) string {
	var table *ec2types.RouteTable
	id, vpc := aws.ToString(s.SubnetId), aws.ToString(s.VpcId)
	for i, rt := range d.snap.Network.RouteTables {
		for _, a := range rt.Associations {
			if aws.ToString(a.SubnetId) == id {
				table = &d.snap.Network.RouteTables[i]
			}
		}
	}
	if table == nil {
		for i, rt := range d.snap.Network.RouteTables {
			if aws.ToString(rt.VpcId) != vpc {
				continue
			}
			for _, a := range rt.Associations {
				if aws.ToBool(a.Main) {
					table = &d.snap.Network.RouteTables[i]
				}
			}
		}
	}
	if table == nil {
		return ""
	}
	for _, r := range table.Routes {
		if g := aws.ToString(r.GatewayId); strings.HasPrefix(g, "igw-") {
			return g
		}
	}
	return ""
}
