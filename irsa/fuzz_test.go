package irsa_test

import (
	"testing"

	"github.com/fargatekit/fargatekit/iamtrust"
	"github.com/fargatekit/fargatekit/irsa"
	"github.com/fargatekit/fargatekit/plan"
)

// FuzzDiffLiveDocuments feeds arbitrary text, as IAM might return it
// (URL-encoded or not), as a role's trust policy and inline policy: Diff
// never panics, and a document that is not the expected one always gives a
// change that rewrites it.
func FuzzDiffLiveDocuments(f *testing.F) {
	c := testCluster()
	role := irsa.ServiceAccountRole{Namespace: "apps", Name: "api", InlinePolicies: map[string]string{
		"p": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
	}}
	good := trustFor(f, c, role).String()
	f.Add(good, role.InlinePolicies["p"])
	f.Add("%7B%22Version%22%3A%222012-10-17%22%7D", "%ZZ")
	f.Add(`{"Statement":[]}`, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, trustSrc, inlineSrc string) {
		s := synced(t, c, role)
		r := s.Roles["eks-test-apps-api"]
		r.TrustSource, r.TrustErr = iamtrust.DecodeLive(trustSrc)
		r.Trust = nil
		if r.TrustErr == nil {
			r.Trust, r.TrustErr = iamtrust.Parse([]byte(r.TrustSource))
		}
		r.InlinePolicies["p"] = inlineSrc
		res, err := irsa.Diff(irsa.Clients{}, c, []irsa.ServiceAccountRole{role}, s)
		if err != nil {
			t.Fatal(err)
		}
		p := &plan.Plan{Changes: res.Changes}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		_ = p.Text()
		want := trustFor(t, c, role)
		roleChanged := false
		for _, ch := range p.Pending() {
			if ch.ID == "iam.role/eks-test-apps-api" {
				roleChanged = true
			}
		}
		if equal := r.Trust != nil && iamtrust.Equal(r.Trust, want); equal == roleChanged {
			t.Fatalf("trust equal %v, role change %v", equal, roleChanged)
		}
	})
}
