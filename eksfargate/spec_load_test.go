package eksfargate

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
	"github.com/fargatekit/fargatekit/irsa"
)

func TestLoadSpecWalkthrough(t *testing.T) {
	data, err := os.ReadFile("testdata/walkthrough.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s, err := LoadSpec([]byte(strings.ReplaceAll(string(data), "${KMS_KEY_ARN}", key)))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		APIVersion: APIVersion, Kind: Kind, Name: "eks-test", Region: "ap-northeast-1",
		Tags:             map[string]string{"env": "walkthrough"},
		Network:          NetworkSpec{VPC: &VPCSpec{CIDR: "192.168.0.0/16", AvailabilityZones: []string{"ap-northeast-1a", "ap-northeast-1c"}, NATGateway: NATSingle}},
		ClusterRole:      RoleSpec{Name: "eksClusterRole"},
		PodExecutionRole: RoleSpec{Name: "AmazonEKSFargatePodExecutionRole"},
		Cluster: ClusterSpec{Version: "1.34", EndpointPublicAccess: boolp(true), EndpointPrivateAccess: boolp(true),
			SecretsKMSKeyARN: key, ServiceIPv4CIDR: "172.20.0.0/16", Logging: AllLogTypes, AuthenticationMode: access.AuthModeAPIAndConfigMap},
		FargateProfiles: []FargateProfileSpec{{Name: "init-fargate", Selectors: []Selector{
			{Namespace: "kube-system"}, {Namespace: "default"}, {Namespace: "monitoring"}, {Namespace: "kubernetes-dashboard"}}}},
		Addons: []AddonSpec{{Name: "vpc-cni", ServiceAccountRole: "kube-system/aws-node"},
			{Name: "coredns", ConfigurationValues: `{"computeType":"Fargate"}`}, {Name: "kube-proxy"}},
		CoreDNS: coredns.Spec{OnFargate: boolp(true)},
		Access: access.Spec{Mappings: []access.Mapping{
			{ARN: "arn:aws:iam::123456789012:user/admin", Username: "admin", Groups: []string{access.GroupSystemMasters}, AllowClusterAdmin: true},
			{ARN: "arn:aws:iam::123456789012:user/ops-user", Username: "ops-user", Groups: []string{access.GroupSystemMasters}, AllowClusterAdmin: true},
		}},
		IRSA: IRSASpec{OIDCProvider: boolp(true), ServiceAccounts: []irsa.ServiceAccountRole{
			{Namespace: "kube-system", Name: "aws-node", ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}}}},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("LoadSpec (-want +got):\n%s", diff)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func boolp(b bool) *bool { return &b }

func TestLoadSpecErrors(t *testing.T) {
	const head = "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: c\nregion: us-west-2\n"
	for _, tc := range []struct {
		name   string
		reason string
		doc    string
		paths  []string // problem paths; nil means a plain error
		text   string   // substring of the error
	}{
		{"unknown top", "unknown fields are rejected with their path", head + "clustr: {}\n", []string{"spec.clustr"}, `did you mean "cluster"?`},
		{"unknown nested", "nested unknown fields have the full path", head + "cluster:\n  logginng: [api]\n", []string{"spec.cluster.logginng"}, `did you mean "logging"?`},
		{"unknown in list", "list elements are indexed", head + "fargateProfiles:\n- name: a\n  selectors:\n  - namespace: x\n    label: {a: b}\n", []string{"spec.fargateProfiles[0].selectors[0].label"}, `did you mean "labels"?`},
		{"case", "field names are case-sensitive", head + "Cluster: {}\n", []string{"spec.Cluster"}, `did you mean "cluster"?`},
		{"all unknown", "every unknown field is reported at once", head + "a: 1\nnetwork:\n  b: 2\n", []string{"spec.a", "spec.network.b"}, "unknown field"},
		{"irsa unknown", "embedded irsa types are checked too", head + "irsa:\n  serviceAccounts:\n  - namespace: a\n    name: b\n    roleNmae: x\n", []string{"spec.irsa.serviceAccounts[0].roleNmae"}, `did you mean "roleName"?`},
		{"api version", "the version is checked", strings.Replace(head, "v1alpha1", "v1", 1), []string{"spec.apiVersion"}, "reads fargatekit.io/v1alpha1"},
		{"no kind", "kind is required", strings.Replace(head, "kind: FargateCluster\n", "", 1), []string{"spec.kind"}, "missing"},
		{"type", "wrong types name the field", head + "cluster:\n  endpointPublicAccess: maybe\n", []string{"spec.cluster.endpointPublicAccess"}, "boolean"},
		{"duplicate key", "keys given twice are rejected", head + "name: d\n", nil, "already set"},
		{"syntax", "YAML syntax errors are errors", head + "cluster: [\n", nil, "spec"},
		{"empty", "an empty document is an error", "", []string{"spec"}, "empty"},
		{"not a map", "the document is a mapping", "- a\n", []string{"spec"}, "not a mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadSpec([]byte(tc.doc))
			if err == nil {
				t.Fatalf("%s: LoadSpec = %+v, want an error", tc.reason, s)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("%s: error %q lacks %q", tc.reason, err, tc.text)
			}
			var ve *ValidationError
			if tc.paths == nil {
				return
			}
			if !errors.As(err, &ve) {
				t.Fatalf("%s: error %v is not a *ValidationError", tc.reason, err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Path)
			}
			if diff := cmp.Diff(tc.paths, got); diff != "" {
				t.Errorf("%s: paths (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLoadSpecQuotedVersion(t *testing.T) {
	doc := "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: c\nregion: us-west-2\ncluster:\n  version: 1.30\n"
	s, err := LoadSpec([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	// YAML reads 1.30 as a number; Validate explains instead of letting
	// "1.3" through.
	s.WithVPC("10.0.0.0/16").WithClusterRole("r").WithPodExecutionRole("p").AddFargateProfile("p", SelectNamespace("kube-system"))
	err = s.Validate()
	if err == nil || !strings.Contains(err.Error(), "quote the version") {
		t.Errorf("Validate = %v, want the advice to quote the version", err)
	}
}

// initFargateJSON is the walkthrough's init-fargate.json.
const initFargateJSON = `{
    "fargateProfileName": "init-fargate",
    "clusterName": "eks-test",
    "podExecutionRoleArn": "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
    "subnets": [
        "subnet-0a1b2c3d4e5f60001",
        "subnet-0a1b2c3d4e5f60002"
    ],
    "selectors": [
        {"namespace": "kube-system"},
        {"namespace": "default"},
        {"namespace": "monitoring", "labels": {"app": "prometheus"}},
        {"namespace": "kubernetes-dashboard"}
    ],
    "tags": {"env": "walkthrough"}
}`

func TestParseFargateProfileCLIInput(t *testing.T) {
	p, cluster, err := ParseFargateProfileCLIInput([]byte(initFargateJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := FargateProfileSpec{
		Name:                "init-fargate",
		PodExecutionRoleARN: "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
		Subnets:             []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
		Selectors: []Selector{{Namespace: "kube-system"}, {Namespace: "default"},
			{Namespace: "monitoring", Labels: map[string]string{"app": "prometheus"}}, {Namespace: "kubernetes-dashboard"}},
		Tags: map[string]string{"env": "walkthrough"},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if cluster != "eks-test" {
		t.Errorf("cluster = %q, want eks-test", cluster)
	}
	// The parsed profile becomes part of a spec of adopted subnets.
	s := NewSpec(cluster, "ap-northeast-1").WithSubnets(p.Subnets...).AdoptClusterRole("arn:aws:iam::123456789012:role/eksClusterRole").
		AdoptPodExecutionRole(p.PodExecutionRoleARN)
	s.FargateProfiles = append(s.FargateProfiles, p)
	if err := s.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseFargateProfileCLIInputErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reason string
		doc    string
		paths  []string
	}{
		{"unknown", "unknown fields have their path", `{"fargateProfileName":"a","clusterName":"c","selectors":[{"namespace":"x","label":{}}],"subnet":[]}`,
			[]string{"selectors[0].label", "subnet"}},
		{"missing", "required fields are reported together", `{"subnets":[]}`, []string{"fargateProfileName", "clusterName", "selectors"}},
		{"type", "types are checked", `{"fargateProfileName":"a","clusterName":"c","selectors":"kube-system"}`, []string{"selectors"}},
		{"array", "the document is an object", `[]`, []string{"(document)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseFargateProfileCLIInput([]byte(tc.doc))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%s: error %v is not a *ValidationError", tc.reason, err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Path)
			}
			if diff := cmp.Diff(tc.paths, got); diff != "" {
				t.Errorf("%s: paths (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
	for _, bad := range []string{``, `{`, `{"a":1} {}`, `nul`} {
		if _, _, err := ParseFargateProfileCLIInput([]byte(bad)); err == nil {
			t.Errorf("ParseFargateProfileCLIInput(%q) = nil error", bad)
		}
	}
}

func FuzzLoadSpec(f *testing.F) {
	if data, err := os.ReadFile("testdata/walkthrough.yaml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: c\nregion: us-west-2\ncluster: {version: 1.30}\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("- [a, {b: c}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadSpec(data)
		if err != nil {
			if s != nil {
				t.Fatal("spec and error")
			}
			return
		}
		// Whatever loads can be validated, warned about, cloned and diffed
		// without panicking.
		_ = s.Validate()
		_ = s.Warnings()
		if c := s.Clone(); !reflect.DeepEqual(c, s) {
			t.Fatalf("Clone differs:\n%s", cmp.Diff(s, c))
		}
	})
}

func FuzzParseFargateProfileCLIInput(f *testing.F) {
	f.Add([]byte(initFargateJSON))
	f.Add([]byte(`{"fargateProfileName":"a","clusterName":"c","selectors":[]}`))
	f.Add([]byte(`{"selectors":[{"namespace":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, cluster, err := ParseFargateProfileCLIInput(data)
		if err != nil {
			if p.Name != "" || cluster != "" {
				t.Fatal("profile and error")
			}
			return
		}
		if p.Selectors == nil {
			t.Fatal("nil selectors on success")
		}
		s := NewSpec("c", "us-west-2").WithSubnets("subnet-0123456789abcdef0", "subnet-0123456789abcdef1").
			WithClusterRole("r").WithPodExecutionRole("p")
		s.FargateProfiles = []FargateProfileSpec{p}
		_ = s.Validate()
		_ = s.Warnings()
	})
}
