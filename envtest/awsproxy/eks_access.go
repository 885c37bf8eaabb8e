package awsproxy

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// clusterAdminPolicy is the access policy EKS associates with the cluster
// creator's access entry.
const clusterAdminPolicy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

// accessPolicies are the EKS access policies ListAccessPolicies returns and
// AssociateAccessPolicy accepts.
func accessPolicies() []string {
	return []string{
		"AmazonEKSAdminPolicy",
		"AmazonEKSAdminViewPolicy",
		"AmazonEKSAutoNodePolicy",
		"AmazonEKSBlockStoragePolicy",
		"AmazonEKSClusterAdminPolicy",
		"AmazonEKSComputePolicy",
		"AmazonEKSEditPolicy",
		"AmazonEKSHybridPolicy",
		"AmazonEKSLoadBalancingPolicy",
		"AmazonEKSNetworkingPolicy",
		"AmazonEKSViewPolicy",
	}
}

func accessPolicyARN(name string) string { return "arn:aws:eks::aws:cluster-access-policy/" + name }

func knownAccessPolicy(arn string) bool {
	for _, n := range accessPolicies() {
		if accessPolicyARN(n) == arn {
			return true
		}
	}
	return false
}

// accessEntryTypes are the valid access entry types; only STANDARD entries
// take a username, Kubernetes groups and access policies.
func accessEntryTypes() []string {
	return []string{"STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX"}
}

var principalPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(.+)$`)

type accessEntry struct {
	principal, arn, typ, username string
	groups                        []string
	tags                          map[string]string
	created, modified             time.Time
	policies                      map[string]*association
}

type accessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

type association struct {
	arn                  string
	scope                accessScope
	associated, modified time.Time
}

func (a *association) render() map[string]any {
	scope := a.scope
	scope.Namespaces = nonNil(scope.Namespaces)
	return map[string]any{
		"policyArn":    a.arn,
		"accessScope":  scope,
		"associatedAt": epoch(a.associated),
		"modifiedAt":   epoch(a.modified),
	}
}

// newAccessEntry builds an access entry with EKS's default username.
func (c *cluster) newAccessEntry(principal, typ, username string, groups []string, tags map[string]string, now time.Time) *accessEntry {
	m := principalPattern.FindStringSubmatch(principal)
	kind, name, account := "role", principal, c.account
	if m != nil {
		account, kind, name = m[1], m[2], m[3]
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
	}
	if username == "" {
		switch {
		case typ == "FARGATE_LINUX":
			username = "system:node:{{SessionName}}"
		case typ != "STANDARD":
			username = "system:node:{{EC2PrivateDNSName}}"
		case kind == "role":
			username = "arn:" + c.partition + ":sts::" + account + ":assumed-role/" + name + "/{{SessionName}}"
		default:
			username = principal
		}
	}
	return &accessEntry{
		principal: principal,
		arn:       c.arnFor("access-entry/" + c.name + "/" + kind + "/" + account + "/" + name + "/" + newUUID()),
		typ:       typ,
		username:  username,
		groups:    groups,
		tags:      tags,
		created:   now,
		modified:  now,
		policies:  map[string]*association{},
	}
}

func (e *accessEntry) render(c *cluster) map[string]any {
	tags := e.tags
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{
		"clusterName":      c.name,
		"principalArn":     e.principal,
		"kubernetesGroups": nonNil(e.groups),
		"accessEntryArn":   e.arn,
		"createdAt":        epoch(e.created),
		"modifiedAt":       epoch(e.modified),
		"tags":             tags,
		"username":         e.username,
		"type":             e.typ,
	}
}

// accessLocked returns the cluster's overlay if its authentication mode
// allows access entries, or writes InvalidRequestException. The caller holds
// p.smu.
func (p *Proxy) accessLocked(w *recorder, in *request, cv *clusterView) *cluster {
	c := p.clusterLocked(cv)
	if c.authMode != "API" && c.authMode != "API_AND_CONFIG_MAP" {
		w.fail(in, invalidRequest("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.").withCluster(c.name))
		return nil
	}
	return c
}

// entryLocked returns an existing access entry or writes
// ResourceNotFoundException. The caller holds p.smu.
func (p *Proxy) entryLocked(w *recorder, in *request, cv *clusterView) (*cluster, *accessEntry) {
	c := p.accessLocked(w, in, cv)
	if c == nil {
		return nil, nil
	}
	e := c.entries[in.params["principal"]]
	if e == nil {
		w.fail(in, notFound("The specified access entry resource for principal %s is not found in cluster %s.", in.params["principal"], c.name).withCluster(c.name))
		return nil, nil
	}
	return c, e
}

func checkGroups(typ, username string, groups []string) *apiError {
	if typ != "STANDARD" && (username != "" || len(groups) > 0) {
		return invalidParam("username and kubernetesGroups are not allowed for access entries of type %s", typ)
	}
	for _, g := range groups {
		if strings.HasPrefix(g, "system:") {
			return invalidParam("kubernetesGroups must not start with system: (got %s)", g)
		}
	}
	return nil
}

func (p *Proxy) createAccessEntry(w *recorder, r *http.Request, in *request) {
	var req struct {
		PrincipalArn     string            `json:"principalArn"`
		KubernetesGroups []string          `json:"kubernetesGroups"`
		Username         string            `json:"username"`
		Type             string            `json:"type"`
		Tags             map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	if req.Type == "" {
		req.Type = "STANDARD"
	}
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.accessLocked(w, in, cv)
	if c == nil {
		return
	}
	var e *apiError
	switch {
	case !principalPattern.MatchString(req.PrincipalArn):
		e = invalidParam("The specified principalArn is invalid: %q is not the ARN of an IAM role or user", req.PrincipalArn)
	case !contains(accessEntryTypes(), req.Type):
		e = invalidParam("The specified type %s is invalid; valid types are %v", req.Type, accessEntryTypes())
	default:
		e = checkGroups(req.Type, req.Username, req.KubernetesGroups)
	}
	if e == nil && c.entries[req.PrincipalArn] != nil {
		e = inUse("The specified access entry resource is already in use on this cluster.")
	}
	if e != nil {
		w.fail(in, e.withCluster(c.name))
		return
	}
	entry := c.newAccessEntry(req.PrincipalArn, req.Type, req.Username, req.KubernetesGroups, req.Tags, now)
	c.entries[entry.principal] = entry
	w.json(map[string]any{"accessEntry": entry.render(c)})
}

func (p *Proxy) describeAccessEntry(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	if c, e := p.entryLocked(w, in, cv); e != nil {
		w.json(map[string]any{"accessEntry": e.render(c)})
	}
}

func (p *Proxy) updateAccessEntry(w *recorder, r *http.Request, in *request) {
	var req struct {
		KubernetesGroups []string `json:"kubernetesGroups"`
		Username         *string  `json:"username"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	c, e := p.entryLocked(w, in, cv)
	if e == nil {
		return
	}
	username := ""
	if req.Username != nil {
		username = *req.Username
	}
	if err := checkGroups(e.typ, username, req.KubernetesGroups); err != nil {
		w.fail(in, err.withCluster(c.name))
		return
	}
	if req.KubernetesGroups != nil {
		e.groups = req.KubernetesGroups
	}
	if username != "" {
		e.username = username
	}
	e.modified = time.Now()
	w.json(map[string]any{"accessEntry": e.render(c)})
}

