package access

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/kubernetes"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// Access entry types (EKS).
const (
	EntryStandard     = "STANDARD"
	EntryFargateLinux = "FARGATE_LINUX"
	EntryEC2Linux     = "EC2_LINUX"
	EntryEC2Windows   = "EC2_WINDOWS"
)

// EntryClient is what Plan needs of EKS: the access-entry
// reads, and the write path's interface (ops.EKS), through which the
// access-entry writes go.
type EntryClient interface {
	ops.EKS
	eks.ListAccessEntriesAPIClient
	observe.AccessEntryAPI
}

var _ EntryClient = (*eks.Client)(nil)

// Clients are the clients Plan uses. EKS is needed when the
// cluster uses access entries, Kube when it uses aws-auth or migrates from it.
type Clients struct {
	// EKS reads and writes access entries.
	EKS EntryClient
	// Kube reads and writes aws-auth.
	Kube kubernetes.Interface
	// KubeFor builds the Kubernetes client when Kube is nil, for a cluster
	// that exists only once earlier changes ran.
	KubeFor func(ctx context.Context) (kubernetes.Interface, error)
	// Logger; nil means zap.NewNop().
	Logger *zap.Logger
}

func (c Clients) kube(ctx context.Context) (kubernetes.Interface, error) {
	return kubeauth.Client(ctx, c.Kube, c.KubeFor, "access", "access.Clients.Kube")
}

// reservedUsernamePrefixes can't start an access entry's username.
var reservedUsernamePrefixes = []string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// targetMode is the authentication mode the cluster will have after
// apply: the spec's (default API), but never before the live one, because
// the mode only moves forward.
func targetMode(spec Target, live string) string {
	want := spec.Mode
	if want == "" {
		want = DefaultAuthenticationMode
	}
	if modeRank(live) > modeRank(want) {
		return live
	}
	return want
}

func modeRank(m string) int {
	switch m {
	case AuthModeConfigMap:
		return 1
	case AuthModeAPIAndConfigMap:
		return 2
	case AuthModeAPI:
		return 3
	}
	return 0
}

func usesConfigMap(mode string) bool {
	return mode == AuthModeConfigMap || mode == AuthModeAPIAndConfigMap
}

func usesEntries(mode string) bool {
	return mode == AuthModeAPI || mode == AuthModeAPIAndConfigMap
}

