package eksfargate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

// fkInventory counts what exists for the cluster, to catch duplicates.
type fkInventory struct {
	VPCs, Subnets, InternetGateways, Addresses, NATGateways, RouteTables int
	Roles                                                                []string
	Cluster                                                              string
	Profiles                                                             []string
	Addons                                                               []string
}

func fkTake(t testing.TB, a *envtest.AWS, s *Spec) fkInventory {
	t.Helper()
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	e, ek, im := ec2.NewFromConfig(cfg), eks.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	f := []ec2types.Filter{{Name: aws.String("tag:" + OwnerTag), Values: []string{s.Name}}}
	var inv fkInventory
	owned := func(tags []ec2types.Tag) bool { return ec2Tag(tags, OwnerTag) == s.Name }
	vpcs, err := e.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vpcs.Vpcs {
		if owned(v.Tags) {
			inv.VPCs++
		}
	}
	sns, _ := e.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: f})
	for _, v := range sns.Subnets {
		if owned(v.Tags) {
			inv.Subnets++
		}
	}
	igws, _ := e.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: f})
	for _, v := range igws.InternetGateways {
		if owned(v.Tags) {
			inv.InternetGateways++
		}
	}
	eips, _ := e.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: f})
	for _, v := range eips.Addresses {
		if owned(v.Tags) {
			inv.Addresses++
		}
	}
	nats, _ := e.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{})
	for _, v := range nats.NatGateways {
		if owned(v.Tags) && v.State != ec2types.NatGatewayStateDeleted {
			inv.NATGateways++
		}
	}
	rts, _ := e.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: f})
	for _, v := range rts.RouteTables {
		if owned(v.Tags) {
			inv.RouteTables++
		}
	}
	roles, err := im.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if !strings.HasPrefix(aws.ToString(r.Path), "/aws-service-role/") {
			inv.Roles = append(inv.Roles, aws.ToString(r.RoleName))
		}
	}
	sort.Strings(inv.Roles)
	if out, err := ek.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(s.Name)}); err == nil {
		inv.Cluster = string(out.Cluster.Status)
		ps, err := ek.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String(s.Name)})
		if err != nil {
			t.Fatal(err)
		}
		inv.Profiles = ps.FargateProfileNames
		as, err := ek.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(s.Name)})
		if err != nil {
			t.Fatal(err)
		}
		inv.Addons = as.Addons
		sort.Strings(inv.Addons)
	}
	return inv
}

// fkWalkthroughInventory is what the walkthrough's AWS side creates.
var fkWalkthroughInventory = fkInventory{VPCs: 1, Subnets: 4, InternetGateways: 1, Addresses: 1, NATGateways: 1, RouteTables: 2,
	Roles: []string{"AmazonEKSFargatePodExecutionRole", "eksClusterRole"}, Cluster: "ACTIVE", Profiles: []string{"init-fargate"},
	Addons: []string{"coredns", "kube-proxy", "vpc-cni"}}

// TestCreateFromNothing applies the walkthrough's stack to an empty account:
// everything is created and tagged, and a second plan changes nothing.
func TestCreateFromNothing(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	p := fkApply(t, s, opts...)
	n := p.Counts()
	if n[plan.Create] != 19 || n[plan.Update]+n[plan.Delete]+n[plan.Replace] != 0 {
		t.Errorf("first plan: counts %v, want 19 creates:\n%s", n, p.Text())
	}
	if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
	fkAssertConverged(t, s, opts...)

	// Everything created carries the ownership tag.
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	cl, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(s.Name)})
	if err != nil {
		t.Fatal(err)
	}
	if cl.Cluster.Tags[OwnerTag] != s.Name || cl.Cluster.Tags["env"] != "walkthrough" {
		t.Errorf("cluster tags %v", cl.Cluster.Tags)
	}
	if got := aws.ToString(cl.Cluster.KubernetesNetworkConfig.ServiceIpv4Cidr); got != "172.20.0.0/16" {
		t.Errorf("service CIDR %s", got)
	}
	if got := liveSecretsKey(cl.Cluster); got != s.Cluster.SecretsKMSKeyARN {
		t.Errorf("secrets key %q, want %q", got, s.Cluster.SecretsKMSKeyARN)
	}
	fp, err := eks.NewFromConfig(cfg).DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("init-fargate")})
	if err != nil {
		t.Fatal(err)
	}
	if fp.FargateProfile.Tags[OwnerTag] != s.Name || len(fp.FargateProfile.Subnets) != 2 {
		t.Errorf("profile: tags %v, subnets %v", fp.FargateProfile.Tags, fp.FargateProfile.Subnets)
	}
	role, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole")})
	if err != nil {
		t.Fatal(err)
	}
	if iamTagMap(role.Role.Tags)[OwnerTag] != s.Name {
		t.Errorf("role tags %v", role.Role.Tags)
	}
	trust, err := iamtrust.ParseLive(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Region: fkRegion, AccountID: envtest.AccountID, Cluster: s.Name})
	if !iamtrust.Equal(want, trust) {
		t.Errorf("pod execution trust:\n%s", trust)
	}
	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: fp.FargateProfile.Subnets})
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range subnets.Subnets {
		if ec2Tag(sn.Tags, tagInternalELB) != "1" || !strings.HasPrefix(ec2Tag(sn.Tags, ResourceKeyTag), "private-") {
			t.Errorf("profile subnet %s tags %v", aws.ToString(sn.SubnetId), ec2TagMap(sn.Tags))
		}
	}
}

