package eksfargate

import (
	"context"
	"flag"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/envtest"
	"github.com/fargatekit/fargatekit/plan"
)

var fkUpdate = flag.Bool("update", false, "rewrite golden files under testdata/")

// fkShared is one local AWS (moto behind the proxy) for all tests of the
// package that need it, started on first use. Tests that use it must not
// run in parallel: they Reset it.
var fkShared struct {
	once sync.Once
	aws  *envtest.AWS
	err  error
}

// fkAWS returns the shared local AWS, reset, or skips the test in -short
// mode.
func fkAWS(t testing.TB) *envtest.AWS {
	t.Helper()
	if testing.Short() {
		t.Skip("needs moto_server; skipped in -short mode")
	}
	fkShared.once.Do(func() {
		fkShared.aws, fkShared.err = envtest.StartAWS(context.Background())
	})
	if fkShared.err != nil {
		t.Fatal(fkShared.err)
	}
	if err := fkShared.aws.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	return fkShared.aws
}

// fkRegion is the region of the walkthrough.
const fkRegion = "ap-northeast-1"

// fkConfig is an aws.Config for the local AWS whose retryer backs off in
// milliseconds, so that throttling tests stay fast.
func fkConfig(a *envtest.AWS) aws.Config {
	cfg := a.Config(fkRegion)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = DefaultMaxAttempts
			o.MaxBackoff = 20 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

// fkOptions are fast options for tests: short polls and backoffs, the AWS
// side only.
func fkOptions(a *envtest.AWS, extra ...func(*Options)) []func(*Options) {
	base := func(o *Options) {
		o.Clients = NewClients(fkConfig(a))
		o.PollInterval = 2 * time.Millisecond
		o.MaxPollInterval = 20 * time.Millisecond
		o.RetryBase = 2 * time.Millisecond
		o.RetryMax = 20 * time.Millisecond
		o.RolePropagation = 10 * time.Second
		o.SkipClusterSide = true
	}
	return append([]func(*Options){base}, extra...)
}

// fkWithKube plans the cluster side against k.
func fkWithKube(k kubernetes.Interface) func(*Options) {
	return func(o *Options) {
		o.SkipClusterSide = false
		o.Kube = func(context.Context, *ekstypes.Cluster) (kubernetes.Interface, error) { return k, nil }
	}
}

// fkKMSKey creates a symmetric KMS key in the local AWS and returns its ARN.
func fkKMSKey(t testing.TB, a *envtest.AWS) string {
	t.Helper()
	out, err := kms.NewFromConfig(a.Config(fkRegion)).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("fargatekit test")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// fkWalkthrough loads testdata/walkthrough.yaml with a new KMS key.
func fkWalkthrough(t testing.TB, a *envtest.AWS) *Spec {
	t.Helper()
	data, err := os.ReadFile("testdata/walkthrough.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.ReplaceAll(string(data), "${KMS_KEY_ARN}", fkKMSKey(t, a)))
	s, err := LoadSpec(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fkPlan plans and fails the test on error.
func fkPlan(t testing.TB, s *Spec, opts ...func(*Options)) *plan.Plan {
	t.Helper()
	p, err := Plan(context.Background(), s, opts...)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return p
}

// fkApply plans and applies, failing the test on error, and returns the
// plan applied.
func fkApply(t testing.TB, s *Spec, opts ...func(*Options)) *plan.Plan {
	t.Helper()
	p := fkPlan(t, s, opts...)
	if err := Apply(context.Background(), p, opts...); err != nil {
		t.Fatalf("Apply: %v\nplan:\n%s", err, p.Text())
	}
	return p
}

// fkAssertConverged plans again and fails unless nothing is pending.
func fkAssertConverged(t testing.TB, s *Spec, opts ...func(*Options)) {
	t.Helper()
	p := fkPlan(t, s, opts...)
	if !p.Empty() {
		t.Fatalf("a second plan is not empty:\n%s", p.Text())
	}
}
