// Package authwebhook is a test stand-in for aws-iam-authenticator, the
// token authenticator of EKS: an HTTPS token-review webhook that a local
// kube-apiserver (package envtest) calls for every bearer token, so that
// kubectl, client-go and fargatekit can be tested end to end with real EKS
// tokens against the local AWS (moto behind envtest's proxy).
//
// For each TokenReview it decodes a k8s-aws-v1. token into its presigned
// STS GetCallerIdentity URL, checks the URL (allowed host, path,
// Action=GetCallerIdentity, X-Amz-Expires at most 60, x-k8s-aws-id among the
// signed headers, X-Amz-Date within the 15 minutes a token lives), replays it
// (GET, with the header x-k8s-aws-id: <cluster>) against STS, takes the
// caller's ARN from the answer (an assumed-role ARN stands for its role,
// without path), and maps it to a Kubernetes username and groups through the
// aws-auth ConfigMap (read with an admin client) or through EKS access
// entries (ListAccessEntries, DescribeAccessEntry), as the authentication
// mode says. Username templates {{AccountID}}, {{SessionName}},
// {{SessionNameRaw}} and {{AccessKeyID}} are expanded.
//
// Usage: Start a Server, pass APIServerArgs to envtest.KubeOptions.ExtraArgs,
// then SetKube with the started apiserver's admin client.
//
// Out of scope: verifying signatures (moto does not; STS would), access
// policies beyond cluster admin (EKS authorizes them itself; here only groups
// reach RBAC, and AmazonEKSClusterAdminPolicy maps to system:masters), node
// identities, and anything but loopback. moto identifies the caller only from
// an Authorization header, not from a presigned URL's X-Amz-Credential, so by
// default the replay also carries the URL's credential scope in an
// Authorization header (Options.CredentialHeader). envtest/awsproxy adds the
// same header to presigned requests it forwards, so through the proxy the
// option changes nothing; it remains for replaying directly against moto.
package authwebhook

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	authnv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// Authentication modes, as EKS names them.
const (
	ModeConfigMap       = "CONFIG_MAP"
	ModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	ModeAPI             = "API"
)