// TestWalkthroughWithClusterSide applies the walkthrough with a real
// kube-apiserver standing in for the cluster: the first plan defers the
// cluster side, the apply wires IRSA, aws-auth and access entries, and the
// next plan, which merges the cluster-side planners, is empty.
func TestWalkthroughWithClusterSide(t *testing.T) {
	a := fkAWS(t)
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{AuthenticationMode: access.AuthModeAPIAndConfigMap}); err != nil {
		t.Fatal(err)
	}
	s := fkWalkthrough(t, a)
	var events []plan.Event
	var mu sync.Mutex
	opts := fkOptions(a, fkWithKube(k.Client), func(o *Options) {
		o.Progress = func(e plan.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }
	})
	p := fkApply(t, s, opts...)
	ids := map[string]plan.Change{}
	for _, c := range p.Changes {
		ids[c.ID] = c
	}
	for _, id := range []string{DeferredIRSAID, DeferredClusterSideID} {
		c, ok := ids[id]
		if !ok || !strings.HasPrefix(c.Summary, "planned after the cluster exists") {
			t.Errorf("first plan: %s missing or without the deferred summary: %+v", id, c)
		}
	}
	if !fkDependsOn(p, "eks.addon/eks-test/vpc-cni", DeferredIRSAID) {
		t.Error("the vpc-cni addon does not wait for IRSA")
	}
	// The deferred changes reported their sub-plans' events.
	var sub int
	for _, e := range events {
		if e.Change.ID == DeferredClusterSideID && strings.Contains(e.State, ": done") {
			sub++
		}
	}
	if sub == 0 {
		t.Error("the deferred cluster-side change reported no sub-plan event")
	}
	// IRSA: the role exists and the ServiceAccount points at it.
	roleARN := "arn:aws:iam::123456789012:role/eks-test-kube-system-aws-node"
	sa, err := k.Client.CoreV1().ServiceAccounts("kube-system").Get(ctx, "aws-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sa.Annotations["eks.amazonaws.com/role-arn"]; got != roleARN {
		t.Errorf("aws-node role-arn annotation %q, want %q", got, roleARN)
	}
	addon, err := eks.NewFromConfig(a.Config(fkRegion)).DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(s.Name), AddonName: aws.String("vpc-cni")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(addon.Addon.ServiceAccountRoleArn); got != roleARN {
		t.Errorf("vpc-cni role %q, want %q", got, roleARN)
	}
	// aws-auth maps admin.
	cm, err := k.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cm.Data["mapUsers"], "arn:aws:iam::123456789012:user/admin") {
		t.Errorf("aws-auth mapUsers:\n%s", cm.Data["mapUsers"])
	}
	// The next plan merges the cluster-side planners and is empty.
	a.Proxy.ResetCounts()
	p2 := fkPlan(t, s, opts...)
	t.Logf("no-op plan with the cluster side: %d AWS calls: %v", a.Proxy.Total(), a.Proxy.Counts())
	// Each thing is read once: the coredns add-on is read with the other
	// add-ons (not again by CoreDNS's plan), and the access policies only
	// of STANDARD entries (not of the pod execution role's FARGATE_LINUX
	// one). It was 33 calls before the observation layer.
	counts := a.Proxy.Counts()
	if got := counts["eks"]["DescribeAddon"]; got != len(s.Addons) {
		t.Errorf("DescribeAddon %d times for %d add-ons: an add-on is read twice", got, len(s.Addons))
	}
	if got := a.Proxy.Total(); got > 31 {
		t.Errorf("no-op plan with the cluster side: %d AWS calls, budget 31", got)
	}
	if !p2.Empty() {
		t.Fatalf("second plan:\n%s", p2.Text())
	}
	merged := map[string]bool{}
	for _, c := range p2.Changes {
		merged[c.ID] = true
	}
	for _, id := range []string{coredns.ChangeID, access.AWSAuthChangeID} {
		if !merged[id] {
			t.Errorf("second plan lacks %s", id)
		}
	}
	if merged[DeferredClusterSideID] || merged[DeferredIRSAID] {
		t.Error("second plan still defers")
	}
}

