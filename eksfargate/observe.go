package eksfargate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Snapshot is what Observe read: the live state of everything a spec names,
// typed as the SDK returns it. A nil pointer or an empty list means "does
// not exist". Diff turns a spec and a snapshot into changes without further
// calls.
type Snapshot struct {
	// AccountID and Partition of the cluster (from the spec, or STS).
	AccountID string
	Partition string
	// AttachedPoliciesQuota is the account's AttachedPoliciesPerRoleQuota,
	// read (iam:GetAccountSummary) only when a spec role asks for more
	// managed policies than IAM's default of 10; 0 means not read.
	AttachedPoliciesQuota int
	// ClusterVersions is DescribeClusterVersions (all statuses), read when
	// the version has to be chosen or checked: VersionsRead says whether it
	// was.
	ClusterVersions []ekstypes.ClusterVersionInformation
	VersionsRead    bool
	// AvailabilityZones of the region, read only when a VPC is to be
	// created and the spec names no zones.
	AvailabilityZones []string
	// Network is the VPC fargatekit created (found by OwnerTag), or the
	// VPC, subnets and route tables of adopted subnets.
	Network NetworkSnapshot
	// ClusterRole and PodExecutionRole are the two roles.
	ClusterRole, PodExecutionRole RoleSnapshot
	// Cluster is DescribeCluster's answer; nil when there is no cluster.
	Cluster *ekstypes.Cluster
	// FargateProfiles are the profiles of the cluster whose names are a
	// spec profile's name or a replacement of it (NAME-xxxxxxxx).
	FargateProfiles []ekstypes.FargateProfile
	// OtherFargateProfiles are the cluster's other profiles (neither a spec
	// profile nor a replacement of one): candidates for pruning, which
	// Diff deletes only when they carry OwnerTag with the cluster's name.
	OtherFargateProfiles []ekstypes.FargateProfile
	// Addons are the spec's addons that exist, by name.
	Addons map[string]*ekstypes.Addon
	// OtherAddons are the cluster's add-ons that the spec does not name
	// (ListAddons, then DescribeAddon for each), by name: candidates for
	// pruning, deleted only when they carry OwnerTag.
	OtherAddons map[string]*ekstypes.Addon
	// AddonsListed is true when ListAddons answered, so that Addons and
	// OtherAddons together are every add-on of the cluster.
	AddonsListed bool
	// AddonDefaultVersions maps an addon to the version
	// DescribeAddonVersions marks default for AddonVersionsFor; read for
	// addons to be created without a version in the spec.
	AddonDefaultVersions map[string]string
	AddonVersionsFor     string
	// KMSKey is the secrets encryption key, read unless the cluster already
	// uses it.
	KMSKey *KMSKeySnapshot
	// Fallbacks say what could not be read (an optional API that the
	// endpoint does not serve or the caller may not call) and the
	// documented fallback taken instead, such as "the support status of
	// Kubernetes 1.33 was not checked". Observe also logs each at warning
	// level.
	Fallbacks []string
}

// NetworkSnapshot is the live network.
type NetworkSnapshot struct {
	// VPCs are the VPC fargatekit created (more than one only after a
	// create whose answer was lost), or the VPCs of adopted subnets.
	VPCs []ec2types.Vpc
	// Subnets are the created or adopted subnets.
	Subnets []ec2types.Subnet
	// RouteTables are the created route tables, or all route tables of the
	// adopted subnets' VPCs (to tell private subnets from public ones).
	RouteTables []ec2types.RouteTable
	// InternetGateways, NATGateways (not deleted or failed) and Addresses
	// (Elastic IPs) are those fargatekit created, attached or not.
	InternetGateways []ec2types.InternetGateway
	NATGateways      []ec2types.NatGateway
	Addresses        []ec2types.Address
}

// RoleSnapshot is an IAM role with its trust policy and attached managed
// policies.
type RoleSnapshot struct {
	// Name is the role name looked up.
	Name string
	// Role is GetRole's answer; nil when the role does not exist.
	Role *iamtypes.Role
	// Trust is the parsed trust policy (IAM returns it URL-encoded;
	// iamtrust.ParseLive decodes it once).
	Trust *iamtrust.Document
	// TrustError is why the trust policy could not be parsed.
	TrustError string
	// AttachedPolicyARNs are the managed policies attached to the role.
	AttachedPolicyARNs []string
	// InlinePolicyNames are the names of the role's inline policies.
	InlinePolicyNames []string
}

