package eksfargate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

// fkPruneBase is the walkthrough with two more profiles, apps and batch.
func fkPruneBase(t *testing.T, s *Spec) *Spec {
	t.Helper()
	return s.AddFargateProfile("apps", SelectNamespace("apps")).AddFargateProfile("batch", SelectNamespace("batch"))
}

// fkDrop returns a copy of s without the named profiles and add-ons.
func fkDrop(s *Spec, profiles, addons []string) *Spec {
	c := s.Clone()
	c.FargateProfiles = slices.DeleteFunc(c.FargateProfiles, func(p FargateProfileSpec) bool { return slices.Contains(profiles, p.Name) })
	c.Addons = slices.DeleteFunc(c.Addons, func(a AddonSpec) bool { return slices.Contains(addons, a.Name) })
	return c
}

func fkAllowDestructive(o *Options) { o.AllowDestructive = true }

// fkManualProfile creates a profile outside fargatekit, untagged.
func fkManualProfile(t *testing.T, cfg aws.Config, s *Spec, name, namespace string) {
	t.Helper()
	ctx := context.Background()
	ek := eks.NewFromConfig(cfg)
	fp, err := ek.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String("init-fargate")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ek.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String(name),
		PodExecutionRoleArn: fp.FargateProfile.PodExecutionRoleArn, Subnets: fp.FargateProfile.Subnets,
		Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String(namespace)}}}); err != nil {
		t.Fatal(err)
	}
}

// TestPruneProfilesAndAddons drops two profiles (apps, whose namespace a
// new profile selects, and batch, whose namespace nothing selects any more)
// and the kube-proxy add-on from the spec: the plan deletes them, blocked
// until AllowDestructive; with it, the replacement profile is ACTIVE before
// apps is deleted, profile deletes run one at a time, and an untagged
// profile is never touched.
func TestPruneProfilesAndAddons(t *testing.T) {
	a := fkAWS(t)
	base := fkPruneBase(t, fkWalkthrough(t, a))
	opts := fkOptions(a)
	fkApply(t, base, opts...)
	cfg := a.Config(fkRegion)
	fkManualProfile(t, cfg, base, "manual", "manual")

	s := fkDrop(base, []string{"apps", "batch"}, []string{"kube-proxy"})
	s.AddFargateProfile("apps-v2", SelectNamespace("apps"))

	// Without the opt-in: pending, blocked.
	p := fkPlan(t, s, opts...)
	fkGolden(t, "prune_plan.txt", []byte(fkNormalize(p.Text())))
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fkGolden(t, "prune_plan.json", []byte(fkNormalize(string(js))+"\n"))
	prunes := map[string]plan.Change{}
	for _, c := range p.Pending() {
		if strings.HasSuffix(c.ID, "#prune") {
			prunes[c.ID] = c
		}
	}
	appsID, batchID, proxyID := "eks.fargate-profile/eks-test/apps#prune", "eks.fargate-profile/eks-test/batch#prune", "eks.addon/eks-test/kube-proxy#prune"
	if len(prunes) != 3 || prunes[appsID].ID == "" || prunes[batchID].ID == "" || prunes[proxyID].ID == "" {
		t.Fatalf("want prunes of apps, batch and kube-proxy (and not of the untagged manual):\n%s", p.Text())
	}
	for id, c := range prunes {
		if c.Action != plan.Delete || !c.Destructive || c.Blocked != BlockedDestructive {
			t.Errorf("%s: action %s destructive %v blocked %q", id, c.Action, c.Destructive, c.Blocked)
		}
	}
	if !fkDependsOn(p, appsID, "eks.fargate-profile/eks-test/apps-v2") {
		t.Errorf("the delete of apps does not wait for apps-v2, which now selects its pods")
	}
	if prunes[appsID].Serial == "" || prunes[appsID].Serial != prunes[batchID].Serial {
		t.Errorf("profile deletes are not serialised: %q %q", prunes[appsID].Serial, prunes[batchID].Serial)
	}
	if strings.Contains(prunes[appsID].Summary, "Pending") {
		t.Errorf("apps-v2 selects namespace apps, yet: %s", prunes[appsID].Summary)
	}
	if !strings.Contains(prunes[batchID].Summary, "pods of namespace batch will stay Pending") {
		t.Errorf("no warning for namespace batch: %s", prunes[batchID].Summary)
	}
	if n := p.Summarize(); n.Blocked != 3 || n.Delete != 0 {
		t.Errorf("summary %+v, want 3 blocked, 0 delete", n)
	}
	if err := Apply(context.Background(), p, opts...); err != nil {
		t.Fatal(err)
	}
	if got := fkTake(t, a, s); !cmp.Equal(got.Profiles, []string{"apps", "apps-v2", "batch", "init-fargate", "manual"}) || !slices.Contains(got.Addons, "kube-proxy") {
		t.Fatalf("without AllowDestructive something was deleted: %v %v", got.Profiles, got.Addons)
	}
	if p := fkPlan(t, s, opts...); p.Empty() || len(p.Pending()) != 3 {
		t.Fatalf("the blocked deletes are not pending drift any more:\n%s", p.Text())
	}

	// With the opt-in.
	allow := fkOptions(a, fkAllowDestructive)
	p = fkPlan(t, s, allow...)
	for _, c := range p.Pending() {
		if c.Blocked != "" {
			t.Errorf("%s still blocked with AllowDestructive", c.ID)
		}
	}
	a.Proxy.ResetCounts()
	if err := Apply(context.Background(), p, allow...); err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Proxy.Calls() {
		if c.Operation == "DeleteFargateProfile" && c.Status != http.StatusOK {
			t.Errorf("DeleteFargateProfile refused (%d): profile deletes overlapped", c.Status)
		}
	}
	got := fkTake(t, a, s)
	if diff := cmp.Diff([]string{"apps-v2", "init-fargate", "manual"}, got.Profiles); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"coredns", "vpc-cni"}, got.Addons); diff != "" {
		t.Errorf("addons (-want +got):\n%s", diff)
	}
	fkAssertConverged(t, s, allow...)
	fkAssertConverged(t, s, opts...)
}

