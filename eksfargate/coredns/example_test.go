package coredns_test

import (
	"fmt"

	"github.com/fargatekit/fargatekit/eksfargate/coredns"
)

// FargateConfig sets computeType and keeps the addon's other values.
func ExampleFargateConfig() {
	cfg, _ := coredns.FargateConfig(`{"replicaCount":3}`)
	fmt.Println(cfg)
	// Output: {"computeType":"Fargate","replicaCount":3}
}

// SelectingProfile finds the profile that will schedule CoreDNS: here the
// second, whose wildcard namespace and label match kube-system pods labelled
// k8s-app=kube-dns.
func ExampleSelectingProfile() {
	t := coredns.Target{
		Cluster: "eks-test",
		Profiles: []coredns.Profile{
			{Name: "apps", Selectors: []coredns.Selector{{Namespace: "apps"}}},
			{Name: "system", Selectors: []coredns.Selector{{Namespace: "kube-*", Labels: map[string]string{"k8s-app": "kube-*"}}}},
		},
	}
	fmt.Printf("%q\n", coredns.SelectingProfile(t, nil))
	t.Profiles = t.Profiles[:1]
	fmt.Printf("%q\n", coredns.SelectingProfile(t, nil))
	// Output:
	// "system"
	// ""
}
