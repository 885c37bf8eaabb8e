package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/plan"
)

func init() {
	extraCommands = append(extraCommands, newClusterPlanCmd, newClusterApplyCmd, newClusterDestroyCmd)
}

// clusterFlags are the flags of plan, apply and destroy.
type clusterFlags struct {
	aws          awsFlags
	file         string
	output       string
	yes          bool
	allowUnowned bool
	allowDestr   bool
	awsOnly      bool
	concurrency  int
	detailed     bool
	noEnv        bool
	kubeconfig   string
	kubeContext  string
}

const clusterExitCodes = `
Exit codes: 0 success (a plan was made, with or without changes, or it was
applied; plan --detailed-exitcode exits 1 when changes are pending); 2 a bad
spec or flag, or an operation that could not run (AWS or the cluster could
not be read, a change failed).`

// register adds the flags; timeout is the command's default --timeout.
func (f *clusterFlags) register(cmd *cobra.Command, confirm bool, timeout time.Duration) {
	fs := cmd.Flags()
	f.aws.register(fs, timeout)
	fs.StringVarP(&f.file, "file", "f", "", `spec file (kind: FargateCluster), "-" for standard input`)
	fs.BoolVar(&f.noEnv, "no-env", false, noEnvUsage)
	fs.StringVarP(&f.output, "output", "o", "text", "plan format: text or json")
	fs.BoolVar(&f.allowUnowned, "allow-unowned", false, "allow deleting, replacing or rewriting resources not tagged "+eksfargate.OwnerTag+"=<cluster>")
	fs.BoolVar(&f.allowDestr, "allow-destructive", false, "delete what the spec no longer names (Fargate profiles, add-ons, IRSA roles, the OIDC provider tagged "+eksfargate.OwnerTag+"=<cluster>); without it those deletes are shown as blocked")
	fs.BoolVar(&f.awsOnly, "aws-only", false, "plan the AWS side only (no CoreDNS, aws-auth, access entries or IRSA)")
	fs.IntVar(&f.concurrency, "concurrency", 8, "changes applied and resources read at once")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for the cluster's Kubernetes API (default: an EKS token from the AWS credentials, to the cluster's endpoint)")
	fs.StringVar(&f.kubeContext, "context", "", "kubeconfig context (default: the one named after the cluster name or ARN, or whose server is the cluster's endpoint; else the current one)")
	if confirm {
		fs.BoolVar(&f.yes, "yes", false, "apply the plan (without it the plan is only shown)")
	}
	_ = cmd.MarkFlagRequired("file")
}

func newClusterPlanCmd() *cobra.Command {
	var f clusterFlags
	cmd := &cobra.Command{
		Use:   "plan -f spec.yaml",
		Short: "Show what apply would change for a Fargate-only cluster",
		Long: `Read a spec (apiVersion: fargatekit.io/v1alpha1, kind: FargateCluster),
observe the account and the cluster, and print the changes that would make
them match: the network, the IAM roles, the cluster, the Fargate profiles,
the addons, and the cluster side (CoreDNS on Fargate, aws-auth and access
entries, IRSA). Nothing is changed.

The AWS configuration comes from the standard chain (environment, shared
config, --profile); the region is the spec's unless --region says otherwise
(it must then be the same). AWS_ENDPOINT_URL is honoured by the SDK.
` + specEnvHelp + clusterExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, _, err := clusterPlan(cmd, &f, false)
			if err == nil && f.detailed && !p.Empty() {
				return &exitError{code: 1}
			}
			return err
		},
	}
	f.register(cmd, false, 10*time.Minute)
	cmd.Flags().BoolVar(&f.detailed, "detailed-exitcode", false, "exit 1 when changes are pending")
	return cmd
}

func newClusterApplyCmd() *cobra.Command {
	var f clusterFlags
	cmd := &cobra.Command{
		Use:   "apply -f spec.yaml [--yes]",
		Short: "Create or converge a Fargate-only cluster",
		Long: `Plan as "fargatekit plan" does and print the plan; with --yes, apply it,
reporting progress on standard error. Apply is idempotent and resumable:
interrupt it, run it again, and it converges without duplicates.
--timeout bounds the whole run, waits included: creating a cluster takes
about 10 minutes on AWS, each Fargate profile a few more.
` + specEnvHelp + clusterExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return clusterRun(cmd, &f, false) },
	}
	f.register(cmd, true, 60*time.Minute)
	return cmd
}

