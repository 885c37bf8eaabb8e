package eksfargate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"
)

// fkPrivateSubnets creates a VPC with one private subnet (no route to an
// internet gateway) per zone given.
func fkPrivateSubnets(t *testing.T, e *ec2.Client, cidr string, zones ...string) []string {
	t.Helper()
	ctx := context.Background()
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr + ".0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, az := range zones {
		sn, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(az), CidrBlock: aws.String(fmt.Sprintf("%s.%d.0/24", cidr, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(sn.Subnet.SubnetId))
	}
	return ids
}

// TestSubnetChanges adds and changes the subnets of an existing cluster
// (UpdateClusterConfig), and refuses in plan what EKS refuses: subnets of
// another VPC, or of one zone only.
func TestSubnetChanges(t *testing.T) {
	a := fkAWS(t)
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	e2, ek := ec2.NewFromConfig(cfg), eks.NewFromConfig(cfg)
	ids := fkPrivateSubnets(t, e2, "10.0", "ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1a", "ap-northeast-1c")
	s := fkWalkthrough(t, a)
	s.Network = NetworkSpec{SubnetIDs: ids[:3]}
	s.FargateProfiles[0].Subnets = []string{ids[1], ids[2]}
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	clusterSubnets := func() []string {
		t.Helper()
		out, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(s.Name)})
		if err != nil {
			t.Fatal(err)
		}
		return sortedCopy(out.Cluster.ResourcesVpcConfig.SubnetIds)
	}
	for _, step := range []struct {
		name    string
		subnets []string
	}{
		{"add", ids},
		{"change", ids[1:]},
	} {
		s.Network.SubnetIDs = step.subnets
		p := fkPlan(t, s, opts...)
		pending := p.Pending()
		if len(pending) != 1 || pending[0].ID != "eks.cluster/eks-test/subnets" {
			t.Fatalf("%s: want one subnets update:\n%s", step.name, p.Text())
		}
		if err := Apply(ctx, p, opts...); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(sortedCopy(step.subnets), clusterSubnets()); diff != "" {
			t.Errorf("%s: cluster subnets (-want +got):\n%s", step.name, diff)
		}
		fkAssertConverged(t, s, opts...)
	}

	// Another VPC: EKS refuses it, and so does the plan.
	other := fkPrivateSubnets(t, e2, "10.1", "ap-northeast-1a", "ap-northeast-1c")
	if _, err := ek.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(s.Name),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: other}}); err == nil {
		t.Error("EKS (the proxy) accepted subnets of another VPC")
	}
	for _, tc := range []struct {
		name, rule string
		subnets    []string
	}{
		{"other VPC", "EKS can change a cluster's subnets only within its VPC", append([]string{ids[1], ids[2]}, other...)},
		{"one zone", "at least 2", []string{ids[1], ids[3]}},
	} {
		s.Network.SubnetIDs = tc.subnets
		s.FargateProfiles[0].Subnets = []string{ids[1], ids[2]}
		if tc.name == "one zone" {
			s.FargateProfiles[0].Subnets = []string{ids[1], ids[3]}
		}
		_, err := Plan(ctx, s, opts...)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: Plan = %v, want a *ValidationError", tc.name, err)
		}
		found := false
		for _, pr := range ve.Problems {
			found = found || (strings.HasPrefix(pr.Path, "spec.network.subnetIDs") && strings.Contains(pr.Rule, tc.rule))
		}
		if !found {
			t.Errorf("%s: problems %v lack spec.network.subnetIDs: …%s", tc.name, ve.Problems, tc.rule)
		}
	}
}