// AccessEntryReader reads EKS access entries; *eks.Client is one.
type AccessEntryReader interface {
	ListAccessEntries(ctx context.Context, in *eks.ListAccessEntriesInput, optFns ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error)
	DescribeAccessEntry(ctx context.Context, in *eks.DescribeAccessEntryInput, optFns ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	ListAssociatedAccessPolicies(ctx context.Context, in *eks.ListAssociatedAccessPoliciesInput, optFns ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
}

// ClusterAdminGroup is the group an access entry associated with
// AmazonEKSClusterAdminPolicy at cluster scope gets. EKS authorizes access
// policies with its own authorizer; this stand-in has none, so it lets RBAC's
// built-in system:masters binding play that part for the cluster-admin
// policy. Other access policies grant nothing here.
const ClusterAdminGroup = "system:masters"

var _ AccessEntryReader = (*eks.Client)(nil)

// Options configure a Server.
type Options struct {
	// ClusterID is the cluster name: the value of x-k8s-aws-id sent with
	// the replay, and the cluster whose access entries are read. Required.
	ClusterID string
	// AllowedHosts are the hosts (host or host:port) token URLs may point
	// at, for example the envtest proxy's. Default: the global and
	// regional STS hosts (sts[.REGION].amazonaws.com[.cn]).
	AllowedHosts []string
	// AllowHTTP accepts http:// token URLs (the envtest proxy speaks plain
	// HTTP). Real STS URLs are https.
	AllowHTTP bool
	// STSEndpoint, when set ("http://127.0.0.1:port"), replaces the scheme
	// and host of the replayed URL.
	STSEndpoint string
	// Mode is CONFIG_MAP (default: aws-auth), API (access entries) or
	// API_AND_CONFIG_MAP (access entries, then aws-auth).
	Mode string
	// AccessEntries reads access entries in the API modes.
	AccessEntries AccessEntryReader
	// CredentialHeader adds "Authorization: AWS4-HMAC-SHA256
	// Credential=<X-Amz-Credential>, SignedHeaders=…, Signature=…" to the
	// replay, so that moto (which ignores presigned query credentials) sees
	// who signed. envtest/awsproxy now does this itself for every presigned
	// request it forwards, so the option only matters when the tokens'
	// URLs point at moto directly. Default true; turn off against real STS.
	CredentialHeader *bool
	// Now is the clock for token age. Default time.Now.
	Now func() time.Time
	// HTTPClient replays the URLs. Default: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Logger; nil means zap.NewNop().
	Logger *zap.Logger
}

// Review is one TokenReview the server answered.
type Review struct {
	// Authenticated is the answer.
	Authenticated bool
	// ARN is the caller's ARN as STS returned it; CanonicalARN the
	// principal it stands for.
	ARN, CanonicalARN string
	// Username and Groups the caller got.
	Username string
	Groups   []string
	// Reason, when not authenticated.
	Reason string
}

// Server is a running token-review webhook.
type Server struct {
	// URL is the webhook endpoint, https://127.0.0.1:PORT/authenticate.
	URL string
	// CACert is the PEM certificate the server presents (self-signed).
	CACert []byte

	o   Options
	srv *http.Server
	ln  net.Listener

	mu      sync.Mutex
	kube    kubernetes.Interface
	reviews []Review
}

// Start starts the webhook on a free loopback port.
func Start(opts ...func(*Options)) (*Server, error) {
	var o Options
	for _, f := range opts {
		f(&o)
	}
	if o.ClusterID == "" {
		return nil, errors.New("authwebhook: ClusterID is required")
	}
	if o.Mode == "" {
		o.Mode = ModeConfigMap
	}
	switch o.Mode {
	case ModeConfigMap, ModeAPI, ModeAPIAndConfigMap:
	default:
		return nil, fmt.Errorf("authwebhook: unknown mode %q", o.Mode)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.CredentialHeader == nil {
		t := true
		o.CredentialHeader = &t
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, fmt.Errorf("authwebhook: certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("authwebhook: certificate: %w", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("authwebhook: listen: %w", err)
	}
	s := &Server{URL: "https://" + ln.Addr().String() + "/authenticate", CACert: certPEM, o: o, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /authenticate", s.handle)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// New starts a webhook for a test and closes it when the test ends.
func New(t testing.TB, opts ...func(*Options)) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// SetKube gives the server the admin client it reads aws-auth with; until
// then CONFIG_MAP lookups fail.
func (s *Server) SetKube(c kubernetes.Interface) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kube = c
}

// Reviews returns the reviews answered so far, oldest first.
func (s *Server) Reviews() []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Review(nil), s.reviews...)
}

// WriteConfig writes the kubeconfig-format webhook configuration that
// kube-apiserver's --authentication-token-webhook-config-file reads, into
// dir, and returns its path.
func (s *Server) WriteConfig(dir string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = s.URL
	cluster.CertificateAuthorityData = s.CACert
	cfg.Clusters["aws-iam-authenticator"] = cluster
	cfg.AuthInfos["kube-apiserver"] = clientcmdapi.NewAuthInfo()
	ctx := clientcmdapi.NewContext()
	ctx.Cluster, ctx.AuthInfo = "aws-iam-authenticator", "kube-apiserver"
	cfg.Contexts["webhook"] = ctx
	cfg.CurrentContext = "webhook"
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "authwebhook.kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// APIServerArgs writes the webhook configuration into dir and returns the
// kube-apiserver flags that use it: API version v1, and no cache, so that a
// mapping removed from aws-auth takes effect at the next request.
func (s *Server) APIServerArgs(dir string) ([]string, error) {
	path, err := s.WriteConfig(dir)
	if err != nil {
		return nil, err
	}
	return []string{
		"--authentication-token-webhook-config-file=" + path,
		"--authentication-token-webhook-version=v1",
		"--authentication-token-webhook-cache-ttl=0s",
	}, nil
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	var tr authnv1.TokenReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&tr); err != nil {
		http.Error(w, "malformed TokenReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	rev := s.review(r.Context(), tr.Spec.Token)
	s.mu.Lock()
	s.reviews = append(s.reviews, rev)
	s.mu.Unlock()
	s.o.Logger.Info("token review", zap.Bool("authenticated", rev.Authenticated), zap.String("arn", rev.ARN),
		zap.String("username", rev.Username), zap.String("reason", rev.Reason))
	out := authnv1.TokenReview{TypeMeta: tr.TypeMeta}
	if out.APIVersion == "" {
		out.APIVersion, out.Kind = "authentication.k8s.io/v1", "TokenReview"
	}
	out.Status.Authenticated = rev.Authenticated
	if rev.Authenticated {
		out.Status.User = authnv1.UserInfo{Username: rev.Username, Groups: rev.Groups, UID: "aws-iam-authenticator:" + rev.CanonicalARN,
			Extra: map[string]authnv1.ExtraValue{"arn": {rev.ARN}, "canonicalArn": {rev.CanonicalARN}}}
		out.Status.Audiences = tr.Spec.Audiences
	} else {
		out.Status.Error = rev.Reason
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// identity is the caller as STS reports it.
type identity struct {
	arn, canonical, account, userID, session, accessKey string
	isRole                                              bool
}

func (s *Server) review(ctx context.Context, token string) Review {
	id, err := s.verify(ctx, token)
	if err != nil {
		return Review{Reason: err.Error()}
	}
	rev := Review{ARN: id.arn, CanonicalARN: id.canonical}
	user, groups, err := s.mapIdentity(ctx, id)
	if err != nil {
		rev.Reason = err.Error()
		return rev
	}
	rev.Authenticated, rev.Username, rev.Groups = true, user, groups
	return rev
}

// verify checks the token's URL and replays it against STS.
func (s *Server) verify(ctx context.Context, token string) (*identity, error) {
	rest, ok := strings.CutPrefix(token, "k8s-aws-v1.")
	if !ok {
		return nil, errors.New("not an EKS token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("token is not base64url: %w", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("token is not a URL: %w", err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && s.o.AllowHTTP:
	default:
		return nil, fmt.Errorf("token URL scheme %q not allowed", u.Scheme)
	}
	if !s.hostAllowed(u.Host) {
		return nil, fmt.Errorf("token URL host %q is not an allowed STS host", u.Host)
	}
	if u.Path != "/" && u.Path != "" {
		return nil, fmt.Errorf("token URL path %q, want /", u.Path)
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" {
		return nil, fmt.Errorf("token URL action %q, want GetCallerIdentity", q.Get("Action"))
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp <= 0 || exp > 60 {
		return nil, fmt.Errorf("token URL X-Amz-Expires %q, want 1 to 60 seconds", q.Get("X-Amz-Expires"))
	}
	signed := false
	for _, h := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		signed = signed || strings.EqualFold(h, "x-k8s-aws-id")
	}
	if !signed {
		return nil, errors.New("x-k8s-aws-id is not signed")
	}
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return nil, fmt.Errorf("token URL X-Amz-Date: %w", err)
	}
	now := s.o.Now()
	if now.After(date.Add(15*time.Minute)) || date.After(now.Add(5*time.Minute)) {
		return nil, fmt.Errorf("token signed at %s is expired or from the future (now %s)", date.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	replay := *u
	if s.o.STSEndpoint != "" {
		e, err := url.Parse(s.o.STSEndpoint)
		if err != nil {
			return nil, fmt.Errorf("STSEndpoint: %w", err)
		}
		replay.Scheme, replay.Host = e.Scheme, e.Host
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, replay.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-k8s-aws-id", s.o.ClusterID)
	req.Header.Set("Accept", "application/json")
	if *s.o.CredentialHeader {
		req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s",
			q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")))
	}
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("replay GetCallerIdentity: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("replay GetCallerIdentity: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("STS refused the token: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	arn, account, userID, err := parseCallerIdentity(body)
	if err != nil {
		return nil, err
	}
	id := &identity{arn: arn, account: account, userID: userID}
	if cred := strings.SplitN(q.Get("X-Amz-Credential"), "/", 2); len(cred) > 0 {
		id.accessKey = cred[0]
	}
	if err := canonicalize(id); err != nil {
		return nil, err
	}
	return id, nil
}

func (s *Server) hostAllowed(host string) bool {
	if len(s.o.AllowedHosts) == 0 {
		return stsHostRE.MatchString(strings.ToLower(host))
	}
	for _, h := range s.o.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// stsHostRE matches the global and regional STS hosts of the aws, aws-cn
// and aws-us-gov partitions.
var stsHostRE = regexp.MustCompile(`^sts(\.[a-z]{2}(-gov)?-[a-z]+-[0-9])?\.amazonaws\.com(\.cn)?$`)

// parseCallerIdentity reads STS's answer, JSON (Accept: application/json)
// or the query protocol's XML.
func parseCallerIdentity(body []byte) (arn, account, userID string, err error) {
	var j struct {
		GetCallerIdentityResponse struct {
			GetCallerIdentityResult struct {
				Arn, Account, UserId string
			}
		}
	}
	if json.Unmarshal(body, &j) == nil && j.GetCallerIdentityResponse.GetCallerIdentityResult.Arn != "" {
		r := j.GetCallerIdentityResponse.GetCallerIdentityResult
		return r.Arn, r.Account, r.UserId, nil
	}
	var x struct {
		Result struct {
			Arn     string `xml:"Arn"`
			Account string `xml:"Account"`
			UserID  string `xml:"UserId"`
		} `xml:"GetCallerIdentityResult"`
	}
	if err := xml.Unmarshal(body, &x); err != nil || x.Result.Arn == "" {
		return "", "", "", fmt.Errorf("unexpected GetCallerIdentity answer: %.200s", body)
	}
	return x.Result.Arn, x.Result.Account, x.Result.UserID, nil
}

// canonicalize turns an assumed-role ARN into its role's ARN (the path is
// not known, and aws-auth role ARNs carry none) and keeps user ARNs.
func canonicalize(id *identity) error {
	parts := strings.SplitN(id.arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return fmt.Errorf("caller ARN %q is malformed", id.arn)
	}
	partition, service, account, res := parts[1], parts[2], parts[4], parts[5]
	if id.account == "" {
		id.account = account
	}
	switch {
	case service == "sts" && strings.HasPrefix(res, "assumed-role/"):
		seg := strings.Split(res, "/")
		if len(seg) < 3 {
			return fmt.Errorf("caller ARN %q is malformed", id.arn)
		}
		id.canonical = "arn:" + partition + ":iam::" + account + ":role/" + seg[1]
		id.session = seg[len(seg)-1]
		id.isRole = true
	case service == "iam" && strings.HasPrefix(res, "user/"):
		id.canonical = id.arn
	case service == "sts" && strings.HasPrefix(res, "user/"):
		// moto answers unknown keys with arn:aws:sts::ACCOUNT:user/moto.
		id.canonical = "arn:" + partition + ":iam::" + account + ":" + res
	case service == "iam" && res == "root":
		id.canonical = id.arn
	default:
		return fmt.Errorf("caller ARN %q is neither a user nor an assumed role", id.arn)
	}
	return nil
}

// roleWithoutPath drops the path of a role ARN.
func roleWithoutPath(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && strings.HasPrefix(parts[5], "role/") {
		name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
		parts[5] = "role/" + name
		return strings.Join(parts, ":")
	}
	return arn
}

func (s *Server) mapIdentity(ctx context.Context, id *identity) (string, []string, error) {
	if s.o.Mode == ModeAPI || s.o.Mode == ModeAPIAndConfigMap {
		user, groups, found, err := s.fromAccessEntries(ctx, id)
		if err != nil {
			return "", nil, err
		}
		if found {
			return user, groups, nil
		}
		if s.o.Mode == ModeAPI {
			return "", nil, fmt.Errorf("no access entry for %s", id.canonical)
		}
	}
	return s.fromAWSAuth(ctx, id)
}

func (s *Server) fromAccessEntries(ctx context.Context, id *identity) (string, []string, bool, error) {
	if s.o.AccessEntries == nil {
		return "", nil, false, errors.New("authwebhook: no access entry reader configured")
	}
	cluster := s.o.ClusterID
	var next *string
	for {
		out, err := s.o.AccessEntries.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: &cluster, NextToken: next})
		if err != nil {
			return "", nil, false, fmt.Errorf("list access entries: %w", err)
		}
		for _, p := range out.AccessEntries {
			if !strings.EqualFold(roleWithoutPath(p), id.canonical) {
				continue
			}
			d, err := s.o.AccessEntries.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: &cluster, PrincipalArn: &p})
			if err != nil {
				return "", nil, false, fmt.Errorf("describe access entry %s: %w", p, err)
			}
			e := d.AccessEntry
			user := ""
			if e.Username != nil {
				user = *e.Username
			}
			if user == "" {
				user = defaultUsername(id)
			}
			groups := append([]string(nil), e.KubernetesGroups...)
			admin, err := s.clusterAdmin(ctx, p)
			if err != nil {
				return "", nil, false, err
			}
			if admin {
				groups = append(groups, ClusterAdminGroup)
			}
			return expand(user, id), groups, true, nil
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return "", nil, false, nil
		}
		next = out.NextToken
	}
}

// clusterAdmin reports whether the access entry of principal is associated
// with AmazonEKSClusterAdminPolicy at cluster scope.
func (s *Server) clusterAdmin(ctx context.Context, principal string) (bool, error) {
	cluster := s.o.ClusterID
	var next *string
	for {
		out, err := s.o.AccessEntries.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{
			ClusterName: &cluster, PrincipalArn: &principal, NextToken: next})
		if err != nil {
			return false, fmt.Errorf("list access policies of %s: %w", principal, err)
		}
		for _, a := range out.AssociatedAccessPolicies {
			if a.PolicyArn != nil && strings.HasSuffix(*a.PolicyArn, "/AmazonEKSClusterAdminPolicy") &&
				a.AccessScope != nil && a.AccessScope.Type == ekstypes.AccessScopeTypeCluster {
				return true, nil
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return false, nil
		}
		next = out.NextToken
	}
}

// defaultUsername is what EKS gives an access entry without a username.
func defaultUsername(id *identity) string {
	if id.isRole {
		partition := strings.SplitN(id.arn, ":", 3)[1]
		name := id.canonical[strings.LastIndexByte(id.canonical, '/')+1:]
		return "arn:" + partition + ":sts::" + id.account + ":assumed-role/" + name + "/{{SessionName}}"
	}
	return id.canonical
}

type roleMapping struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

type userMapping struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

func (s *Server) fromAWSAuth(ctx context.Context, id *identity) (string, []string, error) {
	s.mu.Lock()
	kube := s.kube
	s.mu.Unlock()
	if kube == nil {
		return "", nil, errors.New("authwebhook: no Kubernetes client yet (SetKube)")
	}
	cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil, fmt.Errorf("%s is not mapped: no aws-auth ConfigMap", id.canonical)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read aws-auth: %w", err)
	}
	if id.isRole {
		var roles []roleMapping
		if err := yaml.Unmarshal([]byte(cm.Data["mapRoles"]), &roles); err != nil {
			return "", nil, fmt.Errorf("aws-auth mapRoles: %w", err)
		}
		for _, r := range roles {
			if strings.EqualFold(roleWithoutPath(r.RoleARN), id.canonical) {
				return expand(r.Username, id), r.Groups, nil
			}
		}
	} else {
		var users []userMapping
		if err := yaml.Unmarshal([]byte(cm.Data["mapUsers"]), &users); err != nil {
			return "", nil, fmt.Errorf("aws-auth mapUsers: %w", err)
		}
		for _, u := range users {
			if strings.EqualFold(u.UserARN, id.canonical) {
				return expand(u.Username, id), u.Groups, nil
			}
		}
	}
	var accounts []string
	if err := yaml.Unmarshal([]byte(cm.Data["mapAccounts"]), &accounts); err != nil {
		return "", nil, fmt.Errorf("aws-auth mapAccounts: %w", err)
	}
	for _, a := range accounts {
		if a == id.account {
			return id.canonical, nil, nil
		}
	}
	return "", nil, fmt.Errorf("%s is not mapped in aws-auth", id.canonical)
}

// expand fills in the username templates of aws-iam-authenticator.
func expand(user string, id *identity) string {
	r := strings.NewReplacer(
		"{{AccountID}}", id.account,
		"{{SessionNameRaw}}", id.session,
		"{{SessionName}}", strings.ReplaceAll(id.session, "@", "-"),
		"{{AccessKeyID}}", id.accessKey,
	)
	return r.Replace(user)
}

// selfSigned makes a self-signed ECDSA certificate for 127.0.0.1 that is
// its own CA.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "fargatekit-authwebhook"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
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
