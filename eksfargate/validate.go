package eksfargate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Problem is one thing wrong with a spec: where (Path, such as
// "spec.fargateProfiles[1].subnets[0]"), what rule it breaks (Rule, which
// names the value) and how to fix it (Fix).
type Problem struct {
	// Path is the field, from "spec", with JSON names and [index] for list
	// elements.
	Path string `json:"path"`
	// Rule says what is wrong and which rule it breaks.
	Rule string `json:"rule"`
	// Fix says what to do about it.
	Fix string `json:"fix,omitempty"`
}

// String renders "PATH: RULE; fix: FIX".
func (p Problem) String() string {
	if p.Fix == "" {
		return p.Path + ": " + p.Rule
	}
	return p.Path + ": " + p.Rule + "; fix: " + p.Fix
}

// ValidationError lists every problem of a spec at once. Spec.Validate
// returns it for the rules that need no AWS call; Plan returns it for those
// it checks against the account (public subnets, unsupported versions, KMS
// keys).
type ValidationError struct {
	// Problems in spec order.
	Problems []Problem
}

// Error renders one problem per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("eksfargate: invalid spec: ")
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "eksfargate: invalid spec: %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks every rule that needs no AWS call and returns a
// *ValidationError listing all the problems, or nil. It validates the spec
// as Defaults would complete it, without changing s. Plan validates again,
// with what it observes (subnets that are public, versions that are not
// supported, KMS keys that can't be used).
func (s *Spec) Validate() error {
	v := &specValidator{s: s.Clone().Defaults()}
	v.run()
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// Warnings returns what is allowed but probably not meant: selectors of
// different Fargate profiles that can match the same pod (EKS then picks one
// of the profiles, and which one is not under your control), and CoreDNS on
// Fargate with no profile selecting kube-system (CoreDNS stays Pending).
func (s *Spec) Warnings() []Problem {
	d := s.Clone().Defaults()
	var out []Problem
	type ref struct {
		p, i int
		sel  Selector
	}
	var all []ref
	for p, prof := range d.FargateProfiles {
		for i, sel := range prof.Selectors {
			all = append(all, ref{p, i, sel})
		}
	}
	for x := 0; x < len(all); x++ {
		for y := x + 1; y < len(all); y++ {
			a, b := all[x], all[y]
			if a.p == b.p || !selectorsOverlap(a.sel, b.sel) {
				continue
			}
			out = append(out, Problem{
				Path: fmt.Sprintf("spec.fargateProfiles[%d].selectors[%d]", b.p, b.i),
				Rule: fmt.Sprintf("selector (namespace %q%s) overlaps spec.fargateProfiles[%d].selectors[%d] (namespace %q%s) of profile %q: a pod can match both profiles and EKS picks one of them",
					b.sel.Namespace, labelText(b.sel.Labels), a.p, a.i, a.sel.Namespace, labelText(a.sel.Labels), d.FargateProfiles[a.p].Name),
				Fix: "make the selectors disjoint, or label pods with eks.amazonaws.com/fargate-profile: <name> to choose the profile",
			})
		}
	}
	if d.CoreDNS.OnFargate != nil && *d.CoreDNS.OnFargate && len(d.FargateProfiles) > 0 {
		kubeDNS := Selector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}
		found := false
		for _, r := range all {
			if selectorMatches(r.sel, kubeDNS) {
				found = true
			}
		}
		if !found {
			out = append(out, Problem{Path: "spec.fargateProfiles",
				Rule: "no Fargate profile selects the CoreDNS pods (namespace kube-system, label k8s-app=kube-dns): CoreDNS stays Pending",
				Fix:  "add a selector with namespace kube-system"})
		}
	}
	return out
}

func labelText(l map[string]string) string {
	if len(l) == 0 {
		return ""
	}
	var parts []string
	for _, k := range specSortedKeys(l) {
		parts = append(parts, k+"="+l[k])
	}
	return ", labels " + strings.Join(parts, ",")
}

// selectorsOverlap reports whether some pod (namespace and labels) matches
// both selectors: their namespace patterns intersect and, for every label key
// both require, their value patterns intersect.
func selectorsOverlap(a, b Selector) bool {
	if !globsIntersect(a.Namespace, b.Namespace) {
		return false
	}
	for k, va := range a.Labels {
		if vb, ok := b.Labels[k]; ok && !globsIntersect(va, vb) {
			return false
		}
	}
	return true
}

// selectorMatches reports whether the concrete pod (namespace and labels of
// pod) is selected by sel.
func selectorMatches(sel, pod Selector) bool { return sel.Matches(pod.Namespace, pod.Labels) }

// globsIntersect reports whether some string matches both patterns, where
// '*' matches any run of characters and '?' exactly one. It walks the product
// of the two patterns' automata.
func globsIntersect(a, b string) bool {
	type st struct{ i, j int }
	seen := map[st]bool{}
	stack := []st{{0, 0}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		if s.i == len(a) && s.j == len(b) {
			return true
		}
		if s.i < len(a) && a[s.i] == '*' {
			stack = append(stack, st{s.i + 1, s.j})
		}
		if s.j < len(b) && b[s.j] == '*' {
			stack = append(stack, st{s.i, s.j + 1})
		}
		if s.i == len(a) || s.j == len(b) {
			continue
		}
		ca, cb := a[s.i], b[s.j]
		if ca != '*' && ca != '?' && cb != '*' && cb != '?' && ca != cb {
			continue
		}
		ni, nj := s.i+1, s.j+1
		if ca == '*' {
			ni = s.i
		}
		if cb == '*' {
			nj = s.j
		}
		stack = append(stack, st{ni, nj})
	}
	return false
}

// specValidator collects the problems of a defaulted spec.
type specValidator struct {
	s        *Spec
	problems []Problem
}

func (v *specValidator) add(path, rule, fix string) {
	v.problems = append(v.problems, Problem{Path: path, Rule: rule, Fix: fix})
}

var (
	clusterNameRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]*$`)
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountRE     = regexp.MustCompile(`^\d{12}$`)
	roleNameRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	rolePathRE    = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	roleARNRE     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(/[\x21-\x7E]*)?/([\w+=,.@-]{1,64})$`)
	policyARNRE   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy(/[\x21-\x7E]*)?/[\w+=,.@-]{1,128}$`)
	kmsARNRE      = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$`)
	versionRE     = regexp.MustCompile(`^(\d+)\.(\d+)$`)
	subnetIDRE    = regexp.MustCompile(`^subnet-[0-9a-f]{8,17}$`)
	sgIDRE        = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	// namespace patterns: a DNS label in which '*' and '?' may stand for
	// characters.
	namespacePatternRE = regexp.MustCompile(`^[a-z0-9*?]([a-z0-9*?-]{0,61}[a-z0-9*?])?$`)
)

