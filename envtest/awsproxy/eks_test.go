package awsproxy_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

func TestAddonLifecycle(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	newCluster(t, c, "addons")
	irsa := createRole(t, c, "coredns-irsa", trustEKS)
	const delay = 200 * time.Millisecond
	a.Proxy.SetDelays(awsproxy.Delays{AddonCreate: delay, AddonUpdate: delay, AddonDelete: delay})
	cluster := aws.String("addons")

	out, err := c.eks.CreateAddon(ctx, &eks.CreateAddonInput{
		ClusterName: cluster, AddonName: aws.String("coredns"),
		ConfigurationValues: aws.String(`{"computeType":"Fargate"}`),
		ResolveConflicts:    ekstypes.ResolveConflictsOverwrite,
		Tags:                map[string]string{"team": "platform"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out.Addon
	if got.Status != ekstypes.AddonStatusCreating {
		t.Errorf("CreateAddon status = %s, want CREATING", got.Status)
	}
	if v := aws.ToString(got.AddonVersion); v != "v1.12.4-eksbuild.1" {
		t.Errorf("addonVersion = %s, want the default for Kubernetes 1.35", v)
	}
	arn := aws.ToString(got.AddonArn)
	if !strings.HasPrefix(arn, "arn:aws:eks:"+region+":123456789012:addon/addons/coredns/") {
		t.Errorf("addonArn = %s, want arn:aws:eks:<region>:<account>:addon/<cluster>/<addon>/<uuid>", arn)
	}
	if err := eks.NewAddonActiveWaiter(c.eks, fastWaiter[eks.AddonActiveWaiterOptions]).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")}, 5*time.Second); err != nil {
		t.Fatalf("AddonActiveWaiter: %v", err)
	}

	_, err = c.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")})
	var riu *ekstypes.ResourceInUseException
	if !errors.As(err, &riu) {
		t.Errorf("second CreateAddon: %v, want ResourceInUseException", err)
	}

	upd, err := c.eks.UpdateAddon(ctx, &eks.UpdateAddonInput{
		ClusterName: cluster, AddonName: aws.String("coredns"),
		ServiceAccountRoleArn: &irsa,
		ConfigurationValues:   aws.String(`{"computeType":"Fargate","replicaCount":3}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Update.Type != ekstypes.UpdateTypeAddonUpdate || upd.Update.Status != ekstypes.UpdateStatusInProgress {
		t.Errorf("UpdateAddon update = %s %s, want AddonUpdate InProgress", upd.Update.Type, upd.Update.Status)
	}
	wantParams := []ekstypes.UpdateParam{
		{Type: ekstypes.UpdateParamTypeServiceAccountRoleArn, Value: &irsa},
		{Type: ekstypes.UpdateParamTypeConfigurationValues, Value: aws.String(`{"computeType":"Fargate","replicaCount":3}`)},
	}
	if diff := cmp.Diff(wantParams, upd.Update.Params, cmpSDK); diff != "" {
		t.Errorf("update params (-want +got):\n%s", diff)
	}
	d, err := c.eks.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Addon.Status != ekstypes.AddonStatusUpdating || aws.ToString(d.Addon.ServiceAccountRoleArn) != irsa {
		t.Errorf("DescribeAddon during update: status %s role %s, want UPDATING and %s", d.Addon.Status, aws.ToString(d.Addon.ServiceAccountRoleArn), irsa)
	}
	time.Sleep(delay + 20*time.Millisecond)
	du, err := c.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: cluster, UpdateId: upd.Update.Id, AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	if du.Update.Status != ekstypes.UpdateStatusSuccessful {
		t.Errorf("DescribeUpdate after the delay: %s, want Successful", du.Update.Status)
	}
	if _, err := c.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: cluster, UpdateId: upd.Update.Id}); err == nil {
		t.Error("DescribeUpdate of an add-on update without addonName succeeded; EKS scopes updates")
	}
	lu, err := c.eks.ListUpdates(ctx, &eks.ListUpdatesInput{Name: cluster, AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{aws.ToString(upd.Update.Id)}, lu.UpdateIds); diff != "" {
		t.Errorf("ListUpdates (-want +got):\n%s", diff)
	}

	for _, bad := range []struct{ name, values, reason string }{
		{"not-json", `computeType: Fargate`, "configuration values must be JSON"},
		{"unknown-key", `{"computeTyp":"Fargate"}`, "the coredns schema does not allow other keys"},
		{"wrong-type", `{"replicaCount":"three"}`, "replicaCount is an integer"},
	} {
		_, err := c.eks.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: cluster, AddonName: aws.String("coredns"), ConfigurationValues: &bad.values})
		var ip *ekstypes.InvalidParameterException
		if !errors.As(err, &ip) {
			t.Errorf("UpdateAddon %s: %v, want InvalidParameterException (%s)", bad.name, err, bad.reason)
		}
	}
	_, err = c.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: cluster, AddonName: aws.String("kube-proxy"), AddonVersion: aws.String("v1.30.0-eksbuild.2")})
	var ip *ekstypes.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("CreateAddon with a version for another Kubernetes version: %v, want InvalidParameterException", err)
	}
	if _, err := c.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: cluster, AddonName: aws.String("vpc-cni")}); err != nil {
		t.Fatal(err)
	}
	la, err := c.eks.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"coredns", "vpc-cni"}, la.Addons); diff != "" {
		t.Errorf("ListAddons (-want +got):\n%s", diff)
	}

	del, err := c.eks.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")})
	if err != nil {
		t.Fatal(err)
	}
	if del.Addon.Status != ekstypes.AddonStatusDeleting {
		t.Errorf("DeleteAddon status = %s, want DELETING", del.Addon.Status)
	}
	if err := eks.NewAddonDeletedWaiter(c.eks, fastWaiter[eks.AddonDeletedWaiterOptions]).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")}, 5*time.Second); err != nil {
		t.Fatalf("AddonDeletedWaiter: %v", err)
	}
	_, err = c.eks.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: cluster, AddonName: aws.String("coredns")})
	var nf *ekstypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeAddon after delete: %v, want ResourceNotFoundException", err)
	}
	_, err = c.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("no-such-cluster"), AddonName: aws.String("coredns")})
	if !errors.As(err, &nf) {
		t.Errorf("CreateAddon on a missing cluster: %v, want ResourceNotFoundException", err)
	}
}

// cmpSDK compares SDK output structs, ignoring their unexported no-op
// members.
var cmpSDK = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "noSmithyDocumentSerde"
}, cmp.Ignore())

func TestDescribeAddonVersionsOneDefaultPerKubernetesVersion(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	for _, k8s := range []string{"1.31", "1.32", "1.33", "1.34", "1.35"} {
		t.Run(k8s, func(t *testing.T) {
			out, err := c.eks.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{KubernetesVersion: aws.String(k8s)})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, info := range out.Addons {
				names = append(names, aws.ToString(info.AddonName))
				defaults := 0
				for _, v := range info.AddonVersions {
					for _, cp := range v.Compatibilities {
						if aws.ToString(cp.ClusterVersion) == k8s && cp.DefaultVersion {
							defaults++
						}
					}
				}
				if defaults != 1 {
					t.Errorf("%s: %d default versions for Kubernetes %s, want exactly 1", aws.ToString(info.AddonName), defaults, k8s)
				}
			}
			if diff := cmp.Diff([]string{"coredns", "kube-proxy", "vpc-cni"}, names); diff != "" {
				t.Errorf("add-ons (-want +got):\n%s", diff)
			}
		})
	}
	one, err := c.eks.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{AddonName: aws.String("coredns"), KubernetesVersion: aws.String("1.33")})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, v := range one.Addons[0].AddonVersions {
		versions = append(versions, aws.ToString(v.AddonVersion))
	}
	if diff := cmp.Diff([]string{"v1.12.4-eksbuild.1", "v1.12.1-eksbuild.2"}, versions); diff != "" {
		t.Errorf("coredns versions for 1.33 (-want +got):\n%s", diff)
	}
	cfg, err := c.eks.DescribeAddonConfiguration(ctx, &eks.DescribeAddonConfigurationInput{AddonName: aws.String("coredns"), AddonVersion: aws.String("v1.12.4-eksbuild.1")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(cfg.ConfigurationSchema), `"computeType"`) {
		t.Errorf("coredns configuration schema lacks computeType:\n%s", aws.ToString(cfg.ConfigurationSchema))
	}
	vpc, err := c.eks.DescribeAddonConfiguration(ctx, &eks.DescribeAddonConfigurationInput{AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v1.20.4-eksbuild.1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpc.PodIdentityConfiguration) != 1 || aws.ToString(vpc.PodIdentityConfiguration[0].ServiceAccount) != "aws-node" {
		t.Errorf("vpc-cni pod identity configuration = %+v, want aws-node", vpc.PodIdentityConfiguration)
	}
}

func TestAccessEntries(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("access")
	n, _ := newCluster(t, c, "access")
	admin := createRole(t, c, "admin", trustEKS)

	_, err := c.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin})
	var ir *ekstypes.InvalidRequestException
	if !errors.As(err, &ir) || !strings.Contains(ir.ErrorMessage(), "[API, API_AND_CONFIG_MAP]") {
		t.Fatalf("CreateAccessEntry on a CONFIG_MAP cluster: %v, want InvalidRequestException about the authentication mode", err)
	}

	// The authentication mode only moves forward, one step at a time.
	steps := []struct {
		to     ekstypes.AuthenticationMode
		ok     bool
		reason string
	}{
		{ekstypes.AuthenticationModeApi, false, "CONFIG_MAP cannot jump to API"},
		{ekstypes.AuthenticationModeConfigMap, false, "no update to the mode it already has"},
		{ekstypes.AuthenticationModeApiAndConfigMap, true, "one step forward"},
		{ekstypes.AuthenticationModeConfigMap, false, "never back"},
		{ekstypes.AuthenticationModeApi, true, "the last step"},
		{ekstypes.AuthenticationModeApiAndConfigMap, false, "never back"},
	}
	for _, s := range steps {
		out, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: s.to}})
		var ip *ekstypes.InvalidParameterException
		switch {
		case s.ok && err != nil:
			t.Fatalf("UpdateClusterConfig to %s: %v (%s)", s.to, err, s.reason)
		case s.ok:
			if out.Update.Type != ekstypes.UpdateTypeAccessConfigUpdate {
				t.Errorf("update type = %s, want AccessConfigUpdate", out.Update.Type)
			}
			du, err := c.eks.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: cluster, UpdateId: out.Update.Id})
			if err != nil || du.Update.Status != ekstypes.UpdateStatusSuccessful {
				t.Errorf("DescribeUpdate: %v %+v, want Successful", err, du)
			}
		case !errors.As(err, &ip):
			t.Errorf("UpdateClusterConfig to %s: %v, want InvalidParameterException (%s)", s.to, err, s.reason)
		}
	}
	d, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Cluster.AccessConfig.AuthenticationMode; got != ekstypes.AuthenticationModeApi {
		t.Errorf("authentication mode = %s, want API", got)
	}

	e, err := c.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin, KubernetesGroups: []string{"platform"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(e.AccessEntry.Username), "arn:aws:sts::123456789012:assumed-role/admin/{{SessionName}}"; got != want {
		t.Errorf("username = %s, want %s", got, want)
	}
	if got := aws.ToString(e.AccessEntry.Type); got != "STANDARD" {
		t.Errorf("type = %s, want STANDARD by default", got)
	}
	if got := aws.ToString(e.AccessEntry.AccessEntryArn); !strings.HasPrefix(got, "arn:aws:eks:"+region+":123456789012:access-entry/access/role/123456789012/admin/") {
		t.Errorf("accessEntryArn = %s", got)
	}
	var riu *ekstypes.ResourceInUseException
	if _, err := c.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin}); !errors.As(err, &riu) {
		t.Errorf("duplicate CreateAccessEntry: %v, want ResourceInUseException", err)
	}
	podRole := createRole(t, c, "pod", trustFargate)
	var ip *ekstypes.InvalidParameterException
	if _, err := c.eks.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: &podRole, Type: aws.String("FARGATE_LINUX"), Username: aws.String("me")}); !errors.As(err, &ip) {
		t.Errorf("FARGATE_LINUX entry with a username: %v, want InvalidParameterException", err)
	}

	view := "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	clusterAdmin := "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	if _, err := c.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: &admin, PolicyArn: &clusterAdmin,
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}}); err != nil {
		t.Fatal(err)
	}
	as, err := c.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: &admin, PolicyArn: &view,
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"default", "apps-*"}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"default", "apps-*"}}, as.AssociatedAccessPolicy.AccessScope, cmpSDK); diff != "" {
		t.Errorf("associated scope (-want +got):\n%s", diff)
	}
	if _, err := c.eks.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: &admin, PolicyArn: &view,
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace}}); !errors.As(err, &ip) {
		t.Errorf("namespace scope without namespaces: %v, want InvalidParameterException", err)
	}
	lp, err := c.eks.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: cluster, PrincipalArn: &admin})
	if err != nil {
		t.Fatal(err)
	}
	var policies []string
	for _, p := range lp.AssociatedAccessPolicies {
		policies = append(policies, aws.ToString(p.PolicyArn))
	}
	if diff := cmp.Diff([]string{clusterAdmin, view}, policies); diff != "" {
		t.Errorf("ListAssociatedAccessPolicies (-want +got):\n%s", diff)
	}
	le, err := c.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: cluster, AssociatedPolicyArn: &view})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{admin}, le.AccessEntries); diff != "" {
		t.Errorf("ListAccessEntries by policy (-want +got):\n%s", diff)
	}
	if _, err := c.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: &admin, PolicyArn: &view}); err != nil {
		t.Fatal(err)
	}
	var nf *ekstypes.ResourceNotFoundException
	if _, err := c.eks.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: &admin, PolicyArn: &view}); !errors.As(err, &nf) {
		t.Errorf("second DisassociateAccessPolicy: %v, want ResourceNotFoundException", err)
	}
	ue, err := c.eks.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin, KubernetesGroups: []string{"platform", "audit"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"platform", "audit"}, ue.AccessEntry.KubernetesGroups); diff != "" {
		t.Errorf("groups after update (-want +got):\n%s", diff)
	}

	// In API modes, a Fargate profile gives its pod execution role a
	// FARGATE_LINUX access entry.
	if _, err := c.eks.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: cluster, FargateProfileName: aws.String("fp"), PodExecutionRoleArn: &podRole,
		Subnets: []string{n.private}, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}}}); err != nil {
		t.Fatal(err)
	}
	fe, err := c.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: &podRole})
	if err != nil {
		t.Fatalf("DescribeAccessEntry of the pod execution role: %v", err)
	}
	if got := aws.ToString(fe.AccessEntry.Type); got != "FARGATE_LINUX" {
		t.Errorf("pod execution role entry type = %s, want FARGATE_LINUX", got)
	}

	if _, err := c.eks.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eks.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: &admin}); !errors.As(err, &nf) {
		t.Errorf("DescribeAccessEntry after delete: %v, want ResourceNotFoundException", err)
	}

	pol, err := c.eks.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pol.AccessPolicies {
		names = append(names, aws.ToString(p.Name))
	}
	for _, want := range []string{"AmazonEKSAdminPolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"} {
		if !slices.Contains(names, want) {
			t.Errorf("ListAccessPolicies lacks %s: %v", want, names)
		}
	}
}

func TestClusterCreatorAccessEntry(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	newCluster(t, c, "api", func(in *eks.CreateClusterInput) {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}
	})
	list, err := c.eks.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	// moto's caller for the envtest credentials is user/moto.
	creator := "arn:aws:iam::123456789012:user/moto"
	if diff := cmp.Diff([]string{creator}, list.AccessEntries); diff != "" {
		t.Fatalf("access entries of a new API-mode cluster (-want +got):\n%s", diff)
	}
	pol, err := c.eks.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("api"), PrincipalArn: &creator})
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.AssociatedAccessPolicies) != 1 || aws.ToString(pol.AssociatedAccessPolicies[0].PolicyArn) != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" {
		t.Errorf("creator policies = %+v, want AmazonEKSClusterAdminPolicy", pol.AssociatedAccessPolicies)
	}
}

func TestUpdateClusterConfigReturnsUpdates(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("config")
	newCluster(t, c, "config")
	const delay = 200 * time.Millisecond
	a.Proxy.SetDelays(awsproxy.Delays{ClusterUpdate: delay})

	out, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{
		{Types: []ekstypes.LogType{ekstypes.LogTypeApi, ekstypes.LogTypeAudit}, Enabled: aws.Bool(true)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Update.Type != ekstypes.UpdateTypeLoggingUpdate || out.Update.Status != ekstypes.UpdateStatusInProgress {
		t.Errorf("update = %s %s, want LoggingUpdate InProgress", out.Update.Type, out.Update.Status)
	}
	d, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if d.Cluster.Status != ekstypes.ClusterStatusUpdating {
		t.Errorf("status during update = %s, want UPDATING", d.Cluster.Status)
	}
	if got := d.Cluster.Logging.ClusterLogging; len(got) == 0 || !aws.ToBool(got[0].Enabled) {
		t.Errorf("logging after update = %+v, want api and audit enabled (stored by moto)", got)
	}
	var riu *ekstypes.ResourceInUseException
	if _, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, DeletionProtection: aws.Bool(true)}); !errors.As(err, &riu) {
		t.Errorf("second update while one is in progress: %v, want ResourceInUseException", err)
	}
	time.Sleep(delay + 20*time.Millisecond)

	tests := []struct {
		name     string
		reason   string
		in       eks.UpdateClusterConfigInput
		wantType ekstypes.UpdateType
	}{
		{"endpoint", "endpoint flags alone are an EndpointAccessUpdate", eks.UpdateClusterConfigInput{ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)}}, ekstypes.UpdateTypeEndpointAccessUpdate},
		{"deletion-protection", "deletionProtection is in the SDK model", eks.UpdateClusterConfigInput{DeletionProtection: aws.Bool(true)}, ekstypes.UpdateTypeDeletionProtectionUpdate},
		{"two-kinds", "EKS takes one type of update per call", eks.UpdateClusterConfigInput{DeletionProtection: aws.Bool(false), UpgradePolicy: &ekstypes.UpgradePolicyRequest{SupportType: ekstypes.SupportTypeStandard}}, ""},
	}
	a.Proxy.SetDelays(awsproxy.Delays{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Name = cluster
			out, err := c.eks.UpdateClusterConfig(ctx, &in)
			if tt.wantType == "" {
				var ip *ekstypes.InvalidParameterException
				if !errors.As(err, &ip) {
					t.Errorf("UpdateClusterConfig: %v, want InvalidParameterException (%s)", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Update.Type != tt.wantType {
				t.Errorf("update type = %s, want %s (%s)", out.Update.Type, tt.wantType, tt.reason)
			}
			lu, err := c.eks.ListUpdates(ctx, &eks.ListUpdatesInput{Name: cluster})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(lu.UpdateIds, aws.ToString(out.Update.Id)) {
				t.Errorf("ListUpdates %v lacks %s", lu.UpdateIds, aws.ToString(out.Update.Id))
			}
		})
	}
	var ir *ekstypes.InvalidRequestException
	if _, err := c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: cluster}); !errors.As(err, &ir) {
		t.Errorf("DeleteCluster with deletion protection: %v, want InvalidRequestException", err)
	}
	if _, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, DeletionProtection: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.eks.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: cluster}); err != nil {
		t.Errorf("DeleteCluster after disabling deletion protection: %v", err)
	}
}

func TestEncryptionAndVersionUpdates(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("enc")
	newCluster(t, c, "enc", func(in *eks.CreateClusterInput) { in.Version = aws.String("1.34") })
	key, err := c.kms.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	enc := []ekstypes.EncryptionConfig{{Resources: []string{"secrets"}, Provider: &ekstypes.Provider{KeyArn: key.KeyMetadata.Arn}}}
	out, err := c.eks.AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: cluster, EncryptionConfig: enc})
	if err != nil {
		t.Fatal(err)
	}
	if out.Update.Type != ekstypes.UpdateTypeAssociateEncryptionConfig {
		t.Errorf("update type = %s, want AssociateEncryptionConfig", out.Update.Type)
	}
	d, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Cluster.EncryptionConfig) != 1 || aws.ToString(d.Cluster.EncryptionConfig[0].Provider.KeyArn) != aws.ToString(key.KeyMetadata.Arn) {
		t.Errorf("encryptionConfig = %+v, want the KMS key", d.Cluster.EncryptionConfig)
	}
	var ir *ekstypes.InvalidRequestException
	if _, err := c.eks.AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{ClusterName: cluster, EncryptionConfig: enc}); !errors.As(err, &ir) {
		t.Errorf("second AssociateEncryptionConfig: %v, want InvalidRequestException (encryption cannot change once on)", err)
	}

	var ip *ekstypes.InvalidParameterException
	if _, err := c.eks.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: cluster, Version: aws.String("1.36")}); !errors.As(err, &ip) {
		t.Errorf("UpdateClusterVersion to a version outside the catalogue: %v, want InvalidParameterException", err)
	}
	if _, err := c.eks.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: cluster, Version: aws.String("1.33")}); !errors.As(err, &ip) {
		t.Errorf("UpdateClusterVersion downwards: %v, want InvalidParameterException", err)
	}
	uv, err := c.eks.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: cluster, Version: aws.String("1.35")})
	if err != nil {
		t.Fatal(err)
	}
	if uv.Update.Type != ekstypes.UpdateTypeVersionUpdate {
		t.Errorf("update type = %s, want VersionUpdate", uv.Update.Type)
	}
	d, err = c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(d.Cluster.Version); got != "1.35" {
		t.Errorf("version after update = %s, want 1.35", got)
	}
}

func TestPodIdentityAssociations(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("pods")
	newCluster(t, c, "pods")
	role := createRole(t, c, "app", trustEKS)
	out, err := c.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: cluster, Namespace: aws.String("apps"), ServiceAccount: aws.String("api"), RoleArn: &role})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Association.AssociationId
	if !strings.HasPrefix(aws.ToString(id), "a-") {
		t.Errorf("associationId = %s, want a-…", aws.ToString(id))
	}
	var riu *ekstypes.ResourceInUseException
	if _, err := c.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: cluster, Namespace: aws.String("apps"), ServiceAccount: aws.String("api"), RoleArn: &role}); !errors.As(err, &riu) {
		t.Errorf("duplicate association: %v, want ResourceInUseException", err)
	}
	if _, err := c.eks.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: cluster, Namespace: aws.String("jobs"), ServiceAccount: aws.String("batch"), RoleArn: &role}); err != nil {
		t.Fatal(err)
	}
	list, err := c.eks.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: cluster, Namespace: aws.String("apps")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Associations) != 1 || aws.ToString(list.Associations[0].AssociationId) != aws.ToString(id) {
		t.Errorf("ListPodIdentityAssociations(namespace apps) = %+v, want just %s", list.Associations, aws.ToString(id))
	}
	if _, err := c.eks.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: cluster, AssociationId: id}); err != nil {
		t.Fatal(err)
	}
	var nf *ekstypes.ResourceNotFoundException
	if _, err := c.eks.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: cluster, AssociationId: id}); !errors.As(err, &nf) {
		t.Errorf("DescribePodIdentityAssociation after delete: %v, want ResourceNotFoundException", err)
	}
}

func TestDescribeClusterVersionsFilters(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	tests := []struct {
		name   string
		reason string
		in     eks.DescribeClusterVersionsInput
		want   []string
	}{
		{"all-supported", "unsupported versions are hidden by default", eks.DescribeClusterVersionsInput{}, []string{"1.35", "1.34", "1.33", "1.32", "1.31"}},
		{"include-all", "includeAll shows unsupported versions too", eks.DescribeClusterVersionsInput{IncludeAll: aws.Bool(true)}, []string{"1.35", "1.34", "1.33", "1.32", "1.31", "1.30", "1.29"}},
		{"default-only", "exactly one default", eks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)}, []string{"1.35"}},
		{"extended", "versionStatus filter", eks.DescribeClusterVersionsInput{VersionStatus: ekstypes.VersionStatusExtendedSupport}, []string{"1.32", "1.31"}},
		{"unsupported", "asking for UNSUPPORTED shows them", eks.DescribeClusterVersionsInput{VersionStatus: ekstypes.VersionStatusUnsupported}, []string{"1.30", "1.29"}},
		{"deprecated-status", "the deprecated status filter uses lower-case values", eks.DescribeClusterVersionsInput{Status: ekstypes.ClusterVersionStatusStandardSupport}, []string{"1.35", "1.34", "1.33"}},
		{"named", "named versions are returned whatever their status", eks.DescribeClusterVersionsInput{ClusterVersions: []string{"1.33", "1.30"}}, []string{"1.33", "1.30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			var got []string
			pages := eks.NewDescribeClusterVersionsPaginator(c.eks, &in, func(o *eks.DescribeClusterVersionsPaginatorOptions) { o.Limit = 2 })
			for pages.HasMorePages() {
				out, err := pages.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.ClusterVersions) > 2 {
					t.Errorf("page of %d versions, want at most maxResults 2", len(out.ClusterVersions))
				}
				for _, v := range out.ClusterVersions {
					got = append(got, aws.ToString(v.ClusterVersion))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("versions (-want +got) (%s):\n%s", tt.reason, diff)
			}
		})
	}
	out, err := c.eks.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	v := out.ClusterVersions[0]
	if v.VersionStatus != ekstypes.VersionStatusStandardSupport || v.Status != ekstypes.ClusterVersionStatusStandardSupport || !v.DefaultVersion {
		t.Errorf("default version = %+v, want STANDARD_SUPPORT, standard-support, default", v)
	}

	// A proxy of one's own, like httptest, with a custom catalogue.
	p, err := awsproxy.New(a.MotoURL, awsproxy.WithClusterVersions(
		awsproxy.ClusterVersion{Version: "1.40", Status: ekstypes.VersionStatusStandardSupport, Default: true, ReleaseDate: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)},
	))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()
	cfg := a.Config(region)
	cfg.BaseEndpoint = aws.String(srv.URL)
	custom, err := eks.NewFromConfig(cfg).DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(custom.ClusterVersions) != 1 || aws.ToString(custom.ClusterVersions[0].ClusterVersion) != "1.40" ||
		!aws.ToTime(custom.ClusterVersions[0].ReleaseDate).Equal(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("custom catalogue = %+v, want 1.40 released 2028-01-01", custom.ClusterVersions)
	}
}

func TestPaginationOfEmulatedLists(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	var names []string
	pages := eks.NewListAccessPoliciesPaginator(c.eks, &eks.ListAccessPoliciesInput{}, func(o *eks.ListAccessPoliciesPaginatorOptions) { o.Limit = 3 })
	n := 0
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		for _, p := range out.AccessPolicies {
			names = append(names, aws.ToString(p.Name))
		}
	}
	all, err := c.eks.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(all.AccessPolicies) || n != (len(names)+2)/3 {
		t.Errorf("paginated %d policies in %d pages; unpaginated %d", len(names), n, len(all.AccessPolicies))
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("pages are not in order: %v", names)
	}
	var ip *ekstypes.InvalidParameterException
	if _, err := c.eks.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{NextToken: aws.String("garbage")}); !errors.As(err, &ip) {
		t.Errorf("bad nextToken: %v, want InvalidParameterException", err)
	}
	if _, err := c.eks.ListAccessPolicies(ctx, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(101)}); !errors.As(err, &ip) {
		t.Errorf("maxResults 101: %v, want InvalidParameterException", err)
	}
}

func TestTagsOfEmulatedResources(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("tags")
	n, _ := newCluster(t, c, "tags")
	podRole := createRole(t, c, "pod", trustFargate)
	ad, err := c.eks.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: cluster, AddonName: aws.String("kube-proxy"), Tags: map[string]string{"owner": "fargatekit"}})
	if err != nil {
		t.Fatal(err)
	}
	fp, err := c.eks.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: cluster, FargateProfileName: aws.String("fp"), PodExecutionRoleArn: &podRole,
		Subnets: []string{n.private}, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("default")}}, Tags: map[string]string{"owner": "fargatekit"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []*string{ad.Addon.AddonArn, fp.FargateProfile.FargateProfileArn} {
		if _, err := c.eks.TagResource(ctx, &eks.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"env": "test", "tmp": "x"}}); err != nil {
			t.Fatalf("TagResource %s: %v", aws.ToString(arn), err)
		}
		if _, err := c.eks.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"tmp"}}); err != nil {
			t.Fatalf("UntagResource %s: %v", aws.ToString(arn), err)
		}
		out, err := c.eks.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: arn})
		if err != nil {
			t.Fatalf("ListTagsForResource %s: %v", aws.ToString(arn), err)
		}
		if diff := cmp.Diff(map[string]string{"owner": "fargatekit", "env": "test"}, out.Tags); diff != "" {
			t.Errorf("tags of %s (-want +got):\n%s", aws.ToString(arn), diff)
		}
	}
	d, err := c.eks.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: cluster, FargateProfileName: aws.String("fp")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"owner": "fargatekit", "env": "test"}, d.FargateProfile.Tags); diff != "" {
		t.Errorf("DescribeFargateProfile tags (-want +got):\n%s", diff)
	}
}

func TestClusterConfigurationOverlay(t *testing.T) {
	a := setup(t)
	c := newClients(a, 1)
	ctx := context.Background()
	cluster := aws.String("overlay")
	n, role := newCluster(t, c, "overlay")
	describe := func() *ekstypes.Cluster {
		t.Helper()
		d, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: cluster})
		if err != nil {
			t.Fatal(err)
		}
		return d.Cluster
	}
	vpc := describe().ResourcesVpcConfig
	if aws.ToString(vpc.VpcId) != n.vpc || !vpc.EndpointPublicAccess || vpc.EndpointPrivateAccess {
		t.Errorf("resourcesVpcConfig = %+v, want vpcId %s, public endpoint on, private off (the API's defaults)", vpc, n.vpc)
	}

	// Endpoint updates keep the subnets (moto alone would drop them).
	if _, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	vpc = describe().ResourcesVpcConfig
	if diff := cmp.Diff([]string{n.private, n.private2}, vpc.SubnetIds); diff != "" || !vpc.EndpointPrivateAccess {
		t.Errorf("after an endpoint update: private access %v, subnets (-want +got):\n%s", vpc.EndpointPrivateAccess, diff)
	}
	var ip *ekstypes.InvalidParameterException
	if _, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(false), EndpointPublicAccess: aws.Bool(false)}}); !errors.As(err, &ip) {
		t.Errorf("turning both endpoints off: %v, want InvalidParameterException", err)
	}

	// Logging updates change the named types and keep the others.
	logUpdate := func(enabled bool, types ...ekstypes.LogType) {
		t.Helper()
		if _, err := c.eks.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: cluster, Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Types: types, Enabled: &enabled}}}}); err != nil {
			t.Fatal(err)
		}
	}
	logUpdate(true, ekstypes.LogTypeApi, ekstypes.LogTypeAudit)
	logUpdate(false, ekstypes.LogTypeAudit)
	want := []ekstypes.LogSetup{
		{Types: []ekstypes.LogType{"api"}, Enabled: aws.Bool(true)},
		{Types: []ekstypes.LogType{"audit", "authenticator", "controllerManager", "scheduler"}, Enabled: aws.Bool(false)},
	}
	if diff := cmp.Diff(want, describe().Logging.ClusterLogging, cmpSDK); diff != "" {
		t.Errorf("logging after two updates (-want +got):\n%s", diff)
	}

	// serviceIpv4Cidr rules.
	tests := []struct {
		name, cidr, reason string
		ok                 bool
	}{
		{"ok", "172.20.0.0/16", "private, /16, outside the VPC", true},
		{"public-range", "8.8.0.0/16", "must be RFC 1918", false},
		{"too-big", "10.0.0.0/8", "at most /12", false},
		{"too-small", "192.168.1.0/25", "at least /24", false},
		{"overlaps-vpc", "10.42.0.0/16", "must not overlap the VPC 10.42.0.0/16", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.eks.CreateCluster(ctx, &eks.CreateClusterInput{
				Name: aws.String("cidr-" + tt.name), RoleArn: &role,
				ResourcesVpcConfig:      &ekstypes.VpcConfigRequest{SubnetIds: []string{n.private}},
				KubernetesNetworkConfig: &ekstypes.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: &tt.cidr},
			})
			if tt.ok && err != nil {
				t.Errorf("CreateCluster with %s: %v (%s)", tt.cidr, err, tt.reason)
			}
			if !tt.ok && !errors.As(err, &ip) {
				t.Errorf("CreateCluster with %s: %v, want InvalidParameterException (%s)", tt.cidr, err, tt.reason)
			}
		})
	}
}
