package eksfargate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/plan"
)

// tagSpec tags a resource in the call that creates it, so that no
// resource exists untagged even for a moment: an interrupted apply finds it
// by OwnerTag and ResourceKeyTag.
func tagSpec(rt ec2types.ResourceType, tags map[string]string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: ec2Tags(tags)}}
}

func ec2Tags(tags map[string]string) []ec2types.Tag {
	out := make([]ec2types.Tag, 0, len(tags))
	for _, k := range specSortedKeys(tags) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

func (x *executor) createVPC(ctx context.Context, cidr string, tags map[string]string) error {
	id, err := x.createOnce(ctx, "VPC "+cidr, func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr), TagSpecifications: tagSpec(ec2types.ResourceTypeVpc, tags)}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Vpc.VpcId), nil
	}, x.findVPC(tags))
	if err != nil {
		return fmt.Errorf("create VPC %s: %w", cidr, err)
	}
	x.setID("vpc", id)
	return x.repairVPC(ctx, id, nil)
}

// repairVPC turns on DNS support and hostnames (one attribute per call, as
// EC2 requires), then marks the VPC as done and adds missing tags.
func (x *executor) repairVPC(ctx context.Context, id string, tags map[string]string) error {
	for _, in := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(id), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(id), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		if _, err := x.c.EC2.ModifyVpcAttribute(ctx, in); err != nil {
			return fmt.Errorf("VPC %s: enable DNS: %w", id, err)
		}
	}
	t := map[string]string{vpcDNSTag: "enabled"}
	for k, v := range tags {
		t[k] = v
	}
	if _, err := x.c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(t)}); err != nil {
		return fmt.Errorf("VPC %s: tag: %w", id, err)
	}
	return nil
}

func (x *executor) createInternetGateway(ctx context.Context, tags map[string]string) error {
	id, err := x.createOnce(ctx, "internet gateway", func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: tagSpec(ec2types.ResourceTypeInternetGateway, tags)}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.InternetGateway.InternetGatewayId), nil
	}, x.findInternetGateway(tags))
	if err != nil {
		return fmt.Errorf("create internet gateway: %w", err)
	}
	x.setID("igw", id)
	return x.attachInternetGateway(ctx, id, "")
}

func (x *executor) attachInternetGateway(ctx context.Context, id, attachedTo string) error {
	vpc, err := x.id("vpc")
	if err != nil {
		return err
	}
	if attachedTo != "" && attachedTo != vpc {
		if _, err := x.c.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(attachedTo)}); err != nil {
			return fmt.Errorf("detach internet gateway %s from %s: %w", id, attachedTo, err)
		}
	}
	if _, err := x.c.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)}); err != nil {
		return fmt.Errorf("attach internet gateway %s to %s: %w", id, vpc, err)
	}
	return nil
}

func (x *executor) createSubnet(ctx context.Context, key, az, cidr string, public bool, tags map[string]string) error {
	vpc, err := x.id("vpc")
	if err != nil {
		return err
	}
	id, err := x.createOnce(ctx, "subnet "+key, func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: aws.String(vpc), AvailabilityZone: aws.String(az), CidrBlock: aws.String(cidr),
			TagSpecifications: tagSpec(ec2types.ResourceTypeSubnet, tags),
		}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Subnet.SubnetId), nil
	}, x.findSubnet(tags))
	if err != nil {
		return fmt.Errorf("create subnet %s (%s in %s): %w", key, cidr, az, err)
	}
	x.setID("subnet/"+key, id)
	if public {
		return x.repairSubnet(ctx, id, nil, true)
	}
	return nil
}

func (x *executor) repairSubnet(ctx context.Context, id string, tags map[string]string, mapPublicIP bool) error {
	if len(tags) > 0 {
		if _, err := x.c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(tags)}); err != nil {
			return fmt.Errorf("tag subnet %s: %w", id, err)
		}
	}
	if mapPublicIP {
		if _, err := x.c.EC2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{
			SubnetId: aws.String(id), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)},
		}); err != nil {
			return fmt.Errorf("subnet %s: map public IPs on launch: %w", id, err)
		}
	}
	return nil
}

