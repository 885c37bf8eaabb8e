package eksfargate

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// ec2Creates are the EC2 calls that make a network resource.
var ec2Creates = []string{"CreateVpc", "CreateInternetGateway", "CreateSubnet", "AllocateAddress", "CreateNatGateway", "CreateRouteTable"}

// TestLostCreateResponses: EC2 performs every create but the first answer
// of each kind never arrives. The write path does not retry blindly: it
// finds the resource by the tags it was created with and adopts it, so the
// apply converges with exactly one of each resource.
func TestLostCreateResponses(t *testing.T) {
	a := fkAWS(t)
	s := fkWalkthrough(t, a)
	opts := fkOptions(a)
	for _, op := range ec2Creates {
		a.Proxy.AddFault(awsproxy.Fault{Service: "ec2", Operation: op, Kind: awsproxy.LostResponse, Times: 1})
	}
	fkApply(t, s, opts...)
	if n := a.Proxy.FaultTotal(); n != len(ec2Creates) {
		t.Fatalf("%d lost answers, want one per create kind (%d)", n, len(ec2Creates))
	}
	a.Proxy.ClearFaults()
	fkAssertConverged(t, s, opts...)
	if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
		t.Errorf("inventory after lost answers (-want +got):\n%s", diff)
	}
}

// TestLostResponsesNoDuplicates: with 5% of every EC2 create's answers lost
// (and 20% throttled) over several seeds, no network resource is ever
// created twice. An apply that meets a lost answer on a follow-up call
// (attach, route, association) may stop; applying again converges.
func TestLostResponsesNoDuplicates(t *testing.T) {
	for seed := range 4 {
		a := fkAWS(t)
		s := fkWalkthrough(t, a)
		opts := fkOptions(a)
		a.Proxy.AddFault(awsproxy.Fault{Service: "ec2", Rate: 0.2, Kind: awsproxy.Throttle})
		for _, op := range ec2Creates {
			// The rate differs per seed so that each run loses other answers.
			a.Proxy.AddFault(awsproxy.Fault{Service: "ec2", Operation: op, Rate: 0.05 + 0.1*float64(seed), Kind: awsproxy.LostResponse})
		}
		ctx := context.Background()
		for attempt := 0; attempt < 3; attempt++ {
			p, err := Plan(ctx, s, opts...)
			if err != nil {
				t.Fatalf("seed %d: plan: %v", seed, err)
			}
			if err := Apply(ctx, p, opts...); err == nil {
				break
			} else if attempt == 2 {
				t.Fatalf("seed %d: no convergence after 3 applies: %v", seed, err)
			}
		}
		lost := a.Proxy.FaultTotal()
		a.Proxy.ClearFaults()
		fkAssertConverged(t, s, opts...)
		if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
			t.Errorf("seed %d (%d faults): inventory (-want +got):\n%s", seed, lost, diff)
		}
	}
}

// TestLostAnswersEKSAndIAM: the first answer of each EKS and IAM create is
// lost: the cluster, profile and add-on creates carry the SDK's idempotency
// token (clientRequestToken) and a role that exists with our ownership tag
// is adopted, so each apply converges with one of each.
func TestLostAnswersEKSAndIAM(t *testing.T) {
	for _, tc := range []struct{ svc, op string }{
		{"eks", "CreateCluster"}, {"eks", "CreateFargateProfile"}, {"eks", "CreateAddon"}, {"iam", "CreateRole"}, {"iam", "AttachRolePolicy"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			a := fkAWS(t)
			s := fkWalkthrough(t, a)
			opts := fkOptions(a)
			a.Proxy.AddFault(awsproxy.Fault{Service: tc.svc, Operation: tc.op, Kind: awsproxy.LostResponse, Times: 1})
			fkApply(t, s, opts...)
			if n := a.Proxy.FaultTotal(); n != 1 {
				t.Fatalf("%d lost answers, want 1", n)
			}
			fkAssertConverged(t, s, opts...)
			if diff := cmp.Diff(fkWalkthroughInventory, fkTake(t, a, s)); diff != "" {
				t.Errorf("inventory (-want +got):\n%s", diff)
			}
		})
	}
}
