package eksfargate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// clusterView is the control plane in plans.
type clusterView struct {
	Name                  string            `json:"name"`
	Status                string            `json:"status,omitempty"`
	Version               string            `json:"version"`
	RoleARN               string            `json:"roleArn"`
	SubnetIDs             []string          `json:"subnetIds,omitempty"`
	SecurityGroupIDs      []string          `json:"securityGroupIds,omitempty"`
	EndpointPublicAccess  bool              `json:"endpointPublicAccess"`
	EndpointPrivateAccess bool              `json:"endpointPrivateAccess"`
	PublicAccessCIDRs     []string          `json:"publicAccessCidrs,omitempty"`
	ServiceIPv4CIDR       string            `json:"serviceIpv4Cidr,omitempty"`
	SecretsKMSKeyARN      string            `json:"secretsKmsKeyArn,omitempty"`
	Logging               []string          `json:"logging"`
	AuthenticationMode    string            `json:"authenticationMode"`
	DeletionProtection    bool              `json:"deletionProtection"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

// clusterDesired is what Run needs to create the cluster.
type clusterDesired struct {
	clusterView
	subnetKeys            []string
	bootstrapCreatorAdmin bool
}

func (d *differ) clusterWant() clusterDesired {
	c := d.s.Cluster
	w := clusterDesired{clusterView: clusterView{
		Name: d.s.Name, Version: d.version, RoleARN: d.clusterRoleARN,
		SecurityGroupIDs:      slices.Clone(d.s.Network.SecurityGroupIDs),
		EndpointPublicAccess:  aws.ToBool(c.EndpointPublicAccess),
		EndpointPrivateAccess: aws.ToBool(c.EndpointPrivateAccess),
		ServiceIPv4CIDR:       c.ServiceIPv4CIDR,
		SecretsKMSKeyARN:      c.SecretsKMSKeyARN,
		Logging:               sortedCopy(c.Logging),
		AuthenticationMode:    c.AuthenticationMode,
		DeletionProtection:    c.DeletionProtection,
		Tags:                  d.ownerTags(c.Tags),
	}, subnetKeys: slices.Clone(d.clusterSubnets), bootstrapCreatorAdmin: c.BootstrapCreatorAdmin}
	if w.EndpointPublicAccess {
		w.PublicAccessCIDRs = sortedCopy(c.PublicAccessCIDRs)
	}
	for _, k := range d.clusterSubnets {
		w.SubnetIDs = append(w.SubnetIDs, d.ref(k))
	}
	if w.Logging == nil {
		w.Logging = []string{}
	}
	return w
}

// liveLogging returns the enabled log types, sorted.
func liveLogging(cl *ekstypes.Cluster) []string {
	out := []string{}
	if cl.Logging == nil {
		return out
	}
	for _, s := range cl.Logging.ClusterLogging {
		if aws.ToBool(s.Enabled) {
			for _, t := range s.Types {
				if !slices.Contains(out, string(t)) {
					out = append(out, string(t))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func liveAuthMode(cl *ekstypes.Cluster) string {
	if cl.AccessConfig != nil && cl.AccessConfig.AuthenticationMode != "" {
		return string(cl.AccessConfig.AuthenticationMode)
	}
	return access.AuthModeConfigMap // clusters created through the API default to CONFIG_MAP
}

func liveSecretsKey(cl *ekstypes.Cluster) string {
	for _, e := range cl.EncryptionConfig {
		if e.Provider != nil && (len(e.Resources) == 0 || slices.Contains(e.Resources, "secrets")) {
			return aws.ToString(e.Provider.KeyArn)
		}
	}
	return ""
}

func liveClusterView(cl *ekstypes.Cluster, tagKeys map[string]string) clusterView {
	v := clusterView{
		Name: aws.ToString(cl.Name), Status: string(cl.Status), Version: aws.ToString(cl.Version), RoleARN: aws.ToString(cl.RoleArn),
		Logging: liveLogging(cl), AuthenticationMode: liveAuthMode(cl), DeletionProtection: aws.ToBool(cl.DeletionProtection),
		SecretsKMSKeyARN: liveSecretsKey(cl), Tags: subsetTags(cl.Tags, tagKeys),
	}
	if r := cl.ResourcesVpcConfig; r != nil {
		v.SubnetIDs = sortedCopy(r.SubnetIds)
		v.SecurityGroupIDs = sortedCopy(r.SecurityGroupIds)
		v.EndpointPublicAccess = r.EndpointPublicAccess
		v.EndpointPrivateAccess = r.EndpointPrivateAccess
		if r.EndpointPublicAccess {
			v.PublicAccessCIDRs = sortedCopy(r.PublicAccessCidrs)
		}
	}
	if n := cl.KubernetesNetworkConfig; n != nil {
		v.ServiceIPv4CIDR = aws.ToString(n.ServiceIpv4Cidr)
	}
	return v
}

// healthText renders the health issues EKS reports.
func clusterHealthText(h *ekstypes.ClusterHealth) string {
	if h == nil || len(h.Issues) == 0 {
		return "EKS reports no health issue"
	}
	var parts []string
	for _, i := range h.Issues {
		parts = append(parts, fmt.Sprintf("%s: %s %v", i.Code, aws.ToString(i.Message), i.ResourceIds))
	}
	return strings.Join(parts, "; ")
}

func (d *differ) clusterChangeID() string { return "eks.cluster/" + d.s.Name }

// cluster plans the control plane: create it, wait for it, or update what
// can change in place. What can't (the role, the service CIDR, a secrets key
// once set, a lower version or authentication mode) is a problem that says
// why.
func (d *differ) cluster() {
	want := d.clusterWant()
	id := d.clusterChangeID()
	cl := d.snap.Cluster
	serial := ops.ClusterUpdateSerial(d.s.Name)
	if cl == nil {
		deps := append([]string{"ec2.vpc/" + d.s.Name}, d.subnetIDs...)
		deps = append(deps, d.clusterRoleIDs...)
		clusterRoleName := roleName(d.s.ClusterRole)
		d.clusterIDs = append(d.clusterIDs, d.add(step{Change: plan.Change{
			ID: id, Kind: KindCluster, Resource: d.s.Name, Action: plan.Create, After: want.clusterView, DependsOn: deps,
			Summary:     fmt.Sprintf("Kubernetes %s, %s authentication, %d log types", want.Version, want.AuthenticationMode, len(want.Logging)),
			Requirement: reqCluster,
		}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.createCluster(ctx, want, clusterRoleName, r)
		}}))
		return
	}
	arn := aws.ToString(cl.Arn)
	before := liveClusterView(cl, want.Tags)
	wantView := want.clusterView
	wantView.Status = "ACTIVE"
	var waitID string
	switch cl.Status {
	case ekstypes.ClusterStatusFailed:
		d.problem("spec.name", fmt.Sprintf("the cluster %s is FAILED: %s", d.s.Name, clusterHealthText(cl.Health)), "destroy it (fargatekit destroy) and apply again")
		return
	case ekstypes.ClusterStatusDeleting:
		d.problem("spec.name", fmt.Sprintf("the cluster %s is being deleted", d.s.Name), "wait until it is gone, then plan again")
		return
	case ekstypes.ClusterStatusCreating, ekstypes.ClusterStatusUpdating, ekstypes.ClusterStatusPending:
		waitID = d.add(step{Change: plan.Change{ID: id, Kind: KindCluster, Resource: arn, Action: plan.Update,
			Summary: "wait until ACTIVE (now " + string(cl.Status) + ")", Before: clusterView{Name: d.s.Name, Status: string(cl.Status)},
			After: clusterView{Name: d.s.Name, Status: "ACTIVE"}, Requirement: reqCluster,
		}, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
			return x.waitCluster(ctx, r)
		}})
		d.clusterIDs = append(d.clusterIDs, waitID)
	}

	// Immutable fields.
	if before.RoleARN != want.RoleARN {
		d.problem("spec.clusterRole", fmt.Sprintf("the cluster uses the role %s, not %s; a cluster's role can't be changed", before.RoleARN, want.RoleARN), "set clusterRole.arn: "+before.RoleARN)
	}
	if want.ServiceIPv4CIDR != "" && before.ServiceIPv4CIDR != want.ServiceIPv4CIDR {
		d.problem("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("the cluster's service CIDR is %s; it is fixed when the cluster is created and can't be changed in place", before.ServiceIPv4CIDR),
			"set serviceIPv4CIDR: "+before.ServiceIPv4CIDR+", or create a new cluster")
	}
	switch {
	case before.SecretsKMSKeyARN != "" && want.SecretsKMSKeyARN == "":
		d.problem("spec.cluster.secretsKMSKeyARN", fmt.Sprintf("the cluster encrypts Secrets with %s; envelope encryption can't be turned off once it is on", before.SecretsKMSKeyARN),
			"set secretsKMSKeyARN: "+before.SecretsKMSKeyARN)
	case before.SecretsKMSKeyARN != "" && want.SecretsKMSKeyARN != before.SecretsKMSKeyARN:
		d.problem("spec.cluster.secretsKMSKeyARN", fmt.Sprintf("the cluster encrypts Secrets with %s; EKS can't switch to another key", before.SecretsKMSKeyARN),
			"set secretsKMSKeyARN: "+before.SecretsKMSKeyARN+" (rotate that key in KMS instead)")
	}
	if c := compareVersions(want.Version, before.Version); c < 0 {
		d.problem("spec.cluster.version", fmt.Sprintf("the cluster runs Kubernetes %s; EKS can't downgrade to %s", before.Version, want.Version), "set version: \""+before.Version+"\"")
	}
	if clusterAuthRank(want.AuthenticationMode) < clusterAuthRank(before.AuthenticationMode) {
		d.problem("spec.cluster.authenticationMode", fmt.Sprintf("the cluster is in %s mode; the authentication mode only moves forward (CONFIG_MAP → API_AND_CONFIG_MAP → API), so it can't go back to %s", before.AuthenticationMode, want.AuthenticationMode),
			"set authenticationMode: "+before.AuthenticationMode)
	}

	update := func(suffix, summary string, b, a any, req string, run func(ctx context.Context, x *executor, r plan.Reporter) error) {
		ch := plan.Change{ID: id + "/" + suffix, Kind: KindCluster, Resource: arn, Action: plan.Update, Summary: summary,
			Before: b, After: a, Requirement: req, Serial: serial}
		if waitID != "" {
			ch.DependsOn = []string{waitID}
		}
		d.clusterIDs = append(d.clusterIDs, d.add(step{Change: ch, run: run}))
	}
	if c := compareVersions(want.Version, before.Version); c > 0 {
		from, to := before.Version, want.Version
		update("version", "upgrade Kubernetes "+from+" → "+to+" (one minor version at a time)",
			map[string]string{"version": from}, map[string]string{"version": to}, reqCluster,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.upgradeCluster(ctx, from, to, r)
			})
	}
	if before.EndpointPublicAccess != want.EndpointPublicAccess || before.EndpointPrivateAccess != want.EndpointPrivateAccess ||
		!slices.Equal(before.PublicAccessCIDRs, want.PublicAccessCIDRs) {
		type ep struct {
			Public  bool     `json:"endpointPublicAccess"`
			Private bool     `json:"endpointPrivateAccess"`
			CIDRs   []string `json:"publicAccessCidrs,omitempty"`
		}
		w := ep{want.EndpointPublicAccess, want.EndpointPrivateAccess, want.PublicAccessCIDRs}
		update("endpoint", "endpoint access", ep{before.EndpointPublicAccess, before.EndpointPrivateAccess, before.PublicAccessCIDRs}, w, reqCluster,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.updateEndpoint(ctx, w.Public, w.Private, w.CIDRs, r)
			})
	}
	if !sameSet(before.SubnetIDs, want.SubnetIDs) && d.clusterSubnetsAllowed(cl, want.SubnetIDs) {
		keys := slices.Clone(want.subnetKeys)
		update("subnets", "subnets "+strings.Join(sortedCopy(before.SubnetIDs), ", ")+" → "+strings.Join(sortedCopy(want.SubnetIDs), ", "),
			map[string][]string{"subnetIds": sortedCopy(before.SubnetIDs)}, map[string][]string{"subnetIds": sortedCopy(want.SubnetIDs)}, reqNetwork,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.updateSubnets(ctx, keys, r)
			})
		last := &d.steps[len(d.steps)-1]
		last.DependsOn = append(last.DependsOn, d.subnetIDs...) // subnets created by this plan first
	}
	if !slices.Equal(before.Logging, want.Logging) {
		var on, off []string
		for _, t := range want.Logging {
			if !slices.Contains(before.Logging, t) {
				on = append(on, t)
			}
		}
		for _, t := range before.Logging {
			if !slices.Contains(want.Logging, t) {
				off = append(off, t)
			}
		}
		var what []string
		if len(on) > 0 {
			what = append(what, "enable "+strings.Join(on, ", "))
		}
		if len(off) > 0 {
			what = append(what, "disable "+strings.Join(off, ", "))
		}
		logs := want.Logging
		update("logging", "logging: "+strings.Join(what, "; "), map[string][]string{"logging": before.Logging}, map[string][]string{"logging": logs}, reqCluster,
			func(ctx context.Context, x *executor, r plan.Reporter) error { return x.updateLogging(ctx, logs, r) })
	}
	if clusterAuthRank(want.AuthenticationMode) > clusterAuthRank(before.AuthenticationMode) {
		from, to := before.AuthenticationMode, want.AuthenticationMode
		update("authentication-mode", "authentication mode "+from+" → "+to, map[string]string{"authenticationMode": from}, map[string]string{"authenticationMode": to}, reqAuthMode,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.updateAuthMode(ctx, from, to, r)
			})
	}
	if before.SecretsKMSKeyARN == "" && want.SecretsKMSKeyARN != "" {
		key := want.SecretsKMSKeyARN
		update("encryption", "encrypt Secrets with "+key+" (can't be undone)", map[string]string{"secretsKmsKeyArn": ""}, map[string]string{"secretsKmsKeyArn": key}, reqEncryption,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.associateEncryption(ctx, key, r)
			})
	}
	if before.DeletionProtection != want.DeletionProtection {
		on := want.DeletionProtection
		update("deletion-protection", fmt.Sprintf("deletion protection %t → %t", before.DeletionProtection, on),
			map[string]bool{"deletionProtection": before.DeletionProtection}, map[string]bool{"deletionProtection": on}, reqCluster,
			func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.updateDeletionProtection(ctx, on, r)
			})
	}
	if missing, unset := tagDrift(cl.Tags, want.Tags); len(missing) > 0 || len(unset) > 0 {
		owned := d.owned(cl.Tags)
		if _, claims := missing[OwnerTag]; claims && !owned {
			delete(missing, OwnerTag) // never claim ownership of a cluster fargatekit did not create
		}
		if !owned {
			unset = nil // fargatekit.io/* tags of a cluster fargatekit does not own are not its to remove
		}
		if len(missing) > 0 || len(unset) > 0 {
			summary := "tags " + strings.Join(specSortedKeys(missing), ", ")
			if len(unset) > 0 {
				summary = tagSummary(nil, unset)
				if len(missing) > 0 {
					summary = "tags " + strings.Join(specSortedKeys(missing), ", ") + "; " + summary
				}
			}
			afterTags := maps.Clone(missing)
			beforeTags := map[string]string{}
			maps.Copy(beforeTags, before.Tags)
			for _, k := range unset {
				beforeTags[k] = cl.Tags[k]
			}
			ch := plan.Change{ID: id + "/tags", Kind: KindCluster, Resource: arn, Action: plan.Update,
				Summary: summary, Before: map[string]map[string]string{"tags": beforeTags},
				After: map[string]map[string]string{"tags": afterTags}, Requirement: reqCluster}
			if waitID != "" {
				ch.DependsOn = []string{waitID}
			}
			d.clusterIDs = append(d.clusterIDs, d.add(step{Change: ch, run: func(ctx context.Context, x *executor, r plan.Reporter) error {
				return x.retagEKS(ctx, arn, missing, unset)
			}}))
		}
	}
	if len(d.clusterIDs) == 0 {
		d.add(step{Change: plan.Change{ID: id, Kind: KindCluster, Resource: arn, Action: plan.NoOp, Before: before, After: wantView}})
	}
}

// clusterAuthRank orders authentication modes; the mode only moves up.
func clusterAuthRank(m string) int {
	switch m {
	case access.AuthModeConfigMap:
		return 1
	case access.AuthModeAPIAndConfigMap:
		return 2
	case access.AuthModeAPI:
		return 3
	}
	return 0
}

// clusterSubnetsAllowed checks new subnets of an existing cluster against
// what EKS allows (UpdateClusterConfig): the cluster's VPC only, and at
// least two availability zones. A refused change is a problem naming the
// spec's subnets; subnets still to be created are in the spec's VPC.
func (d *differ) clusterSubnetsAllowed(cl *ekstypes.Cluster, ids []string) bool {
	path := "spec.network.subnetIDs"
	if d.s.Network.VPC != nil {
		path = "spec.network.vpc"
	}
	clusterVPC := ""
	if cl.ResourcesVpcConfig != nil {
		clusterVPC = aws.ToString(cl.ResourcesVpcConfig.VpcId)
	}
	live := map[string]ec2types.Subnet{}
	for _, sn := range d.snap.Network.Subnets {
		live[aws.ToString(sn.SubnetId)] = sn
	}
	zones := map[string]bool{}
	unknown := false
	ok := true
	for _, id := range ids {
		sn, found := live[id]
		if !found {
			unknown = true
			continue
		}
		zones[aws.ToString(sn.AvailabilityZone)] = true
		if v := aws.ToString(sn.VpcId); clusterVPC != "" && v != clusterVPC {
			d.problem(path, fmt.Sprintf("the subnet %s is in VPC %s, but the cluster %s is in VPC %s: EKS can change a cluster's subnets only within its VPC", id, v, d.s.Name, clusterVPC),
				"use subnets of "+clusterVPC+", or create a new cluster for the other VPC")
			ok = false
		}
	}
	if ok && !unknown && len(zones) < 2 {
		d.problem(path, fmt.Sprintf("the cluster's new subnets are in %d availability zone(s); EKS needs subnets in at least 2", len(zones)), "add a subnet in another availability zone")
		ok = false
	}
	return ok
}
