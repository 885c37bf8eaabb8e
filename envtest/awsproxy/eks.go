package awsproxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"go.uber.org/zap"
)

// serveEKS answers EKS requests: emulated operations from the proxy's state,
// the others through moto with rules and overlays applied.
func (p *Proxy) serveEKS(w *recorder, r *http.Request, in *request) {
	switch in.operation {
	case "CreateCluster":
		p.createCluster(w, r, in)
	case "DescribeCluster":
		p.describeCluster(w, r, in)
	case "DeleteCluster":
		p.deleteCluster(w, r, in)
	case "UpdateClusterConfig":
		p.updateClusterConfig(w, r, in)
	case "UpdateClusterVersion":
		p.updateClusterVersion(w, r, in)
	case "AssociateEncryptionConfig":
		p.associateEncryptionConfig(w, r, in)
	case "DescribeUpdate":
		p.describeUpdate(w, r, in)
	case "ListUpdates":
		p.listUpdates(w, r, in)
	case "DescribeClusterVersions":
		p.describeClusterVersions(w, r, in)
	case "CreateFargateProfile":
		p.createFargateProfile(w, r, in)
	case "DescribeFargateProfile":
		p.describeFargateProfile(w, r, in)
	case "DeleteFargateProfile":
		p.deleteFargateProfile(w, r, in)
	case "ListFargateProfiles", "ListNodegroups":
		p.listInCluster(w, r, in)
	case "CreateNodegroup":
		p.createNodegroup(w, r, in)
	case "CreateAddon":
		p.createAddon(w, r, in)
	case "DescribeAddon":
		p.describeAddon(w, r, in)
	case "UpdateAddon":
		p.updateAddon(w, r, in)
	case "DeleteAddon":
		p.deleteAddon(w, r, in)
	case "ListAddons":
		p.listAddons(w, r, in)
	case "DescribeAddonVersions":
		p.describeAddonVersions(w, r, in)
	case "DescribeAddonConfiguration":
		p.describeAddonConfiguration(w, r, in)
	case "CreateAccessEntry":
		p.createAccessEntry(w, r, in)
	case "DescribeAccessEntry":
		p.describeAccessEntry(w, r, in)
	case "UpdateAccessEntry":
		p.updateAccessEntry(w, r, in)
	case "DeleteAccessEntry":
		p.deleteAccessEntry(w, r, in)
	case "ListAccessEntries":
		p.listAccessEntries(w, r, in)
	case "AssociateAccessPolicy":
		p.associateAccessPolicy(w, r, in)
	case "DisassociateAccessPolicy":
		p.disassociateAccessPolicy(w, r, in)
	case "ListAssociatedAccessPolicies":
		p.listAssociatedAccessPolicies(w, r, in)
	case "ListAccessPolicies":
		p.listAccessPolicies(w, r, in)
	case "CreatePodIdentityAssociation":
		p.createPodIdentityAssociation(w, r, in)
	case "DescribePodIdentityAssociation":
		p.describePodIdentityAssociation(w, r, in)
	case "UpdatePodIdentityAssociation":
		p.updatePodIdentityAssociation(w, r, in)
	case "DeletePodIdentityAssociation":
		p.deletePodIdentityAssociation(w, r, in)
	case "ListPodIdentityAssociations":
		p.listPodIdentityAssociations(w, r, in)
	case "ListTagsForResource", "TagResource", "UntagResource":
		if !p.serveTags(w, r, in) {
			p.pass(w, r, in)
		}
	default:
		p.pass(w, r, in)
	}
}

// clusterView is moto's answer to DescribeCluster.
type clusterView struct {
	obj     map[string]any // the "cluster" member
	arn     string
	name    string
	version string
}

// lookupCluster asks moto for a cluster. If moto has no such cluster (or
// fails), it writes the answer to w and returns nil.
func (p *Proxy) lookupCluster(w *recorder, r *http.Request, in *request) *clusterView {
	name := in.params["cluster"]
	resp, err := p.call(r.Context(), in, r, "eks", http.MethodGet, "/clusters/"+url.PathEscape(name), nil, nil)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return nil
	}
	if resp.status != http.StatusOK {
		resp.write(w)
		return nil
	}
	_, obj, err := decodeMember(resp.body, "cluster")
	if err != nil {
		p.upstreamFailed(w, in, err)
		return nil
	}
	return &clusterView{obj: obj, arn: str(obj["arn"]), name: str(obj["name"]), version: str(obj["version"])}
}

// clusterLocked returns the overlay of a moto cluster, creating it for
// clusters the proxy has not seen created. The caller holds p.smu.
func (p *Proxy) clusterLocked(cv *clusterView) *cluster {
	c := p.st.clusters[cv.arn]
	if c == nil {
		c = newCluster(cv.arn)
		p.st.clusters[cv.arn] = c
	}
	return c
}