// KMSKeySnapshot is the secrets encryption key as KMS describes it to the
// caller.
type KMSKeySnapshot struct {
	// ARN as the spec gives it.
	ARN string
	// Metadata is DescribeKey's answer; nil when the call failed.
	Metadata *kmstypes.KeyMetadata
	// Denied and NotFound classify a failed DescribeKey; Err is its text.
	Denied, NotFound bool
	Err              string
}

// Observe reads the live state of everything spec names: at most once each,
// lists paginated, independent reads in parallel (Options.Concurrency at a
// time). It changes nothing. Reads that are refused (access denied) or fail
// for another reason than "not found" make it fail: nothing is passed over
// silently. The exceptions have documented fallbacks, recorded in
// Snapshot.Fallbacks and logged as warnings: the version catalogue
// (DescribeClusterVersions: the spec's version is used, its support status
// unchecked) and the add-ons' default versions (DescribeAddonVersions:
// EKS's default at creation). A read the endpoint does not serve or the
// caller may not make, without a fallback, fails with *UnavailableError.
func Observe(ctx context.Context, spec *Spec, opts ...func(*Options)) (*Snapshot, error) {
	o := newOptions(opts)
	if err := o.Clients.check(); err != nil {
		return nil, err
	}
	s := spec.Clone().Defaults()
	return observeSpec(ctx, o, s)
}

func (c Clients) check() error {
	var missing []string
	if c.EKS == nil {
		missing = append(missing, "EKS")
	}
	if c.IAM == nil {
		missing = append(missing, "IAM")
	}
	if c.EC2 == nil {
		missing = append(missing, "EC2")
	}
	if c.KMS == nil {
		missing = append(missing, "KMS")
	}
	if c.STS == nil {
		missing = append(missing, "STS")
	}
	if len(missing) > 0 {
		return fmt.Errorf("eksfargate: Options.Clients lacks %s (use eksfargate.FromConfig)", strings.Join(missing, ", "))
	}
	return nil
}

// obsGroup runs tasks with bounded concurrency and joins their errors.
type obsGroup struct {
	ctx  context.Context
	sem  chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func newObsGroup(ctx context.Context, n int) *obsGroup {
	return &obsGroup{ctx: ctx, sem: make(chan struct{}, n)}
}

func (g *obsGroup) do(f func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		select {
		case g.sem <- struct{}{}:
		case <-g.ctx.Done():
			g.fail(g.ctx.Err())
			return
		}
		defer func() { <-g.sem }()
		if err := f(g.ctx); err != nil {
			g.fail(err)
		}
	}()
}

func (g *obsGroup) fail(err error) {
	g.mu.Lock()
	g.errs = append(g.errs, err)
	g.mu.Unlock()
}

func (g *obsGroup) wait() error {
	g.wg.Wait()
	return errors.Join(g.errs...)
}

// observer holds the state of one Observe call.
type observer struct {
	o    Options
	c    Clients
	s    *Spec
	log  *zap.Logger
	mu   sync.Mutex
	snap *Snapshot
}

