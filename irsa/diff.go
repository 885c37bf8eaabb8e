package irsa

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// Requirements the changes of this package serve.
const (
	reqProvider = "IRSA: the cluster's OIDC issuer is an IAM OIDC provider (arn:…:oidc-provider/ISSUER) whose client IDs hold sts.amazonaws.com; without it no pod can assume a role (https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html)"
	reqTrust    = "IRSA: the role trusts the cluster's OIDC provider for sts:AssumeRoleWithWebIdentity with StringEquals ISSUER:sub = system:serviceaccount:NS:NAME and ISSUER:aud = sts.amazonaws.com (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)"
	reqPolicy   = "IRSA: the role carries exactly the permissions the spec declares"
	reqSA       = "IRSA: the ServiceAccount is annotated eks.amazonaws.com/role-arn with the role's ARN; the EKS pod identity webhook injects the role into pods created afterwards (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html)"
	reqRestart  = "IRSA: pods pick up a ServiceAccount's role only when they are created, so running pods are replaced (https://docs.aws.amazon.com/eks/latest/userguide/pod-configuration.html)"
	reqAddon    = "vpc-cni: the add-on's serviceAccountRoleArn is an IRSA role with AmazonEKS_CNI_Policy (or the IPv6 policy), set with UpdateAddon; aws-node is restarted to use it (https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html)"
	reqFargate  = "Fargate: aws-node is a DaemonSet, and DaemonSets do not run on Fargate; Fargate pods get their network interface from Fargate itself (https://docs.aws.amazon.com/eks/latest/userguide/fargate.html)"
)

// Kinds of the changes of this package.
const (
	KindOIDCProvider     = ops.KindOIDCProvider
	KindRole             = ops.KindRole
	KindPolicyAttachment = ops.KindRolePolicy
	KindInlinePolicy     = ops.KindInlinePolicy
	KindPolicy           = "iam.policy"
	KindServiceAccount   = "k8s.serviceaccount"
	KindRolloutRestart   = "k8s.rollout-restart"
	KindAddon            = ops.KindAddon
)

// Result is what Diff found: the changes that converge the live state on the
// spec, and the drift it saw.
type Result struct {
	// Changes in dependency order. Drift that is only reported appears as a
	// NoOp change with a Summary.
	Changes []plan.Change
	// Drift lists what differs from the spec in resources that exist, and
	// what was added to them out of band.
	Drift []Drift
}

// Drift is a difference, in a resource that exists, between live state and
// the spec: a trust policy someone edited, a policy attached out of band, a
// ServiceAccount annotated for another role.
type Drift struct {
	// Resource is the ID of the resource, as in plan.Change.ID.
	Resource string `json:"resource"`
	// Summary says what differs.
	Summary string `json:"summary"`
	// Expected is what the spec wants.
	Expected any `json:"expected,omitempty"`
	// Actual is what was observed.
	Actual any `json:"actual,omitempty"`
	// Repair is the ID of the change that repairs the drift; empty when the
	// drift is only reported.
	Repair string `json:"repair,omitempty"`
}

// Diff compares the spec (cluster, roles and options) with a snapshot and
// returns the changes that converge the live state on it. It is pure: it
// reads nothing; the changes' Run functions use c when Apply calls them.
//
// It returns an error, and no changes, when the spec is not valid or when a
// change would take something over without the opt-in: a ServiceAccount
// annotated for another role (*AnnotationConflictError), a role tagged for
// another cluster or with another path (*RoleConflictError), a
// ServiceAccount in a missing namespace (*ServiceAccountError wrapping
// ErrNamespaceMissing). Every such problem is reported, joined.
func Diff(c Clients, cluster Cluster, roles []ServiceAccountRole, s *Snapshot, opts ...func(*Options)) (*Result, error) {
	o := newOptions(opts)
	d, err := resolve(cluster, roles, o)
	if err != nil {
		return nil, err
	}
	return diff(c, d, s)
}

// differ accumulates the changes of one Diff.
type differ struct {
	d *desired
	s *Snapshot
	x *executor

	providers, policies, roles, attachments, inline, serviceAccounts, addons, restarts, prunes, notes []plan.Change

	drift []Drift
	errs  []error
	// pending holds the IDs of changes that do something.
	pending map[string]bool
	// roleDeps are, per role name, the pending changes a user of the role
	// waits for: the role and its policies.
	roleDeps map[string][]string
	// saChanges are the pending ServiceAccount changes by ServiceAccount.
	saChanges map[ServiceAccountRef]string
}