// overlayCluster writes the fields moto lacks, and the configuration moto
// does not keep, into a cluster object.
func (p *Proxy) overlayCluster(obj map[string]any, c *cluster, now time.Time) {
	obj["status"] = c.status(now)
	obj["accessConfig"] = map[string]any{
		"authenticationMode":                      c.authMode,
		"bootstrapClusterCreatorAdminPermissions": c.bootstrap,
	}
	obj["deletionProtection"] = c.deletionProtection
	if c.version != "" {
		obj["version"] = c.version
	}
	if c.platformVersion != "" {
		obj["platformVersion"] = c.platformVersion
	}
	if c.encryption != nil {
		obj["encryptionConfig"] = c.encryption
	}
	vpc := maps.Clone(c.vpcConfig)
	if vpc == nil {
		vpc, _ = obj["resourcesVpcConfig"].(map[string]any)
		if vpc == nil {
			vpc = map[string]any{}
		}
	}
	setDefault(vpc, "endpointPublicAccess", true)
	setDefault(vpc, "endpointPrivateAccess", false)
	if vpc["endpointPublicAccess"] == true {
		setDefault(vpc, "publicAccessCidrs", []string{"0.0.0.0/0"})
	}
	setDefault(vpc, "securityGroupIds", []string{})
	if c.vpcID != "" {
		setDefault(vpc, "vpcId", c.vpcID)
	}
	obj["resourcesVpcConfig"] = vpc
	if c.logging != nil {
		obj["logging"] = c.logging
	}
	knc := maps.Clone(c.k8sNetwork)
	if knc == nil {
		knc, _ = obj["kubernetesNetworkConfig"].(map[string]any)
		if knc == nil {
			knc = map[string]any{}
		}
	}
	setDefault(knc, "ipFamily", "ipv4")
	obj["kubernetesNetworkConfig"] = knc
	obj["upgradePolicy"] = map[string]any{"supportType": "EXTENDED"}
	if c.issuer == "" {
		// A cluster the proxy has not seen created: moto's creation time
		// stands for the proxy's.
		c.issuer = issuerURL(c.arn, c.region, fmt.Sprint(obj["createdAt"]))
	}
	identity := mapOf(obj["identity"])
	oidc := mapOf(identity["oidc"])
	oidc["issuer"] = c.issuer
	identity["oidc"] = oidc
	obj["identity"] = identity
	for k, v := range c.fields {
		obj[k] = v
	}
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		m[key] = v
	}
}

// configKeys are the cluster configuration members that moto ignores and
// the proxy keeps, as given in CreateCluster or UpdateClusterConfig.
func configKeys() []string {
	return []string{
		"upgradePolicy", "zonalShiftConfig", "computeConfig", "storageConfig", "remoteNetworkConfig",
		"controlPlaneScalingConfig", "kubeApiServerConfig", "kubeSchedulerConfig", "kubeControllerManagerConfig",
	}
}

// rawObject decodes a JSON object keeping numbers as they are.
func rawObject(body []byte) map[string]any {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	_ = dec.Decode(&m)
	return m
}

// clusterActive refuses work on a cluster that is not ACTIVE (or UPDATING,
// if allowUpdating).
func clusterActive(c *cluster, now time.Time, allowUpdating bool) *apiError {
	st := c.status(now)
	if st == "ACTIVE" || (allowUpdating && st == "UPDATING") {
		return nil
	}
	return invalidRequest("Cluster '%s' is not in ACTIVE status", c.name).withCluster(c.name)
}

type createClusterInput struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	RoleArn      string `json:"roleArn"`
	AccessConfig *struct {
		AuthenticationMode string `json:"authenticationMode"`
		Bootstrap          *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
	} `json:"accessConfig"`
	DeletionProtection *bool `json:"deletionProtection"`
	ResourcesVpcConfig struct {
		SubnetIDs []string `json:"subnetIds"`
	} `json:"resourcesVpcConfig"`
	KubernetesNetworkConfig struct {
		ServiceIPv4CIDR string `json:"serviceIpv4Cidr"`
	} `json:"kubernetesNetworkConfig"`
}

