package eksfargate

import (
	"maps"
	"slices"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/irsa"
)

// Clone returns a deep copy of s: changing the copy never changes s. Nil and
// empty slices stay as they are (an empty Logging list means "off").
func (s *Spec) Clone() *Spec {
	if s == nil {
		return nil
	}
	c := *s
	c.Tags = maps.Clone(s.Tags)
	c.Network.SubnetIDs = slices.Clone(s.Network.SubnetIDs)
	c.Network.SecurityGroupIDs = slices.Clone(s.Network.SecurityGroupIDs)
	if v := s.Network.VPC; v != nil {
		vc := *v
		vc.AvailabilityZones = slices.Clone(v.AvailabilityZones)
		vc.PublicSubnetCIDRs = slices.Clone(v.PublicSubnetCIDRs)
		vc.PrivateSubnetCIDRs = slices.Clone(v.PrivateSubnetCIDRs)
		c.Network.VPC = &vc
	}
	c.ClusterRole.ExtraManagedPolicyARNs = slices.Clone(s.ClusterRole.ExtraManagedPolicyARNs)
	c.PodExecutionRole.ExtraManagedPolicyARNs = slices.Clone(s.PodExecutionRole.ExtraManagedPolicyARNs)
	c.Cluster.EndpointPublicAccess = cloneBoolPtr(s.Cluster.EndpointPublicAccess)
	c.Cluster.EndpointPrivateAccess = cloneBoolPtr(s.Cluster.EndpointPrivateAccess)
	c.Cluster.PublicAccessCIDRs = slices.Clone(s.Cluster.PublicAccessCIDRs)
	c.Cluster.Logging = slices.Clone(s.Cluster.Logging)
	c.Cluster.Tags = maps.Clone(s.Cluster.Tags)
	if s.FargateProfiles != nil {
		c.FargateProfiles = make([]FargateProfileSpec, len(s.FargateProfiles))
		for i, p := range s.FargateProfiles {
			p.Subnets = slices.Clone(p.Subnets)
			p.Tags = maps.Clone(p.Tags)
			if p.Selectors != nil {
				sels := make([]Selector, len(p.Selectors))
				for j, sel := range p.Selectors {
					sels[j] = Selector{Namespace: sel.Namespace, Labels: maps.Clone(sel.Labels)}
				}
				p.Selectors = sels
			}
			c.FargateProfiles[i] = p
		}
	}
	c.Addons = slices.Clone(s.Addons)
	c.CoreDNS.OnFargate = cloneBoolPtr(s.CoreDNS.OnFargate)
	if s.Access.Mappings != nil {
		c.Access.Mappings = make([]access.Mapping, len(s.Access.Mappings))
		for i, m := range s.Access.Mappings {
			m.Groups = slices.Clone(m.Groups)
			if m.AccessPolicies != nil {
				ps := make([]access.Policy, len(m.AccessPolicies))
				for j, p := range m.AccessPolicies {
					ps[j] = access.Policy{PolicyARN: p.PolicyARN, Namespaces: slices.Clone(p.Namespaces)}
				}
				m.AccessPolicies = ps
			}
			c.Access.Mappings[i] = m
		}
	}
	c.IRSA.OIDCProvider = cloneBoolPtr(s.IRSA.OIDCProvider)
	if s.IRSA.ServiceAccounts != nil {
		c.IRSA.ServiceAccounts = make([]irsa.ServiceAccountRole, len(s.IRSA.ServiceAccounts))
		for i, r := range s.IRSA.ServiceAccounts {
			r.AlsoServiceAccounts = slices.Clone(r.AlsoServiceAccounts)
			r.ManagedPolicyARNs = slices.Clone(r.ManagedPolicyARNs)
			r.InlinePolicies = maps.Clone(r.InlinePolicies)
			r.Tags = maps.Clone(r.Tags)
			r.STSRegionalEndpoints = cloneBoolPtr(r.STSRegionalEndpoints)
			if r.TokenExpiration != nil {
				v := *r.TokenExpiration
				r.TokenExpiration = &v
			}
			c.IRSA.ServiceAccounts[i] = r
		}
	}
	return &c
}

func cloneBoolPtr(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
