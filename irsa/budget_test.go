package irsa_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/irsa"
)

// budgetRoles are n roles, each for one ServiceAccount of namespace ns with
// one managed policy.
func budgetRoles(ns string, n int) []irsa.ServiceAccountRole {
	roles := make([]irsa.ServiceAccountRole, n)
	for i := range roles {
		roles[i] = irsa.ServiceAccountRole{Namespace: ns, Name: fmt.Sprintf("sa-%02d", i), ManagedPolicyARNs: []string{s3ReadOnly}}
	}
	return roles
}

// TestLiveNoOpPlanBudget asserts the AWS calls of a plan of 50 roles that
// changes nothing:
//
//	ListRoles                  1  (one page: up to 1000 roles per page)
//	GetRole                   50  (tags and permissions boundary; ListRoles omits them)
//	ListAttachedRolePolicies  50  (out-of-band managed policies)
//	ListRolePolicies          50  (out-of-band inline policies)
//	GetOpenIDConnectProvider   1
//	                         ---
//	                         152  = 3N + 2
//
// and nothing else: no GetRolePolicy (no inline policy declared), no EKS
// call (the cluster is given), no write. On the Kubernetes side it makes one
// request: the LIST of ServiceAccounts across namespaces.
func TestLiveNoOpPlanBudget(t *testing.T) {
	e := setupLive(t, "live-budget")
	roles := budgetRoles("live-budget", 50)
	e.converge(roles)
	// Count the Kubernetes requests too.
	var kubeCalls []string
	var mu sync.Mutex
	cfg := rest.CopyConfig(liveKube.Config)
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			kubeCalls = append(kubeCalls, r.Method+" "+r.URL.Path)
			mu.Unlock()
			return rt.RoundTrip(r)
		})
	}
	e.clients.Kube = kubernetes.NewForConfigOrDie(cfg)
	liveAWS.Proxy.ResetCounts()
	p := e.plan(roles)
	if !p.Empty() {
		t.Fatalf("not a no-op plan:\n%s", p.Text())
	}
	want := map[string]map[string]int{"iam": {
		"ListRoles":                1,
		"GetRole":                  50,
		"ListAttachedRolePolicies": 50,
		"ListRolePolicies":         50,
		"GetOpenIDConnectProvider": 1,
	}}
	if d := cmp.Diff(want, liveAWS.Proxy.Counts()); d != "" {
		t.Errorf("AWS calls of a no-op plan of 50 roles (-want +got):\n%s", d)
	}
	if n := liveAWS.Proxy.Total(); n != 152 {
		t.Errorf("total = %d, want 152", n)
	}
	if d := cmp.Diff([]string{"GET /api/v1/serviceaccounts"}, kubeCalls); d != "" {
		t.Errorf("Kubernetes requests (-want +got):\n%s", d)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkNoOpPlan50 plans 50 roles that are in sync; it reports the AWS
// calls per plan next to time and allocations.
func BenchmarkNoOpPlan50(b *testing.B) {
	e := setupLive(b, "bench-noop")
	roles := budgetRoles("bench-noop", 50)
	p, err := irsa.Plan(e.ctx, e.clients, e.cluster, roles)
	if err != nil {
		b.Fatal(err)
	}
	if err := irsa.Apply(e.ctx, p); err != nil {
		b.Fatal(err)
	}
	liveAWS.Proxy.ResetCounts()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p, err := irsa.Plan(e.ctx, e.clients, e.cluster, roles)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Empty() {
			b.Fatal("not a no-op plan")
		}
		n++
	}
	b.ReportMetric(float64(liveAWS.Proxy.Total())/float64(n), "aws-calls/op")
}

// BenchmarkDiff50 measures the pure diff of 50 roles in sync.
func BenchmarkDiff50(b *testing.B) {
	c := testCluster()
	roles := budgetRoles("apps", 50)
	s := synced(b, c, roles...)
	b.ReportAllocs()
	for b.Loop() {
		res, err := irsa.Diff(irsa.Clients{}, c, roles, s)
		if err != nil || len(res.Changes) != 0 {
			b.Fatal(err, len(res.Changes))
		}
	}
}