// Limits of EKS and IAM that the spec is checked against.
const (
	maxSelectors        = 5
	maxSelectorLabels   = 5
	maxClusterNameLen   = 100
	maxProfileNameLen   = 100
	maxSecurityGroups   = 5
	maxPublicCIDRs      = 40
	maxUserTags         = 40 // of AWS's 50, leaving room for fargatekit's own
	reservedProfilePref = "eks-"
)

func (v *specValidator) run() {
	s := v.s
	if s.APIVersion != APIVersion {
		v.add("spec.apiVersion", fmt.Sprintf("apiVersion is %q; this version of fargatekit reads %s", s.APIVersion, APIVersion), "set apiVersion: "+APIVersion)
	}
	if s.Kind != Kind {
		v.add("spec.kind", fmt.Sprintf("kind is %q, not %s", s.Kind, Kind), "set kind: "+Kind)
	}
	v.clusterName("spec.name", s.Name)
	partition := ""
	if !regionRE.MatchString(s.Region) {
		v.add("spec.region", fmt.Sprintf("%q is not a region name such as ap-northeast-1", s.Region), "set the cluster's region")
	} else {
		partition = iamtrust.PartitionForRegion(s.Region)
	}
	if s.AccountID != "" && !accountRE.MatchString(s.AccountID) {
		v.add("spec.accountID", fmt.Sprintf("%q is not a 12-digit AWS account ID", s.AccountID), "set the account ID or leave it empty to read it from STS")
	}
	v.tags("spec.tags", s.Tags)
	vpcCIDR := v.network(partition)
	v.role("spec.clusterRole", s.ClusterRole, partition, false)
	v.role("spec.podExecutionRole", s.PodExecutionRole, partition, true)
	v.cluster(partition, vpcCIDR)
	v.profiles(partition)
	v.addons(partition)
	if s.CoreDNS.WaitTimeoutSeconds < 0 {
		v.add("spec.coreDNS.waitTimeoutSeconds", fmt.Sprintf("%d is negative", s.CoreDNS.WaitTimeoutSeconds), "use a number of seconds, or 0 for the default 600")
	}
	// Access mappings: the rules of aws-auth and access entries live with
	// access.Plan.
	for _, p := range access.Validate(s.AccessTarget()) {
		v.problems = append(v.problems, Problem(p))
	}
	v.irsa(partition)
}

