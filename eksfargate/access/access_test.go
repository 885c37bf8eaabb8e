package access_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

func TestValidateAccess(t *testing.T) {
	const (
		role  = "arn:aws:iam::123456789012:role/dev"
		admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
		view  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	)
	tests := []struct {
		name      string
		mode      string
		migrate   bool
		mappings  []access.Mapping
		wantPaths []string
	}{
		{"valid", "", false, []access.Mapping{{ARN: role, Groups: []string{"devs"}, AccessPolicies: []access.Policy{{PolicyARN: view, Namespaces: []string{"apps"}}}}}, nil},
		{"system:masters without opt-in", access.AuthModeConfigMap, false, []access.Mapping{{ARN: role, Groups: []string{"system:masters"}}}, []string{"spec.access.mappings[0].groups[0]"}},
		{"system:masters with opt-in", access.AuthModeConfigMap, false, []access.Mapping{{ARN: role, Groups: []string{"system:masters"}, AllowClusterAdmin: true}}, nil},
		{"admin policy without opt-in", "", false, []access.Mapping{{ARN: role, AccessPolicies: []access.Policy{{PolicyARN: admin}}}}, []string{"spec.access.mappings[0].accessPolicies[0].policyARN"}},
		{"admin policy with opt-in", "", false, []access.Mapping{{ARN: role, AllowClusterAdmin: true, AccessPolicies: []access.Policy{{PolicyARN: admin}}}}, nil},
		{"other system group with access entries", access.AuthModeAPI, false, []access.Mapping{{ARN: role, Groups: []string{"system:bootstrappers"}}}, []string{"spec.access.mappings[0].groups[0]"}},
		{"other system group in aws-auth only", access.AuthModeConfigMap, false, []access.Mapping{{ARN: role, Groups: []string{"system:bootstrappers"}}}, nil},
		{"reserved username with access entries", access.AuthModeAPIAndConfigMap, false, []access.Mapping{{ARN: role, Username: "eks:admin"}}, []string{"spec.access.mappings[0].username"}},
		{"node username", access.AuthModeConfigMap, false, []access.Mapping{{ARN: role, Username: "system:node:{{EC2PrivateDNSName}}"}}, []string{"spec.access.mappings[0].username"}},
		{"same role twice, path and case aside", "", false, []access.Mapping{{ARN: role}, {ARN: "arn:aws:iam::123456789012:role/team/DEV"}}, []string{"spec.access.mappings[1].arn"}},
		{"session ARN", "", false, []access.Mapping{{ARN: "arn:aws:sts::123456789012:assumed-role/dev/s"}}, []string{"spec.access.mappings[0].arn"}},
		{"pod execution role", "", false, []access.Mapping{{ARN: "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"}}, []string{"spec.access.mappings[0].arn"}},
		{"policies without access entries", access.AuthModeConfigMap, false, []access.Mapping{{ARN: role, AccessPolicies: []access.Policy{{PolicyARN: view}}}}, []string{"spec.access.mappings[0].accessPolicies"}},
		{"bad policy ARN", "", false, []access.Mapping{{ARN: role, AccessPolicies: []access.Policy{{PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}}, []string{"spec.access.mappings[0].accessPolicies[0].policyARN"}},
		{"migrate in CONFIG_MAP", access.AuthModeConfigMap, true, nil, []string{"spec.access.migrateToAccessEntries"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eksfargate.NewSpec("eks-test", "eu-west-1")
			s.Cluster.AuthenticationMode = tt.mode
			s.PodExecutionRole.ARN = "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"
			s.Access = access.Spec{Mappings: tt.mappings, MigrateToAccessEntries: tt.migrate}
			var got []string
			for _, p := range access.Validate((s).AccessTarget()) {
				got = append(got, p.Path)
				if p.Rule == "" || p.Fix == "" {
					t.Errorf("problem %+v lacks a rule or a fix", p)
				}
			}
			if d := cmp.Diff(tt.wantPaths, got); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
			if len(tt.wantPaths) > 0 {
				_, err := access.Plan(context.Background(), access.Clients{}, (s).AccessTarget(), access.AuthModeAPI)
				var ve *access.ValidationError
				if !errors.As(err, &ve) {
					t.Errorf("PlanAccess err = %v, want *ValidationError before anything is read", err)
				}
			}
		})
	}
}

func accessCluster(t *testing.T, a *envtest.AWS, mode ekstypes.AuthenticationMode) *eks.Client {
	t.Helper()
	ec := eks.NewFromConfig(a.Config("eu-west-1"))
	if _, err := ec.CreateCluster(context.Background(), &eks.CreateClusterInput{
		Name: aws.String("eks-test"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eksClusterRole"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode},
	}); err != nil {
		t.Fatal(err)
	}
	return ec
}

func accessSummary(chs []plan.Change) []string {
	var out []string
	for _, c := range chs {
		out = append(out, string(c.Action)+" "+c.ID+": "+c.Summary)
	}
	sort.Strings(out)
	return out
}

// TestPlanAccessEntriesMigration: in API_AND_CONFIG_MAP mode the spec's
// mappings go to aws-auth and to access entries, and migration lists an
// access entry for every other aws-auth mapping except the Fargate pod
// execution role's; system:masters becomes the cluster-admin policy. A
// second plan is empty; a mapping dropped from the spec deletes only the
// entry fargatekit created.
func TestPlanAccessEntriesMigration(t *testing.T) {
	a := envtest.NewAWS(t)
	ec := accessCluster(t, a, ekstypes.AuthenticationModeApiAndConfigMap)
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{
		MapRoles: awsAuthFargateYAML + "- rolearn: arn:aws:iam::123456789012:role/legacy-admin\n  username: legacy\n  groups: [system:masters]\n",
		MapUsers: "- userarn: arn:aws:iam::123456789012:user/ops/bob\n  username: bob\n  groups: [ops]\n",
	}); err != nil {
		t.Fatal(err)
	}
	spec := awsAuthSpec(
		access.Mapping{ARN: "arn:aws:iam::123456789012:role/team/dev", Groups: []string{"devs"},
			AccessPolicies: []access.Policy{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", Namespaces: []string{"apps"}}}},
		access.Mapping{ARN: "arn:aws:iam::123456789012:role/admin", Username: "admin", Groups: []string{"system:masters"}, AllowClusterAdmin: true},
	)
	spec.Cluster.AuthenticationMode = access.AuthModeAPIAndConfigMap
	spec.Access.MigrateToAccessEntries = true
	clients := access.Clients{EKS: ec, Kube: k.Client}
	chs, err := access.Plan(ctx, clients, (spec).AccessTarget(), access.AuthModeAPIAndConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"create eks.access-entry/arn:aws:iam::123456789012:role/admin: from spec.access.mappings[1]",
		"create eks.access-entry/arn:aws:iam::123456789012:role/legacy-admin: from aws-auth mapRoles[1]",
		"create eks.access-entry/arn:aws:iam::123456789012:role/team/dev: from spec.access.mappings[0]",
		"create eks.access-entry/arn:aws:iam::123456789012:user/ops/bob: from aws-auth mapUsers[0]",
		"update k8s.configmap/kube-system/aws-auth: add arn:aws:iam::123456789012:role/team/dev; add arn:aws:iam::123456789012:role/admin",
	}
	var got []string
	for _, s := range accessSummary(chs) {
		if !strings.Contains(s, "eks.access-entry/arn:aws:iam::123456789012:user/moto") { // the cluster creator's entry (bootstrap)
			got = append(got, s)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("plan (-want +got):\n%s", d)
	}
	if err := plan.Apply(ctx, &plan.Plan{Changes: chs}); err != nil {
		t.Fatal(err)
	}
	dev, err := ec.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("eks-test"), PrincipalArn: aws.String("arn:aws:iam::123456789012:role/team/dev")})
	if err != nil {
		t.Fatal(err)
	}
	if got := dev.AccessEntry.KubernetesGroups; strings.Join(got, ",") != "devs" || dev.AccessEntry.Tags[eksfargate.OwnerTag] != "eks-test" {
		t.Errorf("dev entry: groups %v tags %v", got, dev.AccessEntry.Tags)
	}
	pols, err := ec.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("eks-test"), PrincipalArn: aws.String("arn:aws:iam::123456789012:role/admin")})
	if err != nil {
		t.Fatal(err)
	}
	if len(pols.AssociatedAccessPolicies) != 1 || !strings.HasSuffix(aws.ToString(pols.AssociatedAccessPolicies[0].PolicyArn), "/AmazonEKSClusterAdminPolicy") {
		t.Errorf("admin policies = %+v, want the cluster-admin policy for system:masters", pols.AssociatedAccessPolicies)
	}
	if _, err := ec.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("eks-test"), PrincipalArn: aws.String("arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole")}); err == nil {
		t.Error("an access entry was created for the Fargate pod execution role; EKS creates its FARGATE_LINUX entry itself")
	}
	chs, err = access.Plan(ctx, clients, (spec).AccessTarget(), access.AuthModeAPIAndConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	if p := (&plan.Plan{Changes: chs}); !p.Empty() {
		t.Errorf("second plan is not empty:\n%s", p.Text())
	}
	// Drop the admin mapping: its aws-auth entry and its access entry go;
	// the creator's entry (not fargatekit's) stays.
	spec.Access.Mappings = spec.Access.Mappings[:1]
	chs, err = access.Plan(ctx, clients, (spec).AccessTarget(), access.AuthModeAPIAndConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, c := range (&plan.Plan{Changes: chs}).Pending() {
		got = append(got, string(c.Action)+" "+c.ID)
		if !c.Destructive {
			t.Errorf("%s removes access but is not marked destructive", c.ID)
		}
	}
	sort.Strings(got)
	want = []string{"delete eks.access-entry/arn:aws:iam::123456789012:role/admin", "update k8s.configmap/kube-system/aws-auth"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("plan after dropping a mapping (-want +got):\n%s", d)
	}
}

// TestPlanAccessBeforeModeChange: a CONFIG_MAP cluster moving to API can't
// list access entries yet; the entries are planned as creates that wait for
// the mode change, and nothing is read from EKS.
func TestPlanAccessBeforeModeChange(t *testing.T) {
	a := envtest.NewAWS(t)
	ec := accessCluster(t, a, ekstypes.AuthenticationModeConfigMap)
	spec := awsAuthSpec(access.Mapping{ARN: "arn:aws:iam::123456789012:role/dev", Groups: []string{"devs"}})
	spec.Cluster.AuthenticationMode = access.AuthModeAPI
	a.Proxy.ResetCounts()
	chs, err := access.Plan(context.Background(), access.Clients{EKS: ec}, (spec).AccessTarget(), access.AuthModeConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	if n := a.Proxy.Total(); n != 0 {
		t.Errorf("%d AWS calls while planning: %v", n, a.Proxy.Counts())
	}
	if len(chs) != 1 || chs[0].Action != plan.Create || !strings.Contains(chs[0].Summary, "after the authentication mode becomes API") ||
		!contains(chs[0].DependsOn, "eks.cluster/eks-test/authentication-mode") {
		t.Errorf("plan = %+v", chs)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