func (p *Proxy) createCluster(w *recorder, r *http.Request, in *request) {
	var req createClusterInput
	if json.Unmarshal(in.body, &req) != nil {
		p.pass(w, r, in) // moto reports the malformed request
		return
	}
	version := req.Version
	if version == "" {
		version = p.catalog.defaultVersion()
	} else if e := p.catalog.checkVersion(version); e != nil {
		w.fail(in, e.withCluster(req.Name))
		return
	}
	mode, bootstrap := "CONFIG_MAP", true
	if ac := req.AccessConfig; ac != nil {
		if ac.AuthenticationMode != "" {
			mode = ac.AuthenticationMode
		}
		if ac.Bootstrap != nil {
			bootstrap = *ac.Bootstrap
		}
	}
	if !validAuthMode(mode) {
		w.fail(in, invalidParam("Unsupported authentication mode %s; valid values are %v", mode, ekstypes.AuthenticationMode("").Values()).withCluster(req.Name))
		return
	}
	if mode == "CONFIG_MAP" && !bootstrap {
		w.fail(in, invalidParam("bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP").withCluster(req.Name))
		return
	}
	delays := p.Delays()
	if e := p.roleNotAssumable(req.RoleArn, delays); e != nil {
		w.fail(in, e.withCluster(req.Name))
		return
	}
	vpcID, vpcCIDRs := p.clusterVPC(r, in, req.ResourcesVpcConfig.SubnetIDs)
	if cidr := req.KubernetesNetworkConfig.ServiceIPv4CIDR; cidr != "" {
		if e := checkServiceCIDR(cidr, vpcCIDRs); e != nil {
			w.fail(in, e.withCluster(req.Name))
			return
		}
	}
	resp, top, obj, ok := p.forwardMember(w, r, in, "cluster")
	if !ok {
		return
	}
	arn := str(obj["arn"])
	var creator string
	if bootstrap && mode != "CONFIG_MAP" {
		creator = p.callerPrincipal(r, in)
	}
	now := time.Now()
	p.smu.Lock()
	p.st.forgetCluster(arn) // a cluster of the same name may have existed
	c := newCluster(arn)
	c.created, c.createFor = now, delays.ClusterCreate
	c.issuer = issuerURL(arn, c.region, now.UTC().Format(time.RFC3339Nano))
	c.authMode, c.bootstrap = mode, bootstrap
	c.version = version
	if v := p.catalog.version(version); v != nil {
		c.platformVersion = v.platformVersion()
	}
	c.deletionProtection = req.DeletionProtection != nil && *req.DeletionProtection
	c.vpcID = vpcID
	raw := rawObject(in.body)
	for _, k := range configKeys() {
		if v, ok := raw[k]; ok && k != "remoteNetworkConfig" { // moto keeps remoteNetworkConfig
			c.fields[k] = v
		}
	}
	if creator != "" {
		e := c.newAccessEntry(creator, "STANDARD", "", nil, nil, now)
		e.policies[clusterAdminPolicy] = &association{arn: clusterAdminPolicy, scope: accessScope{Type: "cluster"}, associated: now, modified: now}
		c.entries[creator] = e
	}
	p.st.clusters[arn] = c
	p.overlayCluster(obj, c, now)
	p.smu.Unlock()
	p.log.Debug("awsproxy: cluster created", zap.String("arn", arn), zap.String("status", str(obj["status"])), zap.String("authenticationMode", mode))
	resp.writeBody(w, mustJSON(top))
}

func (p *Proxy) describeCluster(w *recorder, r *http.Request, in *request) {
	p.fireOverdueDeletes(in.region, in.params["cluster"], "")
	resp, top, obj, ok := p.forwardMember(w, r, in, "cluster")
	if !ok {
		return
	}
	p.smu.Lock()
	c := p.clusterLocked(&clusterView{arn: str(obj["arn"])})
	p.overlayCluster(obj, c, time.Now())
	p.smu.Unlock()
	resp.writeBody(w, mustJSON(top))
}

// fireOverdueDeletes forwards delayed deletes that are due, for the named
// cluster (and profile, if profileName is not empty), so that moto's answer
// is current.
func (p *Proxy) fireOverdueDeletes(region, clusterName, profileName string) {
	now := time.Now()
	var due []*pending
	p.smu.Lock()
	for _, c := range p.st.clusters {
		if c.name == clusterName && (region == "" || c.region == region) && c.deleting != nil && c.deleting.overdue(now) {
			due = append(due, c.deleting)
		}
	}
	if profileName != "" {
		for _, f := range p.st.profiles {
			if f.name == profileName && f.deleting != nil && f.deleting.overdue(now) {
				if c := p.st.clusters[f.clusterARN]; c != nil && c.name == clusterName && (region == "" || c.region == region) {
					due = append(due, f.deleting)
				}
			}
		}
	}
	p.smu.Unlock()
	for _, d := range due {
		d.fire()
	}
}

