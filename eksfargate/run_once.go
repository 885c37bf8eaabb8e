package eksfargate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// createAttempts bounds the attempts of one EC2 create.
const createAttempts = 10

// noSDKRetry turns the SDK's automatic retries off for one EC2 call: a create
// whose answer was lost must not be sent again blindly.
func noSDKRetry(o *ec2.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1) }

// outcome classifies a failed create.
type outcome int

const (
	permanent outcome = iota // EC2 refused it: report the error
	refused                  // throttled: nothing was done, try again
	unknown                  // no answer, or a 5xx: it may have been done
)

func classifyCreate(ctx context.Context, err error) outcome {
	if ctx.Err() != nil {
		return permanent
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "RequestLimitExceeded", "Throttling", "ThrottlingException":
			return refused
		}
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return unknown
		}
		return permanent
	}
	return unknown // a connection error: the request may have been served
}

// createOnce runs an EC2 create whose answer may be lost. The SDK's retries
// are off for the call; a throttled create is tried again, and after an
// ambiguous outcome (no answer, or a 5xx) the resource is first looked for
// by the tags it was created with (OwnerTag and ResourceKeyTag, set in the
// same call), so that a create AWS performed is adopted, never repeated.
func (x *executor) createOnce(ctx context.Context, what string, create func(ctx context.Context) (string, error), find func(ctx context.Context) (string, error)) (string, error) {
	var err error
	for attempt := 0; attempt < createAttempts; attempt++ {
		var id string
		id, err = create(ctx)
		if err == nil {
			return id, nil
		}
		switch classifyCreate(ctx, err) {
		case permanent:
			return "", err
		case unknown:
			found, ferr := find(ctx)
			if ferr == nil && found != "" {
				x.log.Info("eksfargate: adopted a resource whose create answer was lost", zap.String("resource", what), zap.String("id", found))
				return found, nil
			}
		}
		if serr := x.o.Sleep(ctx, x.backoff(attempt)); serr != nil {
			return "", serr
		}
	}
	return "", fmt.Errorf("%s: gave up after %d attempts: %w", what, createAttempts, err)
}

// taggedFilter selects resources created for this cluster with the key
// of tags (OwnerTag and ResourceKeyTag).
func taggedFilter(tags map[string]string) []ec2types.Filter {
	return []ec2types.Filter{
		{Name: aws.String("tag:" + OwnerTag), Values: []string{tags[OwnerTag]}},
		{Name: aws.String("tag:" + ResourceKeyTag), Values: []string{tags[ResourceKeyTag]}},
	}
}

// sameKey reports whether a resource's tags are those of the create (moto
// ignores some tag filters, so results are checked again).
func sameKey(have []ec2types.Tag, want map[string]string) bool {
	return ec2Tag(have, OwnerTag) == want[OwnerTag] && ec2Tag(have, ResourceKeyTag) == want[ResourceKeyTag] && want[ResourceKeyTag] != ""
}

func (x *executor) findVPC(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.VPCs(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, v := range out {
			if sameKey(v.Tags, tags) {
				return aws.ToString(v.VpcId), nil
			}
		}
		return "", nil
	}
}

func (x *executor) findInternetGateway(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.InternetGateways(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, g := range out {
			if sameKey(g.Tags, tags) {
				return aws.ToString(g.InternetGatewayId), nil
			}
		}
		return "", nil
	}
}

func (x *executor) findSubnet(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.Subnets(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, s := range out {
			if sameKey(s.Tags, tags) {
				return aws.ToString(s.SubnetId), nil
			}
		}
		return "", nil
	}
}

func (x *executor) findAddress(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.Addresses(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, a := range out {
			if sameKey(a.Tags, tags) {
				return aws.ToString(a.AllocationId), nil
			}
		}
		return "", nil
	}
}

func (x *executor) findNATGateway(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.NATGateways(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, g := range out {
			if sameKey(g.Tags, tags) && g.State != ec2types.NatGatewayStateDeleted && g.State != ec2types.NatGatewayStateDeleting && g.State != ec2types.NatGatewayStateFailed {
				return aws.ToString(g.NatGatewayId), nil
			}
		}
		return "", nil
	}
}

func (x *executor) findRouteTable(tags map[string]string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		out, err := observe.RouteTables(ctx, x.c.EC2, taggedFilter(tags))
		if err != nil {
			return "", err
		}
		for _, r := range out {
			if sameKey(r.Tags, tags) {
				return aws.ToString(r.RouteTableId), nil
			}
		}
		return "", nil
	}
}
