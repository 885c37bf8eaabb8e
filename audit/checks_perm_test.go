package audit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fargatekit/fargatekit/iamtrust"
)

const (
	fxAdminARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	docAdmin   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// withManagedDocs gives the fixture's AWS managed policies their documents
// (abridged to their shape: the actions that matter to the checks).
func withManagedDocs(t *testing.T, s *Snapshot) {
	t.Helper()
	for arn, doc := range map[string]string{
		"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy":                 `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["autoscaling:DescribeAutoScalingGroups","ec2:CreateNetworkInterface","ec2:DescribeSubnets","elasticloadbalancing:*","kms:DescribeKey","iam:CreateServiceLinkedRole"],"Resource":"*"}]}`,
		"arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}`,
		"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy":                   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:AssignPrivateIpAddresses","ec2:AttachNetworkInterface","ec2:DescribeInstances"],"Resource":"*"}]}`,
		"arn:aws:iam::aws:policy/AmazonEKSVPCResourceController":         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateNetworkInterfacePermission","Resource":"*"}]}`,
		fxAdminARN: docAdmin,
		"arn:aws:iam::123456789012:policy/bucket-boundary": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`,
	} {
		s.Policies[arn] = &ManagedPolicy{ARN: arn, Name: arn[strings.LastIndexByte(arn, '/')+1:], DefaultVersion: "v1", Source: doc, Doc: must(iamtrust.Parse([]byte(doc)))}
	}
}

func attach(s *Snapshot, roleARN, policyARN string) {
	r := roleOf(s, roleARN)
	r.AttachedPolicies = append(r.AttachedPolicies, AttachedPolicy{Name: policyARN[strings.LastIndexByte(policyARN, '/')+1:], ARN: policyARN})
}

func putInline(t *testing.T, s *Snapshot, roleARN, name, doc string) {
	t.Helper()
	r := roleOf(s, roleARN)
	r.InlinePolicies = append(r.InlinePolicies, &InlinePolicy{Name: name, Source: doc, Doc: must(iamtrust.Parse([]byte(doc)))})
}

func TestPermissionChecksFire(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		break_    func(t *testing.T, s *Snapshot)
		want      []string
		sev       iamtrust.Severity
		evidence  string // in the worst finding's Actual
		fix       string // summary of the worst finding's fix, if any
	}{
		{name: "admin on the pod execution role", why: "AdministratorAccess attached to the pod execution role",
			break_: func(t *testing.T, s *Snapshot) { attach(s, fxPodRA, fxAdminARN) },
			want:   []string{"PERM-02"}, sev: iamtrust.SeverityCritical,
			evidence: "* on * via arn:aws:iam::aws:policy/AdministratorAccess Statement[0]", fix: "detach arn:aws:iam::aws:policy/AdministratorAccess"},
		{name: "inline star on the cluster role", why: "an inline {Action:*, Resource:*}",
			break_: func(t *testing.T, s *Snapshot) { putInline(t, s, fxClusterRA, "everything", docAdmin) },
			want:   []string{"PERM-02"}, sev: iamtrust.SeverityCritical,
			evidence: "inline:everything Statement[0]", fix: "delete inline policy everything"},
		{name: "admin on an IRSA role", why: "an IRSA role with admin has no documented purpose, still admin",
			break_: func(t *testing.T, s *Snapshot) { attach(s, fxWebRA, fxAdminARN) },
			want:   []string{"PERM-02"}, sev: iamtrust.SeverityCritical, evidence: "AdministratorAccess", fix: "detach arn:aws:iam::aws:policy/AdministratorAccess"},
		{name: "admin on the vpc-cni role", why: "the add-on's role",
			break_: func(t *testing.T, s *Snapshot) { attach(s, fxCNIRA, fxAdminARN) },
			want:   []string{"PERM-02"}, sev: iamtrust.SeverityCritical, evidence: "AdministratorAccess", fix: "detach arn:aws:iam::aws:policy/AdministratorAccess"},
		{name: "privilege escalation", why: "iam:PassRole on * with lambda:CreateFunction",
			break_: func(t *testing.T, s *Snapshot) {
				putInline(t, s, fxWebRA, "deployer", `{"Version":"2012-10-17","Statement":[{"Sid":"Ship","Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction"],"Resource":"*"}]}`)
			},
			want: []string{"PERM-03"}, sev: iamtrust.SeverityHigh, evidence: "iam:PassRole with lambda:CreateFunction on * via inline:deployer Statement[0] (Ship)", fix: "delete inline policy deployer"},
		{name: "policy writes", why: "iam:CreatePolicyVersion on *",
			break_: func(t *testing.T, s *Snapshot) {
				putInline(t, s, fxPodRA, "writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*"}]}`)
			},
			want: []string{"PERM-01", "PERM-03"}, sev: iamtrust.SeverityHigh, evidence: "iam:CreatePolicyVersion on *"},
		{name: "broad data", why: "s3:* on * on an IRSA role",
			break_: func(t *testing.T, s *Snapshot) {
				putInline(t, s, fxWebRA, "data", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:Decrypt"],"Resource":"*"}]}`)
			},
			want: []string{"PERM-04"}, sev: iamtrust.SeverityMedium, evidence: "kms:Decrypt on *"},
		{name: "narrow inline beyond purpose", why: "a one-bucket read is still beyond the pod execution role's purpose",
			break_: func(t *testing.T, s *Snapshot) {
				putInline(t, s, fxPodRA, "bucket", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}`)
			},
			want: []string{"PERM-01"}, sev: iamtrust.SeverityMedium, evidence: "s3:GetObject on arn:aws:s3:::assets/* via inline:bucket Statement[0]", fix: "delete inline policy bucket"},
		{name: "conditional admin", why: "an Allow * under a condition is graded down, not ignored",
			break_: func(t *testing.T, s *Snapshot) {
				putInline(t, s, fxWebRA, "mfa", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
			},
			want: []string{"PERM-02"}, sev: iamtrust.SeverityHigh, evidence: "[conditional]"},
		{name: "public trust on the pod execution role", why: `{"Principal":{"AWS":"*"}} added to the trust`,
			break_: func(t *testing.T, s *Snapshot) {
				r := roleOf(s, fxPodRA)
				d := r.Trust.Clone()
				d.Statement = append(d.Statement, must(iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`))).Statement...)
				setTrust(r, d.String())
			},
			want: []string{"TRUST-01", "TRUST-02"}, sev: iamtrust.SeverityCritical, evidence: `"AWS":"*"`},
		{name: "trust capacity", why: "the IRSA trust is over 90% of a small quota",
			break_: func(t *testing.T, s *Snapshot) {
				s.Quotas = &Quotas{AssumeRolePolicySize: policySize(roleOf(s, fxWebRA).TrustSource) + 10, AttachedPoliciesPerRole: 10}
			},
			want: []string{"QUOTA-01", "QUOTA-01"}, sev: iamtrust.SeverityMedium, evidence: "characters without whitespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSnapshot()
			withManagedDocs(t, s)
			for _, r := range s.Roles {
				if r.TrustSource == "" && r.Trust != nil {
					r.TrustSource = r.Trust.String()
				}
			}
			tc.break_(t, s)
			r := Evaluate(s, nil)
			var got []string
			for _, f := range r.Findings {
				if strings.HasPrefix(f.Check, "PERM-") || strings.HasPrefix(f.Check, "TRUST-") || strings.HasPrefix(f.Check, "QUOTA-") {
					got = append(got, f.Check)
				}
			}
			if diff := cmp.Diff(tc.want, findingIDs(filterChecks(r.Findings, got))); diff != "" {
				for _, f := range r.Findings {
					t.Logf("%s %s %s: %s | %s", f.Check, f.Severity, f.Resource, f.Message, f.Actual)
				}
				t.Fatalf("%s: findings (-want +got):\n%s", tc.why, diff)
			}
			worst := r.Findings[0]
			if worst.Severity != tc.sev {
				t.Errorf("worst severity %s (%s), want %s", worst.Severity, worst.Check, tc.sev)
			}
			if !strings.Contains(worst.Actual, tc.evidence) {
				t.Errorf("%s evidence %q lacks %q", worst.Check, worst.Actual, tc.evidence)
			}
			if tc.fix != "" {
				if len(worst.Fix) != 1 || worst.Fix[0].Summary != tc.fix || !worst.Fix[0].Destructive {
					t.Errorf("%s fix %+v, want one destructive %q", worst.Check, worst.Fix, tc.fix)
				}
			}
		})
	}
}

