package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/plan"
)

// The operations a change can carry as data (plan.Op.Name). Their
// arguments are the Args types below, as JSON.
const (
	OpUpdateTrust          = "iam.UpdateAssumeRolePolicy"
	OpAttachRolePolicy     = "iam.AttachRolePolicy"
	OpDetachRolePolicy     = "iam.DetachRolePolicy"
	OpDeleteRolePolicy     = "iam.DeleteRolePolicy"
	OpCreateOIDCProvider   = "iam.CreateOpenIDConnectProvider"
	OpAddOIDCClientID      = "iam.AddClientIDToOpenIDConnectProvider"
	OpEnableLogging        = "eks.UpdateClusterConfig/logging"
	OpCreateAccessEntry    = "eks.CreateAccessEntry"
	OpUpdateAccessGroups   = "eks.UpdateAccessEntry/groups"
	OpDisassociatePolicy   = "eks.DisassociateAccessPolicy"
	OpUpdateAddonConfig    = "eks.UpdateAddon/configuration"
	OpDeletePodIdentity    = "eks.DeletePodIdentityAssociation"
	OpAWSAuthUpsert        = "k8s.aws-auth/upsert"
	OpAWSAuthRemove        = "k8s.aws-auth/remove"
	OpCoreDNSRestartOnFarg = "k8s.coredns/fargate-restart"
)

// RoleArgs name a role.
type RoleArgs struct {
	// Role is the role's name.
	Role string `json:"role"`
}

// TrustArgs are the arguments of OpUpdateTrust.
type TrustArgs struct {
	Role     string `json:"role"`
	Document string `json:"document"`
}

// RolePolicyArgs are the arguments of OpAttachRolePolicy,
// OpDetachRolePolicy (PolicyARN) and OpDeleteRolePolicy (PolicyName).
type RolePolicyArgs struct {
	Role       string `json:"role"`
	PolicyARN  string `json:"policyArn,omitempty"`
	PolicyName string `json:"policyName,omitempty"`
}

