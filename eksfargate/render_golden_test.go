package eksfargate

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/plan"
)

// TestUpdatePlanGolden pins the text and JSON of a plan that updates or
// replaces each kind of the AWS side that can change in place (the role's
// trust policy, the cluster's logging and endpoint access, a Fargate
// profile's selectors, an addon's role): one line per changed attribute,
// IAM documents as statement paths, nothing in Go syntax. The
// create-from-nothing golden (create_plan.txt) covers every kind's create
// line.
func TestUpdatePlanGolden(t *testing.T) {
	s := fkValidSpec().WithSubnets("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
	s.Network.VPC = nil
	s.FargateProfiles[0].Selectors[1] = SelectNamespace("default").WithLabel("tier", "web")
	snap := fkEmptySnapshot()
	for _, id := range []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"} {
		snap.Network.Subnets = append(snap.Network.Subnets, fkSubnet(id))
	}
	snap.ClusterRole = fkLiveRole("eksClusterRole",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		true, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
	snap.PodExecutionRole = fkLiveRole("AmazonEKSFargatePodExecutionRole",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		true, "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")
	snap.Cluster = &ekstypes.Cluster{Name: aws.String("eks-test"), Arn: aws.String("arn:aws:eks:ap-northeast-1:123456789012:cluster/eks-test"),
		Status: ekstypes.ClusterStatusActive, Version: aws.String("1.34"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		Tags:                    map[string]string{OwnerTag: "eks-test"},
		AccessConfig:            &ekstypes.AccessConfigResponse{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap},
		KubernetesNetworkConfig: &ekstypes.KubernetesNetworkConfigResponse{ServiceIpv4Cidr: aws.String("172.20.0.0/16")},
		ResourcesVpcConfig: &ekstypes.VpcConfigResponse{SubnetIds: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"},
			EndpointPublicAccess: true, PublicAccessCidrs: []string{"0.0.0.0/0"}},
		EncryptionConfig: []ekstypes.EncryptionConfig{{Resources: []string{"secrets"},
			Provider: &ekstypes.Provider{KeyArn: aws.String("arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")}}},
		Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Enabled: aws.Bool(true), Types: []ekstypes.LogType{ekstypes.LogTypeApi, ekstypes.LogTypeAudit}}}}}
	snap.FargateProfiles = []ekstypes.FargateProfile{{FargateProfileName: aws.String("init-fargate"), Status: ekstypes.FargateProfileStatusActive,
		PodExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"),
		Subnets:             []string{"subnet-0123456789abcdef1", "subnet-0123456789abcdef0"},
		Selectors:           []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}, {Namespace: aws.String("kube-system")}},
		Tags:                map[string]string{OwnerTag: "eks-test"}}}
	snap.AddonDefaultVersions = map[string]string{"kube-proxy": "v1.34.0-eksbuild.2"}
	snap.Addons["coredns"] = &ekstypes.Addon{AddonName: aws.String("coredns"), Status: ekstypes.AddonStatusActive, AddonVersion: aws.String("v1.12.1-eksbuild.2"),
		ConfigurationValues: aws.String(`{"computeType":"ec2"}`)}
	snap.Addons["vpc-cni"] = &ekstypes.Addon{AddonName: aws.String("vpc-cni"), Status: ekstypes.AddonStatusActive, AddonVersion: aws.String("v1.20.4-eksbuild.1"),
		ServiceAccountRoleArn: aws.String("arn:aws:iam::123456789012:role/other")}
	cs, err := Diff(s, snap)
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: cs}
	kinds := map[string]plan.Action{}
	for _, c := range p.Pending() {
		if c.Action == plan.Update || c.Action == plan.Replace {
			kinds[c.Kind] = c.Action
		}
	}
	for _, k := range []string{KindRole, KindCluster, KindFargateProfile, KindAddon} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no update or replacement of kind %s: the golden would not cover it\n%s", k, p.Text())
		}
	}
	fkGolden(t, "update_plan.txt", []byte(p.Text()))
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fkGolden(t, "update_plan.json", append(js, '\n'))
}
