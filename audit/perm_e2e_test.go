package audit_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/fargatekit/fargatekit/audit"
	"github.com/fargatekit/fargatekit/iamtrust"
)

const (
	adminPolicyARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	docStar        = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	docLogging     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:CreateLogGroup","logs:DescribeLogStreams","logs:PutLogEvents","logs:PutRetentionPolicy"],"Resource":"*"}]}`
)

// permFindings returns the permission and trust findings of a report, by
// check, with the resource and evidence.
func permFindings(r *audit.Report) map[string][]audit.Finding {
	out := map[string][]audit.Finding{}
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Check, "PERM-") || strings.HasPrefix(f.Check, "TRUST-") {
			out[f.Check] = append(out[f.Check], f)
		}
	}
	return out
}

// ok fails the test on a setup step's error.
func ok(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// later runs an undo step at the end of a subtest.
func later(t *testing.T, f func() (any, error)) {
	t.Helper()
	if _, err := f(); err != nil {
		t.Error(err)
	}
}

// TestPermissionDriftAgainstMoto builds a correct walkthrough-like setup in
// moto (with the documented optional policies), then makes each change a
// nightly permission-drift job must catch, and each quiet change it must
// not call high, auditing through the real SDK and the bulk IAM read.
func TestPermissionDriftAgainstMoto(t *testing.T) {
	a := setupAWS(t)
	ctx := t.Context()
	cfg := a.Config(region)
	st := buildStack(ctx, t, cfg, "perm", "API_AND_CONFIG_MAP", podTrustUnscoped, []string{fargatePolicyARN}, "apps")
	im := iam.NewFromConfig(cfg)
	issuer := aws.ToString(st.cluster.Identity.Oidc.Issuer)
	hp := iamtrust.IssuerHostPath(issuer)
	prov := "arn:aws:iam::123456789012:oidc-provider/" + hp
	if _, err := im.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		t.Fatal(err)
	}
	irsaTrust := func(sa string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + prov + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + hp + `:sub":"system:serviceaccount:apps:` + sa + `","` + hp + `:aud":"sts.amazonaws.com"}}}]}`
	}
	// An IRSA role that no ServiceAccount names (the audit runs without
	// Kubernetes here): it is wired because it trusts the cluster's issuer.
	web := createRole(ctx, t, im, "perm-web", irsaTrust("web"))
	cni := createRole(ctx, t, im, "perm-cni", irsaTrust("aws-node"), "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
	if _, err := eks.NewFromConfig(cfg).CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("perm"), AddonName: aws.String("vpc-cni"), ServiceAccountRoleArn: aws.String(cni)}); err != nil {
		t.Fatal(err)
	}
	// Documented, quiet: the optional cluster policy and the Fargate
	// logging policy.
	ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("perm-cluster"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEKSVPCResourceController")}))
	ok(t)(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyName: aws.String("fargate-logging"), PolicyDocument: aws.String(docLogging)}))

	target := audit.ClustersTarget(region, "perm")
	run := func(t *testing.T) (*audit.Report, map[string][]audit.Finding) {
		t.Helper()
		r, err := audit.Audit(ctx, target, func(o *audit.Options) { o.AWS = cfg; o.Kube = noKube })
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range r.Incomplete {
			if !strings.HasPrefix(in.Reason, "kube.") {
				t.Errorf("incomplete %s %s: %s", in.Check, in.Resource, in.Reason)
			}
		}
		return r, permFindings(r)
	}
	expect := func(t *testing.T, got map[string][]audit.Finding, check, resource string, sev iamtrust.Severity, evidence string) audit.Finding {
		t.Helper()
		for _, f := range got[check] {
			if f.Resource == resource {
				if f.Severity != sev || !strings.Contains(f.Actual, evidence) {
					t.Errorf("%s on %s: %s %q, want %s with %q", check, resource, f.Severity, f.Actual, sev, evidence)
				}
				return f
			}
		}
		t.Errorf("no %s finding on %s; got %v", check, resource, got)
		return audit.Finding{}
	}
	quiet := func(t *testing.T, why string) {
		t.Helper()
		r, got := run(t)
		for _, fs := range got {
			for _, f := range fs {
				t.Errorf("%s: %s %s %s: %s", why, f.Check, f.Severity, f.Resource, f.Message)
			}
		}
		for _, f := range r.Findings {
			if f.Severity >= iamtrust.SeverityCritical {
				t.Errorf("%s: critical %s %s", why, f.Check, f.Message)
			}
		}
	}

	t.Run("documented setup is quiet", func(t *testing.T) { quiet(t, "documented optional policies") })

	t.Run("AdministratorAccess on the pod execution role, then fixed", func(t *testing.T) {
		ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyArn: aws.String(adminPolicyARN)}))
		r, got := run(t)
		f := expect(t, got, "PERM-02", st.podRoleARN, iamtrust.SeverityCritical, "via "+adminPolicyARN+" Statement[0]")
		if len(got["PERM-01"]) != 0 {
			t.Errorf("an admin role is reported once, by PERM-02; PERM-01 too: %+v", got["PERM-01"])
		}
		if len(f.Fix) != 1 || f.Fix[0].Summary != "detach "+adminPolicyARN {
			t.Fatalf("PERM-02 fix %+v", f.Fix)
		}
		if err := audit.Fix(ctx, r, audit.Selection{Checks: []string{"PERM-02"}}, func(o *audit.Options) { o.AWS = cfg; o.AllowDestructive, o.AllowUnowned = true, true }); err != nil {
			t.Fatal(err)
		}
		quiet(t, "after the fix")
	})

	t.Run("inline star on the cluster role", func(t *testing.T) {
		ok(t)(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("perm-cluster"), PolicyName: aws.String("everything"), PolicyDocument: aws.String(docStar)}))
		defer later(t, func() (any, error) {
			return im.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("perm-cluster"), PolicyName: aws.String("everything")})
		})
		_, got := run(t)
		expect(t, got, "PERM-02", st.clusterRoleARN, iamtrust.SeverityCritical, "inline:everything Statement[0]")
	})

	t.Run("admin on an IRSA role and on the vpc-cni role", func(t *testing.T) {
		for _, role := range []string{"perm-web", "perm-cni"} {
			ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(adminPolicyARN)}))
			defer later(t, func() (any, error) {
				return im.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(adminPolicyARN)})
			})
		}
		_, got := run(t)
		expect(t, got, "PERM-02", web, iamtrust.SeverityCritical, adminPolicyARN)
		expect(t, got, "PERM-02", cni, iamtrust.SeverityCritical, adminPolicyARN)
	})

	t.Run("privilege escalation on an IRSA role", func(t *testing.T) {
		ok(t)(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("perm-web"), PolicyName: aws.String("deployer"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction"],"Resource":"*"}]}`)}))
		defer later(t, func() (any, error) {
			return im.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("perm-web"), PolicyName: aws.String("deployer")})
		})
		_, got := run(t)
		expect(t, got, "PERM-03", web, iamtrust.SeverityHigh, "iam:PassRole with lambda:CreateFunction on * via inline:deployer Statement[0]")
	})

	t.Run("a customer policy whose second version is the dangerous one", func(t *testing.T) {
		out, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("perm-pull"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		pol := aws.ToString(out.Policy.Arn)
		ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyArn: aws.String(pol)}))
		defer later(t, func() (any, error) {
			return im.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyArn: aws.String(pol)})
		})
		// v2 exists but is not the default: only the default is in effect.
		ok(t)(im.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(pol), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)}))
		quiet(t, "a dangerous version that is not the default")
		ok(t)(im.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pol), VersionId: aws.String("v2")}))
		_, got := run(t)
		expect(t, got, "PERM-02", st.podRoleARN, iamtrust.SeverityCritical, "iam:* on * via "+pol+" Statement[0]")
		ok(t)(im.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(pol), VersionId: aws.String("v1")}))
	})

	t.Run("extra trust principals", func(t *testing.T) {
		for _, extra := range []string{`{"AWS":"*"}`, `{"AWS":"arn:aws:iam::210987654321:root"}`} {
			doc := strings.Replace(podTrustUnscoped, `]}`, `,{"Effect":"Allow","Principal":`+extra+`,"Action":"sts:AssumeRole"}]}`, 1)
			ok(t)(im.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyDocument: aws.String(doc)}))
			_, got := run(t)
			f := expect(t, got, "TRUST-01", st.podRoleARN, iamtrust.SeverityHigh, "")
			if !strings.Contains(f.Message, "2 Allow statements") {
				t.Errorf("TRUST-01 for %s: %q does not count the statements", extra, f.Message)
			}
		}
		ok(t)(im.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("perm-pods"), PolicyDocument: aws.String(podTrustUnscoped)}))
	})

	t.Run("quiet: admin inside a one-bucket boundary", func(t *testing.T) {
		out, err := im.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("perm-boundary"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets/*"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("perm-web"), PolicyArn: aws.String(adminPolicyARN)}))
		defer later(t, func() (any, error) {
			return im.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("perm-web"), PolicyArn: aws.String(adminPolicyARN)})
		})
		ok(t)(im.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("perm-web"), PermissionsBoundary: out.Policy.Arn}))
		defer later(t, func() (any, error) {
			return im.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("perm-web")})
		})
		quiet(t, "a narrow boundary")
	})

	t.Run("quiet: a Deny that narrows admin", func(t *testing.T) {
		ok(t)(im.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("perm-web"), PolicyArn: aws.String(adminPolicyARN)}))
		defer later(t, func() (any, error) {
			return im.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("perm-web"), PolicyArn: aws.String(adminPolicyARN)})
		})
		ok(t)(im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("perm-web"), PolicyName: aws.String("deny"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}]}`)}))
		defer later(t, func() (any, error) {
			return im.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("perm-web"), PolicyName: aws.String("deny")})
		})
		r, got := run(t)
		for _, f := range got["PERM-02"] {
			t.Errorf("admin cut down by a Deny reported as admin: %s", f.Message)
		}
		for _, f := range r.Findings {
			if f.Severity >= iamtrust.SeverityHigh && f.Resource == web {
				t.Errorf("high finding on the narrowed role: %s %s", f.Check, f.Message)
			}
		}
	})
}
