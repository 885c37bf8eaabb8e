package audit_test

import (
	"fmt"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

// Checks are pure functions of a Snapshot, so a snapshot built by hand can
// be audited without AWS: here a cluster whose public endpoint is open to
// the internet and whose logging is off.
func ExampleEvaluate() {
	s := &audit.Snapshot{
		Account: "111122223333", Partition: "aws", Regions: []string{"eu-west-1"},
		Clusters: []*audit.Cluster{{
			Region: "eu-west-1", Name: "demo", ARN: "arn:aws:eks:eu-west-1:111122223333:cluster/demo",
			EndpointPublicAccess: true, EndpointPrivateAccess: true, PublicAccessCIDRs: []string{"0.0.0.0/0"},
			AuthenticationMode: "API",
		}},
	}
	var checks []*audit.Check
	for _, c := range audit.Catalogue() {
		if c.ID == "CLU-01" || c.ID == "CLU-03" {
			checks = append(checks, c)
		}
	}
	r := audit.Evaluate(s, checks)
	for _, f := range r.Findings {
		fmt.Printf("%s %s: %s\n", f.Check, f.Severity, f.Message)
	}
	// Output:
	// CLU-01 medium: the public API endpoint accepts connections from any address
	// CLU-03 medium: control-plane log types not enabled: api, audit, authenticator, controllerManager, scheduler
}

// A custom check is data plus a pure function, run next to the catalogue
// with Options.ExtraChecks (here directly with Evaluate).
func ExampleCheck() {
	teamPrefix := &audit.Check{
		ID: "ORG-01", Title: "Cluster name without a team prefix", Severity: iamtrust.SeverityLow,
		Needs: []string{audit.PartCluster},
		Run: func(s *audit.Snapshot) []audit.Finding {
			var out []audit.Finding
			for _, c := range s.Clusters {
				if len(c.Name) < 5 || c.Name[:5] != "team-" {
					out = append(out, audit.Finding{Severity: iamtrust.SeverityLow, Resource: c.ARN, Message: "no team- prefix"})
				}
			}
			return out
		},
	}
	s := &audit.Snapshot{Account: "111122223333", Clusters: []*audit.Cluster{{Name: "demo", ARN: "arn:aws:eks:eu-west-1:111122223333:cluster/demo"}}}
	r := audit.Evaluate(s, []*audit.Check{teamPrefix})
	fmt.Println(r.Findings[0].Check, r.Findings[0].Resource, r.Summary.ChecksRun)
	// Output:
	// ORG-01 arn:aws:eks:eu-west-1:111122223333:cluster/demo 1
}