func (p *Proxy) deleteCluster(w *recorder, r *http.Request, in *request) {
	p.fireOverdueDeletes(in.region, in.params["cluster"], "")
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	now := time.Now()
	p.smu.Lock()
	c := p.clusterLocked(cv)
	protected, deleting := c.deletionProtection, c.deleting != nil
	if deleting {
		p.overlayCluster(cv.obj, c, now)
	}
	p.smu.Unlock()
	if protected {
		w.fail(in, invalidRequest("Cluster %s cannot be deleted because deletion protection is enabled; disable it with UpdateClusterConfig first", cv.name).withCluster(cv.name))
		return
	}
	if deleting {
		w.json(map[string]any{"cluster": cv.obj})
		return
	}
	for _, sub := range []struct{ path, member, msg string }{
		{"fargate-profiles", "fargateProfileNames", "Cluster has fargate profiles attached"},
		{"node-groups", "nodegroups", "Cluster has nodegroups attached"},
	} {
		resp, err := p.call(r.Context(), in, r, "eks", http.MethodGet, "/clusters/"+url.PathEscape(cv.name)+"/"+sub.path, nil, nil)
		if err != nil {
			p.upstreamFailed(w, in, err)
			return
		}
		var list map[string]json.RawMessage
		var names []string
		if resp.status == http.StatusOK && json.Unmarshal(resp.body, &list) == nil && json.Unmarshal(list[sub.member], &names) == nil && len(names) > 0 {
			w.fail(in, inUse("%s", sub.msg).withCluster(cv.name))
			return
		}
	}
	delay := p.Delays().ClusterDelete
	if delay == 0 {
		resp, top, obj, ok := p.forwardMember(w, r, in, "cluster")
		if !ok {
			return
		}
		p.smu.Lock()
		p.st.forgetCluster(cv.arn)
		p.smu.Unlock()
		obj["status"] = "DELETING"
		resp.writeBody(w, mustJSON(top))
		return
	}
	detached := r.Clone(context.Background())
	body := in.body
	arn := cv.arn
	p.smu.Lock()
	c = p.clusterLocked(cv)
	if c.deleting == nil {
		c.deleting = p.scheduleLocked(delay, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := p.forward(ctx, detached, body)
			p.smu.Lock()
			defer p.smu.Unlock()
			if err == nil && (resp.status == http.StatusOK || resp.status == http.StatusNotFound) {
				p.st.forgetCluster(arn)
				return
			}
			p.log.Warn("awsproxy: delayed DeleteCluster failed; the cluster stays", zap.String("arn", arn), zap.Error(err))
			if c := p.st.clusters[arn]; c != nil {
				c.deleting = nil
			}
		})
	}
	p.overlayCluster(cv.obj, c, now)
	p.smu.Unlock()
	p.log.Debug("awsproxy: cluster deleting", zap.String("arn", arn), zap.Duration("delay", delay))
	w.json(map[string]any{"cluster": cv.obj})
}

type updateClusterConfigInput struct {
	ResourcesVpcConfig map[string]any `json:"resourcesVpcConfig"`
	Logging            map[string]any `json:"logging"`
	AccessConfig       *struct {
		AuthenticationMode string `json:"authenticationMode"`
	} `json:"accessConfig"`
	UpgradePolicy               map[string]any `json:"upgradePolicy"`
	ZonalShiftConfig            map[string]any `json:"zonalShiftConfig"`
	ComputeConfig               map[string]any `json:"computeConfig"`
	KubernetesNetworkConfig     map[string]any `json:"kubernetesNetworkConfig"`
	StorageConfig               map[string]any `json:"storageConfig"`
	RemoteNetworkConfig         map[string]any `json:"remoteNetworkConfig"`
	DeletionProtection          *bool          `json:"deletionProtection"`
	ControlPlaneScalingConfig   map[string]any `json:"controlPlaneScalingConfig"`
	KubeAPIServerConfig         map[string]any `json:"kubeApiServerConfig"`
	KubeSchedulerConfig         map[string]any `json:"kubeSchedulerConfig"`
	KubeControllerManagerConfig map[string]any `json:"kubeControllerManagerConfig"`
}

// authModeRank orders authentication modes (-1 for an unknown mode); a
// cluster may move one step up, never down.
func authModeRank(m string) int {
	switch m {
	case "CONFIG_MAP":
		return 0
	case "API_AND_CONFIG_MAP":
		return 1
	case "API":
		return 2
	}
	return -1
}

func validAuthMode(m string) bool { return authModeRank(m) >= 0 }