func (v *specValidator) clusterName(path, name string) {
	switch {
	case name == "":
		v.add(path, "the cluster name is empty", "set a name of 1 to 100 letters, digits, '-' and '_'")
	case len(name) > maxClusterNameLen:
		v.add(path, fmt.Sprintf("the cluster name is %d characters; EKS allows at most %d", len(name), maxClusterNameLen), "shorten it")
	case !clusterNameRE.MatchString(name):
		v.add(path, fmt.Sprintf("%q is not a valid cluster name: it must start with a letter or digit and contain only letters, digits, '-' and '_'", name), "rename the cluster")
	}
}

func (v *specValidator) tags(path string, tags map[string]string) {
	if len(tags) > maxUserTags {
		v.add(path, fmt.Sprintf("%d tags; at most %d are allowed (AWS allows 50 per resource and fargatekit adds its own)", len(tags), maxUserTags), "remove some tags")
	}
	for _, k := range specSortedKeys(tags) {
		p := path + "[" + strconv.Quote(k) + "]"
		switch {
		case k == "":
			v.add(path, "a tag key is empty", "give the tag a key")
		case len(k) > 128:
			v.add(p, fmt.Sprintf("the tag key is %d characters; AWS allows 128", len(k)), "shorten the key")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.add(p, "tag keys starting with aws: are reserved for AWS", "use another key")
		case k == OwnerTag:
			v.add(p, OwnerTag+" is fargatekit's ownership tag; it is set to the cluster name on everything fargatekit creates", "remove it")
		}
		if len(tags[k]) > 256 {
			v.add(p, fmt.Sprintf("the tag value is %d characters; AWS allows 256", len(tags[k])), "shorten the value")
		}
	}
}