func newClusterDestroyCmd() *cobra.Command {
	var f clusterFlags
	cmd := &cobra.Command{
		Use:   "destroy -f spec.yaml [--yes]",
		Short: "Tear down what fargatekit created for a cluster",
		Long: `Plan the teardown of what fargatekit created for the spec (profiles, addons,
cluster, roles, network; only resources tagged ` + eksfargate.OwnerTag + `=<cluster>)
and print it; with --yes, apply it.
` + specEnvHelp + clusterExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return clusterRun(cmd, &f, true) },
	}
	f.register(cmd, true, 60*time.Minute)
	return cmd
}

// clusterBad is exit code 2.
func clusterBad(err error) error { return &exitError{code: 2, err: err} }

// clusterReadSpec reads and checks the spec file.
func clusterReadSpec(cmd *cobra.Command, f *clusterFlags) (*eksfargate.Spec, error) {
	var (
		data []byte
		err  error
	)
	if f.file == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(f.file)
	}
	if err != nil {
		return nil, clusterBad(fmt.Errorf("read spec: %w", err))
	}
	spec, err := eksfargate.LoadSpec(data, specEnv(f.noEnv))
	if err != nil {
		return nil, clusterBad(specLoadError(f.file, err))
	}
	if err := spec.Validate(); err != nil {
		return nil, clusterBad(fmt.Errorf("%s: %w", f.file, err))
	}
	for _, w := range spec.Warnings() {
		stderrLine(cmd, true, "%s", w)
	}
	return spec, nil
}

// clusterOptions are the eksfargate options for the flags.
func clusterOptions(cmd *cobra.Command, f *clusterFlags, spec *eksfargate.Spec) ([]func(*eksfargate.Options), error) {
	log := commandLogger(cmd, false)
	switch f.output {
	case "text", "json":
	default:
		return nil, clusterBad(fmt.Errorf("--output %q: want text or json", f.output))
	}
	if f.aws.region != "" && f.aws.region != spec.Region {
		return nil, clusterBad(fmt.Errorf("--region %s differs from the spec's region %s", f.aws.region, spec.Region))
	}
	cfg, err := f.aws.load(cmd.Context(), spec.Region)
	if err != nil {
		return nil, clusterBad(err)
	}
	limits := callLimitsFrom(cmd.Context())
	return []func(*eksfargate.Options){
		eksfargate.FromConfig(cfg),
		func(o *eksfargate.Options) {
			o.AllowUnowned = f.allowUnowned
			o.AllowDestructive = f.allowDestr
			o.SkipClusterSide = f.awsOnly
			o.Concurrency = f.concurrency
			o.Progress = clusterProgress(cmd)
			o.Logger = log
			// The cluster's API through the kubeconfig, or an EKS token as
			// Plan does by default, with the per-request timeout.
			o.Kube = func(ctx context.Context, cl *ekstypes.Cluster) (kubernetes.Interface, error) {
				var rc *rest.Config
				var err error
				if f.kubeconfig != "" || f.kubeContext != "" {
					rc, err = kubeconfigREST(f.kubeconfig, f.kubeContext, aws.ToString(cl.Name), aws.ToString(cl.Arn), aws.ToString(cl.Endpoint))
				} else {
					rc, err = kubeauth.RESTConfigForCluster(ctx, cfg, spec.Name, func(ro *kubeauth.RESTConfigOptions) { ro.Cluster = cl })
				}
				if err != nil {
					return nil, err
				}
				boundREST(rc, limits)
				return kubernetes.NewForConfig(rc)
			}
		},
	}, nil
}