// Validate checks spec.Access against what aws-auth and access entries
// accept, for the spec's authentication mode (default API), and returns
// every problem. A mapping to system:masters or to the cluster-admin access
// policy needs AllowClusterAdmin. It is pure.
func Validate(spec Target) []Problem {
	var probs []Problem
	add := func(path, rule, fix string) {
		probs = append(probs, Problem{Path: "spec." + path, Rule: rule, Fix: fix})
	}
	mode := spec.Mode
	if mode == "" {
		mode = DefaultAuthenticationMode
	}
	entries := usesEntries(mode)
	podRole := ""
	if p, err := ParsePrincipalARN(spec.PodExecutionRoleARN); err == nil {
		podRole = awsAuthKey(p.String())
	}
	if spec.Access.MigrateToAccessEntries && !entries {
		add("access.migrateToAccessEntries", "migrating to access entries needs authentication mode "+AuthModeAPIAndConfigMap+" or "+AuthModeAPI+", not "+mode,
			"set cluster.authenticationMode: "+AuthModeAPIAndConfigMap)
	}
	seen := map[string]int{}
	for i, m := range spec.Access.Mappings {
		path := fmt.Sprintf("access.mappings[%d]", i)
		if _, err := ParsePrincipalARN(m.ARN); err != nil {
			add(path+".arn", err.Error(), "use arn:aws:iam::<account>:role/<name> or …:user/<name>")
			continue
		}
		key := awsAuthKey(m.ARN)
		if j, dup := seen[key]; dup {
			add(path+".arn", fmt.Sprintf("%s maps the same principal as spec.access.mappings[%d] (aws-auth ignores role paths and case)", m.ARN, j), "merge the mappings")
		}
		seen[key] = i
		if key == podRole {
			add(path+".arn", m.ARN+" is the Fargate pod execution role, which EKS maps itself (aws-auth username "+FargateNodeUsername+", or a "+EntryFargateLinux+" access entry)", "remove the mapping")
		}
		if strings.HasPrefix(m.Username, "system:node:") {
			add(path+".username", fmt.Sprintf("%q is a node identity; EKS maps node roles itself", m.Username), "remove the mapping or use another username")
		} else if entries {
			for _, pre := range reservedUsernamePrefixes {
				if strings.HasPrefix(m.Username, pre) {
					add(path+".username", fmt.Sprintf("%q starts with %q, which access entry usernames can't", m.Username, pre), "use another username, or leave it empty for the one EKS derives")
				}
			}
		}
		for j, g := range m.Groups {
			gpath := fmt.Sprintf("%s.groups[%d]", path, j)
			switch {
			case g == "":
				add(gpath, "the group is empty", "name the group")
			case g == GroupSystemMasters:
				if !m.AllowClusterAdmin {
					add(gpath, "mapping "+m.ARN+" to "+GroupSystemMasters+" makes it a cluster admin, which needs the explicit opt-in", "set allowClusterAdmin: true on the mapping, or map to a narrower group")
				}
			case strings.HasPrefix(g, "system:") && entries:
				add(gpath, fmt.Sprintf("%q: access entries can't carry groups starting with system: (only %s is translated, to %s)", g, GroupSystemMasters, policyName(ClusterAdminAccessPolicy)),
					"bind a group of your own, or use an access policy")
			}
		}
		if len(m.AccessPolicies) > 0 && !entries {
			add(path+".accessPolicies", "access policies need access entries, which authentication mode "+mode+" does not use", "set cluster.authenticationMode: "+AuthModeAPIAndConfigMap+" or "+AuthModeAPI)
		}
		polSeen := map[string]bool{}
		for j, ap := range m.AccessPolicies {
			ppath := fmt.Sprintf("%s.accessPolicies[%d]", path, j)
			if !isPolicyARN(ap.PolicyARN) {
				add(ppath+".policyARN", fmt.Sprintf("%q is not an EKS access policy ARN", ap.PolicyARN), "use arn:aws:eks::aws:cluster-access-policy/<name>")
				continue
			}
			if polSeen[ap.PolicyARN] {
				add(ppath+".policyARN", ap.PolicyARN+" is listed twice", "merge the two, with the namespaces of both")
			}
			polSeen[ap.PolicyARN] = true
			if policyName(ap.PolicyARN) == policyName(ClusterAdminAccessPolicy) && !m.AllowClusterAdmin {
				add(ppath+".policyARN", policyName(ap.PolicyARN)+" makes "+m.ARN+" a cluster admin, which needs the explicit opt-in", "set allowClusterAdmin: true on the mapping, or use a narrower policy")
			}
			for k, ns := range ap.Namespaces {
				if ns == "" {
					add(fmt.Sprintf("%s.namespaces[%d]", ppath, k), "the namespace is empty", "name the namespace, or remove the list for cluster scope")
				}
			}
		}
	}
	return probs
}

func isPolicyARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "eks" && parts[4] == "aws" &&
		strings.HasPrefix(parts[5], "cluster-access-policy/") && len(parts[5]) > len("cluster-access-policy/")
}

// policyName is the name part of an access policy ARN.
func policyName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// adminPolicyARN is the cluster-admin policy in the partition of arn.
func adminPolicyARN(partition string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + policyName(ClusterAdminAccessPolicy)
}

