package kubeauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"
)

// Token format and lifetimes, as aws-iam-authenticator and the aws CLI use
// them.
const (
	// TokenPrefix starts every EKS token.
	TokenPrefix = "k8s-aws-v1."
	// TokenClusterHeader is the signed header that binds a token to a
	// cluster.
	TokenClusterHeader = "x-k8s-aws-id"
	// TokenPresignExpires is the X-Amz-Expires of the presigned URL, in
	// seconds.
	TokenPresignExpires = 60
	// TokenValidity is how long the authenticator accepts a token after it
	// was signed.
	TokenValidity = 15 * time.Minute
	// TokenExpiration is the expiration announced to clients: a minute
	// before the authenticator stops accepting the token, like the CLI.
	TokenExpiration = 14 * time.Minute
)

// Token is a bearer token for an EKS cluster.
type Token struct {
	// Value is "k8s-aws-v1." followed by the base64url (no padding) of a
	// presigned STS GetCallerIdentity URL.
	Value string
	// Expiration is when clients should get a new token.
	Expiration time.Time
}

// TokenOptions configure a TokenGenerator. The zero value works.
type TokenOptions struct {
	// RoleARN, when set, is assumed (sts:AssumeRole) and the token is signed
	// with the role's credentials.
	RoleARN string
	// SessionName of the assumed role. Default "fargatekit-token".
	SessionName string
	// Now is the clock: the signing time and so the expiration. Default
	// time.Now.
	Now func() time.Time
	// STSOptions are applied to the STS client.
	STSOptions []func(*sts.Options)
}

// TokenGenerator makes EKS tokens from an aws.Config.
type TokenGenerator struct {
	presign *sts.PresignClient
	now     func() time.Time
}

// NewTokenGenerator returns a generator that signs with cfg's credentials
// (or those of TokenOptions.RoleARN) against the regional STS endpoint of
// cfg.Region, or cfg.BaseEndpoint when set.
func NewTokenGenerator(cfg aws.Config, opts ...func(*TokenOptions)) *TokenGenerator {
	var o TokenOptions
	for _, f := range opts {
		f(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionName == "" {
		o.SessionName = "fargatekit-token"
	}
	if o.RoleARN != "" {
		base := sts.NewFromConfig(cfg, o.STSOptions...)
		cfg = cfg.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(base, o.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = o.SessionName
		}))
	}
	client := sts.NewFromConfig(cfg, o.STSOptions...)
	return &TokenGenerator{
		presign: sts.NewPresignClient(client, func(po *sts.PresignOptions) {
			po.Presigner = tokenPresigner{signer: v4.NewSigner(), now: o.Now}
		}),
		now: o.Now,
	}
}

// tokenPresigner signs at the injected clock's time, so that the token's
// X-Amz-Date and its announced expiration agree.
type tokenPresigner struct {
	signer *v4.Signer
	now    func() time.Time
}

func (p tokenPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.now(), optFns...)
}

// Token returns a token for cluster.
func (g *TokenGenerator) Token(ctx context.Context, cluster string) (Token, error) {
	if cluster == "" {
		return Token{}, errors.New("token: empty cluster name")
	}
	signed := g.now()
	req, err := g.presign.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(po *sts.PresignOptions) {
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions, tokenAddClusterHeader(cluster))
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("token: presign GetCallerIdentity: %w", err)
	}
	return Token{
		Value:      TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: signed.Add(TokenExpiration),
	}, nil
}

// tokenAddClusterHeader adds x-k8s-aws-id and X-Amz-Expires before signing.
func tokenAddClusterHeader(cluster string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("fargatekitEKSToken", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set(TokenClusterHeader, cluster)
				q := req.URL.Query()
				q.Set("X-Amz-Expires", fmt.Sprint(TokenPresignExpires))
				req.URL.RawQuery = q.Encode()
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}

// ExecCredential returns the token as a client.authentication.k8s.io/v1beta1
// ExecCredential, as an exec credential plugin prints it.
func (t Token) ExecCredential() *clientauthv1beta1.ExecCredential {
	exp := metav1.NewTime(t.Expiration.UTC().Truncate(time.Second))
	return &clientauthv1beta1.ExecCredential{
		TypeMeta: metav1.TypeMeta{APIVersion: ExecCredentialAPIVersion, Kind: "ExecCredential"},
		Status: &clientauthv1beta1.ExecCredentialStatus{
			Token:               t.Value,
			ExpirationTimestamp: &exp,
		},
	}
}

// ExecCredentialJSON renders ExecCredential as JSON; expirationTimestamp is
// RFC 3339.
func (t Token) ExecCredentialJSON() ([]byte, error) {
	return json.Marshal(t.ExecCredential())
}

// ParseToken decodes an EKS token into its presigned URL and checks its
// shape: the prefix, base64url without padding, an https URL with
// Action=GetCallerIdentity, X-Amz-Expires, and x-k8s-aws-id among the signed
// headers. It does not check the signature (only STS can). It is pure.
func ParseToken(token string) (*url.URL, error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return nil, fmt.Errorf("token: missing prefix %q", TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("token: not base64url without padding: %w", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("token: not a URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("token: URL %q has no http(s) host", u.Redacted())
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" {
		return nil, fmt.Errorf("token: URL action %q, want GetCallerIdentity", q.Get("Action"))
	}
	if q.Get("X-Amz-Expires") == "" {
		return nil, errors.New("token: URL has no X-Amz-Expires")
	}
	signed := false
	for _, h := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		if strings.EqualFold(h, TokenClusterHeader) {
			signed = true
		}
	}
	if !signed {
		return nil, fmt.Errorf("token: %s is not among the signed headers", TokenClusterHeader)
	}
	return u, nil
}