// OIDCArgs are the arguments of OpCreateOIDCProvider (URL, ClientIDs,
// Tags) and OpAddOIDCClientID (ProviderARN, ClientIDs[0]).
type OIDCArgs struct {
	ProviderARN string            `json:"providerArn,omitempty"`
	URL         string            `json:"url,omitempty"`
	ClientIDs   []string          `json:"clientIds,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// LoggingArgs are the arguments of OpEnableLogging: every log type to have
// on (EKS merges, but an API that replaces the configuration must not lose
// the types already on).
type LoggingArgs struct {
	Types []string `json:"types"`
}

// AccessArgs are the arguments of the access-entry operations.
type AccessArgs struct {
	Principal string   `json:"principal"`
	Type      string   `json:"type,omitempty"`
	Groups    []string `json:"groups,omitempty"`
	PolicyARN string   `json:"policyArn,omitempty"`
}

// AddonArgs are the arguments of OpUpdateAddonConfig.
type AddonArgs struct {
	Addon               string `json:"addon"`
	ConfigurationValues string `json:"configurationValues"`
}

// PodIdentityArgs are the arguments of OpDeletePodIdentity.
type PodIdentityArgs struct {
	AssociationID string `json:"associationId"`
}

// AWSAuthArgs are the arguments of OpAWSAuthUpsert (Mappings) and
// OpAWSAuthRemove (ARNs).
type AWSAuthArgs struct {
	Mappings []AWSAuthMapping `json:"mappings,omitempty"`
	ARNs     []string         `json:"arns,omitempty"`
}

// AWSAuthMapping is an aws-auth mapRoles entry.
type AWSAuthMapping struct {
	ARN      string   `json:"arn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

// NewOp describes an operation as data; it panics on arguments that do
// not marshal, which is a programming error.
func NewOp(name, region, cluster string, args any) *plan.Op {
	raw, err := json.Marshal(args)
	if err != nil {
		panic(fmt.Sprintf("ops: %s: %v", name, err))
	}
	return &plan.Op{Name: name, Region: region, Cluster: cluster, Args: raw}
}

// Clients are the write clients of one region.
type Clients struct {
	IAM IAM
	EKS EKS
}

// Env binds operations to clients.
type Env struct {
	// Clients returns the clients of a region ("" is IAM's, any region's).
	Clients func(region string) Clients
	// Kube runs the Kubernetes operations (OpAWSAuth…, OpCoreDNS…), which
	// need code of the cluster-side packages; nil makes them unbindable.
	Kube func(ctx context.Context, op plan.Op, report plan.Reporter) error
	// Poll is the interval of waits (default 5 s); Timeout bounds each
	// wait (default 20 min).
	Poll, Timeout time.Duration
}

// Bind is a plan.Binder: it turns a change's Op into the function that
// performs it with e's clients.
func (e Env) Bind(c plan.Change) (plan.RunFunc, error) {
	op := *c.Op
	if e.Clients == nil {
		return nil, fmt.Errorf("no AWS clients to run %s", op.Name)
	}
	decode := func(v any) error {
		if err := json.Unmarshal(op.Args, v); err != nil {
			return fmt.Errorf("arguments of %s: %w", op.Name, err)
		}
		return nil
	}
	poll, timeout := e.Poll, e.Timeout
	if poll <= 0 {
		poll = 5 * time.Second
	}
	if timeout <= 0 {
		timeout = 20 * time.Minute
	}
	wait := func(ctx context.Context, api EKS, addon string, u *ekstypes.Update, report plan.Reporter) error {
		if u == nil || u.Id == nil {
			return nil
		}
		return WaitUpdate(ctx, api, op.Cluster, addon, aws.ToString(u.Id), WaitOptions{Poll: poll, MaxPoll: poll, Timeout: timeout, Report: report})
	}
	switch op.Name {
	case OpUpdateTrust:
		var a TrustArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ plan.Reporter) error {
			return RoleTrust(ctx, e.Clients(op.Region).IAM, a.Role, a.Document)
		}, nil
	case OpAttachRolePolicy, OpDetachRolePolicy, OpDeleteRolePolicy:
		var a RolePolicyArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ plan.Reporter) error {
			api := e.Clients(op.Region).IAM
			switch op.Name {
			case OpAttachRolePolicy:
				return PolicyAttach(ctx, api, a.Role, a.PolicyARN)
			case OpDetachRolePolicy:
				return PolicyDetach(ctx, api, a.Role, a.PolicyARN)
			default:
				return InlinePolicyDelete(ctx, api, a.Role, a.PolicyName)
			}
		}, nil
	case OpCreateOIDCProvider, OpAddOIDCClientID:
		var a OIDCArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ plan.Reporter) error {
			api := e.Clients(op.Region).IAM
			if op.Name == OpCreateOIDCProvider {
				return OIDCProviderCreate(ctx, api, NewOIDCProvider{URL: a.URL, ClientIDs: a.ClientIDs, Tags: a.Tags})
			}
			for _, id := range a.ClientIDs {
				if err := OIDCProviderClientID(ctx, api, a.ProviderARN, id); err != nil {
					return err
				}
			}
			return nil
		}, nil
	case OpEnableLogging:
		var a LoggingArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		types := make([]ekstypes.LogType, len(a.Types))
		for i, t := range a.Types {
			types[i] = ekstypes.LogType(t)
		}
		return func(ctx context.Context, report plan.Reporter) error {
			api := e.Clients(op.Region).EKS
			u, err := ClusterConfigUpdate(ctx, api, &eks.UpdateClusterConfigInput{Name: aws.String(op.Cluster),
				Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Enabled: aws.Bool(true), Types: types}}}})
			if err != nil {
				return err
			}
			return wait(ctx, api, "", u, report)
		}, nil
	case OpCreateAccessEntry, OpUpdateAccessGroups, OpDisassociatePolicy:
		var a AccessArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ plan.Reporter) error {
			api := e.Clients(op.Region).EKS
			switch op.Name {
			case OpCreateAccessEntry:
				_, err := AccessEntryCreate(ctx, api, &eks.CreateAccessEntryInput{ClusterName: aws.String(op.Cluster), PrincipalArn: aws.String(a.Principal), Type: aws.String(a.Type)})
				return err
			case OpUpdateAccessGroups:
				return AccessEntryUpdate(ctx, api, op.Cluster, a.Principal, "", a.Groups)
			default:
				return AccessPolicyDisassociate(ctx, api, op.Cluster, a.Principal, a.PolicyARN)
			}
		}, nil
	case OpUpdateAddonConfig:
		var a AddonArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, report plan.Reporter) error {
			api := e.Clients(op.Region).EKS
			u, err := AddonUpdate(ctx, api, &eks.UpdateAddonInput{ClusterName: aws.String(op.Cluster), AddonName: aws.String(a.Addon),
				ConfigurationValues: aws.String(a.ConfigurationValues), ResolveConflicts: ekstypes.ResolveConflictsPreserve})
			if err != nil {
				return fmt.Errorf("update add-on %s: %w", a.Addon, err)
			}
			if err := wait(ctx, api, a.Addon, u, report); err != nil {
				return fmt.Errorf("add-on %s: %w", a.Addon, err)
			}
			return WaitAddonActive(ctx, api, op.Cluster, a.Addon, WaitOptions{Poll: poll, Timeout: timeout, Report: report})
		}, nil
	case OpDeletePodIdentity:
		var a PodIdentityArgs
		if err := decode(&a); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ plan.Reporter) error {
			return PodIdentityDelete(ctx, e.Clients(op.Region).EKS, op.Cluster, a.AssociationID)
		}, nil
	case OpAWSAuthUpsert, OpAWSAuthRemove, OpCoreDNSRestartOnFarg:
		if e.Kube == nil {
			return nil, fmt.Errorf("no Kubernetes client to run %s", op.Name)
		}
		return func(ctx context.Context, report plan.Reporter) error { return e.Kube(ctx, op, report) }, nil
	}
	return nil, fmt.Errorf("unknown operation %q (a report of a newer fargatekit?)", op.Name)
}