func observeSpec(ctx context.Context, o Options, s *Spec) (*Snapshot, error) {
	ob := &observer{o: o, c: o.Clients, s: s, log: o.Logger, snap: &Snapshot{
		AccountID: s.AccountID,
		Partition: iamtrust.PartitionForRegion(s.Region),
		Addons:    map[string]*ekstypes.Addon{},

		OtherAddons: map[string]*ekstypes.Addon{},
	}}
	ob.snap.ClusterRole.Name = roleName(s.ClusterRole)
	ob.snap.PodExecutionRole.Name = roleName(s.PodExecutionRole)

	// Phase 1: everything that depends on nothing.
	g := newObsGroup(ctx, o.Concurrency)
	if s.AccountID == "" {
		g.do(ob.callerIdentity)
	}
	g.do(ob.cluster)
	for _, r := range []*RoleSnapshot{&ob.snap.ClusterRole, &ob.snap.PodExecutionRole} {
		if r.Name == "" {
			continue
		}
		g.do(func(ctx context.Context) error { return ob.role(ctx, r) })
	}
	if 1+len(s.ClusterRole.ExtraManagedPolicyARNs) > defaultAttachedPoliciesQuota || 1+len(s.PodExecutionRole.ExtraManagedPolicyARNs) > defaultAttachedPoliciesQuota {
		g.do(ob.attachedPoliciesQuota)
	}
	if s.Network.VPC != nil {
		ob.ownedNetwork(g)
	} else if len(s.Network.SubnetIDs) > 0 {
		g.do(ob.adoptedSubnets)
	}
	if err := g.wait(); err != nil {
		return nil, err
	}

	// Phase 2: what depends on the cluster or the subnets.
	g = newObsGroup(ctx, o.Concurrency)
	cl := ob.snap.Cluster
	if cl != nil && cl.Status != ekstypes.ClusterStatusDeleting {
		ob.fargateProfiles(g)
		for _, a := range s.Addons {
			g.do(func(ctx context.Context) error { return ob.addon(ctx, a.Name) })
		}
		g.do(ob.otherAddons)
	}
	if ob.needVersions() {
		g.do(ob.clusterVersions)
	}
	if k := s.Cluster.SecretsKMSKeyARN; k != "" && !clusterUsesKey(cl, k) {
		g.do(ob.kmsKey)
	}
	if s.Network.VPC != nil && len(s.Network.VPC.AvailabilityZones) == 0 && len(ob.snap.Network.Subnets) == 0 {
		g.do(ob.availabilityZones)
	}
	if s.Network.VPC == nil && len(ob.snap.Network.Subnets) > 0 {
		g.do(ob.adoptedRoutes)
	}
	if err := g.wait(); err != nil {
		return nil, err
	}
	ob.snap.sortProfiles()

	// Phase 3: default addon versions, which need the Kubernetes version.
	kv := kubernetesVersion(s, ob.snap)
	var need []string
	for _, a := range s.Addons {
		if a.Version == "" && ob.snap.Addons[a.Name] == nil && kv != "" {
			need = append(need, a.Name)
		}
	}
	if len(need) > 0 {
		ob.snap.AddonDefaultVersions = map[string]string{}
		ob.snap.AddonVersionsFor = kv
		g = newObsGroup(ctx, o.Concurrency)
		for _, name := range need {
			g.do(func(ctx context.Context) error { return ob.addonDefault(ctx, name, kv) })
		}
		if err := g.wait(); err != nil {
			return nil, err
		}
	}
	return ob.snap, nil
}

// roleName is the name of the role a RoleSpec creates or adopts.
func roleName(r RoleSpec) string {
	if r.ARN != "" {
		return r.ARN[strings.LastIndexByte(r.ARN, '/')+1:]
	}
	return r.Name
}

func clusterUsesKey(cl *ekstypes.Cluster, key string) bool {
	if cl == nil {
		return false
	}
	for _, e := range cl.EncryptionConfig {
		if e.Provider != nil && aws.ToString(e.Provider.KeyArn) == key {
			return true
		}
	}
	return false
}

func (ob *observer) needVersions() bool {
	cl := ob.snap.Cluster
	v := ob.s.Cluster.Version
	return cl == nil || (v != "" && v != aws.ToString(cl.Version))
}

func readErr(what string, err error) error {
	if awsAccessDenied(err) {
		return fmt.Errorf("eksfargate: observe: %s: access denied (the caller needs read permission for it): %w", what, err)
	}
	return fmt.Errorf("eksfargate: observe: %s: %w", what, err)
}

