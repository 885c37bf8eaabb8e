package audit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// AccessMapSchema identifies version 1 of the access map document.
const AccessMapSchema = "fargatekit.io/access-map/v1"

// Sources of a principal's mapping into a cluster.
const (
	// SourceAWSAuth is the kube-system/aws-auth ConfigMap.
	SourceAWSAuth = "aws-auth"
	// SourceAccessEntry is an EKS access entry.
	SourceAccessEntry = "access-entry"
)

// Kubernetes capability classes of the access map.
const (
	// KubeClusterAdmin is cluster-admin-equivalent: every verb on every
	// resource of every API group cluster-wide, or system:masters, or
	// AmazonEKSClusterAdminPolicy at cluster scope.
	KubeClusterAdmin = "cluster-admin"
	// KubeEscalation is bind, escalate or impersonate, or writing RBAC
	// bindings.
	KubeEscalation = "rbac-escalation"
	// KubeSecretsRead is get, list or watch on every Secret of a namespace.
	KubeSecretsRead = "secrets-read"
	// KubePodCreate is create on pods or a workload controller: running a
	// pod as any ServiceAccount of the namespace.
	KubePodCreate = "pod-create"
	// KubeTokenCreate is create on serviceaccounts/token: minting any
	// ServiceAccount's token in the namespace.
	KubeTokenCreate = "token-create"
)

// AccessMap is who can do what in and through one cluster: the IAM
// principals mapped into it, what RBAC and access policies give them, the
// annotated ServiceAccounts with the IAM roles whose trust admits them, and
// the roles each principal reaches by creating pods.
type AccessMap struct {
	// Schema is AccessMapSchema.
	Schema string `json:"schema"`
	// GeneratedAt is when the cluster was observed.
	GeneratedAt time.Time `json:"generatedAt"`
	// Account of the cluster.
	Account string `json:"account"`
	// Cluster is the cluster's ARN.
	Cluster string `json:"cluster"`
	// Name and Region of the cluster.
	Name   string `json:"name"`
	Region string `json:"region"`
	// AuthenticationMode decides which sources count: CONFIG_MAP reads
	// only aws-auth, API only access entries, API_AND_CONFIG_MAP both (an
	// access entry wins for a principal in both).
	AuthenticationMode string `json:"authenticationMode"`
	// Principals are the IAM principals mapped into the cluster, by ARN.
	Principals []AccessPrincipal `json:"principals"`
	// ServiceAccounts are the ServiceAccounts annotated with an IAM role.
	ServiceAccounts []AccessServiceAccount `json:"serviceAccounts"`
	// Incomplete lists what could not be read, and so what the map may be
	// missing: it is never "nobody is admin" for lack of data.
	Incomplete []string `json:"incomplete"`
}

// AccessPrincipal is one IAM principal mapped into the cluster.
type AccessPrincipal struct {
	// ARN of the principal (a role, a user, "arn:…:iam::ACCOUNT:root" for
	// an aws-auth mapAccounts entry, or "sso:ACCOUNT:PERMISSION-SET").
	ARN string `json:"arn"`
	// Username in Kubernetes, templates ({{SessionName}}) as written.
	Username string `json:"username"`
	// Groups in Kubernetes.
	Groups []string `json:"groups"`
	// Sources are SourceAWSAuth and/or SourceAccessEntry: where the
	// mapping in effect comes from.
	Sources []string `json:"sources"`
	// Type is the access entry type (STANDARD, FARGATE_LINUX, …), empty for
	// aws-auth mappings.
	Type string `json:"type,omitempty"`
	// ClusterAdmin is true when the principal is cluster-admin-equivalent.
	ClusterAdmin bool `json:"clusterAdmin"`
	// ClusterAdminVia are the groups, bindings and access policies that
	// make it so.
	ClusterAdminVia []string `json:"clusterAdminVia"`
	// Escalation are the grants of RBAC escalation verbs, with their
	// bindings.
	Escalation []string `json:"escalation,omitempty"`
	// SecretsReadNamespaces are the namespaces whose Secrets it can read
	// ("*" for all).
	SecretsReadNamespaces []string `json:"secretsReadNamespaces,omitempty"`
	// PodCreateNamespaces are the namespaces where it can create pods or
	// workloads, or mint ServiceAccount tokens ("*" for all).
	PodCreateNamespaces []string `json:"podCreateNamespaces"`
	// ReachableRoles are the IAM role ARNs it can get through pods: the
	// roles of the ServiceAccounts of those namespaces whose trust admits
	// them.
	ReachableRoles []string `json:"reachableRoles"`
	// ReachableAdmin is true when a reachable role is admin-equivalent.
	ReachableAdmin bool `json:"reachableAdmin"`
	// ReachableEscalation is true when a reachable role can escalate its
	// privileges.
	ReachableEscalation bool `json:"reachableEscalation,omitempty"`
	// Paths explain each reachable role, step by step.
	Paths []AccessPath `json:"paths,omitempty"`

	podVia map[string]string // namespace ("*" for all) → what lets it create pods there
}

