package irsa

import (
	"context"
	"crypto/sha1" //nolint:gosec // IAM defines the thumbprint as SHA-1.
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// ThumbprintOptions configure Thumbprint. The zero value works.
type ThumbprintOptions struct {
	// DialContext opens the TCP connection to the issuer. Default: a
	// net.Dialer with a 10 s timeout. Tests point it at an httptest TLS
	// server.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs verify the issuer's certificate chain. Default: the system
	// roots.
	RootCAs *x509.CertPool
	// Timeout bounds the connection and TLS handshake. Default 15 s.
	Timeout time.Duration
}

// Thumbprint returns the thumbprint IAM expects for an OIDC provider: the
// hex-encoded (lower-case) SHA-1 of the certificate at the top of the chain
// the issuer's HTTPS server presents, that is the last certificate it sends,
// normally the top intermediate CA. The chain is verified against RootCAs
// and the issuer's host name first; a chain that does not verify is an
// error, never a thumbprint.
//
// IAM does not need a thumbprint for issuers whose certificates chain to a
// well-known root CA, as EKS issuers do; compute one only when a policy
// requires it (Options.ComputeThumbprint).
func Thumbprint(ctx context.Context, issuerURL string, opts ...func(*ThumbprintOptions)) (string, error) {
	var o ThumbprintOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.DialContext == nil {
		o.DialContext = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	u, err := url.Parse(issuerURL)
	if err != nil {
		return "", fmt.Errorf("irsa: thumbprint: issuer URL: %w", err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("irsa: thumbprint: issuer URL %q is not https://HOST/…", issuerURL)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	addr := net.JoinHostPort(u.Hostname(), port)
	raw, err := o.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("irsa: thumbprint: dial %s: %w", addr, err)
	}
	conn := tls.Client(raw, &tls.Config{ServerName: u.Hostname(), RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12})
	defer conn.Close()
	if err := conn.HandshakeContext(ctx); err != nil {
		return "", fmt.Errorf("irsa: thumbprint: TLS handshake with %s: %w", addr, err)
	}
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("irsa: thumbprint: " + addr + " presented no certificate")
	}
	return certThumbprint(certs[len(certs)-1]), nil
}

// certThumbprint returns the lower-case hex SHA-1 of a certificate's DER form.
func certThumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw) //nolint:gosec // IAM defines the thumbprint as SHA-1.
	return hex.EncodeToString(sum[:])
}
