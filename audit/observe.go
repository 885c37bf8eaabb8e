package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"

	"github.com/fargatekit/fargatekit/eksfargate/observe"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
)

// Observe reads the target's AWS account and clusters into a Snapshot. It
// reads in bulk (paginated lists rather than one get per item), with at most
// Options.Concurrency AWS reads in flight, and each AWS read at most once.
//
// A read that fails (access denied, a cluster API that does not answer) is
// recorded in Snapshot.Unavailable and observation goes on. Observe returns
// an error only when it cannot run at all: an invalid target, no caller
// identity, or a cancelled context.
func Observe(ctx context.Context, t Target, opts ...func(*Options)) (*Snapshot, error) {
	o := resolve(opts)
	return observeTarget(ctx, t, &o)
}

// observer holds the state of one observation.
type observer struct {
	o       *Options
	log     *zap.Logger
	s       *Snapshot
	sem     chan struct{}
	kubeSem chan struct{}

	mu      sync.Mutex
	clients map[string]Clients
	bulk    *bulkRead // nil unless GetAccountAuthorizationDetails answered
}

func observeTarget(ctx context.Context, t Target, o *Options) (*Snapshot, error) {
	regions, err := t.validate()
	if err != nil {
		return nil, err
	}
	ob := &observer{
		o:       o,
		log:     o.Logger,
		sem:     make(chan struct{}, o.Concurrency),
		kubeSem: make(chan struct{}, o.Concurrency),
		clients: map[string]Clients{},
		s: &Snapshot{
			Regions:         regions,
			ObservedAt:      o.Now().UTC(),
			Spec:            t.Spec,
			ClusterVersions: map[string][]ClusterVersion{},
			Network:         map[string]*Network{},
			KMSKeys:         map[string]*KMSKey{},
			Policies:        map[string]*ManagedPolicy{},
		},
	}
	s := ob.s
	if err := ob.identify(ctx, regions[0]); err != nil {
		return nil, err
	}

	var wg sync.WaitGroup
	var rolesOK bool
	wg.Go(func() { rolesOK = ob.readRoles(ctx) })
	wg.Go(func() { ob.readOIDCProviders(ctx) })
	wg.Go(func() { ob.readAccountSummary(ctx) })
	for _, region := range regions {
		wg.Go(func() { ob.readClusterVersions(ctx, region) })
	}
	ob.readClusters(ctx, t, regions) // clusters, then their sub-resources and Kubernetes state
	if err := ctx.Err(); err != nil {
		wg.Wait()
		return nil, err
	}
	// Network and keys need the clusters' subnet and key IDs.
	for _, region := range regions {
		wg.Go(func() { ob.readNetwork(ctx, region) })
	}
	wg.Go(func() { ob.readKMSKeys(ctx) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Policies need roles, clusters and OIDC providers.
	if rolesOK {
		ob.readRolePolicies(ctx)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.sort()
	return s, nil
}

// clientsFor returns (and caches) the clients of a region.
func (ob *observer) clientsFor(region string) Clients {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	c, ok := ob.clients[region]
	if !ok {
		c = ob.o.Clients(region)
		ob.clients[region] = c
	}
	return c
}

// call runs one AWS request under the concurrency bound.
func (ob *observer) call(ctx context.Context, f func() error) error {
	select {
	case ob.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ob.sem }()
	return f()
}

// unavailable records a part that could not be read.
func (ob *observer) unavailable(u Unavailable) {
	ob.log.Warn("audit: could not read", zap.String("what", u.What), zap.String("region", u.Region),
		zap.String("cluster", u.Cluster), zap.String("resource", u.Resource), zap.String("reason", u.Reason))
	ob.mu.Lock()
	ob.s.Unavailable = append(ob.s.Unavailable, u)
	ob.mu.Unlock()
}

// reason describes a failed read: the AWS error code and message when the
// error is an API error, else the error text.
func reason(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// identify sets the account and partition.
func (ob *observer) identify(ctx context.Context, region string) error {
	s := ob.s
	s.Partition = iamtrust.PartitionForRegion(region)
	if ob.o.AccountID != "" {
		s.Account = ob.o.AccountID
		return nil
	}
	var account, callerARN string
	err := ob.call(ctx, func() (err error) {
		account, callerARN, err = observe.Caller(ctx, ob.clientsFor(region).STS)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit: identify the caller (sts:GetCallerIdentity): %w", err)
	}
	s.Account = account
	if a, err := arn.Parse(callerARN); err == nil && a.Partition != "" {
		s.Partition = a.Partition
	}
	return nil
}

// iamRegion is the region whose clients make the global IAM calls.
func (ob *observer) iamRegion() string { return ob.s.Regions[0] }

// bulkRole is what GetAccountAuthorizationDetails returned for one role,
// kept raw until the role turns out to be wired to an audited cluster.
type bulkRole struct {
	tags     map[string]string
	attached []AttachedPolicy
	inline   [][2]string // name, URL-encoded document
	boundary string
}

// bulkRead is the outcome of the bulk IAM read: per-role policies and the
// customer managed policies at their default version, both raw.
type bulkRead struct {
	roles    map[string]*bulkRole // by role ARN
	policies map[string]*iamtypes.ManagedPolicyDetail
}

// readRoles reads every role of the account once, with its trust policy.
// It first tries IAM's bulk read, GetAccountAuthorizationDetails (roles with
// their inline and attached policies and boundary, and the customer managed
// policies with their versions: a few pages for the whole account); when
// that is denied or not served it falls back to ListRoles, says so, and
// readRolePolicies reads the wired roles' policies one by one.
func (ob *observer) readRoles(ctx context.Context) bool {
	if ob.readAuthorizationDetails(ctx) {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	api := ob.clientsFor(ob.iamRegion()).IAM
	var roles []*Role
	err := ob.call(ctx, func() error {
		return observe.Roles(ctx, api, func(page []iamtypes.Role) error {
			for _, r := range page {
				roles = append(roles, newRole(aws.ToString(r.RoleName), aws.ToString(r.Arn), aws.ToString(r.Path), aws.ToString(r.RoleId), aws.ToString(r.AssumeRolePolicyDocument)))
			}
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartRoles, Resource: "iam:ListRoles", Reason: reason(err)})
		}
		return false
	}
	ob.mu.Lock()
	ob.s.Roles = roles
	ob.mu.Unlock()
	return true
}

// newRole builds a Role, decoding and parsing its trust policy once.
func newRole(name, roleARN, path, id, rawTrust string) *Role {
	role := &Role{Name: name, ARN: roleARN, Path: path, RoleID: id}
	if src, err := iamtrust.DecodeLive(rawTrust); err == nil {
		role.TrustSource = src
	} else {
		role.TrustSource = rawTrust
	}
	if doc, err := iamtrust.ParseLive(rawTrust); err == nil {
		role.Trust = doc
	} else {
		role.TrustError = err.Error()
	}
	return role
}

// readAuthorizationDetails reads the account's roles and customer managed
// policies with GetAccountAuthorizationDetails. It reports false, after a
// warning, when the read is denied or not served.
func (ob *observer) readAuthorizationDetails(ctx context.Context) bool {
	api := ob.clientsFor(ob.iamRegion()).IAM
	bulk := &bulkRead{roles: map[string]*bulkRole{}, policies: map[string]*iamtypes.ManagedPolicyDetail{}}
	var roles []*Role
	err := ob.call(ctx, func() error {
		return observe.AuthorizationDetails(ctx, api, []iamtypes.EntityType{iamtypes.EntityTypeRole, iamtypes.EntityTypeLocalManagedPolicy}, func(out *iam.GetAccountAuthorizationDetailsOutput) error {
			ob.bulkPage(out, bulk, &roles)
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			ob.warn("iam:GetAccountAuthorizationDetails failed (" + reason(err) + "); reading roles and their policies one by one instead, which costs several calls per wired role")
		}
		return false
	}
	ob.mu.Lock()
	ob.s.Roles = roles
	ob.bulk = bulk
	ob.mu.Unlock()
	return true
}

// bulkPage keeps one page of the bulk read: each role with its trust, and
// its policies and boundary raw until the role turns out to be wired.
func (ob *observer) bulkPage(out *iam.GetAccountAuthorizationDetailsOutput, bulk *bulkRead, roles *[]*Role) {
	for _, r := range out.RoleDetailList {
		role := newRole(aws.ToString(r.RoleName), aws.ToString(r.Arn), aws.ToString(r.Path), aws.ToString(r.RoleId), aws.ToString(r.AssumeRolePolicyDocument))
		br := &bulkRole{tags: ops.TagMap(r.Tags)}
		for _, ap := range r.AttachedManagedPolicies {
			br.attached = append(br.attached, AttachedPolicy{Name: aws.ToString(ap.PolicyName), ARN: aws.ToString(ap.PolicyArn)})
		}
		for _, ip := range r.RolePolicyList {
			br.inline = append(br.inline, [2]string{aws.ToString(ip.PolicyName), aws.ToString(ip.PolicyDocument)})
		}
		if b := r.PermissionsBoundary; b != nil {
			br.boundary = aws.ToString(b.PermissionsBoundaryArn)
		}
		bulk.roles[role.ARN] = br
		*roles = append(*roles, role)
	}
	for i := range out.Policies {
		bulk.policies[aws.ToString(out.Policies[i].Arn)] = &out.Policies[i]
	}
}

// warn records a note about how the observation went.
func (ob *observer) warn(msg string) {
	ob.log.Warn("audit: " + msg)
	ob.mu.Lock()
	ob.s.Warnings = append(ob.s.Warnings, msg)
	ob.mu.Unlock()
}

// readAccountSummary reads the account's IAM quotas.
func (ob *observer) readAccountSummary(ctx context.Context) {
	var summary map[string]int32
	err := ob.call(ctx, func() (err error) {
		summary, err = observe.AccountSummary(ctx, ob.clientsFor(ob.iamRegion()).IAM)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartAccountSummary, Resource: "iam:GetAccountSummary", Reason: reason(err)})
		}
		return
	}
	q := &Quotas{
		AssumeRolePolicySize:    int(summary["AssumeRolePolicySizeQuota"]),
		AttachedPoliciesPerRole: int(summary["AttachedPoliciesPerRoleQuota"]),
		RolePolicySize:          int(summary["RolePolicySizeQuota"]),
		PolicySize:              int(summary["PolicySizeQuota"]),
	}
	ob.mu.Lock()
	ob.s.Quotas = q
	ob.mu.Unlock()
}

// readOIDCProviders lists the OIDC providers and reads each.
func (ob *observer) readOIDCProviders(ctx context.Context) {
	api := ob.clientsFor(ob.iamRegion()).IAM
	var list []string
	err := ob.call(ctx, func() (err error) {
		list, err = observe.OIDCProviderARNs(ctx, api)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartOIDCProviders, Resource: "iam:ListOpenIDConnectProviders", Reason: reason(err)})
		}
		return
	}
	provs := make([]*OIDCProvider, len(list))
	var wg sync.WaitGroup
	for i, provARN := range list {
		wg.Go(func() {
			var out *iam.GetOpenIDConnectProviderOutput
			err := ob.call(ctx, func() (err error) {
				out, err = observe.OIDCProvider(ctx, api, provARN)
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					ob.unavailable(Unavailable{What: PartOIDCProviders, Resource: provARN, Reason: reason(err)})
				}
				return
			}
			provs[i] = &OIDCProvider{ARN: provARN, URL: aws.ToString(out.Url), ClientIDs: out.ClientIDList}
		})
	}
	wg.Wait()
	var ok []*OIDCProvider
	for _, p := range provs {
		if p != nil {
			ok = append(ok, p)
		}
	}
	ob.mu.Lock()
	ob.s.OIDCProviders = ok
	ob.mu.Unlock()
}

// readClusterVersions reads the region's version catalogue once.
func (ob *observer) readClusterVersions(ctx context.Context, region string) {
	api := ob.clientsFor(region).EKS
	var all []ekstypes.ClusterVersionInformation
	err := ob.call(ctx, func() (err error) { all, err = observe.ClusterVersions(ctx, api); return err })
	if err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartClusterVersions, Region: region, Resource: "eks:DescribeClusterVersions", Reason: reason(err)})
		}
		return
	}
	var versions []ClusterVersion
	for _, v := range all {
		status := string(v.VersionStatus)
		if status == "" {
			// Older answers carry only the deprecated Status field.
			switch v.Status {
			case ekstypes.ClusterVersionStatusStandardSupport:
				status = VersionStandardSupport
			case ekstypes.ClusterVersionStatusExtendedSupport:
				status = VersionExtendedSupport
			case ekstypes.ClusterVersionStatusUnsupported:
				status = VersionUnsupported
			}
		}
		versions = append(versions, ClusterVersion{
			Version:              aws.ToString(v.ClusterVersion),
			Status:               status,
			Default:              v.DefaultVersion,
			EndOfStandardSupport: v.EndOfStandardSupportDate,
			EndOfExtendedSupport: v.EndOfExtendedSupportDate,
		})
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].Version < versions[j].Version })
	ob.mu.Lock()
	ob.s.ClusterVersions[region] = versions
	ob.mu.Unlock()
}

