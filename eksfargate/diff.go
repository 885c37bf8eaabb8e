package eksfargate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/internal/ops"
	"github.com/fargatekit/fargatekit/plan"
)

// Resource kinds of the changes Plan makes.
const (
	KindVPC               = "ec2.vpc"
	KindInternetGateway   = "ec2.internet-gateway"
	KindSubnet            = "ec2.subnet"
	KindElasticIP         = "ec2.elastic-ip"
	KindNATGateway        = "ec2.nat-gateway"
	KindRouteTable        = "ec2.route-table"
	KindRole              = ops.KindRole
	KindRolePolicy        = ops.KindRolePolicy
	KindRoleInlinePolicy  = ops.KindInlinePolicy
	KindCluster           = "eks.cluster"
	KindFargateProfile    = "eks.fargate-profile"
	KindAddon             = ops.KindAddon
	KindDeferred          = "fargatekit.deferred"
	KindClusterSideNotice = "fargatekit.cluster-side"
)

// ResourceKeyTag marks each network resource fargatekit creates with its
// role in the layout ("vpc", "igw", "public-0", "private-1", "nat-0",
// "rtb-public", "rtb-private-0"), next to OwnerTag. Plan finds
// half-created resources by these two tags, so an interrupted apply
// resumes without duplicates.
const ResourceKeyTag = "fargatekit.io/resource"

// vpcDNSTag marks a created VPC whose DNS support and DNS hostnames are on
// (EKS private endpoints need both). A VPC without it is one whose apply was
// interrupted between CreateVpc and ModifyVpcAttribute.
const vpcDNSTag = "fargatekit.io/vpc-dns"

// unknownValue stands for a value known only after apply (the ID of a
// subnet still to be created).
const unknownValue = "(known after apply)"

// Requirements the changes serve, as the plan shows them.
const (
	reqNetwork       = "EKS needs subnets in at least 2 availability zones; Fargate pods run only in private subnets (no route to an internet gateway) and reach ECR and the API through a NAT gateway"
	reqPublicSubnet  = "public subnets carry kubernetes.io/role/elb=1 so that load balancers find them, and route 0.0.0.0/0 to the internet gateway"
	reqPrivateSubnet = "private subnets carry kubernetes.io/role/internal-elb=1 and route 0.0.0.0/0 to a NAT gateway, never to an internet gateway: Fargate profiles accept only private subnets"
	reqVPCDNS        = "a VPC for EKS needs DNS support and DNS hostnames (private endpoint, Fargate)"
	reqClusterRole   = "the cluster role trusts eks.amazonaws.com (sts:AssumeRole, sts:TagSession) and has AmazonEKSClusterPolicy"
	reqPodRole       = "the Fargate pod execution role trusts eks-fargate-pods.amazonaws.com only for this cluster's Fargate profiles (ArnLike aws:SourceArn, confused-deputy protection), has AmazonEKSFargatePodExecutionRolePolicy and path /"
	reqOutOfBand     = "a role the spec owns carries exactly the permissions the spec declares; anything put on it out of band is permission drift nobody reviewed"
	reqCluster       = "the EKS control plane as the spec describes it"
	reqEncryption    = "Secrets are envelope-encrypted with a customer KMS key in the cluster's region; once on, it can't be turned off"
	reqAuthMode      = "the authentication mode moves only forward: CONFIG_MAP → API_AND_CONFIG_MAP → API"
	reqProfile       = "a Fargate profile selects the pods that run on Fargate; its selectors, subnets and role are immutable, so a change creates a new profile before deleting the old one, one profile operation at a time per cluster"
	reqAddon         = "EKS managed addons at the version and configuration of the spec"
	reqCoreDNSAddon  = "CoreDNS runs on Fargate only with the addon's computeType Fargate and a profile selecting kube-system"
)

// step is a change of the plan and the function that performs it with an
// executor. Diff builds steps; Plan binds them to an executor.
type step struct {
	plan.Change
	run func(ctx context.Context, x *executor, report plan.Reporter) error
}

// Diff compares a spec with a snapshot and returns the changes that make
// the live state match: ordered so that no change depends on a later one,
// with before and after, the requirement each serves and whether it
// destroys anything. It is pure: the changes it returns have no Run (Plan
// binds them to clients). Problems found by comparing the spec with the
// live state (public subnets, an unsupported version, an immutable field
// that differs, an unowned resource to rewrite) are returned as one
// *ValidationError. Options.AllowUnowned and Options.AllowDestructive are
// the only options it reads.
func Diff(spec *Spec, snap *Snapshot, opts ...func(*Options)) ([]plan.Change, error) {
	o := newOptions(opts)
	d, err := diff(spec.Clone().Defaults(), snap, o.AllowUnowned, o.AllowDestructive)
	if err != nil {
		return nil, err
	}
	out := make([]plan.Change, len(d.steps))
	for i, st := range d.steps {
		out[i] = st.Change
	}
	return out, nil
}