func diff(c Clients, d *desired, s *Snapshot) (*Result, error) {
	if s == nil {
		return nil, errors.New("irsa: diff: nil snapshot")
	}
	if err := checkCapacity(d, s); err != nil {
		return nil, err
	}
	f := &differ{
		d: d, s: s, x: &executor{c: c, o: d.o, cluster: d.cluster},
		pending:   map[string]bool{},
		roleDeps:  map[string][]string{},
		saChanges: map[ServiceAccountRef]string{},
	}
	f.provider()
	for _, p := range d.policies {
		f.policy(p)
	}
	for _, r := range d.roles {
		f.role(r)
	}
	for _, r := range d.roles {
		for _, sa := range r.serviceAccounts {
			f.serviceAccount(r, sa)
		}
	}
	f.vpccni()
	for _, r := range d.roles {
		f.restartWorkloads(r)
	}
	f.prune()
	if err := errors.Join(f.errs...); err != nil {
		return nil, err
	}
	var cs []plan.Change
	for _, group := range [][]plan.Change{f.providers, f.policies, f.roles, f.attachments, f.inline, f.serviceAccounts, f.addons, f.restarts, f.prunes, f.notes} {
		cs = append(cs, group...)
	}
	return &Result{Changes: cs, Drift: f.drift}, nil
}

// add appends ch to group and records it as pending.
func (f *differ) add(group *[]plan.Change, ch plan.Change) {
	if ch.Action != plan.NoOp {
		f.pending[ch.ID] = true
	}
	*group = append(*group, ch)
}