// readClusters finds the target's clusters and reads each fully.
func (ob *observer) readClusters(ctx context.Context, t Target, regions []string) {
	var refs []ClusterRef
	switch {
	case t.Spec != nil:
		refs = []ClusterRef{{Region: t.Spec.Region, Name: t.Spec.Name}}
	case len(t.Clusters) > 0:
		seen := map[ClusterRef]bool{}
		for _, c := range t.Clusters {
			if !seen[c] {
				seen[c] = true
				refs = append(refs, c)
			}
		}
	default:
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, region := range regions {
			wg.Go(func() {
				names := ob.listClusters(ctx, region)
				mu.Lock()
				for _, n := range names {
					refs = append(refs, ClusterRef{Region: region, Name: n})
				}
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	named := len(t.Clusters) > 0
	var wg sync.WaitGroup
	for _, ref := range refs {
		wg.Go(func() { ob.readCluster(ctx, ref, named) })
	}
	wg.Wait()
}

func (ob *observer) listClusters(ctx context.Context, region string) []string {
	var names []string
	err := ob.call(ctx, func() (err error) { names, err = observe.ClusterNames(ctx, ob.clientsFor(region).EKS); return err })
	if err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartClusters, Region: region, Resource: "eks:ListClusters", Reason: reason(err)})
		}
		return nil
	}
	return names
}

