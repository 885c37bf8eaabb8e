package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/fargatekit/fargatekit/internal/ekswait"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

// actuator performs fixes with the clients of the observation that found
// them.
type actuator struct {
	o       *Options
	clients func(region string) Clients
}

func (s *Snapshot) clientsFor(region string) (Clients, error) {
	if s.act == nil {
		return Clients{}, errNoClients
	}
	return s.act.clients(region), nil
}

func (s *Snapshot) iamClient() (IAMAPI, error) {
	if len(s.Regions) == 0 {
		return nil, errNoClients
	}
	cl, err := s.clientsFor(s.Regions[0])
	if err != nil {
		return nil, err
	}
	return cl.IAM, nil
}

func (s *Snapshot) kubeClient(ctx context.Context, c *Cluster) (kubernetes.Interface, error) {
	if s.act == nil {
		return nil, errNoClients
	}
	cfg, err := kubeConfig(ctx, s.act.o, c)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes API of %s: %w", c.Name, err)
	}
	return kubernetes.NewForConfig(rest.CopyConfig(cfg))
}

func (s *Snapshot) pollInterval() time.Duration {
	if s.act == nil || s.act.o.PollInterval <= 0 {
		return 5 * time.Second
	}
	return s.act.o.PollInterval
}

func (s *Snapshot) waitTimeout() time.Duration {
	if s.act == nil || s.act.o.WaitTimeout <= 0 {
		return 20 * time.Minute
	}
	return s.act.o.WaitTimeout
}

func (s *Snapshot) now() time.Time {
	if s.act == nil || s.act.o.Now == nil {
		return time.Now()
	}
	return s.act.o.Now()
}

// docValue renders a policy document as a JSON value for a change's Before
// and After, so that plans diff and marshal it.
func docValue(d *iamtrust.Document) any {
	if d == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(d.JSON(), &v); err != nil {
		return d.String()
	}
	return v
}

// fixTrust rewrites a role's trust policy.
func (s *Snapshot) fixTrust(r *Role, want *iamtrust.Document, summary, requirement string) plan.Change {
	var before any = r.TrustSource
	if r.Trust != nil {
		before = docValue(r.Trust)
	}
	text := string(want.JSON())
	name := r.Name
	return plan.Change{
		ID: "iam.role-trust/" + r.Name, Kind: "iam.role", Resource: r.ARN, Action: plan.Update,
		Summary: summary, Before: before, After: docValue(want), Requirement: requirement,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			api, err := s.iamClient()
			if err != nil {
				return err
			}
			_, err = api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(text)})
			return err
		},
	}
}

// fixAttachPolicy attaches a managed policy to a role.
func (s *Snapshot) fixAttachPolicy(r *Role, policyARN, requirement string) plan.Change {
	name := r.Name
	return plan.Change{
		ID: "iam.role-policy/" + r.Name + "/" + policyARN, Kind: "iam.role-policy-attachment", Resource: r.ARN, Action: plan.Create,
		Summary: "attach " + policyARN, After: map[string]string{"role": r.Name, "policyArn": policyARN}, Requirement: requirement,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			api, err := s.iamClient()
			if err != nil {
				return err
			}
			_, err = api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(policyARN)})
			return err
		},
	}
}

// waitClusterUpdate waits for a cluster update (internal/ekswait).
func (s *Snapshot) waitClusterUpdate(ctx context.Context, api EKSAPI, cluster, id string, report plan.Reporter) error {
	return ekswait.Update(ctx, api, cluster, "", id, ekswait.Options{
		Poll: s.pollInterval(), MaxPoll: s.pollInterval(), Timeout: s.waitTimeout(),
		Report: func(state string, _ time.Duration) { report(state) },
	})
}

