package audit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/plan"
)

func runCLU01(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if !c.EndpointPublicAccess {
			continue
		}
		open := len(c.PublicAccessCIDRs) == 0 // EKS reports 0.0.0.0/0 then
		for _, cidr := range c.PublicAccessCIDRs {
			if cidr == "0.0.0.0/0" || cidr == "::/0" {
				open = true
			}
		}
		if !open {
			continue
		}
		f := newFinding("CLU-01", iamtrust.SeverityMedium, c, c.ARN, "the public API endpoint accepts connections from any address")
		f.Expected = "publicAccessCidrs limited to known networks, or endpointPublicAccess false"
		f.Actual = "endpointPublicAccess true, publicAccessCidrs " + list(c.PublicAccessCIDRs)
		out = append(out, f)
	}
	return out
}

func runCLU02(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.EndpointPrivateAccess {
			continue
		}
		f := newFinding("CLU-02", iamtrust.SeverityMedium, c, c.ARN, "private endpoint access is off: pods reach the API server through NAT and the public endpoint")
		f.Expected = "endpointPrivateAccess true"
		f.Actual = "endpointPrivateAccess false"
		out = append(out, f)
	}
	return out
}

// wantedLogging is the spec's log types for the cluster, or all of them.
func wantedLogging(s *Snapshot, c *Cluster) []string {
	if sp := specFor(s, c); sp != nil {
		return defaultedSpec(sp).Cluster.Logging
	}
	return eksfargate.AllLogTypes
}

func runCLU03(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		miss := missing(wantedLogging(s, c), c.Logging)
		if len(miss) == 0 {
			continue
		}
		f := newFinding("CLU-03", iamtrust.SeverityMedium, c, c.ARN, "control-plane log types not enabled: "+list(miss))
		f.Expected = "logging enabled for " + list(wantedLogging(s, c))
		f.Actual = "logging enabled for " + list(c.Logging)
		f.Fix = []plan.Change{s.fixLogging(c, miss)}
		out = append(out, f)
	}
	return out
}

func runCLU04(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.SecretsKMSKeyARN == "" {
			f := newFinding("CLU-04", iamtrust.SeverityMedium, c, c.ARN, "Secrets are not envelope-encrypted with a customer managed KMS key")
			f.Expected = "encryptionConfig for secrets with a customer managed key"
			f.Actual = "no encryptionConfig for secrets"
			out = append(out, f)
			continue
		}
		k := s.KMSKeys[c.SecretsKMSKeyARN]
		if k == nil {
			continue // the key's read failed: reported as incomplete
		}
		if k.KeyManager != "CUSTOMER" {
			f := newFinding("CLU-04", iamtrust.SeverityMedium, c, c.ARN, "Secrets are encrypted with a key that is not customer managed")
			f.Expected = "a customer managed key"
			f.Actual = k.ARN + " (keyManager " + k.KeyManager + ")"
			out = append(out, f)
		}
		if k.State != "" && k.State != "Enabled" {
			f := newFinding("CLU-04", iamtrust.SeverityHigh, c, k.ARN, "the key that encrypts the cluster's Secrets is "+k.State+": the API server cannot decrypt Secrets")
			f.Expected = "key state Enabled"
			f.Actual = "key state " + k.State
			out = append(out, f)
		}
	}
	return out
}