// readCluster describes a cluster, then reads its profiles, add-ons, access
// entries, pod identity associations and Kubernetes state in parallel. A
// named cluster that does not exist is recorded as missing and unavailable,
// so that a typo in a cluster name is never a clean report.
func (ob *observer) readCluster(ctx context.Context, ref ClusterRef, named bool) {
	api := ob.clientsFor(ref.Region).EKS
	var described *ekstypes.Cluster
	err := ob.call(ctx, func() (err error) {
		described, err = observe.Cluster(ctx, api, ref.Name)
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if observe.IsNotFound(err) {
			ob.mu.Lock()
			ob.s.MissingClusters = append(ob.s.MissingClusters, ref)
			ob.mu.Unlock()
			if named {
				ob.unavailable(Unavailable{What: PartCluster, Region: ref.Region, Cluster: ob.clusterARN(ref), Resource: ob.clusterARN(ref), Reason: "the cluster does not exist: " + reason(err)})
			}
			return
		}
		ob.unavailable(Unavailable{What: PartCluster, Region: ref.Region, Cluster: ob.clusterARN(ref), Resource: ob.clusterARN(ref), Reason: reason(err)})
		return
	}
	c := clusterFromAPI(ref, described)
	if c.ARN == "" {
		c.ARN = ob.clusterARN(ref)
	}
	ob.mu.Lock()
	ob.s.Clusters = append(ob.s.Clusters, c)
	ob.mu.Unlock()

	var wg sync.WaitGroup
	wg.Go(func() { ob.readProfiles(ctx, c) })
	wg.Go(func() { ob.readAddons(ctx, c) })
	wg.Go(func() { ob.readAccessEntries(ctx, c) })
	wg.Go(func() { ob.readPodIdentity(ctx, c) })
	wg.Go(func() { ob.readKube(ctx, c) })
	wg.Wait()
}

func (ob *observer) clusterARN(ref ClusterRef) string {
	return "arn:" + ob.s.Partition + ":eks:" + ref.Region + ":" + ob.s.Account + ":cluster/" + ref.Name
}

// clusterFromAPI converts DescribeCluster's answer.
func clusterFromAPI(ref ClusterRef, in *ekstypes.Cluster) *Cluster {
	c := &Cluster{Region: ref.Region, Name: ref.Name}
	if in == nil {
		return c
	}
	c.ARN = aws.ToString(in.Arn)
	c.Status = string(in.Status)
	c.Version = aws.ToString(in.Version)
	c.PlatformVersion = aws.ToString(in.PlatformVersion)
	c.Endpoint = aws.ToString(in.Endpoint)
	if in.CertificateAuthority != nil {
		c.CertificateAuthority = aws.ToString(in.CertificateAuthority.Data)
	}
	c.RoleARN = aws.ToString(in.RoleArn)
	if v := in.ResourcesVpcConfig; v != nil {
		c.VPCID = aws.ToString(v.VpcId)
		c.SubnetIDs = append([]string(nil), v.SubnetIds...)
		c.EndpointPublicAccess = v.EndpointPublicAccess
		c.EndpointPrivateAccess = v.EndpointPrivateAccess
		c.PublicAccessCIDRs = append([]string(nil), v.PublicAccessCidrs...)
		if c.EndpointPublicAccess && len(c.PublicAccessCIDRs) == 0 {
			c.PublicAccessCIDRs = []string{"0.0.0.0/0"} // what EKS means and reports
		}
	}
	if n := in.KubernetesNetworkConfig; n != nil {
		c.ServiceIPv4CIDR = aws.ToString(n.ServiceIpv4Cidr)
	}
	if in.Logging != nil {
		seen := map[string]bool{}
		for _, ls := range in.Logging.ClusterLogging {
			if !aws.ToBool(ls.Enabled) {
				continue
			}
			for _, t := range ls.Types {
				if !seen[string(t)] {
					seen[string(t)] = true
					c.Logging = append(c.Logging, string(t))
				}
			}
		}
		sort.Strings(c.Logging)
	}
	for _, ec := range in.EncryptionConfig {
		for _, r := range ec.Resources {
			if r == "secrets" && ec.Provider != nil {
				c.SecretsKMSKeyARN = aws.ToString(ec.Provider.KeyArn)
			}
		}
	}
	c.AuthenticationMode = AuthModeConfigMapDefault
	if in.AccessConfig != nil && in.AccessConfig.AuthenticationMode != "" {
		c.AuthenticationMode = string(in.AccessConfig.AuthenticationMode)
	}
	if in.Identity != nil && in.Identity.Oidc != nil {
		c.OIDCIssuer = aws.ToString(in.Identity.Oidc.Issuer)
	}
	c.DeletionProtection = in.DeletionProtection
	c.Tags = in.Tags
	return c
}

// AuthModeConfigMapDefault is the mode of a cluster whose DescribeCluster
// answer has no accessConfig: clusters created through the API default to
// CONFIG_MAP.
const AuthModeConfigMapDefault = "CONFIG_MAP"

func (ob *observer) readProfiles(ctx context.Context, c *Cluster) {
	api := ob.clientsFor(c.Region).EKS
	fail := func(res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartFargateProfiles, Region: c.Region, Cluster: c.ARN, Resource: res, Reason: reason(err)})
		}
	}
	var names []string
	if err := ob.call(ctx, func() (err error) { names, err = observe.FargateProfileNames(ctx, api, c.Name); return err }); err != nil {
		fail("eks:ListFargateProfiles", err)
		return
	}
	profiles := make([]*FargateProfile, len(names))
	var failed bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			var fp *ekstypes.FargateProfile
			err := ob.call(ctx, func() (err error) {
				fp, err = observe.FargateProfile(ctx, api, c.Name, name)
				return err
			})
			if err != nil {
				if observe.IsNotFound(err) { // deleted since the list
					return
				}
				fail("fargateprofile/"+c.Name+"/"+name, err)
				mu.Lock()
				failed = true
				mu.Unlock()
				return
			}
			if fp == nil {
				return
			}
			prof := &FargateProfile{
				Name:                aws.ToString(fp.FargateProfileName),
				ARN:                 aws.ToString(fp.FargateProfileArn),
				Status:              string(fp.Status),
				PodExecutionRoleARN: aws.ToString(fp.PodExecutionRoleArn),
				Subnets:             append([]string(nil), fp.Subnets...),
			}
			for _, sel := range fp.Selectors {
				prof.Selectors = append(prof.Selectors, Selector{Namespace: aws.ToString(sel.Namespace), Labels: sel.Labels})
			}
			profiles[i] = prof
		})
	}
	wg.Wait()
	if failed {
		return
	}
	for _, p := range profiles {
		if p != nil {
			c.FargateProfiles = append(c.FargateProfiles, p)
		}
	}
}

