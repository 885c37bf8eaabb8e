package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/spf13/cobra"
)

func init() { extraCommands = append(extraCommands, newTokenCmd) }

// newTokenCmd is "fargatekit token": an exec credential plugin for kubectl,
// like `aws eks get-token`.
func newTokenCmd() *cobra.Command {
	var (
		f       awsFlags
		cluster string
	)
	cmd := &cobra.Command{
		Use:   "token --cluster NAME [--region REGION] [--role-arn ARN]",
		Short: "Print an EKS token as a kubectl exec credential",
		Long: `Print a token for an EKS cluster as a client.authentication.k8s.io/v1beta1
ExecCredential, for kubectl's exec credential plugins (see "fargatekit kubeconfig
--exec fargatekit"). The token is a presigned STS GetCallerIdentity URL bound to
the cluster, valid 15 minutes; the credential says it expires after 14.

The credentials are the AWS SDK's default chain (environment, --profile, SSO,
instance role…); with --role-arn the token is signed as that role.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" {
				return &exitError{code: 2, err: errors.New("token: --cluster is required")}
			}
			cfg, err := loadAWSConfig(cmd.Context(), f.region, f.profile, "")
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("token: %w", err)}
			}
			gen := kubeauth.NewTokenGenerator(cfg, func(o *kubeauth.TokenOptions) { o.RoleARN = f.roleARN })
			tok, err := gen.Token(cmd.Context(), cluster)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			b, err := tok.ExecCredentialJSON()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			return err
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "name of the EKS cluster (required)")
	f.register(cmd.Flags(), time.Minute)
	return cmd
}
