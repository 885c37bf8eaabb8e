package eksfargate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/irsa"
)

// fkValidSpec is a valid spec that the table tests break one rule at a time.
func fkValidSpec() *Spec {
	return NewSpec("eks-test", "ap-northeast-1").
		WithAccountID("123456789012").
		WithVPC("192.168.0.0/16", "ap-northeast-1a", "ap-northeast-1c").
		WithClusterRole("eksClusterRole").
		WithPodExecutionRole("AmazonEKSFargatePodExecutionRole").
		WithVersion("1.34").
		WithSecretsEncryption("arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab").
		WithServiceCIDR("172.20.0.0/16").
		WithAuthenticationMode(access.AuthModeAPIAndConfigMap).
		AddFargateProfile("init-fargate", SelectNamespace("kube-system"), SelectNamespace("default")).
		AddAddon(AddonSpec{Name: "vpc-cni", ServiceAccountRole: "kube-system/aws-node"}).
		AddAddon(AddonSpec{Name: "coredns", ConfigurationValues: `{"computeType":"Fargate"}`}).
		AddAddon(AddonSpec{Name: "kube-proxy"}).
		AddAccessMapping(access.Mapping{ARN: "arn:aws:iam::123456789012:user/admin", Username: "admin", Groups: []string{access.GroupSystemMasters}, AllowClusterAdmin: true}).
		AddServiceAccountRole(irsa.ServiceAccountRole{Namespace: "kube-system", Name: "aws-node", ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}})
}

func TestValidSpecs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		spec   *Spec
	}{
		{"walkthrough", "the builders' spec is valid", fkValidSpec()},
		{"adopted", "adopted subnets and roles are valid", NewSpec("c", "us-west-2").
			WithSubnets("subnet-0123456789abcdef0", "subnet-0123456789abcdef1").
			AdoptClusterRole("arn:aws:iam::123456789012:role/eks").
			AdoptPodExecutionRole("arn:aws:iam::123456789012:role/pods").
			AddFargateProfile("p", SelectNamespace("kube-*").WithLabel("app", "we?b"))},
		{"logging off", "an explicit empty log list is allowed", fkValidSpec().WithLogging()},
		{"china", "partitions follow the region", NewSpec("c", "cn-north-1").WithVPC("10.0.0.0/16").
			WithClusterRole("r").AdoptPodExecutionRole("arn:aws-cn:iam::123456789012:role/p").
			AddFargateProfile("p", SelectNamespace("default"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.spec.Validate(); err != nil {
				t.Errorf("%s: Validate: %v", tc.reason, err)
			}
		})
	}
}