// EntryState is an access entry as fargatekit plans it, and as plans
// show it before and after.
type EntryState struct {
	// PrincipalARN is the IAM role or user, with its path.
	PrincipalARN string `json:"principalArn"`
	// Type is STANDARD, EC2_LINUX, EC2_WINDOWS or FARGATE_LINUX.
	Type string `json:"type"`
	// Username in Kubernetes.
	Username string `json:"username,omitempty"`
	// KubernetesGroups, sorted.
	KubernetesGroups []string `json:"kubernetesGroups,omitempty"`
	// AccessPolicies, sorted by policy ARN.
	AccessPolicies []Policy `json:"accessPolicies,omitempty"`
	// Owned is true when fargatekit created the entry (ops.OwnerTag); fargatekit
	// only deletes owned entries and only removes policies from them.
	Owned bool `json:"owned,omitempty"`
	// Source says where the desired entry comes from: "spec" or an aws-auth
	// entry being migrated.
	Source string `json:"source,omitempty"`
}

// Plan plans who may use the cluster: the spec's mappings in aws-auth
// (CONFIG_MAP and API_AND_CONFIG_MAP modes) and as access entries (API and
// API_AND_CONFIG_MAP modes), and, with Access.MigrateToAccessEntries, an
// access entry for every aws-auth mapping (each listed in the plan; the
// Fargate pod execution role is skipped because EKS creates its
// FARGATE_LINUX entry). liveAuthMode is the cluster's current mode ("" for a
// cluster that does not exist yet); the mode the spec asks for is the
// target. Mappings fargatekit wrote and the spec no longer has are removed;
// nothing else is. Validation problems are returned joined, before anything
// is read.
func Plan(ctx context.Context, c Clients, spec Target, liveAuthMode string) ([]plan.Change, error) {
	if probs := Validate(spec); len(probs) > 0 {
		return nil, &ValidationError{Problems: probs}
	}
	log := c.Logger
	if log == nil {
		log = zap.NewNop()
	}
	target := targetMode(spec, liveAuthMode)
	var changes []plan.Change
	var live *corev1.ConfigMap
	if usesConfigMap(target) || spec.Access.MigrateToAccessEntries {
		if c.Kube == nil && c.KubeFor == nil {
			return nil, errors.New("access: aws-auth needs a Kubernetes client (Clients.Kube)")
		}
		if liveAuthMode != "" { // a cluster that does not exist has no aws-auth
			kube, err := c.kube(ctx)
			if err != nil {
				return nil, err
			}
			cm, err := observe.ConfigMap(ctx, kube, AWSAuthNamespace, AWSAuthName)
			switch {
			case apierrors.IsNotFound(err):
			case err != nil:
				return nil, fmt.Errorf("access: read aws-auth: %w", err)
			default:
				live = cm
			}
		}
	}
	if usesConfigMap(target) {
		ch, err := planAWSAuthChange(spec, live, c.kube, log)
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch)
	}
	if usesEntries(target) {
		if c.EKS == nil {
			return nil, errors.New("access: access entries need an EKS client (Clients.EKS)")
		}
		desired, err := desiredEntries(spec, live)
		if err != nil {
			return nil, err
		}
		chs, err := planAccessEntries(ctx, c.EKS, log, spec, desired, liveAuthMode, target)
		if err != nil {
			return nil, err
		}
		changes = append(changes, chs...)
	}
	return changes, nil
}

// clusterChangeIDs are the IDs of the changes that create the
// cluster and move its authentication mode; access changes wait for them.
func clusterChangeIDs(spec Target) []string {
	return []string{"eks.cluster/" + spec.Cluster, "eks.cluster/" + spec.Cluster + "/authentication-mode"}
}

// AWSAuthChangeID is the plan ID of the aws-auth change.
const AWSAuthChangeID = "k8s.configmap/kube-system/aws-auth"

