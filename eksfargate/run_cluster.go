package eksfargate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// loggingRequest enables exactly the given log types and disables the rest.
func loggingRequest(enabled []string) *ekstypes.Logging {
	var on, off []ekstypes.LogType
	for _, t := range AllLogTypes {
		if containsString(enabled, t) {
			on = append(on, ekstypes.LogType(t))
		} else {
			off = append(off, ekstypes.LogType(t))
		}
	}
	var setups []ekstypes.LogSetup
	if len(on) > 0 {
		setups = append(setups, ekstypes.LogSetup{Types: on, Enabled: aws.Bool(true)})
	}
	if len(off) > 0 {
		setups = append(setups, ekstypes.LogSetup{Types: off, Enabled: aws.Bool(false)})
	}
	return &ekstypes.Logging{ClusterLogging: setups}
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// createCluster creates the control plane and waits until it is ACTIVE.
// While the cluster role is new, EKS may refuse it (InvalidParameterException)
// until IAM has propagated it; that is retried within
// Options.RolePropagation.
func (x *executor) createCluster(ctx context.Context, w clusterDesired, roleName string, report plan.Reporter) error {
	var subnets []string
	for _, k := range w.subnetKeys {
		id, err := x.id(k)
		if err != nil {
			return err
		}
		subnets = append(subnets, id)
	}
	in := &eks.CreateClusterInput{
		Name:    aws.String(w.Name),
		RoleArn: aws.String(w.RoleARN),
		Version: aws.String(w.Version),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{
			SubnetIds:             subnets,
			SecurityGroupIds:      w.SecurityGroupIDs,
			EndpointPublicAccess:  aws.Bool(w.EndpointPublicAccess),
			EndpointPrivateAccess: aws.Bool(w.EndpointPrivateAccess),
			PublicAccessCidrs:     w.PublicAccessCIDRs,
		},
		Logging: loggingRequest(w.Logging),
		AccessConfig: &ekstypes.CreateAccessConfigRequest{
			AuthenticationMode: ekstypes.AuthenticationMode(w.AuthenticationMode),
			// EKS requires it in CONFIG_MAP mode, where the creator's admin
			// rights are implicit anyway.
			BootstrapClusterCreatorAdminPermissions: aws.Bool(w.bootstrapCreatorAdmin || w.AuthenticationMode == access.AuthModeConfigMap),
		},
		DeletionProtection: aws.Bool(w.DeletionProtection),
		Tags:               w.Tags,
	}
	if w.ServiceIPv4CIDR != "" {
		in.KubernetesNetworkConfig = &ekstypes.KubernetesNetworkConfigRequest{ServiceIpv4Cidr: aws.String(w.ServiceIPv4CIDR)}
	}
	if w.SecretsKMSKeyARN != "" {
		in.EncryptionConfig = []ekstypes.EncryptionConfig{{Provider: &ekstypes.Provider{KeyArn: aws.String(w.SecretsKMSKeyARN)}, Resources: []string{"secrets"}}}
	}
	err := x.retryRolePropagation(ctx, "cluster "+w.Name, []string{roleName}, report, func(ctx context.Context) error {
		_, err := x.c.EKS.CreateCluster(ctx, in)
		return err
	})
	if eksResourceInUse(err) {
		// The name is taken. An earlier create whose answer was lost (an
		// interrupted apply) leaves a cluster tagged for us: carry on with
		// it. Anything else is someone else's cluster.
		live, derr := observe.Cluster(ctx, x.c.EKS, w.Name)
		if derr == nil && live != nil && live.Tags[OwnerTag] == w.Name && aws.ToString(live.RoleArn) == w.RoleARN {
			x.log.Info("adopt", zap.String("resource", "cluster "+w.Name), zap.String("reason", "created by an interrupted apply"))
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("create cluster %s: %w", w.Name, err)
	}
	return x.waitCluster(ctx, report)
}

// waitCluster waits until the cluster is ACTIVE; FAILED stops at once with
// the health issues EKS gives.
func (x *executor) waitCluster(ctx context.Context, report plan.Reporter) error {
	return x.waitFor(ctx, "cluster "+x.cluster, x.o.Timeouts.Cluster, report, func(ctx context.Context) (string, bool, error) {
		cl, err := observe.Cluster(ctx, x.c.EKS, x.cluster)
		if err != nil {
			return "", false, fmt.Errorf("describe cluster %s: %w", x.cluster, err)
		}
		if cl == nil {
			return "", false, fmt.Errorf("describe cluster %s: empty answer", x.cluster)
		}
		switch cl.Status {
		case ekstypes.ClusterStatusActive:
			return string(cl.Status), true, nil
		case ekstypes.ClusterStatusFailed, ekstypes.ClusterStatusDeleting:
			return string(cl.Status), false, fmt.Errorf("cluster %s is %s: %s", x.cluster, cl.Status, clusterHealthText(cl.Health))
		}
		return string(cl.Status), false, nil
	})
}

// waitUpdate waits for an EKS update (of the cluster, or of addon when it
// is not empty) to succeed; Failed and Cancelled stop at once with EKS's
// errors.
func (x *executor) waitUpdate(ctx context.Context, u *ekstypes.Update, addon string, report plan.Reporter) error {
	if u == nil || u.Id == nil {
		return nil
	}
	id := aws.ToString(u.Id)
	what := "update " + id + " of cluster " + x.cluster
	if addon != "" {
		what = "update " + id + " of addon " + addon
	}
	timeout := x.o.Timeouts.ClusterUpdate
	if addon != "" {
		timeout = x.o.Timeouts.Addon
	}
	err := ops.WaitUpdate(ctx, x.c.EKS, x.cluster, addon, id, ops.WaitOptions{
		Poll: x.o.PollInterval, MaxPoll: x.o.MaxPollInterval, Timeout: timeout, Now: x.o.Now, Sleep: x.o.Sleep, Report: report,
		Log: func(state string, elapsed time.Duration) {
			x.log.Info("wait", zap.String("resource", what), zap.String("state", state), zap.Duration("elapsed", elapsed))
		},
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// updateConfig sends one UpdateClusterConfig (EKS allows one kind of update
// per call and one update at a time: another one in progress is retried)
// and waits for it.
func (x *executor) updateConfig(ctx context.Context, what string, in *eks.UpdateClusterConfigInput, report plan.Reporter) error {
	in.Name = aws.String(x.cluster)
	var u *ekstypes.Update
	err := x.retryInUse(ctx, "cluster "+x.cluster+" "+what, report, func(ctx context.Context) error {
		var err error
		u, err = ops.ClusterConfigUpdate(ctx, x.c.EKS, in)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("cluster %s: update %s: %w", x.cluster, what, err)
	}
	return x.waitUpdate(ctx, u, "", report)
}

func (x *executor) updateEndpoint(ctx context.Context, public, private bool, cidrs []string, report plan.Reporter) error {
	vpc := &ekstypes.VpcConfigRequest{EndpointPublicAccess: aws.Bool(public), EndpointPrivateAccess: aws.Bool(private)}
	if public {
		vpc.PublicAccessCidrs = cidrs
	}
	return x.updateConfig(ctx, "endpoint access", &eks.UpdateClusterConfigInput{ResourcesVpcConfig: vpc}, report)
}

// updateSubnets moves the cluster to the subnets of keys (resolved now,
// so that subnets created by the same apply are included).
func (x *executor) updateSubnets(ctx context.Context, keys []string, report plan.Reporter) error {
	var ids []string
	for _, k := range keys {
		id, err := x.id(k)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	return x.updateConfig(ctx, "subnets", &eks.UpdateClusterConfigInput{ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: ids}}, report)
}

func (x *executor) updateLogging(ctx context.Context, enabled []string, report plan.Reporter) error {
	return x.updateConfig(ctx, "logging", &eks.UpdateClusterConfigInput{Logging: loggingRequest(enabled)}, report)
}

func (x *executor) updateDeletionProtection(ctx context.Context, on bool, report plan.Reporter) error {
	return x.updateConfig(ctx, "deletion protection", &eks.UpdateClusterConfigInput{DeletionProtection: aws.Bool(on)}, report)
}

// updateAuthMode moves the authentication mode forward one step at a time
// (CONFIG_MAP → API_AND_CONFIG_MAP → API).
func (x *executor) updateAuthMode(ctx context.Context, from, to string, report plan.Reporter) error {
	modes := []string{access.AuthModeConfigMap, access.AuthModeAPIAndConfigMap, access.AuthModeAPI}
	for i := clusterAuthRank(from); i < clusterAuthRank(to); i++ {
		next := modes[i]
		if err := x.updateConfig(ctx, "authentication mode → "+next, &eks.UpdateClusterConfigInput{
			AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(next)},
		}, report); err != nil {
			return err
		}
	}
	return nil
}

// upgradeCluster moves the Kubernetes version up one minor version at a
// time, as EKS requires.
func (x *executor) upgradeCluster(ctx context.Context, from, to string, report plan.Reporter) error {
	major, minor, _ := splitVersion(from)
	_, target, _ := splitVersion(to)
	for minor < target {
		minor++
		v := fmt.Sprintf("%d.%d", major, minor)
		var out *eks.UpdateClusterVersionOutput
		err := x.retryInUse(ctx, "cluster "+x.cluster+" version "+v, report, func(ctx context.Context) error {
			var err error
			out, err = x.c.EKS.UpdateClusterVersion(ctx, &eks.UpdateClusterVersionInput{Name: aws.String(x.cluster), Version: aws.String(v)})
			return err
		}, nil)
		if err != nil {
			return fmt.Errorf("cluster %s: upgrade to %s: %w", x.cluster, v, err)
		}
		if err := x.waitUpdate(ctx, out.Update, "", report); err != nil {
			return err
		}
	}
	return nil
}

func (x *executor) associateEncryption(ctx context.Context, key string, report plan.Reporter) error {
	var out *eks.AssociateEncryptionConfigOutput
	err := x.retryInUse(ctx, "cluster "+x.cluster+" encryption", report, func(ctx context.Context) error {
		var err error
		out, err = x.c.EKS.AssociateEncryptionConfig(ctx, &eks.AssociateEncryptionConfigInput{
			ClusterName:      aws.String(x.cluster),
			EncryptionConfig: []ekstypes.EncryptionConfig{{Provider: &ekstypes.Provider{KeyArn: aws.String(key)}, Resources: []string{"secrets"}}},
		})
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("cluster %s: encrypt secrets with %s: %w", x.cluster, key, err)
	}
	return x.waitUpdate(ctx, out.Update, "", report)
}

// deleteCluster deletes the control plane and waits until it is gone.
func (x *executor) deleteCluster(ctx context.Context, report plan.Reporter) error {
	err := x.retryInUse(ctx, "delete cluster "+x.cluster, report, func(ctx context.Context) error {
		_, err := x.c.EKS.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(x.cluster)})
		return err
	}, nil)
	if err != nil && !awsNotFound(err) {
		return fmt.Errorf("delete cluster %s: %w", x.cluster, err)
	}
	return x.waitFor(ctx, "cluster "+x.cluster, x.o.Timeouts.Cluster, report, func(ctx context.Context) (string, bool, error) {
		cl, err := observe.Cluster(ctx, x.c.EKS, x.cluster)
		if awsNotFound(err) {
			return "DELETED", true, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("describe cluster %s: %w", x.cluster, err)
		}
		if cl == nil {
			return "DELETED", true, nil
		}
		if cl.Status == ekstypes.ClusterStatusFailed {
			return "FAILED", false, fmt.Errorf("cluster %s failed to delete: %s", x.cluster, clusterHealthText(cl.Health))
		}
		return string(cl.Status), false, nil
	})
}