// AccessPath is one way from a principal to an IAM role through a pod.
type AccessPath struct {
	// Role is the IAM role reached.
	Role string `json:"role"`
	// Steps from the principal to the role's permissions.
	Steps []string `json:"steps"`
}

// AccessServiceAccount is a ServiceAccount annotated with an IAM role.
type AccessServiceAccount struct {
	// Namespace and Name of the ServiceAccount.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// RoleARN is the eks.amazonaws.com/role-arn annotation.
	RoleARN string `json:"roleArn"`
	// TrustAllows is true when the role exists and its trust lets this
	// cluster's OIDC provider assume it for the ServiceAccount with the
	// audience sts.amazonaws.com (or the annotated audience).
	TrustAllows bool `json:"trustAllows"`
	// TrustReason says why not, when TrustAllows is false.
	TrustReason string `json:"trustReason,omitempty"`
	// AdminEquivalent is true when the role is admin-equivalent.
	AdminEquivalent bool `json:"adminEquivalent"`
	// Capabilities are the role's iamtrust capability classes
	// (admin-equivalent, privilege-escalation, broad-data-access).
	Capabilities []string `json:"capabilities"`
	// Grants summarize the role's permissions: its policies.
	Grants string `json:"grants,omitempty"`
	// FargateProfile is the profile whose selectors take the namespace's
	// pods (without labels), if any.
	FargateProfile string `json:"fargateProfile,omitempty"`
}

// Access observes the target (one cluster, or every cluster of its regions)
// like Audit does and returns an access map per cluster. A cluster whose
// RBAC, ServiceAccounts or aws-auth could not be read gets a map marked
// incomplete for those parts.
func Access(ctx context.Context, t Target, opts ...func(*Options)) ([]*AccessMap, error) {
	s, err := Observe(ctx, t, opts...)
	if err != nil {
		return nil, err
	}
	var out []*AccessMap
	for _, c := range s.Clusters {
		out = append(out, BuildAccessMap(s, c))
	}
	return out, nil
}

// BuildAccessMap computes cluster c's access map from the snapshot. It is
// pure.
func BuildAccessMap(s *Snapshot, c *Cluster) *AccessMap {
	if s.roleIndex == nil {
		s.index()
	}
	m := &AccessMap{
		Schema: AccessMapSchema, GeneratedAt: s.ObservedAt, Account: s.Account, Cluster: c.ARN, Name: c.Name, Region: c.Region,
		AuthenticationMode: c.AuthenticationMode, Principals: []AccessPrincipal{}, ServiceAccounts: []AccessServiceAccount{}, Incomplete: []string{},
	}
	for _, u := range s.Unavailable {
		if !u.covers(c) {
			continue
		}
		switch u.What {
		case PartRBAC, PartServiceAccounts, PartAWSAuth, PartAccessEntries, PartRoles, PartRolePolicies, PartOIDCProviders, PartFargateProfiles:
			m.Incomplete = append(m.Incomplete, u.What+": "+u.Reason)
		}
	}
	sort.Strings(m.Incomplete)
	m.Incomplete = slices.Compact(m.Incomplete)

	m.ServiceAccounts = accessServiceAccounts(s, c)
	ev := newRBACEvaluator(c)
	for _, id := range mappedIdentities(s, c) {
		p := id.principal
		grants := ev.evaluate(p.Username, p.Groups)
		for _, g := range id.policyGrants {
			grants.add(g)
		}
		if slices.Contains(p.Groups, access.GroupSystemMasters) {
			grants.add(grant{class: KubeClusterAdmin, ns: "*", via: "group system:masters"})
		}
		p.apply(grants)
		reach(&p, m.ServiceAccounts)
		m.Principals = append(m.Principals, p)
	}
	sort.Slice(m.Principals, func(i, j int) bool { return m.Principals[i].ARN < m.Principals[j].ARN })
	return m
}

