package eksfargate

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/eksfargate/coredns"
)

func TestCarveSubnets(t *testing.T) {
	for _, tc := range []struct {
		cidr         string
		n            int
		public, priv []string
		wantErr      bool
		reason       string
	}{
		{"192.168.0.0/16", 2, []string{"192.168.0.0/18", "192.168.64.0/18"}, []string{"192.168.128.0/18", "192.168.192.0/18"}, false, "4 subnets: quarters"},
		{"10.0.0.0/16", 3, []string{"10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"}, []string{"10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"}, false, "6 subnets: eighths, two left over"},
		{"10.0.0.0/26", 2, []string{"10.0.0.0/28", "10.0.0.16/28"}, []string{"10.0.0.32/28", "10.0.0.48/28"}, false, "the smallest that fits /28s"},
		{"10.0.0.0/27", 2, nil, nil, true, "/29s are too small for subnets"},
		{"10.0.0.0", 2, nil, nil, true, "not a CIDR"},
		{"fd00::/56", 2, nil, nil, true, "IPv6 is out of scope"},
		{"10.0.0.0/16", 0, nil, nil, true, "no zones"},
		{"10.0.1.0/16", 1, []string{"10.0.0.0/17"}, []string{"10.0.128.0/17"}, false, "host bits are masked"},
	} {
		pub, priv, err := CarveSubnets(tc.cidr, tc.n)
		if (err != nil) != tc.wantErr {
			t.Errorf("CarveSubnets(%s, %d) error = %v, want error %t (%s)", tc.cidr, tc.n, err, tc.wantErr, tc.reason)
			continue
		}
		if diff := cmp.Diff(tc.public, pub); diff != "" {
			t.Errorf("CarveSubnets(%s, %d) public (-want +got) (%s):\n%s", tc.cidr, tc.n, tc.reason, diff)
		}
		if diff := cmp.Diff(tc.priv, priv); diff != "" {
			t.Errorf("CarveSubnets(%s, %d) private (-want +got) (%s):\n%s", tc.cidr, tc.n, tc.reason, diff)
		}
	}
}

func TestDefaults(t *testing.T) {
	s := NewSpec("c", "us-west-2").WithVPC("10.0.0.0/16").WithClusterRole("r").AdoptPodExecutionRole("arn:aws:iam::123456789012:role/p").
		AddFargateProfile("p", SelectNamespace("kube-system")).
		AddAddon(AddonSpec{Name: "coredns", ConfigurationValues: `{"replicaCount":3}`}).
		AddAddon(AddonSpec{Name: "kube-proxy"})
	s.Defaults()
	want := &Spec{
		APIVersion: APIVersion, Kind: Kind, Name: "c", Region: "us-west-2",
		Network: NetworkSpec{VPC: &VPCSpec{CIDR: "10.0.0.0/16", NATGateway: NATSingle,
			PublicSubnetCIDRs: []string{"10.0.0.0/18", "10.0.64.0/18"}, PrivateSubnetCIDRs: []string{"10.0.128.0/18", "10.0.192.0/18"}}},
		ClusterRole:      RoleSpec{Name: "r", Path: "/"},
		PodExecutionRole: RoleSpec{ARN: "arn:aws:iam::123456789012:role/p"},
		Cluster: ClusterSpec{EndpointPublicAccess: boolp(true), EndpointPrivateAccess: boolp(true), PublicAccessCIDRs: []string{"0.0.0.0/0"},
			Logging: AllLogTypes, AuthenticationMode: access.AuthModeAPI},
		FargateProfiles: []FargateProfileSpec{{Name: "p", PodExecutionRoleARN: "arn:aws:iam::123456789012:role/p", Selectors: []Selector{{Namespace: "kube-system"}}}},
		Addons: []AddonSpec{
			{Name: "coredns", ConfigurationValues: `{"computeType":"Fargate","replicaCount":3}`, ResolveConflicts: ResolveOverwrite},
			{Name: "kube-proxy", ResolveConflicts: ResolveOverwrite},
		},
		CoreDNS: coredns.Spec{OnFargate: boolp(true), WaitTimeoutSeconds: 600},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Defaults (-want +got):\n%s", diff)
	}
	// Defaults is idempotent.
	again := s.Clone().Defaults()
	if diff := cmp.Diff(s, again); diff != "" {
		t.Errorf("Defaults twice (-once +twice):\n%s", diff)
	}
	// An explicit empty log list stays off.
	off := NewSpec("c", "us-west-2").WithLogging().Defaults()
	if off.Cluster.Logging == nil || len(off.Cluster.Logging) != 0 {
		t.Errorf("WithLogging() then Defaults: logging %v, want empty", off.Cluster.Logging)
	}
	// CoreDNS off Fargate leaves the addon's configuration alone.
	ec2 := NewSpec("c", "us-west-2").AddAddon(AddonSpec{Name: "coredns"})
	ec2.CoreDNS.OnFargate = boolp(false)
	if got := ec2.Defaults().Addons[0].ConfigurationValues; got != "" {
		t.Errorf("coredns off Fargate: configuration %q, want empty", got)
	}
}