func (ob *observer) callerIdentity(ctx context.Context) error {
	account, a, err := observe.Caller(ctx, ob.c.STS)
	if err != nil {
		return readErr("sts GetCallerIdentity", err)
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.snap.AccountID = account
	if strings.HasPrefix(a, "arn:") {
		if parts := strings.SplitN(a, ":", 3); len(parts) == 3 {
			ob.snap.Partition = parts[1]
		}
	}
	return nil
}

func (ob *observer) cluster(ctx context.Context) error {
	cl, err := observe.Cluster(ctx, ob.c.EKS, ob.s.Name)
	if awsNotFound(err) {
		return nil
	}
	if err != nil {
		return readErr("eks DescribeCluster "+ob.s.Name, err)
	}
	ob.mu.Lock()
	ob.snap.Cluster = cl
	ob.mu.Unlock()
	return nil
}

// role reads a spec role with its policies (observe.RolePolicies, as irsa
// and the audit read roles): its trust policy, and the managed and the
// names of the inline policies, which out-of-band drift is judged on (a
// spec's roles carry no inline policy, so every one is drift).
func (ob *observer) role(ctx context.Context, r *RoleSnapshot) error {
	live, err := observe.RolePolicies(ctx, ob.c.IAM, r.Name, nil)
	if awsNotFound(err) {
		return nil
	}
	if err != nil {
		return readErr("iam role "+r.Name+" and its policies", err)
	}
	if live.Role == nil {
		return nil
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	r.Role = live.Role
	if doc, err := iamtrust.ParseLive(aws.ToString(live.Role.AssumeRolePolicyDocument)); err != nil {
		r.TrustError = err.Error()
	} else {
		r.Trust = doc
	}
	r.AttachedPolicyARNs = live.AttachedARNs()
	r.InlinePolicyNames = live.InlineNames
	return nil
}

// defaultAttachedPoliciesQuota is IAM's default AttachedPoliciesPerRoleQuota;
// accounts can only raise it.
const defaultAttachedPoliciesQuota = 10

// attachedPoliciesQuota reads the account's AttachedPoliciesPerRoleQuota.
func (ob *observer) attachedPoliciesQuota(ctx context.Context) error {
	summary, err := observe.AccountSummary(ctx, ob.c.IAM)
	if err != nil {
		return readErr("iam GetAccountSummary (a role asks for more than the default 10 managed policies)", err)
	}
	ob.mu.Lock()
	ob.snap.AttachedPoliciesQuota = int(summary["AttachedPoliciesPerRoleQuota"])
	ob.mu.Unlock()
	return nil
}

// ownerFilter selects resources tagged for this cluster. moto ignores some
// tag filters, so results are filtered again with ownedBy.
func (ob *observer) ownerFilter() []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("tag:" + OwnerTag), Values: []string{ob.s.Name}}}
}

func ownedBy(tags []ec2types.Tag, cluster string) bool {
	return ec2Tag(tags, OwnerTag) == cluster
}

func ec2Tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// ownedNetwork reads the VPC fargatekit created for the cluster and
// everything in it, by OwnerTag, one paginated describe per kind, in
// parallel. Resources created but not yet attached (an internet gateway, an
// Elastic IP) are found the same way, so an interrupted apply resumes
// without duplicates.
func (ob *observer) ownedNetwork(g *obsGroup) {
	name := ob.s.Name
	n := &ob.snap.Network
	g.do(func(ctx context.Context) error {
		all, err := observe.VPCs(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeVpcs", err)
		}
		var out []ec2types.Vpc
		for _, v := range all {
			if ownedBy(v.Tags, name) {
				out = append(out, v)
			}
		}
		ob.mu.Lock()
		n.VPCs = out
		ob.mu.Unlock()
		return nil
	})
	g.do(func(ctx context.Context) error {
		all, err := observe.Subnets(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeSubnets", err)
		}
		var out []ec2types.Subnet
		for _, s := range all {
			if ownedBy(s.Tags, name) {
				out = append(out, s)
			}
		}
		ob.mu.Lock()
		n.Subnets = out
		ob.mu.Unlock()
		return nil
	})
	g.do(func(ctx context.Context) error {
		all, err := observe.RouteTables(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeRouteTables", err)
		}
		var out []ec2types.RouteTable
		for _, r := range all {
			if ownedBy(r.Tags, name) {
				out = append(out, r)
			}
		}
		ob.mu.Lock()
		n.RouteTables = out
		ob.mu.Unlock()
		return nil
	})
	g.do(func(ctx context.Context) error {
		all, err := observe.InternetGateways(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeInternetGateways", err)
		}
		var out []ec2types.InternetGateway
		for _, i := range all {
			if ownedBy(i.Tags, name) {
				out = append(out, i)
			}
		}
		ob.mu.Lock()
		n.InternetGateways = out
		ob.mu.Unlock()
		return nil
	})
	g.do(func(ctx context.Context) error {
		all, err := observe.NATGateways(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeNatGateways", err)
		}
		var out []ec2types.NatGateway
		for _, g := range all {
			switch g.State {
			case ec2types.NatGatewayStateDeleted, ec2types.NatGatewayStateDeleting, ec2types.NatGatewayStateFailed:
				continue
			}
			if ownedBy(g.Tags, name) {
				out = append(out, g)
			}
		}
		ob.mu.Lock()
		n.NATGateways = out
		ob.mu.Unlock()
		return nil
	})
	g.do(func(ctx context.Context) error {
		all, err := observe.Addresses(ctx, ob.c.EC2, ob.ownerFilter())
		if err != nil {
			return readErr("ec2 DescribeAddresses", err)
		}
		var owned []ec2types.Address
		for _, a := range all {
			if ownedBy(a.Tags, name) {
				owned = append(owned, a)
			}
		}
		ob.mu.Lock()
		n.Addresses = owned
		ob.mu.Unlock()
		return nil
	})
}