// planAWSAuthChange diffs the spec's mappings against the live aws-auth.
func planAWSAuthChange(spec Target, live *corev1.ConfigMap, kubeFor func(context.Context) (kubernetes.Interface, error), log *zap.Logger) (plan.Change, error) {
	ch := plan.Change{
		ID:          AWSAuthChangeID,
		Kind:        "k8s.configmap",
		Resource:    AWSAuthNamespace + "/" + AWSAuthName,
		Requirement: "IAM principals reach a CONFIG_MAP-mode cluster through aws-auth; entries fargatekit does not own, above all the Fargate pod execution role's (" + FargateNodeUsername + "), are kept",
		DependsOn:   clusterChangeIDs(spec),
	}
	edit := AWSAuthEdit{Upsert: spec.Access.Mappings}
	var data map[string]string
	owned := map[string]bool{}
	if live != nil {
		data = live.Data
		var err error
		owned, err = awsAuthOwned(live)
		if err != nil {
			return plan.Change{}, err
		}
	}
	want := map[string]bool{}
	for _, m := range spec.Access.Mappings {
		want[awsAuthKey(m.ARN)] = true
	}
	before, err := ParseAWSAuth(data)
	if err != nil {
		return plan.Change{}, fmt.Errorf("access: live aws-auth is malformed, nothing will be written: %w", err)
	}
	// Remove what fargatekit wrote earlier and the spec no longer has.
	for _, r := range before.MapRoles {
		if r.RoleARN != "" && owned[awsAuthKey(r.RoleARN)] && !want[awsAuthKey(r.RoleARN)] {
			edit.Remove = append(edit.Remove, r.RoleARN)
		}
	}
	for _, u := range before.MapUsers {
		if owned[awsAuthKey(u.UserARN)] && !want[awsAuthKey(u.UserARN)] {
			edit.Remove = append(edit.Remove, u.UserARN)
		}
	}
	newData, res, err := EditAWSAuthData(data, edit)
	if err != nil {
		return plan.Change{}, fmt.Errorf("access: aws-auth: %w", err)
	}
	after, err := ParseAWSAuth(newData)
	if err != nil {
		return plan.Change{}, fmt.Errorf("access: aws-auth after edit: %w", err)
	}
	if live != nil {
		ch.Before = before
	}
	ch.After = after
	var parts []string
	for _, a := range res.Added {
		parts = append(parts, "add "+a)
	}
	for _, a := range res.Updated {
		parts = append(parts, "update "+a)
	}
	for _, a := range res.Removed {
		parts = append(parts, "remove "+a)
	}
	switch {
	case live == nil && len(spec.Access.Mappings) == 0:
		ch.Action = plan.NoOp
		ch.Summary = "no mappings to write"
	case live == nil:
		ch.Action = plan.Create
	case len(parts) > 0:
		ch.Action = plan.Update
	default:
		ch.Action = plan.NoOp
	}
	if len(parts) > 0 {
		ch.Summary = strings.Join(parts, "; ")
	}
	ch.Destructive = len(res.Removed) > 0
	ch.Run = func(ctx context.Context, report plan.Reporter) error {
		kube, err := kubeFor(ctx)
		if err != nil {
			return err
		}
		r, err := ApplyAWSAuth(ctx, kube, edit, func(o *AWSAuthOptions) { o.Logger = log })
		if err != nil {
			return err
		}
		report(fmt.Sprintf("written in %d attempt(s)", r.Attempts))
		return nil
	}
	return ch, nil
}

