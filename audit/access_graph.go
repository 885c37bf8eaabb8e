package audit

import (
	"slices"
	"sort"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// AccessColumn is a column of the access map's picture, left to right.
type AccessColumn int

// The columns of the access map's picture.
const (
	// AccessColumnPrincipals holds the IAM principals mapped into the
	// cluster.
	AccessColumnPrincipals AccessColumn = iota
	// AccessColumnKubernetes holds the Kubernetes groups the principals
	// are mapped to, and the Kubernetes user of a principal with no group.
	AccessColumnKubernetes
	// AccessColumnServiceAccounts holds the annotated ServiceAccounts, by
	// namespace/name.
	AccessColumnServiceAccounts
	// AccessColumnRoles holds the IAM roles the ServiceAccounts name.
	AccessColumnRoles
	// AccessColumnCapabilities holds the capability classes: the
	// Kubernetes ones (cluster-admin, rbac-escalation, secrets-read) and
	// the IAM ones (admin-equivalent, privilege-escalation,
	// broad-data-access).
	AccessColumnCapabilities
)

// AccessColumns is the number of columns of the access map's picture.
const AccessColumns = 5

// String returns the column's heading.
func (c AccessColumn) String() string {
	switch c {
	case AccessColumnPrincipals:
		return "IAM principals"
	case AccessColumnKubernetes:
		return "Kubernetes groups and users"
	case AccessColumnServiceAccounts:
		return "ServiceAccounts"
	case AccessColumnRoles:
		return "IAM roles"
	case AccessColumnCapabilities:
		return "Capabilities"
	}
	return "column"
}

// Kinds of access graph nodes.
const (
	// NodePrincipal is an IAM principal (AccessColumnPrincipals).
	NodePrincipal = "principal"
	// NodeGroup is a Kubernetes group (AccessColumnKubernetes).
	NodeGroup = "group"
	// NodeUser is the Kubernetes user of a principal mapped to no group
	// (AccessColumnKubernetes).
	NodeUser = "user"
	// NodeServiceAccount is an annotated ServiceAccount
	// (AccessColumnServiceAccounts).
	NodeServiceAccount = "serviceaccount"
	// NodeRole is an IAM role named by an annotation (AccessColumnRoles).
	NodeRole = "role"
	// NodeCapability is a capability class (AccessColumnCapabilities).
	NodeCapability = "capability"
)

// Kinds of access graph edges.
const (
	// EdgeMapping maps an IAM principal to a Kubernetes group or user; its
	// label is the source (aws-auth, access-entry).
	EdgeMapping = "mapping"
	// EdgePodCreate lets a principal, or every member of a group, run pods
	// as a ServiceAccount; its label is the binding or access policy that
	// allows it.
	EdgePodCreate = "pod-create"
	// EdgeTrust is a ServiceAccount's role annotation; Broken when the
	// role's trust does not admit the ServiceAccount.
	EdgeTrust = "trust"
	// EdgeCapability gives a capability class to a role, or a Kubernetes
	// one to a principal; a principal's label says via what.
	EdgeCapability = "capability"
)

// AccessGraph is an access map as a picture's data: nodes in columns and
// the edges between them, each marked when it lies on a dangerous path.
// Nodes are sorted by column then ID, edges by From, To and Kind, so that
// rendering is deterministic.
type AccessGraph struct {
	// Nodes of the graph.
	Nodes []AccessNode
	// Edges of the graph; every edge runs from a lower column to a higher
	// one.
	Edges []AccessEdge
}

// AccessNode is a node of an AccessGraph.
type AccessNode struct {
	// ID is stable and unique in the graph: the kind's prefix and the
	// thing's name ("principal:ARN", "group:NAME", "user:NAME",
	// "sa:NAMESPACE/NAME", "role:ARN", "capability:CLASS").
	ID string
	// Column the node belongs to.
	Column AccessColumn
	// Label is the short text to show: an ARN without its partition and
	// service, and without the account when it is the cluster's.
	Label string
	// Detail is the full text (an ARN, a role's policies) for tooltips.
	Detail string
	// Kind is NodePrincipal, NodeGroup, NodeUser, NodeServiceAccount,
	// NodeRole or NodeCapability.
	Kind string
	// Danger is true for cluster-admin and the principals that are, for
	// admin-equivalent or privilege-escalating roles that pods can
	// assume, and for every node on a path to them.
	Danger bool
}

// AccessEdge is an edge of an AccessGraph.
type AccessEdge struct {
	// From and To are node IDs.
	From, To string
	// Kind is EdgeMapping, EdgePodCreate, EdgeTrust or EdgeCapability.
	Kind string
	// Label says what the edge stands for: the mapping's source, the
	// binding, "trust admits" or "broken: REASON".
	Label string
	// Danger is true on a path to cluster-admin or to an admin-equivalent
	// or privilege-escalating role.
	Danger bool
	// Broken is true for a role annotation whose trust does not admit the
	// ServiceAccount: it is drawn dashed and is no path.
	Broken bool
}

// dangerousRoleClasses are the IAM capability classes that make a
// reachable role dangerous.
var dangerousRoleClasses = []string{iamtrust.CapabilityAdmin, iamtrust.CapabilityEscalation}

// Graph lays the access map out as a graph: principals, their Kubernetes
// groups (or user), the ServiceAccounts they can run pods as, the roles
// those ServiceAccounts name, and what the roles and principals can do.
// It is pure and deterministic.
func (m *AccessMap) Graph() AccessGraph {
	b := graphBuilder{nodes: map[string]*AccessNode{}, edges: map[[3]string]*AccessEdge{}, account: m.Account}

	// ServiceAccounts and their roles.
	roleCaps := map[string][]string{}
	reached := map[string]bool{}
	for _, p := range m.Principals {
		for _, r := range p.ReachableRoles {
			reached[r] = true
		}
	}
	for _, sa := range m.ServiceAccounts {
		sid := b.node(saNodeID(sa), AccessColumnServiceAccounts, NodeServiceAccount, sa.Namespace+"/"+sa.Name, saDetail(sa))
		rid := b.node("role:"+sa.RoleARN, AccessColumnRoles, NodeRole, b.short(sa.RoleARN), roleDetail(sa))
		if sa.TrustAllows {
			b.edge(sid, rid, EdgeTrust, "trust admits", false)
		} else {
			b.edge(sid, rid, EdgeTrust, "broken: "+orDefault(sa.TrustReason, "the trust does not admit it"), false).Broken = true
		}
		for _, c := range sa.Capabilities {
			if !slices.Contains(roleCaps[sa.RoleARN], c) {
				roleCaps[sa.RoleARN] = append(roleCaps[sa.RoleARN], c)
			}
		}
		if sa.AdminEquivalent && !slices.Contains(roleCaps[sa.RoleARN], iamtrust.CapabilityAdmin) {
			roleCaps[sa.RoleARN] = append(roleCaps[sa.RoleARN], iamtrust.CapabilityAdmin)
		}
	}
	dangerousRole := map[string]bool{}
	for role, caps := range roleCaps {
		for _, c := range caps {
			cid := b.capability(c)
			e := b.edge("role:"+role, cid, EdgeCapability, "", false)
			if reached[role] && slices.Contains(dangerousRoleClasses, c) {
				dangerousRole[role] = true
				e.Danger = true
				b.nodes[cid].Danger = true
			}
		}
		if dangerousRole[role] {
			b.nodes["role:"+role].Danger = true
		}
	}

	// Principals, their mapping, their Kubernetes capabilities and the
	// ServiceAccounts they can run pods as.
	for _, p := range m.Principals {
		pid := b.node("principal:"+p.ARN, AccessColumnPrincipals, NodePrincipal, b.short(p.ARN), principalDetail(p))
		sources := strings.Join(p.Sources, ", ")
		groups := map[string]string{}
		var user string
		if len(p.Groups) == 0 {
			user = b.node("user:"+p.Username, AccessColumnKubernetes, NodeUser, "user "+p.Username, "Kubernetes user "+p.Username)
			b.edge(pid, user, EdgeMapping, sources, false)
		}
		for _, g := range p.Groups {
			gid := b.node("group:"+g, AccessColumnKubernetes, NodeGroup, g, "Kubernetes group "+g)
			groups[g] = gid
			b.edge(pid, gid, EdgeMapping, sources, false)
		}
		// markVia marks the group a grant comes through, and its mapping.
		markVia := func(via string) {
			if g, ok := strings.CutPrefix(via, "group "); ok {
				if gid, ok := groups[g]; ok {
					b.nodes[gid].Danger = true
					b.edges[[3]string{pid, gid, EdgeMapping}].Danger = true
				}
			}
		}
		if p.ClusterAdmin {
			cid := b.capability(KubeClusterAdmin)
			b.nodes[cid].Danger = true
			b.nodes[pid].Danger = true
			b.edge(pid, cid, EdgeCapability, strings.Join(p.ClusterAdminVia, "; "), true)
			for _, via := range p.ClusterAdminVia {
				markVia(via)
			}
		} else {
			if len(p.Escalation) > 0 {
				b.edge(pid, b.capability(KubeEscalation), EdgeCapability, strings.Join(p.Escalation, "; "), false)
			}
			if len(p.SecretsReadNamespaces) > 0 {
				b.edge(pid, b.capability(KubeSecretsRead), EdgeCapability, namespacesText(p.SecretsReadNamespaces), false)
			}
		}
		for _, sa := range m.ServiceAccounts {
			if !slices.Contains(p.PodCreateNamespaces, sa.Namespace) && !slices.Contains(p.PodCreateNamespaces, "*") {
				continue
			}
			via := pathVia(p, sa)
			from := pid
			switch {
			case strings.HasPrefix(via, "group ") && groups[strings.TrimPrefix(via, "group ")] != "":
				from = groups[strings.TrimPrefix(via, "group ")]
			case user != "" && (strings.HasPrefix(via, "RoleBinding ") || strings.HasPrefix(via, "ClusterRoleBinding ")):
				from = user
			}
			danger := sa.TrustAllows && dangerousRole[sa.RoleARN] && slices.Contains(p.ReachableRoles, sa.RoleARN)
			b.edge(from, saNodeID(sa), EdgePodCreate, orDefault(via, "pod-create"), danger)
			if danger {
				b.nodes[pid].Danger = true
				b.nodes[saNodeID(sa)].Danger = true
				b.edges[[3]string{saNodeID(sa), "role:" + sa.RoleARN, EdgeTrust}].Danger = true
				if from == user {
					b.nodes[user].Danger = true
					b.edges[[3]string{pid, user, EdgeMapping}].Danger = true
				}
				markVia(via)
			}
		}
	}
	return b.graph()
}

// graphBuilder collects nodes and edges, merging duplicates.
type graphBuilder struct {
	nodes   map[string]*AccessNode
	edges   map[[3]string]*AccessEdge
	account string
}

// node adds a node once and returns its ID.
func (b *graphBuilder) node(id string, col AccessColumn, kind, label, detail string) string {
	if _, ok := b.nodes[id]; !ok {
		b.nodes[id] = &AccessNode{ID: id, Column: col, Label: label, Detail: detail, Kind: kind}
	}
	return id
}

func (b *graphBuilder) capability(class string) string {
	return b.node("capability:"+class, AccessColumnCapabilities, NodeCapability, class, capabilityDetail(class))
}

// edge adds an edge, or merges its label and danger into the one there.
func (b *graphBuilder) edge(from, to, kind, label string, danger bool) *AccessEdge {
	k := [3]string{from, to, kind}
	e, ok := b.edges[k]
	if !ok {
		e = &AccessEdge{From: from, To: to, Kind: kind, Label: label}
		b.edges[k] = e
	} else if label != "" && !slices.Contains(strings.Split(e.Label, "; "), label) {
		e.Label += "; " + label
	}
	e.Danger = e.Danger || danger
	return e
}

func (b *graphBuilder) graph() AccessGraph {
	g := AccessGraph{Nodes: []AccessNode{}, Edges: []AccessEdge{}}
	for _, n := range b.nodes {
		g.Nodes = append(g.Nodes, *n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool {
		if g.Nodes[i].Column != g.Nodes[j].Column {
			return g.Nodes[i].Column < g.Nodes[j].Column
		}
		return g.Nodes[i].ID < g.Nodes[j].ID
	})
	for _, e := range b.edges {
		g.Edges = append(g.Edges, *e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, c := g.Edges[i], g.Edges[j]
		if a.From != c.From {
			return a.From < c.From
		}
		if a.To != c.To {
			return a.To < c.To
		}
		return a.Kind < c.Kind
	})
	return g
}

// short shortens an ARN for a label: "role/NAME" in the map's account,
// "ACCOUNT:role/NAME" in another, "account ACCOUNT" for a root.
func (b *graphBuilder) short(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn
	}
	acct, res := parts[4], parts[5]
	switch {
	case res == "root":
		return "account " + acct
	case acct == b.account || acct == "":
		return res
	}
	return acct + ":" + res
}

func saNodeID(sa AccessServiceAccount) string { return "sa:" + sa.Namespace + "/" + sa.Name }

// pathVia is what lets the principal create pods in the ServiceAccount's
// namespace, as its path to the role says; empty when no path says it
// (the trust does not admit the ServiceAccount).
func pathVia(p AccessPrincipal, sa AccessServiceAccount) string {
	for _, path := range p.Paths {
		if path.Role != sa.RoleARN || !slices.Contains(path.Steps, "runs them as ServiceAccount "+sa.Namespace+"/"+sa.Name) {
			continue
		}
		for _, s := range path.Steps {
			rest, ok := strings.CutPrefix(s, "creates pods in namespace "+sa.Namespace+" (")
			if ok && strings.HasSuffix(rest, ")") {
				return strings.TrimSuffix(rest, ")")
			}
		}
	}
	return ""
}

func principalDetail(p AccessPrincipal) string {
	d := p.ARN + "\nKubernetes user " + p.Username + groupsText(p.Groups)
	if p.Type != "" {
		d += "\naccess entry type " + p.Type
	}
	return d
}

func saDetail(sa AccessServiceAccount) string {
	d := "ServiceAccount " + sa.Namespace + "/" + sa.Name + "\nrole " + sa.RoleARN
	if sa.FargateProfile != "" {
		d += "\nFargate profile " + sa.FargateProfile
	}
	return d
}

func roleDetail(sa AccessServiceAccount) string {
	d := sa.RoleARN
	if sa.Grants != "" {
		d += "\npolicies: " + sa.Grants
	}
	return d
}

func capabilityDetail(class string) string {
	switch class {
	case KubeClusterAdmin:
		return "every verb on every resource of the cluster (system:masters, a binding to an all-powerful role, or AmazonEKSClusterAdminPolicy)"
	case KubeEscalation:
		return "bind, escalate or impersonate, or writing RBAC bindings: a way to more Kubernetes permissions"
	case KubeSecretsRead:
		return "reading the Secrets of namespaces"
	case iamtrust.CapabilityAdmin:
		return "IAM: every action on every resource, or every IAM action"
	case iamtrust.CapabilityEscalation:
		return "IAM: a catalogued way to gain more permissions"
	case iamtrust.CapabilityData:
		return "IAM: broad access to data (every bucket, secret or table)"
	}
	return class
}

func namespacesText(ns []string) string {
	if slices.Contains(ns, "*") {
		return "all namespaces"
	}
	if len(ns) == 1 {
		return "namespace " + ns[0]
	}
	return "namespaces " + strings.Join(ns, ", ")
}