func (ob *observer) readAddons(ctx context.Context, c *Cluster) {
	api := ob.clientsFor(c.Region).EKS
	fail := func(res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartAddons, Region: c.Region, Cluster: c.ARN, Resource: res, Reason: reason(err)})
		}
	}
	var names []string
	if err := ob.call(ctx, func() (err error) { names, err = observe.AddonNames(ctx, api, c.Name); return err }); err != nil {
		fail("eks:ListAddons", err)
		return
	}
	addons := make([]*Addon, len(names))
	var failed bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			var a *ekstypes.Addon
			err := ob.call(ctx, func() (err error) {
				a, err = observe.Addon(ctx, api, c.Name, name)
				return err
			})
			if err != nil {
				if observe.IsNotFound(err) {
					return
				}
				fail("addon/"+c.Name+"/"+name, err)
				mu.Lock()
				failed = true
				mu.Unlock()
				return
			}
			if a == nil {
				return
			}
			addons[i] = &Addon{
				Name:                  aws.ToString(a.AddonName),
				Version:               aws.ToString(a.AddonVersion),
				Status:                string(a.Status),
				ConfigurationValues:   aws.ToString(a.ConfigurationValues),
				ServiceAccountRoleARN: aws.ToString(a.ServiceAccountRoleArn),
			}
		})
	}
	wg.Wait()
	if failed {
		return
	}
	for _, a := range addons {
		if a != nil {
			c.Addons = append(c.Addons, a)
		}
	}
}