func runCLU05(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.Version == "" {
			continue // a cluster still being created reports none yet
		}
		v, ok := s.ClusterVersion(c.Region, c.Version)
		var sev iamtrust.Severity
		var msg, actual string
		switch {
		case !ok:
			sev, msg, actual = iamtrust.SeverityHigh, "Kubernetes "+c.Version+" is not in the region's version catalogue: treat it as unsupported", "not listed by DescribeClusterVersions"
		case v.Status == VersionStandardSupport:
			continue
		case v.Status == VersionExtendedSupport:
			sev, msg, actual = iamtrust.SeverityMedium, "Kubernetes "+c.Version+" is in extended support", v.Status
		default:
			sev, msg, actual = iamtrust.SeverityHigh, "Kubernetes "+c.Version+" is no longer supported", v.Status
		}
		if ok {
			if v.EndOfExtendedSupport != nil && v.Status == VersionExtendedSupport {
				msg += " (ends " + v.EndOfExtendedSupport.Format("2006-01-02") + ")"
			}
		}
		f := newFinding("CLU-05", sev, c, c.ARN, msg)
		f.Expected = "a version in " + VersionStandardSupport
		if std := standardVersions(s.ClusterVersions[c.Region]); len(std) > 0 {
			f.Expected += " (" + strings.Join(std, ", ") + ")"
		}
		f.Actual = c.Version + ": " + actual
		out = append(out, f)
	}
	return out
}

func standardVersions(vs []ClusterVersion) []string {
	var out []string
	for _, v := range vs {
		if v.Status == VersionStandardSupport {
			out = append(out, v.Version)
		}
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i], out[j]) })
	return out
}

// versionLess orders "1.9" before "1.10".
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, e1 := strconv.Atoi(pa[i])
		y, e2 := strconv.Atoi(pb[i])
		if e1 != nil || e2 != nil {
			return a < b
		}
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

func runCLU06(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.AuthenticationMode == access.AuthModeAPI {
			continue
		}
		f := newFinding("CLU-06", iamtrust.SeverityLow, c, c.ARN, "authentication mode "+c.AuthenticationMode+" still reads the aws-auth ConfigMap")
		f.Expected = "authenticationMode API"
		f.Actual = "authenticationMode " + c.AuthenticationMode
		out = append(out, f)
	}
	return out
}

func runCLU07(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if c.ServiceIPv4CIDR == "" || s.Network[c.Region] == nil {
			continue
		}
		vpc := s.Network[c.Region].VPCs[c.VPCID]
		if vpc == nil {
			continue
		}
		var overlaps []string
		for _, cidr := range vpc.CIDRs {
			if cidrsOverlap(c.ServiceIPv4CIDR, cidr) {
				overlaps = append(overlaps, cidr)
			}
		}
		if len(overlaps) == 0 {
			continue
		}
		f := newFinding("CLU-07", iamtrust.SeverityHigh, c, c.ARN, "service CIDR "+c.ServiceIPv4CIDR+" overlaps VPC "+vpc.ID+" ("+list(overlaps)+")")
		f.Expected = "a service CIDR outside " + list(vpc.CIDRs)
		f.Actual = c.ServiceIPv4CIDR
		out = append(out, f)
	}
	return out
}