// desiredEntries is the spec's mappings as access entries, plus (when
// migrating) every aws-auth mapping the spec does not name.
func desiredEntries(spec Target, live *corev1.ConfigMap) ([]EntryState, error) {
	var out []EntryState
	named := map[string]bool{}
	for i, m := range spec.Access.Mappings {
		p, _ := ParsePrincipalARN(m.ARN) // validated
		e := EntryState{PrincipalARN: m.ARN, Type: EntryStandard, Username: m.AWSAuthUsername(), Source: fmt.Sprintf("spec.access.mappings[%d]", i)}
		e.KubernetesGroups, e.AccessPolicies = splitGroups(m.Groups, m.AccessPolicies, p.Partition)
		out = append(out, e)
		named[awsAuthKey(m.ARN)] = true
	}
	if !spec.Access.MigrateToAccessEntries || live == nil {
		return out, nil
	}
	a, err := ParseAWSAuth(live.Data)
	if err != nil {
		return nil, fmt.Errorf("access: migrate: live aws-auth is malformed: %w", err)
	}
	// Entries fargatekit wrote from an earlier spec are not migrated: they
	// follow the spec (and leave aws-auth when it drops them).
	owned, err := awsAuthOwned(live)
	if err != nil {
		return nil, err
	}
	for k := range owned {
		named[k] = true
	}
	var probs []error
	for i, r := range a.MapRoles {
		src := fmt.Sprintf("aws-auth mapRoles[%d]", i)
		if r.SSO != nil {
			probs = append(probs, fmt.Errorf("access: migrate %s: an sso entry (permission set %s) can't be migrated automatically; add its role ARN to spec.access.mappings", src, r.SSO.PermissionSetName))
			continue
		}
		if named[awsAuthKey(r.RoleARN)] {
			continue
		}
		named[awsAuthKey(r.RoleARN)] = true
		p, _ := ParsePrincipalARN(r.RoleARN)
		switch {
		case r.Username == FargateNodeUsername:
			continue // EKS creates the FARGATE_LINUX entry itself
		case r.Username == EC2NodeUsername:
			typ := EntryEC2Linux
			for _, g := range r.Groups {
				if g == "eks:kube-proxy-windows" {
					typ = EntryEC2Windows
				}
			}
			out = append(out, EntryState{PrincipalARN: r.RoleARN, Type: typ, Source: src})
			continue
		}
		e, err := migrated(r.RoleARN, r.Username, r.Groups, p.Partition, src)
		if err != nil {
			probs = append(probs, err)
			continue
		}
		out = append(out, e)
	}
	for i, u := range a.MapUsers {
		src := fmt.Sprintf("aws-auth mapUsers[%d]", i)
		if named[awsAuthKey(u.UserARN)] {
			continue
		}
		named[awsAuthKey(u.UserARN)] = true
		p, _ := ParsePrincipalARN(u.UserARN)
		e, err := migrated(u.UserARN, u.Username, u.Groups, p.Partition, src)
		if err != nil {
			probs = append(probs, err)
			continue
		}
		out = append(out, e)
	}
	if len(a.MapAccounts) > 0 {
		probs = append(probs, fmt.Errorf("access: migrate: aws-auth mapAccounts (%s) has no access-entry equivalent; map the principals one by one in spec.access.mappings and remove mapAccounts", strings.Join(a.MapAccounts, ", ")))
	}
	if len(probs) > 0 {
		return nil, errors.Join(probs...)
	}
	return out, nil
}

// migrated turns one aws-auth mapping into an access entry, refusing
// what access entries can't carry rather than dropping it.
func migrated(arn, username string, groups []string, partition, src string) (EntryState, error) {
	if strings.Contains(username, "{{EC2PrivateDNSName}}") || strings.HasPrefix(username, "system:node:") {
		return EntryState{}, fmt.Errorf("access: migrate %s (%s): node username %q can't be migrated to a STANDARD access entry", src, arn, username)
	}
	for _, pre := range reservedUsernamePrefixes {
		if strings.HasPrefix(username, pre) {
			return EntryState{}, fmt.Errorf("access: migrate %s (%s): username %q can't start an access entry's username (%s); map the principal in spec.access.mappings with another username", src, arn, username, pre)
		}
	}
	for _, g := range groups {
		if strings.HasPrefix(g, "system:") && g != GroupSystemMasters {
			return EntryState{}, fmt.Errorf("access: migrate %s (%s): group %q can't be in an access entry; map the principal in spec.access.mappings without it", src, arn, g)
		}
	}
	e := EntryState{PrincipalARN: arn, Type: EntryStandard, Username: username, Source: src}
	e.KubernetesGroups, e.AccessPolicies = splitGroups(groups, nil, partition)
	if e.Username == "" {
		e.Username = Mapping{ARN: arn}.AWSAuthUsername()
	}
	return e, nil
}

