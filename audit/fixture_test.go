package audit

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
)

// Names of the hand-built fixture.
const (
	fxAccount   = "123456789012"
	fxRegion    = "us-west-2"
	fxCluster   = "demo"
	fxIssuer    = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
	fxKey       = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	fxClusterRA = "arn:aws:iam::123456789012:role/eksClusterRole"
	fxPodRA     = "arn:aws:iam::123456789012:role/eksFargatePodExecutionRole"
	fxWebRA     = "arn:aws:iam::123456789012:role/demo-apps-web"
	fxCNIRA     = "arn:aws:iam::123456789012:role/demo-kube-system-aws-node"
)

var fxClusterARN = "arn:aws:eks:us-west-2:123456789012:cluster/demo"

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// role builds a role whose trust is doc, as Observe would record it.
func role(arn string, doc *iamtrust.Document, policies ...string) *Role {
	name := arn[len("arn:aws:iam::123456789012:role/"):]
	r := &Role{Name: name, ARN: arn, Path: "/", RoleID: "AROAEXAMPLE" + name, PoliciesRead: true, Tags: map[string]string{"fargatekit.io/cluster": "demo"}}
	src := string(doc.JSON())
	r.TrustSource = src
	r.Trust = must(iamtrust.Parse([]byte(src)))
	for _, p := range policies {
		r.AttachedPolicies = append(r.AttachedPolicies, AttachedPolicy{Name: p[len("arn:aws:iam::aws:policy/"):], ARN: p})
	}
	return r
}

func irsaTrust(sas ...iamtrust.ServiceAccount) *iamtrust.Document {
	return must(iamtrust.IRSATrust(iamtrust.IRSA{Partition: "aws", AccountID: fxAccount, IssuerURL: fxIssuer, ServiceAccounts: sas}))
}