// network checks spec.network and returns the VPC CIDR when it is valid.
func (v *specValidator) network(partition string) netip.Prefix {
	n := v.s.Network
	var vpcCIDR netip.Prefix
	switch {
	case n.VPC != nil && len(n.SubnetIDs) > 0:
		v.add("spec.network", "both vpc and subnetIDs are set", "set vpc to create a VPC, or subnetIDs to adopt existing subnets, not both")
	case n.VPC == nil && len(n.SubnetIDs) == 0:
		v.add("spec.network", "neither vpc nor subnetIDs is set", "set vpc.cidr to create a VPC, or subnetIDs to adopt at least 2 existing subnets")
	}
	if vpc := n.VPC; vpc != nil {
		pfx, err := netip.ParsePrefix(vpc.CIDR)
		switch {
		case err != nil || !pfx.Addr().Is4():
			v.add("spec.network.vpc.cidr", fmt.Sprintf("%q is not an IPv4 CIDR", vpc.CIDR), "use a block such as 192.168.0.0/16")
		case pfx.Bits() < 16 || pfx.Bits() > 28:
			v.add("spec.network.vpc.cidr", fmt.Sprintf("%s is a /%d; a VPC's CIDR must be between /16 and /28", vpc.CIDR, pfx.Bits()), "use a block such as 192.168.0.0/16")
		case pfx.Masked() != pfx:
			v.add("spec.network.vpc.cidr", fmt.Sprintf("%s has host bits set", vpc.CIDR), "use "+pfx.Masked().String())
		default:
			vpcCIDR = pfx
		}
		nAZ := len(vpc.AvailabilityZones)
		if nAZ == 0 {
			nAZ = defaultAZCount
		} else if nAZ < 2 {
			v.add("spec.network.vpc.availabilityZones", fmt.Sprintf("%d availability zone; EKS needs subnets in at least 2", nAZ), "list at least 2 availability zones, or none for the region's first two")
		}
		seen := map[string]bool{}
		for i, az := range vpc.AvailabilityZones {
			p := fmt.Sprintf("spec.network.vpc.availabilityZones[%d]", i)
			switch {
			case seen[az]:
				v.add(p, fmt.Sprintf("%s is listed twice", az), "list each availability zone once")
			case !strings.HasPrefix(az, v.s.Region) || len(az) == len(v.s.Region):
				v.add(p, fmt.Sprintf("%q is not an availability zone of %s", az, v.s.Region), "use a zone name such as "+v.s.Region+"a")
			}
			seen[az] = true
		}
		if vpcCIDR.IsValid() && len(vpc.PublicSubnetCIDRs) == 0 && len(vpc.PrivateSubnetCIDRs) == 0 {
			if _, _, err := CarveSubnets(vpc.CIDR, nAZ); err != nil {
				v.add("spec.network.vpc.cidr", fmt.Sprintf("%s is too small to carve %d subnets of at least /28", vpc.CIDR, 2*nAZ), "use a larger block, or list publicSubnetCIDRs and privateSubnetCIDRs")
			}
		}
		var subnets []netip.Prefix
		var subnetPaths []string
		for _, kind := range []struct {
			name  string
			cidrs []string
		}{{"publicSubnetCIDRs", vpc.PublicSubnetCIDRs}, {"privateSubnetCIDRs", vpc.PrivateSubnetCIDRs}} {
			if (len(vpc.PublicSubnetCIDRs) > 0 || len(vpc.PrivateSubnetCIDRs) > 0) && len(kind.cidrs) != nAZ {
				v.add("spec.network.vpc."+kind.name, fmt.Sprintf("%d CIDRs for %d availability zones", len(kind.cidrs), nAZ), "give one CIDR per availability zone")
			}
			for i, c := range kind.cidrs {
				p := fmt.Sprintf("spec.network.vpc.%s[%d]", kind.name, i)
				sp, err := netip.ParsePrefix(c)
				switch {
				case err != nil || !sp.Addr().Is4():
					v.add(p, fmt.Sprintf("%q is not an IPv4 CIDR", c), "use a block inside the VPC CIDR")
					continue
				case sp.Bits() > 28:
					v.add(p, fmt.Sprintf("%s is a /%d; subnets must be /28 or larger", c, sp.Bits()), "use a larger block")
				case vpcCIDR.IsValid() && (sp.Bits() < vpcCIDR.Bits() || !vpcCIDR.Contains(sp.Addr())):
					v.add(p, fmt.Sprintf("%s is not inside the VPC CIDR %s", c, vpcCIDR), "use a block inside the VPC CIDR")
				}
				for j, o := range subnets {
					if o.Overlaps(sp) {
						v.add(p, fmt.Sprintf("%s overlaps %s (%s)", c, subnetPaths[j], o), "use non-overlapping blocks")
					}
				}
				subnets = append(subnets, sp.Masked())
				subnetPaths = append(subnetPaths, p)
			}
		}
		switch vpc.NATGateway {
		case NATSingle, NATPerAZ:
		default:
			v.add("spec.network.vpc.natGateway", fmt.Sprintf("%q is not a NAT layout", vpc.NATGateway), `use "single" (one NAT gateway) or "per-az" (one per availability zone)`)
		}
	}
	if len(n.SubnetIDs) == 1 {
		v.add("spec.network.subnetIDs", "1 subnet; EKS needs subnets in at least 2 availability zones, and Fargate needs at least 2 private subnets", "list at least 2 subnets")
	}
	seen := map[string]bool{}
	for i, id := range n.SubnetIDs {
		p := fmt.Sprintf("spec.network.subnetIDs[%d]", i)
		switch {
		case !subnetIDRE.MatchString(id):
			v.add(p, fmt.Sprintf("%q is not a subnet ID", id), "use an ID such as subnet-0123456789abcdef0")
		case seen[id]:
			v.add(p, fmt.Sprintf("%s is listed twice", id), "list each subnet once")
		}
		seen[id] = true
	}
	if len(n.SecurityGroupIDs) > maxSecurityGroups {
		v.add("spec.network.securityGroupIDs", fmt.Sprintf("%d security groups; EKS allows at most %d", len(n.SecurityGroupIDs), maxSecurityGroups), "remove some")
	}
	for i, id := range n.SecurityGroupIDs {
		if !sgIDRE.MatchString(id) {
			v.add(fmt.Sprintf("spec.network.securityGroupIDs[%d]", i), fmt.Sprintf("%q is not a security group ID", id), "use an ID such as sg-0123456789abcdef0")
		}
	}
	return vpcCIDR
}

