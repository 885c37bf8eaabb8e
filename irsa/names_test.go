package irsa_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/irsa"
)

func TestDefaultRoleName(t *testing.T) {
	long := strings.Repeat("n", 60)
	tests := []struct {
		name, cluster, ns, sa, want string
		why                         string
	}{
		{"short", "eks-test", "monitoring", "prometheus", "eks-test-monitoring-prometheus", "short names are kept as they are"},
		{"exactly 64", strings.Repeat("c", 64-len("-ns-sa")), "ns", "sa", strings.Repeat("c", 58) + "-ns-sa", "64 characters fit"},
		{"dots", "eks", "kube-system", "a.b", "eks-kube-system-a.b", "dots are valid in IAM names"},
		{"invalid chars", "eks", "ns", "a:b", "eks-ns-a-b", "characters IAM refuses become '-'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := irsa.DefaultRoleName(tc.cluster, tc.ns, tc.sa); got != tc.want {
				t.Errorf("DefaultRoleName(%q, %q, %q) = %q, want %q (%s)", tc.cluster, tc.ns, tc.sa, got, tc.want, tc.why)
			}
		})
	}
	t.Run("long names are shortened with a hash", func(t *testing.T) {
		a := irsa.DefaultRoleName("cluster", "apps", long+"a")
		b := irsa.DefaultRoleName("cluster", "apps", long+"b")
		if len(a) > irsa.MaxRoleNameLength || len(b) > irsa.MaxRoleNameLength {
			t.Fatalf("len %d, %d > %d", len(a), len(b), irsa.MaxRoleNameLength)
		}
		if a == b {
			t.Errorf("names differing after the cut both map to %q", a)
		}
		if a != irsa.DefaultRoleName("cluster", "apps", long+"a") {
			t.Error("not stable")
		}
		if !strings.HasPrefix(a, "cluster-apps-nnn") {
			t.Errorf("%q lost its readable prefix", a)
		}
	})
}

func FuzzDefaultRoleName(f *testing.F) {
	f.Add("eks-test", "kube-system", "aws-node")
	f.Add(strings.Repeat("x", 100), strings.Repeat("y", 63), strings.Repeat("z", 253))
	f.Add("", "", "")
	f.Add("ü", "\x00", "a/b")
	f.Fuzz(func(t *testing.T, cluster, ns, name string) {
		got := irsa.DefaultRoleName(cluster, ns, name)
		if len(got) > irsa.MaxRoleNameLength {
			t.Fatalf("%q: %d characters", got, len(got))
		}
		for i := 0; i < len(got); i++ {
			c := got[i]
			ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("+=,.@_-", c) >= 0
			if !ok {
				t.Fatalf("%q holds %q, which IAM refuses", got, c)
			}
		}
		if got != irsa.DefaultRoleName(cluster, ns, name) {
			t.Fatal("not stable")
		}
	})
}

func ExampleDefaultRoleName() {
	fmt.Println(irsa.DefaultRoleName("eks-test", "kube-system", "aws-node"))
	fmt.Println(irsa.DefaultRoleName("eks-test", "observability", "opentelemetry-collector-with-a-very-long-name"))
	// Output:
	// eks-test-kube-system-aws-node
	// eks-test-observability-opentelemetry-collector-with-a-v-db0db1d2
}