// TestCloneIsDeep fills every field of a spec by reflection, clones it, and
// checks that the clone is equal and shares no memory: a field added later
// without a deep copy fails this test.
func TestCloneIsDeep(t *testing.T) {
	s := &Spec{}
	fkFill(reflect.ValueOf(s).Elem(), 0)
	c := s.Clone()
	if diff := cmp.Diff(s, c); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	// Change every reachable value of the clone; the original must not move.
	before := fmt.Sprintf("%+v", s)
	fkFill(reflect.ValueOf(c).Elem(), 1)
	if diff := cmp.Diff(before, fmt.Sprintf("%+v", s)); diff != "" {
		t.Errorf("changing the clone changed the original:\n%s", diff)
	}
	if (*Spec)(nil).Clone() != nil {
		t.Error("nil.Clone() != nil")
	}
}

// fkFill sets every field reachable from v to a value derived from seed,
// growing slices and maps to one element and allocating pointers.
func fkFill(v reflect.Value, seed int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", seed))
	case reflect.Bool:
		v.SetBool(seed%2 == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(seed + 7))
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fkFill(v.Elem(), seed)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fkFill(v.Field(i), seed)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := 0; i < v.Len(); i++ {
			fkFill(v.Index(i), seed)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		k := reflect.New(v.Type().Key()).Elem()
		fkFill(k, 0)
		e := reflect.New(v.Type().Elem()).Elem()
		fkFill(e, seed)
		v.SetMapIndex(k, e)
	}
}

func TestReplacementProfileName(t *testing.T) {
	sels := []Selector{SelectNamespace("kube-system"), SelectNamespace("default")}
	role := "arn:aws:iam::123456789012:role/pods"
	a := ReplacementProfileName("init-fargate", role, []string{"subnet-b", "subnet-a"}, sels)
	b := ReplacementProfileName("init-fargate", role, []string{"subnet-a", "subnet-b"}, []Selector{sels[1], sels[0]})
	if a != b {
		t.Errorf("the name depends on order: %s vs %s", a, b)
	}
	if !profileBelongsTo("init-fargate", a) {
		t.Errorf("profileBelongsTo(init-fargate, %s) = false", a)
	}
	c := ReplacementProfileName("init-fargate", role, []string{"subnet-a"}, sels)
	if c == a {
		t.Errorf("different subnets give the same name %s", c)
	}
	long := string(make([]byte, 0)) + fmt.Sprintf("%0100d", 0)
	l := ReplacementProfileName(long, role, nil, sels)
	if len(l) != maxProfileNameLen || !profileBelongsTo(long, l) {
		t.Errorf("long name: %q (%d characters), belongs %t", l, len(l), profileBelongsTo(long, l))
	}
	for _, tc := range []struct {
		spec, live string
		want       bool
		reason     string
	}{
		{"p", "p", true, "the spec name itself"},
		{"p", "p-0123abcd", true, "a replacement"},
		{"p", "p-0123abcg", false, "not hex"},
		{"p", "p-0123abc", false, "too short"},
		{"p", "pp-0123abcd", false, "another profile"},
		{"p", "p-x-0123abcd", false, "another profile with a suffix"},
	} {
		if got := profileBelongsTo(tc.spec, tc.live); got != tc.want {
			t.Errorf("profileBelongsTo(%q, %q) = %t, want %t (%s)", tc.spec, tc.live, got, tc.want, tc.reason)
		}
	}
}