// TestValidationRules breaks every rule with bad input and checks that the
// problem names the field and the rule.
func TestValidationRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		edit   func(s *Spec)
		path   string
		rule   string // substring of Problem.Rule
	}{
		{"apiVersion", "only v1alpha1 is read", func(s *Spec) { s.APIVersion = "fargatekit.io/v2" }, "spec.apiVersion", "this version of fargatekit reads"},
		{"kind", "the kind is fixed", func(s *Spec) { s.Kind = "Cluster" }, "spec.kind", "not FargateCluster"},
		{"name empty", "a cluster needs a name", func(s *Spec) { s.Name = "" }, "spec.name", "empty"},
		{"name long", "EKS allows 100 characters", func(s *Spec) { s.Name = strings.Repeat("a", 101) }, "spec.name", "at most 100"},
		{"name start", "names start alphanumeric", func(s *Spec) { s.Name = "-eks" }, "spec.name", "must start with a letter or digit"},
		{"name chars", "only letters, digits, - and _", func(s *Spec) { s.Name = "eks.test" }, "spec.name", "not a valid cluster name"},
		{"region", "regions look like ap-northeast-1", func(s *Spec) { s.Region = "tokyo" }, "spec.region", "not a region name"},
		{"account", "account IDs are 12 digits", func(s *Spec) { s.AccountID = "1234" }, "spec.accountID", "12-digit"},
		{"tag aws prefix", "aws: tags are reserved", func(s *Spec) { s.WithTag("aws:x", "1") }, `spec.tags["aws:x"]`, "reserved for AWS"},
		{"tag owner", "the ownership tag is fargatekit's", func(s *Spec) { s.WithTag(OwnerTag, "x") }, `spec.tags["fargatekit.io/cluster"]`, "ownership tag"},
		{"tag value", "tag values are at most 256", func(s *Spec) { s.WithTag("k", strings.Repeat("v", 257)) }, `spec.tags["k"]`, "256"},
		{"network both", "vpc or subnets, not both", func(s *Spec) { s.Network.SubnetIDs = []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"} }, "spec.network", "both vpc and subnetIDs"},
		{"network none", "a network is needed", func(s *Spec) { s.Network.VPC = nil }, "spec.network", "neither vpc nor subnetIDs"},
		{"vpc cidr", "the VPC CIDR must parse", func(s *Spec) { s.Network.VPC.CIDR = "192.168.0.0" }, "spec.network.vpc.cidr", "not an IPv4 CIDR"},
		{"vpc cidr size", "VPCs are /16 to /28", func(s *Spec) { s.Network.VPC.CIDR = "10.0.0.0/8" }, "spec.network.vpc.cidr", "between /16 and /28"},
		{"vpc cidr host bits", "CIDRs have no host bits", func(s *Spec) { s.Network.VPC.CIDR = "192.168.1.0/16" }, "spec.network.vpc.cidr", "host bits"},
		{"vpc too small", "4 subnets need room", func(s *Spec) { s.Network.VPC.CIDR = "192.168.0.0/27" }, "spec.network.vpc.cidr", "too small"},
		{"one az", "EKS needs 2 zones", func(s *Spec) { s.Network.VPC.AvailabilityZones = []string{"ap-northeast-1a"} }, "spec.network.vpc.availabilityZones", "at least 2"},
		{"az region", "zones belong to the region", func(s *Spec) { s.Network.VPC.AvailabilityZones[1] = "us-east-1a" }, "spec.network.vpc.availabilityZones[1]", "not an availability zone of"},
		{"az twice", "zones are distinct", func(s *Spec) { s.Network.VPC.AvailabilityZones[1] = "ap-northeast-1a" }, "spec.network.vpc.availabilityZones[1]", "listed twice"},
		{"subnet count", "one subnet CIDR per zone", func(s *Spec) {
			s.Network.VPC.PublicSubnetCIDRs = []string{"192.168.0.0/24"}
			s.Network.VPC.PrivateSubnetCIDRs = []string{"192.168.1.0/24", "192.168.2.0/24"}
		}, "spec.network.vpc.publicSubnetCIDRs", "1 CIDRs for 2 availability zones"},
		{"subnet outside", "subnets are inside the VPC", func(s *Spec) {
			s.Network.VPC.PublicSubnetCIDRs = []string{"10.0.0.0/24", "192.168.1.0/24"}
			s.Network.VPC.PrivateSubnetCIDRs = []string{"192.168.2.0/24", "192.168.3.0/24"}
		}, "spec.network.vpc.publicSubnetCIDRs[0]", "not inside the VPC CIDR"},
		{"subnet overlap", "subnets don't overlap", func(s *Spec) {
			s.Network.VPC.PublicSubnetCIDRs = []string{"192.168.0.0/24", "192.168.1.0/24"}
			s.Network.VPC.PrivateSubnetCIDRs = []string{"192.168.0.0/23", "192.168.3.0/24"}
		}, "spec.network.vpc.privateSubnetCIDRs[0]", "overlaps"},
		{"nat", "NAT layouts are single or per-az", func(s *Spec) { s.Network.VPC.NATGateway = "none" }, "spec.network.vpc.natGateway", "not a NAT layout"},
		{"one subnet", "adopted subnets: at least 2", func(s *Spec) { s.Network.VPC = nil; s.Network.SubnetIDs = []string{"subnet-0123456789abcdef0"} }, "spec.network.subnetIDs", "at least 2"},
		{"subnet id", "subnet IDs look like subnet-…", func(s *Spec) {
			s.Network.VPC = nil
			s.Network.SubnetIDs = []string{"subnet-0123456789abcdef0", "sn-1"}
		}, "spec.network.subnetIDs[1]", "not a subnet ID"},
		{"sg id", "security group IDs look like sg-…", func(s *Spec) { s.Network.SecurityGroupIDs = []string{"default"} }, "spec.network.securityGroupIDs[0]", "not a security group ID"},
		{"role none", "a role is created or adopted", func(s *Spec) { s.ClusterRole = RoleSpec{} }, "spec.clusterRole", "neither name nor arn"},
		{"role both", "not both", func(s *Spec) { s.ClusterRole.ARN = "arn:aws:iam::123456789012:role/x" }, "spec.clusterRole", "both name and arn"},
		{"role name", "IAM role names", func(s *Spec) { s.ClusterRole.Name = "eks cluster" }, "spec.clusterRole.name", "not an IAM role name"},
		{"role arn", "role ARNs", func(s *Spec) { s.ClusterRole = RoleSpec{ARN: "arn:aws:iam::123:role/x"} }, "spec.clusterRole.arn", "not an IAM role ARN"},
		{"role account", "EKS needs a role of the cluster's account", func(s *Spec) { s.ClusterRole = RoleSpec{ARN: "arn:aws:iam::210987654321:role/x"} }, "spec.clusterRole.arn", "EKS needs a role of the cluster's account"},
		{"role partition", "the role's partition is the cluster's", func(s *Spec) { s.ClusterRole = RoleSpec{ARN: "arn:aws-cn:iam::123456789012:role/x"} }, "spec.clusterRole.arn", "partition"},
		{"role path", "IAM paths start and end with /", func(s *Spec) { s.ClusterRole.Path = "/eks" }, "spec.clusterRole.path", "must start and end with /"},
		{"pod role path", "EKS requires path / for the pod execution role", func(s *Spec) { s.PodExecutionRole.Path = "/eks/" }, "spec.podExecutionRole.path", "requires the path /"},
		{"pod role arn path", "the adopted pod role's path is checked too", func(s *Spec) { s.PodExecutionRole = RoleSpec{ARN: "arn:aws:iam::123456789012:role/eks/pods"} }, "spec.podExecutionRole.path", "requires the path /"},
		{"boundary", "permissions boundaries are policy ARNs", func(s *Spec) { s.ClusterRole.PermissionsBoundary = "boundary" }, "spec.clusterRole.permissionsBoundary", "not a managed policy ARN"},
		{"extra policy", "extra policies are policy ARNs", func(s *Spec) { s.PodExecutionRole.ExtraManagedPolicyARNs = []string{"ReadOnly"} }, "spec.podExecutionRole.extraManagedPolicyARNs[0]", "not a managed policy ARN"},
		{"version", "versions are MAJOR.MINOR", func(s *Spec) { s.Cluster.Version = "v1.34" }, "spec.cluster.version", "not a Kubernetes minor version"},
		{"version float", "unquoted 1.30 reads as 1.3", func(s *Spec) { s.Cluster.Version = "1.3" }, "spec.cluster.version", "YAML reads an unquoted 1.30"},
		{"no endpoint", "one endpoint must be on", func(s *Spec) { s.WithEndpointAccess(false, false) }, "spec.cluster", "both endpointPublicAccess and endpointPrivateAccess are off"},
		{"cidrs without public", "public CIDRs need the public endpoint", func(s *Spec) { s.WithEndpointAccess(false, true, "203.0.113.0/24") }, "spec.cluster.publicAccessCIDRs", "public endpoint is off"},
		{"public cidr", "public CIDRs parse", func(s *Spec) { s.WithEndpointAccess(true, true, "203.0.113.0") }, "spec.cluster.publicAccessCIDRs[0]", "not an IPv4 CIDR"},
		{"kms arn", "KMS key ARNs", func(s *Spec) { s.Cluster.SecretsKMSKeyARN = "alias/eks" }, "spec.cluster.secretsKMSKeyARN", "not a KMS key ARN"},
		{"kms region", "the key is in the cluster's region", func(s *Spec) {
			s.Cluster.SecretsKMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "spec.cluster.secretsKMSKeyARN", "EKS needs a KMS key in the cluster's region"},
		{"service cidr public", "the service CIDR is RFC 1918", func(s *Spec) { s.Cluster.ServiceIPv4CIDR = "100.64.0.0/16" }, "spec.cluster.serviceIPv4CIDR", "not within 10.0.0.0/8"},
		{"service cidr size", "the service CIDR is /12 to /24", func(s *Spec) { s.Cluster.ServiceIPv4CIDR = "10.0.0.0/8" }, "spec.cluster.serviceIPv4CIDR", "between /12 and /24"},
		{"service cidr small", "the service CIDR is /12 to /24", func(s *Spec) { s.Cluster.ServiceIPv4CIDR = "10.0.0.0/25" }, "spec.cluster.serviceIPv4CIDR", "between /12 and /24"},
		{"service cidr overlap", "the service CIDR is outside the VPC", func(s *Spec) { s.Cluster.ServiceIPv4CIDR = "192.168.0.0/16" }, "spec.cluster.serviceIPv4CIDR", "overlaps the VPC CIDR"},
		{"log type", "log types are EKS's five", func(s *Spec) { s.WithLogging("api", "kubelet") }, "spec.cluster.logging[1]", "not a control-plane log type"},
		{"log twice", "log types once", func(s *Spec) { s.WithLogging("api", "api") }, "spec.cluster.logging[1]", "listed twice"},
		{"auth mode", "three modes", func(s *Spec) { s.Cluster.AuthenticationMode = "IAM" }, "spec.cluster.authenticationMode", "not an authentication mode"},
		{"no profile", "Fargate-only needs a profile", func(s *Spec) { s.FargateProfiles = nil }, "spec.fargateProfiles", "no Fargate profile"},
		{"profile name", "eks- is reserved", func(s *Spec) { s.FargateProfiles[0].Name = "eks-default" }, "spec.fargateProfiles[0].name", "reserves"},
		{"profile name empty", "profiles have names", func(s *Spec) { s.FargateProfiles[0].Name = "" }, "spec.fargateProfiles[0].name", "empty"},
		{"profile name chars", "profile names like cluster names", func(s *Spec) { s.FargateProfiles[0].Name = "init fargate" }, "spec.fargateProfiles[0].name", "not a valid profile name"},
		{"profile twice", "profile names are unique", func(s *Spec) { s.AddFargateProfile("init-fargate", SelectNamespace("x")) }, "spec.fargateProfiles[1].name", "also the name of spec.fargateProfiles[0]"},
		{"no selector", "1 to 5 selectors", func(s *Spec) { s.FargateProfiles[0].Selectors = nil }, "spec.fargateProfiles[0].selectors", "no selector"},
		{"six selectors", "at most 5 selectors", func(s *Spec) {
			for i := 0; i < 4; i++ {
				s.FargateProfiles[0].Selectors = append(s.FargateProfiles[0].Selectors, SelectNamespace(fmt.Sprintf("ns%d", i)))
			}
		}, "spec.fargateProfiles[0].selectors", "at most 5"},
		{"no namespace", "selectors need a namespace", func(s *Spec) { s.FargateProfiles[0].Selectors[1].Namespace = "" }, "spec.fargateProfiles[0].selectors[1].namespace", "no namespace"},
		{"namespace chars", "namespaces are DNS labels", func(s *Spec) { s.FargateProfiles[0].Selectors[1].Namespace = "Kube_System" }, "spec.fargateProfiles[0].selectors[1].namespace", "not a namespace"},
		{"six labels", "at most 5 labels", func(s *Spec) {
			sel := SelectNamespace("a")
			for i := 0; i < 6; i++ {
				sel = sel.WithLabel(fmt.Sprintf("k%d", i), "v")
			}
			s.FargateProfiles[0].Selectors[1] = sel
		}, "spec.fargateProfiles[0].selectors[1].labels", "at most 5"},
		{"label key", "label keys can't have wildcards", func(s *Spec) { s.FargateProfiles[0].Selectors[1] = SelectNamespace("a").WithLabel("app*", "x") }, `spec.fargateProfiles[0].selectors[1].labels["app*"]`, "not a label key"},
		{"label value", "label values are label values", func(s *Spec) { s.FargateProfiles[0].Selectors[1] = SelectNamespace("a").WithLabel("app", "a b") }, `spec.fargateProfiles[0].selectors[1].labels["app"]`, "not a label value"},
		{"profile role", "profile roles are role ARNs", func(s *Spec) { s.FargateProfiles[0].PodExecutionRoleARN = "pods" }, "spec.fargateProfiles[0].podExecutionRoleARN", "not an IAM role ARN"},
		{"profile subnets with vpc", "created subnets have no IDs yet", func(s *Spec) { s.FargateProfiles[0].Subnets = []string{"subnet-0123456789abcdef0"} }, "spec.fargateProfiles[0].subnets[0]", "don't exist yet"},
		{"addon name", "addons have names", func(s *Spec) { s.Addons[2].Name = "" }, "spec.addons[2].name", "empty"},
		{"addon twice", "addons once", func(s *Spec) { s.Addons[2].Name = "coredns" }, "spec.addons[2].name", "also spec.addons[1]"},
		{"addon config", "configuration values are JSON objects", func(s *Spec) { s.Addons[1].ConfigurationValues = `computeType: Fargate` }, "spec.addons[1].configurationValues", "not a JSON object"},
		{"coredns compute", "CoreDNS on Fargate needs computeType Fargate", func(s *Spec) { s.Addons[1].ConfigurationValues = `{"computeType":"ec2"}` }, "spec.addons[1].configurationValues", "computeType is ec2"},
		{"addon role both", "one way to name the role", func(s *Spec) { s.Addons[0].ServiceAccountRoleARN = "arn:aws:iam::123456789012:role/cni" }, "spec.addons[0]", "both serviceAccountRoleARN and serviceAccountRole"},
		{"addon role arn", "role ARNs", func(s *Spec) { s.Addons[2].ServiceAccountRoleARN = "cni" }, "spec.addons[2].serviceAccountRoleARN", "not an IAM role ARN"},
		{"addon role ref", "the IRSA role must exist in the spec", func(s *Spec) { s.Addons[0].ServiceAccountRole = "kube-system/cni" }, "spec.addons[0].serviceAccountRole", "names no service account"},
		{"resolve", "NONE, OVERWRITE, PRESERVE", func(s *Spec) { s.Addons[2].ResolveConflicts = "MERGE" }, "spec.addons[2].resolveConflicts", "not a conflict resolution"},
		{"coredns timeout", "timeouts are not negative", func(s *Spec) { s.CoreDNS.WaitTimeoutSeconds = -1 }, "spec.coreDNS.waitTimeoutSeconds", "negative"},
		{"access arn", "mappings name a role or user", func(s *Spec) { s.Access.Mappings[0].ARN = "admin" }, "spec.access.mappings[0].arn", "is not an ARN"},
		{"masters opt-in", "system:masters needs the opt-in", func(s *Spec) { s.Access.Mappings[0].AllowClusterAdmin = false }, "spec.access.mappings[0].groups[0]", "explicit opt-in"},
		{"admin policy opt-in", "the admin policy needs the opt-in", func(s *Spec) {
			s.Access.Mappings[0] = access.Mapping{ARN: "arn:aws:iam::123456789012:role/r", AccessPolicies: []access.Policy{{PolicyARN: access.ClusterAdminAccessPolicy}}}
		}, "spec.access.mappings[0].accessPolicies[0].policyARN", "explicit opt-in"},
		{"access policy arn", "access policies are EKS ARNs", func(s *Spec) {
			s.Access.Mappings[0].AccessPolicies = []access.Policy{{PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		}, "spec.access.mappings[0].accessPolicies[0].policyARN", "not an EKS access policy ARN"},
		{"mapping twice", "one mapping per principal", func(s *Spec) { s.AddAccessMapping(access.Mapping{ARN: s.Access.Mappings[0].ARN}) }, "spec.access.mappings[1].arn", "maps the same principal"},
		{"irsa namespace", "service accounts have a namespace", func(s *Spec) { s.IRSA.ServiceAccounts[0].Namespace = "" }, "spec.irsa.serviceAccounts[0].namespace", "no namespace"},
		{"irsa wildcard", "wildcards need the opt-in", func(s *Spec) { s.IRSA.ServiceAccounts[0].Name = "aws-*" }, "spec.irsa.serviceAccounts[0]", "wildcard"},
		{"irsa twice", "one role per service account", func(s *Spec) {
			s.AddServiceAccountRole(irsa.ServiceAccountRole{Namespace: "kube-system", Name: "aws-node"})
		}, "spec.irsa.serviceAccounts[1]", "already has a role"},
		{"irsa policy", "policy ARNs", func(s *Spec) { s.IRSA.ServiceAccounts[0].ManagedPolicyARNs = []string{"CNI"} }, "spec.irsa.serviceAccounts[0].managedPolicyARNs[0]", "not a managed policy ARN"},
		{"irsa inline", "inline policies are JSON", func(s *Spec) { s.IRSA.ServiceAccounts[0].InlinePolicies = map[string]string{"p": "{"} }, `spec.irsa.serviceAccounts[0].inlinePolicies["p"]`, "not a JSON object"},
		{"irsa role name", "IAM role names", func(s *Spec) { s.IRSA.ServiceAccounts[0].RoleName = strings.Repeat("r", 65) }, "spec.irsa.serviceAccounts[0].roleName", "not an IAM role name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fkValidSpec()
			tc.edit(s)
			err := s.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: Validate = %v, want a *ValidationError", tc.reason, err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && strings.Contains(p.Rule, tc.rule) {
					if p.Fix == "" {
						t.Errorf("%s: problem %q has no fix", tc.reason, p)
					}
					return
				}
			}
			t.Errorf("%s: no problem at %s with rule containing %q; got:\n%v", tc.reason, tc.path, tc.rule, err)
		})
	}
}

// TestValidateReportsEveryProblem checks that one call reports all problems,
// in spec order, and that Validate does not change the spec.
func TestValidateReportsEveryProblem(t *testing.T) {
	s := fkValidSpec()
	s.Name = ""
	s.Cluster.ServiceIPv4CIDR = "8.8.8.0/24"
	s.FargateProfiles[0].Name = "eks-x"
	before := s.Clone()
	err := s.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v", err)
	}
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	want := []string{"spec.name", "spec.cluster.serviceIPv4CIDR", "spec.fargateProfiles[0].name"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("problem paths (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, s); diff != "" {
		t.Errorf("Validate changed the spec (-before +after):\n%s", diff)
	}
}

// TestValidationErrorGolden pins the rendering of a ValidationError.
func TestValidationErrorGolden(t *testing.T) {
	s := fkValidSpec()
	s.Name = "eks.test"
	s.Network.VPC.AvailabilityZones = []string{"ap-northeast-1a"}
	s.Cluster.ServiceIPv4CIDR = "192.168.0.0/16"
	s.Cluster.SecretsKMSKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s.FargateProfiles[0].Name = "eks-system"
	s.FargateProfiles[0].Selectors = append(s.FargateProfiles[0].Selectors, Selector{})
	s.Addons[1].ConfigurationValues = `{"computeType":"EC2"}`
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate = nil")
	}
	fkGolden(t, "validation_error.golden", []byte(err.Error()+"\n"))
}

