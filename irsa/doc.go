// Package irsa wires IAM roles for service accounts (IRSA) into an EKS
// cluster: the cluster's IAM OIDC provider, one IAM role per service account
// (or group of service accounts) with its trust, policies and tags, the
// eks.amazonaws.com/role-arn annotation on each ServiceAccount, the restart
// of the workloads that must pick the role up, and the role of the vpc-cni
// add-on.
//
// On Fargate, IRSA is the only way pods get AWS credentials: EKS Pod Identity
// relies on an agent DaemonSet, and DaemonSets do not run on Fargate.
// ValidatePodIdentity and ErrPodIdentityOnFargate refuse it with that
// explanation.
//
// # Usage
//
//	cluster, err := irsa.ClusterFromEKS(ctx, eksClient, "eks-test")
//	p, err := irsa.Plan(ctx, irsa.NewClients(cfg, kube), cluster, []irsa.ServiceAccountRole{{
//		Namespace: "monitoring", Name: "prometheus",
//		ManagedPolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess"},
//		RestartWorkloads:  true,
//	}}, func(o *irsa.Options) { o.FargateOnly = true })
//	fmt.Print(p.Text())
//	err = irsa.Apply(ctx, p)
//
// Plan reads (Observe), compares (Diff, a pure function) and returns a
// plan.Plan; Apply runs it with plan's executor, so the same plan merges into
// eksfargate's. Deferred is a single change for a plan that creates the
// cluster first.
//
// # The steps, by hand and by eksctl
//
// Each step the library performs, with the command a person would run and
// the call that performs it here. The example cluster is eks-test in
// ap-northeast-1, account 111122223333, issuer
// https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE.
//
// 1. Find the cluster's OIDC issuer.
//
//	aws eks describe-cluster --name eks-test --query cluster.identity.oidc.issuer
//
// Here: ClusterFromEKS (DescribeCluster; the account and partition come from
// the cluster ARN).
//
// 2. Associate the issuer with IAM: an OIDC provider whose client IDs hold
// sts.amazonaws.com. A thumbprint is optional; IAM checks EKS issuers
// against well-known root CAs.
//
//	eksctl utils associate-iam-oidc-provider --cluster eks-test --approve
//	# or
//	aws iam create-open-id-connect-provider \
//	  --url https://oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE \
//	  --client-id-list sts.amazonaws.com
//
// Here: the change iam.oidc-provider/HOST/PATH (CreateOpenIDConnectProvider;
// AddClientIDToOpenIDConnectProvider when the client ID is missing;
// UpdateOpenIDConnectProviderThumbprint with Options.ComputeThumbprint, see
// Thumbprint). Its ARN is derived, not looked up:
// arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE.
//
// 3. Write the permissions policy, if no managed policy fits.
//
//	aws iam create-policy --policy-name my-policy --policy-document file://policy.json
//
// Here: inline policies (ServiceAccountRole.InlinePolicies, the change
// iam.role-inline-policy/ROLE/NAME, PutRolePolicy), or, for the vpc-cni on
// IPv6, the customer managed policy iam.policy/NAME (CreatePolicy,
// CreatePolicyVersion).
//
// 4. Create the role with its trust relationship: the provider may call
// sts:AssumeRoleWithWebIdentity for tokens whose sub is
// system:serviceaccount:NAMESPACE:NAME and whose aud is sts.amazonaws.com.
//
//	cat > trust.json <<EOF
//	{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//	  "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE"},
//	  "Action": "sts:AssumeRoleWithWebIdentity",
//	  "Condition": {"StringEquals": {
//	    "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:monitoring:prometheus",
//	    "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"}}}]}
//	EOF
//	aws iam create-role --role-name eks-test-monitoring-prometheus \
//	  --assume-role-policy-document file://trust.json
//
// Here: the change iam.role/NAME (CreateRole, or UpdateAssumeRolePolicy when
// the trust drifted), with the trust built by iamtrust.IRSATrust and compared
// with iamtrust.Equal. A common manual mistake, condition keys naming the
// issuer of another region or cluster, shows as drift and is repaired.
//
// 5. Attach the managed policies.
//
//	aws iam attach-role-policy --role-name eks-test-monitoring-prometheus \
//	  --policy-arn arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess
//
// Here: one change iam.role-policy/ROLE/ARN (the ID every planner gives it) per policy
// (AttachRolePolicy). Policies attached by someone else are reported, and
// detached (DetachRolePolicy) only with DetachUnmanagedPolicies.
//
// 6. Annotate the ServiceAccount with the role.
//
//	kubectl annotate serviceaccount -n monitoring prometheus \
//	  eks.amazonaws.com/role-arn=arn:aws:iam::111122223333:role/eks-test-monitoring-prometheus
//
// Here: the change k8s.serviceaccount/NS/NAME (create, or a JSON merge patch
// of the annotations and the label app.kubernetes.io/managed-by=fargatekit,
// guarded by the resourceVersion read and retried on conflict). An
// annotation naming another role is replaced only with
// OverrideExistingAnnotation.
//
// eksctl does steps 4 to 6 in one command:
//
//	eksctl create iamserviceaccount --cluster eks-test --namespace monitoring \
//	  --name prometheus --attach-policy-arn arn:aws:iam::aws:policy/AmazonPrometheusRemoteWriteAccess \
//	  --approve
//
// 7. Restart the pods: they pick the role up only when they are created.
//
//	kubectl rollout restart -n monitoring deployment/prometheus
//
// Here: with RestartWorkloads, one change k8s.rollout-restart/KIND/NS/NAME
// per Deployment, StatefulSet or DaemonSet running as the ServiceAccount.
//
// 8. The vpc-cni add-on: a role for kube-system/aws-node with
// AmazonEKS_CNI_Policy, set on the add-on, then aws-node restarted.
//
//	aws eks update-addon --cluster-name eks-test --addon-name vpc-cni \
//	  --service-account-role-arn arn:aws:iam::111122223333:role/eks-test-kube-system-aws-node
//	kubectl rollout restart -n kube-system daemonset/aws-node
//
// Here: Options.VPCCNI; the change eks.addon/CLUSTER/vpc-cni/service-account-role
// (UpdateAddon, DescribeUpdate until Successful, DescribeAddon until ACTIVE)
// and k8s.rollout-restart/DaemonSet/kube-system/aws-node.
//
// # Reads
//
// Observe reads in bulk: one ListRoles walk for every role's existence,
// path and trust; per existing role one GetRole (tags and permissions
// boundary, which ListRoles leaves out), one ListAttachedRolePolicies and one
// ListRolePolicies; one GetOpenIDConnectProvider; one LIST of
// ServiceAccounts across namespaces. A no-op plan of N roles makes
// 3N + 2 AWS calls (for up to 1000 roles in the account) and one Kubernetes
// LIST.
//
// # Out of scope
//
// Creating namespaces (a ServiceAccount in a missing namespace is an error);
// deleting roles, policies or providers the spec no longer names (Plan only
// manages what the spec names); inline policies put out of band (reported,
// never deleted); EKS Pod Identity associations (refused on Fargate);
// the trust of roles in other accounts (cross-account IRSA).
package irsa
