// Package fargatekit builds Amazon EKS clusters that run only on AWS Fargate
// and keeps their IAM wiring correct over time.
//
// A Fargate-only cluster takes a dozen IAM and Kubernetes steps, each easy to
// get subtly wrong and each prone to drift. fargatekit expresses them as typed
// Go values with validation and offers four operations over them: Plan (diff
// live state against the spec and the documented requirements), Apply
// (converge idempotently), Audit (findings with evidence) and Fix (apply the
// findings' remedies). All four share one change type and one executor,
// package plan.
//
// The packages, by step of a Fargate-only setup:
//
//   - iamtrust: the IAM policy documents every step hangs on. Parse
//     (keeping the source), compare as IAM decides (split and merged
//     statements are equal), build the documented trust policies (cluster
//     role, Fargate pod execution role with aws:SourceArn, IRSA), evaluate
//     trust requests and a role's effective permissions (identity policies,
//     boundary, Deny), classify dangerous capabilities, lint.
//   - eksfargate: the network (2 public and 2 private subnets across 2 AZs),
//     the cluster role (AmazonEKSClusterPolicy), the cluster (version,
//     endpoint access, secrets encryption with a customer KMS key, logging,
//     authentication mode, service CIDR), the Fargate pod execution role
//     (AmazonEKSFargatePodExecutionRolePolicy), Fargate profiles (private
//     subnets, selectors, one CREATING or DELETING at a time), the vpc-cni,
//     coredns and kube-proxy addons; the spec of the whole cluster, whose
//     plan merges the cluster side's.
//   - eksfargate/access: who may use the cluster: aws-auth (edited without
//     losing the Fargate node mapping) and access entries with their access
//     policies, and the migration from one to the other.
//   - eksfargate/coredns: CoreDNS moved onto Fargate (the coredns addon's
//     computeType Fargate, or the compute-type: ec2 annotation removed and
//     the rollout restarted), then waited for until Ready on Fargate.
//   - eksfargate/kubeauth: into the cluster: EKS tokens, the exec
//     credential, kubeconfig files and client-go REST configs.
//   - eksfargate/observe: the only code that reads AWS and Kubernetes, one
//     function per read, used by every package above and the audit.
//   - irsa: the cluster's IAM OIDC provider, and an IAM role per service
//     account whose trust allows exactly system:serviceaccount:NS:NAME with
//     aud sts.amazonaws.com, plus the eks.amazonaws.com/role-arn annotation;
//     the vpc-cni role.
//   - audit: the requirement catalogue as checks over an observed snapshot,
//     including what every wired role can actually do (PERM-, TRUST-,
//     QUOTA- checks, from one bulk IAM read), reports (text, JSON, SARIF)
//     and fixes; the access map (Access, BuildAccessMap, Explain): who is
//     cluster-admin and why, and who reaches which IAM role by creating pods.
//   - plan: the Change type (a change carries its operation as data, bound
//     to clients when applied), dependency order (New), plan rendering, and
//     the executor.
//   - envtest: a local AWS (moto behind fargatekit's emulating, fault-injecting
//     proxy) and a real kube-apiserver, for tests of code that embeds
//     fargatekit.
//
// Plumbing users do not import lives in internal/: internal/ops is the one
// write path (one function per AWS write, one wait loop, the ownership
// rule, and the binder that runs changes described as data).
//
// The command fargatekit (cmd/fargatekit) wraps these for periodic jobs, and
// examples/ holds runnable reference setups.
package fargatekit
