package awsproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/zap"
)

// maxBody bounds the request bodies the proxy buffers.
const maxBody = 64 << 20

// Proxy is an http.Handler that forwards AWS SDK requests to moto_server,
// emulating what moto lacks, and injecting faults and delays. Create it
// with New; it is safe for concurrent use.
type Proxy struct {
	upstream *url.URL
	opts     Options
	log      *zap.Logger
	client   *http.Client
	signer   *v4.Signer
	catalog  *catalog
	oidc     keyedMutex // serialises IAM requests per OpenID Connect provider ARN

	mu          sync.Mutex // guards the fields below
	delays      Delays
	faults      []*faultEntry
	rng         *rand.Rand
	counts      map[string]map[string]int
	faultCounts map[string]map[string]int
	deniedRoles map[string]bool // DenyAssumeRole
	total       int
	faultTotal  int
	calls       []Call

	smu    sync.Mutex // guards st
	st     *state
	gen    uint64 // incremented by Reset; stale timers check it
	closed bool
}

var _ http.Handler = (*Proxy)(nil)

// New returns a proxy that forwards to the moto_server at upstream, such as
// "http://127.0.0.1:5000". It returns an error wrapping ErrInvalidOptions if
// the options are inconsistent.
func New(upstream string, opts ...func(*Options)) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("awsproxy: upstream %q: %w", upstream, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("awsproxy: upstream %q: want an http or https URL with a host", upstream)
	}
	var o Options
	for _, f := range opts {
		f(&o)
	}
	o, err = o.resolve()
	if err != nil {
		return nil, err
	}
	cat, err := newCatalog(o.ClusterVersions, o.Addons)
	if err != nil {
		return nil, err
	}
	client := o.HTTPClient
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil // moto is local; never through an environment proxy
		tr.MaxIdleConnsPerHost = 64
		client = &http.Client{Transport: tr}
	}
	// Never follow redirects: the SDK must see what moto answered.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &Proxy{
		upstream: u,
		opts:     o,
		log:      o.Logger,
		client:   &c,
		signer:   v4.NewSigner(),
		catalog:  cat,
	}
	p.resetLocked()
	return p, nil
}

// resetLocked puts every mutable field back to its initial value. The
// caller holds both locks, or has the only reference.
func (p *Proxy) resetLocked() {
	p.delays = p.opts.Delays
	p.faults = nil
	p.deniedRoles = nil
	seed := uint64(p.opts.Seed)
	p.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p.resetCountsLocked()
	if p.st != nil {
		p.st.stopTimers()
	}
	p.st = newState()
	p.gen++
}

// Reset clears the emulated state (add-ons, access entries, pod identity
// associations, updates, lifecycle timings, role creation times), cancels
// pending delayed deletes, puts the delays back to Options.Delays, removes
// every fault, re-seeds the random source and zeroes the counters. It does
// not touch moto; envtest.AWS.Reset resets both.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.smu.Lock()
	defer p.smu.Unlock()
	p.resetLocked()
}

// Close cancels pending delayed deletes and closes idle upstream
// connections. The proxy must not be used afterwards.
func (p *Proxy) Close() {
	p.smu.Lock()
	p.closed = true
	p.st.stopTimers()
	p.gen++
	p.smu.Unlock()
	p.client.CloseIdleConnections()
}

// SetDelays replaces the delays for requests from now on. Resources already
// in a transitional state keep the delay they started with.
func (p *Proxy) SetDelays(d Delays) {
	p.mu.Lock()
	p.delays = d.clamp()
	p.mu.Unlock()
}

// Delays returns the delays in force.
func (p *Proxy) Delays() Delays {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delays
}

