package eksfargate

import (
	"context"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/plan"
)

// TestTagDrift changes tag values out of band and adds fargatekit.io/*
// tags the spec does not name, on the VPC, a subnet, a role, the cluster, a
// profile and an add-on: each is an update, and applying it converges,
// leaving tags that are neither the spec's nor fargatekit.io/* alone.
func TestTagDrift(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	e2, ek, im := ec2.NewFromConfig(cfg), eks.NewFromConfig(cfg), iam.NewFromConfig(cfg)

	vpcs, err := e2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:" + OwnerTag), Values: []string{s.Name}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("VPC: %v %d", err, len(vpcs.Vpcs))
	}
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := e2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:" + ResourceKeyTag), Values: []string{"private-0"}}}})
	if err != nil || len(subnets.Subnets) != 1 {
		t.Fatalf("subnet: %v", err)
	}
	subnet := aws.ToString(subnets.Subnets[0].SubnetId)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc}, Tags: []ec2types.Tag{{Key: aws.String("env"), Value: aws.String("changed")}, {Key: aws.String("team"), Value: aws.String("net")}}}))
	must(e2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{subnet}, Tags: []ec2types.Tag{{Key: aws.String("fargatekit.io/stale"), Value: aws.String("x")}}}))
	must(im.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("changed")}}}))
	cl, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(s.Name)})
	if err != nil {
		t.Fatal(err)
	}
	must(ek.TagResource(ctx, &eks.TagResourceInput{ResourceArn: cl.Cluster.Arn, Tags: map[string]string{"fargatekit.io/stale": "x", "team": "platform"}}))
	must(ek.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(fkProfileARN(t, ek, s, "init-fargate")), Tags: map[string]string{"env": "changed"}}))
	must(ek.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(fkAddonARN(t, ek, s, "coredns")), TagKeys: []string{"env"}}))

	p := fkPlan(t, s, opts...)
	var got []string
	for _, c := range p.Pending() {
		if c.Action != plan.Update {
			t.Errorf("%s: %s, want update", c.ID, c.Action)
		}
		got = append(got, c.ID+": "+c.Summary)
	}
	sort.Strings(got)
	want := []string{
		"ec2.subnet/eks-test/private-0: untag fargatekit.io/stale",
		"ec2.vpc/eks-test: tags env=walkthrough",
		"eks.addon/eks-test/coredns/tags: tags env=walkthrough",
		"eks.cluster/eks-test/tags: untag fargatekit.io/stale",
		"eks.fargate-profile/eks-test/init-fargate/tags: tags env=walkthrough",
		"iam.role/AmazonEKSFargatePodExecutionRole/tags: tags env=walkthrough",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tag drift (-want +got):\n%s\nplan:\n%s", diff, p.Text())
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatal(err)
	}
	fkAssertConverged(t, s, opts...)
	vpcs, err = e2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil {
		t.Fatal(err)
	}
	if tags := ec2TagMap(vpcs.Vpcs[0].Tags); tags["team"] != "net" || tags["env"] != "walkthrough" {
		t.Errorf("VPC tags after apply: %v", tags)
	}
	cl, err = ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(s.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, stale := cl.Cluster.Tags["fargatekit.io/stale"]; stale || cl.Cluster.Tags["team"] != "platform" {
		t.Errorf("cluster tags after apply: %v", cl.Cluster.Tags)
	}
}