func filterChecks(fs []Finding, ids []string) []Finding {
	var out []Finding
	for _, f := range fs {
		for _, id := range ids {
			if f.Check == id {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// TestPermissionChecksQuiet: what looks alarming by name but is not, and
// what the documentation allows, produces no finding at high or above.
func TestPermissionChecksQuiet(t *testing.T) {
	for _, tc := range []struct {
		name, why string
		break_    func(t *testing.T, s *Snapshot)
	}{
		{"good setup", "the documented policies only", func(*testing.T, *Snapshot) {}},
		{"narrow boundary", "AdministratorAccess inside a one-bucket boundary", func(t *testing.T, s *Snapshot) {
			attach(s, fxWebRA, fxAdminARN)
			roleOf(s, fxWebRA).PermissionsBoundary = "arn:aws:iam::123456789012:policy/bucket-boundary"
		}},
		{"deny narrows", "a Deny of everything but the ECR pull", func(t *testing.T, s *Snapshot) {
			attach(s, fxPodRA, fxAdminARN)
			putInline(t, s, fxPodRA, "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}`)
		}},
		{"optional cluster policy", "AmazonEKSVPCResourceController is documented as optional", func(t *testing.T, s *Snapshot) {
			attach(s, fxClusterRA, "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController")
		}},
		{"fargate logging", "the documented Fargate logging policy", func(t *testing.T, s *Snapshot) {
			putInline(t, s, fxPodRA, "logging", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:CreateLogGroup","logs:DescribeLogStreams","logs:PutLogEvents","logs:PutRetentionPolicy"],"Resource":"*"}]}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSnapshot()
			withManagedDocs(t, s)
			tc.break_(t, s)
			r := Evaluate(s, nil)
			for _, f := range r.Findings {
				if f.Severity >= iamtrust.SeverityHigh || strings.HasPrefix(f.Check, "PERM-") {
					t.Errorf("%s: %s %s %s: %s | %s", tc.why, f.Check, f.Severity, f.Resource, f.Message, f.Actual)
				}
			}
		})
	}
}

// TestIAMOnlyEvidenceStandsAlone: IRSA-04 (a wildcard sub) is proven by IAM
// alone, so it is reported when the ServiceAccounts cannot be read; only its
// fix is unavailable, and the finding says why.
func TestIAMOnlyEvidenceStandsAlone(t *testing.T) {
	s := goodSnapshot()
	hp := iamtrust.IssuerHostPath(fxIssuer)
	setTrust(roleOf(s, fxWebRA), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+iamtrust.OIDCProviderARN("aws", fxAccount, fxIssuer)+
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"`+hp+`:sub":"system:serviceaccount:*:*"},"StringEquals":{"`+hp+`:aud":"sts.amazonaws.com"}}}]}`)
	s.Unavailable = append(s.Unavailable, Unavailable{What: PartServiceAccounts, Region: fxRegion, Cluster: cl(s).ARN, Resource: "serviceaccounts", Reason: "Forbidden: cannot list serviceaccounts"})
	cl(s).Kube.ServiceAccounts = nil
	r := Evaluate(s, nil)
	var got *Finding
	for i := range r.Findings {
		if r.Findings[i].Check == "IRSA-04" {
			got = &r.Findings[i]
		}
	}
	if got == nil {
		t.Fatalf("IRSA-04 not reported without ServiceAccounts; incomplete: %+v", r.Incomplete)
	}
	if len(got.Fix) != 0 || !strings.Contains(got.FixUnavailable, "Forbidden") {
		t.Errorf("IRSA-04 fix %v, fixUnavailable %q: want no fix and the reason", got.Fix, got.FixUnavailable)
	}
	for _, in := range r.Incomplete {
		if in.Check == "IRSA-04" || in.Check == "IRSA-08" {
			t.Errorf("%s incomplete although IAM alone proves it: %+v", in.Check, in)
		}
	}
}
