package awsproxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// BenchmarkProxyOverhead measures what the proxy adds to a request: compare
// the direct and proxy sub-benchmarks. "upstream" uses a trivial in-process
// upstream, so the difference is the proxy's own cost; "moto" uses
// moto_server and the SDK, as tests do.
func BenchmarkProxyOverhead(b *testing.B) {
	const answer = `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/bench</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, answer)
	}))
	defer upstream.Close()
	p, err := awsproxy.New(upstream.URL, awsproxy.WithLogger(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	proxy := httptest.NewServer(p)
	defer proxy.Close()

	raw := func(base string) func(b *testing.B) {
		return func(b *testing.B) {
			client := &http.Client{}
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
	b.Run("upstream/direct", raw(upstream.URL))
	b.Run("upstream/proxy", raw(proxy.URL))

	sdk := func(endpoint string) func(b *testing.B) {
		return func(b *testing.B) {
			cfg := env.Config(region)
			cfg.BaseEndpoint = aws.String(endpoint)
			client := sts.NewFromConfig(cfg)
			for b.Loop() {
				if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if env == nil {
		b.Log("moto sub-benchmarks skipped: needs moto_server")
		return
	}
	b.Run("moto/direct", sdk(env.MotoURL))
	b.Run("moto/proxy", sdk(env.Endpoint))
}
