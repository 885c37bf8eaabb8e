package eksfargate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

// fkEmptySnapshot is an account with nothing in it.
func fkEmptySnapshot() *Snapshot {
	return &Snapshot{AccountID: "123456789012", Partition: "aws", Addons: map[string]*ekstypes.Addon{}}
}

// fkLiveRole is a role as GetRole returns it, its trust policy
// URL-encoded as IAM's API does.
func fkLiveRole(name, trust string, owned bool, policies ...string) RoleSnapshot {
	r := &iamtypes.Role{RoleName: aws.String(name), Arn: aws.String("arn:aws:iam::123456789012:role/" + name), Path: aws.String("/"),
		AssumeRolePolicyDocument: aws.String(url.QueryEscape(trust)), CreateDate: aws.Time(time.Unix(0, 0))}
	if owned {
		r.Tags = []iamtypes.Tag{{Key: aws.String(OwnerTag), Value: aws.String("eks-test")}}
	}
	doc, err := iamtrust.ParseLive(aws.ToString(r.AssumeRolePolicyDocument))
	if err != nil {
		panic(err)
	}
	return RoleSnapshot{Name: name, Role: r, Trust: doc, AttachedPolicyARNs: policies}
}

func fkChanges(t *testing.T, s *Spec, snap *Snapshot, opts ...func(*Options)) map[string]plan.Change {
	t.Helper()
	cs, err := Diff(s, snap, opts...)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	out := map[string]plan.Change{}
	for _, c := range cs {
		if c.Run != nil {
			t.Errorf("Diff returned %s with a Run; Diff must be pure", c.ID)
		}
		out[c.ID] = c
	}
	return out
}

// TestDiffIgnoresIAMRewriting: a trust policy that IAM rewrote (URL
// encoding, one-element lists as strings, reordered actions, the account
// ID for the root ARN) is not drift; a real difference is.
func TestDiffIgnoresIAMRewriting(t *testing.T) {
	s := fkValidSpec()
	snap := fkEmptySnapshot()
	snap.ClusterRole = fkLiveRole("eksClusterRole",
		`{"Statement":[{"Action":["sts:TagSession","sts:AssumeRole"],"Principal":{"Service":["eks.amazonaws.com"]},"Effect":"Allow"}],"Version":"2012-10-17"}`,
		true, "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
	snap.PodExecutionRole = fkLiveRole("AmazonEKSFargatePodExecutionRole",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		true, "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")
	got := fkChanges(t, s, snap)
	if c := got["iam.role/eksClusterRole"]; c.Action != plan.NoOp {
		t.Errorf("rewritten cluster role trust: %s %s", c.Action, c.Summary)
	}
	if c := got["iam.role-policy/eksClusterRole/arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]; c.Action != plan.NoOp {
		t.Errorf("attached policy: %s", c.Action)
	}
	// The pod execution role lacks the aws:SourceArn condition: real drift.
	c := got["iam.role/AmazonEKSFargatePodExecutionRole"]
	if c.Action != plan.Update || !strings.Contains(c.Summary, "aws:SourceArn") || c.Destructive {
		t.Errorf("pod execution role without aws:SourceArn: %s %q destructive=%t", c.Action, c.Summary, c.Destructive)
	}
}

// TestDiffOrderAndDependencies checks the shape of a create-from-nothing
// plan: every dependency comes earlier, the cluster waits for its role and
// subnets, the profile for the cluster, the pod role and the private routes,
// and only the coredns addon waits for the profile.
func TestDiffOrderAndDependencies(t *testing.T) {
	s := fkValidSpec()
	cs, err := Diff(s, fkEmptySnapshot())
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: cs}
	if err := orderPlan(p); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range p.Changes {
		for _, d := range c.DependsOn {
			if !seen[d] {
				t.Errorf("%s depends on %s, which comes later or not at all", c.ID, d)
			}
		}
		seen[c.ID] = true
	}
	for _, tc := range []struct {
		id, dep string
		want    bool
		reason  string
	}{
		{"eks.cluster/eks-test", "iam.role/eksClusterRole", true, "the cluster needs its role"},
		{"eks.cluster/eks-test", "iam.role-policy/eksClusterRole/arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", true, "and the role's policy"},
		{"eks.cluster/eks-test", "ec2.subnet/eks-test/public-1", true, "and its subnets"},
		{"eks.cluster/eks-test", "ec2.nat-gateway/eks-test/nat-0", false, "but not the NAT gateway, which can take minutes"},
		{"eks.fargate-profile/eks-test/init-fargate", "eks.cluster/eks-test", true, "profiles need the cluster"},
		{"eks.fargate-profile/eks-test/init-fargate", "iam.role/AmazonEKSFargatePodExecutionRole", true, "and the pod role"},
		{"eks.fargate-profile/eks-test/init-fargate", "ec2.route-table/eks-test/private-0", true, "and the private routes"},
		{"eks.addon/eks-test/coredns", "eks.fargate-profile/eks-test/init-fargate", true, "CoreDNS needs a profile to run"},
		{"eks.addon/eks-test/kube-proxy", "eks.fargate-profile/eks-test/init-fargate", false, "kube-proxy does not"},
	} {
		if got := fkDependsOn(p, tc.id, tc.dep); got != tc.want {
			t.Errorf("%s depends on %s: %t, want %t (%s)", tc.id, tc.dep, got, tc.want, tc.reason)
		}
	}
	for _, c := range p.Changes {
		if c.Kind == KindFargateProfile && c.Serial != "eks.fargate-profile/eks-test" {
			t.Errorf("%s: serial %q", c.ID, c.Serial)
		}
	}
}

