package iamtrust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusFiles lists every file of testdata/corpus with what it must give.
var corpusFiles = []struct {
	file   string
	reason string
	// live files are URL-encoded, as IAM's API returns them.
	live bool
	// wantErr, when set, is the error the file must be rejected with.
	wantErr *SyntaxError
	// equal, when set, builds a document the file must be Equal to.
	equal func() (*Document, error)
	opts  LintOptions
	// checks are the IDs of the findings Lint must report.
	checks []string
}{
	{
		file:   "managed/amazon-eks-cluster-policy-like.json",
		reason: "an identity policy without principals: parses, and no trust check fires",
	},
	{
		file:   "managed/amazon-eks-fargate-pod-execution-role-policy.json",
		reason: "the four ECR pull actions on *",
		equal: func() (*Document, error) {
			return &Document{Version: VersionCurrent, Statement: []Statement{{Effect: EffectAllow, Resource: One("*"),
				Action: List("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer")}}}, nil
		},
	},
	{
		file:   "trust/eks-cluster-role.json",
		reason: "the documented cluster role trust is what ClusterRoleTrust builds",
		equal:  func() (*Document, error) { return ClusterRoleTrust(PartitionAWS) },
	},
	{
		file:   "trust/fargate-pod-execution.json",
		reason: "the documented Fargate trust with SourceArn is what FargatePodExecutionTrust builds",
		equal: func() (*Document, error) {
			return FargatePodExecutionTrust(FargateTrust{Region: "us-west-2", AccountID: "111122223333", Cluster: "my-cluster"})
		},
		opts: LintOptions{AccountID: "111122223333", Region: "us-west-2", Cluster: "my-cluster"},
	},
	{
		file:   "trust/irsa.json",
		reason: "the documented IRSA trust is what IRSATrust builds",
		equal:  irsaCorpusTrust,
		opts:   LintOptions{AccountID: "111122223333", IssuerURL: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2"},
	},
	{
		file:   "trust/pod-identity.json",
		reason: "the Pod Identity trust, with a Sid that Equal ignores",
		equal:  func() (*Document, error) { return PodIdentityTrust(PartitionAWS) },
	},
	{
		file:   "walkthrough/irsa-trailing-comma.json",
		reason: "the walkthrough's trailing comma is rejected with its line and column",
		wantErr: &SyntaxError{Line: 13, Column: 106, Element: "Statement[0].Condition.StringEquals",
			Msg: "trailing comma before '}'; JSON does not allow a comma after the last member"},
	},
	{
		file:   "walkthrough/irsa-fixed.json",
		reason: "once fixed, its keys name us-west-2 while it trusts the ap-northeast-1 provider",
		checks: []string{"IRSA-08", "IRSA-08"},
	},
	{
		file:   "live/irsa-get-role.txt",
		reason: "IAM's URL-encoded, reordered form of trust/irsa.json is Equal to it",
		live:   true,
		equal:  irsaCorpusTrust,
	},
	{
		file:   "live/cross-account-deleted-role.txt",
		reason: "a literal '+' survives decoding; the unique ID of a deleted role stays",
		live:   true,
		equal: func() (*Document, error) {
			return &Document{Version: VersionCurrent, Statement: []Statement{{
				Effect:    EffectAllow,
				Principal: &Principals{Entries: []PrincipalEntry{{Type: PrincipalAWS, Values: List("111122223333", "AROAEXAMPLEDELETEDROLE1")}}},
				Action:    One(ActionAssumeRole),
				Condition: []Condition{{Operator: "StringEquals", Keys: []ConditionKey{{Key: "sts:ExternalId", Values: One("a+b c")}}}},
			}}}, nil
		},
	},
}

func irsaCorpusTrust() (*Document, error) {
	return IRSATrust(IRSA{
		AccountID:       "111122223333",
		IssuerURL:       "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE0D1F4B2A7C9E3A5B6C8D0E1F2",
		ServiceAccounts: []ServiceAccount{{Namespace: "default", Name: "my-service-account"}},
	})
}

func TestCorpus(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range corpusFiles {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "corpus", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var d *Document
			if tt.live {
				d, err = ParseLive(string(raw))
			} else {
				d, err = Parse(raw)
			}
			if tt.wantErr != nil {
				if diff := cmp.Diff(error(tt.wantErr), err, cmp.Comparer(func(a, b error) bool { return a != nil && b != nil && a.Error() == b.Error() })); diff != "" {
					t.Errorf("parse error (-want +got): %s\n%s", tt.reason, diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v (%s)", err, tt.reason)
			}
			// Round trips: the source byte for byte, and the model through
			// MarshalJSON.
			if !tt.live && d.Source() != string(raw) {
				t.Error("Source() is not the file byte for byte")
			}
			js, _ := d.MarshalJSON()
			again, err := Parse(js)
			if err != nil {
				t.Fatalf("Parse(MarshalJSON()): %v", err)
			}
			if diff := cmp.Diff(d, again, ignoreCache); diff != "" {
				t.Errorf("MarshalJSON does not round-trip (-want +got):\n%s", diff)
			}
			if again2, err := Parse(d.JSON()); err != nil || !Equal(d, again2) {
				t.Errorf("JSON() does not round-trip: %v", err)
			}
			if tt.equal != nil {
				want, err := tt.equal()
				if err != nil {
					t.Fatal(err)
				}
				if !Equal(want, d) {
					t.Errorf("not Equal to the expected document: %s\n%v", tt.reason, Diff(want, d))
				}
			}
			var checks []string
			for _, f := range Lint(d, tt.opts) {
				checks = append(checks, f.Check)
			}
			if diff := cmp.Diff(tt.checks, checks); diff != "" {
				t.Errorf("Lint checks (-want +got): %s\n%s", tt.reason, diff)
			}
		})
	}
	// Every file of the corpus is listed above.
	err := filepath.WalkDir(filepath.Join("testdata", "corpus"), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || strings.HasSuffix(path, ".md") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("testdata", "corpus"), path)
		if !seen[filepath.ToSlash(rel)] {
			t.Errorf("corpus file %s has no expectation in corpusFiles", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
