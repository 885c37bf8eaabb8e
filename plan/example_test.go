package plan_test

import (
	"fmt"

	"github.com/fargatekit/fargatekit/plan"
)

// New puts changes in dependency order and keeps the order given
// otherwise: the attachment the planner listed first runs after its role.
func ExampleNew() {
	p, err := plan.New(
		plan.Change{ID: "iam.role-policy/eksClusterRole/AmazonEKSClusterPolicy", Kind: "iam.role-policy-attachment", Action: plan.Create,
			DependsOn: []string{"iam.role/eksClusterRole"}},
		plan.Change{ID: "ec2.vpc/eks-test", Kind: "ec2.vpc", Action: plan.Create},
		plan.Change{ID: "iam.role/eksClusterRole", Kind: "iam.role", Action: plan.Create},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.Changes {
		fmt.Println(c.ID)
	}
	// Output:
	// ec2.vpc/eks-test
	// iam.role/eksClusterRole
	// iam.role-policy/eksClusterRole/AmazonEKSClusterPolicy
}