// TestDiffProfileReplacement: a live profile with other selectors is
// replaced under a deterministic new name; one with the same settings is
// left alone; an unowned one needs AllowUnowned.
func TestDiffProfileReplacement(t *testing.T) {
	s := fkValidSpec().WithSubnets("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
	s.Network.VPC = nil
	snap := fkEmptySnapshot()
	snap.Cluster = &ekstypes.Cluster{Name: aws.String("eks-test"), Arn: aws.String("arn:aws:eks:ap-northeast-1:123456789012:cluster/eks-test"),
		Status: ekstypes.ClusterStatusActive, Version: aws.String("1.34"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		KubernetesNetworkConfig: &ekstypes.KubernetesNetworkConfigResponse{ServiceIpv4Cidr: aws.String("172.20.0.0/16")}}
	for _, id := range []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"} {
		snap.Network.Subnets = append(snap.Network.Subnets, fkSubnet(id))
	}
	live := ekstypes.FargateProfile{FargateProfileName: aws.String("init-fargate"), Status: ekstypes.FargateProfileStatusActive,
		PodExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"),
		Subnets:             []string{"subnet-0123456789abcdef1", "subnet-0123456789abcdef0"},
		Selectors:           []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}, {Namespace: aws.String("kube-system")}},
		Tags:                map[string]string{OwnerTag: "eks-test"}}
	snap.FargateProfiles = []ekstypes.FargateProfile{live}
	id := "eks.fargate-profile/eks-test/init-fargate"
	if c := fkChanges(t, s, snap)[id]; c.Action != plan.NoOp {
		t.Fatalf("same settings, other order: %s %s", c.Action, c.Summary)
	}
	s.FargateProfiles[0].Selectors[1] = SelectNamespace("default").WithLabel("tier", "web")
	c := fkChanges(t, s, snap)[id]
	wantName := ReplacementProfileName("init-fargate", "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
		[]string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, s.FargateProfiles[0].Selectors)
	if c.Action != plan.Replace || !c.Destructive || c.After.(profileView).Name != wantName || !strings.Contains(c.Summary, "selectors changed") {
		t.Errorf("changed selectors: %s %q -> %+v", c.Action, c.Summary, c.After)
	}
	snap.FargateProfiles[0].Tags = nil
	_, err := Diff(s, snap)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not own it") {
		t.Errorf("unowned profile: %v", err)
	}
	if c := fkChanges(t, s, snap, func(o *Options) { o.AllowUnowned = true })[id]; c.Action != plan.Replace {
		t.Errorf("unowned profile with AllowUnowned: %s", c.Action)
	}
}