// TestPruneApplyOrder checks that the replacement profile is created (and
// ACTIVE) before the profile it replaces is deleted, and that the deletes
// do not overlap.
func TestPruneApplyOrder(t *testing.T) {
	a := fkAWS(t)
	base := fkPruneBase(t, fkWalkthrough(t, a))
	fkApply(t, base, fkOptions(a)...)
	s := fkDrop(base, []string{"apps", "batch"}, nil)
	s.AddFargateProfile("apps-v2", SelectNamespace("apps"))
	var mu sync.Mutex
	var events []string
	running := 0
	overlap := false
	opts := fkOptions(a, fkAllowDestructive, func(o *Options) {
		o.Progress = func(e plan.Event) {
			if e.Change.Kind != KindFargateProfile || (e.State != "started" && e.State != "done") {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e.State+" "+e.Change.ID)
			if e.State == "started" {
				running++
				overlap = overlap || running > 1
			} else {
				running--
			}
		}
	})
	fkApply(t, s, opts...)
	want := []string{
		"started eks.fargate-profile/eks-test/apps-v2", "done eks.fargate-profile/eks-test/apps-v2",
		"started eks.fargate-profile/eks-test/apps#prune", "done eks.fargate-profile/eks-test/apps#prune",
		"started eks.fargate-profile/eks-test/batch#prune", "done eks.fargate-profile/eks-test/batch#prune",
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("apply order (-want +got):\n%s", diff)
	}
	if overlap {
		t.Error("two profile operations ran at once")
	}
	fkAssertConverged(t, s, opts...)
}

// TestPruneKeepsUntagged: a profile and an add-on without the ownership
// tag (or with another cluster's) are never pruned, even with
// AllowDestructive: removing the tag is how a user keeps a resource.
func TestPruneKeepsUntagged(t *testing.T) {
	a := fkAWS(t)
	base := fkPruneBase(t, fkWalkthrough(t, a))
	fkApply(t, base, fkOptions(a)...)
	ctx := context.Background()
	ek := eks.NewFromConfig(a.Config(fkRegion))
	for _, arn := range []string{fkProfileARN(t, ek, base, "batch"), fkAddonARN(t, ek, base, "kube-proxy")} {
		if _, err := ek.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{OwnerTag}}); err != nil {
			t.Fatal(err)
		}
	}
	s := fkDrop(base, []string{"batch"}, []string{"kube-proxy"})
	opts := fkOptions(a, fkAllowDestructive)
	fkAssertConverged(t, s, opts...)
}

