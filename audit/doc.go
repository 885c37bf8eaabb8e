// Package audit checks an AWS account and its Fargate-only EKS clusters
// against the documented requirements (and a spec, when given), reports
// permission drift with evidence, and fixes what it can.
//
// The flow is observe → snapshot → checks → findings:
//
//   - Observe reads the account and the clusters once, in bulk and with
//     bounded concurrency, into a typed Snapshot: clusters, Fargate profiles,
//     add-ons, access entries, pod identity associations, the Kubernetes
//     version catalogue, subnets and route tables, KMS keys, every IAM role
//     with its parsed trust policy, the policies of the roles that matter,
//     the IAM OIDC providers, and from each cluster's Kubernetes API its
//     ServiceAccounts, Pods, Namespaces, aws-auth and CoreDNS. A read that
//     fails (access denied, an API that does not answer) is recorded as
//     Unavailable and the checks that need it report incomplete: never a
//     pass, never a crash.
//   - A Check is data plus a pure function over a Snapshot, in the manner of
//     golang.org/x/tools/go/analysis. Catalogue returns the built-in checks;
//     Options.ExtraChecks adds your own. docs/checks.md lists them.
//   - A Finding carries evidence (expected, actual) and, where a remedy
//     exists, the plan.Changes that fix it. Fix applies selected findings'
//     changes through plan.Apply, the same executor that applies specs;
//     fixes that grant more than needed or that destroy anything need an
//     explicit opt-in.
//
// # Report schema (fargatekit.io/audit-report/v1)
//
// Report's JSON form is versioned by its "schema" field; fields are only
// ever added within a version.
//
//	{
//	  "schema": "fargatekit.io/audit-report/v1",
//	  "generatedAt": "2025-01-02T03:04:05Z",    // RFC 3339, UTC
//	  "account": "123456789012",                // "" when merged from several
//	  "accounts": ["…", "…"],                   // only in merged reports
//	  "regions": ["us-west-2"],
//	  "clusters": ["arn:aws:eks:…:cluster/demo"],
//	  "checks": [{"id", "title", "severity", "docURL", "rationale", "remedy"}],
//	  "findings": [{
//	    "check": "IAM-02",                      // stable check ID
//	    "severity": "high",                     // info | low | medium | high | critical
//	    "account", "region", "cluster",         // where (cluster is an ARN)
//	    "resource": "arn:aws:iam::…:role/…",    // an ARN, or CLUSTER:NS/KIND/NAME
//	    "message": "…",
//	    "expected": "…", "actual": "…",         // evidence
//	    "fix": [ plan changes, as in fargatekit.io/plan/v1, without Run ],
//	    "grantsMore": true                      // the fix needs an explicit opt-in
//	  }],
//	  "incomplete": [{"check", "resource", "reason"}],
//	  "summary": {
//	    "bySeverity": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0},
//	    "findings": 1, "checksRun": 34, "checksIncomplete": 0
//	  }
//	}
//
// Findings are sorted worst first, then by check, account, cluster and
// resource. WriteSARIF renders SARIF 2.1.0 and WriteText a text report;
// Merge joins the reports of shards or accounts.
//
// Out of scope: changing anything but through Fix; EC2 node groups (the
// checks assume Fargate-only clusters); the contents of AWS managed
// policies (they are trusted by name); Kubernetes RBAC beyond the
// cluster-admin mappings; clusters in other accounts than the caller's (run
// one audit per account, with an assumed role).
package audit