// TestDiffAddons: a missing addon gets the default version of the cluster's
// Kubernetes version; configuration values are compared as JSON; an empty
// version in the spec keeps the live one.
func TestDiffAddons(t *testing.T) {
	s := fkValidSpec()
	snap := fkEmptySnapshot()
	snap.Cluster = &ekstypes.Cluster{Name: aws.String("eks-test"), Arn: aws.String("arn:aws:eks:ap-northeast-1:123456789012:cluster/eks-test"),
		Status: ekstypes.ClusterStatusActive, Version: aws.String("1.34"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		KubernetesNetworkConfig: &ekstypes.KubernetesNetworkConfigResponse{ServiceIpv4Cidr: aws.String("172.20.0.0/16")}}
	snap.AddonDefaultVersions = map[string]string{"kube-proxy": "v1.34.0-eksbuild.2"}
	snap.Addons["coredns"] = &ekstypes.Addon{AddonName: aws.String("coredns"), Status: ekstypes.AddonStatusActive, AddonVersion: aws.String("v1.12.1-eksbuild.2"),
		ConfigurationValues: aws.String("{\n  \"computeType\": \"Fargate\"\n}")}
	snap.Addons["vpc-cni"] = &ekstypes.Addon{AddonName: aws.String("vpc-cni"), Status: ekstypes.AddonStatusActive, AddonVersion: aws.String("v1.20.4-eksbuild.1"),
		ServiceAccountRoleArn: aws.String("arn:aws:iam::123456789012:role/other")}
	got := fkChanges(t, s, snap)
	if c := got["eks.addon/eks-test/coredns"]; c.Action != plan.NoOp {
		t.Errorf("coredns, same configuration written differently: %s %s", c.Action, c.Summary)
	}
	if c := got["eks.addon/eks-test/kube-proxy"]; c.Action != plan.Create || c.After.(addonView).Version != "v1.34.0-eksbuild.2" {
		t.Errorf("kube-proxy: %s %+v", c.Action, c.After)
	}
	c := got["eks.addon/eks-test/vpc-cni"]
	want := addonView{Name: "vpc-cni", Version: "v1.20.4-eksbuild.1", ServiceAccountRoleARN: "arn:aws:iam::123456789012:role/eks-test-kube-system-aws-node"}
	if c.Action != plan.Update || !cmp.Equal(want, c.After) {
		t.Errorf("vpc-cni role: %s %s", c.Action, cmp.Diff(want, c.After))
	}
}

func fkSubnet(id string) (s ec2types.Subnet) {
	s.SubnetId = aws.String(id)
	s.VpcId = aws.String("vpc-0123456789abcdef0")
	if strings.HasSuffix(id, "0") {
		s.AvailabilityZone = aws.String("ap-northeast-1a")
	} else {
		s.AvailabilityZone = aws.String("ap-northeast-1c")
	}
	return s
}

// TestDiffAttachmentCapacity: a spec role asking for more managed policies
// than the quota is refused with the field, the count, the quota and the
// ways out; a quota raised in the account (read by Observe) lets it through.
func TestDiffAttachmentCapacity(t *testing.T) {
	s := fkValidSpec()
	for i := range 10 {
		s.PodExecutionRole.ExtraManagedPolicyARNs = append(s.PodExecutionRole.ExtraManagedPolicyARNs, fmt.Sprintf("arn:aws:iam::123456789012:policy/p%d", i))
	}
	_, err := Diff(s, fkEmptySnapshot())
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "spec.podExecutionRole.extraManagedPolicyARNs") ||
		!strings.Contains(err.Error(), "11 managed policies attached, over the account's AttachedPoliciesPerRoleQuota of 10") ||
		!strings.Contains(err.Error(), "higher quota") {
		t.Fatalf("err = %v, want the capacity refusal", err)
	}
	snap := fkEmptySnapshot()
	snap.AttachedPoliciesQuota = 20
	if _, err := Diff(s, snap); err != nil {
		t.Errorf("with a quota of 20: %v", err)
	}
}
