package envtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubernetesVersion is the version of kube-apiserver that the test
// environment builds and runs.
const KubernetesVersion = "v1.37.2"

// Names of the binaries envtest runs, looked up in BinDir.
const (
	APIServerBinary = "kube-apiserver"
	EtcdBinary      = "fk-etcd"
)

// ErrBinariesMissing is returned (wrapped) when kube-apiserver or etcd has not
// been built yet.
var ErrBinariesMissing = errors.New("envtest: kube-apiserver or fk-etcd not built; run `make tools` in the fargatekit repository (about 7 minutes the first time, cached afterwards), or set FARGATEKIT_ENVTEST_BIN to a directory holding kube-apiserver and fk-etcd")

// BinDir is where envtest looks for kube-apiserver and fk-etcd:
// $FARGATEKIT_ENVTEST_BIN when set, otherwise
// <user cache dir>/fargatekit/envtest-<KubernetesVersion>.
func BinDir() string {
	if d := os.Getenv("FARGATEKIT_ENVTEST_BIN"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "fargatekit", "envtest-"+KubernetesVersion)
}

// KubeOptions configure StartKube. The zero value works.
type KubeOptions struct {
	// BinDir holds kube-apiserver and fk-etcd. Default: BinDir().
	BinDir string
	// ExtraArgs are appended to kube-apiserver's command line, for example
	// "--authentication-token-webhook-config-file=…".
	ExtraArgs []string
	// StartTimeout bounds the wait for the apiserver to be ready. Default 60s.
	StartTimeout time.Duration
	// Output receives the processes' output. Default: discarded (the tail is
	// kept for error messages).
	Output io.Writer
}

// Kube is a running kube-apiserver with its etcd, on loopback.
type Kube struct {
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config
	// Client is a clientset built from Config.
	Client kubernetes.Interface
	// Dir holds the certificates, keys and data of this instance.
	Dir string
	// CACert is the PEM CA that signed the serving and client certificates.
	CACert []byte

	caKey    *ecdsa.PrivateKey
	ca       *x509.Certificate
	etcd     *proc
	api      *proc
	stopOnce sync.Once
}

type proc struct {
	cmd  *exec.Cmd
	done chan error
	tail tailBuffer
}

func startProc(bin string, args []string, out io.Writer) (*proc, error) {
	p := &proc{done: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if out == nil {
		out = io.Discard
	}
	p.cmd.Stdout = io.MultiWriter(out, &p.tail)
	p.cmd.Stderr = io.MultiWriter(out, &p.tail)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// StartKube starts etcd and kube-apiserver on free loopback ports, with
// certificates made for this instance, RBAC authorization, and an admin
// client. Call Stop when done.
func StartKube(ctx context.Context, opts ...func(*KubeOptions)) (_ *Kube, err error) {
	var o KubeOptions
	for _, f := range opts {
		f(&o)
	}
	if o.BinDir == "" {
		o.BinDir = BinDir()
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 60 * time.Second
	}
	apiBin := filepath.Join(o.BinDir, APIServerBinary)
	etcdBin := filepath.Join(o.BinDir, EtcdBinary)
	for _, b := range []string{apiBin, etcdBin} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrBinariesMissing, err)
		}
	}
	dir, err := os.MkdirTemp("", "fargatekit-kube-")
	if err != nil {
		return nil, fmt.Errorf("envtest: %w", err)
	}
	k := &Kube{Dir: dir}
	defer func() {
		if err != nil {
			k.Stop()
		}
	}()
	if err := k.writePKI(); err != nil {
		return nil, fmt.Errorf("envtest: certificates: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, fmt.Errorf("envtest: ports: %w", err)
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	k.etcd, err = startProc(etcdBin, []string{
		"-data-dir", filepath.Join(dir, "etcd"),
		"-client-url", etcdURL,
		"-peer-url", "http://127.0.0.1:" + strconv.Itoa(ports[1]),
	}, o.Output)
	if err != nil {
		return nil, fmt.Errorf("envtest: start etcd: %w", err)
	}
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--tls-cert-file=" + filepath.Join(dir, "serving.crt"),
		"--tls-private-key-file=" + filepath.Join(dir, "serving.key"),
		"--client-ca-file=" + filepath.Join(dir, "ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(dir, "sa.key"),
		"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.100.0.0/16",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// Without kube-controller-manager no default ServiceAccount exists, so
		// the ServiceAccount admission plugin would refuse every pod.
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		// The default endpoint reconciler refuses loopback advertise addresses.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "certs"),
	}
	args = append(args, o.ExtraArgs...)
	k.api, err = startProc(apiBin, args, o.Output)
	if err != nil {
		return nil, fmt.Errorf("envtest: start kube-apiserver: %w", err)
	}
	host := "https://127.0.0.1:" + strconv.Itoa(ports[2])
	k.Config = &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   k.CACert,
			CertData: mustRead(filepath.Join(dir, "admin.crt")),
			KeyData:  mustRead(filepath.Join(dir, "admin.key")),
		},
		QPS:   1000,
		Burst: 2000,
	}
	cs, err := kubernetes.NewForConfig(k.Config)
	if err != nil {
		return nil, fmt.Errorf("envtest: clientset: %w", err)
	}
	k.Client = cs
	if err := k.waitReady(ctx, o.StartTimeout); err != nil {
		return nil, err
	}
	return k, nil
}

