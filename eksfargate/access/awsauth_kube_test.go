package access_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

// awsAuthFargateYAML is the mapRoles entry EKS writes for the Fargate pod
// execution role.
const awsAuthFargateYAML = `- groups:
  - system:bootstrappers
  - system:nodes
  - system:node-proxier
  rolearn: arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole
  username: system:node:{{SessionName}}
`

// awsAuthKube starts a kube-apiserver seeded like a new CONFIG_MAP cluster
// whose aws-auth holds the Fargate pod execution role.
func awsAuthKube(t testing.TB, opts ...func(*envtest.KubeOptions)) *envtest.Kube {
	t.Helper()
	k := envtest.NewKube(t, opts...)
	if err := envtest.Seed(context.Background(), k.Client, envtest.SeedOptions{MapRoles: awsAuthFargateYAML}); err != nil {
		t.Fatal(err)
	}
	return k
}

func awsAuthGet(t testing.TB, c kubernetes.Interface) *corev1.ConfigMap {
	t.Helper()
	cm, err := c.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "aws-auth", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

func awsAuthParsed(t testing.TB, c kubernetes.Interface) *access.AWSAuth {
	t.Helper()
	a, err := access.ParseAWSAuth(awsAuthGet(t, c).Data)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func awsAuthRoleARNs(a *access.AWSAuth) []string {
	var out []string
	for _, r := range a.MapRoles {
		out = append(out, r.RoleARN)
	}
	for _, u := range a.MapUsers {
		out = append(out, u.UserARN)
	}
	sort.Strings(out)
	return out
}

// awsAuthHook is a RoundTripper that calls before for each request first.
type awsAuthHook struct {
	next   http.RoundTripper
	before func(*http.Request)
}

func (h *awsAuthHook) RoundTrip(r *http.Request) (*http.Response, error) {
	h.before(r)
	return h.next.RoundTrip(r)
}

func awsAuthClientWith(t testing.TB, cfg *rest.Config, before func(*http.Request)) kubernetes.Interface {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return &awsAuthHook{next: rt, before: before} }
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestApplyAWSAuthInterleavedWriter makes another writer change aws-auth
// between our read and our write, deterministically: our update gets a
// conflict, reads again, and both edits survive.
func TestApplyAWSAuthInterleavedWriter(t *testing.T) {
	k := awsAuthKube(t)
	ctx := context.Background()
	var once sync.Once
	client := awsAuthClientWith(t, k.Config, func(r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/configmaps/aws-auth") {
			return
		}
		once.Do(func() { // the other writer gets in first
			if _, err := access.ApplyAWSAuth(ctx, k.Client, access.AWSAuthEdit{Upsert: []access.Mapping{
				{ARN: "arn:aws:iam::123456789012:user/other", Username: "other"},
			}}); err != nil {
				t.Errorf("other writer: %v", err)
			}
		})
	})
	res, err := access.ApplyAWSAuth(ctx, client, access.AWSAuthEdit{Upsert: []access.Mapping{
		{ARN: "arn:aws:iam::123456789012:role/dev", Username: "dev", Groups: []string{"devs"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (one conflict, one retry from a fresh read)", res.Attempts)
	}
	got := awsAuthRoleARNs(awsAuthParsed(t, k.Client))
	want := []string{
		"arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
		"arn:aws:iam::123456789012:role/dev",
		"arn:aws:iam::123456789012:user/other",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("aws-auth holds %v, want %v: a concurrent edit was lost", got, want)
	}
	// The Fargate entry is still byte for byte what EKS wrote.
	if cm := awsAuthGet(t, k.Client); !strings.HasPrefix(cm.Data["mapRoles"], awsAuthFargateYAML) {
		t.Errorf("Fargate entry changed:\n%s", cm.Data["mapRoles"])
	}
}

// TestApplyAWSAuthConcurrentWriters runs two writers at once, 50 times,
// each adding its own mapping: both always survive, next to the Fargate
// pod execution role's.
func TestApplyAWSAuthConcurrentWriters(t *testing.T) {
	k := awsAuthKube(t)
	ctx := context.Background()
	const iterations = 50
	var conflicts atomic.Int64
	for i := 0; i < iterations; i++ {
		a := access.Mapping{ARN: fmt.Sprintf("arn:aws:iam::123456789012:role/writer-a-%d", i), Username: "a"}
		b := access.Mapping{ARN: fmt.Sprintf("arn:aws:iam::123456789012:user/writer-b-%d", i), Username: "b", Groups: []string{"bs"}}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w, m := range []access.Mapping{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := access.ApplyAWSAuth(ctx, k.Client, access.AWSAuthEdit{Upsert: []access.Mapping{m}})
				if err == nil && res.Attempts > 1 {
					conflicts.Add(int64(res.Attempts - 1))
				}
				errs[w] = err
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("iteration %d: %v", i, err)
		}
		got := awsAuthParsed(t, k.Client)
		arns := map[string]bool{}
		for _, x := range awsAuthRoleARNs(got) {
			arns[x] = true
		}
		for _, want := range []string{a.ARN, b.ARN, "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"} {
			if !arns[want] {
				t.Fatalf("iteration %d: %s lost; aws-auth has %v", i, want, awsAuthRoleARNs(got))
			}
		}
		if n := len(got.MapRoles) + len(got.MapUsers); n != 1+2*(i+1) {
			t.Fatalf("iteration %d: %d entries, want %d (no duplicates, nothing lost)", i, n, 1+2*(i+1))
		}
	}
	t.Logf("%d iterations, %d conflicts retried", iterations, conflicts.Load())
}

// TestApplyAWSAuthMalformed: a malformed live ConfigMap is an error naming
// the key and line, and nothing is written.
func TestApplyAWSAuthMalformed(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	bad := awsAuthFargateYAML + "- rolearn: arn:aws:iam::123456789012:role/x\n  username: [unclosed\n"
	if err := envtest.Seed(ctx, k.Client, envtest.SeedOptions{MapRoles: bad}); err != nil {
		t.Fatal(err)
	}
	before := awsAuthGet(t, k.Client)
	var writes atomic.Int64
	client := awsAuthClientWith(t, k.Config, func(r *http.Request) {
		if r.Method != http.MethodGet {
			writes.Add(1)
		}
	})
	_, err := access.ApplyAWSAuth(ctx, client, access.AWSAuthEdit{Upsert: []access.Mapping{{ARN: "arn:aws:iam::123456789012:role/dev"}}})
	var ae *access.AWSAuthError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want *AWSAuthError", err)
	}
	if ae.Key != "mapRoles" || ae.Line != 8 {
		t.Errorf("error names %s line %d, want mapRoles line 8: %v", ae.Key, ae.Line, err)
	}
	after := awsAuthGet(t, k.Client)
	if after.ResourceVersion != before.ResourceVersion || writes.Load() != 0 {
		t.Errorf("resourceVersion %s → %s, %d writes: a malformed aws-auth must not be written", before.ResourceVersion, after.ResourceVersion, writes.Load())
	}
	// PlanAccess refuses as well, before any change runs.
	spec := awsAuthSpec(access.Mapping{ARN: "arn:aws:iam::123456789012:role/dev"})
	if _, err := access.Plan(ctx, access.Clients{Kube: k.Client}, (spec).AccessTarget(), access.AuthModeConfigMap); !errors.As(err, &ae) {
		t.Errorf("PlanAccess: err = %v, want *AWSAuthError", err)
	}
}

// TestApplyAWSAuthCreatesMissing: a cluster without aws-auth gets one.
func TestApplyAWSAuthCreatesMissing(t *testing.T) {
	k := envtest.NewKube(t)
	ctx := context.Background()
	res, err := access.ApplyAWSAuth(ctx, k.Client, access.AWSAuthEdit{Upsert: []access.Mapping{{ARN: "arn:aws:iam::123456789012:role/dev", Username: "dev"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created {
		t.Error("Created = false for a missing ConfigMap")
	}
	if got := awsAuthRoleARNs(awsAuthParsed(t, k.Client)); len(got) != 1 || got[0] != "arn:aws:iam::123456789012:role/dev" {
		t.Errorf("aws-auth holds %v", got)
	}
	if _, err := access.ApplyAWSAuth(ctx, k.Client, access.AWSAuthEdit{}, func(o *access.AWSAuthOptions) { o.NoCreate = true }); err != nil {
		t.Errorf("existing ConfigMap with NoCreate: %v", err)
	}
}

func awsAuthSpec(m ...access.Mapping) *eksfargate.Spec {
	s := eksfargate.NewSpec("eks-test", "ap-northeast-1")
	s.Cluster.AuthenticationMode = access.AuthModeConfigMap
	s.PodExecutionRole.ARN = "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"
	s.Access.Mappings = m
	return s
}

// TestPlanAccessConfigMap: the plan adds, updates and removes only what
// fargatekit owns; a hand-added entry and the Fargate entry stay; a second
// plan is empty.
func TestPlanAccessConfigMap(t *testing.T) {
	k := awsAuthKube(t)
	ctx := context.Background()
	clients := access.Clients{Kube: k.Client}
	dev := access.Mapping{ARN: "arn:aws:iam::123456789012:role/team/dev", Groups: []string{"devs"}}
	alice := access.Mapping{ARN: "arn:aws:iam::123456789012:user/alice", Username: "alice", Groups: []string{"viewers"}}

	apply := func(spec *eksfargate.Spec, wantAction plan.Action, wantSummary string) {
		t.Helper()
		chs, err := access.Plan(ctx, clients, (spec).AccessTarget(), access.AuthModeConfigMap)
		if err != nil {
			t.Fatal(err)
		}
		if len(chs) != 1 || chs[0].Action != wantAction || !strings.Contains(chs[0].Summary, wantSummary) {
			t.Fatalf("plan = %+v, want one %s change saying %q", chs, wantAction, wantSummary)
		}
		if err := plan.Apply(ctx, &plan.Plan{Changes: chs}); err != nil {
			t.Fatal(err)
		}
	}
	apply(awsAuthSpec(dev, alice), plan.Update, "add arn:aws:iam::123456789012:role/team/dev; add arn:aws:iam::123456789012:user/alice")
	// Someone else adds a mapping by hand.
	cm := awsAuthGet(t, k.Client)
	cm.Data["mapRoles"] += "- rolearn: arn:aws:iam::123456789012:role/by-hand\n  username: by-hand\n"
	if _, err := k.Client.CoreV1().ConfigMaps("kube-system").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	apply(awsAuthSpec(dev), plan.Update, "remove arn:aws:iam::123456789012:user/alice")
	got := awsAuthRoleARNs(awsAuthParsed(t, k.Client))
	want := []string{
		"arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
		"arn:aws:iam::123456789012:role/by-hand",
		"arn:aws:iam::123456789012:role/dev",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("aws-auth holds %v, want %v", got, want)
	}
	chs, err := access.Plan(ctx, clients, (awsAuthSpec(dev)).AccessTarget(), access.AuthModeConfigMap)
	if err != nil {
		t.Fatal(err)
	}
	if p := (&plan.Plan{Changes: chs}); !p.Empty() {
		t.Errorf("second plan is not empty:\n%s", p.Text())
	}
}

// BenchmarkApplyAWSAuth measures one aws-auth update against the local
// apiserver: API requests per update and the p50 latency.
func BenchmarkApplyAWSAuth(b *testing.B) {
	k := awsAuthKube(b)
	ctx := context.Background()
	var requests atomic.Int64
	client := awsAuthClientWith(b, k.Config, func(*http.Request) { requests.Add(1) })
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := access.ApplyAWSAuth(ctx, client, access.AWSAuthEdit{Upsert: []access.Mapping{
			{ARN: "arn:aws:iam::123456789012:role/bench", Username: fmt.Sprintf("bench-%d", i)},
		}}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
