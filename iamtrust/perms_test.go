package iamtrust

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	polAdmin      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	polIAMFull    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeOrganization"],"Resource":"*"}]}`
	polFargate    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}`
	polOneBucket  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`
	polDenyAllBut = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"ecr:BatchGetImage","Resource":"*"}]}`
	polDenyCond   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
	polPassRole   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction"],"Resource":"*"}]}`
	polPassOnly   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`
	polLogs       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:CreateLogGroup","logs:DescribeLogStreams","logs:PutLogEvents","logs:PutRetentionPolicy"],"Resource":"*"}]}`
	polNotAction  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`
	polCondAdmin  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	polS3Star     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	polNotRes     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","NotResource":"arn:aws:secretsmanager:*:*:secret:prod/*"}]}`
)

func perms(t *testing.T, boundary string, docs ...string) *Permissions {
	t.Helper()
	p := &Permissions{Partition: "aws"}
	for i, d := range docs {
		p.Policies = append(p.Policies, PermissionPolicy{Source: "policy" + string(rune('A'+i)), Doc: mustParse(t, d)})
	}
	if boundary != "" {
		p.Boundary = &PermissionPolicy{Source: "boundary", Doc: mustParse(t, boundary)}
	}
	return p
}

func TestPermissionsCheck(t *testing.T) {
	tests := []struct {
		name, reason     string
		boundary         string
		docs             []string
		action, resource string
		want             Decision
		conditional      bool
		outside          bool
	}{
		{"admin allows anything", "Action * on Resource * covers every request", "", []string{polAdmin}, "ec2:RunInstances", AnyResource, Allow, false, false},
		{"no policy", "nothing allows: implicit deny", "", nil, "s3:GetObject", AnyResource, ImplicitDeny, false, false},
		{"one bucket is not any resource", "a Resource pattern for one bucket does not cover every resource", "", []string{polOneBucket}, "s3:GetObject", AnyResource, ImplicitDeny, false, false},
		{"one bucket covers its objects", "a concrete object of the bucket is covered", "", []string{polOneBucket}, "s3:GetObject", "arn:aws:s3:::logs/2026/a.gz", Allow, false, false},
		{"boundary cuts admin", "AdministratorAccess inside a boundary that allows one bucket is not admin", polOneBucket, []string{polAdmin}, "iam:CreateUser", AnyResource, ImplicitDeny, false, true},
		{"boundary passes what it allows", "the boundary and the identity policy both allow the object", polOneBucket, []string{polAdmin}, "s3:GetObject", "arn:aws:s3:::logs/x", Allow, false, false},
		{"deny NotAction narrows", "a Deny of everything but one action leaves only that action", "", []string{polAdmin, polDenyAllBut}, "iam:CreateUser", AnyResource, ExplicitDeny, false, false},
		{"deny NotAction leaves its action", "the excepted action is still allowed", "", []string{polAdmin, polDenyAllBut}, "ecr:BatchGetImage", AnyResource, Allow, false, false},
		{"conditional deny does not count", "a caller can meet the condition of a region-scoped Deny", "", []string{polAdmin, polDenyCond}, "iam:CreateUser", AnyResource, Allow, false, false},
		{"conditional allow counts", "a conditional Allow is reported as allowing, conditionally", "", []string{polCondAdmin}, "iam:CreateUser", AnyResource, Allow, true, false},
		{"action case", "actions match without regard to case", "", []string{polFargate}, "ECR:batchgetimage", AnyResource, Allow, false, false},
		{"NotAction allow", "NotAction iam:* allows every non-IAM action", "", []string{polNotAction}, "s3:DeleteBucket", AnyResource, Allow, false, false},
		{"NotAction excludes", "NotAction iam:* does not allow IAM", "", []string{polNotAction}, "iam:PassRole", AnyResource, ImplicitDeny, false, false},
		{"NotResource covers the probe", "an Allow with NotResource applies to every other resource", "", []string{polNotRes}, "secretsmanager:GetSecretValue", AnyResource, Allow, false, false},
		{"NotResource excludes", "the excluded secret is not allowed", "", []string{polNotRes}, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:1:secret:prod/db", ImplicitDeny, false, false},
		{"boundary without allow", "a boundary that allows nothing blocks everything", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, []string{polFargate}, "ecr:BatchGetImage", AnyResource, ImplicitDeny, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := perms(t, tc.boundary, tc.docs...)
			got := p.Check(tc.action, tc.resource)
			if got.Decision != tc.want || got.Conditional != tc.conditional || got.OutsideBoundary != tc.outside {
				t.Errorf("%s: Check(%s, %s) = %v conditional=%v outside=%v, want %v conditional=%v outside=%v",
					tc.reason, tc.action, tc.resource, got.Decision, got.Conditional, got.OutsideBoundary, tc.want, tc.conditional, tc.outside)
			}
		})
	}
}

