package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

func init() { extraCommands = append(extraCommands, newIRSACmd) }

// irsaFlags are the flags of "fargatekit irsa plan" and "… apply".
type irsaFlags struct {
	aws         awsFlags
	cluster     string
	file        string
	kubeconfig  string
	kubeContext string
	vpcCNI      bool
	ipv6        bool
	fargateOnly bool
	noProvider  bool
	allowDestr  bool
	output      string
	yes         bool
	detailed    bool
	noEnv       bool
}

func newIRSACmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "irsa",
		Short: "Plan and apply IAM roles for service accounts (IRSA) on an existing cluster",
		Long: `Plan and apply IAM roles for service accounts on an existing EKS cluster: the
cluster's IAM OIDC provider, a role per service account with its trust and
policies, the eks.amazonaws.com/role-arn annotations, and optionally the
vpc-cni add-on's role.

The roles come from a YAML file (-f): either a fargatekit spec
(kind: FargateCluster, whose irsa section, name and region are used) or a
document of the irsa section's shape:

  oidcProvider: true
  serviceAccounts:
    - namespace: monitoring
      name: prometheus
      managedPolicyARNs: [arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess]

Kubernetes is reached through the kubeconfig (--kubeconfig, $KUBECONFIG or
~/.kube/config).
` + specEnvHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(newIRSASubCmd(false), newIRSASubCmd(true))
	return cmd
}

func newIRSASubCmd(apply bool) *cobra.Command {
	var f irsaFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what would change",
		Long: `Show what would change, and the drift found.

Exit codes: 0 success (with or without changes; with --detailed-exitcode,
1 when changes are pending), 2 bad input or an operation that could not run.`,
		Args: cobra.NoArgs,
	}
	if apply {
		cmd.Use, cmd.Short = "apply [--yes]", "Apply the changes (dry run unless --yes)"
		cmd.Long = `Plan and print the plan; with --yes, apply it. Without --yes nothing is
changed.

Exit codes: 0 applied, nothing to change, or a dry run; 2 bad input or a
change that failed.`
	}
	fs := cmd.Flags()
	timeout := 5 * time.Minute
	if apply {
		timeout = 15 * time.Minute
	}
	f.aws.register(fs, timeout)
	fs.BoolVar(&f.noEnv, "no-env", false, noEnvUsage)
	fs.StringVar(&f.cluster, "cluster", "", "EKS cluster name (default: the spec's name)")
	fs.StringVarP(&f.file, "file", "f", "", "YAML file with the roles (\"-\" for standard input)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file")
	if !apply {
		fs.BoolVar(&f.detailed, "detailed-exitcode", false, "exit 1 when changes are pending")
	}
	fs.StringVar(&f.kubeContext, "context", "", "kubeconfig context")
	fs.BoolVar(&f.vpcCNI, "vpc-cni", false, "also wire the vpc-cni add-on to a role for kube-system/aws-node")
	fs.BoolVar(&f.ipv6, "ipv6", false, "with --vpc-cni: the cluster is IPv6 (customer managed CNI policy)")
	fs.BoolVar(&f.fargateOnly, "fargate-only", false, "the cluster runs no EC2 nodes")
	fs.BoolVar(&f.noProvider, "no-oidc-provider", false, "do not manage the IAM OIDC provider")
	fs.BoolVar(&f.allowDestr, "allow-destructive", false, "delete the service-account roles (and an unmanaged OIDC provider no role trusts) tagged "+irsa.OwnerTag+"=<cluster> that the file no longer names; without it those deletes are shown as blocked")
	fs.StringVarP(&f.output, "output", "o", "text", "plan format: text or json")
	if apply {
		fs.BoolVar(&f.yes, "yes", false, "apply the plan (without it the plan is only shown)")
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return runIRSA(cmd, &f, apply) }
	return cmd
}

// irsaFile is the irsa section of a spec, or a whole spec.
type irsaFile struct {
	Kind            string                    `json:"kind"`
	Name            string                    `json:"name"`
	Region          string                    `json:"region"`
	OIDCProvider    *bool                     `json:"oidcProvider"`
	ServiceAccounts []irsa.ServiceAccountRole `json:"serviceAccounts"`
	IRSA            *struct {
		OIDCProvider    *bool                     `json:"oidcProvider"`
		ServiceAccounts []irsa.ServiceAccountRole `json:"serviceAccounts"`
	} `json:"irsa"`
}

