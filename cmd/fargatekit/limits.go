package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultRequestTimeout bounds one HTTP request to AWS or Kubernetes unless
// --request-timeout says otherwise. Every API call fargatekit makes answers
// in well under a second; long operations are polled, one short request at
// a time.
const defaultRequestTimeout = 30 * time.Second

// registerTimeout adds --timeout (the whole command, with the command's own
// default) and --request-timeout (each HTTP request) to fs. Every command
// that calls AWS or Kubernetes has them; applyConventions enforces them.
func registerTimeout(fs *pflag.FlagSet, def time.Duration) {
	fs.Duration("timeout", def, "give up after this long, waits included (exit 2)")
	fs.Duration("request-timeout", defaultRequestTimeout, "give up on one HTTP request to AWS or Kubernetes after this long (it is then retried)")
}

// applyConventions wraps every command of the tree: the --role-arn and
// --region values are checked first, and a command with --timeout runs
// under that deadline, which reports what it was waiting for when it is
// hit.
func applyConventions(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		applyConventions(c)
	}
	run := cmd.RunE
	if run == nil {
		return
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if err := checkLogFlags(c); err != nil {
			return err
		}
		if err := checkInputFlags(c); err != nil {
			return err
		}
		if c.Flags().Lookup("timeout") == nil {
			return run(c, args)
		}
		return runBounded(c, args, run)
	}
}

// runBounded runs a command under --timeout, with the --request-timeout
// and the record of HTTP requests that loadAWSConfig and the REST configs
// pick up from the context.
func runBounded(c *cobra.Command, args []string, run func(*cobra.Command, []string) error) error {
	timeout, err := c.Flags().GetDuration("timeout")
	if err == nil && timeout <= 0 {
		err = errors.New("want a positive duration such as 10m")
	}
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--timeout: %w", err)}
	}
	request, err := c.Flags().GetDuration("request-timeout")
	if err == nil && request <= 0 {
		err = errors.New("want a positive duration such as 30s")
	}
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("--request-timeout: %w", err)}
	}
	parent := c.Context()
	if parent == nil {
		parent = context.Background()
	}
	l := &callLimits{request: request}
	ctx, cancel := context.WithTimeoutCause(withCallLimits(parent, l), timeout, errCommandTimeout)
	defer cancel()
	c.SetContext(ctx)
	defer c.SetContext(parent)
	err = run(c, args)
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), errCommandTimeout) {
		return &exitError{code: 2, err: l.timedOut(timeout, err)}
	}
	if te := l.requestTimedOut(err); te != nil {
		return &exitError{code: 2, err: te}
	}
	return err
}

// errCommandTimeout is the cause of the --timeout deadline.
var errCommandTimeout = errors.New("--timeout reached")

// callLimits are the per-request bound and the record of requests of one
// command run; runBounded puts them in the context.
type callLimits struct {
	request time.Duration

	mu sync.Mutex
	// cut is the first request that did not complete because of a timeout
	// (the command's deadline or its own).
	cut *call
	// last is the last request that started.
	last *call
	// inflight are the requests sent and not answered yet.
	inflight []*call
}

// call is one HTTP request: what it was for and where it went.
type call struct {
	op   string // "eks:DescribeCluster", "Kubernetes GET /api/v1/namespaces/kube-system/configmaps/aws-auth"
	host string // "eks.us-west-2.amazonaws.com", "127.0.0.1:8443"
	kube bool   // a request to a Kubernetes API server
}

// where says where the endpoint comes from, for the message.
func (c *call) where() string {
	if c.kube {
		return "(kubeconfig or the cluster's endpoint, proxy, network)"
	}
	return "(AWS_ENDPOINT_URL, proxy, network)"
}

func (c *call) String() string {
	if c.host == "" {
		return c.op
	}
	return c.op + " at " + c.host
}

type callLimitsKey struct{}

func withCallLimits(ctx context.Context, l *callLimits) context.Context {
	return context.WithValue(ctx, callLimitsKey{}, l)
}

// callLimitsFrom returns the limits of the command run, or the defaults
// (without a record) outside one.
func callLimitsFrom(ctx context.Context) *callLimits {
	if ctx != nil {
		if l, ok := ctx.Value(callLimitsKey{}).(*callLimits); ok {
			return l
		}
	}
	return &callLimits{request: defaultRequestTimeout}
}

// requestTimeout is the bound of one request.
func (l *callLimits) requestTimeout() time.Duration {
	if l == nil || l.request <= 0 {
		return defaultRequestTimeout
	}
	return l.request
}

// started records a request; done records how it ended.
func (l *callLimits) started(c *call) {
	l.mu.Lock()
	l.last = c
	l.inflight = append(l.inflight, c)
	l.mu.Unlock()
}

func (l *callLimits) done(ctx context.Context, c *call, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.inflight {
		if f == c {
			l.inflight = append(l.inflight[:i], l.inflight[i+1:]...)
			break
		}
	}
	if err != nil && l.cut == nil && (ctx.Err() != nil || isTimeout(err)) {
		l.cut = c
	}
}

// waitedFor is the request a timed-out command was waiting for: the first
// one a timeout cut, else the oldest one still unanswered (such as a
// request that runs on a context of its own, like a credentials refresh).
func (l *callLimits) waitedFor() *call {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cut != nil {
		return l.cut
	}
	if len(l.inflight) > 0 {
		return l.inflight[0]
	}
	return nil
}

