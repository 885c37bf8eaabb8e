package awsproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
)

// IAM's limits on OpenID Connect provider client IDs.
const (
	maxClientIDLen       = 255
	maxClientIDsPerOIDCP = 100
	oidcProviderARNParam = "OpenIDConnectProviderArn"
	oidcRewriteTimeout   = 30 * time.Second
)

// isOIDCClientIDOp reports whether op is one of the client ID operations
// moto lacks and the proxy emulates.
func isOIDCClientIDOp(op string) bool {
	return op == "AddClientIDToOpenIDConnectProvider" || op == "RemoveClientIDFromOpenIDConnectProvider"
}

// serveOIDCClientID emulates AddClientIDToOpenIDConnectProvider and
// RemoveClientIDFromOpenIDConnectProvider on top of moto: it reads the
// provider and, if its client ID list must change, deletes it and creates it
// again with the same URL, thumbprints and tags. The caller holds the ARN's
// lock, which every IAM request naming the provider takes, so concurrent
// changes are serialised and readers through the proxy never see the
// provider missing.
func (p *Proxy) serveOIDCClientID(w *recorder, r *http.Request, in *request) {
	add := in.operation == "AddClientIDToOpenIDConnectProvider"
	arn := in.form.Get(oidcProviderARNParam)
	clientID, hasClientID := in.form["ClientID"]
	if e := validateOIDCClientIDInput(arn, clientID, hasClientID); e != nil {
		w.fail(in, e)
		return
	}
	id := clientID[0]

	ctx := r.Context()
	client := p.iamClient(ctx, r, in)
	got, err := client.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		p.lookupFailed(w, in, "GetOpenIDConnectProvider", err)
		return
	}
	ids := slices.Clone(got.ClientIDList)
	present := slices.Contains(ids, id)
	switch {
	case add && present, !add && !present:
		// IAM's operations are idempotent: nothing to change.
		w.iamOK(in)
		return
	case add && len(ids) >= maxClientIDsPerOIDCP:
		w.fail(in, &apiError{status: http.StatusConflict, code: "LimitExceeded",
			message: fmt.Sprintf("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDsPerOIDCP)})
		return
	case add:
		ids = append(ids, id)
	default:
		ids = slices.DeleteFunc(ids, func(s string) bool { return s == id })
	}
	var tags []iamtypes.Tag
	pages := iam.NewListOpenIDConnectProviderTagsPaginator(client, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			p.lookupFailed(w, in, "ListOpenIDConnectProviderTags", err)
			return
		}
		tags = append(tags, page.Tags...)
	}

	// From here on the provider is briefly gone from moto: finish even if
	// the caller goes away, so that it is not lost.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oidcRewriteTimeout)
	defer cancel()
	if err := p.recreateOIDCProvider(ctx, client, arn, aws.ToString(got.Url), got.ThumbprintList, ids, tags, got.ClientIDList); err != nil {
		p.lookupFailed(w, in, "re-create the provider", err)
		return
	}
	p.log.Debug("awsproxy: OpenID Connect provider client IDs changed", zap.String("operation", in.operation),
		zap.String("arn", arn), zap.Strings("clientIDs", ids))
	w.iamOK(in)
}

// recreateOIDCProvider replaces the provider at arn by one with the client
// IDs ids. If the new one cannot be created, it creates the old one (with
// the client IDs old) again and returns the error.
func (p *Proxy) recreateOIDCProvider(ctx context.Context, client *iam.Client, arn, providerURL string, thumbprints, ids []string, tags []iamtypes.Tag, old []string) error {
	if !strings.Contains(providerURL, "://") {
		providerURL = "https://" + providerURL // IAM reports the URL without its scheme
	}
	create := func(ids []string) error {
		out, err := client.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url: aws.String(providerURL), ThumbprintList: thumbprints, ClientIDList: ids, Tags: tags,
		})
		if err == nil && aws.ToString(out.OpenIDConnectProviderArn) != arn {
			err = fmt.Errorf("upstream created %s, want %s", aws.ToString(out.OpenIDConnectProviderArn), arn)
		}
		return err
	}
	if _, err := client.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		return err
	}
	err := create(ids)
	if err == nil {
		return nil
	}
	if rerr := create(old); rerr != nil {
		p.log.Error("awsproxy: OpenID Connect provider lost: neither the changed nor the original could be created",
			zap.String("arn", arn), zap.Error(err), zap.NamedError("restore", rerr))
		return errors.Join(err, fmt.Errorf("restore the original provider: %w", rerr))
	}
	return err
}

