package awsproxy

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// DefaultClusterVersions returns the built-in Kubernetes version catalogue:
// 1.35 (the default), 1.34 and 1.33 in standard support, 1.32 and 1.31 in
// extended support, 1.30 and 1.29 unsupported. Support dates are left out
// because they go stale; set them in Options.ClusterVersions if a test needs
// them. The result is a fresh slice the caller may change.
func DefaultClusterVersions() []ClusterVersion {
	mk := func(v string, s ekstypes.VersionStatus, def bool) ClusterVersion {
		return ClusterVersion{Version: v, Status: s, Default: def, PlatformVersion: "eks.1", PatchVersion: v + ".0"}
	}
	return []ClusterVersion{
		mk("1.35", ekstypes.VersionStatusStandardSupport, true),
		mk("1.34", ekstypes.VersionStatusStandardSupport, false),
		mk("1.33", ekstypes.VersionStatusStandardSupport, false),
		mk("1.32", ekstypes.VersionStatusExtendedSupport, false),
		mk("1.31", ekstypes.VersionStatusExtendedSupport, false),
		mk("1.30", ekstypes.VersionStatusUnsupported, false),
		mk("1.29", ekstypes.VersionStatusUnsupported, false),
	}
}

// DefaultAddons returns the built-in add-on catalogue: vpc-cni, coredns and
// kube-proxy for Kubernetes 1.30 to 1.35, each with exactly one default
// version per Kubernetes version. The version strings are illustrative, in
// the shape EKS uses ("v1.12.4-eksbuild.1"); they are not a copy of the
// real catalogue. The coredns configuration schema has "computeType", which
// a Fargate-only cluster sets to "Fargate". The result is a fresh slice.
func DefaultAddons() []Addon {
	all := []string{"1.30", "1.31", "1.32", "1.33", "1.34", "1.35"}
	var kubeProxy []AddonVersion
	for i, k := range all {
		minor := 30 + i
		kubeProxy = append(kubeProxy,
			AddonVersion{Version: fmt.Sprintf("v1.%d.0-eksbuild.2", minor), ClusterVersions: []string{k}, DefaultFor: []string{k}},
			AddonVersion{Version: fmt.Sprintf("v1.%d.0-eksbuild.1", minor), ClusterVersions: []string{k}},
		)
	}
	return []Addon{
		{
			Name:                   "vpc-cni",
			RequiresIAMPermissions: true,
			ComputeTypes:           []string{"ec2"},
			ConfigurationSchema:    vpcCNISchema,
			ServiceAccounts:        map[string][]string{"aws-node": {"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}},
			Versions: []AddonVersion{
				{Version: "v1.20.4-eksbuild.1", ClusterVersions: all, DefaultFor: all},
				{Version: "v1.19.6-eksbuild.1", ClusterVersions: all[:5]},
			},
		},
		{
			Name:                "coredns",
			ComputeTypes:        []string{"ec2", "fargate"},
			ConfigurationSchema: coreDNSSchema,
			Versions: []AddonVersion{
				{Version: "v1.12.4-eksbuild.1", ClusterVersions: []string{"1.33", "1.34", "1.35"}, DefaultFor: []string{"1.34", "1.35"}},
				{Version: "v1.12.1-eksbuild.2", ClusterVersions: []string{"1.33", "1.34"}, DefaultFor: []string{"1.33"}},
				{Version: "v1.11.4-eksbuild.14", ClusterVersions: []string{"1.30", "1.31", "1.32"}, DefaultFor: []string{"1.30", "1.31", "1.32"}},
			},
		},
		{
			Name:                "kube-proxy",
			ComputeTypes:        []string{"ec2"},
			ConfigurationSchema: kubeProxySchema,
			Versions:            kubeProxy,
		},
	}
}

const coreDNSSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "affinity": {"type": ["object", "null"]},
    "autoScaling": {"type": "object"},
    "computeType": {"type": "string", "description": "Set to Fargate to run CoreDNS on Fargate."},
    "corefile": {"type": "string"},
    "nodeSelector": {"type": "object"},
    "podAnnotations": {"type": "object"},
    "podDisruptionBudget": {"type": "object"},
    "podLabels": {"type": "object"},
    "replicaCount": {"type": "integer"},
    "resources": {"type": "object"},
    "tolerations": {"type": "array"},
    "topologySpreadConstraints": {"type": "array"}
  }
}`

const vpcCNISchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "affinity": {"type": "object"},
    "enableNetworkPolicy": {"type": "string"},
    "enableWindowsIpam": {"type": "string"},
    "env": {"type": "object"},
    "init": {"type": "object"},
    "nodeAgent": {"type": "object"},
    "podAnnotations": {"type": "object"},
    "podLabels": {"type": "object"},
    "resources": {"type": "object"},
    "tolerations": {"type": "array"}
  }
}`

const kubeProxySchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "ipvs": {"type": "object"},
    "iptables": {"type": "object"},
    "mode": {"type": "string", "enum": ["iptables", "ipvs", "nftables"]},
    "podAnnotations": {"type": "object"},
    "podLabels": {"type": "object"},
    "resources": {"type": "object"}
  }
}`

// schema is the part of a JSON schema the proxy checks: top-level keys and
// their JSON types.
type schema struct {
	closed bool                // additionalProperties: false
	types  map[string][]string // property → allowed JSON types; nil = any
}

func parseSchema(s string) (*schema, error) {
	if strings.TrimSpace(s) == "" {
		return &schema{}, nil
	}
	var raw struct {
		AdditionalProperties *bool                      `json:"additionalProperties"`
		Properties           map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	sc := &schema{closed: raw.AdditionalProperties != nil && !*raw.AdditionalProperties, types: map[string][]string{}}
	for name, p := range raw.Properties {
		var prop struct {
			Type json.RawMessage `json:"type"`
		}
		if err := json.Unmarshal(p, &prop); err != nil {
			return nil, fmt.Errorf("property %s: %v", name, err)
		}
		var one string
		var many []string
		switch {
		case len(prop.Type) == 0:
			sc.types[name] = nil
		case json.Unmarshal(prop.Type, &one) == nil:
			sc.types[name] = []string{one}
		case json.Unmarshal(prop.Type, &many) == nil:
			sc.types[name] = many
		default:
			return nil, fmt.Errorf("property %s: type is neither a string nor a list", name)
		}
	}
	return sc, nil
}

// check validates configuration values (a JSON object) against the schema
// and returns a description of the first problem.
func (sc *schema) check(values map[string]json.RawMessage) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		allowed, known := sc.types[k]
		if !known {
			if sc.closed {
				return fmt.Sprintf("$.%s: is not defined in the schema and the schema does not allow additional properties", k)
			}
			continue
		}
		if allowed == nil {
			continue
		}
		got := jsonType(values[k])
		ok := false
		for _, t := range allowed {
			if t == got || (t == "number" && got == "integer") {
				ok = true
			}
		}
		if !ok {
			return fmt.Sprintf("$.%s: %s found, %s expected", k, got, strings.Join(allowed, " or "))
		}
	}
	return ""
}

func jsonType(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "null":
		return "null"
	case s == "true" || s == "false":
		return "boolean"
	case strings.HasPrefix(s, "{"):
		return "object"
	case strings.HasPrefix(s, "["):
		return "array"
	case strings.HasPrefix(s, `"`):
		return "string"
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return "integer"
	}
	return "number"
}

// catalog is the resolved version and add-on catalogue.
type catalog struct {
	versions []ClusterVersion // newest first
	addons   map[string]*catalogAddon
	names    []string // add-on names, sorted
}

type catalogAddon struct {
	Addon
	schema *schema
}

func newCatalog(versions []ClusterVersion, addons []Addon) (*catalog, error) {
	c := &catalog{addons: map[string]*catalogAddon{}}
	c.versions = append([]ClusterVersion(nil), versions...)
	sort.SliceStable(c.versions, func(i, j int) bool { return versionLess(c.versions[j].Version, c.versions[i].Version) })
	for _, a := range addons {
		sc, err := parseSchema(a.ConfigurationSchema)
		if err != nil {
			return nil, invalidf("add-on %s: ConfigurationSchema: %v", a.Name, err)
		}
		if a.Type == "" {
			a.Type = "networking"
		}
		if a.Publisher == "" {
			a.Publisher = "eks"
		}
		if a.Owner == "" {
			a.Owner = "aws"
		}
		if a.DefaultNamespace == "" {
			a.DefaultNamespace = "kube-system"
		}
		if strings.TrimSpace(a.ConfigurationSchema) == "" {
			a.ConfigurationSchema = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`
		}
		c.addons[a.Name] = &catalogAddon{Addon: a, schema: sc}
		c.names = append(c.names, a.Name)
	}
	sort.Strings(c.names)
	return c, nil
}

// versionLess orders "1.9" before "1.10".
func versionLess(a, b string) bool {
	am, an, ok1 := splitVersion(a)
	bm, bn, ok2 := splitVersion(b)
	if !ok1 || !ok2 {
		return a < b
	}
	if am != bm {
		return am < bm
	}
	return an < bn
}

func (c *catalog) version(v string) *ClusterVersion {
	for i := range c.versions {
		if c.versions[i].Version == v {
			return &c.versions[i]
		}
	}
	return nil
}

// defaultVersion is the version CreateCluster uses when none is given; empty
// if the catalogue has no default.
func (c *catalog) defaultVersion() string {
	for _, v := range c.versions {
		if v.Default {
			return v.Version
		}
	}
	return ""
}

// checkVersion refuses versions outside the catalogue or unsupported. An
// empty catalogue accepts anything.
func (c *catalog) checkVersion(v string) *apiError {
	if len(c.versions) == 0 {
		return nil
	}
	cv := c.version(v)
	if cv == nil || cv.Status == ekstypes.VersionStatusUnsupported {
		return invalidParam("unsupported Kubernetes version %s", v)
	}
	return nil
}

func (v *ClusterVersion) platformVersion() string {
	if v.PlatformVersion != "" {
		return v.PlatformVersion
	}
	return "eks.1"
}

// render is the version in DescribeClusterVersions' answer.
func (v *ClusterVersion) render() map[string]any {
	patch := v.PatchVersion
	if patch == "" {
		patch = v.Version + ".0"
	}
	m := map[string]any{
		"clusterVersion":         v.Version,
		"clusterType":            "eks",
		"defaultPlatformVersion": v.platformVersion(),
		"defaultVersion":         v.Default,
		"versionStatus":          string(v.Status),
		"status":                 strings.ToLower(strings.ReplaceAll(string(v.Status), "_", "-")),
		"kubernetesPatchVersion": patch,
	}
	for k, t := range map[string]time.Time{
		"releaseDate":              v.ReleaseDate,
		"endOfStandardSupportDate": v.EndOfStandardSupport,
		"endOfExtendedSupportDate": v.EndOfExtendedSupport,
	} {
		if !t.IsZero() {
			m[k] = epoch(t)
		}
	}
	return m
}

func (a *catalogAddon) version(v string) *AddonVersion {
	for i := range a.Versions {
		if a.Versions[i].Version == v {
			return &a.Versions[i]
		}
	}
	return nil
}

// defaultFor returns the default version for a Kubernetes version.
func (a *catalogAddon) defaultFor(k string) string {
	for _, v := range a.Versions {
		if contains(v.DefaultFor, k) {
			return v.Version
		}
	}
	return ""
}