// NewKube starts a kube-apiserver for a test and stops it when the test ends.
// In -short mode the test is skipped, because it needs external processes.
func NewKube(t testing.TB, opts ...func(*KubeOptions)) *Kube {
	t.Helper()
	if testing.Short() {
		t.Skip("envtest: needs kube-apiserver and etcd; skipped in -short mode")
	}
	k, err := StartKube(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	return k
}

func (k *Kube) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rc := k.Client.Discovery().RESTClient()
	var last error
	for {
		select {
		case err := <-k.api.done:
			k.api.done <- err
			return fmt.Errorf("envtest: kube-apiserver exited: %v; its last output:\n%s", err, k.api.tail.String())
		case err := <-k.etcd.done:
			k.etcd.done <- err
			return fmt.Errorf("envtest: etcd exited: %v; its last output:\n%s", err, k.etcd.tail.String())
		default:
		}
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("envtest: kube-apiserver not ready within %s (last error: %v); its last output:\n%s", timeout, last, k.api.tail.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops kube-apiserver and etcd and removes their files. It is safe to
// call more than once.
func (k *Kube) Stop() {
	k.stopOnce.Do(func() {
		k.api.stop()
		k.etcd.stop()
		if k.Dir != "" {
			_ = os.RemoveAll(k.Dir)
		}
	})
}

// Kubeconfig returns an admin kubeconfig for this apiserver, as clientcmd
// writes it, with the given context name.
func (k *Kube) Kubeconfig(contextName string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: k.Config.Host, CertificateAuthorityData: k.CACert}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{ClientCertificateData: k.Config.CertData, ClientKeyData: k.Config.KeyData}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName}
	cfg.CurrentContext = contextName
	return clientcmd.Write(*cfg)
}

// ClientCertificate issues a client certificate signed by this apiserver's CA
// for user with groups (as x509 organizations), returning PEM cert and key.
// Use it to act as a non-admin user in tests.
func (k *Kube) ClientCertificate(user string, groups ...string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: user, Organization: groups},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.ca, &key.PublicKey, k.caKey)
	if err != nil {
		return nil, nil, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
}

func (k *Kube) writePKI() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "fargatekit-envtest-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	k.ca, err = x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	k.caKey = caKey
	k.CACert = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(filepath.Join(k.Dir, "ca.crt"), k.CACert, 0o600); err != nil {
		return err
	}
	// Serving certificate for 127.0.0.1 and localhost.
	sKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	sTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default.svc"},
	}
	if err := k.writeSigned("serving", sTmpl, sKey); err != nil {
		return err
	}
	aCert, aKey, err := k.ClientCertificate("fargatekit-admin", "system:masters")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "admin.crt"), aCert, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, "admin.key"), aKey, 0o600); err != nil {
		return err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(k.Dir, "sa.key"),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}), 0o600)
}

func (k *Kube) writeSigned(name string, tmpl *x509.Certificate, key *ecdsa.PrivateKey) error {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, k.ca, &key.PublicKey, k.caKey)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(k.Dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(k.Dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func mustRead(path string) []byte {
	b, _ := os.ReadFile(path)
	return b
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