// isTimeout says whether err is a timeout of the network or of a context.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &t) && t.Timeout())
}

// awsOperation names the AWS operation of a request's context, in IAM's
// service:Action form; "" outside an SDK call.
func awsOperation(ctx context.Context) string {
	svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	if op == "" {
		return ""
	}
	return awsServicePrefix(svc) + ":" + op
}

// awsServicePrefix turns an SDK service ID ("EKS", "IAM", "EC2") into the
// service prefix of IAM actions ("eks", "iam", "ec2").
func awsServicePrefix(serviceID string) string {
	return strings.ReplaceAll(strings.ToLower(serviceID), " ", "")
}

// recordAWS is a middleware of the SDK's deserialize step (the innermost,
// around the HTTP round trip, after the endpoint is resolved) that records
// each request; addRecorder installs it.
func (l *callLimits) recordAWS() middleware.DeserializeMiddleware {
	return middleware.DeserializeMiddlewareFunc("fargatekitRecordCall", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		rec := &call{op: awsOperation(ctx)}
		if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
			rec.host = req.URL.Host
			if rec.op == "" {
				rec.op = req.Method + " " + req.URL.Path
			}
		}
		l.started(rec)
		out, md, err := next.HandleDeserialize(ctx, in)
		l.done(ctx, rec, err)
		return out, md, err
	})
}

// addRecorder installs recordAWS in a stack (an aws.Config.APIOptions
// entry).
func (l *callLimits) addRecorder(s *middleware.Stack) error {
	return s.Deserialize.Add(l.recordAWS(), middleware.After)
}

// wrapKube returns a rest.Config.WrapTransport that records the requests
// to a Kubernetes API server.
func (l *callLimits) wrapKube(rt http.RoundTripper) http.RoundTripper {
	return kubeRecorder{next: rt, limits: l}
}

type kubeRecorder struct {
	next   http.RoundTripper
	limits *callLimits
}

// RoundTrip sends the request and records it.
func (k kubeRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &call{op: "Kubernetes " + req.Method + " " + req.URL.Path, host: req.URL.Host, kube: true}
	k.limits.started(rec)
	resp, err := k.next.RoundTrip(req)
	k.limits.done(req.Context(), rec, err)
	return resp, err
}

// WrappedRoundTripper lets client-go reach the transport underneath (to
// cancel requests, for one).
func (k kubeRecorder) WrappedRoundTripper() http.RoundTripper { return k.next }

// timedOut is the error of a command that reached --timeout: what it was
// waiting for and where, from the error and the record of requests.
func (l *callLimits) timedOut(timeout time.Duration, err error) error {
	// The request the deadline cut is what the command was waiting for;
	// else the call the error names (a wait between two polls), else the
	// last request sent.
	waited := l.waitedFor()
	l.mu.Lock()
	last := l.last
	l.mu.Unlock()
	if waited == nil {
		waited = describeCall(err)
		if waited != nil && waited.host == "" && last != nil && last.op == waited.op {
			waited.host = last.host
		}
	}
	if waited == nil {
		waited = last
	}
	if waited == nil {
		return fmt.Errorf("timed out after %s (--timeout) before any request was answered: %w; raise --timeout", timeout, err)
	}
	return &timeoutError{
		msg: fmt.Sprintf("timed out after %s (--timeout) waiting for %s: the endpoint did not answer in time; raise --timeout, or check that %s is reachable %s",
			timeout, waited, hostOr(waited.host, "the endpoint"), waited.where()),
		err: err,
	}
}

// requestTimedOut is the error of a command whose request (retried as the
// SDK does) hit --request-timeout every time, or nil when err is not that.
func (l *callLimits) requestTimedOut(err error) error {
	if !isTimeout(err) {
		return nil
	}
	c := l.waitedFor()
	if c == nil {
		c = describeCall(err)
	}
	if c == nil {
		return nil
	}
	return &timeoutError{
		msg: fmt.Sprintf("%s did not answer within %s (--request-timeout), retries included; raise --request-timeout, or check that %s is reachable %s",
			c, l.requestTimeout(), hostOr(c.host, "the endpoint"), c.where()),
		err: err,
	}
}

func hostOr(host, or string) string {
	if host == "" {
		return or
	}
	return host
}

// describeCall finds the operation and the endpoint in an error of the AWS
// SDK or of net/http.
func describeCall(err error) *call {
	c := &call{}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		c.op = awsServicePrefix(oe.ServiceID) + ":" + oe.OperationName
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			c.host = u.Host
			if c.op == "" {
				c.op = ue.Op + " " + u.Path
				// Without an AWS operation, a request to /api or /apis is
				// the Kubernetes API's (the record of it may be gone).
				if u.Path == "/api" || u.Path == "/apis" || strings.HasPrefix(u.Path, "/api/") || strings.HasPrefix(u.Path, "/apis/") {
					c.op, c.kube = "Kubernetes "+strings.ToUpper(ue.Op)+" "+u.Path, true
				}
			}
		}
	}
	if c.op == "" {
		return nil
	}
	return c
}

// timeoutError says what a command was waiting for when it gave up; the
// underlying error stays reachable with errors.Unwrap.
type timeoutError struct {
	msg string
	err error
}

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Unwrap() error { return e.err }
