package eksfargate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// Managed policies the two roles need.
const (
	clusterPolicyName = "AmazonEKSClusterPolicy"
	podPolicyName     = "AmazonEKSFargatePodExecutionRolePolicy"
)

// roleView is a role in plans.
type roleView struct {
	Name                string            `json:"name"`
	ARN                 string            `json:"arn,omitempty"`
	Path                string            `json:"path"`
	Trust               any               `json:"trustPolicy"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// attachmentView is a managed policy attached to a role.
type attachmentView struct {
	Role      string `json:"role"`
	PolicyARN string `json:"policyArn"`
}

func iamTagMap(tags []iamtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func (d *differ) roles() {
	clusterTrust, err := iamtrust.ClusterRoleTrust(d.partition)
	if err != nil {
		d.problem("spec.region", "no cluster role trust for partition "+d.partition+": "+err.Error(), "use a region of the aws, aws-cn or aws-us-gov partition")
		return
	}
	podTrust, err := iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Partition: d.partition, Region: d.s.Region, AccountID: d.account, Cluster: d.s.Name})
	if err != nil {
		d.problem("spec.podExecutionRole", "can't build the Fargate pod execution trust: "+err.Error(), "check the region, account and cluster name")
		return
	}
	d.clusterRoleARN, d.clusterRoleIDs = d.role("spec.clusterRole", d.s.ClusterRole, &d.snap.ClusterRole, clusterTrust, clusterPolicyName, reqClusterRole, false)
	d.podRoleARN, d.podRoleIDs = d.role("spec.podExecutionRole", d.s.PodExecutionRole, &d.snap.PodExecutionRole, podTrust, podPolicyName, reqPodRole, true)
}

// role plans one role: create it (by name) or check the adopted one, fix
// its trust policy (compared with iamtrust.Equal, so IAM's rewriting never
// shows as drift) and permissions boundary, and attach missing managed
// policies. It returns the role's ARN and the IDs of its changes.
func (d *differ) role(path string, spec RoleSpec, live *RoleSnapshot, trust *iamtrust.Document, policy, req string, podExecution bool) (string, []string) {
	name := roleName(spec)
	rolePath := spec.Path
	if rolePath == "" {
		rolePath = "/"
	}
	arn := spec.ARN
	if arn == "" {
		arn = "arn:" + d.partition + ":iam::" + d.account + ":role" + rolePath + name
	}
	policies := append([]string{"arn:" + d.partition + ":iam::aws:policy/" + policy}, spec.ExtraManagedPolicyARNs...)
	d.attachmentCapacity(path, live, spec, policies)
	tags := d.ownerTags()
	id := "iam.role/" + name
	var ids []string
	want := roleView{Name: name, ARN: arn, Path: rolePath, Trust: documentView(trust), PermissionsBoundary: spec.PermissionsBoundary, Tags: tags}
	r := live.Role
	switch {
	case r == nil && spec.ARN != "":
		d.problem(path+".arn", fmt.Sprintf("the role %s does not exist", spec.ARN), "create it, fix the ARN, or set name instead to let fargatekit create it")
		return arn, nil
	case r == nil:
		trustJSON := string(trust.JSON())
		desc := "EKS cluster role of " + d.s.Name + " (fargatekit)"
		if podExecution {
			desc = "Fargate pod execution role of " + d.s.Name + " (fargatekit)"
		}
		ids = append(ids, d.add(step{Change: plan.Change{
			ID: id, Kind: KindRole, Resource: name, Action: plan.Create, After: want, Requirement: req,
			Summary: "trust " + trustSummary(trust),
		}, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
			return x.createRole(ctx, name, rolePath, trustJSON, spec.PermissionsBoundary, desc, tags)
		}}))
		for _, p := range policies {
			ids = append(ids, d.attach(name, p, req, true, false))
		}
		return arn, ids
	}

	arn = aws.ToString(r.Arn)
	if r.CreateDate != nil {
		d.roleTimes[name] = *r.CreateDate
	}
	livePath := aws.ToString(r.Path)
	liveTags := iamTagMap(r.Tags)
	owned := d.owned(liveTags)
	if spec.ARN != "" && arn != spec.ARN {
		d.problem(path+".arn", fmt.Sprintf("the role named %s is %s, not %s", name, arn, spec.ARN), "fix the ARN (its path)")
	}
	if spec.ARN == "" && livePath != rolePath {
		d.problem(path+".path", fmt.Sprintf("the role %s has path %s; a role's path can't be changed", name, livePath), "set path: "+livePath+", or delete the role")
	}
	if podExecution && livePath != "/" {
		d.problem(path, fmt.Sprintf("the role %s has path %s; EKS requires the Fargate pod execution role's path to be /", arn, livePath), "use a role with path /")
	}
	liveBoundary := ""
	if r.PermissionsBoundary != nil {
		liveBoundary = aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn)
	}
	before := roleView{Name: name, ARN: arn, Path: livePath, PermissionsBoundary: liveBoundary, Tags: subsetTags(liveTags, tags)}
	if live.Trust != nil {
		before.Trust = documentView(live.Trust)
	} else {
		before.Trust = live.TrustError
	}
	want.ARN, want.Path, want.Tags = arn, livePath, before.Tags
	if want.PermissionsBoundary == "" {
		want.PermissionsBoundary = liveBoundary
	}
	trustDrift := live.Trust == nil || !iamtrust.Equal(trust, live.Trust)
	boundaryDrift := spec.PermissionsBoundary != "" && spec.PermissionsBoundary != liveBoundary
	ch := plan.Change{ID: id, Kind: KindRole, Resource: arn, Before: before, After: want, Requirement: req}
	if !trustDrift && !boundaryDrift {
		ch.Action = plan.NoOp
		d.add(step{Change: ch})
	} else if owned || d.mayChangeUnowned(path, "the role "+arn, "get its trust policy or permissions boundary rewritten") {
		ch.Action = plan.Update
		var what []string
		if trustDrift {
			what = append(what, "trust policy: "+trustDiffSummary(live.Trust, trust))
		}
		if boundaryDrift {
			what = append(what, "permissions boundary "+spec.PermissionsBoundary)
		}
		ch.Summary = strings.Join(what, "; ")
		ch.Destructive = !owned
		trustJSON := string(trust.JSON())
		boundary := ""
		if boundaryDrift {
			boundary = spec.PermissionsBoundary
		}
		ids = append(ids, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
			return x.repairRole(ctx, name, trustDrift, trustJSON, boundary)
		}}))
	}
	if owned {
		// Tag drift of a role fargatekit owns: spec tags missing or with
		// another value, fargatekit.io/* tags the spec does not name.
		if set, unset := tagDrift(liveTags, tags); len(set) > 0 || len(unset) > 0 {
			tb, ta := tagViews(liveTags, set, unset)
			ids = append(ids, d.add(step{Change: plan.Change{ID: id + "/tags", Kind: KindRole, Resource: arn, Action: plan.Update,
				Summary: tagSummary(set, unset), Before: tb, After: ta, Requirement: req,
			}, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
				return x.retagRole(ctx, name, set, unset)
			}}))
		}
	}
	for _, p := range policies {
		if slices.Contains(live.AttachedPolicyARNs, p) {
			d.attach(name, p, req, false, true)
			continue
		}
		ids = append(ids, d.attach(name, p, req, false, false))
	}
	d.outOfBand(path, name, arn, spec, owned, policies, live)
	return arn, ids
}

// attachmentCapacity refuses, before any write, a role that would carry more
// managed policies than the account's AttachedPoliciesPerRoleQuota (IAM's
// default of 10 unless a larger one was read): the spec's policies, plus
// the out-of-band ones that stay attached.
func (d *differ) attachmentCapacity(path string, live *RoleSnapshot, spec RoleSpec, policies []string) {
	quota := defaultAttachedPoliciesQuota
	if d.snap.AttachedPoliciesQuota > quota {
		quota = d.snap.AttachedPoliciesQuota
	}
	n := len(policies)
	if !spec.DetachUnmanagedPolicies {
		for _, p := range live.AttachedPolicyARNs {
			if !slices.Contains(policies, p) {
				n++
			}
		}
	}
	if n > quota {
		d.problem(path+".extraManagedPolicyARNs", fmt.Sprintf("the role would have %d managed policies attached, over the account's AttachedPoliciesPerRoleQuota of %d", n, quota),
			"merge policies into fewer customer managed ones, detach the out-of-band ones (detachUnmanagedPolicies), or ask for a higher quota (Service Quotas: IAM, Managed policies per role)")
	}
}

// outOfBand plans the removal of the permissions put on a spec's role out
// of band: managed policies neither required nor listed, and every inline
// policy (the spec's roles have none). They are pending drift either way;
// apply runs the removal only with the role's detachUnmanagedPolicies, and
// for a role fargatekit does not own also with AllowUnowned.
func (d *differ) outOfBand(path, name, arn string, spec RoleSpec, owned bool, policies []string, live *RoleSnapshot) {
	blocked := ""
	switch {
	case !spec.DetachUnmanagedPolicies:
		blocked = "set " + path + ".detachUnmanagedPolicies to remove it"
	case !owned && !d.allowUnowned:
		blocked = "the role " + arn + " is not tagged " + OwnerTag + "=" + d.s.Name + "; allow changes to unowned resources (--allow-unowned) to remove it"
	}
	for _, p := range live.AttachedPolicyARNs {
		if slices.Contains(policies, p) {
			continue
		}
		d.add(step{Change: plan.Change{
			ID:   ops.RolePolicyID(name, p),
			Kind: KindRolePolicy, Resource: name + " ← " + p, Action: plan.Delete, Destructive: true, Blocked: blocked,
			Summary: "detach " + p + ", attached out of band", Before: attachmentView{Role: name, PolicyARN: p},
			Requirement: reqOutOfBand,
		}, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
			return x.detachRolePolicy(ctx, name, p)
		}})
	}
	for _, pn := range live.InlinePolicyNames {
		d.add(step{Change: plan.Change{
			ID:   ops.InlinePolicyID(name, pn),
			Kind: KindRoleInlinePolicy, Resource: name + "/" + pn, Action: plan.Delete, Destructive: true, Blocked: blocked,
			Summary: "delete inline policy " + pn + ", put out of band", Before: pn, Requirement: reqOutOfBand,
		}, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
			return x.deleteRolePolicy(ctx, name, pn)
		}})
	}
}

// attach plans attaching a managed policy to a role.
func (d *differ) attach(role, policyARN, req string, afterCreate, present bool) string {
	ch := plan.Change{
		ID:   ops.RolePolicyID(role, policyARN),
		Kind: KindRolePolicy, Resource: role + " ← " + policyARN, Requirement: req,
		After: attachmentView{Role: role, PolicyARN: policyARN},
	}
	if afterCreate {
		ch.DependsOn = []string{"iam.role/" + role}
	}
	if present {
		ch.Action, ch.Before = plan.NoOp, ch.After
		return d.add(step{Change: ch})
	}
	ch.Action, ch.Summary = plan.Create, "attach "+policyARN[strings.LastIndexByte(policyARN, '/')+1:]
	return d.add(step{Change: ch, run: func(ctx context.Context, x *executor, rep plan.Reporter) error {
		return x.attachRolePolicy(ctx, role, policyARN)
	}})
}

// trustSummary names the principals of a trust policy.
func trustSummary(doc *iamtrust.Document) string {
	var ps []string
	for _, s := range doc.Statement {
		if s.Principal == nil {
			continue
		}
		for _, e := range s.Principal.Entries {
			ps = append(ps, e.Values.Items...)
		}
	}
	return strings.Join(ps, ", ")
}

// trustDiffSummary says in a few words how the live trust differs.
func trustDiffSummary(live, want *iamtrust.Document) string {
	if live == nil {
		return "unreadable; rewrite it"
	}
	diffs := iamtrust.Diff(live, want)
	var parts []string
	for i, df := range diffs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(diffs)-3))
			break
		}
		parts = append(parts, df.String())
	}
	return strings.Join(parts, "; ")
}
