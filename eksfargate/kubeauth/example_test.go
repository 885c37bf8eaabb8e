package kubeauth_test

import (
	"fmt"
	"strings"

	"github.com/fargatekit/fargatekit/eksfargate/kubeauth"
)

// The exec credential plugin a kubeconfig runs for an EKS cluster: `aws
// eks get-token`, or `fargatekit token` where no aws CLI is installed.
func ExampleKubeconfigExecConfig() {
	c := kubeauth.KubeconfigCluster{Name: "eks-test", Region: "ap-northeast-1"}
	for _, exec := range []kubeauth.KubeconfigExec{kubeauth.ExecAWSCLI, kubeauth.ExecFargatekit} {
		e, err := kubeauth.KubeconfigExecConfig(c, kubeauth.KubeconfigOptions{Exec: exec})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.APIVersion, e.Command, strings.Join(e.Args, " "))
	}
	// Output:
	// client.authentication.k8s.io/v1beta1 aws --region ap-northeast-1 eks get-token --cluster-name eks-test --output json
	// client.authentication.k8s.io/v1beta1 fargatekit token --cluster eks-test --region ap-northeast-1
}