// fixLogging enables the missing control-plane log types.
func (s *Snapshot) fixLogging(c *Cluster, miss []string) plan.Change {
	// Send every wanted type, not only the missing ones: EKS merges, but
	// an API that replaces the logging configuration must not lose the
	// types already on.
	want := sortedCopy(append(append([]string{}, c.Logging...), miss...))
	types := make([]ekstypes.LogType, len(want))
	for i, m := range want {
		types[i] = ekstypes.LogType(m)
	}
	region, name := c.Region, c.Name
	return plan.Change{
		ID: "eks.cluster-logging/" + c.ARN, Kind: "eks.cluster", Resource: c.ARN, Action: plan.Update,
		Summary: "logging: enable " + list(miss), Before: map[string]any{"logging": c.Logging}, After: map[string]any{"logging": want},
		Requirement: docLogging, Serial: "eks.cluster/" + c.ARN,
		Run: func(ctx context.Context, report plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			out, err := cl.EKS.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String(name),
				Logging: &ekstypes.Logging{ClusterLogging: []ekstypes.LogSetup{{Enabled: aws.Bool(true), Types: types}}}})
			if err != nil {
				return err
			}
			return s.waitClusterUpdate(ctx, cl.EKS, name, aws.ToString(out.Update.Id), report)
		},
	}
}

func sortedCopy(s []string) []string {
	set := map[string]bool{}
	for _, v := range s {
		set[v] = true
	}
	return sortedKeys(set)
}

// fixAWSAuthNodeMapping adds the pod execution role's node mapping to
// aws-auth, keeping every other entry (read-modify-write with retry on
// conflict, in eksfargate.ApplyAWSAuth).
func (s *Snapshot) fixAWSAuthNodeMapping(c *Cluster, roleARN string) plan.Change {
	m := eksfargate.AccessMapping{ARN: roleARNWithoutPath(roleARN), Username: eksfargate.FargateNodeUsername, Groups: fargateNodeGroups}
	cl := *c
	return plan.Change{
		ID: "k8s.aws-auth/" + c.ARN + "/" + roleARN, Kind: "k8s.aws-auth-mapping", Resource: kubeRef(c, "kube-system", "ConfigMap", "aws-auth"),
		Action: plan.Create, Summary: "mapRoles: add " + m.ARN + " as " + m.Username,
		After:       map[string]any{"rolearn": m.ARN, "username": m.Username, "groups": m.Groups},
		Requirement: docPodExecRole, Serial: "k8s.aws-auth/" + c.ARN,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			kc, err := s.kubeClient(ctx, &cl)
			if err != nil {
				return err
			}
			_, err = eksfargate.ApplyAWSAuth(ctx, kc, eksfargate.AWSAuthEdit{Upsert: []eksfargate.AccessMapping{m}}, func(o *eksfargate.AWSAuthOptions) {
				if s.act != nil {
					o.Logger = s.act.o.Logger
				}
			})
			return err
		},
	}
}

// fixAWSAuthRemove removes a mapping from aws-auth.
func (s *Snapshot) fixAWSAuthRemove(c *Cluster, arn string) plan.Change {
	cl := *c
	return plan.Change{
		ID: "k8s.aws-auth/" + c.ARN + "/" + arn, Kind: "k8s.aws-auth-mapping", Resource: kubeRef(c, "kube-system", "ConfigMap", "aws-auth"),
		Action: plan.Delete, Summary: "remove the system:masters mapping of " + arn, Before: map[string]any{"arn": arn},
		Requirement: docAccessPolicies, Destructive: true, Serial: "k8s.aws-auth/" + c.ARN,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			kc, err := s.kubeClient(ctx, &cl)
			if err != nil {
				return err
			}
			_, err = eksfargate.ApplyAWSAuth(ctx, kc, eksfargate.AWSAuthEdit{Remove: []string{arn}}, func(o *eksfargate.AWSAuthOptions) {
				o.NoCreate = true
				if s.act != nil {
					o.Logger = s.act.o.Logger
				}
			})
			return err
		},
	}
}

// fixFargateAccessEntry creates the FARGATE_LINUX access entry of a pod
// execution role.
func (s *Snapshot) fixFargateAccessEntry(c *Cluster, roleARN string) plan.Change {
	region, name := c.Region, c.Name
	return plan.Change{
		ID: "eks.access-entry/" + c.ARN + "/" + roleARN, Kind: "eks.access-entry", Resource: roleARN, Action: plan.Create,
		Summary: "FARGATE_LINUX access entry on " + c.Name, After: map[string]any{"principalArn": roleARN, "type": "FARGATE_LINUX"},
		Requirement: docPodExecRole,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			_, err = cl.EKS.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(roleARN), Type: aws.String("FARGATE_LINUX")})
			var inUse *ekstypes.ResourceInUseException
			if errors.As(err, &inUse) { // created meanwhile
				return nil
			}
			return err
		},
	}
}