func (p *Proxy) deleteAccessEntry(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	if c, e := p.entryLocked(w, in, cv); e != nil {
		delete(c.entries, e.principal)
		w.json(map[string]any{})
	}
}

func (p *Proxy) listAccessEntries(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	q := r.URL.Query()
	policy := q.Get("associatedPolicyArn")
	p.smu.Lock()
	c := p.accessLocked(w, in, cv)
	if c == nil {
		p.smu.Unlock()
		return
	}
	var principals []string
	for k, e := range c.entries {
		if policy == "" || e.policies[policy] != nil {
			principals = append(principals, k)
		}
	}
	p.smu.Unlock()
	sort.Strings(principals)
	writePage(w, in, q, "accessEntries", principals)
}

func (p *Proxy) associateAccessPolicy(w *recorder, r *http.Request, in *request) {
	var req struct {
		PolicyArn   string       `json:"policyArn"`
		AccessScope *accessScope `json:"accessScope"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c, e := p.entryLocked(w, in, cv)
	if e == nil {
		return
	}
	var bad *apiError
	switch {
	case e.typ != "STANDARD":
		bad = invalidParam("Access policies can only be associated with access entries of type STANDARD; %s is %s", e.principal, e.typ)
	case !knownAccessPolicy(req.PolicyArn):
		bad = invalidParam("The specified policyArn %s is not a valid access policy", req.PolicyArn)
	case req.AccessScope == nil:
		bad = invalidParam("accessScope is required")
	case req.AccessScope.Type == "cluster" && len(req.AccessScope.Namespaces) > 0:
		bad = invalidParam("namespaces must be empty for an access scope of type cluster")
	case req.AccessScope.Type == "namespace" && len(req.AccessScope.Namespaces) == 0:
		bad = invalidParam("namespaces must not be empty for an access scope of type namespace")
	case req.AccessScope.Type != "cluster" && req.AccessScope.Type != "namespace":
		bad = invalidParam("Invalid access scope type %q; valid types are cluster and namespace", req.AccessScope.Type)
	}
	if bad != nil {
		w.fail(in, bad.withCluster(c.name))
		return
	}
	a := e.policies[req.PolicyArn]
	if a == nil {
		a = &association{arn: req.PolicyArn, associated: now}
		e.policies[req.PolicyArn] = a
	}
	a.scope, a.modified = *req.AccessScope, now
	w.json(map[string]any{"clusterName": c.name, "principalArn": e.principal, "associatedAccessPolicy": a.render()})
}

func (p *Proxy) disassociateAccessPolicy(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	c, e := p.entryLocked(w, in, cv)
	if e == nil {
		return
	}
	policy := in.params["policy"]
	if e.policies[policy] == nil {
		w.fail(in, notFound("The access policy %s is not associated with %s", policy, e.principal).withCluster(c.name))
		return
	}
	delete(e.policies, policy)
	w.json(map[string]any{})
}

func (p *Proxy) listAssociatedAccessPolicies(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	c, e := p.entryLocked(w, in, cv)
	if e == nil {
		p.smu.Unlock()
		return
	}
	arns := make([]string, 0, len(e.policies))
	for k := range e.policies {
		arns = append(arns, k)
	}
	sort.Strings(arns)
	out := make([]map[string]any, len(arns))
	for i, k := range arns {
		out[i] = e.policies[k].render()
	}
	clusterName, principal := c.name, e.principal
	p.smu.Unlock()
	page, next, bad := paginate(out, r.URL.Query())
	if bad != nil {
		w.fail(in, bad)
		return
	}
	w.json(withNext(map[string]any{"clusterName": clusterName, "principalArn": principal, "associatedAccessPolicies": nonNil(page)}, next))
}

func (p *Proxy) listAccessPolicies(w *recorder, r *http.Request, in *request) {
	var out []map[string]any
	for _, n := range accessPolicies() {
		out = append(out, map[string]any{"name": n, "arn": accessPolicyARN(n)})
	}
	writePage(w, in, r.URL.Query(), "accessPolicies", out)
}

// podIdentity is an emulated EKS Pod Identity association.
type podIdentity struct {
	id, arn, namespace, serviceAccount, roleArn string
	targetRoleArn                               string
	disableSessionTags                          *bool
	owner                                       string // ARN of the add-on that owns it
	tags                                        map[string]string
	created, modified                           time.Time
}

func (c *cluster) newPodIdentity(namespace, serviceAccount, roleArn string, now time.Time) *podIdentity {
	id := "a-" + randomID(17)
	return &podIdentity{
		id: id, arn: c.arnFor("podidentityassociation/" + c.name + "/" + id),
		namespace: namespace, serviceAccount: serviceAccount, roleArn: roleArn,
		created: now, modified: now,
	}
}

func (x *podIdentity) render(c *cluster) map[string]any {
	tags := x.tags
	if tags == nil {
		tags = map[string]string{}
	}
	m := map[string]any{
		"clusterName":    c.name,
		"namespace":      x.namespace,
		"serviceAccount": x.serviceAccount,
		"roleArn":        x.roleArn,
		"associationArn": x.arn,
		"associationId":  x.id,
		"tags":           tags,
		"createdAt":      epoch(x.created),
		"modifiedAt":     epoch(x.modified),
	}
	if x.owner != "" {
		m["ownerArn"] = x.owner
	}
	if x.disableSessionTags != nil {
		m["disableSessionTags"] = *x.disableSessionTags
	}
	if x.targetRoleArn != "" {
		m["targetRoleArn"] = x.targetRoleArn
		m["externalId"] = x.id
	}
	return m
}

func (x *podIdentity) summary(c *cluster) map[string]any {
	m := map[string]any{
		"clusterName":    c.name,
		"namespace":      x.namespace,
		"serviceAccount": x.serviceAccount,
		"associationArn": x.arn,
		"associationId":  x.id,
	}
	if x.owner != "" {
		m["ownerArn"] = x.owner
	}
	return m
}

// podIdentityLocked returns an existing association or writes
// ResourceNotFoundException. The caller holds p.smu.
func (p *Proxy) podIdentityLocked(w *recorder, in *request, cv *clusterView) (*cluster, *podIdentity) {
	c := p.clusterLocked(cv)
	x := c.pods[in.params["association"]]
	if x == nil {
		w.fail(in, notFound("No association found for ID: %s", in.params["association"]).withCluster(c.name))
		return nil, nil
	}
	return c, x
}

func (p *Proxy) createPodIdentityAssociation(w *recorder, r *http.Request, in *request) {
	var req struct {
		Namespace          string            `json:"namespace"`
		ServiceAccount     string            `json:"serviceAccount"`
		RoleArn            string            `json:"roleArn"`
		TargetRoleArn      string            `json:"targetRoleArn"`
		DisableSessionTags *bool             `json:"disableSessionTags"`
		Tags               map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.clusterLocked(cv)
	switch {
	case req.Namespace == "" || req.ServiceAccount == "":
		w.fail(in, invalidParam("namespace and serviceAccount are required").withCluster(c.name))
		return
	case !roleARNPattern.MatchString(req.RoleArn):
		w.fail(in, invalidParam("roleArn %q is not a valid IAM role ARN", req.RoleArn).withCluster(c.name))
		return
	case req.TargetRoleArn != "" && !roleARNPattern.MatchString(req.TargetRoleArn):
		w.fail(in, invalidParam("targetRoleArn %q is not a valid IAM role ARN", req.TargetRoleArn).withCluster(c.name))
		return
	}
	for _, x := range c.pods {
		if x.namespace == req.Namespace && x.serviceAccount == req.ServiceAccount {
			w.fail(in, inUse("Association already exists: %s", x.id).withCluster(c.name))
			return
		}
	}
	x := c.newPodIdentity(req.Namespace, req.ServiceAccount, req.RoleArn, now)
	x.targetRoleArn, x.disableSessionTags, x.tags = req.TargetRoleArn, req.DisableSessionTags, req.Tags
	c.pods[x.id] = x
	w.json(map[string]any{"association": x.render(c)})
}

func (p *Proxy) describePodIdentityAssociation(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	if c, x := p.podIdentityLocked(w, in, cv); x != nil {
		w.json(map[string]any{"association": x.render(c)})
	}
}

func (p *Proxy) updatePodIdentityAssociation(w *recorder, r *http.Request, in *request) {
	var req struct {
		RoleArn            *string `json:"roleArn"`
		TargetRoleArn      *string `json:"targetRoleArn"`
		DisableSessionTags *bool   `json:"disableSessionTags"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	c, x := p.podIdentityLocked(w, in, cv)
	if x == nil {
		return
	}
	if req.RoleArn != nil {
		if !roleARNPattern.MatchString(*req.RoleArn) {
			w.fail(in, invalidParam("roleArn %q is not a valid IAM role ARN", *req.RoleArn).withCluster(c.name))
			return
		}
		x.roleArn = *req.RoleArn
	}
	if req.TargetRoleArn != nil {
		x.targetRoleArn = *req.TargetRoleArn
	}
	if req.DisableSessionTags != nil {
		x.disableSessionTags = req.DisableSessionTags
	}
	x.modified = time.Now()
	w.json(map[string]any{"association": x.render(c)})
}

func (p *Proxy) deletePodIdentityAssociation(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	c, x := p.podIdentityLocked(w, in, cv)
	if x == nil {
		return
	}
	if x.owner != "" {
		w.fail(in, invalidRequest("Association %s is owned by %s; change it through the add-on", x.id, x.owner).withCluster(c.name))
		return
	}
	delete(c.pods, x.id)
	w.json(map[string]any{"association": x.render(c)})
}

func (p *Proxy) listPodIdentityAssociations(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	q := r.URL.Query()
	ns, sa := q.Get("namespace"), q.Get("serviceAccount")
	p.smu.Lock()
	c := p.clusterLocked(cv)
	var list []*podIdentity
	for _, x := range c.pods {
		if (ns == "" || x.namespace == ns) && (sa == "" || x.serviceAccount == sa) {
			list = append(list, x)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		if a.serviceAccount != b.serviceAccount {
			return a.serviceAccount < b.serviceAccount
		}
		return a.id < b.id
	})
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i] = x.summary(c)
	}
	p.smu.Unlock()
	writePage(w, in, q, "associations", out)
}