func (p *Proxy) updateClusterConfig(w *recorder, r *http.Request, in *request) {
	var req updateClusterConfigInput
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	// Work out the one type of update the request asks for.
	type kind struct {
		typ    string
		params []updateParam
	}
	var kinds []kind
	add := func(typ string, params ...updateParam) {
		for i := range kinds {
			if kinds[i].typ == typ {
				kinds[i].params = append(kinds[i].params, params...)
				return
			}
		}
		kinds = append(kinds, kind{typ, params})
	}
	if v := req.ResourcesVpcConfig; v != nil {
		if v["subnetIds"] != nil || v["securityGroupIds"] != nil {
			add("VpcConfigUpdate", paramsOf(v, map[string]string{"subnetIds": "Subnets", "securityGroupIds": "SecurityGroups"})...)
		}
		if ps := paramsOf(v, map[string]string{"endpointPublicAccess": "EndpointPublicAccess", "endpointPrivateAccess": "EndpointPrivateAccess", "publicAccessCidrs": "PublicAccessCidrs"}); len(ps) > 0 {
			add("EndpointAccessUpdate", ps...)
		}
	}
	if req.Logging != nil {
		add("LoggingUpdate", updateParam{"ClusterLogging", jsonString(req.Logging["clusterLogging"])})
	}
	if req.AccessConfig != nil {
		add("AccessConfigUpdate", updateParam{"AuthenticationMode", req.AccessConfig.AuthenticationMode})
	}
	if req.UpgradePolicy != nil {
		add("UpgradePolicyUpdate", updateParam{"UpgradePolicy", jsonString(req.UpgradePolicy)})
	}
	if req.ZonalShiftConfig != nil {
		add("ZonalShiftConfigUpdate", updateParam{"ZonalShiftConfig", jsonString(req.ZonalShiftConfig)})
	}
	if req.ComputeConfig != nil || req.StorageConfig != nil || req.KubernetesNetworkConfig != nil {
		var ps []updateParam
		if req.ComputeConfig != nil {
			ps = append(ps, updateParam{"ComputeConfig", jsonString(req.ComputeConfig)})
		}
		if req.StorageConfig != nil {
			ps = append(ps, updateParam{"StorageConfig", jsonString(req.StorageConfig)})
		}
		if req.KubernetesNetworkConfig != nil {
			ps = append(ps, updateParam{"KubernetesNetworkConfig", jsonString(req.KubernetesNetworkConfig)})
		}
		add("AutoModeUpdate", ps...)
	}
	if req.RemoteNetworkConfig != nil {
		add("RemoteNetworkConfigUpdate", updateParam{"RemoteNetworkConfig", jsonString(req.RemoteNetworkConfig)})
	}
	if req.DeletionProtection != nil {
		add("DeletionProtectionUpdate", updateParam{"DeletionProtection", strconv.FormatBool(*req.DeletionProtection)})
	}
	if req.ControlPlaneScalingConfig != nil {
		add("ControlPlaneScalingConfigUpdate", updateParam{"UpdatedTier", jsonString(req.ControlPlaneScalingConfig)})
	}
	if req.KubeAPIServerConfig != nil || req.KubeSchedulerConfig != nil || req.KubeControllerManagerConfig != nil {
		add("ControlPlaneComponentConfigUpdate")
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	switch {
	case len(kinds) == 0:
		w.fail(in, invalidParam("No changes needed for the cluster configuration").withCluster(cv.name))
		return
	case len(kinds) > 1:
		w.fail(in, invalidParam("Only one type of update can be allowed.").withCluster(cv.name))
		return
	}
	k := kinds[0]
	var vpc, logging map[string]any
	p.smu.Lock()
	base := p.clusterLocked(cv)
	vpcBase, logBase := base.vpcConfig, base.logging
	p.smu.Unlock()
	if req.ResourcesVpcConfig != nil {
		if vpcBase == nil {
			vpcBase = mapOf(cv.obj["resourcesVpcConfig"])
		}
		vpc = maps.Clone(vpcBase)
		maps.Copy(vpc, req.ResourcesVpcConfig)
		if vpc["endpointPublicAccess"] == false && vpc["endpointPrivateAccess"] == false {
			w.fail(in, invalidParam("At least one of endpointPublicAccess and endpointPrivateAccess must be enabled").withCluster(cv.name))
			return
		}
		if raw, ok := req.ResourcesVpcConfig["subnetIds"]; ok {
			if e := p.checkClusterSubnets(r, in, base.vpcID, raw); e != nil {
				w.fail(in, e.withCluster(cv.name))
				return
			}
		}
	}
	if req.Logging != nil {
		if logBase == nil {
			logBase = mapOf(cv.obj["logging"])
		}
		var bad string
		logging, bad = mergeLogging(logBase, req.Logging)
		if bad != "" {
			w.fail(in, invalidParam("Invalid log type %s; valid types are api, audit, authenticator, controllerManager, scheduler", bad).withCluster(cv.name))
			return
		}
	}
	delays := p.Delays()
	now := time.Now()
	p.smu.Lock()
	c := p.clusterLocked(cv)
	e := clusterUpdatable(c, now)
	if e == nil && req.AccessConfig != nil {
		from, to := c.authMode, req.AccessConfig.AuthenticationMode
		if !validAuthMode(to) || authModeRank(to) != authModeRank(from)+1 {
			e = invalidParam("Unsupported authentication mode update from %s to %s", from, to).withCluster(c.name)
		}
	}
	if e != nil {
		p.smu.Unlock()
		w.fail(in, e)
		return
	}
	if req.AccessConfig != nil {
		c.authMode = req.AccessConfig.AuthenticationMode
	}
	if req.DeletionProtection != nil {
		c.deletionProtection = *req.DeletionProtection
	}
	if vpc != nil {
		c.vpcConfig = vpc
	}
	if logging != nil {
		c.logging = logging
	}
	if req.KubernetesNetworkConfig != nil {
		knc := maps.Clone(c.k8sNetwork)
		if knc == nil {
			knc = maps.Clone(mapOf(cv.obj["kubernetesNetworkConfig"]))
		}
		maps.Copy(knc, req.KubernetesNetworkConfig)
		c.k8sNetwork = knc
	}
	raw := rawObject(in.body)
	for _, k := range configKeys() {
		if v, ok := raw[k]; ok {
			c.fields[k] = v
		}
	}
	u := c.addUpdate(k.typ, delays.ClusterUpdate, "", k.params...)
	out := u.render(time.Now())
	p.smu.Unlock()
	w.json(map[string]any{"update": out})
}

// clusterUpdatable refuses a cluster update unless the cluster is ACTIVE.
func clusterUpdatable(c *cluster, now time.Time) *apiError {
	switch st := c.status(now); st {
	case "ACTIVE":
		return nil
	case "UPDATING":
		return inUse("Cluster %s has an update in progress; wait for it to finish", c.name).withCluster(c.name)
	default:
		return inUse("Cluster %s is in %s state and cannot be updated", c.name, st).withCluster(c.name)
	}
}

func (p *Proxy) updateClusterVersion(w *recorder, r *http.Request, in *request) {
	var req struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil || req.Version == "" {
		w.fail(in, invalidParam("version is required"))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	if e := p.catalog.checkVersion(req.Version); e != nil {
		w.fail(in, e.withCluster(cv.name))
		return
	}
	delays := p.Delays()
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.clusterLocked(cv)
	if e := clusterUpdatable(c, now); e != nil {
		w.fail(in, e)
		return
	}
	from := c.version
	if from == "" {
		from = cv.version
	}
	if !nextMinor(from, req.Version) {
		w.fail(in, invalidParam("Unsupported Kubernetes minor version update from %s to %s", from, req.Version).withCluster(c.name))
		return
	}
	c.version = req.Version
	pv := "eks.1"
	if v := p.catalog.version(req.Version); v != nil {
		pv = v.platformVersion()
	}
	c.platformVersion = pv
	u := c.addUpdate("VersionUpdate", delays.ClusterUpdate, "", updateParam{"Version", req.Version}, updateParam{"PlatformVersion", pv})
	w.json(map[string]any{"update": u.render(now)})
}

// nextMinor reports whether to is exactly one minor version above from.
func nextMinor(from, to string) bool {
	fm, fn, ok1 := splitVersion(from)
	tm, tn, ok2 := splitVersion(to)
	return ok1 && ok2 && fm == tm && tn == fn+1
}

func splitVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	if i := strings.IndexByte(b, '.'); i >= 0 {
		b = b[:i]
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, err1 == nil && err2 == nil
}

func (p *Proxy) associateEncryptionConfig(w *recorder, r *http.Request, in *request) {
	var req struct {
		EncryptionConfig []struct {
			Resources []string `json:"resources"`
			Provider  *struct {
				KeyArn string `json:"keyArn"`
			} `json:"provider"`
		} `json:"encryptionConfig"`
	}
	if err := json.Unmarshal(in.body, &req); err != nil {
		w.fail(in, invalidParam("malformed request body: %v", err))
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	if len(req.EncryptionConfig) != 1 {
		w.fail(in, invalidParam("Exactly one encryptionConfig is required").withCluster(cv.name))
		return
	}
	ec := req.EncryptionConfig[0]
	if ec.Provider == nil || !strings.HasPrefix(ec.Provider.KeyArn, "arn:") || !strings.Contains(ec.Provider.KeyArn, ":kms:") {
		w.fail(in, invalidParam("encryptionConfig.provider.keyArn must be the ARN of a KMS key").withCluster(cv.name))
		return
	}
	if len(ec.Resources) != 1 || ec.Resources[0] != "secrets" {
		w.fail(in, invalidParam("encryptionConfig.resources must be [\"secrets\"]").withCluster(cv.name))
		return
	}
	existing, _ := cv.obj["encryptionConfig"].([]any)
	delays := p.Delays()
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.clusterLocked(cv)
	if len(existing) > 0 || c.encryption != nil {
		w.fail(in, invalidRequest("Encryption is already enabled on cluster %s; it cannot be changed or disabled", c.name).withCluster(c.name))
		return
	}
	if e := clusterUpdatable(c, now); e != nil {
		w.fail(in, e)
		return
	}
	cfg := []any{map[string]any{"resources": []string{"secrets"}, "provider": map[string]any{"keyArn": ec.Provider.KeyArn}}}
	c.encryption = cfg
	u := c.addUpdate("AssociateEncryptionConfig", delays.ClusterUpdate, "", updateParam{"EncryptionConfig", jsonString(cfg)})
	w.json(map[string]any{"update": u.render(now)})
}

func (p *Proxy) describeUpdate(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	id := in.params["update"]
	q := r.URL.Query()
	addonName := q.Get("addonName")
	now := time.Now()
	p.smu.Lock()
	defer p.smu.Unlock()
	c := p.clusterLocked(cv)
	for _, u := range c.updates {
		if u.id == id && u.addon == addonName && q.Get("nodegroupName") == "" && q.Get("capabilityName") == "" {
			w.json(map[string]any{"update": u.render(now)})
			return
		}
	}
	w.fail(in, notFound("No update found for ID: %s", id).withCluster(c.name))
}

func (p *Proxy) listUpdates(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	q := r.URL.Query()
	if q.Get("nodegroupName") != "" || q.Get("capabilityName") != "" {
		// moto does not keep node group updates.
		w.json(map[string]any{"updateIds": []string{}})
		return
	}
	addonName := q.Get("addonName")
	p.smu.Lock()
	c := p.clusterLocked(cv)
	c.sweep(time.Now())
	if addonName != "" && c.addons[addonName] == nil {
		p.smu.Unlock()
		w.fail(in, notFound("No addon: %s found in cluster: %s", addonName, c.name).withCluster(c.name))
		return
	}
	var ids []string
	for _, u := range c.updates {
		if u.addon == addonName {
			ids = append(ids, u.id)
		}
	}
	p.smu.Unlock()
	writePage(w, in, q, "updateIds", ids)
}

func (p *Proxy) describeClusterVersions(w *recorder, r *http.Request, in *request) {
	q := r.URL.Query()
	wantVersions := q["clusterVersions"]
	status := q.Get("versionStatus")
	if s := q.Get("status"); s != "" && status == "" {
		// The deprecated filter uses lower-case values with dashes.
		status = strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	}
	if status != "" && !contains(toStrings(ekstypes.VersionStatus("").Values()), status) {
		w.fail(in, invalidParam("Invalid versionStatus %s", status))
		return
	}
	defaultOnly := q.Get("defaultOnly") == "true"
	includeAll := q.Get("includeAll") == "true"
	clusterType := q.Get("clusterType")
	var out []map[string]any
	for _, v := range p.catalog.versions {
		switch {
		case len(wantVersions) > 0 && !contains(wantVersions, v.Version):
			continue
		case status != "" && string(v.Status) != status:
			continue
		case defaultOnly && !v.Default:
			continue
		case clusterType != "" && clusterType != "eks":
			continue
		case v.Status == ekstypes.VersionStatusUnsupported && !includeAll && status == "" && len(wantVersions) == 0:
			continue
		}
		out = append(out, v.render())
	}
	writePage(w, in, q, "clusterVersions", out)
}

// listInCluster passes ListFargateProfiles and ListNodegroups to moto, and
// turns moto's internal error for a missing cluster into the
// ResourceNotFoundException EKS answers.
func (p *Proxy) listInCluster(w *recorder, r *http.Request, in *request) {
	resp, err := p.forward(r.Context(), r, in.body)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return
	}
	if resp.status >= 500 {
		if cv := p.lookupCluster(w, r, in); cv == nil {
			return // the lookup wrote moto's not-found answer
		}
	}
	resp.write(w)
}

func (p *Proxy) createNodegroup(w *recorder, r *http.Request, in *request) {
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	p.smu.Lock()
	e := clusterActive(p.clusterLocked(cv), time.Now(), true)
	p.smu.Unlock()
	if e != nil {
		w.fail(in, e)
		return
	}
	p.pass(w, r, in)
}

// decodeMember decodes a JSON object answer and returns it with its member
// key, which must be an object. Numbers are kept as they were.
// forwardMember forwards the request to moto and decodes the named member of
// its JSON answer. When ok is false the answer — an upstream failure, an
// error from moto, or a body that is not the expected object — has already
// been written to w.
func (p *Proxy) forwardMember(w *recorder, r *http.Request, in *request, member string) (resp *upstreamResponse, top, obj map[string]any, ok bool) {
	resp, err := p.forward(r.Context(), r, in.body)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return nil, nil, nil, false
	}
	if resp.status != http.StatusOK {
		resp.write(w)
		return nil, nil, nil, false
	}
	top, obj, err = decodeMember(resp.body, member)
	if err != nil {
		resp.write(w)
		return nil, nil, nil, false
	}
	return resp, top, obj, true
}

func decodeMember(body []byte, key string) (top, member map[string]any, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, nil, err
	}
	member, ok := top[key].(map[string]any)
	if !ok {
		return nil, nil, &json.UnsupportedValueError{Str: "answer has no object member " + key}
	}
	return top, member, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("awsproxy: re-encode answer: " + err.Error())
	}
	return b
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func paramsOf(m map[string]any, names map[string]string) []updateParam {
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []updateParam
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			val := jsonString(v)
			if s, ok := v.(string); ok {
				val = s
			}
			out = append(out, updateParam{names[k], val})
		}
	}
	return out
}

func toStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func withNext(m map[string]any, next string) map[string]any {
	if next != "" {
		m["nextToken"] = next
	}
	return m
}

// writePage answers a List call: the page of items that q asks for under
// key, with the next page's token, or the pagination error.
func writePage[T any](w *recorder, in *request, q url.Values, key string, items []T) {
	page, next, e := paginate(items, q)
	if e != nil {
		w.fail(in, e)
		return
	}
	w.json(withNext(map[string]any{key: nonNil(page)}, next))
}

// paginate returns the page of items that the maxResults and nextToken
// query parameters ask for, and the token of the next page.
func paginate[T any](items []T, q url.Values) (page []T, next string, e *apiError) {
	max := 100
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return nil, "", invalidParam("maxResults must be between 1 and 100, got %s", s)
		}
		max = n
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "awsproxy:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "awsproxy:") || n < 0 || n > len(items) {
			return nil, "", invalidParam("The nextToken %q is invalid", tok)
		}
		start = n
	}
	end := min(start+max, len(items))
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("awsproxy:" + strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

// logTypes are the control plane log types, in EKS's order.
func logTypes() []string {
	return []string{"api", "audit", "authenticator", "controllerManager", "scheduler"}
}

// mergeLogging applies a logging update to the current logging
// configuration, as EKS does: the types named in the update change, the
// others keep their state. It returns the unknown log type, if any.
func mergeLogging(current, update map[string]any) (map[string]any, string) {
	enabled := map[string]bool{}
	apply := func(cfg map[string]any) string {
		setups, _ := cfg["clusterLogging"].([]any)
		for _, s := range setups {
			setup := mapOf(s)
			on, _ := setup["enabled"].(bool)
			var types []string
			switch ts := setup["types"].(type) {
			case []string:
				types = ts
			case []any:
				for _, t := range ts {
					types = append(types, str(t))
				}
			}
			for _, name := range types {
				if !contains(logTypes(), name) {
					return name
				}
				enabled[name] = on
			}
		}
		return ""
	}
	apply(current)
	if bad := apply(update); bad != "" {
		return nil, bad
	}
	var on, off []string
	for _, t := range logTypes() {
		if enabled[t] {
			on = append(on, t)
		} else {
			off = append(off, t)
		}
	}
	var setups []any
	if len(on) > 0 {
		setups = append(setups, map[string]any{"types": on, "enabled": true})
	}
	if len(off) > 0 {
		setups = append(setups, map[string]any{"types": off, "enabled": false})
	}
	return map[string]any{"clusterLogging": setups}, ""
}

// checkServiceCIDR applies EKS's rules to kubernetesNetworkConfig
// serviceIpv4Cidr: a private (RFC 1918) block between /12 and /24 that does
// not overlap the cluster's VPC.
func checkServiceCIDR(cidr string, vpc []netip.Prefix) *apiError {
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() {
		return invalidParam("The specified serviceIpv4Cidr %s is not a valid IPv4 CIDR block", cidr)
	}
	if pfx.Bits() < 12 || pfx.Bits() > 24 {
		return invalidParam("The specified serviceIpv4Cidr %s is invalid: the prefix length must be between /12 and /24", cidr)
	}
	private := false
	for _, r := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"} {
		rp := netip.MustParsePrefix(r)
		if rp.Contains(pfx.Addr()) && pfx.Bits() >= rp.Bits() {
			private = true
		}
	}
	if !private {
		return invalidParam("The specified serviceIpv4Cidr %s is invalid: it must be within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", cidr)
	}
	for _, v := range vpc {
		if v.Overlaps(pfx) {
			return invalidParam("The specified serviceIpv4Cidr %s overlaps the VPC CIDR block %s", cidr, v)
		}
	}
	return nil
}

