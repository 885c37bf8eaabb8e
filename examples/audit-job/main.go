// Command audit-job is a periodic drift report: it audits Fargate-only EKS
// clusters and their IAM wiring against the documented requirements, writes
// the JSON report (schema fargatekit.io/audit-report/v1) to standard output,
// and tells the scheduler by its exit code whether someone must look:
//
//	0  no finding at or above the threshold (-fail-on, default high)
//	1  findings at or above the threshold, or checks that could not examine
//	   everything (a part that could not be read is never a silent pass)
//	2  the audit could not run: bad flags, no credentials, AWS unreachable
//
// It is what `fargatekit audit --cluster NAME --region REGION -o json
// --fail-on high` does for one account, written against the library so that
// it can be read, changed and built into a small image. cronjob.yaml runs it
// nightly on Fargate under an IAM role for its ServiceAccount.
//
// Configuration comes from flags, else the environment:
//
//	-cluster NAME   FARGATEKIT_CLUSTERS (comma-separated); none: every cluster of the region
//	-region REGION  AWS_REGION, as for every AWS SDK
//	-fail-on SEV    FARGATEKIT_FAIL_ON (info, low, medium, high, critical, none)
//	-kubeconfig F   a context per cluster, named after it; default: an EKS token
//	                made from the AWS credentials, as `aws eks get-token` makes it
//
// AWS credentials come from the standard chain: in a pod, the web identity
// token that EKS injects for the ServiceAccount's role; AWS_ENDPOINT_URL
// points every client at another endpoint (the tests use it for a local
// AWS).
//
// Out of scope: several accounts (the CLI's --accounts-file and --shard, see
// indexed-job.yaml) and fixing anything (`fargatekit fix`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Config is what one run needs.
type Config struct {
	// AWS carries credentials, region and endpoint.
	AWS aws.Config
	// Clusters are the names of the clusters to audit in AWS.Region; empty
	// means every cluster of the region (eks:ListClusters).
	Clusters []string
	// FailOn is the threshold of exit code 1; nil never fails on findings.
	FailOn *iamtrust.Severity
	// Kube returns a cluster's Kubernetes API configuration; nil means an
	// EKS token made from the AWS credentials.
	Kube func(ctx context.Context, c *audit.Cluster) (*rest.Config, error)
	// Log receives warnings (parts that could not be read). Nil discards
	// them.
	Log io.Writer
}

// errDrift marks a report that fails the job (exit code 1).
var errDrift = errors.New("drift")

// run audits, writes the JSON report to stdout, and returns an error
// wrapping errDrift when the report fails the threshold, or any other error
// when the audit could not run.
func run(ctx context.Context, cfg Config, stdout io.Writer) error {
	if cfg.AWS.Region == "" {
		return errors.New("no region: pass -region or set AWS_REGION")
	}
	target := audit.RegionsTarget(cfg.AWS.Region)
	if len(cfg.Clusters) > 0 {
		target = audit.ClustersTarget(cfg.AWS.Region, cfg.Clusters...)
	}
	log := zap.NewNop()
	if cfg.Log != nil {
		log = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(cfg.Log), zapcore.WarnLevel))
	}
	r, err := audit.Audit(ctx, target, func(o *audit.Options) {
		o.AWS = cfg.AWS
		o.Kube = cfg.Kube
		o.Logger = log
	})
	if err != nil {
		return err
	}
	b, err := r.JSON()
	if err != nil {
		return err
	}
	if _, err := stdout.Write(b); err != nil {
		return err
	}
	if cfg.FailOn != nil {
		if fs := r.AtOrAbove(*cfg.FailOn); len(fs) > 0 {
			return fmt.Errorf("%w: %d finding(s) at or above %s", errDrift, len(fs), *cfg.FailOn)
		}
	}
	if len(r.Incomplete) > 0 {
		return fmt.Errorf("%w: %d check(s) could not examine everything (see \"incomplete\")", errDrift, len(r.Incomplete))
	}
	return nil
}

// exitCode maps run's result to the process exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errDrift):
		return 1
	default:
		return 2
	}
}

// flags are the command line, with the environment as defaults.
type flags struct {
	clusters   []string
	region     string
	failOn     *iamtrust.Severity
	kubeconfig string
}

// parseFlags reads the command line; getenv supplies the defaults.
func parseFlags(args []string, getenv func(string) string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("audit-job", flag.ContinueOnError)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.Func("cluster", "cluster to audit (repeatable; default $FARGATEKIT_CLUSTERS, else every cluster of the region)", func(s string) error {
		f.clusters = append(f.clusters, s)
		return nil
	})
	fs.StringVar(&f.region, "region", "", "AWS region (default: $AWS_REGION or the shared config)")
	failOn := fs.String("fail-on", or(getenv("FARGATEKIT_FAIL_ON"), "high"), "exit 1 on findings at or above this severity, or none")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig with a context per cluster, named after it")
	if err := fs.Parse(args); err != nil {
		// The message and the usage, as the flag package wrote them.
		return f, errors.New(strings.TrimSpace(usage.String()))
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(f.clusters) == 0 {
		for _, c := range strings.Split(getenv("FARGATEKIT_CLUSTERS"), ",") {
			if c = strings.TrimSpace(c); c != "" {
				f.clusters = append(f.clusters, c)
			}
		}
	}
	if !strings.EqualFold(*failOn, "none") {
		sev, err := iamtrust.ParseSeverity(*failOn)
		if err != nil {
			return f, fmt.Errorf("-fail-on: %w", err)
		}
		f.failOn = &sev
	}
	return f, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// loadConfig turns the command line into a Config, with the AWS
// configuration from the standard chain.
func loadConfig(ctx context.Context, args []string, getenv func(string) string) (Config, error) {
	f, err := parseFlags(args, getenv)
	if err != nil {
		return Config{}, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(f.region))
	if err != nil {
		return Config{}, err
	}
	cfg := Config{AWS: awsCfg, Clusters: f.clusters, FailOn: f.failOn}
	if f.kubeconfig != "" {
		cfg.Kube = func(_ context.Context, c *audit.Cluster) (*rest.Config, error) {
			return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: f.kubeconfig},
				&clientcmd.ConfigOverrides{CurrentContext: c.Name}).ClientConfig()
		}
	}
	return cfg, nil
}

func main() {
	// Kubernetes stops a Job's pod with SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runMain is main without the process: it returns the exit code.
func runMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(ctx, args, getenv)
	if err == nil {
		cfg.Log = stderr
		err = run(ctx, cfg, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "audit-job:", err)
	}
	return exitCode(err)
}
