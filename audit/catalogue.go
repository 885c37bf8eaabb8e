package audit

import (
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// AWS documentation of the requirements.
const (
	docPolicyGrammar   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
	docPolicyVersion   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html"
	docPrincipal       = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docEndpoint        = "https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html"
	docLogging         = "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html"
	docKMS             = "https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html"
	docVersions        = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
	docAccessEntries   = "https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html"
	docServiceCIDR     = "https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html"
	docFargateStart    = "https://docs.aws.amazon.com/eks/latest/userguide/fargate-getting-started.html"
	docDeletionProtect = "https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html"
	docNetworkReqs     = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
	docClusterRole     = "https://docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html"
	docPodExecRole     = "https://docs.aws.amazon.com/eks/latest/userguide/pod-execution-role.html"
	docAccessPolicies  = "https://docs.aws.amazon.com/eks/latest/userguide/access-policies.html"
	docAWSAuth         = "https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html"
	docFargateProfile  = "https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html"
	docIRSAProvider    = "https://docs.aws.amazon.com/eks/latest/userguide/enable-iam-roles-for-service-accounts.html"
	docIRSAAssociate   = "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html"
	docIRSATrust       = "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html"
	docCNIRole         = "https://docs.aws.amazon.com/eks/latest/userguide/cni-iam-role.html"
	docPodIdentity     = "https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html"
	docFargate         = "https://docs.aws.amazon.com/eks/latest/userguide/fargate.html"
)

// catalogue builds the built-in checks, in the order they are documented.
func catalogue() []*Check {
	rules := map[string]iamtrust.Rule{}
	for _, r := range iamtrust.Rules() {
		rules[r.ID] = r
	}
	fromRule := func(id string, c *Check) *Check {
		if r, ok := rules[id]; ok {
			c.Title, c.Severity, c.Rationale = r.Title, r.Severity, r.Doc
		}
		c.ID = id
		return c
	}
	cs := []*Check{
		{
			ID: "POL-01", Title: "Live policy document does not parse", Severity: iamtrust.SeverityMedium,
			Rationale: "A trust or permissions policy that the audit cannot parse cannot be checked: every check that reads it would otherwise pass silently. IAM accepted the document, so it is valid for IAM; the audit reports where its parser stopped.",
			DocURL:    docPolicyGrammar,
			Remedy:    "Rewrite the document in the documented grammar (Version 2012-10-17, Statement as a list of objects with Effect, Principal or Action, and Condition operators as objects of keys).",
			Needs:     []string{PartRoles, PartRolePolicies},
			Run:       runPOL01,
		},
		fromRule("POL-02", &Check{
			DocURL: docPolicyVersion,
			Remedy: `Set "Version": "2012-10-17" in the document.`,
			Needs:  []string{PartRoles, PartRolePolicies},
			Run:    runPOL02,
		}),
		{
			ID: "CLU-01", Title: "Public API endpoint open to the whole internet", Severity: iamtrust.SeverityMedium,
			Rationale: "With the public endpoint on and 0.0.0.0/0 allowed, anyone on the internet can reach the Kubernetes API server and try credentials or exploits against it.",
			DocURL:    docEndpoint,
			Remedy:    "Restrict publicAccessCidrs to the networks that need the API, or turn the public endpoint off and use the private one.",
			Needs:     []string{PartCluster},
			Run:       runCLU01,
		},
		{
			ID: "CLU-02", Title: "Private API endpoint access is off", Severity: iamtrust.SeverityMedium,
			Rationale: "Without private endpoint access, pods and Fargate nodes reach the API server through NAT and the public endpoint; if public access is later restricted, they lose the API.",
			DocURL:    docEndpoint,
			Remedy:    "Turn on endpointPrivateAccess (aws eks update-cluster-config --resources-vpc-config endpointPrivateAccess=true).",
			Needs:     []string{PartCluster},
			Run:       runCLU02,
		},
		{
			ID: "CLU-03", Title: "Control-plane logging incomplete", Severity: iamtrust.SeverityMedium,
			Rationale: "Without api, audit and authenticator logs there is no record of who did what in the cluster, nor of which IAM principal was mapped to which Kubernetes user.",
			DocURL:    docLogging,
			Remedy:    "Enable the missing log types; `fargatekit fix --check CLU-03` does it with UpdateClusterConfig.",
			Needs:     []string{PartCluster},
			Fixable:   true,
			Run:       runCLU03,
		},
		{
			ID: "CLU-04", Title: "Secrets not envelope-encrypted with a customer KMS key", Severity: iamtrust.SeverityMedium,
			Rationale: "EKS encrypts API data with an AWS-owned key by default; envelope encryption with a customer managed key puts Secrets under a key whose use you control and audit.",
			DocURL:    docKMS,
			Remedy:    "Associate an encryption config for the resource \"secrets\" with a customer managed KMS key in the cluster's region (it cannot be removed afterwards).",
			Needs:     []string{PartCluster, PartKMS},
			Run:       runCLU04,
		},
		{
			ID: "CLU-05", Title: "Kubernetes version out of standard support", Severity: iamtrust.SeverityHigh,
			Rationale: "Versions in extended support cost more per hour; unsupported versions get no security fixes and are upgraded by EKS on its own schedule. The status comes from DescribeClusterVersions, not from a list in this tool.",
			DocURL:    docVersions,
			Remedy:    "Upgrade the cluster one minor version at a time to a version in standard support.",
			Needs:     []string{PartCluster, PartClusterVersions},
			Run:       runCLU05,
		},
		{
			ID: "CLU-06", Title: "Authentication still relies on the aws-auth ConfigMap", Severity: iamtrust.SeverityLow,
			Rationale: "In the CONFIG_MAP modes, cluster access lives in a ConfigMap that anyone with edit rights in kube-system can change and that tools overwrite by accident; access entries are managed through the EKS API with IAM permissions and CloudTrail.",
			DocURL:    docAccessEntries,
			Remedy:    "Create access entries for the aws-auth mappings, then move the authentication mode to API_AND_CONFIG_MAP and later API.",
			Needs:     []string{PartCluster},
			Run:       runCLU06,
		},
		{
			ID: "CLU-07", Title: "Service CIDR overlaps a VPC CIDR", Severity: iamtrust.SeverityHigh,
			Rationale: "Service IPs that overlap the VPC make traffic to VPC addresses in that range go to Kubernetes services instead, and break connectivity to resources there.",
			DocURL:    docServiceCIDR,
			Remedy:    "The service CIDR cannot be changed: create a new cluster with a service CIDR outside the VPC's ranges and move the workloads.",
			Needs:     []string{PartCluster, PartNetwork},
			Run:       runCLU07,
		},
		{
			ID: "CLU-08", Title: "Cluster differs from its spec", Severity: iamtrust.SeverityMedium,
			Rationale: "The spec is the documented desired state; drift means the cluster was changed out of band or the change was never applied.",
			DocURL:    docFargateStart,
			Remedy:    "Run `fargatekit plan` and `fargatekit apply` with the spec, or update the spec to match the intended state.",
			Needs:     []string{PartCluster},
			NeedsSpec: true,
			Run:       runCLU08,
		},
		{
			ID: "CLU-09", Title: "Deletion protection is off", Severity: iamtrust.SeverityInfo,
			Rationale: "Deletion protection refuses DeleteCluster until it is turned off, so that a cluster is not deleted by accident.",
			DocURL:    docDeletionProtect,
			Remedy:    "aws eks update-cluster-config --deletion-protection",
			Needs:     []string{PartCluster},
			Run:       runCLU09,
		},
		{
			ID: "NET-01", Title: "Cluster subnets in fewer than two availability zones", Severity: iamtrust.SeverityMedium,
			Rationale: "EKS places control-plane network interfaces in the cluster's subnets and needs at least two availability zones to stay reachable when one zone fails.",
			DocURL:    docNetworkReqs,
			Remedy:    "Add a subnet in another availability zone to the cluster (UpdateClusterConfig resourcesVpcConfig.subnetIds).",
			Needs:     []string{PartCluster, PartNetwork},
			Run:       runNET01,
		},
		{
			ID: "NET-02", Title: "Fewer than two private subnets for Fargate", Severity: iamtrust.SeverityMedium,
			Rationale: "Fargate pods run only in private subnets (no route to an internet gateway); with fewer than two, in different zones, pods cannot be spread and a zone outage stops them.",
			DocURL:    docFargateProfile,
			Remedy:    "Create private subnets (routed through a NAT gateway) in at least two availability zones and use them for the Fargate profiles.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartNetwork},
			Run:       runNET02,
		},
		{
			ID: "IAM-01", Title: "Cluster role trust or managed policy drift", Severity: iamtrust.SeverityHigh,
			Rationale: "The cluster role must trust eks.amazonaws.com (sts:AssumeRole, sts:TagSession) and carry AmazonEKSClusterPolicy; otherwise EKS cannot manage the cluster's network interfaces and load balancers, or other principals can act as the control plane.",
			DocURL:    docClusterRole,
			Remedy:    "`fargatekit fix --check IAM-01` rewrites the trust to the documented one and attaches AmazonEKSClusterPolicy.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runIAM01,
		},
		fromRule("IAM-02", &Check{
			DocURL:  docPodExecRole,
			Remedy:  "`fargatekit fix --check IAM-02` rewrites the trust with an ArnLike aws:SourceArn condition naming the cluster's Fargate profiles.",
			Needs:   []string{PartCluster, PartFargateProfiles, PartRoles},
			Fixable: true,
			Run:     runIAM02,
		}),
		{
			ID: "IAM-03", Title: "Pod execution role cannot pull images, or its path is not /", Severity: iamtrust.SeverityHigh,
			Rationale: "Fargate pulls container images with the pod execution role, which needs the ECR permissions of AmazonEKSFargatePodExecutionRolePolicy; EKS requires the role's path to be /.",
			DocURL:    docPodExecRole,
			Remedy:    "`fargatekit fix --check IAM-03` attaches AmazonEKSFargatePodExecutionRolePolicy. A path cannot be changed: create a role with path / and new profiles that use it.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runIAM03,
		},
		{
			ID: "IAM-04", Title: "Pod execution role not registered for the cluster", Severity: iamtrust.SeverityHigh,
			Rationale: "EKS registers the pod execution role as a node identity: an aws-auth mapRoles entry (username system:node:{{SessionName}}, groups system:bootstrappers, system:nodes, system:node-proxier) or a FARGATE_LINUX access entry. Without it Fargate nodes cannot join and pods stay Pending. Tools that rewrite aws-auth wholesale delete this entry.",
			DocURL:    docPodExecRole,
			Remedy:    "`fargatekit fix --check IAM-04` adds the aws-auth mapping (keeping every other entry, with retry on conflict) or creates the FARGATE_LINUX access entry.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartAccessEntries, PartAWSAuth},
			Fixable:   true,
			Run:       runIAM04,
		},
		{
			ID: "IAM-05", Title: "Cluster-admin access not allowed by the spec", Severity: iamtrust.SeverityHigh,
			Rationale: "system:masters and AmazonEKSClusterAdminPolicy grant every permission in the cluster and bypass RBAC; each such mapping should be deliberate (allowClusterAdmin in the spec).",
			DocURL:    docAccessPolicies,
			Remedy:    "Map the principal to narrower groups or access policies. `fargatekit fix --check IAM-05 --allow-destructive` removes the mapping or the association.",
			Needs:     []string{PartCluster, PartAccessEntries, PartAWSAuth},
			Fixable:   true,
			Run:       runIAM05,
		},
		{
			ID: "IAM-06", Title: "Trust names a deleted principal", Severity: iamtrust.SeverityLow,
			Rationale: "When a principal named in a trust policy is deleted, IAM replaces its ARN with its unique ID (AROA…, AIDA…). A principal re-created with the same name does not match, so the trust no longer does what it says.",
			DocURL:    docPrincipal,
			Remedy:    "Remove the unique ID from the trust, or replace it with the ARN of the principal that should be trusted.",
			Needs:     []string{PartRoles},
			Run:       runIAM06,
		},
		{
			ID: "PERM-01", Title: "Wired role can do more than its documented purpose", Severity: iamtrust.SeverityMedium,
			Rationale: "Each role wired to a Fargate cluster has one documented job: the cluster role manages the control plane's network interfaces (AmazonEKSClusterPolicy, optionally AmazonEKSVPCResourceController and the Auto Mode policies), the pod execution role pulls images and writes Fargate logs (AmazonEKSFargatePodExecutionRolePolicy and the documented logging actions), the vpc-cni role manages pod IPs (AmazonEKS_CNI_Policy or the IPv6 policy), and a declared IRSA role what its spec lists. Any other grant, evaluated against the boundary and Deny statements, is permission drift that nobody reviewed.",
			DocURL:    docLeastPrivilege,
			Remedy:    "Remove the extra policy or statement. `fargatekit fix --check PERM-01 --allow-destructive` detaches the managed policies and deletes the inline policies that grant it, when they are not part of the purpose.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runPERM01,
		},
		{
			ID: "PERM-02", Title: "Wired role has admin-equivalent access", Severity: iamtrust.SeverityCritical,
			Rationale: "A role wired to the cluster that can do every action on every resource, or every IAM action, hands the whole account to anyone who gets its credentials: the control plane, every Fargate pod's image pulls, or every pod of a ServiceAccount. Evaluated, not by name: AdministratorAccess inside a narrow boundary, or cut down by a Deny, is not admin.",
			DocURL:    docLeastPrivilege,
			Remedy:    "Detach the policy that grants it. `fargatekit fix --check PERM-02 --allow-destructive` detaches the managed policy or deletes the inline policy.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runPERM02,
		},
		{
			ID: "PERM-03", Title: "Wired role can escalate its privileges", Severity: iamtrust.SeverityHigh,
			Rationale: "Some permissions lead to all others: passing a role to a service that runs code, writing or attaching policies, rewriting trust, minting credentials for other users, or assuming any role (the catalogue of iamtrust.RiskyActions, with sources). A wired role must have none of them on every resource.",
			DocURL:    docEscalation,
			Remedy:    "Remove the escalating actions, or scope them to named resources. `fargatekit fix --check PERM-03 --allow-destructive` detaches or deletes the granting policy when it is not part of the role's purpose.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runPERM03,
		},
		{
			ID: "PERM-04", Title: "Wired role has broad data access", Severity: iamtrust.SeverityMedium,
			Rationale: "s3:* or s3:GetObject, kms:Decrypt, secretsmanager:GetSecretValue, ssm:GetParameter or dynamodb:* on every resource lets every pod of the role's ServiceAccounts read the account's data.",
			DocURL:    docLeastPrivilege,
			Remedy:    "Scope the actions to the buckets, keys, secrets and tables the workload needs.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies},
			Fixable:   true,
			Run:       runPERM04,
		},
		{
			ID: "TRUST-01", Title: "Cluster or pod execution role trusted beyond its service", Severity: iamtrust.SeverityHigh,
			Rationale: "The cluster role is documented to trust only eks.amazonaws.com and the pod execution role only eks-fargate-pods.amazonaws.com, each in one statement. Another account, \"*\", a Federated principal or a second statement lets someone else act as the control plane or as every Fargate node.",
			DocURL:    docPodExecRole,
			Remedy:    "`fargatekit fix --check IAM-01` (cluster role) or `--check IAM-02` (pod execution role) rewrites the trust to the documented one.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartRoles},
			Run:       runTRUST01,
		},
		{
			ID: "TRUST-02", Title: "Wired role's trust is public or its actions do not fit its principals", Severity: iamtrust.SeverityHigh,
			Rationale: "The public-principal (IRSA-06) and action-fits-principal (IRSA-07) rules apply to every role wired to a cluster, not only to IRSA roles: a cluster, pod execution or add-on role that anyone can assume, or that pairs sts:AssumeRoleWithWebIdentity with a service, is open or broken.",
			DocURL:    docPrincipal,
			Remedy:    "Name the principals that may assume the role, and use sts:AssumeRole for services and AWS principals.",
			Needs:     []string{PartCluster, PartRoles},
			Run:       runTRUST02,
		},
		{
			ID: "QUOTA-01", Title: "Wired role near an IAM quota", Severity: iamtrust.SeverityMedium,
			Rationale: "On Fargate, IRSA is the only way for pods to get AWS roles, so roles shared by many ServiceAccounts grow their trust. The trust policy size quota (AssumeRolePolicySizeQuota, 2,048 characters without whitespace by default, adjustable) and the attached-policies quota (AttachedPoliciesPerRoleQuota) are read from GetAccountSummary; at 90% the next ServiceAccount or policy fails to apply.",
			DocURL:    docQuotas,
			Remedy:    "Split the role per workload, ask for a higher quota, or (with its risk: every ServiceAccount of the namespace gets the role) trust a namespace pattern with StringLike.",
			Needs:     []string{PartCluster, PartRoles, PartRolePolicies, PartAccountSummary},
			Run:       runQUOTA01,
		},
		{
			ID: "ACC-01", Title: "Cluster-admin through RBAC that the spec does not declare", Severity: iamtrust.SeverityHigh,
			Rationale: "IAM-05 covers system:masters and AmazonEKSClusterAdminPolicy; a ClusterRoleBinding of an IAM principal's user or group to cluster-admin, or to a custom ClusterRole with every verb on every resource (aggregation included), is the same power by another door.",
			DocURL:    docRBAC,
			Remedy:    "Bind the principal to a narrower role, or declare it with allowClusterAdmin in the spec.",
			Needs:     []string{PartCluster, PartAccessEntries, PartAWSAuth, PartRBAC},
			Run:       runACC01,
		},
		{
			ID: "ACC-02", Title: "Principal reaches an admin IAM role by creating pods", Severity: iamtrust.SeverityHigh,
			Rationale: "Whoever can create pods (or any workload controller, or mint serviceaccounts/token) in a namespace can run a pod as any ServiceAccount there, and the EKS webhook hands it that ServiceAccount's IRSA role. A principal that is not cluster-admin but can do that where an admin-equivalent or privilege-escalating role is annotated can act as that role in AWS.",
			DocURL:    docIRSAScope,
			Remedy:    "Narrow the role's permissions, move the ServiceAccount to a namespace only its owners can write, or remove the principal's pod creation there.",
			Needs:     []string{PartCluster, PartAccessEntries, PartAWSAuth, PartRBAC, PartServiceAccounts, PartRoles, PartRolePolicies},
			Run:       runACC02,
		},
		{
			ID: "ACC-03", Title: "IRSA role trusts ServiceAccounts of other namespaces", Severity: iamtrust.SeverityMedium,
			Rationale: "A role meant for one namespace's ServiceAccount whose trust also names ServiceAccounts of other namespaces lets whoever can create pods there assume it (patterns and missing sub conditions are IRSA-04's and IRSA-02's).",
			DocURL:    docIRSATrust,
			Remedy:    "Trust only system:serviceaccount:NAMESPACE:NAME of the namespaces that use the role.",
			Needs:     []string{PartCluster, PartRoles, PartServiceAccounts},
			Run:       runACC03,
		},
		{
			ID: "FG-01", Title: "Fargate profile uses a public subnet", Severity: iamtrust.SeverityHigh,
			Rationale: "Fargate profiles accept only private subnets (no route to an internet gateway); a profile that names a subnet which later became public puts pods where EKS does not support them.",
			DocURL:    docFargateProfile,
			Remedy:    "Profiles are immutable: create a profile with private subnets, let the pods move, then delete the old one.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartNetwork},
			Run:       runFG01,
		},
		{
			ID: "FG-02", Title: "CoreDNS cannot run on Fargate", Severity: iamtrust.SeverityHigh,
			Rationale: "On a Fargate-only cluster CoreDNS needs a profile that selects kube-system (k8s-app=kube-dns), no eks.amazonaws.com/compute-type: ec2 pin on its pod template, and with the managed add-on computeType Fargate; otherwise it stays Pending and nothing in the cluster resolves names.",
			DocURL:    docFargateStart,
			Remedy:    "`fargatekit fix --check FG-02` sets the add-on's computeType to Fargate, removes the ec2 pin and restarts CoreDNS. A missing profile must be created (fargatekit apply).",
			Needs:     []string{PartCluster, PartFargateProfiles, PartAddons, PartCoreDNS, PartPods},
			Fixable:   true,
			Run:       runFG02,
		},
		{
			ID: "FG-03", Title: "Fargate profile differs from its spec", Severity: iamtrust.SeverityMedium,
			Rationale: "Profiles decide which pods run on Fargate with which role and subnets; drift from the spec changes where pods can run.",
			DocURL:    docFargateProfile,
			Remedy:    "Run `fargatekit apply` with the spec: it replaces drifted profiles (create the new one, then delete the old).",
			Needs:     []string{PartCluster, PartFargateProfiles},
			NeedsSpec: true,
			Run:       runFG03,
		},
		{
			ID: "FG-04", Title: "Pods that no Fargate profile selects", Severity: iamtrust.SeverityMedium,
			Rationale: "On a Fargate-only cluster a pod that matches no profile selector is never scheduled and stays Pending.",
			DocURL:    docFargateProfile,
			Remedy:    "Add a profile selector for the namespace (and labels), or move the workload to a selected namespace.",
			Needs:     []string{PartCluster, PartFargateProfiles, PartPods},
			Run:       runFG04,
		},
		{
			ID: "IRSA-01", Title: "No IAM OIDC provider for the cluster's issuer", Severity: iamtrust.SeverityHigh,
			Rationale: "IAM roles for service accounts need an IAM OIDC provider whose URL is the cluster's issuer and whose client IDs include sts.amazonaws.com; without it no pod can assume its role.",
			DocURL:    docIRSAProvider,
			Remedy:    "`fargatekit fix --check IRSA-01` creates the provider (or adds the client ID).",
			Needs:     []string{PartCluster, PartOIDCProviders},
			Fixable:   true,
			Run:       runIRSA01,
		},
	}
	for _, r := range iamtrust.Rules() {
		if !strings.HasPrefix(r.ID, "IRSA-") {
			continue
		}
		c := fromRule(r.ID, &Check{
			DocURL: docIRSATrust,
			Remedy: irsaRemedy(r.ID),
			Needs:  []string{PartCluster, PartRoles, PartOIDCProviders},
			Run:    runIRSALint(r.ID),
		})
		if r.ID == "IRSA-04" || r.ID == "IRSA-08" {
			// IAM alone proves these; only their fix needs the
			// ServiceAccounts, and says so when they are unavailable.
			c.Fixable = true
		}
		cs = append(cs, c)
	}
	cs = append(cs,
		&Check{
			ID: "IRSA-09", Title: "ServiceAccount annotated with a role that does not trust it", Severity: iamtrust.SeverityHigh,
			Rationale: "A ServiceAccount's eks.amazonaws.com/role-arn must name a role whose trust lets the cluster's OIDC provider assume it for the ServiceAccount's subject and audience; otherwise the pod's AWS calls fail with AccessDenied at run time.",
			DocURL:    docIRSAAssociate,
			Remedy:    "Fix the annotation, or add the ServiceAccount's subject to the role's trust (`fargatekit fix --check IRSA-09`; without a spec listing the ServiceAccount it needs --allow-grants).",
			Needs:     []string{PartCluster, PartRoles, PartServiceAccounts},
			Fixable:   true,
			Run:       runIRSA09,
		},
		&Check{
			ID: "IRSA-10", Title: "Role trusts ServiceAccounts that do not exist", Severity: iamtrust.SeverityLow,
			Rationale: "A trust that names a ServiceAccount that does not exist grants the role to whoever creates it later in that namespace.",
			DocURL:    docIRSATrust,
			Remedy:    "Remove the subject from the trust, or create the ServiceAccount if it is meant to exist.",
			Needs:     []string{PartCluster, PartRoles, PartServiceAccounts},
			Run:       runIRSA10,
		},
		&Check{
			ID: "IRSA-11", Title: "aws-node without its own CNI role", Severity: iamtrust.SeverityInfo,
			Rationale: "The VPC CNI should use an IRSA role with AmazonEKS_CNI_Policy rather than node permissions. On a Fargate-only cluster aws-node (a DaemonSet) never runs, so this is informational.",
			DocURL:    docCNIRole,
			Remedy:    "Give the vpc-cni add-on a serviceAccountRoleArn with AmazonEKS_CNI_Policy if EC2 nodes are ever added.",
			Needs:     []string{PartCluster, PartAddons, PartServiceAccounts},
			Run:       runIRSA11,
		},
		&Check{
			ID: "PI-01", Title: "EKS Pod Identity associations on a Fargate-only cluster", Severity: iamtrust.SeverityMedium,
			Rationale: "EKS Pod Identity needs its agent DaemonSet, which does not run on Fargate: pods on Fargate never get these credentials. Use IAM roles for service accounts.",
			DocURL:    docPodIdentity,
			Remedy:    "Replace the association with an IRSA role; `fargatekit fix --check PI-01 --allow-destructive` deletes the association.",
			Needs:     []string{PartCluster, PartPodIdentity},
			Fixable:   true,
			Run:       runPI01,
		},
	)
	return cs
}

func irsaRemedy(id string) string {
	switch id {
	case "IRSA-02":
		return `Add "StringEquals": {"<issuer>:sub": "system:serviceaccount:<namespace>:<name>"} for each ServiceAccount that uses the role.`
	case "IRSA-03":
		return `Add "StringEquals": {"<issuer>:aud": "sts.amazonaws.com"}.`
	case "IRSA-04":
		return "List the ServiceAccounts with StringEquals. `fargatekit fix --check IRSA-04` rewrites the trust to the ServiceAccounts annotated with the role."
	case "IRSA-05":
		return "Use StringLike if a pattern is meant, or remove the wildcard."
	case "IRSA-06":
		return "Name the principals that may assume the role, or add a condition on the caller."
	case "IRSA-07":
		return "Use sts:AssumeRoleWithWebIdentity for OIDC providers and sts:AssumeRole for services and AWS principals."
	case "IRSA-08":
		return "Use the trusted issuer's host and path in the condition keys. `fargatekit fix --check IRSA-08` rewrites the trust for the cluster's issuer and the ServiceAccounts annotated with the role."
	}
	return "Rewrite the trust as documented."
}
