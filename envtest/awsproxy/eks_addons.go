package awsproxy

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
)

// addon is an emulated EKS add-on.
type addon struct {
	name, arn, version string
	roleArn            string
	config             string
	resolve            string
	tags               map[string]string
	podIDs             []string // ARNs of the pod identity associations it owns
	created, modified  time.Time
	createFor          time.Duration
	updateUntil        time.Time
	deleting           bool
	deleteAt           time.Time
}

func (a *addon) status(now time.Time) string {
	switch {
	case a.deleting:
		return "DELETING"
	case now.Before(a.created.Add(a.createFor)):
		return "CREATING"
	case now.Before(a.updateUntil):
		return "UPDATING"
	}
	return "ACTIVE"
}

func (a *addon) gone(now time.Time) bool { return a.deleting && !now.Before(a.deleteAt) }

func (a *addon) render(c *cluster, cat *catalogAddon, now time.Time) map[string]any {
	tags := a.tags
	if tags == nil {
		tags = map[string]string{}
	}
	m := map[string]any{
		"addonName":    a.name,
		"clusterName":  c.name,
		"status":       a.status(now),
		"addonVersion": a.version,
		"health":       map[string]any{"issues": []any{}},
		"addonArn":     a.arn,
		"createdAt":    epoch(a.created),
		"modifiedAt":   epoch(a.modified),
		"tags":         tags,
		"publisher":    "eks",
		"owner":        "aws",
	}
	if cat != nil {
		m["publisher"], m["owner"] = cat.Publisher, cat.Owner
	}
	if a.roleArn != "" {
		m["serviceAccountRoleArn"] = a.roleArn
	}
	if a.config != "" {
		m["configurationValues"] = a.config
	}
	if len(a.podIDs) > 0 {
		m["podIdentityAssociations"] = a.podIDs
	}
	return m
}

type addonInput struct {
	AddonName               string            `json:"addonName"`
	AddonVersion            string            `json:"addonVersion"`
	ServiceAccountRoleArn   *string           `json:"serviceAccountRoleArn"`
	ResolveConflicts        string            `json:"resolveConflicts"`
	ConfigurationValues     *string           `json:"configurationValues"`
	Tags                    map[string]string `json:"tags"`
	PodIdentityAssociations []struct {
		ServiceAccount string `json:"serviceAccount"`
		RoleArn        string `json:"roleArn"`
	} `json:"podIdentityAssociations"`
}

var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)

// checkAddonInput validates the parts of CreateAddon and UpdateAddon that
// do not depend on existing state, and returns the version to install.
func (p *Proxy) checkAddonInput(req *addonInput, k8s, current string) (*catalogAddon, string, *apiError) {
	cat := p.catalog.addons[req.AddonName]
	if cat == nil {
		return nil, "", invalidParam("Addon %s specified is not supported in %s kubernetes version", req.AddonName, k8s)
	}
	version := req.AddonVersion
	switch {
	case version == "" && current != "":
		version = current
	case version == "":
		version = cat.defaultFor(k8s)
		if version == "" {
			return nil, "", invalidParam("Addon %s has no default version for Kubernetes %s; specify addonVersion", req.AddonName, k8s)
		}
	default:
		v := cat.version(version)
		if v == nil || !contains(v.ClusterVersions, k8s) {
			return nil, "", invalidParam("Addon version %s specified is not supported in %s kubernetes version", version, k8s)
		}
	}
	switch req.ResolveConflicts {
	case "", "OVERWRITE", "NONE", "PRESERVE":
	default:
		return nil, "", invalidParam("Invalid resolveConflicts %s; valid values are OVERWRITE, NONE, PRESERVE", req.ResolveConflicts)
	}
	if r := req.ServiceAccountRoleArn; r != nil && *r != "" && !roleARNPattern.MatchString(*r) {
		return nil, "", invalidParam("serviceAccountRoleArn %s is not a valid IAM role ARN", *r)
	}
	for _, pi := range req.PodIdentityAssociations {
		if pi.ServiceAccount == "" || !roleARNPattern.MatchString(pi.RoleArn) {
			return nil, "", invalidParam("podIdentityAssociations need a serviceAccount and an IAM role ARN")
		}
	}
	if cv := req.ConfigurationValues; cv != nil && strings.TrimSpace(*cv) != "" {
		var values map[string]json.RawMessage
		if err := json.Unmarshal([]byte(*cv), &values); err != nil {
			return nil, "", invalidParam("ConfigurationValue provided in request is not supported: Json schema validation failed with error: [$: the configuration values are not a valid JSON object: %v]", err)
		}
		if problem := cat.schema.check(values); problem != "" {
			return nil, "", invalidParam("ConfigurationValue provided in request is not supported: Json schema validation failed with error: [%s]", problem)
		}
	}
	return cat, version, nil
}

