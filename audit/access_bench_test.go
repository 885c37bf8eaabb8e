package audit

import (
	"fmt"
	"testing"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// accessScaleSnapshot is a cluster with 2,000 RBAC bindings, 500
// ServiceAccounts (300 of them annotated with their own IRSA role) and 200
// mapped principals, for BenchmarkBuildAccessMap.
func accessScaleSnapshot(b *testing.B) (*Snapshot, *Cluster) {
	s := goodSnapshot()
	c := cl(s)
	c.AuthenticationMode = "API_AND_CONFIG_MAP"
	rb := &RBAC{}
	for i := range 50 {
		rb.ClusterRoles = append(rb.ClusterRoles, RBACRole{Name: fmt.Sprintf("cr-%d", i), Labels: map[string]string{"agg": fmt.Sprint(i % 5)},
			Rules: []RBACRule{{Verbs: []string{"create", "get"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods", "deployments", "configmaps"}}}})
	}
	rb.ClusterRoles = append(rb.ClusterRoles, RBACRole{Name: "agg", Aggregation: []string{"agg=1", "agg=3"}})
	for i := range 2000 {
		ns := fmt.Sprintf("ns-%d", i%100)
		if i%10 == 0 {
			rb.ClusterRoleBindings = append(rb.ClusterRoleBindings, RBACBinding{Name: fmt.Sprintf("crb-%d", i), RoleKind: "ClusterRole", RoleName: fmt.Sprintf("cr-%d", i%50),
				Subjects: []RBACSubject{{Kind: "Group", Name: fmt.Sprintf("g-%d", i%300)}}})
			continue
		}
		rb.RoleBindings = append(rb.RoleBindings, RBACBinding{Namespace: ns, Name: fmt.Sprintf("rb-%d", i), RoleKind: "ClusterRole", RoleName: "agg",
			Subjects: []RBACSubject{{Kind: "Group", Name: fmt.Sprintf("g-%d", i%300)}, {Kind: "User", Name: fmt.Sprintf("u-%d", i%200)}}})
	}
	c.Kube.RBAC = rb
	c.Kube.ServiceAccounts = nil
	prov := iamtrust.OIDCProviderARN("aws", fxAccount, fxIssuer)
	_ = prov
	for i := range 500 {
		sa := ServiceAccount{Namespace: fmt.Sprintf("ns-%d", i%100), Name: fmt.Sprintf("sa-%d", i)}
		if i < 300 {
			arn := fmt.Sprintf("arn:aws:iam::123456789012:role/irsa-%d", i)
			sa.RoleARN = arn
			s.Roles = append(s.Roles, role(arn, irsaTrust(iamtrust.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name}), "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))
		}
		c.Kube.ServiceAccounts = append(c.Kube.ServiceAccounts, sa)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`
	s.Policies["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"] = &ManagedPolicy{ARN: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", Doc: must(iamtrust.Parse([]byte(doc)))}
	c.AccessEntries = nil
	for i := range 200 {
		c.AccessEntries = append(c.AccessEntries, &AccessEntry{PrincipalARN: fmt.Sprintf("arn:aws:iam::123456789012:role/p-%d", i), Type: "STANDARD",
			Username: fmt.Sprintf("u-%d", i), KubernetesGroups: []string{fmt.Sprintf("g-%d", i), fmt.Sprintf("g-%d", i+100)}})
	}
	s.index()
	return s, c
}

// BenchmarkBuildAccessMap builds the map of a cluster with 2,000 RBAC
// bindings, 500 ServiceAccounts, 300 IRSA roles and 200 principals: pure
// CPU, no AWS or Kubernetes call (those are the observation's, counted by
// BenchmarkAudit). Target: under 1 s of CPU.
func BenchmarkBuildAccessMap(b *testing.B) {
	s, c := accessScaleSnapshot(b)
	b.ResetTimer()
	var m *AccessMap
	for b.Loop() {
		m = BuildAccessMap(s, c)
	}
	reach := 0
	for _, p := range m.Principals {
		reach += len(p.ReachableRoles)
	}
	if len(m.Principals) != 200 || len(m.ServiceAccounts) != 300 || reach == 0 {
		b.Fatalf("principals %d, ServiceAccounts %d, reachable roles %d", len(m.Principals), len(m.ServiceAccounts), reach)
	}
	b.ReportMetric(float64(reach), "reachable-roles")
}