// splitGroups turns system:masters into the cluster-admin access
// policy (access entries can't carry system: groups) and sorts both lists.
func splitGroups(groups []string, policies []Policy, partition string) ([]string, []Policy) {
	var gs []string
	ps := append([]Policy(nil), policies...)
	for _, g := range groups {
		if g == GroupSystemMasters {
			admin := adminPolicyARN(partition)
			has := false
			for _, p := range ps {
				if policyName(p.PolicyARN) == policyName(admin) {
					has = true
				}
			}
			if !has {
				ps = append(ps, Policy{PolicyARN: admin})
			}
			continue
		}
		gs = append(gs, g)
	}
	sort.Strings(gs)
	gs = dedupe(gs)
	for i := range ps {
		ns := append([]string(nil), ps[i].Namespaces...)
		sort.Strings(ns)
		ps[i].Namespaces = dedupe(ns)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].PolicyARN < ps[j].PolicyARN })
	return gs, ps
}

func dedupe(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// liveEntry reads an access entry and its policies (observe.AccessEntry,
// which lists the policies of STANDARD entries only: EKS refuses the list
// for the other types); nil when absent.
func liveEntry(ctx context.Context, c EntryClient, cluster, arn string) (*EntryState, error) {
	e, policies, err := observe.AccessEntry(ctx, c, cluster, arn)
	switch {
	case err != nil && e != nil:
		return nil, fmt.Errorf("list access policies of %s: %w", arn, err)
	case observe.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("describe access entry %s: %w", arn, err)
	case e == nil:
		return nil, fmt.Errorf("describe access entry %s: empty answer", arn)
	}
	st := &EntryState{
		PrincipalARN: aws.ToString(e.PrincipalArn),
		Type:         aws.ToString(e.Type),
		Username:     aws.ToString(e.Username),
		Owned:        e.Tags[ops.OwnerTag] == cluster,
	}
	st.KubernetesGroups = dedupe(append([]string(nil), e.KubernetesGroups...))
	sort.Strings(st.KubernetesGroups)
	st.KubernetesGroups = dedupe(st.KubernetesGroups)
	for _, ap := range policies {
		p := Policy{PolicyARN: aws.ToString(ap.PolicyArn)}
		if ap.AccessScope != nil && ap.AccessScope.Type == ekstypes.AccessScopeTypeNamespace {
			p.Namespaces = append([]string(nil), ap.AccessScope.Namespaces...)
			sort.Strings(p.Namespaces)
		}
		st.AccessPolicies = append(st.AccessPolicies, p)
	}
	sort.Slice(st.AccessPolicies, func(i, j int) bool { return st.AccessPolicies[i].PolicyARN < st.AccessPolicies[j].PolicyARN })
	return st, nil
}

// listARNs lists the principal ARNs of the cluster's access entries.
func listARNs(ctx context.Context, c EntryClient, cluster string) ([]string, error) {
	arns, err := observe.AccessEntryPrincipals(ctx, c, cluster)
	if err != nil {
		return nil, fmt.Errorf("list access entries: %w", err)
	}
	return arns, nil
}

// entryKey matches access entries: EKS matches on the principal, so
// ARNs compare exactly except for case.
func entryKey(arn string) string { return strings.ToLower(arn) }

// planAccessEntries diffs desired against the cluster's access entries.
func planAccessEntries(ctx context.Context, c EntryClient, log *zap.Logger, spec Target, desired []EntryState, liveMode, target string) ([]plan.Change, error) {
	cluster := spec.Cluster
	live := map[string]*EntryState{}
	canList := usesEntries(liveMode)
	if canList {
		arns, err := listARNs(ctx, c, cluster)
		if err != nil {
			return nil, fmt.Errorf("access: %w", err)
		}
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			errs []error
			sem  = make(chan struct{}, 8)
		)
		for _, arn := range arns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				st, err := liveEntry(ctx, c, cluster, arn)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				if st != nil {
					live[entryKey(arn)] = st
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			return nil, fmt.Errorf("access: %w", errors.Join(errs...))
		}
	}
	deps := clusterChangeIDs(spec)
	var changes []plan.Change
	wanted := map[string]bool{}
	for _, d := range desired {
		d := d
		wanted[entryKey(d.PrincipalARN)] = true
		ch := plan.Change{
			ID:          "eks.access-entry/" + d.PrincipalARN,
			Kind:        "eks.access-entry",
			Resource:    d.PrincipalARN,
			Requirement: "API modes: IAM principals reach the cluster through access entries; system:masters becomes the cluster-admin access policy because access entries can't carry system: groups",
			DependsOn:   deps,
			After:       d,
		}
		l := live[entryKey(d.PrincipalARN)]
		switch {
		case l == nil:
			ch.Action = plan.Create
			d.Owned = true
			ch.After = d
			ch.Summary = "from " + d.Source
			if !canList {
				ch.Summary += fmt.Sprintf(" (after the authentication mode becomes %s)", target)
			}
		default:
			ch.Before = l
			d.Owned = l.Owned
			ch.After = d
			diff := entryDiff(*l, d)
			if len(diff) == 0 {
				ch.Action = plan.NoOp
			} else {
				ch.Action = plan.Update
				ch.Summary = strings.Join(diff, "; ")
			}
			if l.Type != d.Type {
				return nil, fmt.Errorf("access: access entry %s has type %s, the plan needs %s; the type can't change (delete the entry to recreate it)", d.PrincipalARN, l.Type, d.Type)
			}
		}
		ch.Run = func(ctx context.Context, report plan.Reporter) error {
			return ensureEntry(ctx, c, log, cluster, d, report)
		}
		changes = append(changes, ch)
	}
	// Delete entries fargatekit created and no longer wants.
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l := live[k]
		if wanted[k] || !l.Owned || l.Type != EntryStandard {
			continue
		}
		arn := l.PrincipalARN
		changes = append(changes, plan.Change{
			ID:          "eks.access-entry/" + arn,
			Kind:        "eks.access-entry",
			Resource:    arn,
			Action:      plan.Delete,
			Summary:     "created by fargatekit, no longer in the spec",
			Before:      l,
			Destructive: true,
			Requirement: "only the spec's principals may use the cluster",
			Run: func(ctx context.Context, report plan.Reporter) error {
				return ops.AccessEntryDelete(ctx, c, cluster, arn)
			},
		})
	}
	return changes, nil
}