// adoptedSubnetIDs are the subnets the spec names: the cluster's and the
// profiles'.
func (s *Spec) adoptedSubnetIDs() []string {
	ids := slices.Clone(s.Network.SubnetIDs)
	for _, p := range s.FargateProfiles {
		for _, id := range p.Subnets {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// adoptedSubnets reads the subnets the spec adopts. It filters by ID rather
// than passing SubnetIds, so that one missing subnet does not fail the call;
// Diff reports it.
func (ob *observer) adoptedSubnets(ctx context.Context) error {
	out, err := observe.Subnets(ctx, ob.c.EC2, []ec2types.Filter{{Name: aws.String("subnet-id"), Values: ob.s.adoptedSubnetIDs()}})
	if err != nil {
		return readErr("ec2 DescribeSubnets", err)
	}
	ob.mu.Lock()
	ob.snap.Network.Subnets = out
	ob.mu.Unlock()
	return nil
}

// adoptedRoutes reads the route tables and VPCs of adopted subnets, to tell
// private subnets from public ones and to check the service CIDR.
func (ob *observer) adoptedRoutes(ctx context.Context) error {
	var vpcs []string
	for _, s := range ob.snap.Network.Subnets {
		if id := aws.ToString(s.VpcId); id != "" && !slices.Contains(vpcs, id) {
			vpcs = append(vpcs, id)
		}
	}
	sort.Strings(vpcs)
	rts, err := observe.RouteTables(ctx, ob.c.EC2, []ec2types.Filter{{Name: aws.String("vpc-id"), Values: vpcs}})
	if err != nil {
		return readErr("ec2 DescribeRouteTables", err)
	}
	vs, err := observe.VPCs(ctx, ob.c.EC2, nil, vpcs...)
	if err != nil {
		return readErr("ec2 DescribeVpcs", err)
	}
	ob.mu.Lock()
	ob.snap.Network.RouteTables = rts
	ob.snap.Network.VPCs = vs
	ob.mu.Unlock()
	return nil
}

func (ob *observer) availabilityZones(ctx context.Context) error {
	azs, err := observe.AvailabilityZones(ctx, ob.c.EC2, []ec2types.Filter{{Name: aws.String("state"), Values: []string{"available"}}})
	if err != nil {
		return readErr("ec2 DescribeAvailabilityZones", err)
	}
	var zones []string
	for _, z := range azs {
		if z.ZoneType == nil || aws.ToString(z.ZoneType) == "availability-zone" {
			zones = append(zones, aws.ToString(z.ZoneName))
		}
	}
	sort.Strings(zones)
	ob.mu.Lock()
	ob.snap.AvailabilityZones = zones
	ob.mu.Unlock()
	return nil
}

// fargateProfiles lists the cluster's Fargate profiles in a task of g and
// describes each in a task of its own of the same group, so that at most
// Options.Concurrency reads are in flight. The tasks append to the
// snapshot; observeSpec sorts the profiles by name once g is done.
func (ob *observer) fargateProfiles(g *obsGroup) {
	g.do(func(ctx context.Context) error {
		names, err := observe.FargateProfileNames(ctx, ob.c.EKS, ob.s.Name)
		if awsNotFound(err) {
			return nil
		}
		if err != nil {
			return readErr("eks ListFargateProfiles "+ob.s.Name, err)
		}
		other := map[string]bool{}
		for _, n := range names {
			other[n] = true
			for _, sp := range ob.s.FargateProfiles {
				if profileBelongsTo(sp.Name, n) {
					other[n] = false
					break
				}
			}
		}
		sort.Strings(names)
		for _, n := range names {
			g.do(func(ctx context.Context) error {
				fp, err := observe.FargateProfile(ctx, ob.c.EKS, ob.s.Name, n)
				switch {
				case awsNotFound(err):
					return nil
				case err != nil:
					return readErr("eks DescribeFargateProfile "+n, err)
				case fp == nil:
					return nil
				}
				ob.mu.Lock()
				defer ob.mu.Unlock()
				if other[aws.ToString(fp.FargateProfileName)] {
					ob.snap.OtherFargateProfiles = append(ob.snap.OtherFargateProfiles, *fp)
				} else {
					ob.snap.FargateProfiles = append(ob.snap.FargateProfiles, *fp)
				}
				return nil
			})
		}
		return nil
	})
}

// sortProfiles orders the profiles fargateProfiles read by name.
func (snap *Snapshot) sortProfiles() {
	byName := func(a, b ekstypes.FargateProfile) int {
		return strings.Compare(aws.ToString(a.FargateProfileName), aws.ToString(b.FargateProfileName))
	}
	slices.SortStableFunc(snap.FargateProfiles, byName)
	slices.SortStableFunc(snap.OtherFargateProfiles, byName)
}

// otherAddons lists the cluster's add-ons (one ListAddons) and describes
// those the spec does not name, for pruning.
func (ob *observer) otherAddons(ctx context.Context) error {
	inSpec := map[string]bool{}
	for _, a := range ob.s.Addons {
		inSpec[a.Name] = true
	}
	all, err := observe.AddonNames(ctx, ob.c.EKS, ob.s.Name)
	if awsNotFound(err) {
		return nil
	}
	if u := unavailable("eks:ListAddons", "the cluster's add-ons", "grant the permission, or use an endpoint that serves the EKS add-ons API; add-ons the spec no longer names are not pruned until then", err); u != nil {
		ob.fallback("the cluster's add-ons could not be listed (eks:ListAddons): add-ons the spec no longer names are not pruned", u)
		return nil
	}
	if err != nil {
		return readErr("eks ListAddons "+ob.s.Name, err)
	}
	ob.mu.Lock()
	ob.snap.AddonsListed = true
	ob.mu.Unlock()
	var names []string
	for _, n := range all {
		if !inSpec[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		a, err := observe.Addon(ctx, ob.c.EKS, ob.s.Name, n)
		if awsNotFound(err) {
			continue
		}
		if err != nil {
			return readErr("eks DescribeAddon "+n, err)
		}
		ob.mu.Lock()
		ob.snap.OtherAddons[n] = a
		ob.mu.Unlock()
	}
	return nil
}

func (ob *observer) addon(ctx context.Context, name string) error {
	a, err := observe.Addon(ctx, ob.c.EKS, ob.s.Name, name)
	if awsNotFound(err) {
		return nil
	}
	if u := unavailable("eks:DescribeAddon", "addon "+name, "grant the permission, use an endpoint that serves the EKS add-ons API, or remove the addon from the spec's addons", err); u != nil {
		return u
	}
	if err != nil {
		return readErr("eks DescribeAddon "+name, err)
	}
	ob.mu.Lock()
	ob.snap.Addons[name] = a
	ob.mu.Unlock()
	return nil
}

func (ob *observer) clusterVersions(ctx context.Context) error {
	all, err := observe.ClusterVersions(ctx, ob.c.EKS)
	if u := unavailable("eks:DescribeClusterVersions", "", "", err); u != nil {
		// The documented fallback: the spec's version, unchecked.
		what := "the spec names no version"
		if v := ob.s.Cluster.Version; v != "" {
			what = "the support status of Kubernetes " + v + " was not checked"
		}
		ob.fallback(fmt.Sprintf("the EKS version catalogue is unavailable (%s %s): %s", u.API, u.Kind, what), u)
		return nil
	}
	if err != nil {
		return readErr("eks DescribeClusterVersions", err)
	}
	ob.mu.Lock()
	ob.snap.ClusterVersions = all
	ob.snap.VersionsRead = true
	ob.mu.Unlock()
	return nil
}

// fallback records (and logs) a read that fell back on a documented
// default.
func (ob *observer) fallback(msg string, u *UnavailableError) {
	ob.log.Warn(msg, zap.String("api", u.API), zap.Stringer("kind", u.Kind))
	ob.mu.Lock()
	ob.snap.Fallbacks = append(ob.snap.Fallbacks, msg)
	sort.Strings(ob.snap.Fallbacks)
	ob.mu.Unlock()
}

func (ob *observer) kmsKey(ctx context.Context) error {
	k := &KMSKeySnapshot{ARN: ob.s.Cluster.SecretsKMSKeyARN}
	md, err := observe.Key(ctx, ob.c.KMS, k.ARN)
	switch {
	case err == nil:
		k.Metadata = md
	case awsAccessDenied(err):
		k.Denied, k.Err = true, err.Error()
	case awsNotFound(err):
		k.NotFound, k.Err = true, err.Error()
	default:
		return readErr("kms DescribeKey "+k.ARN, err)
	}
	ob.mu.Lock()
	ob.snap.KMSKey = k
	ob.mu.Unlock()
	return nil
}

func (ob *observer) addonDefault(ctx context.Context, name, k8s string) error {
	def := ""
	err := observe.AddonVersions(ctx, ob.c.EKS, name, k8s, func(addons []ekstypes.AddonInfo) error {
		for _, a := range addons {
			if aws.ToString(a.AddonName) != name {
				continue
			}
			for _, v := range a.AddonVersions {
				for _, c := range v.Compatibilities {
					if aws.ToString(c.ClusterVersion) == k8s && c.DefaultVersion && def == "" {
						def = aws.ToString(v.AddonVersion)
					}
				}
			}
		}
		return nil
	})
	if u := unavailable("eks:DescribeAddonVersions", "addon "+name, "", err); u != nil {
		// The documented fallback: CreateAddon without a version installs
		// EKS's default for the cluster's version.
		ob.fallback(fmt.Sprintf("the default version of addon %s could not be read (%s %s): EKS picks its default when the addon is created", name, u.API, u.Kind), u)
		return nil
	}
	if err != nil {
		return readErr("eks DescribeAddonVersions "+name, err)
	}
	ob.mu.Lock()
	if def != "" {
		ob.snap.AddonDefaultVersions[name] = def
	}
	ob.mu.Unlock()
	return nil
}

// kubernetesVersion is the version the cluster has or will have: the spec's,
// else the live cluster's, else the newest in standard support.
func kubernetesVersion(s *Spec, snap *Snapshot) string {
	if s.Cluster.Version != "" {
		return s.Cluster.Version
	}
	if snap.Cluster != nil {
		return aws.ToString(snap.Cluster.Version)
	}
	return newestStandardVersion(snap.ClusterVersions)
}

func newestStandardVersion(vs []ekstypes.ClusterVersionInformation) string {
	best := ""
	for _, v := range vs {
		if v.VersionStatus != ekstypes.VersionStatusStandardSupport {
			continue
		}
		if cv := aws.ToString(v.ClusterVersion); best == "" || compareVersions(cv, best) > 0 {
			best = cv
		}
	}
	return best
}

// compareVersions compares "MAJOR.MINOR" versions numerically.
func compareVersions(a, b string) int {
	am, an, _ := splitVersion(a)
	bm, bn, _ := splitVersion(b)
	if am != bm {
		return am - bm
	}
	return an - bn
}

func splitVersion(v string) (major, minor int, ok bool) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	fmt.Sscan(m[1], &major)
	fmt.Sscan(m[2], &minor)
	return major, minor, true
}
