package envtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// Dummy credentials that every aws.Config from this package carries. moto
// accepts any credentials; the access key maps to moto's default account.
const (
	AccessKeyID     = "AKIAFARGATEKITTEST01"
	SecretAccessKey = "fargatekit-envtest-secret"
	// AccountID is the AWS account that moto reports for the dummy credentials.
	AccountID = "123456789012"
)

// AWSOptions configure StartAWS. The zero value works.
type AWSOptions struct {
	// MotoServer is the moto_server executable. Default: $FARGATEKIT_MOTO_SERVER,
	// else "moto_server" on PATH.
	MotoServer string
	// Env adds environment variables to moto_server, for example
	// "INITIAL_NO_AUTH_ACTION_COUNT=5" to switch on moto's IAM enforcement.
	Env []string
	// StartTimeout bounds the wait for moto_server to answer. Default 60s.
	StartTimeout time.Duration
	// Proxy are options for the proxy in front of moto.
	Proxy []func(*awsproxy.Options)
	// Output receives moto_server's stdout and stderr. Default: discarded.
	Output io.Writer
}

// AWS is a running local AWS: a moto_server process with fargatekit's proxy
// in front of it. Point SDK clients at Endpoint (Config does this).
type AWS struct {
	// Endpoint is the proxy's base URL; every SDK call should go here.
	Endpoint string
	// MotoURL is moto_server's own base URL, for bypassing the proxy.
	MotoURL string
	// Proxy is the proxy in front of moto: fault injection, delays, counters.
	Proxy *awsproxy.Proxy

	cmd      *exec.Cmd
	srv      *http.Server
	ln       net.Listener
	waitErr  chan error
	stopOnce sync.Once
	stopErr  error
}

// ErrMotoNotInstalled is returned (wrapped) when moto_server cannot be found.
var ErrMotoNotInstalled = errors.New(`moto_server not found: install it with pip install "moto[server]" (fargatekit tests use moto 5.2.1), or set FARGATEKIT_MOTO_SERVER to its path`)

// StartAWS starts moto_server on a free loopback port with AWS managed
// policies loaded (MOTO_IAM_LOAD_MANAGED_POLICIES=true), waits until it
// answers, and puts the proxy in front of it. Call Stop when done.
func StartAWS(ctx context.Context, opts ...func(*AWSOptions)) (*AWS, error) {
	var o AWSOptions
	for _, f := range opts {
		f(&o)
	}
	if o.MotoServer == "" {
		o.MotoServer = os.Getenv("FARGATEKIT_MOTO_SERVER")
	}
	if o.MotoServer == "" {
		o.MotoServer = "moto_server"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	bin, err := exec.LookPath(o.MotoServer)
	if err != nil {
		return nil, fmt.Errorf("envtest: %w (%v)", ErrMotoNotInstalled, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("envtest: choose a port for moto_server: %w", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	var tail tailBuffer
	cmd.Stdout = io.MultiWriter(out, &tail)
	cmd.Stderr = io.MultiWriter(out, &tail)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("envtest: start moto_server: %w", err)
	}
	a := &AWS{
		MotoURL: "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:     cmd,
		waitErr: make(chan error, 1),
	}
	go func() { a.waitErr <- cmd.Wait() }()
	if err := a.waitReady(ctx, o.StartTimeout); err != nil {
		a.killMoto()
		return nil, fmt.Errorf("envtest: moto_server on %s: %w; its last output:\n%s", a.MotoURL, err, tail.String())
	}
	p, err := awsproxy.New(a.MotoURL, o.Proxy...)
	if err != nil {
		a.killMoto()
		return nil, fmt.Errorf("envtest: proxy: %w", err)
	}
	a.Proxy = p
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.killMoto()
		return nil, fmt.Errorf("envtest: proxy listener: %w", err)
	}
	a.ln = ln
	a.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	a.Endpoint = "http://" + ln.Addr().String()
	return a, nil
}

// NewAWS starts a local AWS for a test and stops it when the test ends. In
// -short mode the test is skipped, because it needs an external process.
func NewAWS(t testing.TB, opts ...func(*AWSOptions)) *AWS {
	t.Helper()
	if testing.Short() {
		t.Skip("envtest: needs moto_server; skipped in -short mode")
	}
	a, err := StartAWS(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("envtest: stop: %v", err)
		}
	})
	return a
}

func (a *AWS) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.MotoURL+"/moto-api/", nil)
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case err := <-a.waitErr:
			a.waitErr <- err
			return fmt.Errorf("exited before answering: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("no answer within %s: %w", timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// Config returns an aws.Config for region that sends every call through the
// proxy, with static dummy credentials and the SDK's standard retryer.
func (a *AWS) Config(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint:     aws.String(a.Endpoint),
		HTTPClient:       &http.Client{Timeout: 60 * time.Second},
		RetryMaxAttempts: 0, // SDK default
	}
}

// Reset empties moto (POST /moto-api/reset) and the proxy's emulated state,
// delays, faults and counters, so that the next test starts from nothing.
// AWS managed policies are loaded again by moto.
func (a *AWS) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.MotoURL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("envtest: reset moto: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("envtest: reset moto: HTTP %d", resp.StatusCode)
	}
	a.Proxy.Reset()
	return nil
}

// Stop stops the proxy and the moto_server process. It is safe to call more
// than once.
func (a *AWS) Stop() error {
	a.stopOnce.Do(func() {
		if a.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = a.srv.Shutdown(ctx)
			cancel()
		}
		if a.Proxy != nil {
			a.Proxy.Close()
		}
		a.killMoto()
	})
	return a.stopErr
}

func (a *AWS) killMoto() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-a.waitErr:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.waitErr
	}
}

func freePort() (int, error) {
	p, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func unusedFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last few KiB written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - 4096; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
