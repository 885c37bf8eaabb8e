package audit

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/eksfargate"
	"github.com/fargatekit/fargatekit/eksfargate/access"
	"github.com/fargatekit/fargatekit/iamtrust"
)

func findingIDs(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Check)
	}
	sort.Strings(out)
	return out
}

func TestCatalogueQuietOnCorrectSetup(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec bool
	}{{"discovery", false}, {"with spec", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSnapshot()
			if tc.spec {
				s.Spec = goodSpec()
			}
			r := Evaluate(s, nil)
			for _, f := range r.Findings {
				t.Errorf("unexpected finding %s %s on %s: %s (expected %q, actual %q)", f.Check, f.Severity, f.Resource, f.Message, f.Expected, f.Actual)
			}
			for _, in := range r.Incomplete {
				t.Errorf("unexpected incomplete %s %s: %s", in.Check, in.Resource, in.Reason)
			}
			want := 0
			for _, c := range Catalogue() {
				if tc.spec || !c.NeedsSpec {
					want++
				}
			}
			if r.Summary.ChecksRun != want {
				t.Errorf("checksRun = %d, want %d", r.Summary.ChecksRun, want)
			}
		})
	}
}

func TestCatalogueIsWellFormed(t *testing.T) {
	id := regexp.MustCompile(`^(POL|CLU|NET|IAM|PERM|TRUST|QUOTA|ACC|FG|IRSA|PI)-\d\d$`)
	seen := map[string]bool{}
	parts := map[string]bool{}
	for _, p := range append(append([]string{}, kubeParts...), PartClusters, PartCluster, PartFargateProfiles, PartAddons, PartAccessEntries,
		PartPodIdentity, PartClusterVersions, PartNetwork, PartKMS, PartRoles, PartRolePolicies, PartOIDCProviders, PartAccountSummary, PartRBAC) {
		parts[p] = true
	}
	for _, c := range Catalogue() {
		if !id.MatchString(c.ID) || seen[c.ID] {
			t.Errorf("check ID %q: malformed or repeated", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Rationale == "" || c.Remedy == "" || c.Run == nil || len(c.Needs) == 0 {
			t.Errorf("%s: title, rationale, remedy, needs and Run are required", c.ID)
		}
		if !strings.HasPrefix(c.DocURL, "https://docs.aws.amazon.com/") {
			t.Errorf("%s: DocURL %q is not an AWS documentation page", c.ID, c.DocURL)
		}
		for _, p := range c.Needs {
			if !parts[p] {
				t.Errorf("%s: unknown part %q", c.ID, p)
			}
		}
	}
	for _, want := range []string{"POL-01", "POL-02", "CLU-01", "CLU-02", "CLU-03", "CLU-04", "CLU-05", "CLU-06", "CLU-07", "CLU-08", "CLU-09",
		"NET-01", "NET-02", "IAM-01", "IAM-02", "IAM-03", "IAM-04", "IAM-05", "IAM-06", "FG-01", "FG-02", "FG-03", "FG-04",
		"IRSA-01", "IRSA-02", "IRSA-03", "IRSA-04", "IRSA-05", "IRSA-06", "IRSA-07", "IRSA-08", "IRSA-09", "IRSA-10", "IRSA-11", "PI-01"} {
		if !seen[want] {
			t.Errorf("catalogue lacks %s", want)
		}
	}
}

func cl(s *Snapshot) *Cluster { return s.Clusters[0] }

func roleOf(s *Snapshot, arn string) *Role {
	for _, r := range s.Roles {
		if r.ARN == arn {
			return r
		}
	}
	panic("no role " + arn)
}

func setTrust(r *Role, src string) {
	r.TrustSource = src
	d, err := iamtrust.Parse([]byte(src))
	if err != nil {
		r.Trust, r.TrustError = nil, err.Error()
		return
	}
	r.Trust, r.TrustError = d, ""
}

// TestChecksFire breaks one requirement at a time and expects exactly the
// named check to fire (and no other), with the given severity.
func TestChecksFire(t *testing.T) {
	for _, tc := range []struct {
		name   string
		why    string
		spec   bool
		break_ func(s *Snapshot)
		want   []string // finding IDs, sorted
		sev    iamtrust.Severity
		fix    bool // the finding carries a fix
	}{
		{name: "POL-01 trust does not parse", why: "a trust the parser rejects cannot be checked",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, "arn:aws:iam::123456789012:role/ops"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole","Condition":{"StringEquals":"oops"}}]}`)
			},
			want: []string{"POL-01"}, sev: iamtrust.SeverityMedium},
		{name: "POL-01 inline policy does not parse", why: "inline policies of pod execution roles are read and parsed too",
			break_: func(s *Snapshot) {
				roleOf(s, fxPodRA).InlinePolicies = []*InlinePolicy{{Name: "x", Source: "{", Error: "unexpected end"}}
			},
			want: []string{"POL-01"}, sev: iamtrust.SeverityMedium},
		{name: "POL-02 legacy version", why: "2008-10-17 treats policy variables as text",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, "arn:aws:iam::123456789012:role/ops"), `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)
			},
			want: []string{"POL-02"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-01 open endpoint", why: "0.0.0.0/0 on a public endpoint",
			break_: func(s *Snapshot) { cl(s).PublicAccessCIDRs = []string{"0.0.0.0/0"} }, want: []string{"CLU-01"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-02 private access off", why: "pods then go through NAT",
			break_: func(s *Snapshot) { cl(s).EndpointPrivateAccess = false }, want: []string{"CLU-02"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-03 logging incomplete", why: "audit and authenticator logs missing",
			break_: func(s *Snapshot) { cl(s).Logging = []string{"api"} }, want: []string{"CLU-03"}, sev: iamtrust.SeverityMedium, fix: true},
		{name: "CLU-04 no secrets encryption", why: "no encryptionConfig for secrets",
			break_: func(s *Snapshot) { cl(s).SecretsKMSKeyARN = "" }, want: []string{"CLU-04"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-04 AWS managed key", why: "envelope encryption with an AWS managed key is not customer control",
			break_: func(s *Snapshot) { s.KMSKeys[fxKey].KeyManager = "AWS" }, want: []string{"CLU-04"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-04 key disabled", why: "a disabled key makes Secrets unreadable",
			break_: func(s *Snapshot) { s.KMSKeys[fxKey].State = "Disabled" }, want: []string{"CLU-04"}, sev: iamtrust.SeverityHigh},
		{name: "CLU-05 extended support", why: "extended support is medium",
			break_: func(s *Snapshot) { cl(s).Version = "1.32" }, want: []string{"CLU-05"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-05 unsupported", why: "unsupported is high",
			break_: func(s *Snapshot) { cl(s).Version = "1.30" }, want: []string{"CLU-05"}, sev: iamtrust.SeverityHigh},
		{name: "CLU-05 not in the catalogue", why: "a version DescribeClusterVersions does not list is treated as unsupported",
			break_: func(s *Snapshot) { cl(s).Version = "1.20" }, want: []string{"CLU-05"}, sev: iamtrust.SeverityHigh},
		{name: "CLU-06 config map mode", why: "aws-auth still in use",
			break_: func(s *Snapshot) {
				cl(s).AuthenticationMode = "API_AND_CONFIG_MAP"
				cl(s).Kube.AWSAuth = &AWSAuth{MapRoles: []AWSAuthMapping{{ARN: fxPodRA, Username: "system:node:{{SessionName}}", Groups: fargateNodeGroups}}}
			},
			want: []string{"CLU-06"}, sev: iamtrust.SeverityLow},
		{name: "CLU-07 service CIDR overlaps", why: "service IPs inside the VPC",
			break_: func(s *Snapshot) { cl(s).ServiceIPv4CIDR = "10.0.0.0/16" }, want: []string{"CLU-07"}, sev: iamtrust.SeverityHigh},
		{name: "CLU-09 deletion protection off", why: "informational",
			break_: func(s *Snapshot) { cl(s).DeletionProtection = nil }, want: []string{"CLU-09"}, sev: iamtrust.SeverityInfo},
		{name: "NET-01 one AZ", why: "control plane needs two zones",
			break_: func(s *Snapshot) { cl(s).SubnetIDs = []string{"subnet-priv-a", "subnet-pub-a"} },
			// the profiles still use priv-b, so NET-02 stays quiet
			want: []string{"NET-01"}, sev: iamtrust.SeverityMedium},
		{name: "NET-02 one private subnet", why: "Fargate needs two private subnets",
			break_: func(s *Snapshot) {
				s.Network[fxRegion].Subnets["subnet-priv-b"].InternetGatewayRoute = "igw-1"
			},
			want: []string{"FG-01", "FG-01", "NET-02"}, sev: iamtrust.SeverityHigh},
		{name: "IAM-01 cluster role trust drift", why: "extra principals in the cluster role trust",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, fxClusterRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com","AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`)
			},
			want: []string{"IAM-01", "TRUST-01"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-01 cluster role untrusted", why: "EKS cannot assume it",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, fxClusterRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
			},
			want: []string{"IAM-01", "TRUST-01"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-01 policy missing", why: "AmazonEKSClusterPolicy detached",
			break_: func(s *Snapshot) { roleOf(s, fxClusterRA).AttachedPolicies = nil }, want: []string{"IAM-01"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-02 no SourceArn", why: "confused deputy",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, fxPodRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
			},
			want: []string{"IAM-02"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-02 scoped to another cluster", why: "EKS cannot assume the role for this cluster's profiles",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, fxPodRA), string(must(iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Region: fxRegion, AccountID: fxAccount, Cluster: "other"})).JSON()))
			},
			want: []string{"IAM-02", "IAM-02"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-03 no ECR pull", why: "Fargate cannot pull images",
			break_: func(s *Snapshot) { roleOf(s, fxPodRA).AttachedPolicies = nil }, want: []string{"IAM-03"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-03 path", why: "EKS requires path /",
			break_: func(s *Snapshot) { roleOf(s, fxPodRA).Path = "/eks/" }, want: []string{"IAM-03"}, sev: iamtrust.SeverityHigh},
		{name: "IAM-03 pod execution role deleted", why: "profiles name a role that does not exist",
			break_: func(s *Snapshot) {
				for i, r := range s.Roles {
					if r.ARN == fxPodRA {
						s.Roles = append(s.Roles[:i], s.Roles[i+1:]...)
						break
					}
				}
			},
			want: []string{"IAM-03"}, sev: iamtrust.SeverityHigh},
		{name: "IAM-04 no FARGATE_LINUX entry", why: "API mode without the access entry",
			break_: func(s *Snapshot) { cl(s).AccessEntries = cl(s).AccessEntries[1:] }, want: []string{"IAM-04"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-04 aws-auth entry dropped", why: "CONFIG_MAP mode after a wholesale rewrite of aws-auth",
			break_: func(s *Snapshot) {
				cl(s).AuthenticationMode = "CONFIG_MAP"
				cl(s).AccessEntries = nil
				cl(s).Kube.AWSAuth = &AWSAuth{MapRoles: []AWSAuthMapping{{ARN: "arn:aws:iam::123456789012:role/ops", Username: "ops", Groups: []string{"viewers"}}}}
			},
			want: []string{"CLU-06", "IAM-04"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-05 system:masters in aws-auth", why: "an admin mapping no spec allows",
			break_: func(s *Snapshot) {
				cl(s).AuthenticationMode = "API_AND_CONFIG_MAP"
				cl(s).Kube.AWSAuth = &AWSAuth{MapRoles: []AWSAuthMapping{
					{ARN: fxPodRA, Username: "system:node:{{SessionName}}", Groups: fargateNodeGroups},
					{ARN: "arn:aws:iam::123456789012:role/admin", Username: "admin", Groups: []string{"system:masters"}}}}
			},
			want: []string{"CLU-06", "IAM-05"}, sev: iamtrust.SeverityMedium, fix: true},
		{name: "IAM-05 cluster admin policy", why: "an access entry with AmazonEKSClusterAdminPolicy",
			break_: func(s *Snapshot) {
				cl(s).AccessEntries[1].Policies = append(cl(s).AccessEntries[1].Policies, AccessPolicyAssociation{PolicyARN: access.ClusterAdminAccessPolicy, ScopeType: "cluster"})
			},
			want: []string{"IAM-05"}, sev: iamtrust.SeverityMedium, fix: true},
		{name: "IAM-05 spec does not allow", why: "with a spec, an unapproved admin is high",
			spec: true,
			break_: func(s *Snapshot) {
				cl(s).AccessEntries[1].Policies = append(cl(s).AccessEntries[1].Policies, AccessPolicyAssociation{PolicyARN: access.ClusterAdminAccessPolicy, ScopeType: "cluster"})
			},
			want: []string{"IAM-05"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IAM-06 deleted principal", why: "a unique ID in place of an ARN",
			break_: func(s *Snapshot) {
				setTrust(roleOf(s, "arn:aws:iam::123456789012:role/ops"), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AROA1234567890EXAMPLE"},"Action":"sts:AssumeRole"}]}`)
			},
			want: []string{"IAM-06"}, sev: iamtrust.SeverityLow},
		{name: "FG-01 public subnet", why: "a profile subnet that routes to an IGW",
			break_: func(s *Snapshot) {
				cl(s).FargateProfiles[0].Subnets = []string{"subnet-priv-a", "subnet-priv-b", "subnet-pub-a"}
			},
			want: []string{"FG-01"}, sev: iamtrust.SeverityHigh},
		{name: "FG-02 no profile selects CoreDNS", why: "CoreDNS stays Pending",
			break_: func(s *Snapshot) { cl(s).FargateProfiles = cl(s).FargateProfiles[:1] },
			want:   []string{"FG-02", "FG-04"}, sev: iamtrust.SeverityHigh},
		{name: "FG-02 pinned to ec2", why: "the compute-type annotation",
			break_: func(s *Snapshot) {
				cl(s).Kube.CoreDNS.TemplateAnnotations = map[string]string{AnnotationComputeType: "ec2"}
				cl(s).Addons = cl(s).Addons[1:]
			},
			want: []string{"FG-02"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "FG-02 addon computeType", why: "the managed add-on pins CoreDNS to EC2",
			break_: func(s *Snapshot) { cl(s).Addons[0].ConfigurationValues = "replicaCount: 3" },
			want:   []string{"FG-02"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "FG-02 pending pods", why: "pods created before the profile",
			break_: func(s *Snapshot) { cl(s).Kube.Pods[1].Phase = "Pending" },
			want:   []string{"FG-02"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "FG-04 unselected namespace", why: "pods that no profile selects",
			break_: func(s *Snapshot) {
				cl(s).Kube.Pods = append(cl(s).Kube.Pods, Pod{Namespace: "batch", Name: "job-1", Phase: "Pending", OwnerKind: "Job"},
					Pod{Namespace: "kube-system", Name: "aws-node-x", Phase: "Pending", OwnerKind: "DaemonSet"})
			},
			want: []string{"FG-04"}, sev: iamtrust.SeverityMedium},
		{name: "IRSA-01 no provider", why: "IRSA in use without a provider",
			break_: func(s *Snapshot) { s.OIDCProviders = nil }, want: []string{"IRSA-01"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-01 no sts client ID", why: "tokens for sts.amazonaws.com are refused",
			break_: func(s *Snapshot) { s.OIDCProviders[0].ClientIDs = []string{"other"} }, want: []string{"IRSA-01"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-02 no subject", why: "every ServiceAccount may assume the role",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
			},
			want: []string{"IRSA-02"}, sev: iamtrust.SeverityCritical},
		{name: "IRSA-03 no audience", why: "tokens for other audiences",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:sub":"system:serviceaccount:apps:web"}}}]}`)
			},
			want: []string{"IRSA-03"}, sev: iamtrust.SeverityMedium},
		{name: "IRSA-04 wildcard subject", why: "every ServiceAccount of a namespace",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"`+hp+`:sub":"system:serviceaccount:apps:*"},"StringEquals":{"`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
			},
			want: []string{"IRSA-04"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-05 wildcard under StringEquals", why: "never matches",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:sub":["system:serviceaccount:apps:web","system:serviceaccount:apps:*"],"`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
			},
			want: []string{"IRSA-05"}, sev: iamtrust.SeverityLow},
		{name: "IRSA-08 keys of another issuer", why: "conditions that never hold",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				other := "oidc.eks.us-east-1.amazonaws.com/id/OTHER"
				setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/`+hp+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+other+`:sub":"system:serviceaccount:apps:web","`+other+`:aud":"sts.amazonaws.com"}}}]}`)
			},
			want: []string{"IRSA-08", "IRSA-08", "IRSA-09"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-08 a role naming the issuer only in condition keys", why: "such roles are examined too, not only those whose principal names the provider",
			break_: func(s *Snapshot) {
				hp := iamtrust.IssuerHostPath(fxIssuer)
				s.Roles = append(s.Roles, role("arn:aws:iam::123456789012:role/stray", must(iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+hp+`:sub":"system:serviceaccount:apps:web","`+hp+`:aud":"sts.amazonaws.com"}}}]}`)))))
			},
			want: []string{"IRSA-08", "IRSA-08", "IRSA-08"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-09 role missing", why: "an annotation naming a deleted role",
			break_: func(s *Snapshot) { cl(s).Kube.ServiceAccounts[0].RoleARN = "arn:aws:iam::123456789012:role/gone" },
			want:   []string{"IRSA-09"}, sev: iamtrust.SeverityHigh},
		{name: "IRSA-09 trust does not name the SA", why: "annotation without trust",
			break_: func(s *Snapshot) {
				cl(s).Kube.ServiceAccounts = append(cl(s).Kube.ServiceAccounts, ServiceAccount{Namespace: "apps", Name: "worker", RoleARN: fxWebRA})
			},
			want: []string{"IRSA-09"}, sev: iamtrust.SeverityHigh, fix: true},
		{name: "IRSA-10 trusted SA deleted", why: "dangling trust",
			break_: func(s *Snapshot) { cl(s).Kube.ServiceAccounts = cl(s).Kube.ServiceAccounts[1:] },
			want:   []string{"IRSA-10"}, sev: iamtrust.SeverityLow},
		{name: "IRSA-11 aws-node without role", why: "informational on Fargate",
			break_: func(s *Snapshot) {
				cl(s).Kube.ServiceAccounts[1].RoleARN = ""
				cl(s).Addons[2].ServiceAccountRoleARN = ""
			},
			want: []string{"IRSA-11"}, sev: iamtrust.SeverityInfo},
		{name: "PI-01 pod identity", why: "Pod Identity does not work on Fargate",
			break_: func(s *Snapshot) {
				cl(s).PodIdentityAssociations = []*PodIdentityAssociation{{Namespace: "apps", ServiceAccount: "web", AssociationARN: "arn:aws:eks:us-west-2:123456789012:podidentityassociation/demo/a-1", AssociationID: "a-1"}}
			},
			want: []string{"PI-01"}, sev: iamtrust.SeverityMedium, fix: true},
		{name: "CLU-08 version drift", why: "the spec wants 1.35", spec: true,
			break_: func(s *Snapshot) { s.Spec.Cluster.Version = "1.35" }, want: []string{"CLU-08"}, sev: iamtrust.SeverityMedium},
		{name: "CLU-08 cluster missing", why: "the spec's cluster does not exist", spec: true,
			break_: func(s *Snapshot) {
				s.Clusters = nil
				s.MissingClusters = []ClusterRef{{Region: fxRegion, Name: fxCluster}}
			},
			want: []string{"CLU-08"}, sev: iamtrust.SeverityHigh},
		{name: "FG-03 selectors drift", why: "a profile changed out of band", spec: true,
			break_: func(s *Snapshot) {
				cl(s).FargateProfiles[0].Selectors = []Selector{{Namespace: "apps"}, {Namespace: "batch"}}
			},
			want: []string{"FG-03"}, sev: iamtrust.SeverityMedium},
		{name: "FG-03 profile missing", why: "a spec profile was deleted", spec: true,
			break_: func(s *Snapshot) {
				s.Spec.FargateProfiles = append(s.Spec.FargateProfiles, eksfargate.FargateProfileSpec{Name: "batch", Selectors: []eksfargate.Selector{{Namespace: "batch"}}})
			},
			want: []string{"FG-03"}, sev: iamtrust.SeverityMedium},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSnapshot()
			if tc.spec {
				s.Spec = goodSpec()
			}
			tc.break_(s)
			r := Evaluate(s, nil)
			if diff := cmp.Diff(tc.want, findingIDs(r.Findings)); diff != "" {
				for _, f := range r.Findings {
					t.Logf("%s %s %s: %s", f.Check, f.Severity, f.Resource, f.Message)
				}
				t.Fatalf("%s: findings (-want +got):\n%s", tc.why, diff)
			}
			if len(r.Incomplete) > 0 {
				t.Errorf("incomplete: %+v", r.Incomplete)
			}
			if r.Findings[0].Severity != tc.sev {
				t.Errorf("worst severity %s, want %s", r.Findings[0].Severity, tc.sev)
			}
			hasFix := false
			for _, f := range r.Findings {
				if f.Check == tc.want[0] || f.Check == strings.Fields(tc.name)[0] {
					if len(f.Fix) > 0 {
						hasFix = true
					}
					if f.Message == "" || f.Resource == "" {
						t.Errorf("%s: finding without message or resource: %+v", f.Check, f)
					}
				}
			}
			if hasFix != tc.fix {
				t.Errorf("fix present = %v, want %v", hasFix, tc.fix)
			}
		})
	}
}

// TestUnavailableIsIncompleteNeverPass removes parts of the snapshot and
// checks that the checks needing them report incomplete and no finding or
// pass for what they could not see.
func TestUnavailableIsIncompleteNeverPass(t *testing.T) {
	t.Run("cluster API unreachable", func(t *testing.T) {
		s := goodSnapshot()
		c := cl(s)
		c.Kube = nil
		c.AccessEntries = c.AccessEntries[1:] // IAM-04 would fire, but it needs aws-auth too
		c.Kube = nil
		for _, p := range kubeParts {
			s.Unavailable = append(s.Unavailable, Unavailable{What: p, Region: fxRegion, Cluster: c.ARN, Reason: "Kubernetes API unreachable: connection refused"})
		}
		r := Evaluate(s, nil)
		if len(r.Findings) != 0 {
			t.Errorf("findings on an unseen cluster: %v", findingIDs(r.Findings))
		}
		got := map[string]bool{}
		for _, in := range r.Incomplete {
			got[in.Check] = true
			if in.Resource != c.ARN || !strings.Contains(in.Reason, "connection refused") {
				t.Errorf("incomplete %+v: want resource %s and the reason", in, c.ARN)
			}
		}
		for _, id := range []string{"IAM-04", "IAM-05", "FG-02", "FG-04", "IRSA-09", "IRSA-10", "IRSA-11"} {
			if !got[id] {
				t.Errorf("%s not reported incomplete", id)
			}
		}
		// IRSA-04 and IRSA-08 are proven by IAM alone; only their fixes need
		// the ServiceAccounts (TestIAMOnlyEvidenceStandsAlone).
		for _, id := range []string{"CLU-01", "IAM-01", "IRSA-01", "IRSA-04", "IRSA-08"} {
			if got[id] {
				t.Errorf("%s reported incomplete though it needs no Kubernetes part", id)
			}
		}
		if r.Summary.ChecksIncomplete != len(got) {
			t.Errorf("checksIncomplete = %d, want %d", r.Summary.ChecksIncomplete, len(got))
		}
	})
	t.Run("ListRoles denied", func(t *testing.T) {
		s := goodSnapshot()
		s.Roles = nil
		s.Unavailable = []Unavailable{{What: PartRoles, Resource: "iam:ListRoles", Reason: "AccessDenied: not authorized"}}
		r := Evaluate(s, nil)
		for _, f := range r.Findings {
			t.Errorf("finding %s although roles could not be read: %s", f.Check, f.Message)
		}
		got := map[string]bool{}
		for _, in := range r.Incomplete {
			got[in.Check] = true
			if in.Resource != "account "+fxAccount || !strings.Contains(in.Reason, "AccessDenied") {
				t.Errorf("incomplete %+v", in)
			}
		}
		for _, id := range []string{"POL-01", "POL-02", "IAM-01", "IAM-02", "IAM-03", "IAM-06", "IRSA-02", "IRSA-09", "IRSA-10"} {
			if !got[id] {
				t.Errorf("%s not reported incomplete", id)
			}
		}
	})
	t.Run("ListClusters denied in a region", func(t *testing.T) {
		s := goodSnapshot()
		s.Clusters = nil
		s.Unavailable = []Unavailable{{What: PartClusters, Region: "eu-west-1", Resource: "eks:ListClusters", Reason: "AccessDeniedException: no"}}
		r := Evaluate(s, nil)
		var clu01 bool
		for _, in := range r.Incomplete {
			if in.Check == "CLU-01" && in.Resource == "region eu-west-1" {
				clu01 = true
			}
		}
		if !clu01 {
			t.Errorf("CLU-01 not incomplete for region eu-west-1: %+v", r.Incomplete)
		}
	})
	t.Run("a panicking custom check", func(t *testing.T) {
		s := goodSnapshot()
		r := Evaluate(s, []*Check{{ID: "X-01", Needs: []string{PartCluster}, Run: func(*Snapshot) []Finding { panic("boom") }}})
		if len(r.Incomplete) != 1 || !strings.Contains(r.Incomplete[0].Reason, "boom") {
			t.Errorf("incomplete = %+v, want the panic reported", r.Incomplete)
		}
	})
}

func TestSelectorMatches(t *testing.T) {
	for _, tc := range []struct {
		sel    Selector
		ns     string
		labels map[string]string
		want   bool
		why    string
	}{
		{Selector{Namespace: "kube-system"}, "kube-system", nil, true, "namespace only"},
		{Selector{Namespace: "kube-*"}, "kube-system", nil, true, "EKS allows * in namespaces"},
		{Selector{Namespace: "team-?"}, "team-a", nil, true, "and ?"},
		{Selector{Namespace: "team-?"}, "team-ab", nil, false, "? is one character"},
		{Selector{Namespace: "apps", Labels: map[string]string{"a": "1"}}, "apps", map[string]string{"a": "1", "b": "2"}, true, "labels are a subset"},
		{Selector{Namespace: "apps", Labels: map[string]string{"a": "1"}}, "apps", map[string]string{"b": "2"}, false, "missing label"},
		{Selector{Namespace: "apps"}, "apps2", nil, false, "no prefix match"},
	} {
		if got := tc.sel.Matches(tc.ns, tc.labels); got != tc.want {
			t.Errorf("%s: %+v.Matches(%s, %v) = %v, want %v", tc.why, tc.sel, tc.ns, tc.labels, got, tc.want)
		}
	}
}

func TestExtraChecksAndSelection(t *testing.T) {
	custom := &Check{ID: "ORG-01", Title: "cluster names need a team prefix", Severity: iamtrust.SeverityLow, Needs: []string{PartCluster},
		Run: func(s *Snapshot) []Finding {
			var out []Finding
			for _, c := range s.Clusters {
				if !strings.HasPrefix(c.Name, "team-") {
					out = append(out, Finding{Severity: iamtrust.SeverityLow, Resource: c.ARN, Message: "no team prefix"})
				}
			}
			return out
		}}
	o := Options{ExtraChecks: []*Check{custom}, Checks: []string{"org-01", "CLU-01"}}
	checks, err := o.selectChecks()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CLU-01", "ORG-01"}, []string{checks[0].ID, checks[1].ID}); diff != "" {
		t.Errorf("selected (-want +got):\n%s", diff)
	}
	r := Evaluate(goodSnapshot(), checks)
	if diff := cmp.Diff([]string{"ORG-01"}, findingIDs(r.Findings)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, bad := range []Options{{Checks: []string{"NOPE-1"}}, {SkipChecks: []string{"x"}}, {ExtraChecks: []*Check{{ID: "CLU-01", Run: custom.Run}}}} {
		if _, err := bad.selectChecks(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
