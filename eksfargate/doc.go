// Package eksfargate builds and keeps converged an Amazon EKS cluster that
// runs only on Fargate: the network, the two IAM roles, the control plane,
// the Fargate profiles and the managed addons (the AWS side), and, through
// the planners it merges, the cluster side: CoreDNS on Fargate (package
// eksfargate/coredns), aws-auth and access entries (eksfargate/access) and
// IRSA (irsa). Its Spec is the whole cluster; each of those packages has a
// small input of its own that the Spec embeds (Spec.CoreDNS, Spec.Access,
// Spec.IRSA) or builds (CoreDNSTarget, AccessTarget). Tokens and
// kubeconfigs are package eksfargate/kubeauth. Every read goes through
// eksfargate/observe and every IAM and EKS write shared with the other
// planners through internal/ops.
//
// # Flow
//
// A Spec is built in code (NewSpec and its With… and Add… methods) or read
// from a versioned YAML file (LoadSpec, strict: unknown fields are errors
// with their path, a second YAML document is refused, and with
// LoadOptions.Env ${NAME} references are expanded by the rules of
// ExpandEnv, an unset variable being an error with its line). Defaults fills the defaults in one place; Validate
// checks every rule that needs no AWS call and reports all problems at once
// as a *ValidationError, each with the field path, the rule and the fix;
// Warnings returns what is allowed but suspicious (overlapping selectors of
// different profiles). ParseFargateProfileCLIInput reads the document of
// `aws eks create-fargate-profile --cli-input-json`.
//
// Plan observes (Observe: reads only what the spec names, paginated, in
// parallel up to Options.Concurrency, each thing once, into a typed
// Snapshot), compares (Diff: pure) and returns a *plan.Plan of typed
// changes with before and after, the requirement each serves and whether it
// destroys anything. Apply runs it with plan.Apply: a dependency graph,
// independent changes in parallel, Fargate profile operations one at a time
// per cluster (Serial "eks.fargate-profile/<cluster>"), cluster updates one
// at a time ("eks.cluster-update/<cluster>"). PlanDestroy plans the
// teardown, in reverse order, of what fargatekit owns.
//
// # Guarantees
//
//   - Idempotent: after a successful Apply, a fresh Plan is empty.
//   - Resumable: cancel Apply anywhere, plan again, apply again; it
//     converges without duplicates. Everything created is tagged OwnerTag
//     (fargatekit.io/cluster=<name>) in the call that creates it (EC2
//     TagSpecifications, IAM and EKS Tags), and network resources also carry
//     ResourceKeyTag (their place in the layout), so Observe finds resources
//     an interrupted apply left half-made; EKS creates use the SDK's
//     client request tokens; profile and addon creates that EKS refuses
//     because the name is taken check whether the resource is already the
//     one wanted.
//   - Ownership: nothing without OwnerTag is deleted, destructively
//     replaced or has its trust policy rewritten unless
//     Options.AllowUnowned; Plan fails with a *ValidationError naming the
//     resource instead. PlanDestroy lists such resources as left in place.
//   - IAM documents are compared with iamtrust.Equal after
//     iamtrust.ParseLive, so IAM's rewriting (URL encoding, reordering,
//     one-element lists) never shows as drift.
//   - Waits stop at once on a FAILED state and return the health issues or
//     update errors EKS gives; they report (resource, state, elapsed)
//     through the change's plan.Reporter and the zap logger.
//   - Retries only what is known to be transient: throttling and 5xx (the
//     SDK's retryer in adaptive mode, see NewClients),
//     ResourceInUseException for Fargate profile, addon and cluster
//     operations (bounded, jittered, with injectable clock and randomness:
//     Options.Sleep, Now, Rand), InvalidParameterException from EKS while a
//     role created or changed less than Options.RolePropagation ago is not
//     yet assumable, and EC2 DependencyViolation during teardown.
//
// # Immutable fields
//
// Fargate profiles can't be updated. A change of selectors, subnets or pod
// execution role is a Replace: a new profile named
// ReplacementProfileName(name, …) (the name, '-', 8 hex digits of a hash of
// the new settings) is created and becomes ACTIVE, then the old one is
// deleted. Creating first keeps pods schedulable during the change; the
// deterministic name lets the next plan finish a replacement that was
// interrupted (it then shows the leftover old profile as a Delete). Some
// changes have no in-place path and make Plan fail with a *ValidationError
// that says why: the service IPv4 CIDR, the cluster role, turning secrets
// encryption off or changing its key, a lower Kubernetes version, an
// authentication mode going back (it only moves CONFIG_MAP →
// API_AND_CONFIG_MAP → API), the CIDR or zone of a subnet, the CIDR of the
// VPC and the path of a role.
//
// # Cluster side
//
// When the cluster exists and is ACTIVE, Plan merges the changes of
// coredns.Plan, access.Plan and irsa.Plan, after the AWS-side changes they
// need (cluster, profiles, addons). Before that, their inputs (the OIDC
// issuer, the API endpoint) are known only after apply, so the plan holds
// one deferred change per area, DeferredIRSAID ("deferred/irsa") and
// DeferredClusterSideID ("deferred/cluster-side"), with the summary
// "planned after the cluster exists" and plan.Change.Deferred set (plans
// count them as deferred, not as updates); their Run plans that area then and
// applies it with plan.Apply, reporting each event of the sub-plan. An
// addon whose service-account role is an IRSA role of the spec waits for
// the IRSA changes. The Kubernetes client comes from Options.Kube, else from
// kubeauth.RESTConfigForCluster with the AWS configuration of NewClients;
// Options.SkipClusterSide plans the AWS side only.
//
// # Plan rendering
//
// Plans render with plan.Plan's Text (terraform-style) and JSON. The JSON
// document is versioned (plan.JSONSchemaVersion, "fargatekit.io/plan/v1"):
//
//	{
//	  "schema": "fargatekit.io/plan/v1",
//	  "summary": {"create": 19, "update": 2, "replace": 0, "delete": 0},
//	  "changes": [
//	    {
//	      "id": "eks.fargate-profile/eks-test/init-fargate",
//	      "kind": "eks.fargate-profile",
//	      "resource": "eks-test/init-fargate",
//	      "action": "create",            // create | update | replace | delete
//	      "summary": "select default, kube-system, …",
//	      "before": null,                // the observed state (absent for a create)
//	      "after": {…},                  // the desired state (absent for a delete)
//	      "requirement": "a Fargate profile selects …",
//	      "destructive": false,
//	      "dependsOn": ["eks.cluster/eks-test", …],
//	      "serial": "eks.fargate-profile/eks-test"
//	    }
//	  ]
//	}
//
// Changes with action "none" are left out. IDs are "<kind>/<name>" for the
// resources of this package: ec2.vpc/<cluster>, ec2.internet-gateway/<cluster>,
// ec2.subnet/<cluster>/{public,private}-<i>, ec2.elastic-ip/<cluster>/eip-<i>,
// ec2.nat-gateway/<cluster>/nat-<i>, ec2.route-table/<cluster>/{public,private-<i>},
// iam.role/<name>, iam.role-policy/<role>/<policy ARN>, eks.cluster/<cluster> (create
// or wait) and eks.cluster/<cluster>/{version,endpoint,logging,authentication-mode,encryption,deletion-protection,tags}
// (updates), eks.fargate-profile/<cluster>/<spec name> (and
// …/<live name>#delete for leftovers), eks.addon/<cluster>/<addon>, and the
// deferred IDs above. The "before" and "after" objects of each kind have the
// fields of the AWS resource in the SDK's JSON names (cidr, subnetIds,
// podExecutionRoleArn, selectors, trustPolicy, configurationValues, …); a
// value known only after apply (the ID of a subnet to be created) is
// rendered as "<key> (known after apply)". Fields may be added to these
// objects without a new schema version.
//
// # Out of scope
//
// EC2 node groups, Karpenter and EKS Auto Mode; IPv6 clusters; VPC
// endpoints, flow logs and NACLs; tag drift of internet and NAT gateways,
// Elastic IPs and route tables; and the DNS attributes of a VPC that
// fargatekit did not create. Profiles, add-ons, IRSA roles and the OIDC
// provider that the spec no longer names are pruned only when they carry
// OwnerTag, and only with Options.AllowDestructive.
package eksfargate
