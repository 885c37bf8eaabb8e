package irsa_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // the thumbprint is SHA-1 by definition
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fargatekit/fargatekit/irsa"
)

// testCA is a certificate with its key.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCert(t *testing.T, cn string, parent *testCA, isCA bool, dns ...string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     dns,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{c, key}
}

func sha1Hex(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw) //nolint:gosec
	return hex.EncodeToString(s[:])
}

// issuerServer starts a TLS server presenting chain (leaf first) and returns
// a dialer that sends every connection to it.
func issuerServer(t *testing.T, leaf *testCA, chain ...*testCA) func(ctx context.Context, network, addr string) (net.Conn, error) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	cert := tls.Certificate{Certificate: [][]byte{leaf.cert.Raw}, PrivateKey: leaf.key}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.cert.Raw)
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

func TestThumbprint(t *testing.T) {
	const host = "oidc.eks.ap-northeast-1.amazonaws.com"
	root := newCert(t, "Test Root CA", nil, true)
	inter := newCert(t, "Test Intermediate CA", root, true)
	leaf := newCert(t, host, inter, false, host)
	other := newCert(t, "Other Root", nil, true)
	pool := func(cs ...*testCA) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c.cert)
		}
		return p
	}
	tests := []struct {
		name    string
		chain   []*testCA
		roots   *x509.CertPool
		want    string
		wantErr string
		why     string
	}{
		{"intermediate on top", []*testCA{inter}, pool(root), sha1Hex(inter.cert), "",
			"the server sends leaf and intermediate: the top intermediate CA is the thumbprint, as IAM documents"},
		{"root sent too", []*testCA{inter, root}, pool(root), sha1Hex(root.cert), "",
			"the last certificate presented is the top of the chain"},
		{"untrusted chain", []*testCA{inter}, pool(other), "", "certificate",
			"a chain that does not verify gives no thumbprint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dial := issuerServer(t, leaf, tc.chain...)
			got, err := irsa.Thumbprint(context.Background(), "https://"+host+"/id/EXAMPLE", func(o *irsa.ThumbprintOptions) {
				o.DialContext, o.RootCAs = dial, tc.roots
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q (%s)", err, tc.wantErr, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tc.why)
			}
			if got != tc.want {
				t.Errorf("thumbprint = %s, want %s (%s)", got, tc.want, tc.why)
			}
			if len(got) != 40 {
				t.Errorf("thumbprint %q is not 40 hex digits", got)
			}
		})
	}
	t.Run("wrong host name", func(t *testing.T) {
		dial := issuerServer(t, leaf, inter)
		_, err := irsa.Thumbprint(context.Background(), "https://oidc.example.org/id/X", func(o *irsa.ThumbprintOptions) {
			o.DialContext, o.RootCAs = dial, pool(root)
		})
		if err == nil {
			t.Fatal("a certificate for another host was accepted")
		}
	})
	t.Run("not https", func(t *testing.T) {
		if _, err := irsa.Thumbprint(context.Background(), "http://"+host); err == nil {
			t.Fatal("http issuer accepted")
		}
	})
}