func (v *specValidator) role(path string, r RoleSpec, partition string, podExecution bool) {
	what := "the cluster role"
	if podExecution {
		what = "the Fargate pod execution role"
	}
	switch {
	case r.Name == "" && r.ARN == "":
		v.add(path, what+" has neither name nor arn", "set name to create it, or arn to adopt an existing role")
	case r.Name != "" && r.ARN != "":
		v.add(path, what+" has both name and arn", "set name to create it, or arn to adopt it, not both")
	}
	if r.Name != "" && !roleNameRE.MatchString(r.Name) {
		v.add(path+".name", fmt.Sprintf("%q is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)", r.Name), "rename the role")
	}
	path2 := r.Path
	if r.ARN != "" {
		m := roleARNRE.FindStringSubmatch(r.ARN)
		if m == nil {
			v.add(path+".arn", fmt.Sprintf("%q is not an IAM role ARN", r.ARN), "use arn:aws:iam::<account>:role/<name>")
		} else {
			if partition != "" && m[1] != partition {
				v.add(path+".arn", fmt.Sprintf("the role is in partition %s, the cluster in %s", m[1], partition), "use a role of the cluster's partition")
			}
			if v.s.AccountID != "" && m[2] != v.s.AccountID {
				v.add(path+".arn", fmt.Sprintf("the role is in account %s, the cluster in %s; EKS needs a role of the cluster's account", m[2], v.s.AccountID), "use a role of account "+v.s.AccountID)
			}
			if r.Path != "" && r.Path != m[3]+"/" {
				v.add(path+".path", fmt.Sprintf("path %s does not match the ARN's path %s", r.Path, m[3]+"/"), "leave path empty when adopting a role")
			}
			path2 = m[3] + "/"
		}
	}
	if path2 != "" && !rolePathRE.MatchString(path2) {
		v.add(path+".path", fmt.Sprintf("%q is not an IAM path: it must start and end with /", path2), `use "/"`)
	} else if podExecution && path2 != "" && path2 != "/" {
		v.add(path+".path", fmt.Sprintf("the Fargate pod execution role has path %s; EKS requires the path /", path2), "use a role with path /")
	}
	if r.PermissionsBoundary != "" && !policyARNRE.MatchString(r.PermissionsBoundary) {
		v.add(path+".permissionsBoundary", fmt.Sprintf("%q is not a managed policy ARN", r.PermissionsBoundary), "use arn:aws:iam::<account>:policy/<name>")
	}
	seen := map[string]bool{}
	for i, a := range r.ExtraManagedPolicyARNs {
		p := fmt.Sprintf("%s.extraManagedPolicyARNs[%d]", path, i)
		switch {
		case !policyARNRE.MatchString(a):
			v.add(p, fmt.Sprintf("%q is not a managed policy ARN", a), "use arn:aws:iam::<account>:policy/<name>")
		case seen[a]:
			v.add(p, a+" is listed twice", "list it once")
		}
		seen[a] = true
	}
}

