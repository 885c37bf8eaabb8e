// Command irsa-service-account gives one workload read access to S3 the
// right way, with IAM roles for service accounts (IRSA), and shows how the
// audit catches the most common way the setup is later weakened.
//
// On Fargate, IRSA is the only way a pod gets AWS credentials (EKS Pod
// Identity needs an agent DaemonSet, and DaemonSets do not run on Fargate).
// The pieces are the cluster's IAM OIDC provider, an IAM role whose trust
// lets that provider assume it only for one ServiceAccount's tokens, and the
// eks.amazonaws.com/role-arn annotation on that ServiceAccount, from which
// the EKS pod identity webhook gives new pods AWS_ROLE_ARN and a projected
// token.
//
// The program runs these stages against an existing cluster and prints each:
//
//  1. plan: irsa.Plan for the ServiceAccount apps/report-reader with
//     AmazonS3ReadOnlyAccess;
//  2. apply: irsa.Apply;
//  3. result: the annotated ServiceAccount and the role's exact trust;
//  4. drift: a colleague "fixes" an AccessDenied by widening the trust to
//     system:serviceaccount:*:* (StringLike): every ServiceAccount of the
//     cluster, in every namespace, can now read S3;
//  5. audit: the IRSA checks of the catalogue find it (IRSA-04);
//  6. fix: the finding's fix, applied with audit.Fix, restores the exact
//     subject;
//  7. verify: the audit is clean again and a new irsa.Plan changes nothing.
//
// Stage 4 really changes the role's trust (and stage 6 repairs it): run it
// against a test cluster or the local environment, not production.
//
//	go run ./examples/irsa-service-account -cluster eks-test -region ap-northeast-1
//
// The namespace apps must exist (fargatekit does not create namespaces); for
// its pods to run, a Fargate profile must select it.
//
// Out of scope: the workload itself, and restarting it (set
// ServiceAccountRole.RestartWorkloads to let the plan restart the
// Deployments that use the ServiceAccount).
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// Config is what the program needs.
type Config struct {
	// AWS carries credentials, region and endpoint.
	AWS aws.Config
	// Cluster is the EKS cluster's name.
	Cluster string
	// Kube is the cluster's Kubernetes API. Nil means an EKS token made
	// from the AWS credentials, as `aws eks get-token` makes it.
	Kube *rest.Config
}

// reportReader is the workload's IRSA role: which ServiceAccount may assume
// it, and what it may do. The role's name defaults to
// <cluster>-apps-report-reader.
var reportReader = irsa.ServiceAccountRole{
	Namespace:         "apps",
	Name:              "report-reader",
	ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
}

