package iamtrust

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addSeeds adds the corpus files and a few edge cases to a fuzz target's
// seed corpus.
func addSeeds(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(p, ".txt") {
			s, err := DecodeLive(string(b))
			if err != nil {
				f.Fatal(err)
			}
			b = []byte(s)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		trustIRSA,
		`{"Statement":{"Effect":"Deny","NotPrincipal":"*","NotAction":[],"Condition":{"Bool":{"k":[true,1,"x"]},"Null":{}}}}`,
		`{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"K":"1","k":"2"}}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a\ud800\u00e9","Principal":{"AWS":["arn:aws:iam::111122223333:root","111122223333"]}}]}`,
		`{"Statement":[{"Effect":"Allow","Action":"a",}]}`,
		"{\"Id\":\"\xff\"}",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a","Condition":{"StringEqualsIgnoreCase":{"k":"A"},"stringequalsignorecase":{"k":"a"}}}]}`,
	} {
		f.Add(s)
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *SyntaxError with a position inside the input, and that what parses
// round-trips: Source is the input and MarshalJSON parses back to the same
// model.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		d, err := Parse([]byte(in))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError: %v", err, err)
			}
			if lines := strings.Count(in, "\n") + 1; se.Line < 1 || se.Line > lines || se.Column < 1 {
				t.Fatalf("error position %d:%d outside the input (%d lines)", se.Line, se.Column, lines)
			}
			return
		}
		if d.Source() != in {
			t.Fatal("Source() is not the input")
		}
		js, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(js)
		if err != nil {
			t.Fatalf("Parse(MarshalJSON()) = %v\n%s", err, js)
		}
		if diff := cmp.Diff(d, again, ignoreCache); diff != "" {
			t.Fatalf("MarshalJSON does not round-trip (-want +got):\n%s", diff)
		}
		if !Equal(d, again) {
			t.Fatal("Parse(MarshalJSON(d)) is not Equal to d")
		}
	})
}

// FuzzCanonical checks that canonicalization is idempotent, that a document
// is Equal to its canonical form, and that Diff is empty exactly when Equal.
func FuzzCanonical(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		d, err := Parse([]byte(in))
		if err != nil {
			return
		}
		c := Canonical(d)
		if !Equal(d, c) {
			t.Fatalf("Equal(d, Canonical(d)) is false\nd: %s\nc: %s", d, c)
		}
		cc := Canonical(c)
		if diff := cmp.Diff(c, cc, ignoreCache); diff != "" {
			t.Fatalf("Canonical is not idempotent (-once +twice):\n%s", diff)
		}
		if diff := Diff(d, c); len(diff) != 0 {
			t.Fatalf("Diff(d, Canonical(d)) = %v, want none", diff)
		}
		if diff := Diff(c, d); len(diff) != 0 {
			t.Fatalf("Diff(Canonical(d), d) = %v, want none", diff)
		}
		// A document that differs must show a difference.
		other := d.Clone()
		other.Statement = append(other.Statement, Statement{Effect: EffectDeny, Principal: &Principals{Any: true}, Action: One("fuzz:Extra")})
		if Equal(d, other) || len(Diff(d, other)) == 0 {
			t.Fatal("an added statement is neither unequal nor in Diff")
		}
		// Lint and Evaluate must not panic on any parsed document.
		Lint(d, LintOptions{AccountID: "111122223333", Region: "us-west-2", Cluster: "c", IssuerURL: "https://" + oidcHost})
		Evaluate(d, Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:iam::111122223333:role/r"},
			Context: map[string][]string{"k": {"v"}, "aws:SourceArn": {"arn:aws:eks:us-west-2:111122223333:fargateprofile/c/p/1"}}})
	})
}

// FuzzParseLive checks that ParseLive never panics, that it parses plain JSON
// as Parse does, and the URL-encoded form of a document to the same model.
func FuzzParseLive(f *testing.F) {
	addSeeds(f)
	f.Add("%7B%22Statement%22%3A%5B%5D%7D")
	f.Add("%zz")
	f.Add("  %7B")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseLive(in)
		if strings.HasPrefix(strings.TrimLeft(in, " \t\r\n\ufeff"), "{") {
			want, wantErr := Parse([]byte(in))
			if (err == nil) != (wantErr == nil) || (err == nil && !Equal(d, want)) {
				t.Fatalf("ParseLive(JSON) = %v, %v; Parse = %v, %v", d, err, want, wantErr)
			}
		}
		plain, perr := Parse([]byte(in))
		if perr != nil {
			return
		}
		enc := url.PathEscape(in)
		if strings.HasPrefix(strings.TrimLeft(enc, " \t\r\n\ufeff"), "{") {
			return
		}
		got, err := ParseLive(enc)
		if err != nil {
			t.Fatalf("ParseLive(PathEscape(doc)) = %v", err)
		}
		if !Equal(plain, got) {
			t.Fatal("ParseLive of the encoded document is not Equal to the document")
		}
	})
}

