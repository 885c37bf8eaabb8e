package eksfargate_test

import (
	"errors"
	"fmt"

	"github.com/fargatekit/fargatekit/eksfargate"
)

// A spec built in code, checked without any AWS call.
func ExampleSpec_Validate() {
	s := eksfargate.NewSpec("eks-test", "ap-northeast-1").
		WithVPC("192.168.0.0/16", "ap-northeast-1a", "ap-northeast-1c").
		WithClusterRole("eksClusterRole").
		WithPodExecutionRole("AmazonEKSFargatePodExecutionRole").
		WithServiceCIDR("192.168.0.0/16").
		AddFargateProfile("eks-system", eksfargate.SelectNamespace("kube-system"))
	err := s.Validate()
	var ve *eksfargate.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// spec.cluster.serviceIPv4CIDR: 192.168.0.0/16 overlaps the VPC CIDR 192.168.0.0/16; fix: use a block outside the VPC, such as 172.20.0.0/16 for a 192.168.0.0/16 VPC
	// spec.fargateProfiles[0].name: "eks-system" starts with "eks-", which EKS reserves; fix: choose another name
}

// Unknown fields are errors, with their path and a suggestion.
func ExampleLoadSpec() {
	_, err := eksfargate.LoadSpec([]byte(`
apiVersion: fargatekit.io/v1alpha1
kind: FargateCluster
name: eks-test
region: ap-northeast-1
cluster:
  logginng: [api, audit]
`))
	fmt.Println(err)
	// Output:
	// eksfargate: invalid spec: spec.cluster.logginng: unknown field "logginng"; fix: did you mean "logging"?
}

// Overlapping selectors of different profiles are allowed, but EKS then
// picks one of the profiles for a pod: a warning.
func ExampleSpec_Warnings() {
	s := eksfargate.NewSpec("eks-test", "ap-northeast-1").
		AddFargateProfile("system", eksfargate.SelectNamespace("kube-system")).
		AddFargateProfile("kube", eksfargate.SelectNamespace("kube-*"))
	for _, w := range s.Warnings() {
		fmt.Println(w.Path)
	}
	// Output:
	// spec.fargateProfiles[1].selectors[0]
}

// The default subnets of a created VPC.
func ExampleCarveSubnets() {
	public, private, _ := eksfargate.CarveSubnets("192.168.0.0/16", 2)
	fmt.Println(public, private)
	// Output:
	// [192.168.0.0/18 192.168.64.0/18] [192.168.128.0/18 192.168.192.0/18]
}

// The walkthrough's init-fargate.json, as given to
// aws eks create-fargate-profile --cli-input-json.
func ExampleParseFargateProfileCLIInput() {
	p, cluster, err := eksfargate.ParseFargateProfileCLIInput([]byte(`{
  "fargateProfileName": "init-fargate",
  "clusterName": "eks-test",
  "podExecutionRoleArn": "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
  "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
  "selectors": [{"namespace": "kube-system"}, {"namespace": "default"}]
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cluster, p.Name, len(p.Selectors), p.Subnets)
	// Output:
	// eks-test init-fargate 2 [subnet-0a1b2c3d4e5f60001 subnet-0a1b2c3d4e5f60002]
}

// A profile whose selectors change is replaced by one with a deterministic
// name, so that an interrupted replacement is finished by the next apply.
func ExampleReplacementProfileName() {
	fmt.Println(eksfargate.ReplacementProfileName("init-fargate",
		"arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
		[]string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"},
		[]eksfargate.Selector{eksfargate.SelectNamespace("kube-system"), eksfargate.SelectNamespace("apps")}))
	// Output:
	// init-fargate-393ff627
}
