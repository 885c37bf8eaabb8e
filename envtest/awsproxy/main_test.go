package awsproxy_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fargatekit/fargatekit/envtest"
)

const region = "eu-west-1"

// env is one moto_server with the proxy in front, shared by the tests of
// this binary (moto takes seconds to start). Tests reset it and do not run
// in parallel. It is nil in -short mode.
var env *envtest.AWS

func TestMain(m *testing.M) { os.Exit(envtest.RunWithAWS(m, &env)) }

// setup resets moto and the proxy for a test that needs them.
func setup(t testing.TB) *envtest.AWS {
	t.Helper()
	if env == nil {
		t.Skip("needs moto_server: skipped in -short mode")
	}
	if err := env.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	return env
}

// fastRetries keeps the SDK's standard retryer (its error classification
// and retry quota) but shortens its back-off, so that tests that ride out
// faults stay fast.
func fastRetries(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = 20 * time.Millisecond
		})
	}
}

type clients struct {
	eks *eks.Client
	iam *iam.Client
	ec2 *ec2.Client
	sts *sts.Client
	kms *kms.Client
}

func newClients(a *envtest.AWS, maxAttempts int) clients {
	cfg := a.Config(region)
	cfg.Retryer = fastRetries(maxAttempts)
	return clients{
		eks: eks.NewFromConfig(cfg),
		iam: iam.NewFromConfig(cfg),
		ec2: ec2.NewFromConfig(cfg),
		sts: sts.NewFromConfig(cfg),
		kms: kms.NewFromConfig(cfg),
	}
}

const trustEKS = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const trustFargate = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// network is a VPC with one private subnet (no route table of its own, so
// the VPC's main table applies, which has only the local route) and one
// public subnet (its own table with 0.0.0.0/0 to an internet gateway).
type network struct {
	vpc, private, private2, public, igw string
}

func newNetwork(t testing.TB, c clients) network {
	t.Helper()
	ctx := context.Background()
	vpc, err := c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	n := network{vpc: aws.ToString(vpc.Vpc.VpcId)}
	subnet := func(cidr, az string) string {
		s, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &n.vpc, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(az)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(s.Subnet.SubnetId)
	}
	n.private = subnet("10.42.1.0/24", region+"a")
	n.private2 = subnet("10.42.2.0/24", region+"b")
	n.public = subnet("10.42.3.0/24", region+"a")
	igw, err := c.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	n.igw = aws.ToString(igw.InternetGateway.InternetGatewayId)
	if _, err := c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: &n.igw, VpcId: &n.vpc}); err != nil {
		t.Fatal(err)
	}
	rt, err := c.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: &n.vpc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: &n.igw}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: &n.public}); err != nil {
		t.Fatal(err)
	}
	return n
}

func createRole(t testing.TB, c clients, name, trust string) string {
	t.Helper()
	out, err := c.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Role.Arn)
}

// newCluster creates a cluster (and its role and network) and waits until
// it is ACTIVE.
func newCluster(t testing.TB, c clients, name string, opts ...func(*eks.CreateClusterInput)) (network, string) {
	t.Helper()
	n := newNetwork(t, c)
	role := createRole(t, c, name+"-cluster", trustEKS)
	in := &eks.CreateClusterInput{
		Name:               &name,
		RoleArn:            &role,
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private, n.private2}},
	}
	for _, o := range opts {
		o(in)
	}
	ctx := context.Background()
	if _, err := c.eks.CreateCluster(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := eks.NewClusterActiveWaiter(c.eks, fastWaiter[eks.ClusterActiveWaiterOptions]).Wait(ctx, &eks.DescribeClusterInput{Name: &name}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return n, role
}

// fastWaiter polls every 20-50ms instead of the SDK's default 30s.
func fastWaiter[O any](o *O) {
	setDelays(o, 20*time.Millisecond, 50*time.Millisecond)
}

// setDelays sets MinDelay and MaxDelay on any SDK waiter options.
func setDelays(o any, minDelay, maxDelay time.Duration) {
	switch o := o.(type) {
	case *eks.ClusterActiveWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	case *eks.ClusterDeletedWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	case *eks.FargateProfileActiveWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	case *eks.FargateProfileDeletedWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	case *eks.AddonActiveWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	case *eks.AddonDeletedWaiterOptions:
		o.MinDelay, o.MaxDelay = minDelay, maxDelay
	default:
		panic(fmt.Sprintf("setDelays: unexpected %T", o))
	}
}