func fkDependsOn(p *plan.Plan, id, dep string) bool {
	for _, c := range p.Changes {
		if c.ID == id {
			for _, d := range c.DependsOn {
				if d == dep {
					return true
				}
			}
		}
	}
	return false
}

var (
	fkIDPattern   = regexp.MustCompile(`\b(vpc|subnet|igw|nat|rtb|eipalloc|sg)-[0-9a-f]{8,17}\b`)
	fkKeyPattern  = regexp.MustCompile(`key/[0-9a-f-]{36}`)
	fkTimePattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
)

// fkNormalize replaces what varies from run to run.
func fkNormalize(s string) string {
	s = fkIDPattern.ReplaceAllString(s, "$1-XXXX")
	s = fkKeyPattern.ReplaceAllString(s, "key/KEY-ID")
	return fkTimePattern.ReplaceAllString(s, "TIME")
}

// TestCreatePlanGolden pins the text and JSON of the create-from-nothing
// plan of the walkthrough, deferred cluster side included.
func TestCreatePlanGolden(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	p := fkPlan(t, s, fkOptions(a, fkWithKube(nil))...)
	fkGolden(t, "create_plan.txt", []byte(fkNormalize(p.Text())))
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fkGolden(t, "create_plan.json", []byte(fkNormalize(string(js))+"\n"))
}

// fkOutOfBand changes the live state behind fargatekit's back.
type fkOutOfBand func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec)