func (x *executor) allocateAddress(ctx context.Context, key string, tags map[string]string) error {
	id, err := x.createOnce(ctx, "Elastic IP "+key, func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc,
			TagSpecifications: tagSpec(ec2types.ResourceTypeElasticIp, tags)}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.AllocationId), nil
	}, x.findAddress(tags))
	if err != nil {
		return fmt.Errorf("allocate Elastic IP %s: %w", key, err)
	}
	x.setID("eip/"+key, id)
	return nil
}

func (x *executor) createNATGateway(ctx context.Context, key, subnetKey, eipKey string, tags map[string]string, report plan.Reporter) error {
	subnet, err := x.id(subnetKey)
	if err != nil {
		return err
	}
	eip, err := x.id(eipKey)
	if err != nil {
		return err
	}
	id, err := x.createOnce(ctx, "NAT gateway "+key, func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
			SubnetId: aws.String(subnet), AllocationId: aws.String(eip), ConnectivityType: ec2types.ConnectivityTypePublic,
			TagSpecifications: tagSpec(ec2types.ResourceTypeNatgateway, tags),
		}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.NatGateway.NatGatewayId), nil
	}, x.findNATGateway(tags))
	if err != nil {
		return fmt.Errorf("create NAT gateway %s in %s: %w", key, subnet, err)
	}
	x.setID("nat/"+key, id)
	return x.waitNATGateway(ctx, id, report)
}

// waitNATGateway waits until the NAT gateway is available; a failed
// gateway stops the wait at once with EC2's reason.
func (x *executor) waitNATGateway(ctx context.Context, id string, report plan.Reporter) error {
	return x.waitFor(ctx, "NAT gateway "+id, x.o.Timeouts.NATGateway, report, func(ctx context.Context) (string, bool, error) {
		gws, err := observe.NATGateways(ctx, x.c.EC2, nil, id)
		if err != nil {
			return "", false, fmt.Errorf("describe NAT gateway %s: %w", id, err)
		}
		if len(gws) == 0 {
			return "", false, fmt.Errorf("NAT gateway %s disappeared", id)
		}
		g := gws[0]
		switch g.State {
		case ec2types.NatGatewayStateAvailable:
			return string(g.State), true, nil
		case ec2types.NatGatewayStateFailed, ec2types.NatGatewayStateDeleting, ec2types.NatGatewayStateDeleted:
			return string(g.State), false, fmt.Errorf("NAT gateway %s is %s: %s: %s", id, g.State, aws.ToString(g.FailureCode), aws.ToString(g.FailureMessage))
		}
		return string(g.State), false, nil
	})
}

// routeTarget fills the target of a route from a key: "igw" is an internet
// gateway, "nat/…" a NAT gateway.
func (x *executor) routeTarget(target string) (gateway, nat *string, err error) {
	id, err := x.id(target)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(target, "nat/") {
		return nil, aws.String(id), nil
	}
	return aws.String(id), nil, nil
}

func (x *executor) createRouteTable(ctx context.Context, key string, tags map[string]string, target string, subnets []string) error {
	vpc, err := x.id("vpc")
	if err != nil {
		return err
	}
	id, err := x.createOnce(ctx, "route table "+key, func(ctx context.Context) (string, error) {
		out, err := x.c.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(vpc), TagSpecifications: tagSpec(ec2types.ResourceTypeRouteTable, tags)}, noSDKRetry)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.RouteTable.RouteTableId), nil
	}, x.findRouteTable(tags))
	if err != nil {
		return fmt.Errorf("create route table %s: %w", key, err)
	}
	x.setID("rtb/"+key, id)
	return x.repairRouteTable(ctx, id, target, false, true, subnets)
}

func (x *executor) repairRouteTable(ctx context.Context, id, target string, hadRoute, fixRoute bool, subnets []string) error {
	if fixRoute {
		gw, nat, err := x.routeTarget(target)
		if err != nil {
			return err
		}
		if hadRoute {
			_, err = x.c.EC2.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: gw, NatGatewayId: nat})
		} else {
			_, err = x.c.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: aws.String(id), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: gw, NatGatewayId: nat})
		}
		if err != nil {
			return fmt.Errorf("route table %s: route 0.0.0.0/0: %w", id, err)
		}
	}
	for _, key := range subnets {
		sid, err := x.id(key)
		if err != nil {
			return err
		}
		if _, err := x.c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: aws.String(id), SubnetId: aws.String(sid)}); err != nil {
			return fmt.Errorf("route table %s: associate %s: %w", id, sid, err)
		}
	}
	return nil
}
