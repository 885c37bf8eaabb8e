package eksfargate

import (
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/internal/wildcard"

	"encoding/json"
	"fmt"
	"math/bits"
	"net/netip"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fargatekit/fargatekit/irsa"
)

// NewSpec returns a spec for the cluster name in region with the version
// header set. Chain the With… and Add… methods to fill it in:
//
//	s := eksfargate.NewSpec("eks-test", "ap-northeast-1").
//		WithVPC("192.168.0.0/16").
//		WithClusterRole("eksClusterRole").
//		WithPodExecutionRole("AmazonEKSFargatePodExecutionRole").
//		AddFargateProfile("init-fargate", eksfargate.SelectNamespace("kube-system"))
//
// Everything left empty gets its default from Defaults (called by Plan).
func NewSpec(name, region string) *Spec {
	return &Spec{APIVersion: APIVersion, Kind: Kind, Name: name, Region: region}
}

// WithAccountID sets the AWS account; without it Plan asks STS.
func (s *Spec) WithAccountID(id string) *Spec { s.AccountID = id; return s }

// WithTag adds a tag that goes on every resource fargatekit creates.
func (s *Spec) WithTag(key, value string) *Spec {
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
	s.Tags[key] = value
	return s
}

// WithVPC makes fargatekit create a VPC with cidr over the given
// availability zones (default: the first two of the region), with public
// and private subnets carved from cidr.
func (s *Spec) WithVPC(cidr string, availabilityZones ...string) *Spec {
	s.Network.VPC = &VPCSpec{CIDR: cidr, AvailabilityZones: availabilityZones}
	return s
}

// WithNATGateway sets the NAT layout of the created VPC: NATSingle or
// NATPerAZ. It creates the VPC spec if WithVPC was not called.
func (s *Spec) WithNATGateway(layout string) *Spec {
	if s.Network.VPC == nil {
		s.Network.VPC = &VPCSpec{}
	}
	s.Network.VPC.NATGateway = layout
	return s
}

// WithSubnets adopts existing subnets instead of creating a VPC.
func (s *Spec) WithSubnets(ids ...string) *Spec {
	s.Network.SubnetIDs = append([]string(nil), ids...)
	return s
}

// WithClusterRole makes fargatekit create (or converge) the cluster role
// with this name.
func (s *Spec) WithClusterRole(name string) *Spec { s.ClusterRole = RoleSpec{Name: name}; return s }

// AdoptClusterRole uses an existing cluster role.
func (s *Spec) AdoptClusterRole(arn string) *Spec { s.ClusterRole = RoleSpec{ARN: arn}; return s }

// WithPodExecutionRole makes fargatekit create (or converge) the Fargate pod
// execution role with this name.
func (s *Spec) WithPodExecutionRole(name string) *Spec {
	s.PodExecutionRole = RoleSpec{Name: name}
	return s
}

// AdoptPodExecutionRole uses an existing Fargate pod execution role.
func (s *Spec) AdoptPodExecutionRole(arn string) *Spec {
	s.PodExecutionRole = RoleSpec{ARN: arn}
	return s
}

// WithVersion sets the Kubernetes version, such as "1.33".
func (s *Spec) WithVersion(v string) *Spec { s.Cluster.Version = v; return s }

// WithEndpointAccess sets the API server endpoint access and, for the public
// endpoint, the CIDRs allowed to reach it.
func (s *Spec) WithEndpointAccess(public, private bool, publicCIDRs ...string) *Spec {
	s.Cluster.EndpointPublicAccess = &public
	s.Cluster.EndpointPrivateAccess = &private
	s.Cluster.PublicAccessCIDRs = append([]string(nil), publicCIDRs...)
	return s
}

// WithSecretsEncryption enables envelope encryption of Secrets with the KMS
// key keyARN (same region as the cluster). It cannot be undone.
func (s *Spec) WithSecretsEncryption(keyARN string) *Spec {
	s.Cluster.SecretsKMSKeyARN = keyARN
	return s
}

// WithServiceCIDR sets the Kubernetes service IPv4 CIDR (immutable).
func (s *Spec) WithServiceCIDR(cidr string) *Spec { s.Cluster.ServiceIPv4CIDR = cidr; return s }

