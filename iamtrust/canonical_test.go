package iamtrust

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// trustIRSA is an IRSA trust policy used by several tests.
const trustIRSA = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AllowIRSA",
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:default:app",
          "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"
        }
      }
    }
  ]
}`

func stmt(body string) string {
	return `{"Version":"2012-10-17","Statement":[` + body + `]}`
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		a, b   string
		want   bool
	}{
		{
			name:   "white space and key order",
			reason: "IAM does not keep formatting or key order",
			a:      trustIRSA,
			b:      `{"Statement":[{"Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com","oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:default:app"}},"Action":"sts:AssumeRoleWithWebIdentity","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Effect":"Allow","Sid":"AllowIRSA"}],"Version":"2012-10-17"}`,
			want:   true,
		},
		{
			name:   "statement split in two",
			reason: "two actions in one statement grant what two one-action statements grant",
			a:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"Put","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`,
			want:   true,
		},
		{
			name:   "principals merged",
			reason: "two statements for two services are one statement naming both",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":["eks-fargate-pods.amazonaws.com","eks.amazonaws.com"]},"Action":"sts:AssumeRole"}`),
			want:   true,
		},
		{
			name:   "redundant statement",
			reason: "an Allow of s3:GetObject beside an Allow of s3:* on the same resources adds nothing",
			a:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			want:   true,
		},
		{
			name:   "split across conditions is not a merge",
			reason: "statements with different conditions cannot be merged: the condition of one would apply to the other",
			a:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
			want:   false,
		},
		{
			name:   "merged action and resource lists are a cross product",
			reason: "one statement with two actions and two resources grants four pairs; two statements pairing them grant two",
			a:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`,
			want:   false,
		},
		{
			name:   "allow and deny do not cover each other",
			reason: "a Deny of s3:* does not make an Allow of s3:GetObject redundant",
			a:      `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
			want:   false,
		},
		{
			name:   "string against one-element list",
			reason: "IAM may return a one-element list as a string",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":["eks.amazonaws.com"]},"Action":["sts:AssumeRole"]}`),
			want:   true,
		},
		{
			name:   "single statement object against list",
			reason: "Statement as an object is a one-element list",
			a:      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a"}}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a"}]}`,
			want:   true,
		},
		{
			name:   "statement order",
			reason: "statements are a set",
			a:      stmt(`{"Effect":"Allow","Action":"a"},{"Effect":"Deny","Action":"b"}`),
			b:      stmt(`{"Effect":"Deny","Action":"b"},{"Effect":"Allow","Action":"a"}`),
			want:   true,
		},
		{
			name:   "value order and duplicates",
			reason: "values are a set",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":["b","a"]},"Action":["sts:TagSession","sts:AssumeRole","sts:TagSession"]}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":["a","b"]},"Action":["sts:AssumeRole","sts:TagSession"]}`),
			want:   true,
		},
		{
			name:   "duplicate statements",
			reason: "a repeated statement adds nothing",
			a:      stmt(`{"Effect":"Allow","Action":"a"},{"Sid":"Again","Effect":"Allow","Action":"a"}`),
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   true,
		},
		{
			name:   "account ID against root ARN",
			reason: "IAM stores an account ID as its root ARN",
			a:      stmt(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}`),
			want:   true,
		},
		{
			name:   "account ID against root ARN in aws-cn",
			reason: "the same in every partition",
			a:      stmt(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws-cn:iam::444455556666:root"]},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws-cn:iam::111122223333:root","444455556666"]},"Action":"sts:AssumeRole"}`),
			want:   true,
		},
		{
			name:   "action case",
			reason: "action names are case-insensitive",
			a:      stmt(`{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}`),
			b:      stmt(`{"Effect":"Allow","Action":"STS:assumerolewithwebidentity"}`),
			want:   true,
		},
		{
			name:   "condition key case",
			reason: "condition key names are case-insensitive",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:*"}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"ArnLike":{"AWS:SOURCEARN":"arn:aws:eks:*"}}}`),
			want:   true,
		},
		{
			name:   "boolean and number literals",
			reason: "true is \"true\" and 1 is \"1\" to IAM",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n":1}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"n":["1"]}}}`),
			want:   true,
		},
		{
			name:   "Sid and Id",
			reason: "labels do not change the policy",
			a:      `{"Version":"2012-10-17","Id":"one","Statement":[{"Sid":"A","Effect":"Allow","Action":"a"}]}`,
			b:      `{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":"a"}]}`,
			want:   true,
		},
		{
			name:   "ignore-case operator values",
			reason: "StringEqualsIgnoreCase values compare without case",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEqualsIgnoreCase":{"k":"Prod"}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEqualsIgnoreCase":{"k":"PROD"}}}`),
			want:   true,
		},
		{
			name:   "condition blocks split and merged",
			reason: "empty condition objects add nothing",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   true,
		},
		{
			name:   "version absent",
			reason: "an absent Version means 2008-10-17, without policy variables",
			a:      `{"Statement":[{"Effect":"Allow","Action":"a"}]}`,
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   false,
		},
		{
			name:   "star against AWS star",
			reason: `"*" also covers anonymous callers`,
			a:      stmt(`{"Effect":"Allow","Principal":"*","Action":"a"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"a"}`),
			want:   false,
		},
		{
			name:   "role ARN against unique ID",
			reason: "IAM leaves the unique ID of a deleted role; a new role of that name does not match it",
			a:      stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/deployer"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEID0123456"},"Action":"sts:AssumeRole"}`),
			want:   false,
		},
		{
			name:   "condition value case",
			reason: "StringEquals values are case-sensitive",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":"Prod"}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":"prod"}}}`),
			want:   false,
		},
		{
			name:   "operator case",
			reason: "operators are case-sensitive; stringequals is not StringEquals",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":"v"}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"stringequals":{"k":"v"}}}`),
			want:   false,
		},
		{
			name:   "missing condition",
			reason: "a dropped condition widens the policy",
			a:      trustIRSA,
			b:      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:default:app"}}}]}`,
			want:   false,
		},
		{
			name:   "extra condition value",
			reason: "another allowed subject widens the policy",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":"v"}}}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"StringEquals":{"k":["v","w"]}}}`),
			want:   false,
		},
		{
			name:   "resource case",
			reason: "resources are case-sensitive",
			a:      stmt(`{"Effect":"Allow","Action":"a","Resource":"arn:aws:s3:::Bucket"}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Resource":"arn:aws:s3:::bucket"}`),
			want:   false,
		},
		{
			name:   "absent against empty list",
			reason: "an empty Resource list is not an absent one",
			a:      stmt(`{"Effect":"Allow","Action":"a","Resource":[]}`),
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if got := Equal(a, b); got != tt.want {
				t.Errorf("Equal = %t, want %t: %s", got, tt.want, tt.reason)
			}
			if got := Equal(b, a); got != tt.want {
				t.Errorf("Equal (swapped) = %t, want %t: %s", got, tt.want, tt.reason)
			}
			diff := Diff(a, b)
			if (len(diff) == 0) != tt.want {
				t.Errorf("Diff = %v, want empty exactly when equal (%t)", diff, tt.want)
			}
			// Fresh parses, compared without the cache.
			if got := Equal(mustParse(t, tt.a), Canonical(mustParse(t, tt.b))); got != tt.want {
				t.Errorf("Equal(a, Canonical(b)) = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestEqualNil(t *testing.T) {
	d := mustParse(t, trustIRSA)
	if !Equal(nil, nil) || Equal(d, nil) || Equal(nil, d) {
		t.Error("Equal with nil: want true only for nil, nil")
	}
	if Canonical(nil) != nil {
		t.Error("Canonical(nil) != nil")
	}
}

func TestCanonical(t *testing.T) {
	d := mustParse(t, `{"Id":"x","Version":"2012-10-17","Statement":[
  {"Sid":"B","Effect":"Allow","Principal":{"Service":["s2","s1"],"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/r"]},"Action":["STS:AssumeRole","sts:assumerole"],
   "Condition":{"StringEqualsIgnoreCase":{"Team":["Blue","blue"]},"Bool":{"aws:SecureTransport":true},"StringLike":{}}},
  {"Sid":"A","Effect":"Deny","Principal":"*","NotAction":"s3:*"}
]}`)
	want := &Document{
		Version: VersionCurrent,
		Statement: []Statement{
			{
				Effect: EffectAllow,
				Principal: &Principals{Entries: []PrincipalEntry{
					{Type: "AWS", Values: List("111122223333", "arn:aws:iam::111122223333:role/r")},
					{Type: "Service", Values: List("s1", "s2")},
				}},
				Action: One("sts:assumerole"),
				Condition: []Condition{
					{Operator: "Bool", Keys: []ConditionKey{{Key: "aws:securetransport", Values: One("true")}}},
					{Operator: "StringEqualsIgnoreCase", Keys: []ConditionKey{{Key: "team", Values: One("blue")}}},
				},
			},
			{Effect: EffectDeny, Principal: &Principals{Any: true}, NotAction: One("s3:*")},
		},
	}
	got := Canonical(d)
	if diff := cmp.Diff(want, got, ignoreCache); diff != "" {
		t.Errorf("Canonical (-want +got):\n%s", diff)
	}
	again := Canonical(got)
	if diff := cmp.Diff(got, again, ignoreCache); diff != "" {
		t.Errorf("Canonical is not idempotent (-once +twice):\n%s", diff)
	}
	// The result is the caller's to modify.
	got.Statement[0].Effect = EffectDeny
	if Canonical(d).Statement[0].Effect != EffectAllow {
		t.Error("modifying Canonical's result changed the cached canonical form")
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		a, b   string
		want   []string
	}{
		{
			name:   "equal",
			reason: "no differences for equal documents",
			a:      trustIRSA,
			b:      trustIRSA,
			want:   nil,
		},
		{
			name:   "service principal replaced",
			reason: "one value replacing another is one change",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			want:   []string{`~ Statement[0].Principal.Service: "eks.amazonaws.com" → "ec2.amazonaws.com"`},
		},
		{
			name:   "subject changed by Sid",
			reason: "statements are named by Sid and condition keys as written",
			a:      trustIRSA,
			b:      `{"Version":"2012-10-17","Statement":[{"Sid":"AllowIRSA","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":["system:serviceaccount:default:app","system:serviceaccount:default:worker"],"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}`,
			want:   []string{`+ Statement[Sid=AllowIRSA].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub"]: "system:serviceaccount:default:worker"`},
		},
		{
			name:   "version added",
			reason: "an absent Version is a difference",
			a:      `{"Statement":[{"Effect":"Allow","Action":"a"}]}`,
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   []string{`+ Version: "2012-10-17"`},
		},
		{
			name:   "deleted role",
			reason: "the unique ID left by a deleted role is drift, shown as written",
			a:      stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:role/deployer"]},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":["111122223333","AROAEXAMPLEID0123456"]},"Action":"sts:AssumeRole"}`),
			want:   []string{`~ Statement[0].Principal.AWS: "arn:aws:iam::111122223333:role/deployer" → "AROAEXAMPLEID0123456"`},
		},
		{
			name:   "star against AWS star",
			reason: "a whole principal element that changes kind is one change",
			a:      stmt(`{"Effect":"Allow","Principal":"*","Action":"a"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"a"}`),
			want:   []string{`~ Statement[0].Principal: "*" → {"AWS":"*"}`},
		},
		{
			name:   "actions added and removed",
			reason: "several values on one side are listed one by one, as written",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"Action":["sts:AssumeRole"]}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":"s"},"Action":["sts:TagSession","sts:SetSourceIdentity"]}`),
			want: []string{
				`- Statement[0].Action: "sts:AssumeRole"`,
				`+ Statement[0].Action: "sts:SetSourceIdentity"`,
				`+ Statement[0].Action: "sts:TagSession"`,
			},
		},
		{
			name:   "condition removed and effect changed",
			reason: "a missing operator and key is a removal; the effect is a change",
			a:      stmt(`{"Effect":"Allow","Action":"a","Condition":{"Bool":{"aws:SecureTransport":true}}}`),
			b:      stmt(`{"Effect":"Deny","Action":"a"}`),
			want: []string{
				`~ Statement[0].Effect: "Allow" → "Deny"`,
				`- Statement[0].Condition.Bool["aws:SecureTransport"]: "true"`,
			},
		},
		{
			name:   "statement added",
			reason: "an unpaired statement is shown whole, named in the second document",
			a:      stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}`),
			b:      stmt(`{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"Extra","Effect":"Deny","Principal":"*","Action":"sts:TagSession"}`),
			want:   []string{`+ Statement[Sid=Extra]: {"Sid":"Extra","Effect":"Deny","Principal":"*","Action":"sts:TagSession"}`},
		},
		{
			name:   "statement removed",
			reason: "an unpaired statement of the first document is a removal",
			a:      stmt(`{"Effect":"Allow","Action":"a"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"b"}`),
			b:      stmt(`{"Effect":"Allow","Action":"a"}`),
			want:   []string{`- Statement[1]: {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"b"}`},
		},
		{
			name:   "resource appears",
			reason: "an element present on one side only is one addition",
			a:      stmt(`{"Effect":"Allow","Action":"a"}`),
			b:      stmt(`{"Effect":"Allow","Action":"a","Resource":["x","y"]}`),
			want:   []string{`+ Statement[0].Resource: ["x","y"]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Diff(mustParse(t, tt.a), mustParse(t, tt.b)) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diff (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
}

func TestDifferenceString(t *testing.T) {
	tests := []struct {
		d    Difference
		want string
	}{
		{Difference{Path: "Version", After: `"2012-10-17"`}, `+ Version: "2012-10-17"`},
		{Difference{Path: "Statement[0]", Before: `{}`}, `- Statement[0]: {}`},
		{Difference{Path: "Statement[0].Effect", Before: `"Allow"`, After: `"Deny"`}, `~ Statement[0].Effect: "Allow" → "Deny"`},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestEqualConcurrent(t *testing.T) {
	// The canonical form is cached on first use; concurrent first uses must
	// be safe (run with -race).
	a, b := mustParse(t, trustIRSA), mustParse(t, trustIRSA)
	done := make(chan bool)
	for range 4 {
		go func() { done <- Equal(a, b) && len(Diff(a, b)) == 0 }()
	}
	for range 4 {
		if !<-done {
			t.Error("Equal of a document and its copy is false")
		}
	}
}
