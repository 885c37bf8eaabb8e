package iamtrust

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreCache compares Documents by their exported fields.
var ignoreCache = cmpopts.IgnoreUnexported(Document{})

func TestParseModel(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		in     string
		want   *Document
	}{
		{
			name:   "single statement object and bare strings",
			reason: "Statement may be one object and every list element a bare string; the shape is recorded",
			in:     `{"Version":"2012-10-17","Id":"trust","Statement":{"Sid":"A","Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
			want: &Document{Version: VersionCurrent, ID: "trust", SingleStatement: true, Statement: []Statement{{
				Sid: "A", Effect: EffectAllow,
				Principal: &Principals{Entries: []PrincipalEntry{{Type: "Service", Values: One("eks.amazonaws.com")}}},
				Action:    One("sts:AssumeRole"),
			}}},
		},
		{
			name:   "lists, star principal, Not elements",
			reason: "lists stay lists, even of one element; \"*\" is Any; empty lists are present but empty",
			in:     `{"Statement":[{"Effect":"Deny","NotPrincipal":"*","NotAction":["s3:*"],"NotResource":[]}]}`,
			want: &Document{Statement: []Statement{{
				Effect:       EffectDeny,
				NotPrincipal: &Principals{Any: true},
				NotAction:    Values{Items: []string{"s3:*"}},
				NotResource:  Values{Items: []string{}},
			}}},
		},
		{
			name:   "condition literals",
			reason: "booleans and numbers are held as their string form and marked Bare; operators and keys keep source order",
			in:     `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"aws:MultiFactorAuthAge":[3600, 1.5e3]},"StringEquals":{"b":"x","a":["y","z"]}}}]}`,
			want: &Document{Statement: []Statement{{
				Effect: EffectAllow,
				Action: One("sts:AssumeRole"),
				Condition: []Condition{
					{Operator: "Bool", Keys: []ConditionKey{{Key: "aws:SecureTransport", Values: Values{Items: []string{"true"}, Single: true, Bare: true}}}},
					{Operator: "NumericLessThan", Keys: []ConditionKey{{Key: "aws:MultiFactorAuthAge", Values: Values{Items: []string{"3600", "1.5e3"}, Bare: true}}}},
					{Operator: "StringEquals", Keys: []ConditionKey{{Key: "b", Values: One("x")}, {Key: "a", Values: List("y", "z")}}},
				},
			}}},
		},
		{
			name:   "escapes",
			reason: "JSON escapes, including surrogate pairs, are decoded",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a\u003ab\/c\n\ud83d\ude00\"\\"}]}`,
			want: &Document{Statement: []Statement{{
				Effect: EffectAllow,
				Action: One("a:b/c\n\U0001F600\"\\"),
			}}},
		},
		{
			name:   "byte order mark and white space",
			reason: "a leading UTF-8 BOM and JSON white space are skipped",
			in:     "\ufeff \t\r\n{\"Statement\" : [ ] }\n",
			want:   &Document{Statement: []Statement{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got, ignoreCache); diff != "" {
				t.Errorf("Parse (-want +got): %s\n%s", tt.reason, diff)
			}
			if got.Source() != tt.in {
				t.Errorf("Source() = %q, want the input byte for byte", got.Source())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		in     string
		want   *SyntaxError
	}{
		{
			name:   "trailing comma in condition",
			reason: "JSON forbids a comma after the last member; the walkthrough's mistake",
			in:     "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"a\",\n  \"Condition\":{\"StringEquals\":{\n    \"k\":\"v\",\n  }}}]}",
			want:   &SyntaxError{Line: 3, Column: 12, Element: "Statement[0].Condition.StringEquals", Msg: "trailing comma before '}'; JSON does not allow a comma after the last member"},
		},
		{
			name:   "trailing comma in list",
			reason: "a comma after the last list element is named as the list element",
			in:     `{"Statement":[{"Effect":"Allow","Action":["a","b",]}]}`,
			want:   &SyntaxError{Line: 1, Column: 50, Element: "Statement[0].Action", Msg: "trailing comma before ']'; JSON does not allow a comma after the last element"},
		},
		{
			name:   "trailing comma after statements",
			reason: "the Statement list itself",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a"},]}`,
			want:   &SyntaxError{Line: 1, Column: 46, Element: "Statement", Msg: "trailing comma before ']'; JSON does not allow a comma after the last element"},
		},
		{
			name:   "invalid effect",
			reason: "Effect is case-sensitive",
			in:     `{"Statement":[{"Action":"a","Effect":"Allow"},{"Effect":"allow","Action":"a"}]}`,
			want:   &SyntaxError{Line: 1, Column: 57, Element: "Statement[1].Effect", Msg: `invalid effect "allow"; want "Allow" or "Deny" (case-sensitive)`},
		},
		{
			name:   "duplicate key",
			reason: "encoding/json would keep the last; IAM rejects",
			in:     `{"Statement":[{"Effect":"Allow","Effect":"Deny","Action":"a"}]}`,
			want:   &SyntaxError{Line: 1, Column: 33, Element: "Statement[0]", Msg: `duplicate key "Effect"`},
		},
		{
			name:   "duplicate condition key",
			reason: "duplicate keys are rejected at every level",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":"1","k":"2"}}}]}`,
			want:   &SyntaxError{Line: 1, Column: 83, Element: "Statement[0].Condition.StringEquals", Msg: `duplicate condition key "k"`},
		},
		{
			name:   "duplicate principal type",
			reason: "a principal type may appear once",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Principal":{"AWS":"1","AWS":"2"}}]}`,
			want:   &SyntaxError{Line: 1, Column: 69, Element: "Statement[0].Principal", Msg: `duplicate key "AWS"`},
		},
		{
			name:   "unknown key with case hint",
			reason: "keys are case-sensitive; the message suggests the right one",
			in:     `{"Statement":[{"effect":"Allow","Action":"a"}]}`,
			want:   &SyntaxError{Line: 1, Column: 16, Element: "Statement[0]", Msg: `unknown key "effect" (keys are case-sensitive: did you mean "Effect"?)`},
		},
		{
			name:   "unknown document key",
			reason: "only Version, Id and Statement",
			in:     `{"Statement":[],"Comment":"x"}`,
			want:   &SyntaxError{Line: 1, Column: 17, Msg: `unknown key "Comment"; want one of Version, Id, Statement`},
		},
		{
			name:   "unknown principal type",
			reason: "principal types are AWS, Service, Federated, CanonicalUser",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Principal":{"Services":"x"}}]}`,
			want:   &SyntaxError{Line: 1, Column: 59, Element: "Statement[0].Principal", Msg: `unknown key "Services"; want one of AWS, Service, Federated, CanonicalUser`},
		},
		{
			name:   "principal string other than star",
			reason: `only "*" may stand alone`,
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Principal":"eks.amazonaws.com"}]}`,
			want:   &SyntaxError{Line: 1, Column: 58, Element: "Statement[0].Principal", Msg: `want "*" or an object of principal types, found the string "eks.amazonaws.com"`},
		},
		{
			name:   "invalid version",
			reason: "IAM knows two versions",
			in:     `{"Version":"2012-10-18","Statement":[]}`,
			want:   &SyntaxError{Line: 1, Column: 12, Element: "Version", Msg: `invalid version "2012-10-18"; want "2012-10-17" (or the legacy "2008-10-17")`},
		},
		{
			name:   "missing statement",
			reason: "Statement is required",
			in:     `{"Version":"2012-10-17"}`,
			want:   &SyntaxError{Line: 1, Column: 1, Msg: "missing Statement"},
		},
		{
			name:   "missing effect",
			reason: "Effect is required",
			in:     `{"Statement":[{"Action":"a"}]}`,
			want:   &SyntaxError{Line: 1, Column: 15, Element: "Statement[0]", Msg: "missing Effect"},
		},
		{
			name:   "missing action",
			reason: "Action or NotAction is required",
			in:     `{"Statement":[{"Effect":"Allow"}]}`,
			want:   &SyntaxError{Line: 1, Column: 15, Element: "Statement[0]", Msg: "missing Action (or NotAction)"},
		},
		{
			name:   "action and not action",
			reason: "an element and its Not form exclude each other",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","NotAction":"b"}]}`,
			want:   &SyntaxError{Line: 1, Column: 46, Element: "Statement[0]", Msg: "Action and NotAction cannot be used together"},
		},
		{
			name:   "principal and not principal",
			reason: "an element and its Not form exclude each other",
			in:     `{"Statement":[{"Effect":"Allow","NotPrincipal":"*","Principal":"*","Action":"a"}]}`,
			want:   &SyntaxError{Line: 1, Column: 52, Element: "Statement[0]", Msg: "Principal and NotPrincipal cannot be used together"},
		},
		{
			name:   "number as action",
			reason: "only condition values may be numbers",
			in:     `{"Statement":[{"Effect":"Allow","Action":[1]}]}`,
			want:   &SyntaxError{Line: 1, Column: 43, Element: "Statement[0].Action[0]", Msg: "want a string or a list of strings, found a number"},
		},
		{
			name:   "null condition value",
			reason: "condition values are strings, numbers or booleans",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"Null":{"k":null}}}]}`,
			want:   &SyntaxError{Line: 1, Column: 71, Element: `Statement[0].Condition.Null["k"]`, Msg: "want a string, number or boolean, or a list of them, found null"},
		},
		{
			name:   "nested condition value",
			reason: "no objects inside condition values",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"Bool":{"k":[{}]}}}]}`,
			want:   &SyntaxError{Line: 1, Column: 72, Element: `Statement[0].Condition.Bool["k"][0]`, Msg: "want a string, number or boolean, or a list of them, found an object"},
		},
		{
			name:   "trailing data",
			reason: "one document only",
			in:     `{"Statement":[]} {}`,
			want:   &SyntaxError{Line: 1, Column: 18, Msg: `unexpected '{' after the end of the document`},
		},
		{
			name:   "truncated",
			reason: "end of input inside a statement",
			in:     `{"Statement":[{"Effect":"Allow"`,
			want:   &SyntaxError{Line: 1, Column: 32, Element: "Statement[0]", Msg: "unexpected end of input; want ',' or '}'"},
		},
		{
			name:   "missing comma",
			reason: "members need commas",
			in:     "{\"Statement\":[]\n \"Version\":\"2012-10-17\"}",
			want:   &SyntaxError{Line: 2, Column: 2, Msg: `want ',' or '}' after object member, found '"'`},
		},
		{
			name:   "not an object",
			reason: "a document is a JSON object",
			in:     `["Statement"]`,
			want:   &SyntaxError{Line: 1, Column: 1, Msg: "want a policy document (a JSON object), found a list"},
		},
		{
			name:   "empty input",
			reason: "nothing to parse",
			in:     "  ",
			want:   &SyntaxError{Line: 1, Column: 3, Msg: "want a policy document (a JSON object), found end of input"},
		},
		{
			name:   "invalid escape",
			reason: `\x is not JSON`,
			in:     `{"Id":"a\x","Statement":[]}`,
			want:   &SyntaxError{Line: 1, Column: 9, Element: "Id", Msg: `invalid escape "\\x" in string`},
		},
		{
			name:   "control character",
			reason: "raw control characters must be escaped",
			in:     "{\"Id\":\"a\tb\",\"Statement\":[]}",
			want:   &SyntaxError{Line: 1, Column: 9, Element: "Id", Msg: `control character '\t' in string; escape it`},
		},
		{
			name:   "invalid UTF-8",
			reason: "JSON text is UTF-8",
			in:     "{\"Id\":\"a\xffb\",\"Statement\":[]}",
			want:   &SyntaxError{Line: 1, Column: 9, Element: "Id", Msg: "invalid UTF-8 in string"},
		},
		{
			name:   "column counts characters",
			reason: "a multi-byte character before the error counts as one column",
			in:     `{"Id":"é","Statement":[],}`,
			want:   &SyntaxError{Line: 1, Column: 25, Msg: "trailing comma before '}'; JSON does not allow a comma after the last member"},
		},
		{
			name:   "invalid number",
			reason: "JSON numbers have no leading '+' or bare '.'",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"NumericEquals":{"k":1.}}}]}`,
			want:   &SyntaxError{Line: 1, Column: 80, Element: `Statement[0].Condition.NumericEquals["k"]`, Msg: "invalid number"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded with %s, want error (%s)", d, tt.reason)
			}
			var got *SyntaxError
			if !errors.As(err, &got) {
				t.Fatalf("Parse error %T %v is not a *SyntaxError", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse error (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	e := &SyntaxError{Line: 7, Column: 5, Element: "Statement[0].Condition", Msg: "trailing comma before '}'"}
	if got, want := e.Error(), "line 7, column 5: Statement[0].Condition: trailing comma before '}'"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Element = ""
	if got, want := e.Error(), "line 7, column 5: trailing comma before '}'"; got != want {
		t.Errorf("Error() without element = %q, want %q", got, want)
	}
}

func TestMarshalKeepsShape(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		in     string
		want   string
	}{
		{
			name:   "strings stay strings, lists stay lists",
			reason: "a one-element list is not rewritten as a string, nor the reverse",
			in:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
			want:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`,
		},
		{
			name:   "single statement object",
			reason: "Statement written as an object stays an object",
			in:     `{"Statement":{"Effect":"Allow","Action":"a"}}`,
			want:   `{"Statement":{"Effect":"Allow","Action":"a"}}`,
		},
		{
			name:   "conventional element order",
			reason: "elements are written in the conventional order; principal types, operators and keys keep theirs",
			in:     `{"Statement":[{"Condition":{"StringLike":{"b":"2","a":"1"},"ArnLike":{"c":"3"}},"Action":"a","Principal":{"Service":"s","AWS":"1"},"Effect":"Allow","Sid":"X"}],"Version":"2012-10-17","Id":"i"}`,
			want:   `{"Version":"2012-10-17","Id":"i","Statement":[{"Sid":"X","Effect":"Allow","Principal":{"Service":"s","AWS":"1"},"Action":"a","Condition":{"StringLike":{"b":"2","a":"1"},"ArnLike":{"c":"3"}}}]}`,
		},
		{
			name:   "literals stay bare",
			reason: "JSON booleans and numbers are written back without quotes",
			in:     `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"Bool":{"k":true},"NumericEquals":{"n":[1,2.5]},"StringEquals":{"s":"true"}}}]}`,
			want:   `{"Statement":[{"Effect":"Allow","Action":"a","Condition":{"Bool":{"k":true},"NumericEquals":{"n":[1,2.5]},"StringEquals":{"s":"true"}}}]}`,
		},
		{
			name:   "escapes",
			reason: "strings are re-escaped as JSON requires",
			in:     `{"Id":"\u0001\"\\\/é\u2028","Statement":[]}`,
			want:   `{"Id":"\u0001\"\\/é\u2028","Statement":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("MarshalJSON (-want +got): %s\n%s", tt.reason, diff)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(MarshalJSON()): %v", err)
			}
			if diff := cmp.Diff(d, again, ignoreCache); diff != "" {
				t.Errorf("Parse(MarshalJSON()) differs from the original (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONIndented(t *testing.T) {
	d, err := ClusterRoleTrust(PartitionAWS)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "eks.amazonaws.com"
      },
      "Action": [
        "sts:AssumeRole",
        "sts:TagSession"
      ]
    }
  ]
}
`
	if diff := cmp.Diff(want, string(d.JSON())); diff != "" {
		t.Errorf("JSON() (-want +got):\n%s", diff)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	var spec struct {
		Trust *Document `json:"trust"`
	}
	in := `{"trust": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a"}]}}`
	if err := jsonUnmarshal([]byte(in), &spec); err != nil {
		t.Fatal(err)
	}
	if got, want := spec.Trust.Source(), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a"}]}`; got != want {
		t.Errorf("Source() = %q, want %q", got, want)
	}
	bad := `{"trust": {"Statement":[{"Effect":"allow","Action":"a"}]}}`
	var se *SyntaxError
	if err := jsonUnmarshal([]byte(bad), &spec); !errors.As(err, &se) {
		t.Errorf("Unmarshal of an invalid effect = %v, want a *SyntaxError", err)
	}
}