// readAccessEntries reads access entries in the API modes; a CONFIG_MAP
// cluster has none (EKS refuses the call).
func (ob *observer) readAccessEntries(ctx context.Context, c *Cluster) {
	if c.AuthenticationMode == AuthModeConfigMapDefault {
		return
	}
	api := ob.clientsFor(c.Region).EKS
	fail := func(res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartAccessEntries, Region: c.Region, Cluster: c.ARN, Resource: res, Reason: reason(err)})
		}
	}
	var principals []string
	if err := ob.call(ctx, func() (err error) { principals, err = observe.AccessEntryPrincipals(ctx, api, c.Name); return err }); err != nil {
		fail("eks:ListAccessEntries", err)
		return
	}
	entries := make([]*AccessEntry, len(principals))
	var failed bool
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, principal := range principals {
		wg.Go(func() {
			var ae *ekstypes.AccessEntry
			var policies []ekstypes.AssociatedAccessPolicy
			err := ob.call(ctx, func() (err error) {
				ae, policies, err = observe.AccessEntry(ctx, api, c.Name, principal)
				return err
			})
			if err != nil {
				if observe.IsNotFound(err) && ae == nil {
					return
				}
				res := principal
				if ae != nil {
					res += " (associated access policies)"
				}
				fail(res, err)
				mu.Lock()
				failed = true
				mu.Unlock()
				return
			}
			if ae == nil {
				return
			}
			e := &AccessEntry{
				PrincipalARN:     aws.ToString(ae.PrincipalArn),
				Type:             aws.ToString(ae.Type),
				Username:         aws.ToString(ae.Username),
				KubernetesGroups: ae.KubernetesGroups,
			}
			for _, ap := range policies {
				a := AccessPolicyAssociation{PolicyARN: aws.ToString(ap.PolicyArn)}
				if ap.AccessScope != nil {
					a.ScopeType = string(ap.AccessScope.Type)
					a.Namespaces = ap.AccessScope.Namespaces
				}
				e.Policies = append(e.Policies, a)
			}
			entries[i] = e
		})
	}
	wg.Wait()
	if failed {
		return
	}
	for _, e := range entries {
		if e != nil {
			c.AccessEntries = append(c.AccessEntries, e)
		}
	}
}

