// Command embed shows how an internal platform tool embeds fargatekit
// instead of shelling out to the CLI:
//
//   - the cluster spec is built in code with eksfargate's builders (no
//     YAML), from the tool's own inputs (a team's cluster name and cost
//     center);
//   - the plan is applied with plan.Apply, the one executor behind
//     eksfargate, irsa and audit fixes, with the tool's own zap logger and a
//     progress callback that prints each step as it starts and ends;
//   - the audit runs the built-in catalogue plus a company rule, ACME-01
//     "every cluster carries a cost-center tag", written as an audit.Check:
//     data plus a pure function over the observed snapshot.
//
// Run it against the local environment (moto behind fargatekit's proxy) or
// a real account; AWS configuration comes from the standard chain
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, …):
//
//	go run ./examples/embed -cluster payments -cost-center cc-4711          # plan only
//	go run ./examples/embed -cluster payments -cost-center cc-4711 -apply   # plan, apply, audit
//
// Out of scope: deleting what it built (see eksfargate.PlanDestroy), and
// anything the CLI does for every tool (multi-account audits, SARIF).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// Config is what the tool needs; main fills it from flags and the standard
// AWS configuration, tests fill it directly.
type Config struct {
	// AWS carries credentials, region and endpoint.
	AWS aws.Config
	// Cluster is the name of the team's cluster.
	Cluster string
	// CostCenter goes on every resource as the cost-center tag.
	CostCenter string
	// SecretsKey is the ARN of the KMS key that envelope-encrypts the
	// cluster's Secrets (same region). Empty leaves Secrets encrypted only
	// with the AWS owned key, which the audit reports (CLU-04).
	SecretsKey string
	// Apply applies the plan; without it the tool only shows the plan.
	Apply bool
	// Kube returns the Kubernetes API of a cluster. Nil means an EKS token
	// made from the AWS credentials, as `aws eks get-token` makes it.
	Kube func(ctx context.Context, cluster string) (*rest.Config, error)
	// Log receives the tool's structured logs. Nil discards them.
	Log io.Writer
}

// costCenterTag is the tag the company's billing reports split costs by.
const costCenterTag = "cost-center"

// clusterSpec is the company's standard Fargate-only cluster for one team.
// Everything not set here (subnet layout, Kubernetes version, addon
// versions) gets fargatekit's documented defaults.
func clusterSpec(name, region, costCenter string) *eksfargate.Spec {
	return eksfargate.NewSpec(name, region).
		// Tags go on every resource fargatekit creates; AWS cost allocation
		// reports can then be split by cost-center.
		WithTag(costCenterTag, costCenter).
		// A new VPC: public subnets for load balancers and the NAT gateway,
		// private subnets for the Fargate pods (Fargate refuses subnets
		// with a route to an internet gateway).
		WithVPC("10.42.0.0/16").
		// The cluster role (trusted by eks.amazonaws.com) and the Fargate
		// pod execution role (trusted by eks-fargate-pods.amazonaws.com,
		// scoped with aws:SourceArn to this cluster's profiles).
		WithClusterRole(name+"-cluster").
		WithPodExecutionRole(name+"-fargate-pods").
		// The API endpoint is public only to the office network.
		WithEndpointAccess(true, true, "203.0.113.0/24").
		WithDeletionProtection(true).
		// Fargate runs only the pods a profile selects: CoreDNS in
		// kube-system, and the team's workloads in default.
		AddFargateProfile("system", eksfargate.SelectNamespace("kube-system").WithLabel("k8s-app", "kube-dns")).
		AddFargateProfile("workloads", eksfargate.SelectNamespace("default")).
		// The managed coredns addon, configured to run on Fargate
		// (computeType), which survives addon updates.
		AddAddon(eksfargate.AddonSpec{Name: "coredns"}).
		// IAM roles for service accounts are the only way Fargate pods get
		// AWS credentials: the invoice archiver may read S3.
		AddServiceAccountRole(irsa.ServiceAccountRole{
			Namespace:         "default",
			Name:              "invoice-archiver",
			ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		})
}

// costCenterCheck is the company rule ACME-01. A check is data (ID, title,
// severity, documentation, the snapshot parts it reads) plus a pure
// function: it never calls AWS, so it is as fast and as testable as the
// built-in ones, and a cluster whose description could not be read is
// reported as incomplete instead of passing.
func costCenterCheck() *audit.Check {
	return &audit.Check{
		ID:        "ACME-01",
		Title:     "Cluster without a cost-center tag",
		Severity:  iamtrust.SeverityMedium,
		Rationale: "Finance splits the AWS bill by the cost-center tag; an untagged cluster's control plane and Fargate pods are billed to nobody.",
		DocURL:    "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/cost-alloc-tags.html",
		Remedy:    "aws eks tag-resource --resource-arn CLUSTER_ARN --tags cost-center=CC",
		Needs:     []string{audit.PartCluster},
		Run: func(s *audit.Snapshot) []audit.Finding {
			var out []audit.Finding
			for _, c := range s.Clusters {
				if strings.TrimSpace(c.Tags[costCenterTag]) != "" {
					continue
				}
				out = append(out, audit.Finding{
					Check:    "ACME-01",
					Severity: iamtrust.SeverityMedium,
					Region:   c.Region,
					Cluster:  c.ARN,
					Resource: c.ARN,
					Message:  "the cluster has no " + costCenterTag + " tag",
					Expected: costCenterTag + "=<cost center>",
					Actual:   "tags: " + tagList(c.Tags),
				})
			}
			return out
		},
	}
}

