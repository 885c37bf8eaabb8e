package irsa_test

import (
	"errors"
	"fmt"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
)

// A role whose trust was written by hand with the condition keys of an
// us-west-2 issuer, for a cluster in ap-northeast-1: Diff repairs it.
func ExampleDiff() {
	cluster := irsa.Cluster{
		Name: "eks-test", Region: "ap-northeast-1", AccountID: "111122223333",
		IssuerURL: "https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE",
	}
	role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api", RoleName: "api"}
	live, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	  "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE"},
	  "Action":"sts:AssumeRoleWithWebIdentity",
	  "Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:apps:api",
	                               "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}`))
	snap := &irsa.Snapshot{
		Provider: &irsa.Provider{URL: "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE", ClientIDs: []string{"sts.amazonaws.com"},
			Tags: map[string]string{irsa.OwnerTag: "eks-test"}},
		Roles: map[string]*irsa.Role{"api": {Name: "api", ARN: "arn:aws:iam::111122223333:role/api", Path: "/", Trust: live,
			Tags: map[string]string{irsa.OwnerTag: "eks-test"}}},
		ServiceAccounts: map[irsa.ServiceAccountRef]*irsa.ServiceAccount{{Namespace: "apps", Name: "api"}: {
			Annotations: map[string]string{irsa.AnnotationRoleARN: "arn:aws:iam::111122223333:role/api"},
			Labels:      map[string]string{irsa.LabelManagedBy: irsa.ManagedBy}}},
	}
	res, err := irsa.Diff(irsa.Clients{}, cluster, []irsa.ServiceAccountRole{role}, snap)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Changes {
		fmt.Println(c.Action, c.ID)
		fmt.Println(c.Summary)
	}
	// Output:
	// update iam.role/api
	// trust policy: drifted: condition keys name issuer oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE, the cluster's is oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE
}

func ExampleValidatePodIdentity() {
	err := irsa.ValidatePodIdentity("eks-test", true, irsa.ServiceAccountRef{Namespace: "apps", Name: "api"})
	fmt.Println(errors.Is(err, irsa.ErrPodIdentityOnFargate))
	// Output:
	// true
}