// deps returns the IDs among ids that are pending.
func (f *differ) deps(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if f.pending[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// IDs of the changes.
func providerID(hostPath string) string    { return ops.OIDCProviderID(hostPath) }
func roleID(name string) string            { return ops.RoleID(name) }
func attachmentID(role, arn string) string { return ops.RolePolicyID(role, arn) }
func inlineID(role, name string) string    { return ops.InlinePolicyID(role, name) }
func policyID(name string) string          { return KindPolicy + "/" + name }
func serviceAccountID(r ServiceAccountRef) string {
	return KindServiceAccount + "/" + r.Namespace + "/" + r.Name
}
func restartID(w Workload) string {
	return KindRolloutRestart + "/" + w.Kind + "/" + w.Namespace + "/" + w.Name
}
func addonID(cluster, addon string) string {
	return KindAddon + "/" + cluster + "/" + addon + "/service-account-role"
}

// providerView is an OIDC provider in a plan.
type providerView struct {
	URL         string            `json:"url"`
	ClientIDs   []string          `json:"clientIDs"`
	Thumbprints []string          `json:"thumbprints,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func (f *differ) provider() {
	d, s := f.d, f.s
	id := providerID(d.hostPath)
	var thumbprints []string
	if s.IssuerThumbprint != "" {
		thumbprints = []string{s.IssuerThumbprint}
	}
	tags := d.tags(nil)
	want := providerView{URL: d.hostPath, ClientIDs: []string{iamtrust.STSAudience}, Thumbprints: thumbprints, Tags: tags}
	p := s.Provider
	if !d.o.OIDCProvider {
		if p == nil && len(d.roles) > 0 {
			msg := "the cluster's IAM OIDC provider " + d.providerARN + " does not exist and the plan does not manage it (OIDCProvider is false): no IRSA role can be assumed until it is created"
			f.drift = append(f.drift, Drift{Resource: id, Summary: msg, Expected: want})
			f.add(&f.notes, plan.Change{ID: id, Kind: KindOIDCProvider, Resource: d.providerARN, Action: plan.NoOp, Summary: msg, Requirement: reqProvider})
		}
		return
	}
	ch := plan.Change{ID: id, Kind: KindOIDCProvider, Resource: d.providerARN, Requirement: reqProvider, After: want}
	switch {
	case p == nil:
		ch.Action = plan.Create
		ch.Summary = "associate the issuer " + d.cluster.IssuerURL + " with IAM (client ID sts.amazonaws.com)"
		ch.Run = f.x.createProvider(thumbprints, tags)
	case iamtrust.IssuerHostPath(strings.TrimPrefix(p.URL, "https://")) != d.hostPath:
		before := providerView{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints, Tags: p.Tags}
		ch.Action, ch.Destructive, ch.Before = plan.Replace, true, before
		ch.Summary = "the provider's URL is " + p.URL + ", not the cluster's issuer " + d.hostPath
		ch.Run = f.x.replaceProvider(thumbprints, tags)
		f.drift = append(f.drift, Drift{Resource: id, Summary: ch.Summary, Expected: want, Actual: before, Repair: id})
	default:
		before := providerView{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints, Tags: p.Tags}
		after := providerView{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints, Tags: mergeTags(p.Tags, tags)}
		var parts []string
		addClient := !slices.Contains(p.ClientIDs, iamtrust.STSAudience)
		if addClient {
			after.ClientIDs = append(slices.Clone(p.ClientIDs), iamtrust.STSAudience)
			parts = append(parts, "add client ID sts.amazonaws.com")
			f.drift = append(f.drift, Drift{Resource: id, Summary: "the provider's client IDs lack sts.amazonaws.com", Expected: want.ClientIDs, Actual: p.ClientIDs, Repair: id})
		}
		var newThumbprints []string
		if len(thumbprints) > 0 && !slices.Contains(p.Thumbprints, thumbprints[0]) {
			// IAM keeps at most 5; the issuer's current one goes first.
			newThumbprints = append([]string{thumbprints[0]}, p.Thumbprints...)
			newThumbprints = newThumbprints[:min(len(newThumbprints), 5)]
			after.Thumbprints = newThumbprints
			parts = append(parts, "add the issuer's thumbprint "+thumbprints[0])
		}
		missing := missingTags(p.Tags, tags)
		if len(missing) > 0 {
			parts = append(parts, "tag "+tagList(missing))
		}
		if len(parts) == 0 {
			return
		}
		ch.Action, ch.Before, ch.After = plan.Update, before, after
		ch.Summary = strings.Join(parts, "; ")
		ch.Run = f.x.updateProvider(addClient, newThumbprints, missing)
	}
	f.add(&f.providers, ch)
}

func (f *differ) policy(p *desiredPolicy) {
	id := policyID(p.name)
	live := f.s.Policies[p.arn]
	ch := plan.Change{ID: id, Kind: KindPolicy, Resource: p.arn, Requirement: reqAddon, After: docView(p.doc)}
	switch {
	case live == nil:
		ch.Action, ch.Summary = plan.Create, "customer managed policy for the VPC CNI on IPv6 (AWS has no managed one)"
		ch.Run = f.x.createPolicy(p)
	default:
		doc, err := iamtrust.Parse([]byte(live.Document))
		if err == nil && iamtrust.Equal(doc, p.doc) {
			return
		}
		ch.Action, ch.Before = plan.Update, docViewOrSource(doc, live.Document)
		ch.Summary = "default version " + live.DefaultVersion + " differs from the VPC CNI IPv6 permissions: add a new default version"
		ch.Run = f.x.updatePolicy(p)
		f.drift = append(f.drift, Drift{Resource: id, Summary: ch.Summary, Expected: ch.After, Actual: ch.Before, Repair: id})
	}
	f.add(&f.policies, ch)
}

// roleView is a role in a plan.
type roleView struct {
	Name                string            `json:"name"`
	Path                string            `json:"path"`
	Trust               any               `json:"trust"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

func (f *differ) role(r *desiredRole) {
	d, s := f.d, f.s
	id := roleID(r.name)
	live := s.Roles[r.name]
	deps := f.deps(providerID(d.hostPath))
	ch := plan.Change{ID: id, Kind: KindRole, Resource: r.arn, Requirement: reqTrust, DependsOn: deps}
	if live == nil {
		ch.Action = plan.Create
		ch.After = roleView{Name: r.name, Path: r.path, Trust: docView(r.trust), PermissionsBoundary: r.spec.PermissionsBoundary, Tags: r.tags}
		ch.Summary = "IRSA role for " + refList(r.spec.ServiceAccounts())
		ch.Run = f.x.createRole(r)
		f.add(&f.roles, ch)
		f.roleDeps[r.name] = []string{id}
		for _, p := range r.managed {
			f.attach(r, p, id)
		}
		for _, name := range slices.Sorted(maps.Keys(r.inline)) {
			f.putInline(r, name, nil, id)
		}
		return
	}
	ch.Resource = live.ARN
	if live.Path != r.path {
		f.errs = append(f.errs, &RoleConflictError{Role: r.name, Msg: fmt.Sprintf("exists with path %s, the spec wants %s; IAM cannot move a role: set rolePath to %s, or delete the role", live.Path, r.path, live.Path)})
		return
	}
	if owner, ok := live.Tags[OwnerTag]; ok && owner != d.cluster.Name {
		f.errs = append(f.errs, &RoleConflictError{Role: r.name, Msg: fmt.Sprintf("is tagged %s=%s: it belongs to another cluster's fargatekit; choose another roleName", OwnerTag, owner)})
		return
	}
	var (
		parts         []string
		trust         *iamtrust.Document
		boundary      string
		before, after roleView
	)
	views := func() {
		if before.Name == "" {
			before = roleView{Name: live.Name, Path: live.Path, Trust: docViewOrSource(live.Trust, live.TrustSource), PermissionsBoundary: live.PermissionsBoundary, Tags: live.Tags}
			after = roleView{Name: live.Name, Path: live.Path, Trust: before.Trust, PermissionsBoundary: live.PermissionsBoundary, Tags: mergeTags(live.Tags, r.tags)}
		}
	}
	if live.Trust == nil || !iamtrust.Equal(live.Trust, r.trust) {
		views()
		trust = r.trust
		after.Trust = docView(r.trust)
		sum := trustSummary(live, r.trust, d.hostPath)
		parts = append(parts, "trust policy: "+sum)
		f.drift = append(f.drift, Drift{Resource: id, Summary: "trust policy: " + sum, Expected: after.Trust, Actual: before.Trust, Repair: id})
	}
	missing := missingTags(live.Tags, r.tags)
	if len(missing) > 0 {
		views()
		parts = append(parts, "tag "+tagList(missing))
	}
	if b := r.spec.PermissionsBoundary; b != "" && b != live.PermissionsBoundary {
		views()
		boundary = b
		after.PermissionsBoundary = b
		if live.PermissionsBoundary == "" {
			parts = append(parts, "set permissions boundary "+b)
		} else {
			parts = append(parts, "permissions boundary "+live.PermissionsBoundary+" → "+b)
			f.drift = append(f.drift, Drift{Resource: id, Summary: "permissions boundary is " + live.PermissionsBoundary, Expected: b, Actual: live.PermissionsBoundary, Repair: id})
		}
	}
	if len(parts) > 0 {
		ch.Action, ch.Before, ch.After = plan.Update, before, after
		ch.Summary = strings.Join(parts, "; ")
		ch.Run = f.x.updateRole(r.name, trust, missing, boundary)
		f.add(&f.roles, ch)
		f.roleDeps[r.name] = []string{id}
	}
	// Managed policies: attach what is missing, report what is extra.
	for _, p := range r.managed {
		if !slices.Contains(live.ManagedPolicyARNs, p) {
			f.attach(r, p, "")
		}
	}
	for _, p := range live.ManagedPolicyARNs {
		if slices.Contains(r.managed, p) {
			continue
		}
		aid := attachmentID(r.name, p)
		dr := Drift{Resource: aid, Summary: "policy " + p + " is attached to role " + r.name + " out of band", Expected: nil, Actual: p}
		ach := plan.Change{ID: aid, Kind: KindPolicyAttachment, Resource: r.name + " ← " + p, Requirement: reqPolicy, Before: p}
		ach.Summary = "detach " + p + ", attached out of band"
		ach.Run = f.x.detach(r.name, p)
		f.outOfBand(r, &f.attachments, ach, dr, "detach it")
	}
	// Inline policies: put what is missing or differs, report what is extra.
	for _, name := range slices.Sorted(maps.Keys(r.inline)) {
		src, ok := live.InlinePolicies[name]
		if !ok {
			f.putInline(r, name, nil, "")
			continue
		}
		doc, err := iamtrust.Parse([]byte(src))
		if err == nil && iamtrust.Equal(doc, r.inline[name]) {
			continue
		}
		before := docViewOrSource(doc, src)
		f.putInline(r, name, before, "")
		iid := inlineID(r.name, name)
		f.drift = append(f.drift, Drift{Resource: iid, Summary: "inline policy " + name + " of role " + r.name + " differs from the spec", Expected: docView(r.inline[name]), Actual: before, Repair: iid})
	}
	for _, name := range live.InlinePolicyNames {
		if _, ok := r.inline[name]; ok {
			continue
		}
		iid := inlineID(r.name, name)
		ch := plan.Change{ID: iid, Kind: KindInlinePolicy, Resource: r.name + "/" + name,
			Summary: "delete inline policy " + name + ", put out of band", Requirement: reqPolicy, Before: name, Run: f.x.deleteInline(r.name, name)}
		dr := Drift{Resource: iid, Summary: "inline policy " + name + " was put on role " + r.name + " out of band", Actual: name}
		f.outOfBand(r, &f.inline, ch, dr, "delete it")
	}
}

// outOfBand adds the removal of a permission put on a role out of band: a
// destructive delete that is pending drift either way, and that only
// detachUnmanagedPolicies lets apply run.
func (f *differ) outOfBand(r *desiredRole, list *[]plan.Change, ch plan.Change, dr Drift, verb string) {
	ch.Action, ch.Destructive = plan.Delete, true
	if r.spec.DetachUnmanagedPolicies {
		ch.Summary += " (detachUnmanagedPolicies)"
		dr.Repair = ch.ID
	} else {
		ch.Blocked = "set detachUnmanagedPolicies on " + r.field + " to " + verb
	}
	f.drift = append(f.drift, dr)
	f.add(list, ch)
}

func (f *differ) attach(r *desiredRole, p, dep string) {
	id := attachmentID(r.name, p)
	var deps []string
	if dep != "" {
		deps = append(deps, dep)
	}
	for _, pol := range f.d.policies {
		if pol.arn == p {
			deps = append(deps, f.deps(policyID(pol.name))...)
		}
	}
	f.add(&f.attachments, plan.Change{
		ID: id, Kind: KindPolicyAttachment, Resource: r.name + " ← " + p, Action: plan.Create,
		Summary: "attach " + p, After: p, Requirement: reqPolicy, DependsOn: deps,
		Run: f.x.attach(r.name, p),
	})
	f.roleDeps[r.name] = append(f.roleDeps[r.name], id)
}

func (f *differ) putInline(r *desiredRole, name string, before any, dep string) {
	id := inlineID(r.name, name)
	ch := plan.Change{
		ID: id, Kind: KindInlinePolicy, Resource: r.name + "/" + name, Action: plan.Create,
		Summary: "put inline policy " + name, After: docView(r.inline[name]), Requirement: reqPolicy,
		Run: f.x.putInline(r.name, name, r.inline[name]),
	}
	if dep != "" {
		ch.DependsOn = []string{dep}
	}
	if before != nil {
		ch.Action, ch.Before = plan.Update, before
		ch.Summary = "inline policy " + name + " differs from the spec"
	}
	f.add(&f.inline, ch)
	f.roleDeps[r.name] = append(f.roleDeps[r.name], id)
}

// serviceAccountView is a ServiceAccount in a plan: the annotations and
// labels fargatekit manages.
type serviceAccountView struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// roleARN returns the ARN of a role of the spec: the live one when the role
// exists.
func (f *differ) roleARN(r *desiredRole) string {
	if live := f.s.Roles[r.name]; live != nil && live.ARN != "" {
		return live.ARN
	}
	return r.arn
}

func (f *differ) serviceAccount(r *desiredRole, ref ServiceAccountRef) {
	if r.viaAddon && f.s.Addon != nil {
		return // the vpc-cni add-on annotates its ServiceAccount
	}
	id := serviceAccountID(ref)
	arn := f.roleARN(r)
	ann := map[string]string{AnnotationRoleARN: arn}
	if v := r.spec.STSRegionalEndpoints; v != nil {
		ann[AnnotationSTSRegionalEndpoints] = strconv.FormatBool(*v)
	}
	if v := r.spec.TokenExpiration; v != nil {
		ann[AnnotationTokenExpiration] = strconv.FormatInt(*v, 10)
	}
	deps := f.roleDeps[r.name]
	live := f.s.ServiceAccounts[ref]
	ch := plan.Change{ID: id, Kind: KindServiceAccount, Resource: ref.Namespace + "/ServiceAccount/" + ref.Name, Requirement: reqSA, DependsOn: slices.Clone(deps)}
	if live == nil {
		if !f.s.Namespaces[ref.Namespace] {
			f.errs = append(f.errs, &ServiceAccountError{ServiceAccount: ref, Err: fmt.Errorf("namespace %s: %w", ref.Namespace, ErrNamespaceMissing)})
			return
		}
		labels := map[string]string{LabelManagedBy: ManagedBy}
		ch.Action, ch.Summary = plan.Create, "create, annotated "+AnnotationRoleARN+"="+arn
		ch.After = serviceAccountView{Namespace: ref.Namespace, Name: ref.Name, Annotations: ann, Labels: labels}
		ch.Run = f.x.applyServiceAccount(ref, ann, ann, labels, "", false)
		f.add(&f.serviceAccounts, ch)
		f.saChanges[ref] = id
		return
	}
	cur := live.Annotations[AnnotationRoleARN]
	if cur != "" && cur != arn {
		if !r.spec.OverrideExistingAnnotation {
			f.errs = append(f.errs, &AnnotationConflictError{ServiceAccount: ref, Current: cur, Desired: arn})
			return
		}
		f.drift = append(f.drift, Drift{Resource: id, Summary: "annotated for role " + cur, Expected: arn, Actual: cur, Repair: id})
	}
	beforeAnn, setAnn := map[string]string{}, map[string]string{}
	for k, v := range ann {
		if old, ok := live.Annotations[k]; ok {
			beforeAnn[k] = old
		}
		if live.Annotations[k] != v {
			setAnn[k] = v
		}
	}
	beforeLabels, setLabels := map[string]string{}, map[string]string{}
	if old, ok := live.Labels[LabelManagedBy]; ok {
		beforeLabels[LabelManagedBy] = old // another tool's value is kept
	} else {
		setLabels[LabelManagedBy] = ManagedBy
	}
	if len(setAnn) == 0 && len(setLabels) == 0 {
		return
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(setAnn)) {
		parts = append(parts, "annotate "+k+"="+setAnn[k])
	}
	if len(setLabels) > 0 {
		parts = append(parts, "label "+LabelManagedBy+"="+ManagedBy)
	}
	ch.Action, ch.Summary = plan.Update, strings.Join(parts, "; ")
	ch.Before = serviceAccountView{Namespace: ref.Namespace, Name: ref.Name, Annotations: beforeAnn, Labels: beforeLabels}
	ch.After = serviceAccountView{Namespace: ref.Namespace, Name: ref.Name, Annotations: mergeTags(beforeAnn, setAnn), Labels: mergeTags(beforeLabels, setLabels)}
	ch.Run = f.x.applyServiceAccount(ref, ann, setAnn, setLabels, cur, r.spec.OverrideExistingAnnotation)
	f.add(&f.serviceAccounts, ch)
	f.saChanges[ref] = id
}

// restartWorkloads restarts the workloads of a role's ServiceAccounts whose
// annotation changes.
func (f *differ) restartWorkloads(r *desiredRole) {
	if !r.spec.RestartWorkloads {
		return
	}
	for _, ref := range r.serviceAccounts {
		sid, ok := f.saChanges[ref]
		if !ok {
			continue
		}
		for _, w := range f.s.Workloads {
			if w.Namespace != ref.Namespace || w.ServiceAccount != ref.Name {
				continue
			}
			f.add(&f.restarts, plan.Change{
				ID: restartID(w), Kind: KindRolloutRestart, Resource: w.Namespace + "/" + w.Kind + "/" + w.Name,
				Action: plan.Update, Summary: "rollout restart so that its pods assume " + f.roleARN(r),
				Before: w, After: w, Requirement: reqRestart,
				DependsOn: append([]string{sid}, f.roleDeps[r.name]...),
				Run:       f.x.restart(w),
			})
		}
	}
}

// addonView is an add-on in a plan.
type addonView struct {
	Name                  string `json:"name"`
	Version               string `json:"version,omitempty"`
	ServiceAccountRoleARN string `json:"serviceAccountRoleARN,omitempty"`
}

func (f *differ) vpccni() {
	cni := f.d.vpccni
	if cni == nil {
		return
	}
	d, s := f.d, f.s
	name := cni.opts.AddonName
	arn := f.roleARN(cni.role)
	awsNodeDS := Workload{Kind: "DaemonSet", Namespace: kubeSystem, Name: awsNode, ServiceAccount: awsNode}
	restartDeps := []string(nil)
	if s.Addon == nil {
		// A self-managed VPC CNI: the ServiceAccount annotation is the wiring.
		if sid, ok := f.saChanges[ServiceAccountRef{Namespace: kubeSystem, Name: awsNode}]; ok {
			restartDeps = []string{sid}
		}
	} else if s.Addon.ServiceAccountRoleARN != arn {
		id := addonID(d.cluster.Name, name)
		before := addonView{Name: name, Version: s.Addon.Version, ServiceAccountRoleARN: s.Addon.ServiceAccountRoleARN}
		after := addonView{Name: name, Version: s.Addon.Version, ServiceAccountRoleARN: arn}
		ch := plan.Change{
			ID: id, Kind: KindAddon, Resource: d.cluster.Name + "/" + name, Action: plan.Update,
			Summary: "set serviceAccountRoleArn " + arn + " with UpdateAddon, then wait for ACTIVE",
			Before:  before, After: after, Requirement: reqAddon,
			DependsOn: slices.Clone(f.roleDeps[cni.role.name]),
			Run:       f.x.setAddonRole(name, arn, *s.Addon, false),
		}
		if cni.opts.RecreateAddon {
			ch.Action, ch.Destructive = plan.Replace, true
			ch.Summary = "delete the add-on (keeping aws-node) and create it again with serviceAccountRoleArn " + arn + " (recreateAddon)"
			ch.Run = f.x.setAddonRole(name, arn, *s.Addon, true)
		}
		if s.Addon.ServiceAccountRoleARN != "" {
			f.drift = append(f.drift, Drift{Resource: id, Summary: "the " + name + " add-on uses role " + s.Addon.ServiceAccountRoleARN, Expected: arn, Actual: s.Addon.ServiceAccountRoleARN, Repair: id})
		}
		f.add(&f.addons, ch)
		restartDeps = []string{id}
	}
	if len(restartDeps) > 0 && s.AWSNode && !cni.opts.SkipRestart {
		f.add(&f.restarts, plan.Change{
			ID: restartID(awsNodeDS), Kind: KindRolloutRestart, Resource: kubeSystem + "/DaemonSet/" + awsNode,
			Action: plan.Update, Summary: "rollout restart so that aws-node assumes " + arn,
			Before: awsNodeDS, After: awsNodeDS, Requirement: reqAddon, DependsOn: restartDeps, Run: f.x.restart(awsNodeDS),
		})
	}
	if d.o.FargateOnly {
		f.add(&f.notes, plan.Change{
			ID: KindAddon + "/" + d.cluster.Name + "/" + name + "/fargate", Kind: KindAddon, Resource: d.cluster.Name + "/" + name,
			Action:      plan.NoOp,
			Summary:     "the cluster is Fargate-only: aws-node is a DaemonSet and does not run on Fargate pods; its role takes effect on EC2 nodes only",
			Requirement: reqFargate,
		})
	}
}

// docView returns a document as plain JSON values, for plans: it renders as
// JSON and diffs with go-cmp, where the order of object keys does not
// matter. It keeps the document's own spelling (the canonical form would
// lower-case actions and condition keys, which misleads readers).
func docView(d *iamtrust.Document) any {
	if d == nil {
		return nil
	}
	b, _ := d.MarshalJSON()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// docViewOrSource returns docView(d), or the source text when d is nil
// (the live document did not parse).
func docViewOrSource(d *iamtrust.Document, src string) any {
	if d == nil {
		return src
	}
	return docView(d)
}

// mergeTags returns a copy of base with over applied.
func mergeTags(base, over map[string]string) map[string]string {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, over)
	return m
}

// missingTags returns the entries of want that live lacks or has another
// value for.
func missingTags(live, want map[string]string) map[string]string {
	var m map[string]string
	for k, v := range want {
		if lv, ok := live[k]; !ok || lv != v {
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
		}
	}
	return m
}

func tagList(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

func refList(refs []ServiceAccountRef) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}