func TestPermissionsCheckEvidence(t *testing.T) {
	p := perms(t, "", polFargate, polAdmin)
	got := p.Check("ecr:BatchGetImage", AnyResource)
	want := []StatementRef{{Policy: "policyA", Index: 0}, {Policy: "policyB", Index: 0}}
	if diff := cmp.Diff(want, got.AllowedBy); diff != "" {
		t.Errorf("AllowedBy (-want +got):\n%s", diff)
	}
	if s := got.AllowedBy[0].String(); s != "policyA Statement[0]" {
		t.Errorf("String() = %q", s)
	}
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name, reason string
		boundary     string
		docs         []string
		want         []string // class:action[+with]
	}{
		{"admin", "Action * is admin and implies the rest", "", []string{polAdmin}, []string{"admin-equivalent:*", "admin-equivalent:iam:*"}},
		{"full IAM", "iam:* is admin-equivalent", "", []string{polIAMFull}, []string{"admin-equivalent:iam:*"}},
		{"fargate policy", "the documented ECR pull policy is harmless", "", []string{polFargate, polLogs}, nil},
		{"boundary", "admin inside a one-bucket boundary grants nothing catalogued", polOneBucket, []string{polAdmin}, nil},
		{"deny narrows", "a Deny that leaves one action is not admin", "", []string{polAdmin, polDenyAllBut}, nil},
		{"pass role with compute", "PassRole with lambda:CreateFunction escalates", "", []string{polPassRole}, []string{"privilege-escalation:iam:PassRole+lambda:CreateFunction"}},
		{"pass role alone", "PassRole without a service that runs code is not catalogued", "", []string{polPassOnly}, nil},
		{"s3 star", "s3:* on * is broad data access", "", []string{polS3Star}, []string{"broad-data-access:s3:*", "broad-data-access:s3:GetObject"}},
		{"NotAction", "everything but IAM still includes passing roles and data", "", []string{polNotAction}, []string{
			"privilege-escalation:sts:AssumeRole",
			"broad-data-access:s3:*", "broad-data-access:s3:GetObject", "broad-data-access:kms:Decrypt",
			"broad-data-access:secretsmanager:GetSecretValue", "broad-data-access:ssm:GetParameter", "broad-data-access:dynamodb:*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range perms(t, tc.boundary, tc.docs...).Capabilities() {
				s := c.Class + ":" + c.Action
				if c.With != "" {
					s += "+" + c.With
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestBeyond(t *testing.T) {
	const fargateARN = "arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"
	logs := []string{"logs:CreateLogStream", "logs:CreateLogGroup", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"}
	mk := func(t *testing.T, boundary string, extra ...string) *Permissions {
		p := perms(t, boundary, extra...)
		p.Policies = append([]PermissionPolicy{{Source: fargateARN, Doc: mustParse(t, polFargate)}}, p.Policies...)
		return p
	}
	tests := []struct {
		name, reason string
		boundary     string
		extra        []string
		want         []string
	}{
		{"documented only", "the documented policy and the logging policy are the purpose", "", []string{polLogs}, nil},
		{"wider ecr", "ecr:Get* covers more than the documented ECR actions", "", []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:Get*","ecr:BatchGetImage"],"Resource":"*"}]}`}, []string{"ecr:Get* on * (policyA Statement[0])"}},
		{"one bucket", "an S3 read on one bucket is still beyond the purpose", "", []string{polOneBucket}, []string{"s3:GetObject on arn:aws:s3:::logs/* (policyA Statement[0])"}},
		{"boundary removes", "a boundary of the ECR actions leaves nothing beyond", polFargate, []string{polAdmin}, nil},
		{"NotAction", "NotAction allows everything else", "", []string{polNotAction}, []string{"NotAction [iam:*] on * (policyA Statement[0])"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range mk(t, tc.boundary, tc.extra...).Beyond([]string{fargateARN}, logs) {
				got = append(got, e.Action+" on "+e.Resource+" ("+e.Statement.String()+")")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestProbeAction(t *testing.T) {
	for in, want := range map[string]string{
		"*":              "fargatekit-probe:FargatekitProbe",
		"iam:*":          "iam:FargatekitProbe",
		"ec2:Describe*":  "ec2:DescribeFargatekitProbe",
		"*:Get*":         "fargatekit-probe:GetFargatekitProbe",
		"s3:GetObjec?":   "s3:GetObjecQ",
		"sts:AssumeRole": "sts:AssumeRole",
	} {
		if got := ProbeAction(in); got != want {
			t.Errorf("ProbeAction(%q) = %q, want %q", in, got, want)
		}
		if in != "sts:AssumeRole" && !actionMatches(One(in), ProbeAction(in)) {
			t.Errorf("the pattern %q does not match its own probe", in)
		}
	}
}