// clusterVPC looks up, in moto's EC2, the VPC of a cluster's subnets and
// its CIDR blocks. It is best effort: moto accepts clusters on subnets that
// do not exist, and so does the proxy.
func (p *Proxy) clusterVPC(r *http.Request, in *request, subnets []string) (string, []netip.Prefix) {
	if len(subnets) == 0 {
		return "", nil
	}
	ctx := r.Context()
	client := p.ec2Client(ctx, r, in)
	sn, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: subnets[:1]})
	if err != nil || len(sn.Subnets) == 0 {
		return "", nil
	}
	vpcID := aws.ToString(sn.Subnets[0].VpcId)
	vpcs, err := client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil || len(vpcs.Vpcs) == 0 {
		return vpcID, nil
	}
	var cidrs []netip.Prefix
	for _, a := range vpcs.Vpcs[0].CidrBlockAssociationSet {
		if pfx, err := netip.ParsePrefix(aws.ToString(a.CidrBlock)); err == nil {
			cidrs = append(cidrs, pfx)
		}
	}
	if len(cidrs) == 0 {
		if pfx, err := netip.ParsePrefix(aws.ToString(vpcs.Vpcs[0].CidrBlock)); err == nil {
			cidrs = append(cidrs, pfx)
		}
	}
	return vpcID, cidrs
}

// checkClusterSubnets applies EKS's rules to the subnets of a cluster
// update (moto lacks them): they exist, they are in the cluster's VPC (a
// cluster can't move to another VPC), and they span at least two
// availability zones.
func (p *Proxy) checkClusterSubnets(r *http.Request, in *request, vpcID string, raw any) *apiError {
	list, _ := raw.([]any)
	var ids []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 {
		return invalidParam("subnetIds must not be empty")
	}
	ctx := r.Context()
	out, err := p.ec2Client(ctx, r, in).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil || len(out.Subnets) != len(ids) {
		return invalidParam("The subnet ID(s) %s do not exist", strings.Join(ids, ", "))
	}
	zones := map[string]bool{}
	for _, sn := range out.Subnets {
		if v := aws.ToString(sn.VpcId); vpcID != "" && v != vpcID {
			return invalidParam("Subnet %s is in VPC %s; the subnets of a cluster must be in its VPC %s", aws.ToString(sn.SubnetId), v, vpcID)
		}
		zones[aws.ToString(sn.AvailabilityZone)] = true
	}
	if len(zones) < 2 {
		return invalidParam("Subnets specified must be in at least two different AZs")
	}
	return nil
}
