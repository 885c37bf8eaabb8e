package audit

import (
	"encoding/json"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

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
	return guardRole(r, plan.Change{
		ID: ops.RoleID(r.Name) + "/trust", Kind: ops.KindRole, Resource: r.ARN, Action: plan.Update,
		Summary: summary, Before: before, After: docValue(want), Requirement: requirement,
		Op: ops.NewOp(ops.OpUpdateTrust, "", "", ops.TrustArgs{Role: r.Name, Document: string(want.JSON())}),
	})
}

// guardRole holds back a change of a role that fargatekit does not manage
// (no fargatekit.io/cluster tag, or tags not read): it waits for
// Options.AllowUnowned, which FixPlan asks for.
func guardRole(r *Role, c plan.Change) plan.Change {
	if !r.PoliciesRead || !ops.Managed(r.Tags) {
		c.Blocked = ops.NotOwned("role " + r.ARN)
	}
	return c
}

// fixAttachPolicy attaches a managed policy to a role.
func (s *Snapshot) fixAttachPolicy(r *Role, policyARN, requirement string) plan.Change {
	return guardRole(r, plan.Change{
		ID: ops.RolePolicyID(r.Name, policyARN), Kind: ops.KindRolePolicy, Resource: r.ARN, Action: plan.Create,
		Summary: "attach " + policyARN, After: map[string]string{"role": r.Name, "policyArn": policyARN}, Requirement: requirement,
		Op: ops.NewOp(ops.OpAttachRolePolicy, "", "", ops.RolePolicyArgs{Role: r.Name, PolicyARN: policyARN}),
	})
}