func fkProfileARN(t *testing.T, ek *eks.Client, s *Spec, name string) string {
	t.Helper()
	out, err := ek.DescribeFargateProfile(context.Background(), &eks.DescribeFargateProfileInput{ClusterName: aws.String(s.Name), FargateProfileName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.FargateProfile.FargateProfileArn)
}

func fkAddonARN(t *testing.T, ek *eks.Client, s *Spec, name string) string {
	t.Helper()
	out, err := ek.DescribeAddon(context.Background(), &eks.DescribeAddonInput{ClusterName: aws.String(s.Name), AddonName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Addon.AddonArn)
}

// TestPruneCrashAndResume cancels the apply of a prune at the start of
// each prune change in turn, then plans and applies again: everything
// dropped is deleted exactly once, nothing else is.
func TestPruneCrashAndResume(t *testing.T) {
	for k := 1; k <= 3; k++ {
		t.Run(fmt.Sprintf("cancel-at-prune-%d", k), func(t *testing.T) {
			a := fkAWS(t)
			base := fkPruneBase(t, fkWalkthrough(t, a))
			fkApply(t, base, fkOptions(a)...)
			s := fkDrop(base, []string{"apps", "batch"}, []string{"kube-proxy"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			started := 0
			var victim string
			opts := fkOptions(a, fkAllowDestructive, func(o *Options) {
				o.Concurrency = 1
				o.Progress = func(e plan.Event) {
					mu.Lock()
					defer mu.Unlock()
					if e.State == "started" && strings.HasSuffix(e.Change.ID, "#prune") {
						started++
						if started == k {
							victim = e.Change.ID
							cancel()
						}
					}
				}
			})
			p := fkPlan(t, s, opts...)
			if n := len(p.Pending()); n != 3 {
				t.Fatalf("want 3 prunes:\n%s", p.Text())
			}
			a.Proxy.ResetCounts()
			if err := Apply(ctx, p, opts...); err == nil {
				t.Fatalf("apply cancelled at %s succeeded", victim)
			}
			resumed := fkOptions(a, fkAllowDestructive)
			for round := 1; ; round++ {
				p := fkPlan(t, s, resumed...)
				if p.Empty() {
					break
				}
				if round > 3 {
					t.Fatalf("not converged after 3 applies:\n%s", p.Text())
				}
				if err := Apply(context.Background(), p, resumed...); err != nil {
					t.Fatalf("apply after cancelling at %s: %v", victim, err)
				}
			}
			deleted := map[string]int{}
			for _, c := range a.Proxy.Calls() {
				if (c.Operation == "DeleteFargateProfile" || c.Operation == "DeleteAddon") && c.Status == http.StatusOK {
					deleted[c.Path]++
				}
			}
			for path, n := range deleted {
				if n != 1 {
					t.Errorf("%s deleted %d times", path, n)
				}
			}
			if len(deleted) != 3 {
				t.Errorf("deletes %v, want 3", deleted)
			}
			want := fkWalkthroughInventory
			want.Addons = []string{"coredns", "vpc-cni"}
			if diff := cmp.Diff(want, fkTake(t, a, s)); diff != "" {
				t.Errorf("after cancelling at %s and resuming, inventory (-want +got):\n%s", victim, diff)
			}
		})
	}
}

// TestPruneIRSAWithClusterSide drops the vpc-cni add-on and IRSA from the
// walkthrough: the add-on is deleted before its role, the role after its
// ServiceAccount's annotation is removed, and the OIDC provider last.
func TestPruneIRSAWithClusterSide(t *testing.T) {
	a := fkAWS(t)
	k := envtest.NewKube(t)
	ctx := context.Background()
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{AuthenticationMode: access.AuthModeAPIAndConfigMap}); err != nil {
		t.Fatal(err)
	}
	base := fkWalkthrough(t, a)
	fkApply(t, base, fkOptions(a, fkWithKube(k.Client))...)
	s := fkDrop(base, nil, []string{"vpc-cni"})
	s.IRSA = IRSASpec{}

	p := fkPlan(t, s, fkOptions(a, fkWithKube(k.Client))...)
	const (
		addonID    = "eks.addon/eks-test/vpc-cni#prune"
		saID       = "k8s.serviceaccount/kube-system/aws-node#unannotate"
		roleID     = "iam.role/eks-test-kube-system-aws-node#prune"
		providerID = "iam.oidc-provider/"
	)
	var provider string
	pending := map[string]plan.Change{}
	for _, c := range p.Pending() {
		pending[c.ID] = c
		if strings.HasPrefix(c.ID, providerID) {
			provider = c.ID
		}
		if c.Blocked == "" {
			t.Errorf("%s is not blocked without AllowDestructive", c.ID)
		}
	}
	if pending[addonID].ID == "" || pending[roleID].ID == "" || pending[saID].ID == "" || provider == "" {
		t.Fatalf("want the add-on, the annotation, the role and the provider pruned:\n%s", p.Text())
	}
	if !fkDependsOn(p, roleID, addonID) || !fkDependsOn(p, roleID, saID) || !fkDependsOn(p, provider, roleID) {
		t.Errorf("prune order: role %v, provider %v", pending[roleID].DependsOn, pending[provider].DependsOn)
	}

	var mu sync.Mutex
	var order []string
	opts := fkOptions(a, fkWithKube(k.Client), fkAllowDestructive, func(o *Options) {
		o.Progress = func(e plan.Event) {
			if e.State == "done" && (strings.HasSuffix(e.Change.ID, "#prune") || strings.HasSuffix(e.Change.ID, "#unannotate")) {
				mu.Lock()
				order = append(order, e.Change.ID)
				mu.Unlock()
			}
		}
	})
	fkApply(t, s, opts...)
	pos := func(id string) int { return slices.Index(order, id) }
	if pos(addonID) < 0 || pos(saID) < 0 || pos(roleID) < pos(addonID) || pos(roleID) < pos(saID) || pos(provider) < pos(roleID) {
		t.Errorf("done order %v", order)
	}
	sa, err := k.Client.CoreV1().ServiceAccounts("kube-system").Get(ctx, "aws-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sa.Annotations["eks.amazonaws.com/role-arn"]; ok {
		t.Errorf("aws-node still annotated: %v", sa.Annotations)
	}
	fkAssertConverged(t, s, opts...)
}