// entryDiff lists what differs between a live entry and the desired
// one. Policies the entry has and the spec does not name are removed only
// from entries fargatekit owns.
func entryDiff(l, d EntryState) []string {
	if d.Type != EntryStandard {
		return nil // EKS sets the username and groups of node entries
	}
	var out []string
	if l.Username != d.Username && d.Username != "" {
		out = append(out, fmt.Sprintf("username %q → %q", l.Username, d.Username))
	}
	if strings.Join(l.KubernetesGroups, ",") != strings.Join(d.KubernetesGroups, ",") {
		out = append(out, fmt.Sprintf("groups %v → %v", l.KubernetesGroups, d.KubernetesGroups))
	}
	lp := map[string]Policy{}
	for _, p := range l.AccessPolicies {
		lp[p.PolicyARN] = p
	}
	dp := map[string]bool{}
	for _, p := range d.AccessPolicies {
		dp[p.PolicyARN] = true
		old, ok := lp[p.PolicyARN]
		switch {
		case !ok:
			out = append(out, "associate "+policyName(p.PolicyARN)+scopeText(p))
		case strings.Join(old.Namespaces, ",") != strings.Join(p.Namespaces, ","):
			out = append(out, "rescope "+policyName(p.PolicyARN)+scopeText(p))
		}
	}
	if l.Owned {
		for _, p := range l.AccessPolicies {
			if !dp[p.PolicyARN] {
				out = append(out, "disassociate "+policyName(p.PolicyARN))
			}
		}
	}
	return out
}

