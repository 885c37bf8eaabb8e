package irsa_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

var pruneIssuerID = regexp.MustCompile(`id/[A-Za-z0-9]+`)

func pruneNormalize(s string) string { return pruneIssuerID.ReplaceAllString(s, "id/ISSUER") }

func allowDestructive(o *irsa.Options) { o.AllowDestructive = true }

// pruneSetup converges two roles, api and worker, in namespace ns and
// annotates api's ServiceAccount with one more annotation of its own.
func pruneSetup(t *testing.T, ns string) (*liveEnv, irsa.ServiceAccountRole, irsa.ServiceAccountRole) {
	t.Helper()
	e := setupLive(t, ns)
	api := irsa.ServiceAccountRole{Namespace: ns, Name: "api", ManagedPolicyARNs: []string{s3ReadOnly},
		InlinePolicies: map[string]string{"sqs": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`}}
	worker := irsa.ServiceAccountRole{Namespace: ns, Name: "worker", ManagedPolicyARNs: []string{s3ReadOnly}}
	e.converge([]irsa.ServiceAccountRole{api, worker})
	if _, err := e.kube.CoreV1().ServiceAccounts(ns).Patch(e.ctx, "api", "application/merge-patch+json",
		[]byte(`{"metadata":{"annotations":{"example.com/team":"payments"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return e, api, worker
}

func (e *liveEnv) roleExists(name string) bool {
	e.t.Helper()
	_, err := e.iam.GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	return err == nil
}

// TestLivePruneRoles drops a role from the spec: the plan removes its
// ServiceAccount's role annotation (keeping the other annotations), then
// deletes the role; both are blocked until AllowDestructive. An untagged
// role that trusts the provider is never pruned, and the provider goes
// only when the plan no longer manages it and no role trusts it.
func TestLivePruneRoles(t *testing.T) {
	const ns = "live-prune"
	e, api, worker := pruneSetup(t, ns)
	apiName := api.EffectiveRoleName("eks-test")
	// A role made by hand that trusts the provider, untagged.
	trust := e.expectedTrust(irsa.ServiceAccountRef{Namespace: ns, Name: "manual"})
	if _, err := e.iam.CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("manual-irsa"), AssumeRolePolicyDocument: aws.String(string(trust.JSON()))}); err != nil {
		t.Fatal(err)
	}
	roles := []irsa.ServiceAccountRole{worker}

	p := e.plan(roles)
	golden(t, "prune_role_plan.txt", pruneNormalize(p.Text()))
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "prune_role_plan.json", pruneNormalize(string(js))+"\n")
	saID, roleID := "k8s.serviceaccount/"+ns+"/api#unannotate", "iam.role/"+apiName+"#prune"
	got := map[string]plan.Change{}
	for _, c := range p.Pending() {
		got[c.ID] = c
	}
	if len(got) != 2 || got[saID].ID == "" || got[roleID].ID == "" {
		t.Fatalf("want the annotation removed and the role deleted, nothing else:\n%s", p.Text())
	}
	for id, c := range got {
		if !strings.HasPrefix(c.Blocked, "pass --allow-destructive") || !c.Destructive {
			t.Errorf("%s: blocked %q destructive %v", id, c.Blocked, c.Destructive)
		}
	}
	if !strings.Contains(strings.Join(got[roleID].DependsOn, " "), saID) {
		t.Errorf("the role delete does not wait for the annotation's removal: %v", got[roleID].DependsOn)
	}
	if err := irsa.Apply(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	if !e.roleExists(apiName) || e.serviceAccount(ns, "api").Annotations[irsa.AnnotationRoleARN] == "" {
		t.Fatal("without AllowDestructive the role or the annotation went")
	}
	if again := e.plan(roles); len(again.Pending()) != 2 {
		t.Fatalf("the blocked prune is not pending any more:\n%s", again.Text())
	}

	e.converge(roles, allowDestructive)
	if e.roleExists(apiName) {
		t.Errorf("role %s not deleted", apiName)
	}
	sa := e.serviceAccount(ns, "api")
	if _, ok := sa.Annotations[irsa.AnnotationRoleARN]; ok || sa.Annotations["example.com/team"] != "payments" {
		t.Errorf("annotations after the prune: %v", sa.Annotations)
	}
	if !e.roleExists(worker.EffectiveRoleName("eks-test")) || !e.roleExists("manual-irsa") {
		t.Error("a role the prune must keep is gone")
	}

	// The provider: kept while the plan manages it, and while a role
	// (the untagged manual-irsa) trusts it.
	noProvider := func(o *irsa.Options) { o.OIDCProvider, o.PruneOIDCProvider = false, true }
	e.converge(nil, allowDestructive, noProvider)
	if e.roleExists(worker.EffectiveRoleName("eks-test")) {
		t.Error("worker not pruned")
	}
	if _, err := e.iam.DeleteRole(e.ctx, &iam.DeleteRoleInput{RoleName: aws.String("manual-irsa")}); err != nil {
		t.Fatal(err)
	}
	p = e.plan(nil, noProvider)
	if ps := p.Pending(); len(ps) != 1 || ps[0].Kind != irsa.KindOIDCProvider || ps[0].Action != plan.Delete || ps[0].Blocked == "" {
		t.Fatalf("want a blocked delete of the provider:\n%s", p.Text())
	}
	if again := e.plan(nil); !again.Empty() {
		t.Fatalf("a plan that manages the provider deletes it:\n%s", again.Text())
	}
	if again := e.plan(nil, func(o *irsa.Options) { o.OIDCProvider = false }); !again.Empty() {
		t.Fatalf("without PruneOIDCProvider an unmanaged provider is deleted:\n%s", again.Text())
	}
	e.converge(nil, allowDestructive, noProvider)
	if _, err := e.iam.GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(ps0Resource(p))}); err == nil {
		t.Error("the provider is still there")
	}
}

func ps0Resource(p *plan.Plan) string { return p.Pending()[0].Resource }

// TestLivePruneCrashAndResume cancels the apply of a role prune at the
// start of each of its changes, then plans and applies again: the
// annotation is removed and the role deleted, each once.
func TestLivePruneCrashAndResume(t *testing.T) {
	for k := 1; k <= 2; k++ {
		t.Run(fmt.Sprintf("cancel-at-%d", k), func(t *testing.T) {
			ns := fmt.Sprintf("live-prune-crash-%d", k)
			e, api, worker := pruneSetup(t, ns)
			roles := []irsa.ServiceAccountRole{worker}
			ctx, cancel := context.WithCancel(e.ctx)
			defer cancel()
			var mu sync.Mutex
			started := 0
			p := e.plan(roles, allowDestructive)
			liveAWS.Proxy.ResetCounts()
			err := irsa.Apply(ctx, p, func(o *plan.Options) {
				o.Concurrency = 1
				o.Progress = func(ev plan.Event) {
					mu.Lock()
					defer mu.Unlock()
					if ev.State == "started" {
						started++
						if started == k {
							cancel()
						}
					}
				}
			})
			if err == nil {
				t.Fatal("the cancelled apply succeeded")
			}
			e.converge(roles, allowDestructive)
			if e.roleExists(api.EffectiveRoleName("eks-test")) {
				t.Error("role not deleted")
			}
			if _, ok := e.serviceAccount(ns, "api").Annotations[irsa.AnnotationRoleARN]; ok {
				t.Error("annotation not removed")
			}
			deletes := 0
			for _, c := range liveAWS.Proxy.Calls() {
				if c.Operation == "DeleteRole" && c.Status == http.StatusOK {
					deletes++
				}
			}
			if deletes != 1 {
				t.Errorf("DeleteRole succeeded %d times, want 1", deletes)
			}
		})
	}
}