// k8sVersion is the Kubernetes version of a cluster, overlay first.
func (c *cluster) k8sVersion(cv *clusterView) string {
	if c.version != "" {
		return c.version
	}
	return cv.version
}

func (p *Proxy) createAddon(w *recorder, r *http.Request, in *request) {
	var req addonInput
	if err := json.Unmarshal(in.body, &req); err != nil || req.AddonName == "" {
		w.fail(in, invalidParam("addonName is required"))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	delays := p.Delays()
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.clusterLocked(cv)
	c.sweep(now)
	if e := clusterActive(c, now, true); e != nil {
		w.fail(in, e)
		return
	}
	if c.addons[req.AddonName] != nil {
		w.fail(in, inUse("Addon already exists.").withCluster(c.name))
		return
	}
	cat, version, e := p.checkAddonInput(&req, c.k8sVersion(cv), "")
	if e != nil {
		w.fail(in, e.withCluster(c.name))
		return
	}
	a := &addon{
		name: req.AddonName, version: version, resolve: req.ResolveConflicts,
		arn:     c.arnFor("addon/" + c.name + "/" + req.AddonName + "/" + newUUID()),
		tags:    req.Tags,
		created: now, modified: now, createFor: delays.AddonCreate,
	}
	if e := c.checkAddonPodIdentities(&req, cat, ""); e != nil {
		w.fail(in, e)
		return
	}
	c.setAddonPodIdentities(a, &req, cat, now)
	if req.ServiceAccountRoleArn != nil {
		a.roleArn = *req.ServiceAccountRoleArn
	}
	if req.ConfigurationValues != nil {
		a.config = *req.ConfigurationValues
	}
	c.addons[a.name] = a
	p.log.Debug("awsproxy: add-on created", zap.String("arn", a.arn), zap.String("version", version))
	w.json(map[string]any{"addon": a.render(c, cat, now)})
}

// addonLocked returns a live add-on or writes ResourceNotFoundException.
// The caller holds p.smu.
func (p *Proxy) addonLocked(w *recorder, in *request, cv *clusterView) (*cluster, *addon) {
	now := time.Now()
	c := p.clusterLocked(cv)
	c.sweep(now)
	a := c.addons[in.params["addon"]]
	if a == nil {
		w.fail(in, notFound("No addon: %s found in cluster: %s", in.params["addon"], c.name).withCluster(c.name))
		return nil, nil
	}
	return c, a
}

func (p *Proxy) describeAddon(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	if c, a := p.addonLocked(w, in, cv); a != nil {
		w.json(map[string]any{"addon": a.render(c, p.catalog.addons[a.name], time.Now())})
	}
}

func (p *Proxy) updateAddon(w *recorder, r *http.Request, in *request) {
	var req addonInput
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	req.AddonName = in.params["addon"]
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	delays := p.Delays()
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c, a := p.addonLocked(w, in, cv)
	if a == nil {
		return
	}
	if st := a.status(now); st != "ACTIVE" {
		w.fail(in, inUse("Addon %s cannot be updated while it is in %s status", a.name, st).withCluster(c.name))
		return
	}
	_, version, e := p.checkAddonInput(&req, c.k8sVersion(cv), a.version)
	if e != nil {
		w.fail(in, e.withCluster(c.name))
		return
	}
	var params []updateParam
	if req.AddonVersion != "" {
		params = append(params, updateParam{"AddonVersion", version})
		a.version = version
	}
	if req.ServiceAccountRoleArn != nil {
		params = append(params, updateParam{"ServiceAccountRoleArn", *req.ServiceAccountRoleArn})
		a.roleArn = *req.ServiceAccountRoleArn
	}
	if req.ResolveConflicts != "" {
		params = append(params, updateParam{"ResolveConflicts", req.ResolveConflicts})
		a.resolve = req.ResolveConflicts
	}
	if req.ConfigurationValues != nil {
		params = append(params, updateParam{"ConfigurationValues", *req.ConfigurationValues})
		a.config = *req.ConfigurationValues
	}
	if req.PodIdentityAssociations != nil {
		cat := p.catalog.addons[a.name]
		if e := c.checkAddonPodIdentities(&req, cat, a.arn); e != nil {
			w.fail(in, e)
			return
		}
		params = append(params, updateParam{"PodIdentityAssociations", jsonString(req.PodIdentityAssociations)})
		c.setAddonPodIdentities(a, &req, cat, now)
	}
	a.modified = now
	a.updateUntil = now.Add(delays.AddonUpdate)
	u := c.addUpdate("AddonUpdate", delays.AddonUpdate, a.name, params...)
	p.log.Debug("awsproxy: add-on updating", zap.String("arn", a.arn), zap.String("update", u.id))
	w.json(map[string]any{"update": u.render(now)})
}

func (p *Proxy) deleteAddon(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	delay := p.Delays().AddonDelete
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c, a := p.addonLocked(w, in, cv)
	if a == nil {
		return
	}
	if !a.deleting {
		a.deleting, a.deleteAt = true, now.Add(delay)
		c.dropOwnedPodIdentities(a.arn)
	}
	out := a.render(c, p.catalog.addons[a.name], now)
	c.sweep(now)
	w.json(map[string]any{"addon": out})
}

func (p *Proxy) listAddons(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	c := p.clusterLocked(cv)
	c.sweep(time.Now())
	names := make([]string, 0, len(c.addons))
	for n := range c.addons {
		names = append(names, n)
	}
	p.smu.Unlock()
	sort.Strings(names)
	writePage(w, in, r.URL.Query(), "addons", names)
}

func (p *Proxy) describeAddonVersions(w *recorder, r *http.Request, in *request) {
	q := r.URL.Query()
	k8s := q.Get("kubernetesVersion")
	name := q.Get("addonName")
	var out []map[string]any
	for _, n := range p.catalog.names {
		a := p.catalog.addons[n]
		switch {
		case name != "" && name != n:
			continue
		case len(q["types"]) > 0 && !contains(q["types"], a.Type):
			continue
		case len(q["publishers"]) > 0 && !contains(q["publishers"], a.Publisher):
			continue
		case len(q["owners"]) > 0 && !contains(q["owners"], a.Owner):
			continue
		}
		var versions []map[string]any
		for _, v := range a.Versions {
			if k8s != "" && !contains(v.ClusterVersions, k8s) {
				continue
			}
			var compat []map[string]any
			for _, cv := range v.ClusterVersions {
				compat = append(compat, map[string]any{
					"clusterVersion":   cv,
					"platformVersions": []string{"*"},
					"defaultVersion":   contains(v.DefaultFor, cv),
				})
			}
			versions = append(versions, map[string]any{
				"addonVersion":           v.Version,
				"architecture":           []string{"amd64", "arm64"},
				"computeTypes":           nonNil(a.ComputeTypes),
				"compatibilities":        nonNil(compat),
				"requiresConfiguration":  false,
				"requiresIamPermissions": a.RequiresIAMPermissions,
			})
		}
		if len(versions) == 0 {
			continue
		}
		out = append(out, map[string]any{
			"addonName":        a.Name,
			"type":             a.Type,
			"addonVersions":    versions,
			"publisher":        a.Publisher,
			"owner":            a.Owner,
			"defaultNamespace": a.DefaultNamespace,
		})
	}
	writePage(w, in, q, "addons", out)
}

func (p *Proxy) describeAddonConfiguration(w *recorder, r *http.Request, in *request) {
	q := r.URL.Query()
	name, version := q.Get("addonName"), q.Get("addonVersion")
	if name == "" || version == "" {
		w.fail(in, invalidParam("addonName and addonVersion are required"))
		return
	}
	a := p.catalog.addons[name]
	if a == nil || a.version(version) == nil {
		w.fail(in, invalidParam("Addon %s version %s is not supported", name, version))
		return
	}
	var pods []map[string]any
	sas := make([]string, 0, len(a.ServiceAccounts))
	for sa := range a.ServiceAccounts {
		sas = append(sas, sa)
	}
	sort.Strings(sas)
	for _, sa := range sas {
		pods = append(pods, map[string]any{"serviceAccount": sa, "recommendedManagedPolicies": nonNil(a.ServiceAccounts[sa])})
	}
	w.json(map[string]any{
		"addonName":                name,
		"addonVersion":             version,
		"configurationSchema":      a.ConfigurationSchema,
		"podIdentityConfiguration": nonNil(pods),
	})
}

// checkAddonPodIdentities refuses pod identity associations of an add-on
// that collide with associations owned by someone else.
func (c *cluster) checkAddonPodIdentities(req *addonInput, cat *catalogAddon, owner string) *apiError {
	for _, pi := range req.PodIdentityAssociations {
		for _, x := range c.pods {
			if x.namespace == cat.DefaultNamespace && x.serviceAccount == pi.ServiceAccount && (owner == "" || x.owner != owner) {
				return inUse("A pod identity association already exists for namespace %s and service account %s: %s", x.namespace, x.serviceAccount, x.id).withCluster(c.name)
			}
		}
	}
	return nil
}

// setAddonPodIdentities replaces the pod identity associations an add-on
// owns with those of req.
func (c *cluster) setAddonPodIdentities(a *addon, req *addonInput, cat *catalogAddon, now time.Time) {
	c.dropOwnedPodIdentities(a.arn)
	a.podIDs = nil
	for _, pi := range req.PodIdentityAssociations {
		x := c.newPodIdentity(cat.DefaultNamespace, pi.ServiceAccount, pi.RoleArn, now)
		x.owner = a.arn
		c.pods[x.id] = x
		a.podIDs = append(a.podIDs, x.arn)
	}
}

func (c *cluster) dropOwnedPodIdentities(owner string) {
	for id, x := range c.pods {
		if x.owner == owner {
			delete(c.pods, id)
		}
	}
}