func scopeText(p Policy) string {
	if len(p.Namespaces) == 0 {
		return " (cluster)"
	}
	return " (namespaces " + strings.Join(p.Namespaces, ", ") + ")"
}

// ensureEntry converges one access entry: it reads the entry again
// (the plan may be old), creates or updates it, and associates the policies.
func ensureEntry(ctx context.Context, c EntryClient, log *zap.Logger, cluster string, d EntryState, report plan.Reporter) error {
	l, err := liveEntry(ctx, c, cluster, d.PrincipalARN)
	if err != nil {
		return err
	}
	if l == nil {
		in := &eks.CreateAccessEntryInput{
			ClusterName:  &cluster,
			PrincipalArn: &d.PrincipalARN,
			Type:         &d.Type,
			Tags:         map[string]string{ops.OwnerTag: cluster},
		}
		if d.Type == EntryStandard {
			in.KubernetesGroups = d.KubernetesGroups
			if d.Username != "" && d.Username != (Mapping{ARN: d.PrincipalARN}).AWSAuthUsername() {
				in.Username = &d.Username
			}
		}
		exists, err := ops.AccessEntryCreate(ctx, c, in)
		switch {
		case err != nil:
			return err
		case exists: // created in the meantime: converge it
			if l, err = liveEntry(ctx, c, cluster, d.PrincipalARN); err != nil {
				return err
			}
			if l == nil {
				return fmt.Errorf("create access entry %s: in use, yet not found", d.PrincipalARN)
			}
		default:
			report("created")
			l = &EntryState{PrincipalARN: d.PrincipalARN, Type: d.Type, Username: d.Username, KubernetesGroups: d.KubernetesGroups, Owned: true}
		}
	}
	if l.Type != d.Type {
		return fmt.Errorf("access entry %s has type %s, want %s; the type can't change", d.PrincipalARN, l.Type, d.Type)
	}
	if d.Type == EntryStandard && (strings.Join(l.KubernetesGroups, ",") != strings.Join(d.KubernetesGroups, ",") || (d.Username != "" && l.Username != d.Username)) {
		username := "" // unchanged
		if d.Username != "" && l.Username != d.Username {
			username = d.Username
		}
		if err := ops.AccessEntryUpdate(ctx, c, cluster, d.PrincipalARN, username, d.KubernetesGroups); err != nil {
			return err
		}
		report("updated")
	}
	lp := map[string]Policy{}
	for _, p := range l.AccessPolicies {
		lp[p.PolicyARN] = p
	}
	want := map[string]bool{}
	for _, p := range d.AccessPolicies {
		want[p.PolicyARN] = true
		if old, ok := lp[p.PolicyARN]; ok && strings.Join(old.Namespaces, ",") == strings.Join(p.Namespaces, ",") {
			continue
		}
		if err := ops.AccessPolicyAssociate(ctx, c, cluster, d.PrincipalARN, p.PolicyARN, p.Namespaces); err != nil {
			return fmt.Errorf("associate %s with %s: %w", policyName(p.PolicyARN), d.PrincipalARN, err)
		}
		report("associated " + policyName(p.PolicyARN))
	}
	if l.Owned {
		for _, p := range l.AccessPolicies {
			if want[p.PolicyARN] {
				continue
			}
			if err := ops.AccessPolicyDisassociate(ctx, c, cluster, d.PrincipalARN, p.PolicyARN); err != nil {
				return fmt.Errorf("disassociate %s from %s: %w", policyName(p.PolicyARN), d.PrincipalARN, err)
			}
			report("disassociated " + policyName(p.PolicyARN))
		}
	} else {
		for _, p := range l.AccessPolicies {
			if !want[p.PolicyARN] {
				log.Info("access entry not created by fargatekit keeps a policy the spec does not name",
					zap.String("principal", d.PrincipalARN), zap.String("policy", p.PolicyARN))
			}
		}
	}
	return nil
}
