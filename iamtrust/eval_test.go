package iamtrust

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	oidcARN  = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
	oidcHost = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
)

func TestEvaluatePrincipalsAndActions(t *testing.T) {
	role := Principal{"AWS", "arn:aws:iam::111122223333:role/deployer"}
	tests := []struct {
		name   string
		reason string
		doc    string
		req    Request
		want   Decision
	}{
		{
			name:   "service principal",
			reason: "the named service may assume the role",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "eks.amazonaws.com"}},
			want:   Allow,
		},
		{
			name:   "other service",
			reason: "another service is not named",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "ec2.amazonaws.com"}},
			want:   ImplicitDeny,
		},
		{
			name:   "principal type must match",
			reason: "an AWS principal with a service's name is not the service",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "eks.amazonaws.com"}},
			want:   ImplicitDeny,
		},
		{
			name:   "account ID covers a role",
			reason: "an account principal covers the account's roles",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: role},
			want:   Allow,
		},
		{
			name:   "root ARN covers a session",
			reason: "an account root ARN covers assumed-role sessions of the account",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:sts::111122223333:assumed-role/deployer/ci"}},
			want:   Allow,
		},
		{
			name:   "root ARN of another partition",
			reason: "a root ARN names its partition",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::111122223333:root"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: role},
			want:   ImplicitDeny,
		},
		{
			name:   "other account",
			reason: "an account principal does not cover other accounts",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: role},
			want:   ImplicitDeny,
		},
		{
			name:   "role ARN covers its session",
			reason: "a role principal covers sessions of the role",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci/deployer"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:sts::111122223333:assumed-role/deployer/session"}},
			want:   Allow,
		},
		{
			name:   "role ARN does not cover another role's session",
			reason: "the session's role name must match",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/deployer"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:sts::111122223333:assumed-role/deployer2/session"}},
			want:   ImplicitDeny,
		},
		{
			name:   "unique ID of a deleted role",
			reason: "a re-created role of the same name is not the deleted one",
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEID0123456"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: role},
			want:   ImplicitDeny,
		},
		{
			name:   "star principal",
			reason: `"*" covers every caller`,
			doc:    stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "anything.amazonaws.com"}},
			want:   Allow,
		},
		{
			name:   "AWS star principal",
			reason: `{"AWS":"*"} covers every AWS principal`,
			doc:    stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:iam::999999999999:user/x"}},
			want:   Allow,
		},
		{
			name:   "federated",
			reason: "the OIDC provider named as Federated principal",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Federated":"` + oidcARN + `"},"Action":"sts:AssumeRoleWithWebIdentity"}`),
			req:    Request{Action: "sts:AssumeRoleWithWebIdentity", Principal: Principal{"Federated", oidcARN}},
			want:   Allow,
		},
		{
			name:   "action wildcard and case",
			reason: "actions match with wildcards, without regard to case",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"Action":"STS:Assume*"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "s"}},
			want:   Allow,
		},
		{
			name:   "action not covered",
			reason: "TagSession is not AssumeRole",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"Action":"sts:AssumeRole"}`),
			req:    Request{Action: "sts:TagSession", Principal: Principal{"Service", "s"}},
			want:   ImplicitDeny,
		},
		{
			name:   "not action",
			reason: "NotAction covers every action but those listed",
			doc:    stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"NotAction":"sts:TagSession"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "s"}},
			want:   Allow,
		},
		{
			name:   "explicit deny wins",
			reason: "a matching Deny overrides an Allow",
			doc:    stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"sts:*"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "arn:aws:iam::444455556666:user/mallory"}},
			want:   ExplicitDeny,
		},
		{
			name:   "not principal deny",
			reason: "Deny with NotPrincipal denies everyone else",
			doc:    stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: role},
			want:   Allow,
		},
		{
			name:   "not principal deny others",
			reason: "a caller outside NotPrincipal is denied",
			doc:    stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"*"}`),
			req:    Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "444455556666"}},
			want:   ExplicitDeny,
		},
		{
			name:   "no principal element",
			reason: "an identity-policy statement applies to any caller",
			doc:    stmt(`{"Effect":"Allow","Action":"ecr:BatchGetImage","Resource":"*"}`),
			req:    Request{Action: "ecr:BatchGetImage", Principal: role},
			want:   Allow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate(mustParse(t, tt.doc), tt.req).Decision; got != tt.want {
				t.Errorf("Decision = %v, want %v: %s", got, tt.want, tt.reason)
			}
		})
	}
}