// fixLogging enables the missing control-plane log types.
func (s *Snapshot) fixLogging(c *Cluster, miss []string) plan.Change {
	// Send every wanted type, not only the missing ones: EKS merges, but
	// an API that replaces the logging configuration must not lose the
	// types already on.
	want := sortedCopy(append(append([]string{}, c.Logging...), miss...))
	return plan.Change{
		ID: "eks.cluster-logging/" + c.ARN, Kind: "eks.cluster", Resource: c.ARN, Action: plan.Update,
		Summary: "logging: enable " + list(miss), Before: map[string]any{"logging": c.Logging}, After: map[string]any{"logging": want},
		Requirement: docLogging, Serial: ops.ClusterUpdateSerial(c.Name),
		Op: ops.NewOp(ops.OpEnableLogging, c.Region, c.Name, ops.LoggingArgs{Types: want}),
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
// conflict, in access.ApplyAWSAuth).
func (s *Snapshot) fixAWSAuthNodeMapping(c *Cluster, roleARN string) plan.Change {
	m := ops.AWSAuthMapping{ARN: roleARNWithoutPath(roleARN), Username: access.FargateNodeUsername, Groups: fargateNodeGroups}
	return plan.Change{
		ID: "k8s.aws-auth/" + c.ARN + "/" + roleARN, Kind: "k8s.aws-auth-mapping", Resource: kubeRef(c, "kube-system", "ConfigMap", "aws-auth"),
		Action: plan.Create, Summary: "mapRoles: add " + m.ARN + " as " + m.Username,
		After:       map[string]any{"rolearn": m.ARN, "username": m.Username, "groups": m.Groups},
		Requirement: docPodExecRole, Serial: "k8s.aws-auth/" + c.ARN,
		Op: ops.NewOp(ops.OpAWSAuthUpsert, c.Region, c.Name, ops.AWSAuthArgs{Mappings: []ops.AWSAuthMapping{m}}),
	}
}

// fixAWSAuthRemove removes a mapping from aws-auth.
func (s *Snapshot) fixAWSAuthRemove(c *Cluster, arn string) plan.Change {
	return plan.Change{
		ID: "k8s.aws-auth/" + c.ARN + "/" + arn, Kind: "k8s.aws-auth-mapping", Resource: kubeRef(c, "kube-system", "ConfigMap", "aws-auth"),
		Action: plan.Delete, Summary: "remove the system:masters mapping of " + arn, Before: map[string]any{"arn": arn},
		Requirement: docAccessPolicies, Destructive: true, Serial: "k8s.aws-auth/" + c.ARN,
		Op: ops.NewOp(ops.OpAWSAuthRemove, c.Region, c.Name, ops.AWSAuthArgs{ARNs: []string{arn}}),
	}
}

// fixFargateAccessEntry creates the FARGATE_LINUX access entry of a pod
// execution role.
func (s *Snapshot) fixFargateAccessEntry(c *Cluster, roleARN string) plan.Change {
	return plan.Change{
		ID: "eks.access-entry/" + c.ARN + "/" + roleARN, Kind: "eks.access-entry", Resource: roleARN, Action: plan.Create,
		Summary: "FARGATE_LINUX access entry on " + c.Name, After: map[string]any{"principalArn": roleARN, "type": "FARGATE_LINUX"},
		Requirement: docPodExecRole,
		Op:          ops.NewOp(ops.OpCreateAccessEntry, c.Region, c.Name, ops.AccessArgs{Principal: roleARN, Type: "FARGATE_LINUX"}),
	}
}

// fixAccessEntryGroups removes system:masters from an access entry's groups.
func (s *Snapshot) fixAccessEntryGroups(c *Cluster, e *AccessEntry) plan.Change {
	var keep []string
	for _, g := range e.KubernetesGroups {
		if g != access.GroupSystemMasters {
			keep = append(keep, g)
		}
	}
	return plan.Change{
		ID: "eks.access-entry-groups/" + c.ARN + "/" + e.PrincipalARN, Kind: "eks.access-entry", Resource: e.PrincipalARN, Action: plan.Update,
		Summary: "remove the group system:masters", Before: map[string]any{"kubernetesGroups": e.KubernetesGroups}, After: map[string]any{"kubernetesGroups": keep},
		Requirement: docAccessPolicies, Destructive: true,
		Op: ops.NewOp(ops.OpUpdateAccessGroups, c.Region, c.Name, ops.AccessArgs{Principal: e.PrincipalARN, Groups: keep}),
	}
}

// fixDisassociateAdmin removes the cluster-admin access policy from an entry.
func (s *Snapshot) fixDisassociateAdmin(c *Cluster, e *AccessEntry, policyARN string) plan.Change {
	return plan.Change{
		ID: "eks.access-policy/" + c.ARN + "/" + e.PrincipalARN + "/" + policyARN, Kind: "eks.access-policy-association", Resource: e.PrincipalARN,
		Action: plan.Delete, Summary: "disassociate " + policyARN, Before: map[string]any{"policyArn": policyARN},
		Requirement: docAccessPolicies, Destructive: true,
		Op: ops.NewOp(ops.OpDisassociatePolicy, c.Region, c.Name, ops.AccessArgs{Principal: e.PrincipalARN, PolicyARN: policyARN}),
	}
}

// fixCoreDNSAddon sets the coredns add-on's computeType to Fargate, keeping
// its other configuration values.
func (s *Snapshot) fixCoreDNSAddon(c *Cluster, a *Addon) (plan.Change, bool) {
	values, err := coredns.FargateConfig(a.ConfigurationValues)
	if err != nil {
		return plan.Change{}, false
	}
	return plan.Change{
		ID: "eks.addon/" + c.ARN + "/coredns", Kind: "eks.addon", Resource: c.ARN + "/addon/coredns", Action: plan.Update,
		Summary: "configuration values: computeType Fargate", Before: map[string]any{"configurationValues": a.ConfigurationValues},
		After: map[string]any{"configurationValues": values}, Requirement: docFargateStart, Serial: ops.ClusterUpdateSerial(c.Name),
		Op: ops.NewOp(ops.OpUpdateAddonConfig, c.Region, c.Name, ops.AddonArgs{Addon: "coredns", ConfigurationValues: values}),
	}, true
}

// fixCoreDNSDeployment removes the compute-type pin from CoreDNS's pod
// template and restarts the rollout (a restart is needed even when the
// annotation is absent: pods created before their profile stay Pending).
func (s *Snapshot) fixCoreDNSDeployment(c *Cluster, afterAddon bool) plan.Change {
	ch := plan.Change{
		ID: "k8s.deployment/" + c.ARN + "/kube-system/coredns", Kind: "k8s.deployment", Resource: kubeRef(c, "kube-system", "Deployment", "coredns"),
		Action: plan.Update, Summary: "remove " + AnnotationComputeType + " and restart",
		Requirement: docFargateStart,
		Op:          ops.NewOp(ops.OpCoreDNSRestartOnFarg, c.Region, c.Name, struct{}{}),
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
	issuer := c.OIDCIssuer
	provARN := iamtrust.OIDCProviderARN(s.Partition, s.Account, issuer)
	return plan.Change{
		ID: ops.OIDCProviderID(iamtrust.IssuerHostPath(issuer)), Kind: ops.KindOIDCProvider, Resource: provARN, Action: plan.Create,
		Summary: "IAM OIDC provider for " + issuer, After: map[string]any{"url": issuer, "clientIDList": []string{iamtrust.STSAudience}},
		Requirement: docIRSAProvider,
		Op: ops.NewOp(ops.OpCreateOIDCProvider, "", c.Name, ops.OIDCArgs{URL: issuer, ClientIDs: []string{iamtrust.STSAudience},
			Tags: map[string]string{eksfargate.OwnerTag: c.Name}}),
	}
}

// fixAddClientID adds sts.amazonaws.com to a provider's client IDs.
func (s *Snapshot) fixAddClientID(c *Cluster, p *OIDCProvider) plan.Change {
	return plan.Change{
		ID: ops.OIDCProviderID(iamtrust.IssuerHostPath(p.URL)), Kind: ops.KindOIDCProvider, Resource: p.ARN, Action: plan.Update,
		Summary: "add client ID " + iamtrust.STSAudience, Before: map[string]any{"clientIDList": p.ClientIDs},
		After:       map[string]any{"clientIDList": append(append([]string{}, p.ClientIDs...), iamtrust.STSAudience)},
		Requirement: docIRSAProvider,
		Op:          ops.NewOp(ops.OpAddOIDCClientID, "", c.Name, ops.OIDCArgs{ProviderARN: p.ARN, ClientIDs: []string{iamtrust.STSAudience}}),
	}
}

// fixDeletePodIdentity deletes a pod identity association.
func (s *Snapshot) fixDeletePodIdentity(c *Cluster, a *PodIdentityAssociation) plan.Change {
	return plan.Change{
		ID: "eks.pod-identity-association/" + c.ARN + "/" + a.AssociationID, Kind: "eks.pod-identity-association", Resource: a.AssociationARN,
		Action: plan.Delete, Summary: "delete the association of " + a.Namespace + "/" + a.ServiceAccount,
		Before:      map[string]any{"namespace": a.Namespace, "serviceAccount": a.ServiceAccount, "associationId": a.AssociationID},
		Requirement: docPodIdentity, Destructive: true,
		Op: ops.NewOp(ops.OpDeletePodIdentity, c.Region, c.Name, ops.PodIdentityArgs{AssociationID: a.AssociationID}),
	}
}
