// Command walkthrough is the Fargate-from-scratch walkthrough as one program:
// it reads fargate.yaml (beside this file), plans the whole setup against
// the account, applies it when asked, and writes a kubeconfig.
//
// What each step configures is explained in fargate.yaml. In short:
//
//   - network: 2 public and 2 private subnets across 2 AZs (Fargate pods run
//     only in private subnets);
//   - eksClusterRole: trusted by eks.amazonaws.com, AmazonEKSClusterPolicy;
//   - the cluster eks-test: Kubernetes version, endpoint access, Secrets
//     envelope-encrypted with a customer KMS key, all control-plane logs,
//     service CIDR 172.20.0.0/16;
//   - AmazonEKSFargatePodExecutionRole: trusted by
//     eks-fargate-pods.amazonaws.com and — unlike the walkthrough — scoped
//     with aws:SourceArn to this cluster's profiles;
//   - the Fargate profile init-fargate for kube-system, default, monitoring
//     and kubernetes-dashboard;
//   - CoreDNS on Fargate through the coredns addon's computeType (the
//     durable way; the walkthrough deletes a pod-template annotation);
//   - aws-auth mappings for admin (system:masters, with the explicit
//     opt-in) and ops-user (read-only group) — and access entries too, as
//     the authentication mode is API_AND_CONFIG_MAP;
//   - the IAM OIDC provider and the IRSA role of kube-system/aws-node with
//     AmazonEKS_CNI_Policy, set on the vpc-cni addon;
//   - a kubeconfig whose user runs `aws eks get-token`.
//
// Usage (the standard AWS credential chain; AWS_ENDPOINT_URL is honoured):
//
//	go run ./examples/walkthrough -kms-key-arn arn:aws:kms:ap-northeast-1:…:key/… [-yes] [-kubeconfig PATH]
//
// Without -yes it only prints the plan.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/plan"
)

//go:embed fargate.yaml
var specYAML []byte

// options are the walkthrough's inputs.
type options struct {
	// KMSKeyARN is the customer key that encrypts Secrets.
	KMSKeyARN string
	// Apply applies the plan; otherwise it is only printed.
	Apply bool
	// Kubeconfig is the file to write or merge into; empty skips it.
	Kubeconfig string
	// Kube overrides how the cluster side is reached (tests point it at a
	// local kube-apiserver); nil uses an EKS token for the cluster.
	Kube func(context.Context, *ekstypes.Cluster) (kubernetes.Interface, error)
	// PollInterval overrides how often long waits poll (tests).
	PollInterval time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.KMSKeyARN, "kms-key-arn", os.Getenv("KMS_KEY_ARN"), "customer KMS key for Secrets encryption (same region as the cluster)")
	flag.BoolVar(&o.Apply, "yes", false, "apply the plan")
	flag.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig to write after apply")
	flag.Parse()
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		err = run(ctx, cfg, o, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "walkthrough:", err)
		os.Exit(1)
	}
}

// Spec returns the walkthrough's spec with the KMS key filled in. Validation
// errors list every problem with its field path.
func Spec(kmsKeyARN string) (*eksfargate.Spec, error) {
	if kmsKeyARN == "" {
		return nil, fmt.Errorf("a KMS key ARN is needed for Secrets encryption (-kms-key-arn or KMS_KEY_ARN)")
	}
	return eksfargate.LoadSpec(bytes.ReplaceAll(specYAML, []byte("${KMS_KEY_ARN}"), []byte(kmsKeyARN)))
}

func run(ctx context.Context, cfg aws.Config, o options, out io.Writer) error {
	spec, err := Spec(o.KMSKeyARN)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = spec.Region
	}
	opts := []func(*eksfargate.Options){eksfargate.FromConfig(cfg), func(eo *eksfargate.Options) {
		eo.Kube = o.Kube
		if o.PollInterval > 0 {
			eo.PollInterval, eo.MaxPollInterval = o.PollInterval, 5*o.PollInterval
		}
		// Long waits (the cluster takes about 10 minutes) report progress.
		eo.Progress = func(ev plan.Event) {
			if ev.State != "started" {
				fmt.Fprintf(out, "  %-8s %s %s (%s)\n", ev.State, ev.Change.Kind, ev.Change.Resource, ev.Elapsed.Round(time.Second))
			}
		}
	}}
	// Plan: read the account, compare with the spec and the documented
	// requirements.
	p, err := eksfargate.Plan(ctx, spec, opts...)
	if err != nil {
		return err
	}
	fmt.Fprint(out, p.Text())
	if !o.Apply {
		fmt.Fprintln(out, "\nRun again with -yes to apply.")
		return nil
	}
	// Apply: converge; safe to run again after an interruption.
	if err := eksfargate.Apply(ctx, p, opts...); err != nil {
		return err
	}
	if o.Kubeconfig == "" {
		return nil
	}
	// Kubeconfig: the cluster's endpoint and CA, and a user that runs
	// `aws eks get-token` (tokens are presigned STS GetCallerIdentity calls).
	dc, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(spec.Name)})
	if err != nil {
		return err
	}
	c := kubeauth.KubeconfigCluster{
		Name: spec.Name, Region: spec.Region, Endpoint: aws.ToString(dc.Cluster.Endpoint), ARN: aws.ToString(dc.Cluster.Arn),
	}
	if dc.Cluster.CertificateAuthority != nil {
		// DescribeCluster gives the CA as base64-encoded PEM.
		c.CAData, err = base64.StdEncoding.DecodeString(aws.ToString(dc.Cluster.CertificateAuthority.Data))
		if err != nil {
			return fmt.Errorf("cluster %s: certificate authority data is not base64: %w", spec.Name, err)
		}
	}
	if err := kubeauth.WriteKubeconfig(o.Kubeconfig, c, kubeauth.KubeconfigOptions{SetCurrent: true}); err != nil {
		return err
	}
	fmt.Fprintf(out, "kubeconfig written to %s\n", o.Kubeconfig)
	return nil
}