// readIRSAFile reads the roles file, expanding ${NAME} from the environment
// with a non-nil env (see eksfargate.ExpandEnv).
func readIRSAFile(cmd *cobra.Command, name string, env func(string) (string, bool)) (*irsaFile, error) {
	var (
		b   []byte
		err error
	)
	switch name {
	case "":
		return nil, errors.New("no roles: pass -f FILE")
	case "-":
		b, err = io.ReadAll(cmd.InOrStdin())
	default:
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading roles: %w", err)
	}
	if b, err = eksfargate.ExpandEnv(b, env); err != nil {
		return nil, specLoadError(name, err)
	}
	var f irsaFile
	// A whole spec holds much more than the irsa section: decode leniently
	// and read only what this command uses.
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.IRSA != nil {
		f.OIDCProvider, f.ServiceAccounts = f.IRSA.OIDCProvider, f.IRSA.ServiceAccounts
	} else if f.Kind == "" {
		// The irsa section alone: decode strictly, so that typos are errors.
		var strict struct {
			OIDCProvider    *bool                     `json:"oidcProvider"`
			ServiceAccounts []irsa.ServiceAccountRole `json:"serviceAccounts"`
		}
		if err := yaml.UnmarshalStrict(b, &strict); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return &f, nil
}

func runIRSA(cmd *cobra.Command, f *irsaFlags, apply bool) error {
	ctx := cmd.Context()
	bad := func(err error) error { return &exitError{code: 2, err: err} }
	if f.output != "text" && f.output != "json" {
		return bad(fmt.Errorf("--output %q: want text or json", f.output))
	}
	spec, err := readIRSAFile(cmd, f.file, specEnvLookup(f.noEnv))
	if err != nil {
		return bad(err)
	}
	clusterName := f.cluster
	if clusterName == "" {
		clusterName = spec.Name
	}
	if clusterName == "" {
		return bad(errors.New("no cluster: pass --cluster"))
	}
	if f.ipv6 && !f.vpcCNI {
		return bad(errors.New("--ipv6 needs --vpc-cni"))
	}
	region := f.aws.region
	if region == "" {
		region = spec.Region
	}
	cfg, err := f.aws.load(ctx, region)
	if err != nil {
		return bad(err)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	rest, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.kubeContext}).ClientConfig()
	if err != nil {
		return bad(fmt.Errorf("kubeconfig: %w", err))
	}
	boundREST(rest, callLimitsFrom(ctx))
	kube, err := kubernetes.NewForConfig(rest)
	if err != nil {
		return bad(fmt.Errorf("kubernetes client: %w", err))
	}
	clients := irsa.NewClients(cfg, kube)
	cluster, err := irsa.ClusterFromEKS(ctx, clients.EKS, clusterName)
	if err != nil {
		return bad(err)
	}
	opts := func(o *irsa.Options) {
		o.OIDCProvider = !f.noProvider && (spec.OIDCProvider == nil || *spec.OIDCProvider)
		o.FargateOnly = f.fargateOnly
		o.AllowDestructive = f.allowDestr
		if f.vpcCNI {
			o.VPCCNI = &irsa.VPCCNIOptions{IPv6: f.ipv6}
		}
	}
	snap, err := irsa.Observe(ctx, clients, cluster, spec.ServiceAccounts, opts)
	if err != nil {
		return bad(err)
	}
	res, err := irsa.Diff(clients, cluster, spec.ServiceAccounts, snap, opts)
	if err != nil {
		return bad(err)
	}
	p, err := plan.New(res.Changes...)
	if err != nil {
		return bad(err)
	}
	out := cmd.OutOrStdout()
	if f.output == "json" {
		b, err := json.MarshalIndent(struct {
			Plan  *plan.Plan   `json:"plan"`
			Drift []irsa.Drift `json:"drift"`
		}{p, res.Drift}, "", "  ")
		if err != nil {
			return bad(err)
		}
		fmt.Fprintln(out, string(b))
	} else {
		for _, d := range res.Drift {
			state := "repaired by this plan"
			if d.Repair == "" {
				state = "pending: apply leaves it without the opt-in shown in the plan"
			}
			fmt.Fprintf(out, "drift: %s: %s (%s)\n", d.Resource, d.Summary, state)
		}
		if len(res.Drift) > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprint(out, p.Text())
	}
	if !apply {
		if f.detailed && !p.Empty() {
			return &exitError{code: 1}
		}
		return nil
	}
	if p.Empty() {
		return nil
	}
	if !f.yes {
		stderrLine(cmd, false, "\nNothing changed. Run again with --yes to apply this plan.")
		return nil
	}
	if err := irsa.Apply(ctx, p, func(o *plan.Options) {
		o.Logger = commandLogger(cmd, false)
		o.Progress = func(ev plan.Event) {
			if ev.State == "done" || ev.State == "failed" {
				stderrLine(cmd, false, "%s %s %s", ev.State, ev.Change.Action, ev.Change.ID)
			}
		}
	}); err != nil {
		return &exitError{code: 2, err: err}
	}
	return nil
}