// run runs the seven stages and prints each to stdout.
func run(ctx context.Context, cfg Config, stdout io.Writer) error {
	if cfg.Cluster == "" || cfg.AWS.Region == "" {
		return errors.New("need a cluster name and a region")
	}
	stage := func(n int, title string) { fmt.Fprintf(stdout, "\n== %d. %s\n\n", n, title) }

	// The OIDC issuer, account and partition come from DescribeCluster.
	cluster, err := irsa.ClusterFromEKS(ctx, eks.NewFromConfig(cfg.AWS), cfg.Cluster)
	if err != nil {
		return err
	}
	rc := cfg.Kube
	if rc == nil {
		if rc, err = kubeauth.RESTConfigForCluster(ctx, cfg.AWS, cfg.Cluster); err != nil {
			return err
		}
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	clients := irsa.NewClients(cfg.AWS, kube)
	roles := []irsa.ServiceAccountRole{reportReader}
	fargateOnly := func(o *irsa.Options) { o.FargateOnly = true }

	stage(1, "Plan: an IAM role for apps/report-reader with AmazonS3ReadOnlyAccess")
	p, err := irsa.Plan(ctx, clients, cluster, roles, fargateOnly)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, p.Text())

	stage(2, "Apply")
	if err := irsa.Apply(ctx, p, func(o *plan.Options) {
		o.Progress = func(ev plan.Event) {
			if ev.State == "done" {
				fmt.Fprintf(stdout, "done: %s\n", ev.Change.ID)
			}
		}
	}); err != nil {
		return err
	}

	stage(3, "Result: the annotated ServiceAccount and the role's exact trust")
	roleARN := reportReader.RoleARN(cluster)
	roleName := reportReader.EffectiveRoleName(cluster.Name)
	sa, err := kube.CoreV1().ServiceAccounts(reportReader.Namespace).Get(ctx, reportReader.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ServiceAccount %s/%s\n  %s: %s\n\n", sa.Namespace, sa.Name, irsa.AnnotationRoleARN, sa.Annotations[irsa.AnnotationRoleARN])
	trust, err := liveTrust(ctx, cfg.AWS, roleName)
	if err != nil {
		return err
	}
	// The trust names the provider (Federated), the one action web
	// identities use, and two exact conditions: the token's subject is this
	// ServiceAccount, and its audience is STS.
	fmt.Fprintf(stdout, "Role %s trust:\n%s", roleARN, trust.JSON())

	stage(4, "Drift: someone widens the trust to system:serviceaccount:*:*")
	wide, err := iamtrust.IRSATrust(iamtrust.IRSA{
		Partition: iamtrust.PartitionForRegion(cluster.Region), AccountID: cluster.AccountID, IssuerURL: cluster.IssuerURL,
		ServiceAccounts: []iamtrust.ServiceAccount{{Namespace: "*", Name: "*"}}, AllowWildcard: true,
	})
	if err != nil {
		return err
	}
	if _, err := iam.NewFromConfig(cfg.AWS).UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String(roleName), PolicyDocument: aws.String(string(wide.JSON())),
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Role %s trust is now:\n%s", roleName, wide.JSON())

	stage(5, "Audit: the IRSA checks")
	auditOpts := func(o *audit.Options) {
		o.AWS = cfg.AWS
		o.Checks = irsaChecks()
		o.Kube = func(context.Context, *audit.Cluster) (*rest.Config, error) { return rc, nil }
	}
	target := audit.ClustersTarget(cluster.Region, cluster.Name)
	r, err := audit.Audit(ctx, target, auditOpts)
	if err != nil {
		return err
	}
	if err := audit.WriteText(stdout, r, audit.TextOptions{}); err != nil {
		return err
	}

	stage(6, "Fix: apply the IRSA-04 finding's fix")
	sel := audit.Selection{Checks: []string{"IRSA-04"}}
	fp, skipped := audit.FixPlan(r, sel)
	fmt.Fprint(stdout, fp.Text())
	for _, s := range skipped {
		fmt.Fprintf(stdout, "held back: %s %s: %s\n", s.Check, s.Resource, s.Reason)
	}
	if err := audit.Fix(ctx, r, sel, auditOpts); err != nil {
		return err
	}

	stage(7, "Verify: the audit is clean and the role matches the spec again")
	r, err = audit.Audit(ctx, target, auditOpts)
	if err != nil {
		return err
	}
	if err := audit.WriteText(stdout, r, audit.TextOptions{}); err != nil {
		return err
	}
	p, err = irsa.Plan(ctx, clients, cluster, roles, fargateOnly)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nirsa.Plan: %s", p.Text())
	return nil
}

// irsaChecks returns the IDs of the catalogue's IRSA checks.
func irsaChecks() []string {
	var ids []string
	for _, c := range audit.Catalogue() {
		if strings.HasPrefix(c.ID, "IRSA-") {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// liveTrust reads a role's trust policy. IAM returns it URL-encoded;
// ParseLive decodes it once and parses it.
func liveTrust(ctx context.Context, cfg aws.Config, role string) (*iamtrust.Document, error) {
	out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		return nil, err
	}
	return iamtrust.ParseLive(aws.ToString(out.Role.AssumeRolePolicyDocument))
}

func main() {
	var cfg Config
	var region, kubeconfig string
	flag.StringVar(&cfg.Cluster, "cluster", "", "name of the EKS cluster")
	flag.StringVar(&region, "region", "", "AWS region (default: from the AWS configuration)")
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster (current context; default: an EKS token from the AWS credentials)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if cfg.AWS, err = config.LoadDefaultConfig(ctx, config.WithRegion(region)); err != nil {
		fmt.Fprintln(os.Stderr, "irsa-service-account:", err)
		os.Exit(2)
	}
	if kubeconfig != "" {
		if cfg.Kube, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
			fmt.Fprintln(os.Stderr, "irsa-service-account:", err)
			os.Exit(2)
		}
	}
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "irsa-service-account:", err)
		os.Exit(1)
	}
}