// WithLogging enables exactly these control-plane log types; with no
// arguments it turns logging off.
func (s *Spec) WithLogging(types ...string) *Spec {
	s.Cluster.Logging = append([]string{}, types...)
	return s
}

// WithAuthenticationMode sets access.AuthModeAPI, access.AuthModeAPIAndConfigMap or
// access.AuthModeConfigMap.
func (s *Spec) WithAuthenticationMode(mode string) *Spec {
	s.Cluster.AuthenticationMode = mode
	return s
}

// WithDeletionProtection turns the cluster's deletion protection on or off.
func (s *Spec) WithDeletionProtection(on bool) *Spec { s.Cluster.DeletionProtection = on; return s }

// AddFargateProfile adds a Fargate profile that uses the spec's pod
// execution role and private subnets.
func (s *Spec) AddFargateProfile(name string, selectors ...Selector) *Spec {
	s.FargateProfiles = append(s.FargateProfiles, FargateProfileSpec{Name: name, Selectors: selectors})
	return s
}

// SelectNamespace returns a selector for the pods of namespace; chain
// WithLabel to narrow it.
func SelectNamespace(namespace string) Selector { return Selector{Namespace: namespace} }

// WithLabel returns a copy of sel that also requires label key=value.
func (sel Selector) WithLabel(key, value string) Selector {
	labels := make(map[string]string, len(sel.Labels)+1)
	for k, v := range sel.Labels {
		labels[k] = v
	}
	labels[key] = value
	sel.Labels = labels
	return sel
}

// AddAddon adds an EKS managed addon.
func (s *Spec) AddAddon(a AddonSpec) *Spec { s.Addons = append(s.Addons, a); return s }

// AddAccessMapping adds an IAM principal that may use the cluster.
func (s *Spec) AddAccessMapping(m access.Mapping) *Spec {
	s.Access.Mappings = append(s.Access.Mappings, m)
	return s
}

// AddServiceAccountRole adds an IRSA role.
func (s *Spec) AddServiceAccountRole(r irsa.ServiceAccountRole) *Spec {
	s.IRSA.ServiceAccounts = append(s.IRSA.ServiceAccounts, r)
	return s
}

// Defaults fills every default that needs no AWS call, in place, and returns
// s. It is the one place defaults are decided; Plan calls it on a copy of
// the spec. Defaults that depend on the account (the Kubernetes version, the
// availability zones, the addon versions, the subnets of a VPC still to be
// created) are resolved by Plan from what it observes.
//
//   - apiVersion and kind: APIVersion, Kind;
//   - network.vpc: natGateway "single"; when AZs are given, subnet CIDRs
//     carved from the VPC CIDR (public first, then private, in equal
//     power-of-two blocks: 192.168.0.0/16 over 2 AZs gives /18s);
//   - roles: path "/";
//   - cluster: both endpoints on, public CIDRs 0.0.0.0/0 when public,
//     logging AllLogTypes (an explicit empty list means off),
//     authenticationMode API;
//   - fargate profiles: the pod execution role's ARN when it is adopted;
//   - addons: resolveConflicts OVERWRITE; the coredns addon gets
//     {"computeType":"Fargate"} in its configuration when coreDNS.onFargate
//     is on and the configuration does not set computeType;
//   - coreDNS: onFargate true, waitTimeoutSeconds 600;
//   - irsa: oidcProvider true when there are service-account roles.
func (s *Spec) Defaults() *Spec {
	if s.APIVersion == "" {
		s.APIVersion = APIVersion
	}
	if s.Kind == "" {
		s.Kind = Kind
	}
	if v := s.Network.VPC; v != nil {
		if v.NATGateway == "" {
			v.NATGateway = NATSingle
		}
		n := len(v.AvailabilityZones)
		if n == 0 {
			n = defaultAZCount
		}
		if len(v.PublicSubnetCIDRs) == 0 && len(v.PrivateSubnetCIDRs) == 0 {
			if pub, priv, err := CarveSubnets(v.CIDR, n); err == nil {
				v.PublicSubnetCIDRs, v.PrivateSubnetCIDRs = pub, priv
			}
		}
	}
	for _, r := range []*RoleSpec{&s.ClusterRole, &s.PodExecutionRole} {
		if r.Path == "" && r.ARN == "" {
			r.Path = "/"
		}
	}
	c := &s.Cluster
	if c.EndpointPublicAccess == nil {
		c.EndpointPublicAccess = aws.Bool(true)
	}
	if c.EndpointPrivateAccess == nil {
		c.EndpointPrivateAccess = aws.Bool(true)
	}
	if *c.EndpointPublicAccess && len(c.PublicAccessCIDRs) == 0 {
		c.PublicAccessCIDRs = []string{"0.0.0.0/0"}
	}
	if c.Logging == nil {
		c.Logging = append([]string{}, AllLogTypes...)
	}
	if c.AuthenticationMode == "" {
		c.AuthenticationMode = access.DefaultAuthenticationMode
	}
	for i := range s.FargateProfiles {
		p := &s.FargateProfiles[i]
		if p.PodExecutionRoleARN == "" && s.PodExecutionRole.ARN != "" {
			p.PodExecutionRoleARN = s.PodExecutionRole.ARN
		}
	}
	if s.CoreDNS.OnFargate == nil {
		s.CoreDNS.OnFargate = aws.Bool(true)
	}
	if s.CoreDNS.WaitTimeoutSeconds == 0 {
		s.CoreDNS.WaitTimeoutSeconds = 600
	}
	for i := range s.Addons {
		a := &s.Addons[i]
		if a.ResolveConflicts == "" {
			a.ResolveConflicts = ResolveOverwrite
		}
		if a.Name == "coredns" && *s.CoreDNS.OnFargate {
			a.ConfigurationValues = withComputeTypeFargate(a.ConfigurationValues)
		}
	}
	if s.IRSA.OIDCProvider == nil && len(s.IRSA.ServiceAccounts) > 0 {
		s.IRSA.OIDCProvider = aws.Bool(true)
	}
	return s
}