func TestDecodeLive(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		in      string
		want    string
		wantErr bool
	}{
		{"encoded", "IAM returns percent-encoded JSON", "%7B%22Statement%22%3A%5B%5D%7D", `{"Statement":[]}`, false},
		{"plain JSON", "JSON is not decoded again", ` {"Id":"100%25","Statement":[]}`, ` {"Id":"100%25","Statement":[]}`, false},
		{"byte order mark", "JSON after a BOM is not decoded", "\ufeff{\"Id\":\"100%\",\"Statement\":[]}", "\ufeff{\"Id\":\"100%\",\"Statement\":[]}", false},
		{"plus is not a space", "RFC 3986 decoding keeps '+'", "%7B%22Id%22%3A%22a+b%20c%22%7D", `{"Id":"a+b c"}`, false},
		{"decoded once", "a doubly encoded document is decoded once only", "%257B%257D", "%7B%7D", false},
		{"invalid escape", "a bad escape is an error", "%7B%zz", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeLive(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeLive error = %v, want error %t (%s)", err, tt.wantErr, tt.reason)
			}
			if err != nil {
				var ee url.EscapeError
				if !errors.As(err, &ee) {
					t.Errorf("error %v does not wrap url.EscapeError", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("DecodeLive = %q, want %q (%s)", got, tt.want, tt.reason)
			}
		})
	}
}

func TestParseLive(t *testing.T) {
	plain := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"a+b"}}}]}`
	encoded := strings.ReplaceAll(url.PathEscape(plain), "%2B", "+")
	for _, in := range []string{plain, encoded} {
		d, err := ParseLive(in)
		if err != nil {
			t.Fatalf("ParseLive(%q): %v", in, err)
		}
		if d.Source() != plain {
			t.Errorf("Source() = %q, want the decoded text", d.Source())
		}
		if got := d.Statement[0].Condition[0].Keys[0].Values.Items[0]; got != "a+b" {
			t.Errorf("ExternalId = %q, want a+b", got)
		}
	}
	// Double encoding is decoded once, so the result is not JSON.
	var se *SyntaxError
	if _, err := ParseLive(url.PathEscape(encoded)); !errors.As(err, &se) {
		t.Errorf("ParseLive of a doubly encoded document = %v, want a *SyntaxError", err)
	}
}
