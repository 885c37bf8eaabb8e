package audit_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
)

const region = "us-west-2"

// env is one moto_server behind the proxy, shared by this binary's tests
// (which reset it and do not run in parallel). nil in -short mode.
var env *envtest.AWS

func TestMain(m *testing.M) { os.Exit(envtest.RunWithAWS(m, &env)) }

func setupAWS(t testing.TB) *envtest.AWS {
	t.Helper()
	if env == nil {
		t.Skip("needs moto_server: skipped in -short mode")
	}
	if err := env.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	return env
}

// stack is what the tests build in moto: a VPC with two private and two
// public subnets, the two roles, a cluster and its profiles.
type stack struct {
	cfg            aws.Config
	vpc            string
	private        []string
	public         []string
	clusterRoleARN string
	podRoleARN     string
	cluster        *ekstypes.Cluster
}

const (
	clusterTrust      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	podTrustUnscoped  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	clusterPolicyARN  = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
	fargatePolicyARN  = "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
	defaultK8sVersion = "1.34"
)

func createRole(ctx context.Context, t testing.TB, api *iam.Client, name, trust string, policies ...string) string {
	t.Helper()
	out, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	for _, p := range policies {
		if _, err := api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			t.Fatalf("attach %s to %s: %v", p, name, err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// buildNetwork creates the VPC, subnets, internet gateway and route tables.
func buildNetwork(ctx context.Context, t testing.TB, cfg aws.Config, st *stack) {
	t.Helper()
	api := ec2.NewFromConfig(cfg)
	vpc, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	st.vpc = aws.ToString(vpc.Vpc.VpcId)
	igw, err := api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: aws.String(st.vpc)}); err != nil {
		t.Fatal(err)
	}
	pubRT, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(st.vpc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: pubRT.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	privRT, err := api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(st.vpc)})
	if err != nil {
		t.Fatal(err)
	}
	for i, sn := range []struct {
		cidr, az string
		public   bool
	}{{"10.0.0.0/19", "us-west-2a", true}, {"10.0.32.0/19", "us-west-2b", true}, {"10.0.128.0/19", "us-west-2a", false}, {"10.0.160.0/19", "us-west-2b", false}} {
		out, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(st.vpc), CidrBlock: aws.String(sn.cidr), AvailabilityZone: aws.String(sn.az)})
		if err != nil {
			t.Fatalf("subnet %d: %v", i, err)
		}
		id := aws.ToString(out.Subnet.SubnetId)
		rt := privRT.RouteTable.RouteTableId
		if sn.public {
			rt = pubRT.RouteTable.RouteTableId
			st.public = append(st.public, id)
		} else {
			st.private = append(st.private, id)
		}
		if _, err := api.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt, SubnetId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
}

// buildStack creates the network, a cluster role (trust without
// sts:TagSession), a pod execution role with podTrust and the given
// policies, a cluster in authMode and one profile per selector namespace.
func buildStack(ctx context.Context, t testing.TB, cfg aws.Config, name, authMode, podTrust string, podPolicies []string, namespaces ...string) *stack {
	t.Helper()
	st := &stack{cfg: cfg}
	buildNetwork(ctx, t, cfg, st)
	im := iam.NewFromConfig(cfg)
	st.clusterRoleARN = createRole(ctx, t, im, name+"-cluster", clusterTrust, clusterPolicyARN)
	st.podRoleARN = createRole(ctx, t, im, name+"-pods", podTrust, podPolicies...)
	ek := eks.NewFromConfig(cfg)
	out, err := ek.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String(name), RoleArn: aws.String(st.clusterRoleARN), Version: aws.String(defaultK8sVersion),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: append(append([]string{}, st.private...), st.public...)},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(authMode)},
	})
	if err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	st.cluster = out.Cluster
	for _, ns := range namespaces {
		sel := ekstypes.FargateProfileSelector{Namespace: aws.String(ns)}
		if ns == "kube-system" {
			sel.Labels = map[string]string{"k8s-app": "kube-dns"}
		}
		if _, err := ek.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{
			ClusterName: aws.String(name), FargateProfileName: aws.String(ns), PodExecutionRoleArn: aws.String(st.podRoleARN),
			Subnets: st.private, Selectors: []ekstypes.FargateProfileSelector{sel},
		}); err != nil {
			t.Fatalf("create profile %s: %v", ns, err)
		}
		w := eks.NewFargateProfileActiveWaiter(ek, func(o *eks.FargateProfileActiveWaiterOptions) {
			o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
		})
		if err := w.Wait(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(name), FargateProfileName: aws.String(ns)}, time.Minute); err != nil {
			t.Fatalf("profile %s: %v", ns, err)
		}
	}
	return st
}

// kubeFor returns an Options.Kube that sends every cluster to one API server.
func kubeFor(cfg *rest.Config) func(context.Context, *audit.Cluster) (*rest.Config, error) {
	return func(context.Context, *audit.Cluster) (*rest.Config, error) { return cfg, nil }
}

// checksOf returns the finding IDs of a report, as a set.
func checksOf(r *audit.Report) map[string]int {
	m := map[string]int{}
	for _, f := range r.Findings {
		m[f.Check]++
	}
	return m
}

// parallel runs f for 0..n-1 with at most k at once.
func parallel(n, k int, f func(i int)) {
	sem := make(chan struct{}, k)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

var _ = ec2types.Filter{}