// FuzzDiff checks that Diff is empty exactly when Equal, for any two
// documents, and that Equal is symmetric.
func FuzzDiff(f *testing.F) {
	f.Add(trustIRSA, strings.Replace(trustIRSA, "default:app", "prod:app", 1))
	f.Add(stmt(`{"Effect":"Allow","Principal":"*","Action":"a"}`), stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"a"}`))
	f.Add(stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"K":"1","k":"2"}}}`), stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":["1","2"]}}}`))
	f.Add(stmt(`{"Sid":"A","Effect":"Allow","Action":"a"},{"Sid":"B","Effect":"Deny","Action":"b"}`), stmt(`{"Sid":"B","Effect":"Allow","Action":"b"}`))
	f.Fuzz(func(t *testing.T, x, y string) {
		a, err := Parse([]byte(x))
		if err != nil {
			return
		}
		b, err := Parse([]byte(y))
		if err != nil {
			return
		}
		eq := Equal(a, b)
		if eq != Equal(b, a) {
			t.Fatal("Equal is not symmetric")
		}
		if d := Diff(a, b); (len(d) == 0) != eq {
			t.Fatalf("Equal = %t but Diff = %v", eq, d)
		}
		for _, d := range Diff(a, b) {
			if d.Path == "" || (d.Before == "" && d.After == "") {
				t.Fatalf("empty difference %+v", d)
			}
		}
	})
}

// FuzzPermissions evaluates arbitrary identity policies and boundaries: no
// panic, an Allow always names the statements that grant it, and an
// admin-equivalent verdict means every catalogued action is allowed.
func FuzzPermissions(f *testing.F) {
	for _, s := range []string{polAdmin, polIAMFull, polFargate, polOneBucket, polDenyAllBut, polDenyCond, polPassRole, polNotAction, polNotRes, polCondAdmin} {
		f.Add(s, polOneBucket, "s3:GetObject", "*")
		f.Add(s, "", "iam:PassRole", "arn:aws:iam::111122223333:role/x")
	}
	f.Fuzz(func(t *testing.T, doc, boundary, action, resource string) {
		d, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		p := &Permissions{Policies: []PermissionPolicy{{Source: "p", Doc: d}}}
		if boundary != "" {
			b, err := Parse([]byte(boundary))
			if err != nil {
				return
			}
			p.Boundary = &PermissionPolicy{Source: "b", Doc: b}
		}
		a := p.Check(action, resource)
		if a.Allowed() && len(a.AllowedBy) == 0 {
			t.Fatalf("Allow without a granting statement: %+v", a)
		}
		if a.Decision == ExplicitDeny && len(a.DeniedBy) == 0 {
			t.Fatalf("ExplicitDeny without a denying statement: %+v", a)
		}
		caps := p.Capabilities()
		if len(caps) > 0 && caps[0].Class == CapabilityAdmin && caps[0].Action == "*" {
			for _, ra := range RiskyActions() {
				if !p.Check(ProbeAction(ra.Action), AnyResource).Allowed() {
					t.Fatalf("admin-equivalent, yet %s is not allowed", ra.Action)
				}
			}
		}
		for _, e := range p.Beyond(nil, nil) {
			if e.Statement.Policy != "p" {
				t.Fatalf("excess attributed to %q", e.Statement.Policy)
			}
		}
	})
}

// FuzzEqualDecidesTheSame: documents that Equal calls equal decide every
// request the same way, as trust policies (Evaluate) and as identity
// policies (Permissions.Check).
func FuzzEqualDecidesTheSame(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"s3:PutObject", "arn:aws:s3:::b/x", "AWS", "111122223333")
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, "s3:GetObject", "*", "Service", "eks.amazonaws.com")
	f.Add(stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"a.amazonaws.com"},"Action":"sts:AssumeRole"}`),
		stmt(`{"Effect":"Allow","Principal":{"Service":["a.amazonaws.com","eks.amazonaws.com"]},"Action":"sts:AssumeRole"}`), "sts:AssumeRole", "", "Service", "a.amazonaws.com")
	f.Fuzz(func(t *testing.T, a, b, action, resource, ptype, pvalue string) {
		da, err := Parse([]byte(a))
		if err != nil {
			return
		}
		db, err := Parse([]byte(b))
		if err != nil {
			return
		}
		if !Equal(da, db) {
			return
		}
		r := Request{Action: action, Principal: Principal{Type: ptype, Value: pvalue}}
		if x, y := Evaluate(da, r).Decision, Evaluate(db, r).Decision; x != y {
			t.Fatalf("Equal documents decide %+v differently: %v against %v", r, x, y)
		}
		pa := &Permissions{Policies: []PermissionPolicy{{Source: "a", Doc: da}}}
		pb := &Permissions{Policies: []PermissionPolicy{{Source: "b", Doc: db}}}
		if x, y := pa.Check(action, resource), pb.Check(action, resource); x.Decision != y.Decision || x.Conditional != y.Conditional {
			t.Fatalf("Equal documents decide %s on %s differently: %+v against %+v", action, resource, x, y)
		}
	})
}
