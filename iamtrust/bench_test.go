package iamtrust

import (
	"strconv"
	"strings"
	"testing"
)

// typicalTrust is an IRSA trust policy as IAM returns it (decoded).
const typicalTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2:aud":"sts.amazonaws.com","oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2:sub":"system:serviceaccount:default:my-service-account"}}}]}`

// BenchmarkParseCanonicalLint measures what a plan does per role: parse the
// live document, canonicalize it, lint it. Target: ≤ 20 µs, ≤ 60 allocs.
func BenchmarkParseCanonicalLint(b *testing.B) {
	src := []byte(typicalTrust)
	opts := LintOptions{AccountID: "111122223333", IssuerURL: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2"}
	b.ReportAllocs()
	for b.Loop() {
		d, err := Parse(src)
		if err != nil {
			b.Fatal(err)
		}
		if Canonical(d) == nil {
			b.Fatal("no canonical form")
		}
		if f := Lint(d, opts); len(f) != 0 {
			b.Fatal(f)
		}
	}
}

// BenchmarkEqual measures Equal of two parsed documents whose canonical forms
// are cached. Target: ≤ 3 µs.
func BenchmarkEqual(b *testing.B) {
	x, err := Parse([]byte(typicalTrust))
	if err != nil {
		b.Fatal(err)
	}
	y, err := Parse([]byte(strings.Replace(typicalTrust, `"Action":"sts:AssumeRoleWithWebIdentity"`, `"Action":["sts:assumerolewithwebidentity"]`, 1)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !Equal(x, y) {
			b.Fatal("not equal")
		}
	}
}

// BenchmarkEqualUncached measures Equal of two documents parsed afresh, so
// the canonical forms are computed each time.
func BenchmarkEqualUncached(b *testing.B) {
	src := []byte(typicalTrust)
	b.ReportAllocs()
	for b.Loop() {
		x, _ := Parse(src)
		y, _ := Parse(src)
		if !Equal(x, y) {
			b.Fatal("not equal")
		}
	}
}

// BenchmarkEvaluate evaluates a request against a 10-statement trust policy
// where the last statement decides. Target: ≤ 5 µs.
func BenchmarkEvaluate(b *testing.B) {
	var st []string
	for i := range 9 {
		ns := "ns" + strconv.Itoa(i)
		st = append(st, `{"Sid":"S`+strconv.Itoa(i)+`","Effect":"Allow","Principal":{"Federated":"`+oidcARN+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+oidcHost+`:aud":"sts.amazonaws.com"},"StringLike":{"`+oidcHost+`:sub":"system:serviceaccount:`+ns+`:*"}}}`)
	}
	st = append(st, `{"Sid":"Target","Effect":"Allow","Principal":{"Federated":"`+oidcARN+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+oidcHost+`:aud":"sts.amazonaws.com","`+oidcHost+`:sub":"system:serviceaccount:default:app"}}}`)
	d, err := Parse([]byte(stmt(strings.Join(st, ","))))
	if err != nil {
		b.Fatal(err)
	}
	req := Request{
		Action:    "sts:AssumeRoleWithWebIdentity",
		Principal: Principal{Type: PrincipalFederated, Value: oidcARN},
		Context: map[string][]string{
			oidcHost + ":sub": {"system:serviceaccount:default:app"},
			oidcHost + ":aud": {"sts.amazonaws.com"},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if Evaluate(d, req).Decision != Allow {
			b.Fatal("not allowed")
		}
	}
}