// goodSnapshot is a Fargate-only cluster that meets every requirement.
func goodSnapshot() *Snapshot {
	yes := true
	c := &Cluster{
		Region: fxRegion, Name: fxCluster, ARN: fxClusterARN, Status: "ACTIVE", Version: "1.34",
		Endpoint: "https://EXAMPLE.gr7.us-west-2.eks.amazonaws.com", RoleARN: fxClusterRA,
		VPCID: "vpc-1", SubnetIDs: []string{"subnet-priv-a", "subnet-priv-b", "subnet-pub-a", "subnet-pub-b"},
		EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCIDRs: []string{"203.0.113.0/24"},
		ServiceIPv4CIDR: "172.20.0.0/16", Logging: append([]string{}, eksfargate.AllLogTypes...),
		SecretsKMSKeyARN: fxKey, AuthenticationMode: "API", OIDCIssuer: fxIssuer, DeletionProtection: &yes,
		FargateProfiles: []*FargateProfile{
			{Name: "apps", ARN: "arn:aws:eks:us-west-2:123456789012:fargateprofile/demo/apps/11111111-1111-1111-1111-111111111111", Status: "ACTIVE",
				PodExecutionRoleARN: fxPodRA, Subnets: []string{"subnet-priv-a", "subnet-priv-b"}, Selectors: []Selector{{Namespace: "apps"}}},
			{Name: "kube-system", ARN: "arn:aws:eks:us-west-2:123456789012:fargateprofile/demo/kube-system/22222222-2222-2222-2222-222222222222", Status: "ACTIVE",
				PodExecutionRoleARN: fxPodRA, Subnets: []string{"subnet-priv-a", "subnet-priv-b"}, Selectors: []Selector{{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}}},
		},
		Addons: []*Addon{
			{Name: "coredns", Version: "v1.12.4-eksbuild.1", Status: "ACTIVE", ConfigurationValues: `{"computeType":"Fargate"}`},
			{Name: "kube-proxy", Version: "v1.34.0-eksbuild.2", Status: "ACTIVE"},
			{Name: "vpc-cni", Version: "v1.20.4-eksbuild.1", Status: "ACTIVE", ServiceAccountRoleARN: fxCNIRA},
		},
		AccessEntries: []*AccessEntry{
			{PrincipalARN: fxPodRA, Type: "FARGATE_LINUX", Username: "system:node:{{SessionName}}"},
			{PrincipalARN: "arn:aws:iam::123456789012:role/ops", Type: "STANDARD", Username: "ops",
				Policies: []AccessPolicyAssociation{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ScopeType: "cluster"}}},
		},
		PodIdentityAssociations: []*PodIdentityAssociation{},
		Kube: &KubeState{
			ServiceAccounts: []ServiceAccount{
				{Namespace: "apps", Name: "web", RoleARN: fxWebRA},
				{Namespace: "kube-system", Name: "aws-node", RoleARN: fxCNIRA},
				{Namespace: "kube-system", Name: "coredns"},
			},
			Pods: []Pod{
				{Namespace: "apps", Name: "web-1", Labels: map[string]string{"app": "web"}, Phase: "Running", SchedulerName: "fargate-scheduler", NodeName: "fargate-ip-10-0-1-1", OwnerKind: "ReplicaSet"},
				{Namespace: "kube-system", Name: "coredns-1", Labels: map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}, Phase: "Running", SchedulerName: "fargate-scheduler", OwnerKind: "ReplicaSet"},
			},
			Namespaces: []string{"apps", "default", "kube-system"},
			CoreDNS: &Deployment{Namespace: "kube-system", Name: "coredns", TemplateLabels: map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"},
				TemplateAnnotations: map[string]string{}, Replicas: 2, ReadyReplicas: 2},
		},
	}
	s := &Snapshot{
		Account: fxAccount, Partition: "aws", Regions: []string{fxRegion},
		ObservedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Clusters:   []*Cluster{c},
		ClusterVersions: map[string][]ClusterVersion{fxRegion: {
			{Version: "1.30", Status: VersionUnsupported},
			{Version: "1.32", Status: VersionExtendedSupport},
			{Version: "1.34", Status: VersionStandardSupport},
			{Version: "1.35", Status: VersionStandardSupport, Default: true},
		}},
		Network: map[string]*Network{fxRegion: {
			Subnets: map[string]*Subnet{
				"subnet-priv-a": {ID: "subnet-priv-a", VPCID: "vpc-1", AvailabilityZone: "us-west-2a", CIDR: "10.0.128.0/19", RouteTableID: "rtb-private"},
				"subnet-priv-b": {ID: "subnet-priv-b", VPCID: "vpc-1", AvailabilityZone: "us-west-2b", CIDR: "10.0.160.0/19", RouteTableID: "rtb-private"},
				"subnet-pub-a":  {ID: "subnet-pub-a", VPCID: "vpc-1", AvailabilityZone: "us-west-2a", CIDR: "10.0.0.0/19", RouteTableID: "rtb-public", InternetGatewayRoute: "igw-1"},
				"subnet-pub-b":  {ID: "subnet-pub-b", VPCID: "vpc-1", AvailabilityZone: "us-west-2b", CIDR: "10.0.32.0/19", RouteTableID: "rtb-public", InternetGatewayRoute: "igw-1"},
			},
			VPCs: map[string]*VPC{"vpc-1": {ID: "vpc-1", CIDRs: []string{"10.0.0.0/16"}}},
		}},
		KMSKeys: map[string]*KMSKey{fxKey: {ARN: fxKey, KeyManager: "CUSTOMER", State: "Enabled"}},
		Roles: []*Role{
			role(fxClusterRA, must(iamtrust.ClusterRoleTrust("aws")), "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"),
			role(fxPodRA, must(iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Region: fxRegion, AccountID: fxAccount, Cluster: fxCluster})),
				"arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"),
			role(fxWebRA, irsaTrust(iamtrust.ServiceAccount{Namespace: "apps", Name: "web"}), "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
			role(fxCNIRA, irsaTrust(iamtrust.ServiceAccount{Namespace: "kube-system", Name: "aws-node"}), "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"),
			role("arn:aws:iam::123456789012:role/ops", must(iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)))),
		},
		Policies: map[string]*ManagedPolicy{},
		OIDCProviders: []*OIDCProvider{{
			ARN: iamtrust.OIDCProviderARN("aws", fxAccount, fxIssuer), URL: iamtrust.IssuerHostPath(fxIssuer), ClientIDs: []string{"sts.amazonaws.com"},
		}},
	}
	return s
}

// goodSpec is the spec goodSnapshot's cluster was built from.
func goodSpec() *eksfargate.Spec {
	sp := eksfargate.NewSpec(fxCluster, fxRegion).WithAccountID(fxAccount).
		WithSubnets("subnet-priv-a", "subnet-priv-b", "subnet-pub-a", "subnet-pub-b").
		WithClusterRole("eksClusterRole").WithPodExecutionRole("eksFargatePodExecutionRole").
		WithVersion("1.34").WithEndpointAccess(true, true, "203.0.113.0/24").WithSecretsEncryption(fxKey).
		WithServiceCIDR("172.20.0.0/16").WithDeletionProtection(true).
		AddFargateProfile("apps", eksfargate.SelectNamespace("apps")).
		AddFargateProfile("kube-system", eksfargate.SelectNamespace("kube-system").WithLabel("k8s-app", "kube-dns")).
		AddAccessMapping(access.Mapping{ARN: "arn:aws:iam::123456789012:role/ops", Username: "ops",
			AccessPolicies: []access.Policy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}}}).
		AddServiceAccountRole(irsa.ServiceAccountRole{Namespace: "apps", Name: "web", RoleName: "demo-apps-web"})
	sp.Cluster.AuthenticationMode = "API"
	sp.Cluster.EndpointPublicAccess = aws.Bool(true)
	return sp
}