// differ holds the state of one diff.
type differ struct {
	s            *Spec
	snap         *Snapshot
	allowUnowned bool
	// allowDestructive unblocks the deletes of pruning.
	allowDestructive bool
	problems         []Problem
	steps            []step

	account, partition string
	version            string
	azs                []string
	natCount           int
	clusterRoleARN     string
	podRoleARN         string
	privateSubnets     []string // keys of the private subnets ("subnet/private-0", "subnet/subnet-…")
	clusterSubnets     []string // keys of the cluster's subnets

	// known are IDs of live network resources by key ("vpc", "igw",
	// "subnet/public-0", ...), for the executor.
	known map[string]string
	// roleTimes are when each role was created, for the propagation retry.
	roleTimes map[string]time.Time

	// change IDs by group, for dependencies
	netIDs          []string
	subnetIDs       []string
	privateRouteIDs []string
	clusterRoleIDs  []string
	podRoleIDs      []string
	clusterIDs      []string
	profileIDs      []string
	addonIDs        map[string]string
	// pruneAddonIDs are the deletes of add-ons the spec no longer names:
	// the IRSA sub-plan deletes their roles after them.
	pruneAddonIDs []string
}

func (d *differ) problem(path, rule, fix string) {
	d.problems = append(d.problems, Problem{Path: path, Rule: rule, Fix: fix})
}

func (d *differ) add(st step) string {
	if st.Action == plan.Delete || st.Action == plan.Replace {
		st.Destructive = true
	}
	d.steps = append(d.steps, st)
	return st.ID
}

func diff(s *Spec, snap *Snapshot, allowUnowned, allowDestructive bool) (*differ, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	d := &differ{
		s: s, snap: snap, allowUnowned: allowUnowned, allowDestructive: allowDestructive,
		account: snap.AccountID, partition: snap.Partition,
		known:     map[string]string{},
		roleTimes: map[string]time.Time{},
		addonIDs:  map[string]string{},
	}
	if d.partition == "" {
		d.partition = iamtrust.PartitionForRegion(s.Region)
	}
	if s.AccountID != "" && snap.AccountID != "" && s.AccountID != snap.AccountID {
		d.problem("spec.accountID", fmt.Sprintf("the spec is for account %s but the credentials are for %s", s.AccountID, snap.AccountID), "use credentials of account "+s.AccountID)
	}
	d.resolveVersion()
	d.network()
	d.roles()
	d.kmsKey()
	d.cluster()
	d.profiles()
	d.addons()
	d.prune()
	if len(d.problems) > 0 {
		return nil, &ValidationError{Problems: d.problems}
	}
	return d, nil
}

// resolveVersion picks and checks the Kubernetes version.
func (d *differ) resolveVersion() {
	want := d.s.Cluster.Version
	live := ""
	if d.snap.Cluster != nil {
		live = aws.ToString(d.snap.Cluster.Version)
	}
	switch {
	case want == "" && live != "":
		d.version = live
		return
	case want == "":
		d.version = newestStandardVersion(d.snap.ClusterVersions)
		if d.version == "" && !d.snap.VersionsRead {
			d.problem("spec.cluster.version", "no version is given and the EKS version catalogue (eks:DescribeClusterVersions) could not be read to choose one", "set cluster.version, or grant eks:DescribeClusterVersions")
			return
		}
		if d.version == "" {
			d.problem("spec.cluster.version", "no version is given and DescribeClusterVersions lists none in standard support", "set cluster.version")
		}
		return
	}
	d.version = want
	if !d.snap.VersionsRead || want == live {
		return
	}
	var supported []string
	for _, v := range d.snap.ClusterVersions {
		cv := aws.ToString(v.ClusterVersion)
		if cv == want {
			if v.VersionStatus == ekstypes.VersionStatusUnsupported || v.Status == ekstypes.ClusterVersionStatusUnsupported {
				d.problem("spec.cluster.version", fmt.Sprintf("Kubernetes %s is no longer supported by EKS", want), "use a version in standard support: "+newestStandardVersion(d.snap.ClusterVersions))
			}
			return
		}
		if v.VersionStatus != ekstypes.VersionStatusUnsupported {
			supported = append(supported, cv)
		}
	}
	sort.Slice(supported, func(i, j int) bool { return compareVersions(supported[i], supported[j]) > 0 })
	d.problem("spec.cluster.version", fmt.Sprintf("EKS does not offer Kubernetes %s (DescribeClusterVersions)", want), "use one of "+joinOr(supported))
}

