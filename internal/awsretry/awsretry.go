// Package awsretry is fargatekit's one retry policy for AWS calls: the
// SDK's adaptive mode (client-side rate limiting once AWS throttles) with
// more attempts than the SDK's default of 3 and a capped backoff, because
// building and auditing infrastructure must ride out throttling, 5xx answers
// and dropped connections rather than fail a 20-minute apply. Plumbing for
// the CLI and the library packages, not an API.
package awsretry

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// MaxAttempts is how many times a call that fails with a retryable error
// is tried.
const MaxAttempts = 10

// MaxBackoff caps the pause between two attempts.
const MaxBackoff = 20 * time.Second

// New returns the retryer; opts may change the attempts or the backoff cap
// (the library packages expose that through their Options).
func New(opts ...func(*retry.StandardOptions)) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.MaxBackoff = MaxBackoff
		})
		o.StandardOptions = append(o.StandardOptions, opts...)
	})
}

// Configure returns cfg with the retry policy as its Retryer, unless cfg
// has a Retryer of its own (which the caller chose, and which wins).
func Configure(cfg aws.Config) aws.Config {
	if cfg.Retryer == nil {
		cfg.Retryer = func() aws.Retryer { return New() }
	}
	return cfg
}
