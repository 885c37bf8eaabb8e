package audit

import (
	"strings"
	"testing"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// TestExplain: the causes users report again and again, each named as the
// first broken link with its fix.
func TestExplain(t *testing.T) {
	hp := iamtrust.IssuerHostPath(fxIssuer)
	prov := iamtrust.OIDCProviderARN("aws", fxAccount, fxIssuer)
	trust := func(fed, op, sub, aud string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + fed + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"` + op + `":{` + sub + `,` + aud + `}}}]}`
	}
	subKey := func(k, v string) string { return `"` + k + `":"` + v + `"` }
	for _, tc := range []struct {
		name, why string
		break_    func(s *Snapshot)
		broken    string
		fix       string
	}{
		{"works", "the fixture's web ServiceAccount", func(*Snapshot) {}, "", ""},
		{"no annotation", "the ServiceAccount was never annotated",
			func(s *Snapshot) { cl(s).Kube.ServiceAccounts[0].RoleARN = "" }, "annotation", "kubectl annotate"},
		{"role typo", "the annotation names a role that does not exist",
			func(s *Snapshot) {
				cl(s).Kube.ServiceAccounts[0].RoleARN = "arn:aws:iam::123456789012:role/demo-apps-wbe"
			}, "role", "did you mean " + fxWebRA},
		{"no provider", "the IAM OIDC provider was never created",
			func(s *Snapshot) { s.OIDCProviders = nil }, "OIDC provider", "IRSA-01"},
		{"provider ARN typo", "the Federated principal names another account",
			func(s *Snapshot) {
				setTrust(roleOf(s, fxWebRA), trust(strings.Replace(prov, fxAccount, "210987654321", 1), "StringEquals", subKey(hp+":sub", "system:serviceaccount:apps:web"), subKey(hp+":aud", "sts.amazonaws.com")))
			}, "trust: Federated principal", `"Federated": "` + prov + `"`},
		{"another region's keys", "the keys were copied from a us-east-1 example",
			func(s *Snapshot) {
				other := strings.Replace(hp, "us-west-2", "us-east-1", 1)
				setTrust(roleOf(s, fxWebRA), trust(prov, "StringEquals", subKey(other+":sub", "system:serviceaccount:apps:web"), subKey(other+":aud", "sts.amazonaws.com")))
			}, "trust: condition keys", "IRSA-08"},
		{"https prefix", "the keys carry the issuer URL's scheme",
			func(s *Snapshot) {
				setTrust(roleOf(s, fxWebRA), trust(prov, "StringEquals", subKey("https://"+hp+":sub", "system:serviceaccount:apps:web"), subKey("https://"+hp+":aud", "sts.amazonaws.com")))
			}, "trust: condition keys", hp + ":sub"},
		{"StringEquals with a star", "a pattern under StringEquals is literal",
			func(s *Snapshot) {
				setTrust(roleOf(s, fxWebRA), trust(prov, "StringEquals", subKey(hp+":sub", "system:serviceaccount:apps:*"), subKey(hp+":aud", "sts.amazonaws.com")))
			}, "trust: sub and aud", "StringLike only for patterns"},
		{"aud in place of sub", "the subject was written under the aud key",
			func(s *Snapshot) {
				setTrust(roleOf(s, fxWebRA), trust(prov, "StringEquals", subKey(hp+":aud", "system:serviceaccount:apps:web"), subKey(hp+":sub", "sts.amazonaws.com")))
			}, "trust: sub and aud", hp + ":sub"},
		{"no profile", "no Fargate profile selects the namespace",
			func(s *Snapshot) { cl(s).FargateProfiles = cl(s).FargateProfiles[1:] }, "Fargate profile", "add a profile selector for apps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSnapshot()
			tc.break_(s)
			e := Explain(s, cl(s), "apps", "web")
			if e.Broken != tc.broken {
				for _, l := range e.Links {
					t.Logf("%v %s: %s", l.OK, l.Name, l.Detail)
				}
				t.Fatalf("%s: broken link %q, want %q", tc.why, e.Broken, tc.broken)
			}
			for _, l := range e.Links {
				if l.Name == tc.broken && !strings.Contains(l.Fix, tc.fix) {
					t.Errorf("%s: fix %q lacks %q", tc.why, l.Fix, tc.fix)
				}
			}
		})
	}
}