// identity is a principal with the grants its access policies carry.
type identity struct {
	principal    AccessPrincipal
	policyGrants []grant
}

// mappedIdentities lists the principals the cluster's authentication mode
// maps: aws-auth unless the mode is API, access entries unless it is
// CONFIG_MAP, an access entry winning over aws-auth for the same principal.
func mappedIdentities(s *Snapshot, c *Cluster) []identity {
	byARN := map[string]*identity{}
	var order []string
	if c.AuthenticationMode != access.AuthModeConfigMap {
		for _, e := range c.AccessEntries {
			id := &identity{principal: AccessPrincipal{ARN: e.PrincipalARN, Username: e.Username, Groups: nonNil(e.KubernetesGroups),
				Sources: []string{SourceAccessEntry}, Type: e.Type}}
			if id.principal.Username == "" {
				id.principal.Username = defaultEntryUsername(e.PrincipalARN)
			}
			for _, ap := range e.Policies {
				id.policyGrants = append(id.policyGrants, accessPolicyGrants(ap)...)
			}
			key := roleARNWithoutPath(e.PrincipalARN)
			byARN[key] = id
			order = append(order, key)
		}
	}
	if c.AuthenticationMode != access.AuthModeAPI && c.Kube != nil && c.Kube.AWSAuth != nil {
		a := c.Kube.AWSAuth
		add := func(arn, username string, groups []string) {
			key := roleARNWithoutPath(arn)
			if prev, ok := byARN[key]; ok {
				if !slices.Contains(prev.principal.Sources, SourceAWSAuth) && slices.Contains(prev.principal.Sources, SourceAccessEntry) {
					return // the access entry wins
				}
			}
			byARN[key] = &identity{principal: AccessPrincipal{ARN: arn, Username: username, Groups: nonNil(groups), Sources: []string{SourceAWSAuth}}}
			order = append(order, key)
		}
		for _, mr := range a.MapRoles {
			add(mr.ARN, mr.Username, mr.Groups)
		}
		for _, mu := range a.MapUsers {
			add(mu.ARN, mu.Username, mu.Groups)
		}
		for _, acct := range a.MapAccounts {
			add("arn:"+s.Partition+":iam::"+acct+":root", "(each principal's ARN)", nil)
		}
	}
	var out []identity
	seen := map[string]bool{}
	for _, k := range order {
		if !seen[k] {
			seen[k] = true
			out = append(out, *byARN[k])
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// defaultEntryUsername is the username EKS gives an access entry without
// one: the ARN for users, the session form for roles.
func defaultEntryUsername(principal string) string {
	if i := strings.Index(principal, ":role/"); i >= 0 {
		name := principal[i+len(":role/"):]
		name = name[strings.LastIndexByte(name, '/')+1:]
		return strings.Replace(principal[:i], ":iam:", ":sts:", 1) + ":assumed-role/" + name + "/{{SessionName}}"
	}
	return principal
}

// accessPolicyGrants are what an EKS access policy association gives, in
// the access map's classes. The EKS policies mirror the Kubernetes
// user-facing roles: ClusterAdmin is cluster-admin, Admin is admin (RBAC
// within the namespace), Edit is edit (pods and Secrets), View reads no
// Secrets.
func accessPolicyGrants(ap AccessPolicyAssociation) []grant {
	name := ap.PolicyARN[strings.LastIndexByte(ap.PolicyARN, '/')+1:]
	nss := []string{"*"}
	scope := "cluster"
	if ap.ScopeType == "namespace" {
		nss, scope = ap.Namespaces, "namespaces "+strings.Join(ap.Namespaces, ", ")
	}
	via := "access policy " + name + " (" + scope + ")"
	var out []grant
	for _, ns := range nss {
		switch name {
		case "AmazonEKSClusterAdminPolicy":
			if ns == "*" {
				out = append(out, grant{class: KubeClusterAdmin, ns: "*", via: via})
			} else {
				out = append(out, grant{class: KubePodCreate, ns: ns, via: via}, grant{class: KubeSecretsRead, ns: ns, via: via}, grant{class: KubeEscalation, ns: ns, via: via})
			}
		case "AmazonEKSAdminPolicy":
			out = append(out, grant{class: KubePodCreate, ns: ns, via: via}, grant{class: KubeSecretsRead, ns: ns, via: via}, grant{class: KubeEscalation, ns: ns, via: via})
		case "AmazonEKSEditPolicy":
			out = append(out, grant{class: KubePodCreate, ns: ns, via: via}, grant{class: KubeSecretsRead, ns: ns, via: via})
		}
	}
	return out
}

// grant is one capability in one namespace ("*" for all), and what gives
// it.
type grant struct {
	class, ns, via string
}

// grants collects a principal's grants.
type grants struct{ list []grant }

func (g *grants) add(x grant) {
	if !slices.Contains(g.list, x) {
		g.list = append(g.list, x)
	}
}

// apply fills the principal's Kubernetes fields from its grants.
func (p *AccessPrincipal) apply(g grants) {
	p.ClusterAdminVia = []string{}
	nsOf := func(class string) []string {
		set := map[string]bool{}
		for _, x := range g.list {
			if x.class == class || x.class == KubeClusterAdmin {
				set[x.ns] = true
			}
		}
		if set["*"] {
			return []string{"*"}
		}
		return sortedKeys(set)
	}
	for _, x := range g.list {
		switch x.class {
		case KubeClusterAdmin:
			p.ClusterAdmin = true
			if !slices.Contains(p.ClusterAdminVia, x.via) {
				p.ClusterAdminVia = append(p.ClusterAdminVia, x.via)
			}
		case KubeEscalation:
			e := x.via
			if x.ns != "*" {
				e += " in " + x.ns
			}
			if !slices.Contains(p.Escalation, e) {
				p.Escalation = append(p.Escalation, e)
			}
		}
	}
	sort.Strings(p.ClusterAdminVia)
	sort.Strings(p.Escalation)
	if ns := nsOf(KubeSecretsRead); len(ns) > 0 {
		p.SecretsReadNamespaces = ns
	}
	pods := map[string]bool{}
	for _, class := range []string{KubePodCreate, KubeTokenCreate} {
		for _, ns := range nsOf(class) {
			pods[ns] = true
		}
	}
	if pods["*"] {
		p.PodCreateNamespaces = []string{"*"}
	} else {
		p.PodCreateNamespaces = sortedKeys(pods)
	}
	p.podVia = map[string]string{}
	for _, x := range g.list {
		if x.class == KubePodCreate || x.class == KubeTokenCreate || x.class == KubeClusterAdmin {
			if _, ok := p.podVia[x.ns]; !ok {
				p.podVia[x.ns] = x.via
			}
		}
	}
}

// reach fills the roles a principal reaches through the namespaces where it
// can create pods.
func reach(p *AccessPrincipal, sas []AccessServiceAccount) {
	p.ReachableRoles = []string{}
	for _, sa := range sas {
		via, ok := p.podVia[sa.Namespace]
		if !ok {
			via, ok = p.podVia["*"]
		}
		if !ok || !sa.TrustAllows {
			continue
		}
		if !slices.Contains(p.ReachableRoles, sa.RoleARN) {
			p.ReachableRoles = append(p.ReachableRoles, sa.RoleARN)
		}
		p.ReachableAdmin = p.ReachableAdmin || sa.AdminEquivalent
		p.ReachableEscalation = p.ReachableEscalation || slices.Contains(sa.Capabilities, iamtrust.CapabilityEscalation)
		what := "can do: " + sa.Grants
		if len(sa.Capabilities) > 0 {
			what = "is " + strings.Join(sa.Capabilities, ", ") + " (" + sa.Grants + ")"
		}
		p.Paths = append(p.Paths, AccessPath{Role: sa.RoleARN, Steps: []string{
			p.ARN + " is Kubernetes user " + p.Username + groupsText(p.Groups),
			"creates pods in namespace " + sa.Namespace + " (" + via + ")",
			"runs them as ServiceAccount " + sa.Namespace + "/" + sa.Name,
			"whose annotation names " + sa.RoleARN + ", and the role's trust admits it",
			"the role " + what,
		}})
	}
	sort.Strings(p.ReachableRoles)
	p.podVia = nil
}

func groupsText(gs []string) string {
	if len(gs) == 0 {
		return ""
	}
	return " in groups " + strings.Join(gs, ", ")
}

// accessServiceAccounts evaluates each annotated ServiceAccount's role.
func accessServiceAccounts(s *Snapshot, c *Cluster) []AccessServiceAccount {
	out := []AccessServiceAccount{}
	if c.Kube == nil {
		return out
	}
	for _, sa := range c.Kube.ServiceAccounts {
		if sa.RoleARN == "" {
			continue
		}
		e := AccessServiceAccount{Namespace: sa.Namespace, Name: sa.Name, RoleARN: sa.RoleARN, Capabilities: []string{}}
		for _, p := range c.FargateProfiles {
			for _, sel := range p.Selectors {
				if len(sel.Labels) == 0 && sel.Matches(sa.Namespace, nil) && e.FargateProfile == "" {
					e.FargateProfile = p.Name
				}
			}
		}
		r := s.Role(sa.RoleARN)
		switch {
		case r == nil:
			e.TrustReason = "the role does not exist in account " + s.Account
		case r.Trust == nil:
			e.TrustReason = "the role's trust policy does not parse"
		case c.OIDCIssuer == "":
			e.TrustReason = "the cluster has no OIDC issuer"
		default:
			res := iamtrust.Evaluate(r.Trust, saRequest(s, c, iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name}, sa.Audience))
			e.TrustAllows = res.Decision == iamtrust.Allow
			if !e.TrustAllows {
				e.TrustReason = "the trust does not admit system:serviceaccount:" + sa.Namespace + ":" + sa.Name + " (" + res.Decision.String() + ")"
			}
		}
		if r != nil && r.PoliciesRead {
			perms, _ := s.Permissions(r)
			e.Capabilities = append(e.Capabilities, iamtrust.Classes(perms.Capabilities())...)
			e.AdminEquivalent = slices.Contains(e.Capabilities, iamtrust.CapabilityAdmin)
			var names []string
			for _, ap := range r.AttachedPolicies {
				names = append(names, ap.Name)
			}
			for _, ip := range r.InlinePolicies {
				names = append(names, "inline "+ip.Name)
			}
			if len(names) == 0 {
				e.Grants = "no policies"
			} else {
				e.Grants = strings.Join(names, ", ")
			}
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// rbacEvaluator evaluates RBAC for Kubernetes users and groups, with
// aggregated ClusterRoles computed from their selectors (no
// kube-controller-manager fills them in the test apiserver, and a live one
// may lag).
type rbacEvaluator struct {
	rbac         *RBAC
	clusterRoles map[string]*RBACRole
	roles        map[string]*RBACRole // namespace/name
	aggregated   map[string][]RBACRule
}

func newRBACEvaluator(c *Cluster) *rbacEvaluator {
	ev := &rbacEvaluator{clusterRoles: map[string]*RBACRole{}, roles: map[string]*RBACRole{}, aggregated: map[string][]RBACRule{}}
	if c.Kube == nil || c.Kube.RBAC == nil {
		return ev
	}
	ev.rbac = c.Kube.RBAC
	for i := range ev.rbac.ClusterRoles {
		ev.clusterRoles[ev.rbac.ClusterRoles[i].Name] = &ev.rbac.ClusterRoles[i]
	}
	for i := range ev.rbac.Roles {
		r := &ev.rbac.Roles[i]
		ev.roles[r.Namespace+"/"+r.Name] = r
	}
	return ev
}

// clusterRoleRules returns a ClusterRole's rules, aggregation computed.
func (ev *rbacEvaluator) clusterRoleRules(name string, seen map[string]bool) []RBACRule {
	if rules, ok := ev.aggregated[name]; ok {
		return rules
	}
	cr := ev.clusterRoles[name]
	if cr == nil {
		return nil
	}
	if cr.Aggregation == nil {
		return cr.Rules
	}
	if seen[name] {
		return nil
	}
	seen[name] = true
	var rules []RBACRule
	for _, sel := range cr.Aggregation {
		ls, err := labels.Parse(sel)
		if err != nil {
			continue
		}
		for _, other := range ev.rbac.ClusterRoles {
			if other.Name != name && ls.Matches(labels.Set(other.Labels)) {
				rules = append(rules, ev.clusterRoleRules(other.Name, seen)...)
			}
		}
	}
	ev.aggregated[name] = rules
	return rules
}

// evaluate returns the grants RBAC gives a user with groups.
func (ev *rbacEvaluator) evaluate(user string, groups []string) grants {
	var g grants
	if ev.rbac == nil {
		return g
	}
	all := append(slices.Clone(groups), "system:authenticated")
	matches := func(b *RBACBinding) bool {
		for _, s := range b.Subjects {
			switch s.Kind {
			case "User":
				if s.Name == user && !strings.Contains(user, "{{") {
					return true
				}
			case "Group":
				if slices.Contains(all, s.Name) {
					return true
				}
			}
		}
		return false
	}
	for i := range ev.rbac.ClusterRoleBindings {
		b := &ev.rbac.ClusterRoleBindings[i]
		if !matches(b) || b.RoleKind != "ClusterRole" {
			continue
		}
		for _, x := range ruleGrants(ev.clusterRoleRules(b.RoleName, map[string]bool{}), "*", "ClusterRoleBinding "+b.Name+" → ClusterRole "+b.RoleName) {
			g.add(x)
		}
	}
	for i := range ev.rbac.RoleBindings {
		b := &ev.rbac.RoleBindings[i]
		if !matches(b) {
			continue
		}
		var rules []RBACRule
		switch b.RoleKind {
		case "ClusterRole":
			rules = ev.clusterRoleRules(b.RoleName, map[string]bool{})
		case "Role":
			if r := ev.roles[b.Namespace+"/"+b.RoleName]; r != nil {
				rules = r.Rules
			}
		}
		for _, x := range ruleGrants(rules, b.Namespace, "RoleBinding "+b.Namespace+"/"+b.Name+" → "+b.RoleKind+" "+b.RoleName) {
			g.add(x)
		}
	}
	return g
}

// workloadResources are the resources whose creation runs a pod as a
// ServiceAccount of the namespace, with their API groups.
var workloadResources = map[string]string{
	"pods": "", "replicationcontrollers": "",
	"deployments": "apps", "replicasets": "apps", "statefulsets": "apps", "daemonsets": "apps",
	"jobs": "batch", "cronjobs": "batch",
}

// ruleGrants classifies RBAC rules, following Kubernetes' semantics: rules
// only add; "*" matches all; a rule with resourceNames never allows create
// (a create request has no name) and reads only the named objects.
func ruleGrants(rules []RBACRule, ns, via string) []grant {
	var out []grant
	add := func(class string) { out = append(out, grant{class: class, ns: ns, via: via}) }
	for _, r := range rules {
		if len(r.Resources) == 0 {
			continue // non-resource URLs
		}
		verb := func(vs ...string) bool {
			for _, v := range vs {
				if slices.Contains(r.Verbs, v) || slices.Contains(r.Verbs, "*") {
					return true
				}
			}
			return false
		}
		on := func(group, resource string) bool {
			return (slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
				(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*"))
		}
		named := len(r.ResourceNames) > 0
		if slices.Contains(r.Verbs, "*") && slices.Contains(r.Resources, "*") && slices.Contains(r.APIGroups, "*") && !named {
			if ns == "*" {
				add(KubeClusterAdmin)
				continue
			}
			add(KubePodCreate)
			add(KubeSecretsRead)
			add(KubeEscalation)
			continue
		}
		if !named {
			for res, group := range workloadResources {
				if verb("create") && on(group, res) {
					add(KubePodCreate)
					break
				}
			}
			if verb("create") && on("", "serviceaccounts/token") {
				add(KubeTokenCreate)
			}
			if verb("get", "list", "watch") && on("", "secrets") {
				add(KubeSecretsRead)
			}
		}
		const rbacGroup = "rbac.authorization.k8s.io"
		switch {
		case verb("bind", "escalate") && (on(rbacGroup, "roles") || on(rbacGroup, "clusterroles")),
			verb("impersonate") && (on("", "users") || on("", "groups") || on("", "serviceaccounts")),
			!named && verb("create", "update", "patch") && (on(rbacGroup, "rolebindings") || on(rbacGroup, "clusterrolebindings")):
			add(KubeEscalation)
		}
	}
	return out
}

// String renders the principal's capabilities in a line, for logs.
func (p AccessPrincipal) String() string {
	return fmt.Sprintf("%s (user %s%s): admin=%v pods=%v roles=%v", p.ARN, p.Username, groupsText(p.Groups), p.ClusterAdmin, p.PodCreateNamespaces, p.ReachableRoles)
}