func runCLU08(s *Snapshot) []Finding {
	sp := s.Spec
	if sp == nil {
		return nil
	}
	var out []Finding
	for _, m := range s.MissingClusters {
		if m.Name == sp.Name && m.Region == sp.Region {
			f := newFinding("CLU-08", iamtrust.SeverityHigh, nil, "arn:"+s.Partition+":eks:"+m.Region+":"+s.Account+":cluster/"+m.Name, "the spec's cluster does not exist")
			f.Region = m.Region
			f.Expected = "cluster " + m.Name + " in " + m.Region
			f.Actual = "not found"
			out = append(out, f)
		}
	}
	for _, c := range s.Clusters {
		if specFor(s, c) == nil {
			continue
		}
		d := defaultedSpec(sp).Cluster
		diff := func(field, want, got string) {
			if want == got {
				return
			}
			f := newFinding("CLU-08", iamtrust.SeverityMedium, c, c.ARN, field+" differs from the spec")
			f.Expected, f.Actual = field+" "+want, field+" "+got
			out = append(out, f)
		}
		if d.Version != "" {
			diff("version", d.Version, c.Version)
		}
		diff("endpointPublicAccess", strconv.FormatBool(aws.ToBool(d.EndpointPublicAccess)), strconv.FormatBool(c.EndpointPublicAccess))
		diff("endpointPrivateAccess", strconv.FormatBool(aws.ToBool(d.EndpointPrivateAccess)), strconv.FormatBool(c.EndpointPrivateAccess))
		if aws.ToBool(d.EndpointPublicAccess) && c.EndpointPublicAccess {
			diff("publicAccessCidrs", list(d.PublicAccessCIDRs), list(c.PublicAccessCIDRs))
		}
		diff("logging", list(d.Logging), list(c.Logging))
		diff("authenticationMode", d.AuthenticationMode, c.AuthenticationMode)
		if d.SecretsKMSKeyARN != "" {
			diff("secrets KMS key", d.SecretsKMSKeyARN, orNone(c.SecretsKMSKeyARN))
		}
		if d.ServiceIPv4CIDR != "" {
			diff("serviceIPv4CIDR", d.ServiceIPv4CIDR, c.ServiceIPv4CIDR)
		}
		diff("deletionProtection", strconv.FormatBool(d.DeletionProtection), strconv.FormatBool(aws.ToBool(c.DeletionProtection)))
		if want := specRoleARN(s, sp.ClusterRole); want != "" && !sameRole(want, c.RoleARN) {
			diff("cluster role", want, c.RoleARN)
		}
		if len(sp.Network.SubnetIDs) > 0 {
			diff("subnets", list(sp.Network.SubnetIDs), list(c.SubnetIDs))
		}
		for k, v := range d.Tags {
			if got, ok := c.Tags[k]; !ok || got != v {
				diff("tag "+k, v, orNone(got))
			}
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func runCLU09(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		if aws.ToBool(c.DeletionProtection) {
			continue
		}
		f := newFinding("CLU-09", iamtrust.SeverityInfo, c, c.ARN, "deletion protection is off")
		f.Expected = "deletionProtection true"
		f.Actual = "deletionProtection false"
		out = append(out, f)
	}
	return out
}

func runNET01(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		azs := map[string]bool{}
		var unknown []string
		for _, id := range c.SubnetIDs {
			if sn := s.Subnet(c.Region, id); sn != nil {
				azs[sn.AvailabilityZone] = true
			} else {
				unknown = append(unknown, id)
			}
		}
		if len(azs) >= 2 {
			continue
		}
		msg := fmt.Sprintf("the cluster's subnets span %d availability zone(s)", len(azs))
		if len(unknown) > 0 {
			msg += "; subnets not found: " + list(unknown)
		}
		f := newFinding("NET-01", iamtrust.SeverityMedium, c, c.ARN, msg)
		f.Expected = "subnets in at least 2 availability zones"
		f.Actual = "availability zones " + list(sortedKeys(azs)) + " (subnets " + list(c.SubnetIDs) + ")"
		out = append(out, f)
	}
	return out
}

func runNET02(s *Snapshot) []Finding {
	var out []Finding
	for _, c := range s.Clusters {
		ids := map[string]bool{}
		for _, id := range c.SubnetIDs {
			ids[id] = true
		}
		for _, p := range c.FargateProfiles {
			for _, id := range p.Subnets {
				ids[id] = true
			}
		}
		var private []string
		azs := map[string]bool{}
		for _, id := range sortedKeys(ids) {
			if sn := s.Subnet(c.Region, id); sn != nil && !sn.Public() {
				private = append(private, id)
				azs[sn.AvailabilityZone] = true
			}
		}
		if len(private) >= 2 && len(azs) >= 2 {
			continue
		}
		f := newFinding("NET-02", iamtrust.SeverityMedium, c, c.ARN,
			fmt.Sprintf("%d private subnet(s) in %d availability zone(s) for Fargate pods", len(private), len(azs)))
		f.Expected = "at least 2 private subnets in 2 availability zones"
		f.Actual = "private subnets " + list(private)
		out = append(out, f)
	}
	return out
}