func (ob *observer) readPodIdentity(ctx context.Context, c *Cluster) {
	api := ob.clientsFor(c.Region).EKS
	var list []ekstypes.PodIdentityAssociationSummary
	if err := ob.call(ctx, func() (err error) { list, err = observe.PodIdentityAssociations(ctx, api, c.Name); return err }); err != nil {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartPodIdentity, Region: c.Region, Cluster: c.ARN, Resource: "eks:ListPodIdentityAssociations", Reason: reason(err)})
		}
		return
	}
	var out []*PodIdentityAssociation
	for _, a := range list {
		out = append(out, &PodIdentityAssociation{
			Namespace:      aws.ToString(a.Namespace),
			ServiceAccount: aws.ToString(a.ServiceAccount),
			AssociationARN: aws.ToString(a.AssociationArn),
			AssociationID:  aws.ToString(a.AssociationId),
		})
	}
	c.PodIdentityAssociations = out
}

// readNetwork reads, for a region, the subnets of its clusters, profiles and
// spec, the route tables of their VPCs (for the main table), and the VPCs:
// three bulk reads filtered by ID.
func (ob *observer) readNetwork(ctx context.Context, region string) {
	ids := map[string]bool{}
	ob.mu.Lock()
	for _, c := range ob.s.Clusters {
		if c.Region != region {
			continue
		}
		for _, id := range c.SubnetIDs {
			ids[id] = true
		}
		for _, p := range c.FargateProfiles {
			for _, id := range p.Subnets {
				ids[id] = true
			}
		}
	}
	if sp := ob.s.Spec; sp != nil && sp.Region == region {
		for _, id := range sp.Network.SubnetIDs {
			ids[id] = true
		}
		for _, p := range sp.FargateProfiles {
			for _, id := range p.Subnets {
				ids[id] = true
			}
		}
	}
	ob.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	api := ob.clientsFor(region).EC2
	fail := func(res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartNetwork, Region: region, Resource: res, Reason: reason(err)})
		}
	}
	net := &Network{Subnets: map[string]*Subnet{}, VPCs: map[string]*VPC{}}
	vpcs := map[string]bool{}
	for _, chunk := range chunks(sortedKeys(ids), 200) {
		var subnets []ec2types.Subnet
		if err := ob.call(ctx, func() (err error) {
			subnets, err = observe.Subnets(ctx, api, []ec2types.Filter{{Name: aws.String("subnet-id"), Values: chunk}})
			return err
		}); err != nil {
			fail("ec2:DescribeSubnets", err)
			return
		}
		for _, sn := range subnets {
			s := &Subnet{ID: aws.ToString(sn.SubnetId), VPCID: aws.ToString(sn.VpcId), AvailabilityZone: aws.ToString(sn.AvailabilityZone), CIDR: aws.ToString(sn.CidrBlock)}
			net.Subnets[s.ID] = s
			vpcs[s.VPCID] = true
		}
	}
	ob.mu.Lock()
	for _, c := range ob.s.Clusters {
		if c.Region == region && c.VPCID != "" {
			vpcs[c.VPCID] = true
		}
	}
	ob.mu.Unlock()
	vpcIDs := sortedKeys(vpcs)
	if len(vpcIDs) > 0 {
		main := map[string]*ec2types.RouteTable{}     // VPC → main table
		explicit := map[string]*ec2types.RouteTable{} // subnet → table
		for _, chunk := range chunks(vpcIDs, 200) {
			var tables []ec2types.RouteTable
			if err := ob.call(ctx, func() (err error) {
				tables, err = observe.RouteTables(ctx, api, []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}})
				return err
			}); err != nil {
				fail("ec2:DescribeRouteTables", err)
				return
			}
			{
				for i := range tables {
					rt := &tables[i]
					for _, a := range rt.Associations {
						if aws.ToBool(a.Main) {
							main[aws.ToString(rt.VpcId)] = rt
						}
						if id := aws.ToString(a.SubnetId); id != "" {
							explicit[id] = rt
						}
					}
				}
			}
		}
		for _, s := range net.Subnets {
			rt := explicit[s.ID]
			if rt == nil {
				rt = main[s.VPCID]
			}
			if rt == nil {
				continue
			}
			s.RouteTableID = aws.ToString(rt.RouteTableId)
			for _, r := range rt.Routes {
				if gw := aws.ToString(r.GatewayId); strings.HasPrefix(gw, "igw-") {
					s.InternetGatewayRoute = gw
					break
				}
			}
		}
		for _, chunk := range chunks(vpcIDs, 200) {
			var vpcList []ec2types.Vpc
			if err := ob.call(ctx, func() (err error) {
				vpcList, err = observe.VPCs(ctx, api, []ec2types.Filter{{Name: aws.String("vpc-id"), Values: chunk}})
				return err
			}); err != nil {
				fail("ec2:DescribeVpcs", err)
				return
			}
			{
				for _, v := range vpcList {
					vpc := &VPC{ID: aws.ToString(v.VpcId)}
					seen := map[string]bool{}
					add := func(c string) {
						if c != "" && !seen[c] {
							seen[c] = true
							vpc.CIDRs = append(vpc.CIDRs, c)
						}
					}
					add(aws.ToString(v.CidrBlock))
					for _, a := range v.CidrBlockAssociationSet {
						if a.CidrBlockState == nil || a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
							add(aws.ToString(a.CidrBlock))
						}
					}
					net.VPCs[vpc.ID] = vpc
				}
			}
		}
	}
	ob.mu.Lock()
	ob.s.Network[region] = net
	ob.mu.Unlock()
}