func tagList(tags map[string]string) string {
	if len(tags) == 0 {
		return "none"
	}
	var kv []string
	for k, v := range tags {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ", ")
}

// newLogger is the tool's own logger: JSON lines with the tool's name on
// each, the format the company's log pipeline ingests. fargatekit logs its
// observations, waits and retries through it.
func newLogger(w io.Writer) *zap.Logger {
	if w == nil {
		return zap.NewNop()
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(w), zapcore.InfoLevel)
	return zap.New(core).With(zap.String("tool", "acme-platform"))
}

// progress prints one line per event of plan.Apply: a change starting,
// reporting the state of a long wait (a cluster CREATING), finishing or
// failing. Apply calls it from several goroutines.
func progress(w io.Writer) func(plan.Event) {
	var mu sync.Mutex
	return func(ev plan.Event) {
		if ev.Change == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		line := fmt.Sprintf("  %7s  %s: %s", ev.Elapsed.Round(time.Millisecond), ev.Change.ID, ev.State)
		if ev.Err != nil {
			line += ": " + ev.Err.Error()
		}
		fmt.Fprintln(w, line)
	}
}

// run builds the spec, plans, applies when asked, and audits the region.
func run(ctx context.Context, cfg Config, stdout io.Writer) error {
	if cfg.Cluster == "" || cfg.CostCenter == "" || cfg.AWS.Region == "" {
		return errors.New("need a cluster name, a cost center and a region")
	}
	log := newLogger(cfg.Log)
	defer func() { _ = log.Sync() }()

	spec := clusterSpec(cfg.Cluster, cfg.AWS.Region, cfg.CostCenter)
	if cfg.SecretsKey != "" {
		// Envelope encryption can be turned on later but never off.
		spec.WithSecretsEncryption(cfg.SecretsKey)
	}
	p, err := eksfargate.Plan(ctx, spec, eksfargate.FromConfig(cfg.AWS), func(o *eksfargate.Options) {
		o.Logger = log
		if cfg.Kube != nil {
			o.Kube = func(ctx context.Context, c *ekstypes.Cluster) (kubernetes.Interface, error) {
				rc, err := cfg.Kube(ctx, aws.ToString(c.Name))
				if err != nil {
					return nil, err
				}
				return kubernetes.NewForConfig(rc)
			}
		}
	})
	if err != nil {
		// A *eksfargate.ValidationError lists every problem with its field
		// path; print it as it is.
		return fmt.Errorf("plan: %w", err)
	}
	fmt.Fprintf(stdout, "Plan for cluster %s:\n%s", cfg.Cluster, p.Text())

	if cfg.Apply && !p.Empty() {
		fmt.Fprintln(stdout, "\nApplying:")
		// The changes keep the clients they were planned with; plan.Apply
		// runs them as a dependency graph, one Fargate profile at a time.
		err := plan.Apply(ctx, p, func(o *plan.Options) {
			o.Logger = log
			o.Progress = progress(stdout)
			o.Concurrency = 4
		})
		if err != nil {
			// *plan.ApplyError names the change that failed; running the
			// tool again plans from what exists and resumes.
			return fmt.Errorf("apply: %w", err)
		}
	}

	r, err := audit.Audit(ctx, audit.RegionsTarget(cfg.AWS.Region), func(o *audit.Options) {
		o.AWS = cfg.AWS
		o.Logger = log
		o.ExtraChecks = []*audit.Check{costCenterCheck()}
		if cfg.Kube != nil {
			o.Kube = func(ctx context.Context, c *audit.Cluster) (*rest.Config, error) { return cfg.Kube(ctx, c.Name) }
		}
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	fmt.Fprintln(stdout)
	return audit.WriteText(stdout, r, audit.TextOptions{})
}

func main() {
	var cfg Config
	var region, kubeconfig string
	flag.StringVar(&cfg.Cluster, "cluster", "", "name of the team's cluster")
	flag.StringVar(&cfg.CostCenter, "cost-center", "", "value of the cost-center tag")
	flag.StringVar(&cfg.SecretsKey, "secrets-key", "", "ARN of the KMS key that encrypts Secrets")
	flag.BoolVar(&cfg.Apply, "apply", false, "apply the plan (default: only show it)")
	flag.StringVar(&region, "region", "", "AWS region (default: from the AWS configuration)")
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig with a context named after each cluster (default: EKS tokens from the AWS credentials)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	cfg.AWS, err = config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(2)
	}
	if kubeconfig != "" {
		cfg.Kube = func(_ context.Context, cluster string) (*rest.Config, error) {
			return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
				&clientcmd.ConfigOverrides{CurrentContext: cluster}).ClientConfig()
		}
	}
	cfg.Log = os.Stderr
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}