// defaultAZCount is how many availability zones a created VPC spans by
// default.
const defaultAZCount = 2

// withComputeTypeFargate adds "computeType":"Fargate" to a JSON object that
// does not set computeType. Invalid or non-object documents are returned as
// they are, for Validate to report.
func withComputeTypeFargate(cfg string) string {
	if cfg == "" {
		return `{"computeType":"Fargate"}`
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(cfg), &m); err != nil || m == nil {
		return cfg
	}
	if _, ok := m["computeType"]; ok {
		return cfg
	}
	m["computeType"] = "Fargate"
	b, err := json.Marshal(m)
	if err != nil {
		return cfg
	}
	return string(b)
}

// CarveSubnets splits an IPv4 VPC CIDR into n public and n private subnet
// CIDRs of equal size: the VPC is divided into the smallest power of two of
// blocks that holds 2n subnets; public subnets take the first n blocks,
// private subnets the next n.
func CarveSubnets(vpcCIDR string, n int) (public, private []string, err error) {
	pfx, err := netip.ParsePrefix(vpcCIDR)
	if err != nil || !pfx.Addr().Is4() {
		return nil, nil, fmt.Errorf("carve subnets: %q is not an IPv4 CIDR", vpcCIDR)
	}
	if n <= 0 {
		return nil, nil, fmt.Errorf("carve subnets: %d availability zones", n)
	}
	pfx = pfx.Masked()
	extra := bits.Len(uint(2*n - 1)) // blocks = 2^extra ≥ 2n
	size := pfx.Bits() + extra
	if size > 28 {
		return nil, nil, fmt.Errorf("carve subnets: %s is too small for %d subnets of at least /28", vpcCIDR, 2*n)
	}
	base := pfx.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	step := uint32(1) << (32 - size)
	block := func(i int) string {
		a := start + uint32(i)*step
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), size).String()
	}
	for i := 0; i < n; i++ {
		public = append(public, block(i))
		private = append(private, block(n+i))
	}
	return public, private, nil
}

func specSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Matches reports whether a pod in namespace with these labels is selected:
// the namespace matches the selector's pattern, and each of the selector's
// labels matches some label of the pod (keys and values may use the
// wildcards * and ?, as EKS allows). It is pure.
func (sel Selector) Matches(namespace string, labels map[string]string) bool {
	return wildcard.MatchSelector(sel.Namespace, sel.Labels, namespace, labels)
}