// readKMSKeys describes each distinct Secrets key once, in its own region.
func (ob *observer) readKMSKeys(ctx context.Context) {
	keys := map[string]string{} // key ARN → cluster ARN (first)
	ob.mu.Lock()
	for _, c := range ob.s.Clusters {
		if c.SecretsKMSKeyARN != "" {
			if _, ok := keys[c.SecretsKMSKeyARN]; !ok {
				keys[c.SecretsKMSKeyARN] = c.ARN
			}
		}
	}
	ob.mu.Unlock()
	var wg sync.WaitGroup
	for keyARN := range keys {
		wg.Go(func() {
			region := ob.iamRegion()
			if a, err := arn.Parse(keyARN); err == nil && a.Region != "" {
				region = a.Region
			}
			var md *kmstypes.KeyMetadata
			err := ob.call(ctx, func() (err error) {
				md, err = observe.Key(ctx, ob.clientsFor(region).KMS, keyARN)
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					ob.mu.Lock()
					var clusters []*Cluster
					for _, c := range ob.s.Clusters {
						if c.SecretsKMSKeyARN == keyARN {
							clusters = append(clusters, c)
						}
					}
					ob.mu.Unlock()
					for _, c := range clusters {
						ob.unavailable(Unavailable{What: PartKMS, Region: c.Region, Cluster: c.ARN, Resource: keyARN, Reason: reason(err)})
					}
				}
				return
			}
			k := &KMSKey{ARN: keyARN}
			if md != nil {
				k.KeyManager = string(md.KeyManager)
				k.State = string(md.KeyState)
			}
			ob.mu.Lock()
			ob.s.KMSKeys[keyARN] = k
			ob.mu.Unlock()
		})
	}
	wg.Wait()
}