func (v *specValidator) cluster(partition string, vpcCIDR netip.Prefix) {
	c := v.s.Cluster
	if c.Version != "" {
		if m := versionRE.FindStringSubmatch(c.Version); m == nil {
			v.add("spec.cluster.version", fmt.Sprintf("%q is not a Kubernetes minor version such as \"1.33\"", c.Version), "use MAJOR.MINOR, quoted in YAML")
		} else if len(m[2]) == 1 && m[1] == "1" {
			v.add("spec.cluster.version", fmt.Sprintf("%q is not a version EKS offers; YAML reads an unquoted 1.30 as the number 1.3", c.Version), `quote the version: version: "1.30"`)
		}
	}
	public := c.EndpointPublicAccess != nil && *c.EndpointPublicAccess
	private := c.EndpointPrivateAccess != nil && *c.EndpointPrivateAccess
	if !public && !private {
		v.add("spec.cluster", "both endpointPublicAccess and endpointPrivateAccess are off: nothing could reach the API server", "turn on at least one")
	}
	if !public && len(c.PublicAccessCIDRs) > 0 {
		v.add("spec.cluster.publicAccessCIDRs", "public access CIDRs are set but the public endpoint is off", "remove them or turn endpointPublicAccess on")
	}
	if len(c.PublicAccessCIDRs) > maxPublicCIDRs {
		v.add("spec.cluster.publicAccessCIDRs", fmt.Sprintf("%d CIDRs; EKS allows %d", len(c.PublicAccessCIDRs), maxPublicCIDRs), "merge some")
	}
	for i, cidr := range c.PublicAccessCIDRs {
		if p, err := netip.ParsePrefix(cidr); err != nil || !p.Addr().Is4() {
			v.add(fmt.Sprintf("spec.cluster.publicAccessCIDRs[%d]", i), fmt.Sprintf("%q is not an IPv4 CIDR", cidr), "use a block such as 203.0.113.0/24")
		}
	}
	if k := c.SecretsKMSKeyARN; k != "" {
		m := kmsARNRE.FindStringSubmatch(k)
		switch {
		case m == nil:
			v.add("spec.cluster.secretsKMSKeyARN", fmt.Sprintf("%q is not a KMS key ARN", k), "use arn:aws:kms:<region>:<account>:key/<key-id>")
		case m[2] != v.s.Region:
			v.add("spec.cluster.secretsKMSKeyARN", fmt.Sprintf("the key is in %s, the cluster in %s; EKS needs a KMS key in the cluster's region", m[2], v.s.Region), "use a key of "+v.s.Region+" (or a multi-Region replica there)")
		case partition != "" && m[1] != partition:
			v.add("spec.cluster.secretsKMSKeyARN", fmt.Sprintf("the key is in partition %s, the cluster in %s", m[1], partition), "use a key of the cluster's partition")
		}
	}
	if sc := c.ServiceIPv4CIDR; sc != "" {
		p, err := netip.ParsePrefix(sc)
		switch {
		case err != nil || !p.Addr().Is4():
			v.add("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("%q is not an IPv4 CIDR", sc), "use a block such as 172.20.0.0/16")
		case !isRFC1918(p):
			v.add("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("%s is not within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", sc), "use a private block such as 172.20.0.0/16")
		case p.Bits() < 12 || p.Bits() > 24:
			v.add("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("%s is a /%d; the service CIDR must be between /12 and /24", sc, p.Bits()), "use a block such as 172.20.0.0/16")
		case vpcCIDR.IsValid() && vpcCIDR.Overlaps(p):
			v.add("spec.cluster.serviceIPv4CIDR", fmt.Sprintf("%s overlaps the VPC CIDR %s", sc, vpcCIDR), "use a block outside the VPC, such as 172.20.0.0/16 for a 192.168.0.0/16 VPC")
		}
	}
	seen := map[string]bool{}
	for i, l := range c.Logging {
		p := fmt.Sprintf("spec.cluster.logging[%d]", i)
		switch {
		case !slices.Contains(AllLogTypes, l):
			v.add(p, fmt.Sprintf("%q is not a control-plane log type", l), "use some of "+strings.Join(AllLogTypes, ", "))
		case seen[l]:
			v.add(p, l+" is listed twice", "list it once")
		}
		seen[l] = true
	}
	switch c.AuthenticationMode {
	case access.AuthModeAPI, access.AuthModeAPIAndConfigMap, access.AuthModeConfigMap:
	default:
		v.add("spec.cluster.authenticationMode", fmt.Sprintf("%q is not an authentication mode", c.AuthenticationMode), "use API, API_AND_CONFIG_MAP or CONFIG_MAP")
	}
	v.tags("spec.cluster.tags", c.Tags)
}

var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

func isRFC1918(p netip.Prefix) bool {
	for _, r := range rfc1918 {
		if p.Bits() >= r.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func (v *specValidator) profiles(partition string) {
	s := v.s
	if len(s.FargateProfiles) == 0 {
		v.add("spec.fargateProfiles", "no Fargate profile: on a Fargate-only cluster no pod, not even CoreDNS, can run", "add a profile that selects at least kube-system and default")
	}
	names := map[string]int{}
	for i, p := range s.FargateProfiles {
		path := fmt.Sprintf("spec.fargateProfiles[%d]", i)
		switch {
		case p.Name == "":
			v.add(path+".name", "the profile name is empty", "name the profile")
		case len(p.Name) > maxProfileNameLen:
			v.add(path+".name", fmt.Sprintf("the profile name is %d characters; EKS allows %d", len(p.Name), maxProfileNameLen), "shorten it")
		case strings.HasPrefix(p.Name, reservedProfilePref):
			v.add(path+".name", fmt.Sprintf("%q starts with %q, which EKS reserves", p.Name, reservedProfilePref), "choose another name")
		case !clusterNameRE.MatchString(p.Name):
			v.add(path+".name", fmt.Sprintf("%q is not a valid profile name: it must start with a letter or digit and contain only letters, digits, '-' and '_'", p.Name), "rename the profile")
		}
		if j, dup := names[p.Name]; dup && p.Name != "" {
			v.add(path+".name", fmt.Sprintf("%q is also the name of spec.fargateProfiles[%d]", p.Name, j), "give each profile its own name")
		}
		names[p.Name] = i
		if r := p.PodExecutionRoleARN; r != "" {
			if m := roleARNRE.FindStringSubmatch(r); m == nil {
				v.add(path+".podExecutionRoleARN", fmt.Sprintf("%q is not an IAM role ARN", r), "use arn:aws:iam::<account>:role/<name>, or leave it empty for spec.podExecutionRole")
			} else if m[3] != "" {
				v.add(path+".podExecutionRoleARN", fmt.Sprintf("the role has path %s/; EKS requires the pod execution role's path to be /", m[3]), "use a role with path /")
			}
		}
		seen := map[string]bool{}
		for j, sn := range p.Subnets {
			sp := fmt.Sprintf("%s.subnets[%d]", path, j)
			switch {
			case s.Network.VPC != nil:
				v.add(sp, "subnets are listed but the VPC is created by fargatekit: its private subnets don't exist yet", "leave subnets empty to use the VPC's private subnets")
			case !subnetIDRE.MatchString(sn):
				v.add(sp, fmt.Sprintf("%q is not a subnet ID", sn), "use an ID such as subnet-0123456789abcdef0")
			case seen[sn]:
				v.add(sp, sn+" is listed twice", "list it once")
			}
			seen[sn] = true
			if s.Network.VPC != nil {
				break
			}
		}
		switch n := len(p.Selectors); {
		case n == 0:
			v.add(path+".selectors", "no selector; a profile needs 1 to 5", "add a selector with a namespace")
		case n > maxSelectors:
			v.add(path+".selectors", fmt.Sprintf("%d selectors; EKS allows at most %d per profile", n, maxSelectors), "split them over more profiles")
		}
		for j, sel := range p.Selectors {
			v.selector(fmt.Sprintf("%s.selectors[%d]", path, j), sel)
		}
		v.tags(path+".tags", p.Tags)
	}
}

func (v *specValidator) selector(path string, sel Selector) {
	switch {
	case sel.Namespace == "":
		v.add(path+".namespace", "the selector has no namespace; EKS requires one", "set a namespace (wildcards * and ? are allowed)")
	case !namespacePatternRE.MatchString(sel.Namespace):
		v.add(path+".namespace", fmt.Sprintf("%q is not a namespace or namespace pattern (a DNS label of at most 63 lower-case letters, digits and '-', where * and ? are wildcards)", sel.Namespace), "fix the namespace")
	}
	if len(sel.Labels) > maxSelectorLabels {
		v.add(path+".labels", fmt.Sprintf("%d labels; EKS allows at most %d per selector", len(sel.Labels), maxSelectorLabels), "remove some labels")
	}
	for _, k := range specSortedKeys(sel.Labels) {
		p := path + ".labels[" + strconv.Quote(k) + "]"
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.add(p, fmt.Sprintf("%q is not a label key: %s", k, strings.Join(errs, "; ")), "fix the key (wildcards are allowed in values only)")
		}
		val := sel.Labels[k]
		if errs := validation.IsValidLabelValue(strings.NewReplacer("*", "x", "?", "x").Replace(val)); len(errs) > 0 {
			v.add(p, fmt.Sprintf("%q is not a label value or pattern: %s", val, strings.Join(errs, "; ")), "fix the value (* and ? are wildcards)")
		}
	}
}

func (v *specValidator) addons(partition string) {
	s := v.s
	names := map[string]int{}
	irsaRoles := map[string]bool{}
	for _, r := range s.IRSA.ServiceAccounts {
		for _, sa := range r.ServiceAccounts() {
			irsaRoles[sa.String()] = true
		}
	}
	for i, a := range s.Addons {
		path := fmt.Sprintf("spec.addons[%d]", i)
		if a.Name == "" {
			v.add(path+".name", "the addon name is empty", "name an EKS addon such as vpc-cni, coredns or kube-proxy")
		} else if j, dup := names[a.Name]; dup {
			v.add(path+".name", fmt.Sprintf("%s is also spec.addons[%d]", a.Name, j), "list each addon once")
		}
		names[a.Name] = i
		if a.ConfigurationValues != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(a.ConfigurationValues), &m); err != nil || m == nil {
				v.add(path+".configurationValues", "the configuration values are not a JSON object", `write a JSON object, such as {"computeType":"Fargate"}`)
			} else if a.Name == "coredns" && s.CoreDNS.OnFargate != nil && *s.CoreDNS.OnFargate {
				if ct, ok := m["computeType"]; ok && ct != "Fargate" {
					v.add(path+".configurationValues", fmt.Sprintf("computeType is %v but coreDNS.onFargate is on; on a Fargate-only cluster CoreDNS needs computeType Fargate", ct), `set "computeType":"Fargate"`)
				}
			}
		}
		if a.ServiceAccountRoleARN != "" && a.ServiceAccountRole != "" {
			v.add(path, "both serviceAccountRoleARN and serviceAccountRole are set", "set one of them")
		}
		if r := a.ServiceAccountRoleARN; r != "" {
			if m := roleARNRE.FindStringSubmatch(r); m == nil {
				v.add(path+".serviceAccountRoleARN", fmt.Sprintf("%q is not an IAM role ARN", r), "use arn:aws:iam::<account>:role/<name>")
			} else if partition != "" && m[1] != partition {
				v.add(path+".serviceAccountRoleARN", fmt.Sprintf("the role is in partition %s, the cluster in %s", m[1], partition), "use a role of the cluster's partition")
			}
		}
		if r := a.ServiceAccountRole; r != "" && !irsaRoles[r] {
			v.add(path+".serviceAccountRole", fmt.Sprintf("%q names no service account of spec.irsa.serviceAccounts", r), "add an IRSA role for it under irsa.serviceAccounts, or use NAMESPACE/NAME of one that is there")
		}
		switch a.ResolveConflicts {
		case ResolveNone, ResolveOverwrite, ResolvePreserve:
		default:
			v.add(path+".resolveConflicts", fmt.Sprintf("%q is not a conflict resolution", a.ResolveConflicts), "use NONE, OVERWRITE or PRESERVE")
		}
	}
}

func (v *specValidator) irsa(partition string) {
	seen := map[string]string{}
	for i, r := range v.s.IRSA.ServiceAccounts {
		path := fmt.Sprintf("spec.irsa.serviceAccounts[%d]", i)
		for j, sa := range r.ServiceAccounts() {
			p := path
			if j > 0 {
				p = fmt.Sprintf("%s.alsoServiceAccounts[%d]", path, j-1)
			}
			if sa.Namespace == "" {
				v.add(p+".namespace", "the service account has no namespace", "set its namespace")
			}
			if sa.Name == "" {
				v.add(p+".name", "the service account has no name", "set its name")
			}
			if strings.ContainsAny(sa.Namespace+sa.Name, "*?") && !r.AllowWildcardSubjects {
				v.add(p, fmt.Sprintf("%s has a wildcard, which lets every matching service account assume the role", sa), "name the service account exactly, or set allowWildcardSubjects: true")
			}
			if prev, dup := seen[sa.String()]; dup && sa.Namespace != "" && sa.Name != "" {
				v.add(p, fmt.Sprintf("%s already has a role in %s", sa, prev), "give each service account one role")
			}
			seen[sa.String()] = path
		}
		if r.RoleName != "" && !roleNameRE.MatchString(r.RoleName) {
			v.add(path+".roleName", fmt.Sprintf("%q is not an IAM role name (1 to 64 of letters, digits and +=,.@_-)", r.RoleName), "rename the role")
		}
		if r.RolePath != "" && !rolePathRE.MatchString(r.RolePath) {
			v.add(path+".rolePath", fmt.Sprintf("%q is not an IAM path", r.RolePath), `use "/"`)
		}
		for j, a := range r.ManagedPolicyARNs {
			if !policyARNRE.MatchString(a) {
				v.add(fmt.Sprintf("%s.managedPolicyARNs[%d]", path, j), fmt.Sprintf("%q is not a managed policy ARN", a), "use arn:aws:iam::<account>:policy/<name>")
			}
		}
		for _, name := range specSortedKeys(r.InlinePolicies) {
			var m map[string]any
			if err := json.Unmarshal([]byte(r.InlinePolicies[name]), &m); err != nil || m == nil {
				v.add(path+".inlinePolicies["+strconv.Quote(name)+"]", "the policy is not a JSON object", "write an IAM policy document")
			}
		}
		if r.PermissionsBoundary != "" && !policyARNRE.MatchString(r.PermissionsBoundary) {
			v.add(path+".permissionsBoundary", fmt.Sprintf("%q is not a managed policy ARN", r.PermissionsBoundary), "use arn:aws:iam::<account>:policy/<name>")
		}
		v.tags(path+".tags", r.Tags)
	}
}