// fixAccessEntryGroups removes system:masters from an access entry's groups.
func (s *Snapshot) fixAccessEntryGroups(c *Cluster, e *AccessEntry) plan.Change {
	var keep []string
	for _, g := range e.KubernetesGroups {
		if g != eksfargate.GroupSystemMasters {
			keep = append(keep, g)
		}
	}
	region, name, principal := c.Region, c.Name, e.PrincipalARN
	return plan.Change{
		ID: "eks.access-entry-groups/" + c.ARN + "/" + e.PrincipalARN, Kind: "eks.access-entry", Resource: e.PrincipalARN, Action: plan.Update,
		Summary: "remove the group system:masters", Before: map[string]any{"kubernetesGroups": e.KubernetesGroups}, After: map[string]any{"kubernetesGroups": keep},
		Requirement: docAccessPolicies, Destructive: true,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			groups := keep
			if groups == nil {
				groups = []string{}
			}
			_, err = cl.EKS.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String(name), PrincipalArn: aws.String(principal), KubernetesGroups: groups})
			return err
		},
	}
}

// fixDisassociateAdmin removes the cluster-admin access policy from an entry.
func (s *Snapshot) fixDisassociateAdmin(c *Cluster, e *AccessEntry, policyARN string) plan.Change {
	region, name, principal := c.Region, c.Name, e.PrincipalARN
	return plan.Change{
		ID: "eks.access-policy/" + c.ARN + "/" + e.PrincipalARN + "/" + policyARN, Kind: "eks.access-policy-association", Resource: e.PrincipalARN,
		Action: plan.Delete, Summary: "disassociate " + policyARN, Before: map[string]any{"policyArn": policyARN},
		Requirement: docAccessPolicies, Destructive: true,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			_, err = cl.EKS.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String(name), PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyARN)})
			if isNotFound(err) {
				return nil
			}
			return err
		},
	}
}

// fixCoreDNSAddon sets the coredns add-on's computeType to Fargate, keeping
// its other configuration values.
func (s *Snapshot) fixCoreDNSAddon(c *Cluster, a *Addon) (plan.Change, bool) {
	values, err := eksfargate.CoreDNSFargateConfig(a.ConfigurationValues)
	if err != nil {
		return plan.Change{}, false
	}
	region, name := c.Region, c.Name
	return plan.Change{
		ID: "eks.addon/" + c.ARN + "/coredns", Kind: "eks.addon", Resource: c.ARN + "/addon/coredns", Action: plan.Update,
		Summary: "configuration values: computeType Fargate", Before: map[string]any{"configurationValues": a.ConfigurationValues},
		After: map[string]any{"configurationValues": values}, Requirement: docFargateStart, Serial: "eks.cluster/" + c.ARN,
		Run: func(ctx context.Context, report plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			if _, err := cl.EKS.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(name), AddonName: aws.String("coredns"),
				ConfigurationValues: aws.String(values), ResolveConflicts: ekstypes.ResolveConflictsPreserve}); err != nil {
				return err
			}
			report("UPDATING")
			poll := s.pollInterval()
			w := eks.NewAddonActiveWaiter(cl.EKS, func(o *eks.AddonActiveWaiterOptions) {
				o.MinDelay, o.MaxDelay = poll, max(poll, 30*time.Second)
			})
			return w.Wait(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(name), AddonName: aws.String("coredns")}, s.waitTimeout())
		},
	}, true
}

