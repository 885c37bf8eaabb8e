package kubeauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"golang.org/x/oauth2"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
)

// ClusterDescriber reads a cluster's endpoint and CA.
type ClusterDescriber interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

var _ ClusterDescriber = (*eks.Client)(nil)

// RESTConfigOptions configure RESTConfigForCluster. The zero value works.
type RESTConfigOptions struct {
	// Cluster, when set, is used instead of calling DescribeCluster.
	Cluster *ekstypes.Cluster
	// EKS describes the cluster. Default eks.NewFromConfig(cfg).
	EKS ClusterDescriber
	// Token configures the token generator (role to assume, clock).
	Token []func(*TokenOptions)
	// Tokens, when set, replaces the generator built from cfg and Token.
	Tokens TokenSource
	// Host overrides the API server URL (tests point it at a local
	// apiserver).
	Host string
	// CAData overrides the API server's CA certificate (PEM).
	CAData []byte
	// Now is the clock that decides when a token is refreshed. Default
	// time.Now.
	Now func() time.Time
	// RefreshBefore refreshes a token this long before its announced
	// expiration. Default 1 minute.
	RefreshBefore time.Duration
}

// TokenSource makes tokens for a cluster; *TokenGenerator is one.
type TokenSource interface {
	Token(ctx context.Context, cluster string) (Token, error)
}

var _ TokenSource = (*TokenGenerator)(nil)

// RESTConfigForCluster returns a client-go configuration for an EKS cluster:
// its endpoint and CA from DescribeCluster (or RESTConfigOptions.Cluster),
// and a bearer token from a TokenGenerator, cached and refreshed before it
// expires (through rest.Config.WrapTransport; a 401 also drops the cached
// token). A cluster that is not ACTIVE yet has no endpoint: that is an
// error.
func RESTConfigForCluster(ctx context.Context, cfg aws.Config, cluster string, opts ...func(*RESTConfigOptions)) (*rest.Config, error) {
	var o RESTConfigOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = time.Minute
	}
	c := o.Cluster
	if c == nil && cluster == "" {
		return nil, errors.New("rest config: no cluster name")
	}
	if c == nil {
		if o.EKS == nil {
			o.EKS = eks.NewFromConfig(cfg)
		}
		var err error
		c, err = observe.Cluster(ctx, o.EKS, cluster)
		if err != nil {
			return nil, fmt.Errorf("rest config: describe cluster %s: %w", cluster, err)
		}
		if c == nil {
			return nil, fmt.Errorf("rest config: describe cluster %s: empty answer", cluster)
		}
	}
	if c.Name != nil && cluster == "" {
		cluster = *c.Name
	}
	host, ca := o.Host, o.CAData
	if host == "" {
		host = aws.ToString(c.Endpoint)
		if host == "" {
			return nil, fmt.Errorf("rest config: cluster %s has no endpoint yet (status %s)", cluster, c.Status)
		}
	}
	if ca == nil {
		if c.CertificateAuthority == nil || aws.ToString(c.CertificateAuthority.Data) == "" {
			return nil, fmt.Errorf("rest config: cluster %s has no certificate authority data yet (status %s)", cluster, c.Status)
		}
		var err error
		ca, err = base64.StdEncoding.DecodeString(aws.ToString(c.CertificateAuthority.Data))
		if err != nil {
			return nil, fmt.Errorf("rest config: cluster %s: certificate authority data: %w", cluster, err)
		}
	}
	tokens := o.Tokens
	if tokens == nil {
		tokens = NewTokenGenerator(cfg, o.Token...)
	}
	src := NewCachedTokenSource(tokens, cluster, func(co *CachedTokenSourceOptions) {
		co.Now, co.RefreshBefore = o.Now, o.RefreshBefore
	})
	return &rest.Config{
		Host:            host,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		WrapTransport:   transport.ResettableTokenSourceWrapTransport(src),
	}, nil
}

// CachedTokenSourceOptions configure NewCachedTokenSource.
type CachedTokenSourceOptions struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// RefreshBefore refreshes a token this long before its expiration.
	// Default 1 minute.
	RefreshBefore time.Duration
	// Timeout bounds one token generation. Default 30 seconds.
	Timeout time.Duration
}

// CachedTokenSource is an oauth2.TokenSource (and client-go
// transport.ResettableTokenSource) over a TokenSource for one cluster: it
// keeps the token until RefreshBefore its expiration and makes a new one
// then. An expired token is never handed out: if making a new one fails, the
// error is returned.
type CachedTokenSource struct {
	src     TokenSource
	cluster string
	o       CachedTokenSourceOptions

	mu  sync.Mutex
	tok *Token
	got time.Time // wall clock, compared with the transport's
	n   int
}

var _ transport.ResettableTokenSource = (*CachedTokenSource)(nil)

// NewCachedTokenSource caches src's tokens for cluster.
func NewCachedTokenSource(src TokenSource, cluster string, opts ...func(*CachedTokenSourceOptions)) *CachedTokenSource {
	var o CachedTokenSourceOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RefreshBefore <= 0 {
		o.RefreshBefore = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &CachedTokenSource{src: src, cluster: cluster, o: o}
}

// Token returns the cached token, or a new one when the cached one is due.
func (s *CachedTokenSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	if s.tok == nil || !now.Before(s.tok.Expiration.Add(-s.o.RefreshBefore)) {
		ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout)
		t, err := s.src.Token(ctx, s.cluster)
		cancel()
		if err != nil {
			if s.tok != nil && now.Before(s.tok.Expiration) {
				return restcfgOAuth(*s.tok), nil // still valid: use it, retry next time
			}
			return nil, fmt.Errorf("eks token for %s: %w", s.cluster, err)
		}
		if t.Value == "" {
			return nil, errors.New("eks token: empty token")
		}
		s.tok, s.got = &t, time.Now()
		s.n++
	}
	return restcfgOAuth(*s.tok), nil
}

// Generated counts the tokens made so far.
func (s *CachedTokenSource) Generated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// ResetTokenOlderThan drops the cached token if it was made before t; the
// transport calls it after a 401.
func (s *CachedTokenSource) ResetTokenOlderThan(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.got.Before(t) {
		s.tok = nil
	}
}

func restcfgOAuth(t Token) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.Value, TokenType: "Bearer", Expiry: t.Expiration}
}

// Client returns kube, or, when kube is nil, the client build makes (for a
// cluster whose endpoint exists only once earlier changes ran). what names
// the caller in errors ("access", "coredns"), and field the option to set
// ("access.Clients.Kube").
func Client(ctx context.Context, kube kubernetes.Interface, build func(context.Context) (kubernetes.Interface, error), what, field string) (kubernetes.Interface, error) {
	if kube != nil {
		return kube, nil
	}
	if build != nil {
		k, err := build(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: Kubernetes client: %w", what, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%s: no Kubernetes client (%s)", what, field)
}