// ServeHTTP handles one SDK request: it counts it, applies latency and
// faults, then answers it from the emulation or forwards it to moto.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "awsproxy: read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	in := identify(r, body)
	p.countRequest(in)
	rec := &recorder{ResponseWriter: w}
	call := Call{Time: start, Service: in.service, Operation: in.operation, Region: in.region, Method: r.Method, Path: r.URL.EscapedPath()}
	defer func() {
		call.Status = rec.status
		call.Duration = time.Since(start)
		p.recordCall(call)
		p.log.Debug("awsproxy: request",
			zap.String("service", in.service), zap.String("operation", in.operation), zap.String("region", in.region),
			zap.Int("status", rec.status), zap.Stringer("fault", call.Fault), zap.Bool("emulated", call.Emulated || rec.emulated),
			zap.Duration("duration", call.Duration))
	}()

	delay, kind := p.pickFaults(in)
	delay += p.opts.Latency
	if !sleep(r.Context(), delay) {
		return
	}
	if kind != 0 {
		call.Fault, call.Emulated = kind, true
		switch kind {
		case Throttle:
			writeError(rec, in, throttleError(in))
		case ServerError:
			writeError(rec, in, serverError(in))
		case Drop:
			dropConnection(w)
		case LostResponse:
			// Do the work, throw the answer away, then drop the line.
			p.dispatch(&recorder{ResponseWriter: discardWriter{h: http.Header{}}}, r, in)
			dropConnection(w)
		}
		return
	}
	p.dispatch(rec, r, in)
	call.Emulated = rec.emulated
}

// dispatch routes a request to the emulation of its service.
func (p *Proxy) dispatch(w *recorder, r *http.Request, in *request) {
	switch in.service {
	case "eks":
		p.serveEKS(w, r, in)
	case "iam":
		p.serveIAM(w, r, in)
	case "sts":
		p.serveSTS(w, r, in)
	default:
		p.pass(w, r, in)
	}
}

// pass forwards a request to moto and copies the answer back.
func (p *Proxy) pass(w *recorder, r *http.Request, in *request) {
	resp, err := p.forward(r.Context(), r, in.body)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return
	}
	resp.write(w)
}

func (p *Proxy) upstreamFailed(w *recorder, in *request, err error) {
	p.log.Debug("awsproxy: upstream failed", zap.String("operation", in.operation), zap.Error(err))
	e := serverError(in)
	e.status = http.StatusBadGateway
	e.message = "awsproxy: upstream: " + err.Error()
	w.fail(in, e)
}

// recorder remembers the status written and whether the proxy answered on
// its own.
type recorder struct {
	http.ResponseWriter
	status   int
	emulated bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// discardWriter is a ResponseWriter that keeps nothing: the answer of a
// LostResponse.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// fail writes an emulated error.
func (r *recorder) fail(in *request, e *apiError) {
	r.emulated = true
	writeError(r, in, e)
}

// json writes an emulated 200 JSON answer.
func (r *recorder) json(v any) {
	r.emulated = true
	writeJSON(r, v)
}

// dropConnection closes the client connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // reset rather than a clean close
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // makes net/http abort the response
}

// sleep waits d or until ctx ends; it reports whether it waited fully.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// upstreamResponse is a fully read answer from moto.
type upstreamResponse struct {
	status int
	header http.Header
	body   []byte
}

// hopHeaders are not forwarded in either direction.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// forward sends the incoming request, with body, to moto unchanged (apart
// from hop-by-hop headers, Accept-Encoding, so that answers arrive
// uncompressed, and the Authorization header a presigned request gets, see
// presignedAuthorization) and reads the answer.
func (p *Proxy) forward(ctx context.Context, r *http.Request, body []byte) (*upstreamResponse, error) {
	u := *p.upstream
	u.Path = strings.TrimSuffix(p.upstream.Path, "/") + r.URL.Path
	if r.URL.RawPath != "" {
		u.RawPath = strings.TrimSuffix(p.upstream.EscapedPath(), "/") + r.URL.RawPath
	}
	u.RawQuery = r.URL.RawQuery
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	req.Header.Del("Accept-Encoding")
	if auth := presignedAuthorization(r); auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Host = r.Host
	return p.do(req)
}