// readRolePolicies gives every wired role (Snapshot.WiredRoles) its
// attached and inline policies and boundary, and reads each distinct managed
// policy they name once, at its default version. After the bulk read only
// the AWS managed policies are left to read (two calls each); without it,
// each wired role costs ListAttachedRolePolicies, ListRolePolicies, one
// GetRolePolicy per inline policy and a GetRole for its boundary.
func (ob *observer) readRolePolicies(ctx context.Context) {
	s := ob.s
	s.index()
	wired := s.WiredRoles()
	api := ob.clientsFor(ob.iamRegion()).IAM
	fail := func(res string, err error) {
		if ctx.Err() == nil {
			ob.unavailable(Unavailable{What: PartRolePolicies, Resource: res, Reason: reason(err)})
		}
	}
	var wg sync.WaitGroup
	for _, w := range wired {
		r := w.Role
		if ob.bulk != nil {
			if br := ob.bulk.roles[r.ARN]; br != nil {
				r.AttachedPolicies = br.attached
				r.PermissionsBoundary = br.boundary
				r.Tags = br.tags
				r.InlinePolicies = nil
				for _, ip := range br.inline {
					r.InlinePolicies = append(r.InlinePolicies, parseInline(ip[0], ip[1]))
				}
				r.PoliciesRead = true
				continue
			}
		}
		wg.Go(func() { ob.readRolePoliciesOneByOne(ctx, api, r, fail) })
	}
	wg.Wait()
	need := map[string]bool{}
	for _, w := range wired {
		for _, ap := range w.Role.AttachedPolicies {
			need[ap.ARN] = true
		}
		if b := w.Role.PermissionsBoundary; b != "" {
			need[b] = true
		}
	}
	for polARN := range need {
		if ob.bulk != nil {
			if d := ob.bulk.policies[polARN]; d != nil {
				s.Policies[polARN] = managedFromDetail(d)
				continue
			}
		}
		wg.Go(func() {
			var pol *iamtypes.Policy
			var doc string
			if err := ob.call(ctx, func() (err error) {
				pol, doc, err = observe.ManagedPolicy(ctx, api, polARN)
				return err
			}); err != nil {
				fail(polARN, err)
				return
			}
			if pol == nil {
				fail(polARN, errors.New("iam:GetPolicy returned no policy"))
				return
			}
			mp := &ManagedPolicy{ARN: polARN, Name: aws.ToString(pol.PolicyName), DefaultVersion: aws.ToString(pol.DefaultVersionId)}
			ip := parseInline(mp.Name, doc)
			mp.Source, mp.Doc, mp.Error = ip.Source, ip.Doc, ip.Error
			ob.mu.Lock()
			s.Policies[polARN] = mp
			ob.mu.Unlock()
		})
	}
	wg.Wait()
}

// managedFromDetail takes the default version of a policy from the bulk
// read.
func managedFromDetail(d *iamtypes.ManagedPolicyDetail) *ManagedPolicy {
	mp := &ManagedPolicy{ARN: aws.ToString(d.Arn), Name: aws.ToString(d.PolicyName), DefaultVersion: aws.ToString(d.DefaultVersionId)}
	for _, v := range d.PolicyVersionList {
		if v.IsDefaultVersion || aws.ToString(v.VersionId) == mp.DefaultVersion {
			mp.DefaultVersion = aws.ToString(v.VersionId)
			ip := parseInline(mp.Name, aws.ToString(v.Document))
			mp.Source, mp.Doc, mp.Error = ip.Source, ip.Doc, ip.Error
			return mp
		}
	}
	mp.Error = "the bulk read returned no default version"
	return mp
}

// readRolePoliciesOneByOne reads a role's attached and inline policies and
// boundary with per-role calls (the fallback of the bulk read).
func (ob *observer) readRolePoliciesOneByOne(ctx context.Context, api IAMAPI, r *Role, fail func(string, error)) {
	var live *observe.RoleWithPolicies
	err := ob.call(ctx, func() (err error) {
		live, err = observe.RolePolicies(ctx, api, r.Name, func(string) bool { return true })
		return err
	})
	if err != nil {
		fail(r.ARN, err)
		return
	}
	var attached []AttachedPolicy
	for _, ap := range live.Attached {
		attached = append(attached, AttachedPolicy{Name: aws.ToString(ap.PolicyName), ARN: aws.ToString(ap.PolicyArn)})
	}
	var inline []*InlinePolicy
	for _, name := range live.InlineNames {
		inline = append(inline, parseInline(name, live.Inline[name]))
	}
	ob.mu.Lock()
	r.AttachedPolicies, r.InlinePolicies, r.PoliciesRead = attached, inline, true
	if gr := live.Role; gr != nil {
		r.Tags = ops.TagMap(gr.Tags)
		if gr.PermissionsBoundary != nil {
			r.PermissionsBoundary = aws.ToString(gr.PermissionsBoundary.PermissionsBoundaryArn)
		}
	}
	ob.mu.Unlock()
}

func parseInline(name, raw string) *InlinePolicy {
	p := &InlinePolicy{Name: name, Source: raw}
	if src, err := iamtrust.DecodeLive(raw); err == nil {
		p.Source = src
	}
	if doc, err := iamtrust.ParseLive(raw); err == nil {
		p.Doc = doc
	} else {
		p.Error = err.Error()
	}
	return p
}

// isAWSManaged reports an AWS managed policy ARN (arn:<p>:iam::aws:policy/…).
func isAWSManaged(policyARN string) bool { return strings.Contains(policyARN, ":iam::aws:policy/") }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
