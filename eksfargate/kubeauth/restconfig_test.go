package kubeauth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
)

// restcfgClock is a fake clock.
type restcfgClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *restcfgClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *restcfgClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// restcfgTokens makes numbered tokens that expire 14 minutes after the
// clock's time, or fails when told to.
type restcfgTokens struct {
	clock *restcfgClock
	mu    sync.Mutex
	n     int
	fail  bool
}

func (s *restcfgTokens) Token(_ context.Context, cluster string) (kubeauth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return kubeauth.Token{}, errors.New("sts unreachable")
	}
	s.n++
	return kubeauth.Token{Value: "k8s-aws-v1." + cluster + "-" + string(rune('0'+s.n)), Expiration: s.clock.Now().Add(14 * time.Minute)}, nil
}

func TestCachedTokenSource(t *testing.T) {
	clock := &restcfgClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	src := &restcfgTokens{clock: clock}
	ts := kubeauth.NewCachedTokenSource(src, "eks-test", func(o *kubeauth.CachedTokenSourceOptions) { o.Now = clock.Now })
	get := func() string {
		t.Helper()
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	steps := []struct {
		advance time.Duration
		fail    bool
		want    string
		wantErr bool
		why     string
	}{
		{0, false, "k8s-aws-v1.eks-test-1", false, "first token"},
		{12 * time.Minute, false, "k8s-aws-v1.eks-test-1", false, "cached until a minute before expiry"},
		{time.Minute, false, "k8s-aws-v1.eks-test-2", false, "refreshed a minute before expiry (13 min)"},
		{13*time.Minute + 30*time.Second, true, "k8s-aws-v1.eks-test-2", false, "refresh fails, old token still valid: keep it"},
		{31 * time.Second, true, "", true, "refresh fails and the old token expired: error, never an expired token"},
		{0, false, "k8s-aws-v1.eks-test-3", false, "STS back: new token"},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		src.mu.Lock()
		src.fail = st.fail
		src.mu.Unlock()
		tok, err := ts.Token()
		if st.wantErr {
			if err == nil {
				t.Errorf("%s: got token %q, want an error", st.why, tok.AccessToken)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.why, err)
		}
		if tok.AccessToken != st.want || tok.TokenType != "Bearer" {
			t.Errorf("%s: got %q, want %q", st.why, tok.AccessToken, st.want)
		}
	}
	// A 401 drops the cached token.
	before := get()
	ts.ResetTokenOlderThan(time.Now().Add(time.Second))
	if after := get(); after == before {
		t.Error("ResetTokenOlderThan did not drop the token")
	}
	if ts.Generated() != 4 {
		t.Errorf("generated %d tokens, want 4", ts.Generated())
	}
}

// TestRESTConfigForCluster: the config carries the cluster's endpoint and CA
// and sends the cached token as a bearer token; a 401 makes the next
// request use a new token.
func TestRESTConfigForCluster(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		n := len(seen)
		mu.Unlock()
		if n == 2 {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"APIVersions","versions":["v1"]}`))
	}))
	defer srv.Close()
	clock := &restcfgClock{t: time.Now()}
	cl := &ekstypes.Cluster{Name: aws.String("eks-test"), Endpoint: aws.String(srv.URL), Status: ekstypes.ClusterStatusActive,
		CertificateAuthority: &ekstypes.Certificate{Data: aws.String(base64.StdEncoding.EncodeToString([]byte("PEM")))}}
	cfg, err := kubeauth.RESTConfigForCluster(context.Background(), aws.Config{}, "", func(o *kubeauth.RESTConfigOptions) {
		o.Cluster, o.Tokens, o.Now = cl, &restcfgTokens{clock: clock}, clock.Now
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != srv.URL || string(cfg.CAData) != "PEM" {
		t.Errorf("host %q CA %q", cfg.Host, cfg.CAData)
	}
	cfg.CAData = nil // plain HTTP test server
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{"Bearer k8s-aws-v1.eks-test-1", "Bearer k8s-aws-v1.eks-test-1", "Bearer k8s-aws-v1.eks-test-2"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers %v, want %v (a 401 drops the token)", seen, want)
	}

	// A cluster that is still CREATING has no endpoint.
	creating := &ekstypes.Cluster{Name: aws.String("eks-test"), Status: ekstypes.ClusterStatusCreating}
	if _, err := kubeauth.RESTConfigForCluster(context.Background(), aws.Config{}, "eks-test", func(o *kubeauth.RESTConfigOptions) { o.Cluster = creating }); err == nil || !strings.Contains(err.Error(), "no endpoint yet (status CREATING)") {
		t.Errorf("CREATING cluster: err = %v", err)
	}
	bad := *cl
	bad.CertificateAuthority = &ekstypes.Certificate{Data: aws.String("%%%")}
	if _, err := kubeauth.RESTConfigForCluster(context.Background(), aws.Config{}, "eks-test", func(o *kubeauth.RESTConfigOptions) { o.Cluster = &bad }); err == nil {
		t.Error("malformed CA data accepted")
	}
}