// clusterProgress prints the start, the waits (with the time elapsed) and
// the end of every change.
func clusterProgress(cmd *cobra.Command) func(plan.Event) {
	tty := isTerminal(cmd.ErrOrStderr()) && !jsonLogs(cmd)
	var mu sync.Mutex
	open := "" // the change whose wait line is being rewritten
	return func(ev plan.Event) {
		if ev.Change == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		c := ev.Change
		if tty && open != "" && (ev.State == "started" || ev.State == "done" || ev.State == "failed" || open != c.ID) {
			fmt.Fprintln(cmd.ErrOrStderr())
			open = ""
		}
		switch ev.State {
		case "started":
			stderrLine(cmd, false, "%s %s %s ...", c.Action, c.Kind, c.Resource)
		case "done":
			stderrLine(cmd, false, "%s %s %s: done (%s)", c.Action, c.Kind, c.Resource, ev.Elapsed.Round(time.Second))
		case "failed":
			stderrLine(cmd, true, "%s %s %s: failed after %s: %v", c.Action, c.Kind, c.Resource, ev.Elapsed.Round(time.Second), ev.Err)
		default:
			line := fmt.Sprintf("  %s: %s (%s%s)", c.Resource, ev.State, ev.Elapsed.Round(time.Second), usualDuration(c))
			if tty {
				// One updating line per wait on a terminal.
				fmt.Fprintf(cmd.ErrOrStderr(), "\r\x1b[K%s", line)
				open = c.ID
				return
			}
			stderrLine(cmd, false, "%s", line)
		}
	}
}

// usualDuration says how long AWS usually takes for a change whose wait is
// being reported, so that a long wait reads as expected rather than hung.
func usualDuration(c *plan.Change) string {
	switch {
	case c.Kind == eksfargate.KindCluster && c.Action == plan.Create:
		return "; creating a cluster usually takes about 10 minutes"
	case c.Kind == eksfargate.KindCluster && c.Action == plan.Delete:
		return "; deleting a cluster usually takes about 5 minutes"
	case c.Kind == eksfargate.KindCluster:
		return "; a cluster update usually takes 5 to 30 minutes"
	case c.Kind == eksfargate.KindFargateProfile && c.Action == plan.Delete:
		return "; deleting a Fargate profile usually takes 2 to 10 minutes"
	case c.Kind == eksfargate.KindFargateProfile:
		return "; creating a Fargate profile usually takes 2 to 5 minutes"
	case c.Kind == eksfargate.KindAddon:
		return "; an add-on usually takes 1 to 3 minutes"
	case c.Kind == eksfargate.KindNATGateway:
		return "; a NAT gateway usually takes 1 to 2 minutes"
	}
	return ""
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// clusterPlan reads the spec, plans (or plans the teardown) and prints
// the plan.
func clusterPlan(cmd *cobra.Command, f *clusterFlags, destroy bool) (*plan.Plan, []func(*eksfargate.Options), error) {
	spec, err := clusterReadSpec(cmd, f)
	if err != nil {
		return nil, nil, err
	}
	opts, err := clusterOptions(cmd, f, spec)
	if err != nil {
		return nil, nil, err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var p *plan.Plan
	if destroy {
		p, err = eksfargate.PlanDestroy(ctx, spec, opts...)
	} else {
		p, err = eksfargate.Plan(ctx, spec, opts...)
	}
	if err != nil {
		var ve *eksfargate.ValidationError
		if errors.As(err, &ve) {
			return nil, nil, clusterBad(fmt.Errorf("%s: %w", f.file, err))
		}
		return nil, nil, clusterBad(err)
	}
	out := cmd.OutOrStdout()
	if f.output == "json" {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return nil, nil, clusterBad(err)
		}
		fmt.Fprintln(out, string(b))
	} else if destroy {
		fmt.Fprint(out, p.DestroyText())
	} else {
		fmt.Fprint(out, p.Text())
	}
	return p, opts, nil
}

// clusterRun is apply and destroy: plan, print, and apply with --yes.
func clusterRun(cmd *cobra.Command, f *clusterFlags, destroy bool) error {
	p, opts, err := clusterPlan(cmd, f, destroy)
	if err != nil {
		return err
	}
	if p.Empty() {
		return nil
	}
	if !f.yes {
		verb := "apply"
		if destroy {
			verb = "destroy"
		}
		stderrLine(cmd, false, "\nNothing changed. Run again with --yes to %s this plan.", verb)
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := eksfargate.Apply(ctx, p, opts...); err != nil {
		return clusterBad(err)
	}
	stderrLine(cmd, false, "Apply complete.")
	return nil
}
