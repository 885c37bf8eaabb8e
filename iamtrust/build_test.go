package iamtrust

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPartitionForRegion(t *testing.T) {
	tests := []struct{ region, want, reason string }{
		{"us-west-2", "aws", "commercial region"},
		{"ap-northeast-1", "aws", "commercial region"},
		{"cn-north-1", "aws-cn", "China region"},
		{"cn-northwest-1", "aws-cn", "China region"},
		{"us-gov-west-1", "aws-us-gov", "GovCloud region"},
		{"", "aws", "no region: the default partition"},
	}
	for _, tt := range tests {
		if got := PartitionForRegion(tt.region); got != tt.want {
			t.Errorf("PartitionForRegion(%q) = %q, want %q (%s)", tt.region, got, tt.want, tt.reason)
		}
	}
}

func TestOIDCProviderARN(t *testing.T) {
	tests := []struct{ partition, issuer, want, reason string }{
		{"aws", "https://oidc.eks.us-west-2.amazonaws.com/id/ABC", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", "scheme dropped"},
		{"aws-cn", "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC/", "arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC", "trailing slash dropped"},
		{"aws", "oidc.eks.us-west-2.amazonaws.com/id/ABC", "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC", "already host and path"},
	}
	for _, tt := range tests {
		if got := OIDCProviderARN(tt.partition, "111122223333", tt.issuer); got != tt.want {
			t.Errorf("OIDCProviderARN(%q, %q) = %q, want %q (%s)", tt.partition, tt.issuer, got, tt.want, tt.reason)
		}
	}
}

func TestBuilders(t *testing.T) {
	const issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
	tests := []struct {
		name   string
		reason string
		build  func() (*Document, error)
		want   string
	}{
		{
			name:   "cluster role",
			reason: "eks.amazonaws.com with AssumeRole and TagSession",
			build:  func() (*Document, error) { return ClusterRoleTrust("aws") },
			want:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		},
		{
			name:   "cluster role in China",
			reason: "the service principal is the same in every partition",
			build:  func() (*Document, error) { return ClusterRoleTrust("aws-cn") },
			want:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		},
		{
			name:   "pod identity",
			reason: "pods.eks.amazonaws.com with AssumeRole and TagSession",
			build:  func() (*Document, error) { return PodIdentityTrust("aws-us-gov") },
			want:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		},
		{
			name:   "fargate",
			reason: "SourceArn scoped to the cluster's profiles",
			build: func() (*Document, error) {
				return FargatePodExecutionTrust(FargateTrust{Region: "us-west-2", AccountID: "111122223333", Cluster: "my-cluster"})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"}}}]}`,
		},
		{
			name:   "fargate in GovCloud",
			reason: "the partition follows the region",
			build: func() (*Document, error) {
				return FargatePodExecutionTrust(FargateTrust{Region: "us-gov-west-1", AccountID: "111122223333", Cluster: "c"})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks-fargate-pods.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws-us-gov:eks:us-gov-west-1:111122223333:fargateprofile/c/*"}}}]}`,
		},
		{
			name:   "irsa",
			reason: "sub and aud under StringEquals",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: issuer, ServiceAccounts: []ServiceAccount{{"default", "app"}}})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:default:app","oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}`,
		},
		{
			name:   "irsa several accounts",
			reason: "subjects sorted and de-duplicated",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: issuer, ServiceAccounts: []ServiceAccount{{"b", "x"}, {"a", "y"}, {"b", "x"}}})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":["system:serviceaccount:a:y","system:serviceaccount:b:x"],"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}`,
		},
		{
			name:   "irsa wildcard allowed",
			reason: "wildcard subjects go under StringLike, exact ones stay under StringEquals",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: issuer, AllowWildcard: true, ServiceAccounts: []ServiceAccount{{"jobs", "*"}, {"default", "app"}}})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:default:app","oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"},"StringLike":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:jobs:*"}}}]}`,
		},
		{
			name:   "irsa in China",
			reason: "the partition follows the issuer's region",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X", ServiceAccounts: []ServiceAccount{{"default", "app"}}})
			},
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws-cn:iam::111122223333:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/X"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.cn-north-1.amazonaws.com.cn/id/X:sub":"system:serviceaccount:default:app","oidc.eks.cn-north-1.amazonaws.com.cn/id/X:aud":"sts.amazonaws.com"}}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.build()
			if err != nil {
				t.Fatalf("build: %v (%s)", err, tt.reason)
			}
			if diff := cmp.Diff(tt.want, d.String()); diff != "" {
				t.Errorf("document (-want +got): %s\n%s", tt.reason, diff)
			}
			if f := Lint(d, LintOptions{}); len(f) != 0 && !strings.Contains(tt.name, "wildcard") {
				t.Errorf("a built document has findings: %v", f)
			}
			if _, err := Parse([]byte(d.String())); err != nil {
				t.Errorf("the built document does not parse: %v", err)
			}
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	const issuer = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
	tests := []struct {
		name   string
		reason string
		build  func() (*Document, error)
		want   []ValidationError
	}{
		{
			name:   "cluster role bad partition",
			reason: "only the three partitions",
			build:  func() (*Document, error) { return ClusterRoleTrust("aws-iso") },
			want:   []ValidationError{{"partition", `"aws-iso" is not a supported partition; want "aws", "aws-cn" or "aws-us-gov"`}},
		},
		{
			name:   "pod identity empty partition",
			reason: "the partition must be named",
			build:  func() (*Document, error) { return PodIdentityTrust("") },
			want:   []ValidationError{{"partition", `"" is not a supported partition; want "aws", "aws-cn" or "aws-us-gov"`}},
		},
		{
			name:   "fargate everything wrong",
			reason: "every problem is reported at once",
			build: func() (*Document, error) {
				return FargatePodExecutionTrust(FargateTrust{Partition: "aws", AccountID: "11112222333", Cluster: "-bad"})
			},
			want: []ValidationError{
				{"Region", "is empty; want a region such as us-west-2"},
				{"AccountID", `"11112222333" is not an AWS account ID (12 digits)`},
				{"Cluster", `"-bad" is not an EKS cluster name (1 to 100 letters, digits, '-' and '_', starting with a letter or digit)`},
			},
		},
		{
			name:   "fargate partition and region disagree",
			reason: "a China region is not in the aws partition",
			build: func() (*Document, error) {
				return FargatePodExecutionTrust(FargateTrust{Partition: "aws", Region: "cn-north-1", AccountID: "111122223333", Cluster: "c"})
			},
			want: []ValidationError{{"Region", "region cn-north-1 is in partition aws-cn, not aws"}},
		},
		{
			name:   "fargate bad region",
			reason: "a region looks like us-west-2",
			build: func() (*Document, error) {
				return FargatePodExecutionTrust(FargateTrust{Region: "US-West-2", AccountID: "111122223333", Cluster: "c"})
			},
			want: []ValidationError{{"Region", `"US-West-2" is not a region name such as us-west-2`}},
		},
		{
			name:   "irsa wildcard refused",
			reason: "wildcards need AllowWildcard; the field is named",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: issuer, ServiceAccounts: []ServiceAccount{{"default", "app"}, {"*", "app"}}})
			},
			want: []ValidationError{{"ServiceAccounts[1].Namespace", `"*" holds a wildcard; set AllowWildcard if a pattern is really meant`}},
		},
		{
			name:   "irsa bad names and issuer",
			reason: "Kubernetes names and the issuer scheme are checked",
			build: func() (*Document, error) {
				return IRSATrust(IRSA{AccountID: "111122223333", IssuerURL: "http://oidc.example/id/X", ServiceAccounts: []ServiceAccount{{"Default", ""}}})
			},
			want: []ValidationError{
				{"IssuerURL", `"http://oidc.example/id/X" does not start with https://`},
				{"ServiceAccounts[0].Namespace", `"Default" is not a valid namespace`},
				{"ServiceAccounts[0].Name", "is empty"},
			},
		},
		{
			name:   "irsa nothing",
			reason: "the zero value names what is missing",
			build:  func() (*Document, error) { return IRSATrust(IRSA{}) },
			want: []ValidationError{
				{"AccountID", `"" is not an AWS account ID (12 digits)`},
				{"IssuerURL", "is empty; want the cluster's OIDC issuer URL (https://oidc.eks.<region>.amazonaws.com/id/<ID>)"},
				{"ServiceAccounts", "is empty; want at least one service account"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.build()
			if err == nil {
				t.Fatalf("build = %s, want an error (%s)", d, tt.reason)
			}
			var first *ValidationError
			if !errors.As(err, &first) {
				t.Fatalf("error %v holds no *ValidationError", err)
			}
			var got []ValidationError
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				got = append(got, *e.(*ValidationError))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
}
