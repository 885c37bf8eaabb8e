package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// TestApplyUnderFaults: one `fargatekit apply` converges while the local AWS
// throttles 30% of the requests, answers 5% with HTTP 500, drops 2% of the
// connections and loses 5% of the EC2 creates' answers, with no duplicate
// VPC or subnet; a second plan is empty.
// The CLI's retry policy (internal/awsretry) is what the library uses, not
// the SDK's default of 3 attempts.
func TestApplyUnderFaults(t *testing.T) {
	a, cfg, file := clusterLiveEnv(t)
	ctx := context.Background()
	a.Proxy.AddFault(awsproxy.Fault{Rate: 0.3, Kind: awsproxy.Throttle})
	a.Proxy.AddFault(awsproxy.Fault{Rate: 0.05, Kind: awsproxy.ServerError})
	a.Proxy.AddFault(awsproxy.Fault{Rate: 0.02, Kind: awsproxy.Drop})
	// And 5% of the EC2 creates' answers lost after EC2 performed them.
	for _, op := range []string{"CreateVpc", "CreateInternetGateway", "CreateSubnet", "AllocateAddress", "CreateNatGateway", "CreateRouteTable"} {
		a.Proxy.AddFault(awsproxy.Fault{Service: "ec2", Operation: op, Rate: 0.05, Kind: awsproxy.LostResponse})
	}
	code, _, stderr := clusterRunCLI(t, "", "apply", "-f", file, "--aws-only", "--yes")
	if code != 0 {
		t.Fatalf("apply under faults: exit %d\n%s", code, stderr)
	}
	if n := a.Proxy.FaultTotal(); n == 0 {
		t.Fatal("no request was hit by a fault: the test exercised nothing")
	} else {
		t.Logf("%d of %d requests hit by a fault", n, a.Proxy.Total())
	}
	a.Proxy.ClearFaults()
	code, out, _ := clusterRunCLI(t, "", "plan", "-f", file, "--aws-only", "--detailed-exitcode")
	if code != 0 || !strings.HasPrefix(out, "No changes.") {
		t.Fatalf("plan after the apply under faults: exit %d\n%s", code, out)
	}
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:fargatekit.io/cluster"), Values: []string{"cli-test"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 {
		t.Errorf("%d VPCs of the cluster, want 1 (no duplicate from a retry)", len(vpcs.Vpcs))
	}
	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:fargatekit.io/cluster"), Values: []string{"cli-test"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(subnets.Subnets) != 4 {
		t.Errorf("%d subnets of the cluster, want 4", len(subnets.Subnets))
	}
}
