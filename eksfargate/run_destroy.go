package eksfargate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/plan"
)

// maxDependencyAttempts bounds the retries of an EC2 delete refused because
// something still uses the resource (ENIs of a deleted NAT gateway or
// cluster take a while to go).
const maxDependencyAttempts = 30

// retryDependency calls f again while EC2 answers DependencyViolation or
// InvalidIPAddress.InUse, at most maxDependencyAttempts times.
func (x *executor) retryDependency(ctx context.Context, what string, report plan.Reporter, f func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || awsNotFound(err) {
			return nil
		}
		switch awsErrorCode(err) {
		case "DependencyViolation", "InvalidIPAddress.InUse":
		default:
			return fmt.Errorf("%s: %w", what, err)
		}
		if attempt+1 >= maxDependencyAttempts {
			return fmt.Errorf("%s: still in use after %d attempts: %w", what, attempt+1, err)
		}
		d := x.backoff(attempt)
		if report != nil {
			report("WAITING (still in use)")
		}
		x.log.Info("retry", zap.String("resource", what), zap.String("reason", awsErrorCode(err)), zap.Duration("pause", d))
		if err := x.o.Sleep(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

func (x *executor) deleteNATGateway(ctx context.Context, id string, report plan.Reporter) error {
	if _, err := x.c.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(id)}); err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete NAT gateway %s: %w", id, err)
	}
	return x.waitFor(ctx, "NAT gateway "+id, x.o.Timeouts.NATGateway, report, func(ctx context.Context) (string, bool, error) {
		gws, err := observe.NATGateways(ctx, x.c.EC2, nil, id)
		if awsNotFound(err) {
			return "deleted", true, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("describe NAT gateway %s: %w", id, err)
		}
		if len(gws) == 0 || gws[0].State == ec2types.NatGatewayStateDeleted {
			return "deleted", true, nil
		}
		return string(gws[0].State), false, nil
	})
}

func (x *executor) releaseAddress(ctx context.Context, allocationID string, report plan.Reporter) error {
	return x.retryDependency(ctx, "release Elastic IP "+allocationID, report, func(ctx context.Context) error {
		_, err := x.c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(allocationID)})
		return err
	})
}

func (x *executor) deleteRouteTable(ctx context.Context, id string, report plan.Reporter) error {
	rts, err := observe.RouteTables(ctx, x.c.EC2, nil, id)
	if awsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe route table %s: %w", id, err)
	}
	for _, rt := range rts {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) || a.RouteTableAssociationId == nil {
				continue
			}
			if _, err := x.c.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId}); err != nil && !awsNotFound(err) {
				return fmt.Errorf("route table %s: disassociate %s: %w", id, aws.ToString(a.SubnetId), err)
			}
		}
	}
	return x.retryDependency(ctx, "delete route table "+id, report, func(ctx context.Context) error {
		_, err := x.c.EC2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
		return err
	})
}

func (x *executor) deleteInternetGateway(ctx context.Context, id string, report plan.Reporter) error {
	igws, err := observe.InternetGateways(ctx, x.c.EC2, nil, id)
	if awsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe internet gateway %s: %w", id, err)
	}
	for _, g := range igws {
		for _, a := range g.Attachments {
			vpc := aws.ToString(a.VpcId)
			err := x.retryDependency(ctx, "detach internet gateway "+id, report, func(ctx context.Context) error {
				_, err := x.c.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)})
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	return x.retryDependency(ctx, "delete internet gateway "+id, report, func(ctx context.Context) error {
		_, err := x.c.EC2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
		return err
	})
}

func (x *executor) deleteSubnet(ctx context.Context, id string, report plan.Reporter) error {
	return x.retryDependency(ctx, "delete subnet "+id, report, func(ctx context.Context) error {
		_, err := x.c.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
		return err
	})
}

func (x *executor) deleteVPC(ctx context.Context, id string, report plan.Reporter) error {
	return x.retryDependency(ctx, "delete VPC "+id, report, func(ctx context.Context) error {
		_, err := x.c.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
		return err
	})
}
