package main

import (
	"context"
	"fmt"
	"time"

	"github.com/fargatekit/fargatekit/internal/awsretry"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/pflag"
)

// awsFlags are the AWS connection flags shared by every command that calls
// AWS: the standard credential chain, --profile, --region and --role-arn.
// AWS_ENDPOINT_URL and friends are honoured by the SDK itself.
type awsFlags struct {
	region  string
	profile string
	roleARN string
}

// register adds --region, --profile and --role-arn to fs, and --timeout
// (default timeout, the command's own) and --request-timeout.
func (f *awsFlags) register(fs *pflag.FlagSet, timeout time.Duration) {
	fs.StringVar(&f.region, "region", "", "AWS region (default: from the environment or profile)")
	fs.StringVar(&f.profile, "profile", "", "AWS shared-config profile")
	fs.StringVar(&f.roleARN, "role-arn", "", "IAM role to assume for every call (arn:<partition>:iam::<account>:role/<name>)")
	registerTimeout(fs, timeout)
}

// load returns an aws.Config for region (or f.region when empty).
func (f *awsFlags) load(ctx context.Context, region string) (aws.Config, error) {
	if region == "" {
		region = f.region
	}
	return loadAWSConfig(ctx, region, f.profile, f.roleARN)
}

// loadAWSConfig loads the standard AWS configuration with the adaptive
// retryer, optionally for a profile and assuming roleARN. Each HTTP request
// is bounded by the command's --request-timeout and recorded, so that a
// command that reaches --timeout can say what it was waiting for (see
// runBounded).
func loadAWSConfig(ctx context.Context, region, profile, roleARN string) (aws.Config, error) {
	limits := callLimitsFrom(ctx)
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(limits.requestTimeout())),
		config.WithAPIOptions([]func(*middleware.Stack) error{limits.addRecorder}),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	// One retry policy for every command: more attempts than the SDK's
	// default of 3, so that an apply rides out throttling, 5xx answers and
	// dropped connections (internal/awsretry).
	opts = append(opts, config.WithRetryer(func() aws.Retryer { return awsretry.New() }))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	if roleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "fargatekit" }))
	}
	return cfg, nil
}
