package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

func init() { extraCommands = append(extraCommands, newKubeconfigCmd) }

// newKubeconfigCmd is "fargatekit kubeconfig": write or merge a kubeconfig
// entry for a cluster, like `aws eks update-kubeconfig`.
func newKubeconfigCmd() *cobra.Command {
	var (
		region, profile, roleARN string
		cluster, path, exec      string
		contextName, command     string
		noSetCurrent             bool
	)
	cmd := &cobra.Command{
		Use:   "kubeconfig --cluster NAME [--region REGION] [--kubeconfig PATH] [--exec aws|fargatekit]",
		Short: "Write or merge a kubeconfig entry for an EKS cluster",
		Long: `Write the cluster, user and context of an EKS cluster into a kubeconfig, keeping
every other entry of the file. The endpoint and CA come from DescribeCluster;
kubectl gets its token from "aws eks get-token" (--exec aws, the default) or
from "fargatekit token" (--exec fargatekit). --role-arn is put into the token
command; --profile is also passed to it as AWS_PROFILE.

The file is --kubeconfig, else the first path of $KUBECONFIG, else
~/.kube/config. It is written atomically with mode 0600; a file that is not
a valid kubeconfig is left alone and the command fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" {
				return &exitError{code: 2, err: errors.New("kubeconfig: --cluster is required")}
			}
			kexec := kubeauth.KubeconfigExec(exec)
			if kexec != kubeauth.ExecAWSCLI && kexec != kubeauth.ExecFargatekit {
				return &exitError{code: 2, err: fmt.Errorf("kubeconfig: --exec %q: want aws or fargatekit", exec)}
			}
			if path == "" {
				path = kcfgDefaultPath()
			}
			cfg, err := loadAWSConfig(cmd.Context(), region, profile, "")
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("kubeconfig: %w", err)}
			}
			out, err := eks.NewFromConfig(cfg).DescribeCluster(cmd.Context(), &eks.DescribeClusterInput{Name: aws.String(cluster)})
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("kubeconfig: describe cluster %s: %w", cluster, err)}
			}
			c := out.Cluster
			var ca []byte
			if c.CertificateAuthority != nil && c.CertificateAuthority.Data != nil {
				if ca, err = base64.StdEncoding.DecodeString(*c.CertificateAuthority.Data); err != nil {
					return &exitError{code: 2, err: fmt.Errorf("kubeconfig: cluster %s: certificate authority data: %w", cluster, err)}
				}
			}
			kc := kubeauth.KubeconfigCluster{Name: cluster, Region: cfg.Region, Endpoint: aws.ToString(c.Endpoint), CAData: ca, ARN: aws.ToString(c.Arn)}
			o := kubeauth.KubeconfigOptions{Exec: kexec, Command: command, RoleARN: roleARN, Profile: profile, ContextName: contextName, SetCurrent: !noSetCurrent}
			if err := kubeauth.WriteKubeconfig(path, kc, o); err != nil {
				return &exitError{code: 2, err: err}
			}
			name := contextName
			if name == "" {
				name = kc.ARN
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Updated context %s in %s\n", name, path)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cluster, "cluster", "", "name of the EKS cluster (required)")
	fs.StringVar(&region, "region", "", "AWS region (default: from the environment or profile)")
	fs.StringVar(&profile, "profile", "", "AWS shared-config profile, also set as AWS_PROFILE for the token command")
	fs.StringVar(&roleARN, "role-arn", "", "IAM role the token command assumes to sign the token")
	fs.StringVar(&path, "kubeconfig", "", "kubeconfig file to write (default: first path of $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&exec, "exec", string(kubeauth.ExecAWSCLI), "token command: aws (aws eks get-token) or fargatekit (fargatekit token)")
	fs.StringVar(&command, "exec-command", "", "path of the token command's executable (default: aws or fargatekit on PATH)")
	fs.StringVar(&contextName, "context", "", "name of the context (default: the cluster ARN)")
	fs.BoolVar(&noSetCurrent, "no-set-current", false, "do not make the context the current one")
	registerTimeout(fs, 2*time.Minute)
	return cmd
}

// kcfgDefaultPath is the first path of $KUBECONFIG, else ~/.kube/config.
func kcfgDefaultPath() string {
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				return p
			}
		}
	}
	return clientcmd.RecommendedHomeFile
}

// kubeconfigREST is the REST configuration of a cluster from a kubeconfig:
// the file path (default: $KUBECONFIG, else ~/.kube/config) and the context
// named contextName, or else the context named after the cluster's name or
// ARN, or whose server is its endpoint, or else the current context.
func kubeconfigREST(path, contextName, name, arn, endpoint string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	pick := contextName
	if pick == "" {
		for n, c := range raw.Contexts {
			if n == name || (arn != "" && n == arn) {
				pick = n
				break
			}
			if cl := raw.Clusters[c.Cluster]; cl != nil && endpoint != "" && strings.TrimSuffix(cl.Server, "/") == strings.TrimSuffix(endpoint, "/") {
				pick = n
			}
		}
	}
	if pick == "" {
		pick = raw.CurrentContext
	}
	if pick == "" {
		return nil, fmt.Errorf("kubeconfig has no context for cluster %s: pass --context", name)
	}
	if _, ok := raw.Contexts[pick]; !ok {
		return nil, fmt.Errorf("kubeconfig has no context %q", pick)
	}
	return clientcmd.NewNonInteractiveClientConfig(*raw, pick, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
}