// presignedAuthorization returns, for a presigned request (its SigV4
// signature in the X-Amz-Credential, X-Amz-SignedHeaders and
// X-Amz-Signature query parameters, no Authorization header), the
// Authorization header carrying the same signature, and "" for any other
// request. moto routes a request to a service, and reads the caller's access
// key, from that header only: without it a presigned STS GetCallerIdentity
// (an EKS token) would be answered by moto's S3 backend.
func presignedAuthorization(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return ""
	}
	q := r.URL.Query()
	cred := q.Get("X-Amz-Credential")
	if cred == "" {
		return ""
	}
	algo := q.Get("X-Amz-Algorithm")
	if algo == "" {
		algo = "AWS4-HMAC-SHA256"
	}
	return algo + " Credential=" + cred + ", SignedHeaders=" + q.Get("X-Amz-SignedHeaders") + ", Signature=" + q.Get("X-Amz-Signature")
}

func (p *Proxy) do(req *http.Request) (*upstreamResponse, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	h := resp.Header.Clone()
	for _, k := range hopHeaders {
		h.Del(k)
	}
	h.Del("Content-Length")
	return &upstreamResponse{status: resp.StatusCode, header: h, body: b}, nil
}

// write copies the answer to w; body replaces the answer's body if non-nil.
func (u *upstreamResponse) write(w http.ResponseWriter) {
	u.writeBody(w, u.body)
}

func (u *upstreamResponse) writeBody(w http.ResponseWriter, body []byte) {
	h := w.Header()
	for k, vs := range u.header {
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(u.status)
	_, _ = w.Write(body)
}

// call sends a request of the proxy's own (a lookup) to moto, signed for
// service in the incoming request's region with the proxy's credentials.
func (p *Proxy) call(ctx context.Context, in *request, r *http.Request, service, method, path string, query url.Values, body []byte) (*upstreamResponse, error) {
	return p.callWith(ctx, in, r, service, method, path, query, "application/json", body)
}

// callForm posts a query-protocol request of the proxy's own to moto.
func (p *Proxy) callForm(r *http.Request, in *request, service, form string) (*upstreamResponse, error) {
	return p.callWith(r.Context(), in, r, service, http.MethodPost, "/", nil, "application/x-www-form-urlencoded; charset=utf-8", []byte(form))
}

func (p *Proxy) callWith(ctx context.Context, in *request, r *http.Request, service, method, path string, query url.Values, contentType string, body []byte) (*upstreamResponse, error) {
	u := *p.upstream
	u.Path = strings.TrimSuffix(p.upstream.Path, "/") + path
	u.RawPath = ""
	if query != nil {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", contentType)
	}
	if v := r.Header.Get("X-Moto-Account-Id"); v != "" {
		req.Header.Set("X-Moto-Account-Id", v)
	}
	creds, err := p.credentials(ctx, in).Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	// Sent and signed, as the SDK's S3 client does: moto (5.2.1) with IAM
	// enforcement on cannot verify a GET signed without it.
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := p.signer.SignHTTP(ctx, creds, req, hash, service, in.region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return p.do(req)
}

// credentials are what the proxy signs its own requests with.
func (p *Proxy) credentials(_ context.Context, in *request) aws.CredentialsProvider {
	if p.opts.Credentials != nil {
		return p.opts.Credentials
	}
	akid := in.accessKey
	if akid == "" {
		akid = "AKIAAWSPROXY00000000"
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: "awsproxy-dummy-secret", Source: "awsproxy"}, nil
	})
}

// ownAPIOptions are the middleware of the proxy's own SDK clients: they
// send and sign X-Amz-Content-Sha256, which moto (5.2.1) with IAM
// enforcement on needs to verify a signature, and carry the incoming
// request's moto account.
func ownAPIOptions(r *http.Request) []func(*middleware.Stack) error {
	opts := []func(*middleware.Stack) error{v4.AddContentSHA256HeaderMiddleware}
	if v := r.Header.Get("X-Moto-Account-Id"); v != "" {
		opts = append(opts, smithyhttp.SetHeaderValue("X-Moto-Account-Id", v))
	}
	return opts
}
