package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go/middleware"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/envtest/awsproxy"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// scale describes an account to seed.
type scale struct {
	roles    int // roles in the account, IRSA roles included
	clusters int
	profiles int // per cluster
	irsa     int // IRSA ServiceAccounts, each with its own role
}

// seedScale creates the account: a shared network, cluster and pod roles,
// clusters with profiles (API mode, so each has access entries), IRSA roles
// for ServiceAccounts created in kube (if not nil), and filler roles up to
// sc.roles. Roles are created in parallel, 16 at a time.
func seedScale(ctx context.Context, t testing.TB, cfg aws.Config, kube kubernetes.Interface, sc scale) {
	t.Helper()
	st := &stack{cfg: cfg}
	buildNetwork(ctx, t, cfg, st)
	im := iam.NewFromConfig(cfg)
	clusterRole := createRole(ctx, t, im, "scale-cluster", clusterTrust, clusterPolicyARN)
	podRole := createRole(ctx, t, im, "scale-pods", podTrustUnscoped, fargatePolicyARN)
	ek := eks.NewFromConfig(cfg)
	var issuer string
	var mu sync.Mutex
	parallel(sc.clusters, 8, func(i int) {
		name := fmt.Sprintf("scale-%02d", i)
		out, err := ek.CreateCluster(ctx, &eks.CreateClusterInput{
			Name: aws.String(name), RoleArn: aws.String(clusterRole), Version: aws.String(defaultK8sVersion),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: append(append([]string{}, st.private...), st.public...)},
			AccessConfig:       &ekstypes.CreateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi},
		})
		if err != nil {
			t.Errorf("create cluster %s: %v", name, err)
			return
		}
		mu.Lock()
		issuer = aws.ToString(out.Cluster.Identity.Oidc.Issuer)
		mu.Unlock()
		for p := 0; p < sc.profiles; p++ {
			ns := fmt.Sprintf("ns-%d", p)
			if p == 0 {
				ns = "kube-system"
			}
			if _, err := ek.CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{
				ClusterName: aws.String(name), FargateProfileName: aws.String(ns), PodExecutionRoleArn: aws.String(podRole),
				Subnets: st.private, Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String(ns)}},
			}); err != nil {
				t.Errorf("create profile %s/%s: %v", name, ns, err)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	hp := iamtrust.IssuerHostPath(issuer)
	prov := "arn:aws:iam::123456789012:oidc-provider/" + hp
	if _, err := im.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	if kube != nil {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var failed atomic.Int32
	filler := sc.roles - sc.irsa - 2
	parallel(sc.irsa+max(filler, 0), 16, func(i int) {
		if failed.Load() > 0 {
			return
		}
		var name, trust string
		if i < sc.irsa {
			name = fmt.Sprintf("irsa-%04d", i)
			trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + hp + `:sub":"system:serviceaccount:apps:sa-` + fmt.Sprint(i) + `","` + hp + `:aud":"sts.amazonaws.com"}}}]}`
		} else {
			name = fmt.Sprintf("filler-%04d", i)
			trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
		}
		out, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			failed.Add(1)
			t.Errorf("create role %s: %v", name, err)
			return
		}
		if i < sc.irsa && kube != nil {
			if _, err := kube.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("sa-%d", i), Annotations: map[string]string{audit.AnnotationRoleARN: aws.ToString(out.Role.Arn)}}}, metav1.CreateOptions{}); err != nil {
				failed.Add(1)
				t.Errorf("create ServiceAccount %d: %v", i, err)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// callRecorder records every AWS operation the SDK starts (retries are
// below this step), with its input.
type callRecorder struct {
	mu    sync.Mutex
	calls map[string]int // "service:operation input-json" → count
	ops   map[string]int // "service:operation" → count
}

func newCallRecorder() *callRecorder {
	return &callRecorder{calls: map[string]int{}, ops: map[string]int{}}
}

func (r *callRecorder) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("fargatekitRecordCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx)
			b, _ := json.Marshal(in.Parameters)
			r.mu.Lock()
			r.calls[op+" "+string(b)]++
			r.ops[op]++
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (r *callRecorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.ops {
		n += c
	}
	return n
}

// repeated lists the reads made more than once with the same input.
func (r *callRecorder) repeated() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k, n := range r.calls {
		if n > 1 {
			out = append(out, fmt.Sprintf("%d× %s", n, k))
		}
	}
	sort.Strings(out)
	return out
}

func (r *callRecorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for k, n := range r.ops {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// callBudget is the most AWS calls an audit of the seeded account may make:
//
//	1 sts:GetCallerIdentity
//	+ per region: 1 ListClusters page, 1 DescribeClusterVersions page,
//	  3 EC2 reads (subnets, route tables, VPCs; one page each here)
//	+ per cluster: DescribeCluster, ListFargateProfiles, ListAddons,
//	  ListAccessEntries, ListPodIdentityAssociations (5), one
//	  DescribeFargateProfile per profile, and per access entry a
//	  DescribeAccessEntry and, for STANDARD entries, a
//	  ListAssociatedAccessPolicies (at most 2 entries here: the creator's
//	  STANDARD entry and the pod execution role's FARGATE_LINUX entry)
//	+ IAM: GetAccountAuthorizationDetails pages (1000 roles and customer
//	  policies a page; moto answers in one), GetAccountSummary,
//	  ListOpenIDConnectProviders, one GetOpenIDConnectProvider per provider
//	+ per distinct AWS managed policy attached to a wired role (here
//	  AmazonEKSClusterPolicy and AmazonEKSFargatePodExecutionRolePolicy): a
//	  GetPolicy and a GetPolicyVersion.
//
// Nothing grows with the number of roles but the bulk read's pages: the
// permissions of every wired role (cluster, pod execution and 300 IRSA
// roles) come with it, and the other roles of the benchmark cost nothing
// more.
func callBudget(sc scale, providers int) int {
	perCluster := 5 + sc.profiles + 2 + 1
	bulkPages := 1 // moto 5.2.1 answers GetAccountAuthorizationDetails in one page
	awsManaged := 2
	return 1 + 1 + 1 + 3 + sc.clusters*perCluster + bulkPages + 1 + 1 + providers + 2*awsManaged
}

// TestAuditCallBudget audits a mid-sized account and asserts that each AWS
// read happens at most once and that the audit stays within callBudget.
func TestAuditCallBudget(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	sc := scale{roles: 150, clusters: 3, profiles: 3, irsa: 20}
	seedScale(ctx, t, a.Config(region), nil, sc)
	rec := newCallRecorder()
	cfg := a.Config(region)
	cfg.APIOptions = append(cfg.APIOptions, rec.middleware)
	a.Proxy.ResetCounts()
	r, err := audit.Audit(ctx, audit.RegionsTarget(region), func(o *audit.Options) { o.AWS = cfg; o.Kube = noKube })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Clusters) != sc.clusters {
		t.Fatalf("audited %d clusters, want %d", len(r.Clusters), sc.clusters)
	}
	if rep := rec.repeated(); len(rep) > 0 {
		t.Errorf("reads made more than once:\n%s", strings.Join(rep, "\n"))
	}
	budget := callBudget(sc, 1)
	if got := rec.total(); got > budget {
		t.Errorf("%d AWS calls, budget %d: %s", got, budget, rec)
	}
	if got := a.Proxy.Total(); got != rec.total() {
		t.Errorf("the proxy saw %d requests, the SDK started %d: retries?", got, rec.total())
	}
	t.Logf("%d AWS calls (budget %d) for %d roles, %d clusters × %d profiles: %s", rec.total(), budget, sc.roles, sc.clusters, sc.profiles, rec)
}

// heapSampler records the largest HeapInuse seen while it runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func sampleHeap(every time.Duration) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// BenchmarkAudit audits an account of 2,000 roles and 10 clusters of 5
// profiles with 300 IRSA ServiceAccounts, through a proxy that adds 20 ms to
// every AWS call. It reports AWS calls, wall time and peak heap per audit.
// With -short it seeds 200 roles, 2 clusters and 30 ServiceAccounts. It
// starts its own moto (the latency is a proxy option) and kube-apiserver.
func BenchmarkAudit(b *testing.B) {
	sc := scale{roles: 2000, clusters: 10, profiles: 5, irsa: 300}
	if testing.Short() {
		sc = scale{roles: 200, clusters: 2, profiles: 5, irsa: 30}
	}
	ctx := context.Background()
	a, err := envtest.StartAWS(ctx, func(o *envtest.AWSOptions) {
		o.Proxy = append(o.Proxy, func(po *awsproxy.Options) { po.Latency = 20 * time.Millisecond; po.MaxCalls = -1 })
	})
	if err != nil {
		b.Skip(err)
	}
	defer a.Stop()
	kube, err := envtest.StartKube(ctx)
	if err != nil {
		b.Skip(err)
	}
	defer kube.Stop()
	start := time.Now()
	seedScale(ctx, b, a.Config(region), kube.Client, sc)
	b.Logf("seeded %+v in %s", sc, time.Since(start).Round(time.Second))
	opts := func(rec *callRecorder) func(*audit.Options) {
		return func(o *audit.Options) {
			o.AWS = a.Config(region)
			o.AWS.APIOptions = append(o.AWS.APIOptions, rec.middleware)
			o.Kube = kubeFor(kube.Config)
		}
	}
	runtime.GC()
	b.ResetTimer()
	var calls int
	var peak uint64
	for b.Loop() {
		rec := newCallRecorder()
		h := sampleHeap(5 * time.Millisecond)
		r, err := audit.Audit(ctx, audit.RegionsTarget(region), opts(rec))
		p := h.Stop()
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Clusters) != sc.clusters || len(r.Incomplete) > 0 {
			b.Fatalf("audited %d clusters with %d incomplete: %+v", len(r.Clusters), len(r.Incomplete), r.Incomplete)
		}
		if rep := rec.repeated(); len(rep) > 0 {
			b.Fatalf("repeated reads: %v", rep)
		}
		calls = rec.total()
		peak = max(peak, p)
		b.Logf("%d calls: %s", calls, rec)
	}
	b.ReportMetric(float64(calls), "aws-calls/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if budget := callBudget(sc, 1); calls > budget {
		b.Errorf("%d AWS calls, over the budget of %d", calls, budget)
	}
	if peak > 100<<20 {
		b.Errorf("peak heap %.1f MiB, over 100 MiB", float64(peak)/(1<<20))
	}
}