// kmsKey checks the secrets key that Observe described.
func (d *differ) kmsKey() {
	k := d.snap.KMSKey
	if k == nil {
		return
	}
	const path = "spec.cluster.secretsKMSKeyARN"
	keyAccount := arnAccount(k.ARN)
	grants := fmt.Sprintf("the key policy of account %s must allow the caller (account %s) kms:DescribeKey and kms:CreateGrant, and EKS must be able to use kms:Encrypt and kms:Decrypt through a grant (or the key policy); also allow kms:DescribeKey for the cluster role", keyAccount, d.account)
	switch {
	case k.Denied && keyAccount != "" && keyAccount != d.account:
		d.problem(path, fmt.Sprintf("KMS refused DescribeKey on %s, a key of account %s: the caller has no access to it", k.ARN, keyAccount), grants)
	case k.Denied:
		d.problem(path, fmt.Sprintf("KMS refused DescribeKey on %s", k.ARN), "allow the caller kms:DescribeKey and kms:CreateGrant on the key")
	case k.NotFound && keyAccount != "" && keyAccount != d.account:
		d.problem(path, fmt.Sprintf("KMS says %s does not exist or is not shared with account %s", k.ARN, d.account), grants)
	case k.NotFound:
		d.problem(path, fmt.Sprintf("the KMS key %s does not exist", k.ARN), "create the key or fix the ARN")
	case k.Metadata != nil:
		m := k.Metadata
		if m.KeyState != "Enabled" {
			d.problem(path, fmt.Sprintf("the KMS key is %s; EKS needs an enabled key", m.KeyState), "enable the key")
		}
		if m.KeySpec != "" && m.KeySpec != "SYMMETRIC_DEFAULT" {
			d.problem(path, fmt.Sprintf("the KMS key is %s; EKS needs a symmetric key (SYMMETRIC_DEFAULT)", m.KeySpec), "use a symmetric encryption key")
		}
		if m.KeyUsage != "" && m.KeyUsage != "ENCRYPT_DECRYPT" {
			d.problem(path, fmt.Sprintf("the KMS key's usage is %s; EKS needs ENCRYPT_DECRYPT", m.KeyUsage), "use an encryption key")
		}
	}
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return "(none)"
	case 1:
		return items[0]
	}
	out := ""
	for i, s := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			out += " or "
		default:
			out += ", "
		}
		out += s
	}
	return out
}

// ownerTags are the tags of everything fargatekit creates for the cluster:
// the spec's tags plus OwnerTag.
func (d *differ) ownerTags(extra ...map[string]string) map[string]string {
	t := maps.Clone(d.s.Tags)
	if t == nil {
		t = map[string]string{}
	}
	for _, e := range extra {
		maps.Copy(t, e)
	}
	t[OwnerTag] = d.s.Name
	return t
}

// owned reports whether tags carry OwnerTag with the cluster's name.
func (d *differ) owned(tags map[string]string) bool { return ops.Owned(tags, d.s.Name) }

// unowned records that a change to resource needs AllowUnowned, unless it is
// allowed; it returns whether the change may go ahead.
func (d *differ) mayChangeUnowned(path, resource, what string) bool {
	if d.allowUnowned {
		return true
	}
	d.problem(path, fmt.Sprintf("%s would %s, but fargatekit does not own it (no %s=%s tag)", resource, what, OwnerTag, d.s.Name),
		"fix it by hand, tag it "+OwnerTag+"="+d.s.Name+" to hand it to fargatekit, or allow changes to unowned resources (Options.AllowUnowned, --allow-unowned)")
	return false
}

// documentView renders a policy document for before/after as generic
// JSON, as written (IAM's rewriting included), so that plans show a
// readable diff. Whether two documents differ is decided by iamtrust.Equal,
// never by this view.
func documentView(doc *iamtrust.Document) any {
	if doc == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(doc.JSON(), &v); err != nil {
		return doc.String()
	}
	return v
}

// shortHash is the first n hex digits of the SHA-256 of parts.
func shortHash(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:n]
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

func sameSet(a, b []string) bool {
	return slices.Equal(sortedCopy(a), sortedCopy(b))
}