func TestEvaluateConditions(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		cond   string // the Condition element
		ctx    map[string][]string
		want   bool // whether the statement applies
	}{
		{"StringEquals match", "exact match", `{"StringEquals":{"k":"v"}}`, map[string][]string{"k": {"v"}}, true},
		{"StringEquals case", "values are case-sensitive", `{"StringEquals":{"k":"v"}}`, map[string][]string{"k": {"V"}}, false},
		{"StringEquals key case", "key names are case-insensitive", `{"StringEquals":{"AWS:SourceAccount":"1"}}`, map[string][]string{"aws:sourceaccount": {"1"}}, true},
		{"StringEquals literal star", "StringEquals has no wildcards", `{"StringEquals":{"k":"*"}}`, map[string][]string{"k": {"v"}}, false},
		{"StringEquals values ORed", "any value may match", `{"StringEquals":{"k":["a","b"]}}`, map[string][]string{"k": {"b"}}, true},
		{"keys ANDed", "every key must hold", `{"StringEquals":{"a":"1","b":"2"}}`, map[string][]string{"a": {"1"}, "b": {"3"}}, false},
		{"operators ANDed", "every operator must hold", `{"StringEquals":{"a":"1"},"StringLike":{"b":"x*"}}`, map[string][]string{"a": {"1"}, "b": {"xy"}}, true},
		{"StringEquals missing", "an absent key fails a positive operator", `{"StringEquals":{"k":"v"}}`, nil, false},
		{"StringNotEquals missing", "an absent key passes a negated operator", `{"StringNotEquals":{"k":"v"}}`, nil, true},
		{"StringNotEquals none", "negated: the value must match none", `{"StringNotEquals":{"k":["a","b"]}}`, map[string][]string{"k": {"c"}}, true},
		{"StringNotEquals one", "negated: matching any value fails", `{"StringNotEquals":{"k":["a","b"]}}`, map[string][]string{"k": {"b"}}, false},
		{"StringEqualsIgnoreCase", "case folded", `{"StringEqualsIgnoreCase":{"k":"PROD"}}`, map[string][]string{"k": {"prod"}}, true},
		{"StringNotEqualsIgnoreCase", "case folded and negated", `{"StringNotEqualsIgnoreCase":{"k":"PROD"}}`, map[string][]string{"k": {"prod"}}, false},
		{"StringLike", "wildcards", `{"StringLike":{"k":"system:serviceaccount:team-*:*"}}`, map[string][]string{"k": {"system:serviceaccount:team-a:app"}}, true},
		{"StringLike question", "question mark is one character", `{"StringLike":{"k":"v?"}}`, map[string][]string{"k": {"v"}}, false},
		{"StringNotLike", "negated pattern", `{"StringNotLike":{"k":"kube-*"}}`, map[string][]string{"k": {"kube-system"}}, false},
		{"StringEqualsIfExists missing", "IfExists passes when the key is absent", `{"StringEqualsIfExists":{"k":"v"}}`, nil, true},
		{"StringEqualsIfExists present", "IfExists compares a present key", `{"StringEqualsIfExists":{"k":"v"}}`, map[string][]string{"k": {"w"}}, false},
		{"ArnLike", "part by part", `{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/c/*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:eks:us-west-2:111122223333:fargateprofile/c/p/1"}}, true},
		{"ArnLike other cluster", "another cluster's profile", `{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/c/*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:eks:us-west-2:111122223333:fargateprofile/d/p/1"}}, false},
		{"ArnEquals wildcards", "ArnEquals matches wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:eks:*:111122223333:fargateprofile/c/*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:eks:eu-west-1:111122223333:fargateprofile/c/p/1"}}, true},
		{"ArnNotLike", "negated ARN pattern", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:eks:*:*:*"}}`, map[string][]string{"aws:SourceArn": {"arn:aws:s3:::b"}}, true},
		{"ArnNotEquals missing", "negated, absent key", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:eks:*:*:*"}}`, nil, true},
		{"Bool", "boolean literal", `{"Bool":{"aws:SecureTransport":true}}`, map[string][]string{"aws:SecureTransport": {"true"}}, true},
		{"Bool false", "boolean mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string][]string{"aws:SecureTransport": {"false"}}, false},
		{"Null true absent", "Null true holds when the key is absent", `{"Null":{"k":"true"}}`, nil, true},
		{"Null true present", "Null true fails when the key is present", `{"Null":{"k":"true"}}`, map[string][]string{"k": {"x"}}, false},
		{"Null false present", "Null false holds when the key is present", `{"Null":{"k":false}}`, map[string][]string{"k": {"x"}}, true},
		{"NumericLessThan", "numbers compare as numbers", `{"NumericLessThan":{"n":10}}`, map[string][]string{"n": {"9.5"}}, true},
		{"NumericLessThan equal", "strictly less", `{"NumericLessThan":{"n":"10"}}`, map[string][]string{"n": {"10"}}, false},
		{"NumericLessThanEquals", "less or equal", `{"NumericLessThanEquals":{"n":"10"}}`, map[string][]string{"n": {"10"}}, true},
		{"NumericGreaterThan", "greater", `{"NumericGreaterThan":{"n":"10"}}`, map[string][]string{"n": {"100"}}, true},
		{"NumericGreaterThanEquals", "greater or equal", `{"NumericGreaterThanEquals":{"n":"10"}}`, map[string][]string{"n": {"9"}}, false},
		{"NumericEquals", "1 equals 1.0", `{"NumericEquals":{"n":1}}`, map[string][]string{"n": {"1.0"}}, true},
		{"NumericNotEquals", "negated numeric", `{"NumericNotEquals":{"n":[1,2]}}`, map[string][]string{"n": {"3"}}, true},
		{"Numeric invalid", "a value that is no number matches nothing", `{"NumericEquals":{"n":1}}`, map[string][]string{"n": {"one"}}, false},
		{"DateLessThan RFC3339", "dates compare as times", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, map[string][]string{"aws:CurrentTime": {"2029-12-31T23:59:59Z"}}, true},
		{"DateGreaterThan epoch", "epoch seconds against RFC 3339", `{"DateGreaterThan":{"aws:EpochTime":"2020-01-01T00:00:00Z"}}`, map[string][]string{"aws:EpochTime": {"1577836801"}}, true},
		{"DateEquals zones", "the same instant in two zones", `{"DateEquals":{"t":"2024-05-01T12:00:00+02:00"}}`, map[string][]string{"t": {"2024-05-01T10:00:00Z"}}, true},
		{"DateNotEquals", "negated date", `{"DateNotEquals":{"t":"2024-05-01T10:00:00Z"}}`, map[string][]string{"t": {"2024-05-01T10:00:00Z"}}, false},
		{"DateLessThanEquals", "equal instants", `{"DateLessThanEquals":{"t":"1700000000"}}`, map[string][]string{"t": {"1700000000"}}, true},
		{"DateGreaterThanEquals", "earlier fails", `{"DateGreaterThanEquals":{"t":"1700000000"}}`, map[string][]string{"t": {"1699999999"}}, false},
		{"IpAddress", "CIDR contains the address", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string][]string{"aws:SourceIp": {"203.0.113.7"}}, true},
		{"NotIpAddress", "negated CIDR", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string][]string{"aws:SourceIp": {"203.0.113.7"}}, false},
		{"ForAnyValue match", "one request value suffices", `{"ForAnyValue:StringEquals":{"tags":["a","b"]}}`, map[string][]string{"tags": {"x", "b"}}, true},
		{"ForAnyValue missing", "ForAnyValue fails on an absent key", `{"ForAnyValue:StringEquals":{"tags":"a"}}`, nil, false},
		{"ForAnyValue negated", "some request value outside the list", `{"ForAnyValue:StringNotEquals":{"tags":["a","b"]}}`, map[string][]string{"tags": {"a", "c"}}, true},
		{"ForAllValues match", "every request value in the list", `{"ForAllValues:StringEquals":{"tags":["a","b"]}}`, map[string][]string{"tags": {"a", "b"}}, true},
		{"ForAllValues extra", "one request value outside the list fails", `{"ForAllValues:StringEquals":{"tags":["a","b"]}}`, map[string][]string{"tags": {"a", "c"}}, false},
		{"ForAllValues missing", "ForAllValues holds on an absent key", `{"ForAllValues:StringEquals":{"tags":"a"}}`, nil, true},
		{"ForAllValues like", "patterns per value", `{"ForAllValues:StringLike":{"tags":"team-*"}}`, map[string][]string{"tags": {"team-a", "team-b"}}, true},
		{"ForAnyValue IfExists missing", "IfExists passes on an absent key", `{"ForAnyValue:StringEqualsIfExists":{"tags":"a"}}`, nil, true},
		{"unknown operator", "an unknown operator never holds", `{"StringEqualz":{"k":"v"}}`, map[string][]string{"k": {"v"}}, false},
		{"operator case", "operators are case-sensitive", `{"stringequals":{"k":"v"}}`, map[string][]string{"k": {"v"}}, false},
		{"variable", "policy variables come from the context", `{"StringEquals":{"sub":"system:serviceaccount:${aws:PrincipalTag/ns}:app"}}`, map[string][]string{"sub": {"system:serviceaccount:team:app"}, "aws:principaltag/ns": {"team"}}, true},
		{"variable unresolved", "an unresolvable variable fails the condition", `{"StringEquals":{"sub":"${aws:PrincipalTag/ns}"}}`, map[string][]string{"sub": {"${aws:PrincipalTag/ns}"}}, false},
		{"variable unresolved negated", "even under a negated operator", `{"StringNotEquals":{"sub":"${aws:PrincipalTag/ns}"}}`, map[string][]string{"sub": {"x"}}, false},
		{"variable literal star", "${*} is a literal star under StringLike", `{"StringLike":{"k":"a${*}"}}`, map[string][]string{"k": {"ab"}}, false},
		{"variable literal star matches", "${*} matches a star", `{"StringLike":{"k":"a${*}"}}`, map[string][]string{"k": {"a*"}}, true},
		{"variable value is literal", "a substituted star is not a wildcard", `{"StringLike":{"k":"${v}"}}`, map[string][]string{"k": {"anything"}, "v": {"*"}}, false},
		{"variable default", "the default stands in for an absent key", `{"StringEquals":{"k":"${aws:username, 'nobody'}"}}`, map[string][]string{"k": {"nobody"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":`+tt.cond+`}`))
			res := Evaluate(d, Request{Action: "sts:AssumeRole", Principal: Principal{"AWS", "111122223333"}, Context: tt.ctx})
			if got := res.Decision == Allow; got != tt.want {
				t.Errorf("applies = %t, want %t: %s (trace: %s)", got, tt.want, tt.reason, res.Statements[0].Reason)
			}
		})
	}
}

func TestEvaluateLegacyVersionNoVariables(t *testing.T) {
	// Under 2008-10-17 (or no Version), ${…} is literal text.
	d := mustParse(t, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"StringEquals":{"k":"${v}"}}}]}`)
	if got := Evaluate(d, Request{Action: "a", Context: map[string][]string{"k": {"${v}"}, "v": {"x"}}}).Decision; got != Allow {
		t.Errorf("Decision = %v, want Allow: the value is literal without Version 2012-10-17", got)
	}
}

func TestEvaluateTrace(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[
  {"Sid":"Fargate","Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole",
   "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/c/*"}}},
  {"Sid":"NoTag","Effect":"Deny","Principal":"*","Action":"sts:TagSession"},
  {"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}
]}`)
	got := Evaluate(d, Request{
		Action:    "sts:AssumeRole",
		Principal: Principal{"Service", "eks-fargate-pods.amazonaws.com"},
		Context:   map[string][]string{"aws:SourceArn": {"arn:aws:eks:us-west-2:111122223333:fargateprofile/other/p/1"}},
	})
	want := Result{Decision: ImplicitDeny, Statements: []StatementTrace{
		{Index: 0, Sid: "Fargate", Reason: `Condition ArnLike["aws:SourceArn"] does not hold: request value "arn:aws:eks:us-west-2:111122223333:fargateprofile/other/p/1" matches no policy value`},
		{Index: 1, Sid: "NoTag", Reason: "Action does not cover sts:AssumeRole"},
		{Index: 2, Reason: "Principal does not name Service eks-fargate-pods.amazonaws.com"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate (-want +got):\n%s", diff)
	}
	got = Evaluate(d, Request{Action: "sts:AssumeRole", Principal: Principal{"Service", "eks.amazonaws.com"}})
	if got.Decision != Allow || !got.Statements[2].Matched || got.Statements[2].Reason != "Allow: principal and action match; no condition" {
		t.Errorf("Evaluate = %+v, want Allow by statement 2", got)
	}
	if Evaluate(nil, Request{}).Decision != ImplicitDeny {
		t.Error("Evaluate(nil) is not an implicit deny")
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Allow: "Allow", ExplicitDeny: "ExplicitDeny", ImplicitDeny: "ImplicitDeny", 9: "Decision(9)"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q, want %q", int(d), got, want)
		}
	}
}
