package audit

import (
	"slices"
	"testing"
)

// TestAccessMapConfigMapMode: in CONFIG_MAP mode EKS reads only aws-auth,
// so an access entry (left from before, or observed by mistake) maps
// nothing; in API_AND_CONFIG_MAP the entry wins over aws-auth for the same
// principal, ignoring the role path.
func TestAccessMapConfigMapMode(t *testing.T) {
	s := goodSnapshot()
	c := cl(s)
	c.AuthenticationMode = "CONFIG_MAP"
	c.AccessEntries = []*AccessEntry{{PrincipalARN: "arn:aws:iam::123456789012:role/entry-only", Type: "STANDARD",
		Policies: []AccessPolicyAssociation{{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", ScopeType: "cluster"}}}}
	c.Kube.AWSAuth = &AWSAuth{MapRoles: []AWSAuthMapping{{ARN: "arn:aws:iam::123456789012:role/path/mapped", Username: "mapped", Groups: []string{"system:masters"}}}}
	m := BuildAccessMap(s, c)
	var arns []string
	for _, p := range m.Principals {
		arns = append(arns, p.ARN)
	}
	if !slices.Equal(arns, []string{"arn:aws:iam::123456789012:role/path/mapped"}) {
		t.Fatalf("CONFIG_MAP principals %v: want the aws-auth mapping only", arns)
	}
	if !m.Principals[0].ClusterAdmin || !slices.Equal(m.Principals[0].ClusterAdminVia, []string{"group system:masters"}) {
		t.Errorf("mapped: %+v", m.Principals[0])
	}

	c.AuthenticationMode = "API_AND_CONFIG_MAP"
	c.AccessEntries = []*AccessEntry{{PrincipalARN: "arn:aws:iam::123456789012:role/mapped", Type: "STANDARD", KubernetesGroups: []string{"viewers"}}}
	m = BuildAccessMap(s, c)
	if len(m.Principals) != 1 || m.Principals[0].ClusterAdmin || !slices.Equal(m.Principals[0].Sources, []string{SourceAccessEntry}) {
		t.Errorf("API_AND_CONFIG_MAP: %+v, want the access entry (not cluster-admin) to win", m.Principals)
	}
	if got := m.Principals[0].Username; got != "arn:aws:sts::123456789012:assumed-role/mapped/{{SessionName}}" {
		t.Errorf("default username %q", got)
	}
}

// TestAccessPolicyScopes: the EKS access policies at cluster and namespace
// scope.
func TestAccessPolicyScopes(t *testing.T) {
	for _, tc := range []struct {
		policy, scope string
		nss           []string
		admin         bool
		pods, secrets []string
		escalation    bool
	}{
		{"AmazonEKSClusterAdminPolicy", "cluster", nil, true, []string{"*"}, []string{"*"}, false},
		{"AmazonEKSClusterAdminPolicy", "namespace", []string{"apps"}, false, []string{"apps"}, []string{"apps"}, true},
		{"AmazonEKSAdminPolicy", "cluster", nil, false, []string{"*"}, []string{"*"}, true},
		{"AmazonEKSEditPolicy", "namespace", []string{"a", "b"}, false, []string{"a", "b"}, []string{"a", "b"}, false},
		{"AmazonEKSViewPolicy", "cluster", nil, false, []string{}, nil, false},
	} {
		var g grants
		for _, x := range accessPolicyGrants(AccessPolicyAssociation{PolicyARN: "arn:aws:eks::aws:cluster-access-policy/" + tc.policy, ScopeType: tc.scope, Namespaces: tc.nss}) {
			g.add(x)
		}
		var p AccessPrincipal
		p.apply(g)
		if p.ClusterAdmin != tc.admin || !slices.Equal(p.PodCreateNamespaces, tc.pods) || !slices.Equal(p.SecretsReadNamespaces, tc.secrets) || (len(p.Escalation) > 0) != tc.escalation {
			t.Errorf("%s %s %v: admin %v pods %v secrets %v escalation %v", tc.policy, tc.scope, tc.nss, p.ClusterAdmin, p.PodCreateNamespaces, p.SecretsReadNamespaces, p.Escalation)
		}
	}
}