// TestDrift applies the walkthrough, changes one thing out of band, and
// checks that the next plan finds exactly that and that applying it
// converges.
func TestDrift(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		change fkOutOfBand
		id     string
		action plan.Action
	}{
		{"trust policy edited", "UpdateAssumeRolePolicy out of band drops sts:TagSession and adds a principal",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`
				if _, err := iam.NewFromConfig(cfg).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("eksClusterRole"), PolicyDocument: aws.String(doc)}); err != nil {
					t.Fatal(err)
				}
			}, "iam.role/eksClusterRole", plan.Update},
		{"managed policy detached", "the pod execution role loses its managed policy",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				if _, err := iam.NewFromConfig(cfg).DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole"),
					PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy")}); err != nil {
					t.Fatal(err)
				}
			}, "iam.role-policy/AmazonEKSFargatePodExecutionRole/arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy", plan.Create},
		{"logging turned off", "control-plane logging disabled in the console",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				if _, err := eks.NewFromConfig(cfg).UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(s.Name), Logging: loggingRequest(nil)}); err != nil {
					t.Fatal(err)
				}
			}, "eks.cluster/eks-test/logging", plan.Update},
		{"profile deleted", "someone deletes the Fargate profile",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				if _, err := eks.NewFromConfig(cfg).DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("init-fargate")}); err != nil {
					t.Fatal(err)
				}
			}, "eks.fargate-profile/eks-test/init-fargate", plan.Create},
		{"addon role changed", "the vpc-cni addon is pointed at another role",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				out, err := eks.NewFromConfig(cfg).UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(s.Name), AddonName: aws.String("vpc-cni"),
					ServiceAccountRoleArn: aws.String("arn:aws:iam::123456789012:role/someone-elses")})
				if err != nil {
					t.Fatal(err)
				}
				_ = out
			}, "eks.addon/eks-test/vpc-cni", plan.Update},
		{"endpoint opened", "the private endpoint is turned off",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				if _, err := eks.NewFromConfig(cfg).UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(s.Name),
					ResourcesVpcConfig: &ekstypes.VpcConfigRequest{EndpointPrivateAccess: aws.Bool(false), EndpointPublicAccess: aws.Bool(true)}}); err != nil {
					t.Fatal(err)
				}
			}, "eks.cluster/eks-test/endpoint", plan.Update},
		{"subnet tag removed", "the internal-elb tag is removed from a private subnet",
			func(t *testing.T, ctx context.Context, cfg aws.Config, s *Spec) {
				e := ec2.NewFromConfig(cfg)
				out, err := e.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:" + ResourceKeyTag), Values: []string{"private-1"}}}})
				if err != nil || len(out.Subnets) != 1 {
					t.Fatalf("subnet private-1: %v %v", out, err)
				}
				if _, err := e.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{aws.ToString(out.Subnets[0].SubnetId)}, Tags: []ec2types.Tag{{Key: aws.String(tagInternalELB)}}}); err != nil {
					t.Fatal(err)
				}
			}, "ec2.subnet/eks-test/private-1", plan.Update},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fkAWS(t)
			s := fkWalkthrough(t, a)
			opts := fkOptions(a)
			fkApply(t, s, opts...)
			ctx := context.Background()
			tc.change(t, ctx, a.Config(fkRegion), s)
			p := fkPlan(t, s, opts...)
			pending := p.Pending()
			if len(pending) != 1 || pending[0].ID != tc.id || pending[0].Action != tc.action {
				t.Fatalf("%s: want one %s of %s; plan:\n%s", tc.reason, tc.action, tc.id, p.Text())
			}
			if err := Apply(ctx, p, opts...); err != nil {
				t.Fatalf("apply: %v", err)
			}
			fkAssertConverged(t, s, opts...)
		})
	}
}

// TestCrashAndResume cancels the apply of the walkthrough at the start of
// each change in turn, then plans and applies again: it converges, with no
// duplicate VPC, subnet, gateway, route table, role or profile.
func TestCrashAndResume(t *testing.T) {
	a := fkAWS(t)
	total := len(fkPlan(t, fkWalkthrough(t, a), fkOptions(a)...).Pending())
	for k := 1; k <= total; k++ {
		t.Run(fmt.Sprintf("cancel-at-%02d", k), func(t *testing.T) {
			a := fkAWS(t)
			s := fkWalkthrough(t, a)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var started int
			var mu sync.Mutex
			var victim string
			opts := fkOptions(a, func(o *Options) {
				o.Progress = func(e plan.Event) {
					mu.Lock()
					defer mu.Unlock()
					if e.State == "started" {
						started++
						if started == k {
							victim = e.Change.ID
							cancel()
						}
					}
				}
			})
			p := fkPlan(t, s, opts...)
			err := Apply(ctx, p, opts...)
			if err == nil && k < total {
				t.Fatalf("apply cancelled at change %d (%s) succeeded", k, victim)
			}
			// Apply until the plan is empty: a create whose answer the
			// cancel cut off may show only after the next plan looked, and
			// then the plan after deletes the duplicate.
			resumed := fkOptions(a)
			for round := 1; ; round++ {
				p := fkPlan(t, s, resumed...)
				if p.Empty() {
					break
				}
				if round > 3 {
					t.Fatalf("not converged after 3 applies:\n%s", p.Text())
				}
				if round > 1 {
					t.Logf("round %d after cancelling at %s:\n%s", round, victim, p.Text())
				}
				if err := Apply(context.Background(), p, resumed...); err != nil {
					t.Fatalf("apply after cancelling at %s: %v", victim, err)
				}
			}
			if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
				t.Errorf("after cancelling at %s and resuming, inventory (-want +got):\n%s", victim, diff)
			}
		})
	}
}

// TestProfilesSerialised creates three profiles while the proxy keeps each
// CREATING for a while: the plan runs them one at a time, so EKS never
// refuses one with ResourceInUseException, and all three end ACTIVE.
func TestProfilesSerialised(t *testing.T) {
	a := fkAWS(t)
	a.Proxy.SetDelays(awsproxy.Delays{ProfileCreate: 150 * time.Millisecond})
	s := fkWalkthrough(t, a)
	s.AddFargateProfile("apps", SelectNamespace("apps")).AddFargateProfile("batch", SelectNamespace("batch"))
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	var creates, refused int
	for _, c := range a.Proxy.Calls() {
		if c.Service == "eks" && c.Operation == "CreateFargateProfile" {
			creates++
			if c.Status != http.StatusOK {
				refused++
			}
		}
	}
	if creates != 3 || refused != 0 {
		t.Errorf("CreateFargateProfile: %d calls, %d refused; want 3 and 0", creates, refused)
	}
	inv := fkTake(t, a, s)
	if diff := cmp.Diff([]string{"apps", "batch", "init-fargate"}, inv.Profiles); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	fkAssertConverged(t, s, opts...)
}

// TestProfileResourceInUseRetried makes EKS refuse profile creates with
// ResourceInUseException while another profile, made outside the plan, is
// CREATING: the create is retried until it succeeds.
func TestProfileResourceInUseRetried(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	a.Proxy.SetDelays(awsproxy.Delays{ProfileCreate: 300 * time.Millisecond})
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	fp, err := eks.NewFromConfig(cfg).DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("init-fargate")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eks.NewFromConfig(cfg).CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("other"),
		PodExecutionRoleArn: fp.FargateProfile.PodExecutionRoleArn, Subnets: fp.FargateProfile.Subnets,
		Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String("other")}}}); err != nil {
		t.Fatal(err)
	}
	s.AddFargateProfile("apps", SelectNamespace("apps"))
	a.Proxy.ResetCounts()
	fkApply(t, s, opts...)
	var refused int
	for _, c := range a.Proxy.Calls() {
		if c.Operation == "CreateFargateProfile" && c.Status != http.StatusOK {
			refused++
		}
	}
	if refused == 0 {
		t.Error("no create was refused; the test did not exercise the retry")
	}
	fkAssertConverged(t, s, opts...)
}

// TestRolePropagation makes EKS refuse new roles for a while, as IAM's
// eventual consistency does: cluster and profile creation retry until the
// roles propagate.
func TestRolePropagation(t *testing.T) {
	a := fkAWS(t)
	a.Proxy.SetDelays(awsproxy.Delays{RolePropagation: 400 * time.Millisecond})
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	refused := map[string]int{}
	for _, c := range a.Proxy.Calls() {
		if c.Service == "eks" && c.Status == http.StatusBadRequest {
			refused[c.Operation]++
		}
	}
	if refused["CreateCluster"] == 0 {
		t.Errorf("CreateCluster was never refused (%v): the test did not exercise propagation", refused)
	}
	fkAssertConverged(t, s, opts...)
}

// TestThrottling throttles 30% of all requests: the SDK's retryer absorbs
// it and the apply converges.
func TestThrottling(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	a.Proxy.AddFault(awsproxy.Fault{Rate: 0.3, Kind: awsproxy.Throttle})
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	fkAssertConverged(t, s, opts...)
	if n := a.Proxy.FaultTotal(); n == 0 {
		t.Error("no request was throttled")
	} else {
		t.Logf("%d of %d requests throttled", n, a.Proxy.Total())
	}
	a.Proxy.ClearFaults()
	if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
		t.Errorf("inventory (-want +got):\n%s", diff)
	}
}

// fkNoOpBudget is the most AWS calls a no-op plan of the walkthrough's AWS
// side may make (1 cluster, 1 profile, 2 roles, 4 subnets, 3 addons): 17
// until plan also listed each role's inline policies (ListRolePolicies, one
// per role), so that permissions put on the roles out of band are pending
// drift; 19 until plan also listed the cluster's add-ons (ListAddons, once),
// to prune those the spec no longer names: EKS offers no other way to learn
// of an add-on the spec does not name (the profiles' listing was there
// already, and the roles' and provider's come from reads IRSA makes anyway).
const fkNoOpBudget = 20

// TestNoOpPlanBudget counts the AWS calls of a plan that changes nothing.
func TestNoOpPlanBudget(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	a.Proxy.ResetCounts()
	fkAssertConverged(t, s, opts...)
	total := a.Proxy.Total()
	var lines []string
	for svc, ops := range a.Proxy.Counts() {
		for op, n := range ops {
			lines = append(lines, fmt.Sprintf("%s %s %d", svc, op, n))
		}
	}
	sort.Strings(lines)
	t.Logf("no-op plan: %d calls:\n%s", total, strings.Join(lines, "\n"))
	if total > fkNoOpBudget {
		t.Errorf("a no-op plan made %d AWS calls; the budget is %d", total, fkNoOpBudget)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, " 1") && !strings.HasPrefix(l, "eks DescribeAddon ") && !strings.HasPrefix(l, "iam ") {
			t.Errorf("read more than once: %s", l)
		}
	}
}

// TestProfileReplace changes a profile's selectors: the plan replaces it
// (create the new one under its deterministic name, then delete the old),
// and a replacement interrupted half-way is finished by the next plan.
func TestProfileReplace(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	s.FargateProfiles[0].Selectors = append(s.FargateProfiles[0].Selectors, SelectNamespace("apps"))
	p := fkPlan(t, s, opts...)
	pending := p.Pending()
	if len(pending) != 1 || pending[0].Action != plan.Replace || !pending[0].Destructive {
		t.Fatalf("want one destructive replace:\n%s", p.Text())
	}
	after := pending[0].After.(profileView)
	if !profileBelongsTo("init-fargate", after.Name) || after.Name == "init-fargate" {
		t.Errorf("replacement name %q", after.Name)
	}
	if err := Apply(context.Background(), p, opts...); err != nil {
		t.Fatal(err)
	}
	if got := fkTake(t, a, s).Profiles; len(got) != 1 || got[0] != after.Name {
		t.Errorf("profiles after replace: %v, want [%s]", got, after.Name)
	}
	fkAssertConverged(t, s, opts...)

	// Half a replacement: the new profile exists, the old one too.
	s.FargateProfiles[0].Selectors = s.FargateProfiles[0].Selectors[:4]
	ctx := context.Background()
	cfg := a.Config(fkRegion)
	old, err := eks.NewFromConfig(cfg).DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String(after.Name)})
	if err != nil {
		t.Fatal(err)
	}
	p = fkPlan(t, s, opts...)
	next := p.Pending()[0].After.(profileView).Name
	var sels []ekstypes.FargateProfileSelector
	for _, sel := range s.FargateProfiles[0].Selectors {
		sels = append(sels, ekstypes.FargateProfileSelector{Namespace: aws.String(sel.Namespace)})
	}
	if _, err := eks.NewFromConfig(cfg).CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String(next),
		PodExecutionRoleArn: old.FargateProfile.PodExecutionRoleArn, Subnets: old.FargateProfile.Subnets, Selectors: sels,
		Tags: map[string]string{OwnerTag: s.Name, "env": "walkthrough"}}); err != nil { // as the interrupted apply made it (tags included: other tags are drift)
		t.Fatal(err)
	}
	p = fkPlan(t, s, opts...)
	pending = p.Pending()
	if len(pending) != 1 || pending[0].Action != plan.Delete || !strings.Contains(pending[0].ID, after.Name) {
		t.Fatalf("want the leftover %s deleted:\n%s", after.Name, p.Text())
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatal(err)
	}
	fkAssertConverged(t, s, opts...)
}

// TestImmutableChanges: what can't change in place makes Plan fail with a
// problem that says why.
func TestImmutableChanges(t *testing.T) {
	a := fkAWS(t)
	base := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, base, opts...)
	for _, tc := range []struct {
		name   string
		reason string
		edit   func(s *Spec)
		path   string
		text   string
	}{
		{"service cidr", "the service CIDR is fixed at creation", func(s *Spec) { s.Cluster.ServiceIPv4CIDR = "10.100.0.0/16" }, "spec.cluster.serviceIPv4CIDR", "can't be changed in place"},
		{"encryption off", "envelope encryption can't be turned off", func(s *Spec) { s.Cluster.SecretsKMSKeyARN = "" }, "spec.cluster.secretsKMSKeyARN", "can't be turned off"},
		{"auth mode back", "the mode only moves forward", func(s *Spec) { s.Cluster.AuthenticationMode = access.AuthModeConfigMap }, "spec.cluster.authenticationMode", "only moves forward"},
		{"downgrade", "EKS can't downgrade", func(s *Spec) { s.Cluster.Version = "1.33" }, "spec.cluster.version", "can't downgrade"},
		{"vpc cidr", "a VPC's CIDR is fixed", func(s *Spec) { s.Network.VPC.CIDR = "10.0.0.0/16" }, "spec.network.vpc.cidr", "can't be changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base.Clone()
			tc.edit(s)
			_, err := Plan(context.Background(), s, opts...)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: Plan = %v, want a *ValidationError", tc.reason, err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && strings.Contains(p.Rule, tc.text) {
					return
				}
			}
			t.Errorf("%s: no problem at %s containing %q:\n%v", tc.reason, tc.path, tc.text, err)
		})
	}
	// Upgrades and moving the mode forward are updates.
	s := base.Clone()
	s.Cluster.Version = "1.35"
	s.Cluster.AuthenticationMode = access.AuthModeAPI
	p := fkPlan(t, s, opts...)
	got := map[string]plan.Action{}
	for _, c := range p.Pending() {
		got[c.ID] = c.Action
	}
	want := map[string]plan.Action{"eks.cluster/eks-test/version": plan.Update, "eks.cluster/eks-test/authentication-mode": plan.Update}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("forward changes (-want +got):\n%s", diff)
	}
	if err := Apply(context.Background(), p, opts...); err != nil {
		t.Fatal(err)
	}
	fkAssertConverged(t, s, opts...)
}

// TestUnownedRole: a cluster role made by hand, with the walkthrough's old
// trust policy, is not rewritten without AllowUnowned.
func TestUnownedRole(t *testing.T) {
	a := fkAWS(t)
	ctx := context.Background()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(a.Config(fkRegion)).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("eksClusterRole"), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	s := fkWalkthrough(t, a)
	_, err := Plan(ctx, s, fkOptions(a)...)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not own it") || ve.Problems[0].Path != "spec.clusterRole" {
		t.Fatalf("Plan = %v, want a problem at spec.clusterRole about ownership", err)
	}
	p := fkPlan(t, s, fkOptions(a, func(o *Options) { o.AllowUnowned = true })...)
	for _, c := range p.Pending() {
		if c.ID == "iam.role/eksClusterRole" {
			if c.Action != plan.Update || !c.Destructive || !strings.Contains(c.Summary, "sts:TagSession") {
				t.Errorf("unowned role change: %+v", c)
			}
			return
		}
	}
	t.Errorf("no change of the unowned role:\n%s", p.Text())
}

// TestDestroy tears the walkthrough down, leaves nothing owned behind, and
// can build it again.
func TestDestroy(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	ctx := context.Background()
	p, err := PlanDestroy(ctx, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	n := p.Counts()
	// 19 resources less the two policy attachments, which go with their
	// roles.
	if n[plan.Delete] != 17 {
		t.Errorf("destroy plan: %v, want 17 deletes:\n%s", n, p.Text())
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatalf("apply destroy: %v\n%s", err, p.Text())
	}
	if diff := cmp.Diff(fkInventory{}, fkTake(t, a, s)); diff != "" {
		t.Errorf("after destroy (-want +got):\n%s", diff)
	}
	p, err = PlanDestroy(ctx, s, opts...)
	if err != nil || !p.Empty() {
		t.Fatalf("second destroy plan: %v\n%s", err, p.Text())
	}
	fkApply(t, s, opts...)
	fkAssertConverged(t, s, opts...)
}

// TestDestroyLeavesUnowned: a role made by hand is left in place.
func TestDestroyLeavesUnowned(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	s.PodExecutionRole = RoleSpec{ARN: "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"}
	ctx := context.Background()
	trust, _ := iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Region: fkRegion, AccountID: envtest.AccountID, Cluster: s.Name})
	im := iam.NewFromConfig(a.Config(fkRegion))
	if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole"), AssumeRolePolicyDocument: aws.String(string(trust.JSON()))}); err != nil {
		t.Fatal(err)
	}
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	p, err := PlanDestroy(ctx, s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatal(err)
	}
	if got := fkTake(t, a, s).Roles; !cmp.Equal(got, []string{"AmazonEKSFargatePodExecutionRole"}) {
		t.Errorf("roles after destroy: %v, want the adopted one only", got)
	}
}

// TestAdoptedSubnets adopts subnets made by hand: a profile on a public
// subnet is refused with the field path, and the private ones serve by
// default.
func TestAdoptedSubnets(t *testing.T) {
	a := fkAWS(t)
	ctx := context.Background()
	e := ec2.NewFromConfig(a.Config(fkRegion))
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := vpc.Vpc.VpcId
	igw, _ := e.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if _, err := e.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID}); err != nil {
		t.Fatal(err)
	}
	pubRT, _ := e.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	if _, err := e.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: pubRT.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, az := range []string{"ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1a", "ap-northeast-1c"} {
		sn, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, AvailabilityZone: aws.String(az), CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(sn.Subnet.SubnetId))
		if i < 2 {
			if _, err := e.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: pubRT.RouteTable.RouteTableId, SubnetId: sn.Subnet.SubnetId}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := fkWalkthrough(t, a)
	s.Network = NetworkSpec{SubnetIDs: ids}
	s.FargateProfiles[0].Subnets = []string{ids[0], ids[2]}
	_, err = Plan(ctx, s, fkOptions(a)...)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Plan = %v, want a *ValidationError", err)
	}
	want := Problem{Path: "spec.fargateProfiles[0].subnets[0]",
		Rule: fmt.Sprintf("%s is public (route 0.0.0.0/0 → %s); Fargate profiles need private subnets", ids[0], aws.ToString(igw.InternetGateway.InternetGatewayId)),
		Fix:  "use a subnet whose route table sends 0.0.0.0/0 to a NAT gateway, not an internet gateway"}
	if diff := cmp.Diff([]Problem{want}, ve.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	s.FargateProfiles[0].Subnets = nil
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	fp, err := eks.NewFromConfig(a.Config(fkRegion)).DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("init-fargate")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedCopy(ids[2:]), sortedCopy(fp.FargateProfile.Subnets)); diff != "" {
		t.Errorf("profile subnets (-want +got): the private ones:\n%s", diff)
	}
	fkAssertConverged(t, s, opts...)
}

// TestLiveChecks: versions and KMS keys are checked against the account.
func TestLiveChecks(t *testing.T) {
	a := fkAWS(t)
	for _, tc := range []struct {
		name   string
		reason string
		edit   func(s *Spec)
		path   string
		text   string
	}{
		{"unsupported version", "1.29 is past its support", func(s *Spec) { s.Cluster.Version = "1.29" }, "spec.cluster.version", "no longer supported"},
		{"unknown version", "EKS has no 1.99", func(s *Spec) { s.Cluster.Version = "1.99" }, "spec.cluster.version", "1.35, 1.34, 1.33, 1.32 or 1.31"},
		{"foreign key", "a key of another account needs grants", func(s *Spec) {
			s.Cluster.SecretsKMSKeyARN = "arn:aws:kms:ap-northeast-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "spec.cluster.secretsKMSKeyARN", "kms:CreateGrant"},
		{"missing key", "a key of the account that does not exist", func(s *Spec) {
			s.Cluster.SecretsKMSKeyARN = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "spec.cluster.secretsKMSKeyARN", "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fkWalkthrough(t, a)
			tc.edit(s)
			_, err := Plan(context.Background(), s, fkOptions(a)...)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: Plan = %v, want a *ValidationError", tc.reason, err)
			}
			for _, p := range ve.Problems {
				if p.Path == tc.path && strings.Contains(p.Rule+p.Fix, tc.text) {
					return
				}
			}
			t.Errorf("%s: no problem at %s containing %q:\n%v", tc.reason, tc.path, tc.text, err)
		})
	}
	// Without a version, the newest in standard support.
	s := fkWalkthrough(t, a)
	s.Cluster.Version = ""
	p := fkPlan(t, s, fkOptions(a)...)
	for _, c := range p.Changes {
		if c.ID == "eks.cluster/eks-test" && c.After.(clusterView).Version != "1.35" {
			t.Errorf("default version %s, want 1.35", c.After.(clusterView).Version)
		}
	}
}

// TestOutOfBandRolePermissions: AdministratorAccess attached to the pod
// execution role and an inline policy put on the cluster role behind
// fargatekit's back are pending drift that apply leaves alone without the
// opt-in, and removes with detachUnmanagedPolicies.
func TestOutOfBandRolePermissions(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	fkApply(t, s, opts...)
	ctx := context.Background()
	im := iam.NewFromConfig(a.Config(fkRegion))
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	if _, err := im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole"), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("eksClusterRole"), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"iam.role-inline-policy/eksClusterRole/everything", "iam.role-policy/AmazonEKSFargatePodExecutionRole/arn:aws:iam::aws:policy/AdministratorAccess"}
	pendingIDs := func(p *plan.Plan) (ids []string, blocked int) {
		for _, c := range p.Pending() {
			ids = append(ids, c.ID)
			if c.Blocked != "" {
				blocked++
			}
			if c.Action != plan.Delete || !c.Destructive {
				t.Errorf("%s: %s destructive=%v, want a destructive delete", c.ID, c.Action, c.Destructive)
			}
		}
		slices.Sort(ids)
		return ids, blocked
	}
	p := fkPlan(t, s, opts...)
	ids, blocked := pendingIDs(p)
	if diff := cmp.Diff(wantIDs, ids); diff != "" || blocked != 2 {
		t.Fatalf("plan without the opt-in: %d blocked, pending (-want +got):\n%s\n%s", blocked, diff, p.Text())
	}
	if !strings.Contains(p.Text(), "set spec.podExecutionRole.detachUnmanagedPolicies to remove it") {
		t.Errorf("the plan does not say how to remove it:\n%s", p.Text())
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatal(err)
	}
	if out, err := im.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("AmazonEKSFargatePodExecutionRole")}); err != nil || len(out.AttachedPolicies) != 2 {
		t.Fatalf("apply without the opt-in detached something: %+v %v", out, err)
	}
	s.PodExecutionRole.DetachUnmanagedPolicies = true
	s.ClusterRole.DetachUnmanagedPolicies = true
	p = fkPlan(t, s, opts...)
	if ids, blocked := pendingIDs(p); !slices.Equal(wantIDs, ids) || blocked != 0 {
		t.Fatalf("plan with the opt-in: %v, %d blocked:\n%s", ids, blocked, p.Text())
	}
	if err := Apply(ctx, p, opts...); err != nil {
		t.Fatal(err)
	}
	fkAssertConverged(t, s, opts...)
	if out, err := im.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("eksClusterRole")}); err != nil || len(out.PolicyNames) != 0 {
		t.Errorf("inline policies left: %+v %v", out, err)
	}
}

// TestObserveConcurrencyBound: Plan's observation keeps at most
// Options.Concurrency AWS reads in flight, the Fargate profile reads
// included (they used to start a second semaphore inside the first), with
// every read slowed down so that the reads overlap.
func TestObserveConcurrencyBound(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	fkApply(t, s, fkOptions(a)...)
	remove := a.Proxy.AddFault(awsproxy.Fault{Kind: awsproxy.Latency, Latency: 40 * time.Millisecond})
	defer remove()
	for _, bound := range []int{1, 2, 3} {
		a.Proxy.ResetCounts()
		fkPlan(t, s, fkOptions(a, func(o *Options) { o.Concurrency = bound })...)
		calls := a.Proxy.Calls()
		if len(calls) < 10 {
			t.Fatalf("concurrency %d: only %d calls recorded", bound, len(calls))
		}
		// The most requests the proxy was serving at any one time.
		type edge struct {
			at    time.Time
			delta int
		}
		var edges []edge
		for _, c := range calls {
			edges = append(edges, edge{c.Time, +1}, edge{c.Time.Add(c.Duration), -1})
		}
		sort.Slice(edges, func(i, j int) bool {
			if !edges[i].at.Equal(edges[j].at) {
				return edges[i].at.Before(edges[j].at)
			}
			return edges[i].delta < edges[j].delta // an end before a start at the same instant
		})
		inFlight, most := 0, 0
		for _, e := range edges {
			inFlight += e.delta
			most = max(most, inFlight)
		}
		t.Logf("concurrency %d: %d calls, at most %d in flight", bound, len(calls), most)
		if most > bound {
			t.Errorf("Options.Concurrency %d: %d AWS reads were in flight at once", bound, most)
		}
		if bound > 1 && most < 2 {
			t.Errorf("Options.Concurrency %d: the reads never overlapped (at most %d in flight); the test proves nothing", bound, most)
		}
	}
}