// validateOIDCClientIDInput checks the parameters as IAM does before it
// looks anything up: missing or out-of-range members are ValidationError,
// an ARN that is not an OpenID Connect provider's is InvalidInput.
func validateOIDCClientIDInput(arn string, clientID []string, hasClientID bool) *apiError {
	var msgs []string
	switch {
	case !hasClientID || len(clientID) == 0:
		msgs = append(msgs, "Value null at 'clientID' failed to satisfy constraint: Member must not be null")
	case len(clientID[0]) < 1:
		msgs = append(msgs, "Value '' at 'clientID' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(clientID[0]) > maxClientIDLen:
		msgs = append(msgs, fmt.Sprintf("Value '%s' at 'clientID' failed to satisfy constraint: Member must have length less than or equal to %d", clientID[0], maxClientIDLen))
	}
	switch {
	case arn == "":
		msgs = append(msgs, "Value null at 'openIDConnectProviderArn' failed to satisfy constraint: Member must not be null")
	case len(arn) < 20:
		msgs = append(msgs, fmt.Sprintf("Value '%s' at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length greater than or equal to 20", arn))
	case len(arn) > 2048:
		msgs = append(msgs, "Value at 'openIDConnectProviderArn' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if len(msgs) > 0 {
		n := strconv.Itoa(len(msgs)) + " validation error"
		if len(msgs) > 1 {
			n += "s"
		}
		return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: n + " detected: " + strings.Join(msgs, "; ")}
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || parts[4] == "" ||
		!strings.HasPrefix(parts[5], "oidc-provider/") || len(parts[5]) == len("oidc-provider/") {
		return &apiError{status: http.StatusBadRequest, code: "InvalidInput", message: "ARN " + arn + " is not valid."}
	}
	return nil
}

// lookupFailed answers with the error of one of the proxy's own IAM calls:
// an IAM error as IAM would have sent it (NoSuchEntity stays a 404), any
// other failure as a 502 from the proxy.
func (p *Proxy) lookupFailed(w *recorder, in *request, what string, err error) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		p.upstreamFailed(w, in, fmt.Errorf("%s: %w", what, err))
		return
	}
	status := http.StatusBadRequest
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 400 {
		status = re.HTTPStatusCode()
	}
	var nse *iamtypes.NoSuchEntityException
	if errors.As(err, &nse) {
		status = http.StatusNotFound
	}
	w.fail(in, &apiError{status: status, code: ae.ErrorCode(), message: ae.ErrorMessage()})
}

// iamOK writes the empty success response of an IAM operation,
// <OpResponse><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>.
func (w *recorder) iamOK(in *request) {
	w.emulated = true
	rid := newUUID()
	var b bytes.Buffer
	b.WriteString("<" + in.operation + `Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">`)
	b.WriteString("<ResponseMetadata><RequestId>" + rid + "</RequestId></ResponseMetadata>")
	b.WriteString("</" + in.operation + "Response>")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", rid)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

// iamClient is an SDK IAM client for the proxy's own calls to moto, signed
// with the proxy's credentials, in the incoming request's moto account.
func (p *Proxy) iamClient(ctx context.Context, r *http.Request, in *request) *iam.Client {
	region := in.region
	if region == "" {
		region = "us-east-1"
	}
	return iam.New(iam.Options{
		Region:       region,
		BaseEndpoint: aws.String(p.upstream.String()),
		Credentials:  p.credentials(ctx, in),
		HTTPClient:   p.client,
		APIOptions:   ownAPIOptions(r),
	})
}

// keyedMutex is a set of mutexes by key, each existing while it is held or
// waited for.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
