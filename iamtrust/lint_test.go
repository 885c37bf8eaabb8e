package iamtrust

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// irsaDoc returns an IRSA trust statement with the given principal provider
// and Condition element.
func irsaDoc(provider, cond string) string {
	s := `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity"`
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return stmt(s + "}")
}

const goodIRSACond = `{"StringEquals":{"` + oidcHost + `:sub":"system:serviceaccount:default:app","` + oidcHost + `:aud":"sts.amazonaws.com"}}`

func TestLint(t *testing.T) {
	const fargateStmt = `{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"`
	opts := LintOptions{AccountID: "111122223333", Region: "us-west-2", Cluster: "my-cluster", IssuerURL: "https://" + oidcHost}
	tests := []struct {
		name   string
		reason string
		doc    string
		opts   LintOptions
		want   []Finding
	}{
		{
			name:   "good IRSA trust",
			reason: "the documented IRSA trust has no findings, with or without options",
			doc:    irsaDoc(oidcHost, goodIRSACond),
			opts:   opts,
		},
		{
			name:   "good Fargate trust",
			reason: "SourceArn scoped to the cluster",
			doc:    stmt(fargateStmt + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}}}`),
			opts:   opts,
		},
		{
			name:   "good cluster role",
			reason: "a service principal with AssumeRole and TagSession",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}`),
			opts:   opts,
		},
		{
			name:   "POL-02 missing version",
			reason: "no Version means the legacy language",
			doc:    `{"Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			want: []Finding{{Check: "POL-02", Severity: SeverityMedium, Path: "Version",
				Message: `Version is missing, so IAM uses the legacy 2008-10-17 policy language, in which policy variables are literal text; add "Version": "2012-10-17"`}},
		},
		{
			name:   "POL-02 legacy version",
			reason: "2008-10-17 is the legacy language",
			doc:    `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			want: []Finding{{Check: "POL-02", Severity: SeverityMedium, Path: "Version",
				Message: `Version is "2008-10-17", the legacy policy language, in which policy variables are literal text; use "2012-10-17"`}},
		},
		{
			name:   "IRSA-02 and IRSA-03 no condition",
			reason: "web identity trust with no condition at all: any service account, any audience",
			doc:    irsaDoc(oidcHost, ""),
			want: []Finding{
				{Check: "IRSA-02", Severity: SeverityCritical, Path: "Statement[0]",
					Message: `Statement[0] lets OIDC provider ` + oidcHost + ` assume the role with sts:AssumeRoleWithWebIdentity without a condition on "` + oidcHost + `:sub", so every service account of the cluster can assume it; add "StringEquals": {"` + oidcHost + `:sub": "system:serviceaccount:<namespace>:<name>"}`},
				{Check: "IRSA-03", Severity: SeverityMedium, Path: "Statement[0]",
					Message: `Statement[0] lets OIDC provider ` + oidcHost + ` assume the role without a condition on "` + oidcHost + `:aud"; add "StringEquals": {"` + oidcHost + `:aud": "sts.amazonaws.com"}`},
			},
		},
		{
			name:   "IRSA-02 sub only under a negated operator",
			reason: "StringNotEquals on sub does not restrict who may assume the role",
			doc:    irsaDoc(oidcHost, `{"StringNotEquals":{"`+oidcHost+`:sub":"system:serviceaccount:kube-system:x"},"StringEquals":{"`+oidcHost+`:aud":"sts.amazonaws.com"}}`),
			want: []Finding{{Check: "IRSA-02", Severity: SeverityCritical, Path: "Statement[0].Condition",
				Message: `Statement[0] lets OIDC provider ` + oidcHost + ` assume the role with sts:AssumeRoleWithWebIdentity without a condition on "` + oidcHost + `:sub", so every service account of the cluster can assume it; add "StringEquals": {"` + oidcHost + `:sub": "system:serviceaccount:<namespace>:<name>"}`}},
		},
		{
			name:   "IRSA-03 wrong audience",
			reason: "the audience must be sts.amazonaws.com",
			doc:    irsaDoc(oidcHost, `{"StringEquals":{"`+oidcHost+`:sub":"system:serviceaccount:default:app","`+oidcHost+`:aud":"my-app"}}`),
			want: []Finding{{Check: "IRSA-03", Severity: SeverityMedium, Path: "Statement[0].Condition",
				Message: `Statement[0] restricts the token audience to "my-app", not "sts.amazonaws.com"; IRSA tokens carry the audience sts.amazonaws.com: use "StringEquals": {"` + oidcHost + `:aud": "sts.amazonaws.com"}`}},
		},
		{
			name:   "IRSA-04 wildcard subject",
			reason: "StringLike with system:serviceaccount:*:* lets every service account in",
			doc:    irsaDoc(oidcHost, `{"StringLike":{"`+oidcHost+`:sub":"system:serviceaccount:*:*"},"StringEquals":{"`+oidcHost+`:aud":"sts.amazonaws.com"}}`),
			want: []Finding{{Check: "IRSA-04", Severity: SeverityHigh, Path: `Statement[0].Condition.StringLike["` + oidcHost + `:sub"]`,
				Message: `Statement[0] lets every service account whose subject matches the pattern "system:serviceaccount:*:*" assume the role, including ones created later; list the service accounts with StringEquals "` + oidcHost + `:sub": "system:serviceaccount:<namespace>:<name>"`}},
		},
		{
			name:   "IRSA-05 wildcard under StringEquals",
			reason: "StringEquals compares literally, so the pattern never matches",
			doc:    irsaDoc(oidcHost, `{"StringEquals":{"`+oidcHost+`:sub":"system:serviceaccount:default:*","`+oidcHost+`:aud":"sts.amazonaws.com"}}`),
			want: []Finding{{Check: "IRSA-05", Severity: SeverityLow, Path: `Statement[0].Condition.StringEquals["` + oidcHost + `:sub"]`,
				Message: `Statement[0]: the value "system:serviceaccount:default:*" holds a wildcard, but StringEquals compares literally, so it never matches a real value and the condition fails; use StringLike if a pattern is meant`}},
		},
		{
			name:   "IRSA-05 negated",
			reason: "under StringNotEquals a literal pattern excludes nothing",
			doc:    stmt(`{"Sid":"X","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEqualsIgnoreCase":{"aws:PrincipalAccount":"1111*"}}}`),
			want: []Finding{{Check: "IRSA-05", Severity: SeverityLow, Path: `Statement[0].Condition.StringNotEqualsIgnoreCase["aws:PrincipalAccount"]`,
				Message: `Statement[0] (Sid "X"): the value "1111*" holds a wildcard, but StringNotEqualsIgnoreCase compares literally, so it excludes nothing; use StringNotLike if a pattern is meant`}},
		},
		{
			name:   "IRSA-05 escaped star",
			reason: "${*} is the literal star, not a wildcard",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k":"a${*}"}}}`),
		},
		{
			name:   "IRSA-06 star principal",
			reason: `"*" with no condition: anyone`,
			doc:    stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`),
			want: []Finding{{Check: "IRSA-06", Severity: SeverityCritical, Path: "Statement[0].Principal",
				Message: `Statement[0] allows "*" (every principal, including anonymous callers) to call sts:AssumeRole with no condition that restricts the caller, so anyone can assume the role; name the principals, or add a condition on the caller such as "StringEquals": {"aws:PrincipalOrgID": "o-…"}`}},
		},
		{
			name:   "IRSA-06 AWS star with a non-restricting condition",
			reason: "IfExists, negated, Bool and all-wildcard conditions do not restrict the caller",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":["111122223333","*"]},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:PrincipalOrgID":"o-1"},"StringNotEquals":{"aws:PrincipalAccount":"2"},"Bool":{"aws:SecureTransport":true},"StringLike":{"aws:PrincipalArn":"*"}}}`),
			want: []Finding{{Check: "IRSA-06", Severity: SeverityCritical, Path: "Statement[0].Principal.AWS",
				Message: `Statement[0] allows {"AWS": "*"} (every AWS principal of every account) to call sts:AssumeRole with no condition that restricts the caller, so anyone can assume the role; name the principals, or add a condition on the caller such as "StringEquals": {"aws:PrincipalOrgID": "o-…"}`}},
		},
		{
			name:   "IRSA-06 restricted",
			reason: "a positive condition on the caller restricts a public principal",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`),
		},
		{
			name:   "IRSA-06 not principal",
			reason: "Allow with NotPrincipal allows everyone else",
			doc:    stmt(`{"Effect":"Allow","NotPrincipal":{"AWS":"444455556666"},"Action":["sts:AssumeRole","sts:TagSession"]}`),
			want: []Finding{{Check: "IRSA-06", Severity: SeverityCritical, Path: "Statement[0].NotPrincipal",
				Message: `Statement[0] allows every principal not listed in NotPrincipal to call sts:AssumeRole, sts:TagSession with no condition that restricts the caller, so anyone can assume the role; name the principals, or add a condition on the caller such as "StringEquals": {"aws:PrincipalOrgID": "o-…"}`}},
		},
		{
			name:   "IRSA-06 deny is fine",
			reason: "a public Deny is no exposure",
			doc:    stmt(`{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}`),
		},
		{
			name:   "IRSA-07 AssumeRole for federated",
			reason: "an OIDC provider calls AssumeRoleWithWebIdentity",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Federated":"` + oidcARN + `"},"Action":"sts:AssumeRole","Condition":` + goodIRSACond + `}`),
			want: []Finding{{Check: "IRSA-07", Severity: SeverityMedium, Path: "Statement[0].Action",
				Message: `Statement[0] allows sts:AssumeRole, which its principal (Federated ` + oidcARN + `) cannot call, so the statement grants nothing; use sts:AssumeRoleWithWebIdentity, which web identity (OIDC) federation calls`}},
		},
		{
			name:   "IRSA-07 web identity for service",
			reason: "a service calls AssumeRole",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:TagSession","sts:AssumeRoleWithWebIdentity"]}`),
			want: []Finding{{Check: "IRSA-07", Severity: SeverityMedium, Path: "Statement[0].Action[1]",
				Message: `Statement[0] allows sts:AssumeRoleWithWebIdentity, which its principal (Service eks.amazonaws.com) cannot call, so the statement grants nothing; use sts:AssumeRole, which services and AWS principals call`}},
		},
		{
			name:   "IRSA-07 SAML",
			reason: "a SAML provider calls AssumeRoleWithSAML",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/corp"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}`),
			want: []Finding{{Check: "IRSA-07", Severity: SeverityMedium, Path: "Statement[0].Action",
				Message: `Statement[0] allows sts:AssumeRoleWithWebIdentity, which its principal (Federated arn:aws:iam::111122223333:saml-provider/corp) cannot call, so the statement grants nothing; use sts:AssumeRoleWithSAML, which SAML federation calls`}},
		},
		{
			name:   "IRSA-08 keys of another provider",
			reason: "the walkthrough's mistake: principal in ap-northeast-1, keys for us-west-2",
			doc:    irsaDoc("oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE", goodIRSACond),
			want: []Finding{
				{Check: "IRSA-08", Severity: SeverityHigh, Path: `Statement[0].Condition.StringEquals["` + oidcHost + `:sub"]`,
					Message: `Statement[0] trusts OIDC provider oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE, but the condition key "` + oidcHost + `:sub" names provider ` + oidcHost + `; tokens of the trusted provider carry no such key, so the condition never holds and the role cannot be assumed through this statement; use "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE:sub"`},
				{Check: "IRSA-08", Severity: SeverityHigh, Path: `Statement[0].Condition.StringEquals["` + oidcHost + `:aud"]`,
					Message: `Statement[0] trusts OIDC provider oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE, but the condition key "` + oidcHost + `:aud" names provider ` + oidcHost + `; tokens of the trusted provider carry no such key, so the condition never holds and the role cannot be assumed through this statement; use "oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE:aud"`},
			},
		},
		{
			name:   "IRSA-08 another issuer than the cluster's",
			reason: "with IssuerURL given, the principal must be the cluster's provider",
			doc:    irsaDoc("oidc.eks.us-west-2.amazonaws.com/id/OTHER", `{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/OTHER:sub":"system:serviceaccount:default:app","oidc.eks.us-west-2.amazonaws.com/id/OTHER:aud":"sts.amazonaws.com"}}`),
			opts:   opts,
			want: []Finding{{Check: "IRSA-08", Severity: SeverityHigh, Path: "Statement[0].Principal.Federated",
				Message: `Statement[0] trusts OIDC provider oidc.eks.us-west-2.amazonaws.com/id/OTHER, but the cluster's issuer is ` + oidcHost + `; trust ` + oidcARN}},
		},
		{
			name:   "IRSA-08 negated key of another provider",
			reason: "under a negated operator the foreign key always passes: it restricts nothing",
			doc:    irsaDoc(oidcHost, `{"StringEquals":{"`+oidcHost+`:sub":"system:serviceaccount:default:app","`+oidcHost+`:aud":"sts.amazonaws.com"},"StringNotEquals":{"oidc.eks.eu-west-1.amazonaws.com/id/X:sub":"system:serviceaccount:kube-system:a"}}`),
			want: []Finding{{Check: "IRSA-08", Severity: SeverityHigh, Path: `Statement[0].Condition.StringNotEquals["oidc.eks.eu-west-1.amazonaws.com/id/X:sub"]`,
				Message: `Statement[0] trusts OIDC provider ` + oidcHost + `, but the condition key "oidc.eks.eu-west-1.amazonaws.com/id/X:sub" names provider oidc.eks.eu-west-1.amazonaws.com/id/X; tokens of the trusted provider carry no such key, so the condition always holds and restricts nothing; use "` + oidcHost + `:sub"`}},
		},
		{
			name:   "IAM-02 no SourceArn",
			reason: "Fargate trust without confused-deputy protection",
			doc:    stmt(fargateStmt + `}`),
			opts:   opts,
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: "Statement[0]",
				Message: `Statement[0] lets eks-fargate-pods.amazonaws.com assume the role without an aws:SourceArn condition, so Fargate could be made to use the role for another cluster's or account's profiles (confused deputy); want "ArnLike": {"aws:SourceArn": "arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}`}},
		},
		{
			name:   "IAM-02 no SourceArn, no options",
			reason: "without options the expected value has placeholders",
			doc:    stmt(fargateStmt + `,"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}`),
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: "Statement[0].Condition",
				Message: `Statement[0] lets eks-fargate-pods.amazonaws.com assume the role without an aws:SourceArn condition, so Fargate could be made to use the role for another cluster's or account's profiles (confused deputy); want "ArnLike": {"aws:SourceArn": "arn:aws:eks:<region>:<account>:fargateprofile/<cluster>/*"}`}},
		},
		{
			name:   "IAM-02 star",
			reason: "a SourceArn of * protects nothing",
			doc:    stmt(fargateStmt + `,"Condition":{"ArnLike":{"aws:SourceArn":"*"}}}`),
			opts:   opts,
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: `Statement[0].Condition.ArnLike["aws:SourceArn"]`,
				Message: `Statement[0]: aws:SourceArn "*" matches every source; want "ArnLike": {"aws:SourceArn": "arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}`}},
		},
		{
			name:   "IAM-02 other account and cluster",
			reason: "scoped to someone else's cluster",
			doc:    stmt(fargateStmt + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:eu-west-1:444455556666:fargateprofile/other/*"}}}`),
			opts:   opts,
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: `Statement[0].Condition.ArnLike["aws:SourceArn"]`,
				Message: `Statement[0]: aws:SourceArn "arn:aws:eks:eu-west-1:444455556666:fargateprofile/other/*" names account 444455556666, not 111122223333 and names region eu-west-1, not us-west-2 and names cluster other, not my-cluster; want "ArnLike": {"aws:SourceArn": "arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}`}},
		},
		{
			name:   "IAM-02 any account, every cluster",
			reason: "wildcards in the account and cluster",
			doc:    stmt(fargateStmt + `,"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:*:fargateprofile/*"}}}`),
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: `Statement[0].Condition.ArnLike["aws:SourceArn"]`,
				Message: `Statement[0]: aws:SourceArn "arn:aws:eks:us-west-2:*:fargateprofile/*" matches profiles of any account and matches the profiles of every cluster; want "ArnLike": {"aws:SourceArn": "arn:aws:eks:<region>:<account>:fargateprofile/<cluster>/*"}`}},
		},
		{
			name:   "IAM-02 IfExists",
			reason: "SourceArnIfExists passes when the key is absent",
			doc:    stmt(fargateStmt + `,"Condition":{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}}}`),
			opts:   LintOptions{Region: "cn-north-1"},
			want: []Finding{{Check: "IAM-02", Severity: SeverityHigh, Path: "Statement[0].Condition",
				Message: `Statement[0] lets eks-fargate-pods.amazonaws.com assume the role without an aws:SourceArn condition, so Fargate could be made to use the role for another cluster's or account's profiles (confused deputy); want "ArnLike": {"aws:SourceArn": "arn:aws-cn:eks:cn-north-1:<account>:fargateprofile/<cluster>/*"}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lint(mustParse(t, tt.doc), tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Lint (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
}

func TestRules(t *testing.T) {
	want := []string{"POL-02", "IRSA-02", "IRSA-03", "IRSA-04", "IRSA-05", "IRSA-06", "IRSA-07", "IRSA-08", "IAM-02"}
	var got []string
	for _, r := range Rules() {
		got = append(got, r.ID)
		if r.Title == "" || r.Doc == "" {
			t.Errorf("rule %s has no title or doc", r.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Rules IDs (-want +got):\n%s", diff)
	}
	sev := map[string]Severity{"POL-02": SeverityMedium, "IRSA-02": SeverityCritical, "IRSA-03": SeverityMedium, "IRSA-04": SeverityHigh,
		"IRSA-05": SeverityLow, "IRSA-06": SeverityCritical, "IRSA-07": SeverityMedium, "IRSA-08": SeverityHigh, "IAM-02": SeverityHigh}
	for _, r := range Rules() {
		if r.Severity != sev[r.ID] {
			t.Errorf("rule %s severity = %v, want %v", r.ID, r.Severity, sev[r.ID])
		}
	}
}

func TestSeverity(t *testing.T) {
	for i, name := range []string{"info", "low", "medium", "high", "critical"} {
		s := Severity(i)
		if s.String() != name {
			t.Errorf("Severity(%d).String() = %q, want %q", i, s, name)
		}
		for _, in := range []string{name, strings.ToUpper(name)} {
			if got, err := ParseSeverity(in); err != nil || got != s {
				t.Errorf("ParseSeverity(%q) = %v, %v; want %v", in, got, err, s)
			}
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) succeeded")
	}
	if Severity(7).String() != "Severity(7)" {
		t.Errorf("out of range String() = %q", Severity(7))
	}
	if _, err := Severity(-1).MarshalText(); err == nil {
		t.Error("MarshalText of an invalid severity succeeded")
	}
	b, err := json.Marshal(Finding{Check: "IRSA-02", Severity: SeverityCritical, Message: "m", Path: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"check":"IRSA-02","severity":"critical","message":"m","path":"p"}`; got != want {
		t.Errorf("Finding JSON = %s, want %s", got, want)
	}
	var f Finding
	if err := json.Unmarshal(b, &f); err != nil || f.Severity != SeverityCritical {
		t.Errorf("Unmarshal = %+v, %v", f, err)
	}
	if err := json.Unmarshal([]byte(`{"severity":"bad"}`), &f); err == nil {
		t.Error("Unmarshal of a bad severity succeeded")
	}
}