// fkGolden compares got with testdata/name, or rewrites it with -update.
func fkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *fkUpdate {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		spec   *Spec
		want   []string // paths
	}{
		{"disjoint", "different namespaces never overlap", fkValidSpec().AddFargateProfile("apps", SelectNamespace("apps")), nil},
		{"same namespace", "two profiles selecting one namespace overlap", fkValidSpec().AddFargateProfile("more", SelectNamespace("default")), []string{"spec.fargateProfiles[1].selectors[0]"}},
		{"wildcard", "kube-* matches kube-system", fkValidSpec().AddFargateProfile("kube", SelectNamespace("kube-*")), []string{"spec.fargateProfiles[1].selectors[0]"}},
		{"labels disjoint", "app=a and app=b can't both match", NewSpec("c", "us-west-2").WithVPC("10.0.0.0/16").WithClusterRole("r").WithPodExecutionRole("p").
			AddFargateProfile("kube", SelectNamespace("kube-system")).
			AddFargateProfile("a", SelectNamespace("apps").WithLabel("app", "a")).
			AddFargateProfile("b", SelectNamespace("apps").WithLabel("app", "b")), nil},
		{"labels wildcard", "app=we* and app=web overlap", NewSpec("c", "us-west-2").WithVPC("10.0.0.0/16").WithClusterRole("r").WithPodExecutionRole("p").
			AddFargateProfile("kube", SelectNamespace("kube-system")).
			AddFargateProfile("a", SelectNamespace("apps").WithLabel("app", "we*")).
			AddFargateProfile("b", SelectNamespace("a?ps").WithLabel("app", "web")), []string{"spec.fargateProfiles[2].selectors[0]"}},
		{"no kube-system", "CoreDNS needs a profile for kube-system", NewSpec("c", "us-west-2").WithVPC("10.0.0.0/16").WithClusterRole("r").WithPodExecutionRole("p").
			AddFargateProfile("apps", SelectNamespace("apps")), []string{"spec.fargateProfiles"}},
		{"kube-dns label", "a selector for k8s-app=kube-dns is enough", NewSpec("c", "us-west-2").WithVPC("10.0.0.0/16").WithClusterRole("r").WithPodExecutionRole("p").
			AddFargateProfile("dns", SelectNamespace("kube-system").WithLabel("k8s-app", "kube-dns")), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range tc.spec.Warnings() {
				got = append(got, w.Path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s: warning paths (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestGlobsIntersect(t *testing.T) {
	for _, tc := range []struct {
		a, b   string
		want   bool
		reason string
	}{
		{"default", "default", true, "equal literals"},
		{"default", "kube-system", false, "different literals"},
		{"kube-*", "kube-system", true, "star matches a suffix"},
		{"*-system", "kube-*", true, "kube-system matches both"},
		{"a*", "b*", false, "different first letters"},
		{"?", "ab", false, "? is exactly one character"},
		{"??", "a*", true, "ab matches both"},
		{"*", "", true, "star matches empty"},
		{"a?c", "a*d", false, "last letters differ"},
		{"*a*", "*b*", true, "ab matches both"},
	} {
		if got := globsIntersect(tc.a, tc.b); got != tc.want {
			t.Errorf("globsIntersect(%q, %q) = %t, want %t (%s)", tc.a, tc.b, got, tc.want, tc.reason)
		}
		if got := globsIntersect(tc.b, tc.a); got != tc.want {
			t.Errorf("globsIntersect(%q, %q) = %t, want %t (symmetric: %s)", tc.b, tc.a, got, tc.want, tc.reason)
		}
	}
}