// fixCoreDNSDeployment removes the compute-type pin from CoreDNS's pod
// template and restarts the rollout (a restart is needed even when the
// annotation is absent: pods created before their profile stay Pending).
func (s *Snapshot) fixCoreDNSDeployment(c *Cluster, afterAddon bool) plan.Change {
	cl := *c
	ch := plan.Change{
		ID: "k8s.deployment/" + c.ARN + "/kube-system/coredns", Kind: "k8s.deployment", Resource: kubeRef(c, "kube-system", "Deployment", "coredns"),
		Action: plan.Update, Summary: "remove " + AnnotationComputeType + " and restart",
		Requirement: docFargateStart,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			kc, err := s.kubeClient(ctx, &cl)
			if err != nil {
				return err
			}
			err = eksfargate.CoreDNSRestart(ctx, kc, s.now())
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		},
	}
	if c.Kube != nil && c.Kube.CoreDNS != nil {
		ch.Before = map[string]any{"templateAnnotations": c.Kube.CoreDNS.TemplateAnnotations}
		after := map[string]string{}
		for k, v := range c.Kube.CoreDNS.TemplateAnnotations {
			if k != AnnotationComputeType {
				after[k] = v
			}
		}
		after["kubectl.kubernetes.io/restartedAt"] = "(now)"
		ch.After = map[string]any{"templateAnnotations": after}
	}
	if afterAddon {
		ch.DependsOn = []string{"eks.addon/" + c.ARN + "/coredns"}
	}
	return ch
}

// fixCreateOIDCProvider creates the IAM OIDC provider of a cluster.
func (s *Snapshot) fixCreateOIDCProvider(c *Cluster) plan.Change {
	issuer, name := c.OIDCIssuer, c.Name
	provARN := iamtrust.OIDCProviderARN(s.Partition, s.Account, issuer)
	return plan.Change{
		ID: "iam.oidc-provider/" + provARN, Kind: "iam.oidc-provider", Resource: provARN, Action: plan.Create,
		Summary: "IAM OIDC provider for " + issuer, After: map[string]any{"url": issuer, "clientIDList": []string{iamtrust.STSAudience}},
		Requirement: docIRSAProvider,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			api, err := s.iamClient()
			if err != nil {
				return err
			}
			_, err = api.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
				Url: aws.String(issuer), ClientIDList: []string{iamtrust.STSAudience},
				Tags: []iamtypes.Tag{{Key: aws.String(eksfargate.OwnerTag), Value: aws.String(name)}},
			})
			var exists *iamtypes.EntityAlreadyExistsException
			if errors.As(err, &exists) {
				return nil
			}
			return err
		},
	}
}

// fixAddClientID adds sts.amazonaws.com to a provider's client IDs.
func (s *Snapshot) fixAddClientID(c *Cluster, p *OIDCProvider) plan.Change {
	provARN := p.ARN
	return plan.Change{
		ID: "iam.oidc-provider/" + provARN, Kind: "iam.oidc-provider", Resource: provARN, Action: plan.Update,
		Summary: "add client ID " + iamtrust.STSAudience, Before: map[string]any{"clientIDList": p.ClientIDs},
		After:       map[string]any{"clientIDList": append(append([]string{}, p.ClientIDs...), iamtrust.STSAudience)},
		Requirement: docIRSAProvider,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			api, err := s.iamClient()
			if err != nil {
				return err
			}
			_, err = api.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
				OpenIDConnectProviderArn: aws.String(provARN), ClientID: aws.String(iamtrust.STSAudience)})
			return err
		},
	}
}

// fixDeletePodIdentity deletes a pod identity association.
func (s *Snapshot) fixDeletePodIdentity(c *Cluster, a *PodIdentityAssociation) plan.Change {
	region, name, id := c.Region, c.Name, a.AssociationID
	return plan.Change{
		ID: "eks.pod-identity-association/" + c.ARN + "/" + a.AssociationID, Kind: "eks.pod-identity-association", Resource: a.AssociationARN,
		Action: plan.Delete, Summary: "delete the association of " + a.Namespace + "/" + a.ServiceAccount,
		Before:      map[string]any{"namespace": a.Namespace, "serviceAccount": a.ServiceAccount, "associationId": a.AssociationID},
		Requirement: docPodIdentity, Destructive: true,
		Run: func(ctx context.Context, _ plan.Reporter) error {
			cl, err := s.clientsFor(region)
			if err != nil {
				return err
			}
			_, err = cl.EKS.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(name), AssociationId: aws.String(id)})
			if isNotFound(err) {
				return nil
			}
			return err
		},
	}
}
