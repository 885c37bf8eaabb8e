package access

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// awsAuthFargateEntry is the mapRoles entry EKS writes for the Fargate pod
// execution role, byte for byte as it appears in a new cluster.
const awsAuthFargateEntry = `- groups:
  - system:bootstrappers
  - system:nodes
  - system:node-proxier
  rolearn: arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole
  username: system:node:{{SessionName}}
`

func TestParseAWSAuth(t *testing.T) {
	tests := []struct {
		name string
		why  string
		data map[string]string
		want *AWSAuth
	}{
		{
			name: "empty",
			why:  "a fresh CONFIG_MAP cluster may have empty keys",
			data: map[string]string{"mapRoles": "", "mapUsers": "   \n"},
			want: &AWSAuth{},
		},
		{
			name: "fargate role as EKS writes it",
			why:  "the entry EKS adds must parse, groups in order",
			data: map[string]string{"mapRoles": awsAuthFargateEntry},
			want: &AWSAuth{MapRoles: []RoleMapping{{
				RoleARN:  "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole",
				Username: FargateNodeUsername,
				Groups:   []string{"system:bootstrappers", "system:nodes", "system:node-proxier"},
			}}},
		},
		{
			name: "users, accounts as numbers, other keys",
			why:  "unquoted account IDs are YAML numbers but must come out as strings; unknown keys are ignored",
			data: map[string]string{
				"mapUsers":    "- userarn: arn:aws:iam::123456789012:user/ops/alice\n  username: alice\n  groups: [devs]\n",
				"mapAccounts": "- 123456789012\n- \"210987654321\"\n",
				"other":       "kept: true",
			},
			want: &AWSAuth{
				MapUsers:    []UserMapping{{UserARN: "arn:aws:iam::123456789012:user/ops/alice", Username: "alice", Groups: []string{"devs"}}},
				MapAccounts: []string{"123456789012", "210987654321"},
			},
		},
		{
			name: "flow style JSON",
			why:  "JSON is YAML; some tools write aws-auth that way",
			data: map[string]string{"mapRoles": `[{"rolearn":"arn:aws:iam::123456789012:role/a","username":"a","groups":["g"]}]`},
			want: &AWSAuth{MapRoles: []RoleMapping{{RoleARN: "arn:aws:iam::123456789012:role/a", Username: "a", Groups: []string{"g"}}}},
		},
		{
			name: "sso entry",
			why:  "aws-iam-authenticator's sso matcher is valid and must not be refused",
			data: map[string]string{"mapRoles": "- sso:\n    permissionSetName: Admin\n    accountID: \"123456789012\"\n  username: admin:{{SessionName}}\n"},
			want: &AWSAuth{MapRoles: []RoleMapping{{SSO: &AWSAuthSSO{PermissionSetName: "Admin", AccountID: "123456789012"}, Username: "admin:{{SessionName}}"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAWSAuth(tt.data)
			if err != nil {
				t.Fatalf("%s: %v", tt.why, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.why, d)
			}
		})
	}
}

func TestParseAWSAuthErrors(t *testing.T) {
	two := "- rolearn: arn:aws:iam::123456789012:role/a\n  username: a\n"
	tests := []struct {
		name     string
		why      string
		key      string
		text     string
		wantLine int
		wantIdx  int
		wantMsg  string
	}{
		{"syntax", "a YAML syntax error names its line", "mapRoles", two + "- rolearn: arn:aws:iam::123456789012:role/b\n  username: [\n", 4, 1, "did not find expected node"},
		{"unknown field", "a typo is not silently ignored", "mapRoles", two + "- rolearn: arn:aws:iam::123456789012:role/b\n  usernme: b\n", 4, 1, `unknown field "usernme"`},
		{"duplicate key", "duplicate keys are ambiguous", "mapUsers", "- userarn: arn:aws:iam::123456789012:user/a\n  userarn: arn:aws:iam::123456789012:user/b\n", 2, 0, "already set"},
		{"groups not a list", "wrong types are errors", "mapRoles", two + two + "- rolearn: arn:aws:iam::123456789012:role/c\n  groups: admins\n", 5, 2, "cannot unmarshal"},
		{"not a list", "a mapping instead of a list", "mapRoles", "rolearn: arn:aws:iam::123456789012:role/a\n", 1, -1, "want a YAML list"},
		{"no ARN", "an entry that maps nothing", "mapRoles", two + "- username: nobody\n", 3, 1, "neither rolearn nor sso"},
		{"assumed-role ARN", "a session ARN never matches", "mapRoles", "- rolearn: arn:aws:sts::123456789012:assumed-role/a/s\n  username: a\n", 1, 0, "STS session"},
		{"user without ARN", "mapUsers needs userarn", "mapUsers", "- username: bob\n", 1, 0, "no userarn"},
		{"account not a list", "mapAccounts is a list too", "mapAccounts", "123456789012\n", 1, -1, "want a YAML list"},
		{"indented", "indented block sequences keep line numbers", "mapRoles", "  - rolearn: arn:aws:iam::123456789012:role/a\n    username: a\n  - rolearn: arn:aws:iam::123456789012:role/b\n    bogus: 1\n", 4, 1, `unknown field "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAWSAuth(map[string]string{tt.key: tt.text})
			var ae *AWSAuthError
			if !errors.As(err, &ae) {
				t.Fatalf("%s: err = %v, want *AWSAuthError", tt.why, err)
			}
			if ae.Key != tt.key || ae.Line != tt.wantLine || ae.Index != tt.wantIdx {
				t.Errorf("%s: key %q line %d index %d, want %q line %d index %d (%v)", tt.why, ae.Key, ae.Line, ae.Index, tt.key, tt.wantLine, tt.wantIdx, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("%s: error %q should name %q and say %q", tt.why, err, tt.key, tt.wantMsg)
			}
		})
	}
}

func TestParsePrincipalARN(t *testing.T) {
	tests := []struct {
		in, why string
		want    PrincipalARN
		wantErr string
	}{
		{"arn:aws:iam::123456789012:role/a", "plain role", PrincipalARN{"aws", "123456789012", "role", "/", "a"}, ""},
		{"arn:aws-cn:iam::123456789012:role/team/dev/a", "role with path, China partition", PrincipalARN{"aws-cn", "123456789012", "role", "/team/dev/", "a"}, ""},
		{"arn:aws:iam::123456789012:user/alice", "user", PrincipalARN{"aws", "123456789012", "user", "/", "alice"}, ""},
		{"arn:aws:sts::123456789012:assumed-role/a/s", "sessions are not principals", PrincipalARN{}, "STS session"},
		{"arn:aws:iam::12345:role/a", "short account", PrincipalARN{}, "12 digits"},
		{"arn:aws:iam::123456789012:group/g", "groups can't be mapped", PrincipalARN{}, "want a role or user"},
		{"arn:aws:iam::123456789012:role/", "no name", PrincipalARN{}, "malformed"},
		{"arn:aws:iam::123456789012:role/a//b", "empty path segment", PrincipalARN{}, "malformed"},
		{"role/a", "not an ARN", PrincipalARN{}, "not an ARN"},
		{"arn:aws:s3:::bucket/x", "not IAM", PrincipalARN{}, "not an IAM ARN"},
	}
	for _, tt := range tests {
		got, err := ParsePrincipalARN(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: ParsePrincipalARN(%q) err = %v, want %q", tt.why, tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.why, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.why, d)
		}
		if got.String() != tt.in {
			t.Errorf("%s: String() = %q, want %q", tt.why, got.String(), tt.in)
		}
	}
}

func TestEditAWSAuthData(t *testing.T) {
	const (
		dev   = "arn:aws:iam::123456789012:role/team/dev"
		alice = "arn:aws:iam::123456789012:user/alice"
	)
	other := "# platform team, do not touch\n- rolearn: arn:aws:iam::123456789012:role/ops   # on-call\n  username: ops:{{SessionName}}\n  groups: [ops]\n"
	tests := []struct {
		name      string
		why       string
		data      map[string]string
		edit      AWSAuthEdit
		wantRoles string
		wantUsers string
		wantRes   AWSAuthResult
		wantErr   any
	}{
		{
			name:      "add keeps others byte for byte",
			why:       "the Fargate entry and hand-written entries with comments survive untouched; a role's path is dropped",
			data:      map[string]string{"mapRoles": awsAuthFargateEntry + other},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev", Groups: []string{"devs"}}}},
			wantRoles: awsAuthFargateEntry + other + "- groups:\n  - devs\n  rolearn: arn:aws:iam::123456789012:role/dev\n  username: dev\n",
			wantRes:   AWSAuthResult{Added: []string{dev}},
		},
		{
			name:      "update in place",
			why:       "the same ARN (case and path aside) is updated where it is, not added again",
			data:      map[string]string{"mapRoles": "- rolearn: arn:aws:iam::123456789012:role/DEV\n  username: old\n" + awsAuthFargateEntry},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev"}}},
			wantRoles: "- rolearn: arn:aws:iam::123456789012:role/dev\n  username: dev\n" + awsAuthFargateEntry,
			wantRes:   AWSAuthResult{Updated: []string{dev}},
		},
		{
			name:      "duplicates collapse",
			why:       "two live entries for one ARN are ambiguous; the first is kept and updated",
			data:      map[string]string{"mapRoles": "- rolearn: arn:aws:iam::123456789012:role/dev\n  username: dev\n" + awsAuthFargateEntry + "- rolearn: arn:aws:iam::123456789012:role/dev\n  username: other\n"},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev"}}},
			wantRoles: "- rolearn: arn:aws:iam::123456789012:role/dev\n  username: dev\n" + awsAuthFargateEntry,
			wantRes:   AWSAuthResult{Updated: []string{dev}},
		},
		{
			name:      "unchanged",
			why:       "an equal mapping changes nothing, not even formatting",
			data:      map[string]string{"mapRoles": "- {rolearn: arn:aws:iam::123456789012:role/dev, username: dev}\n"},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev"}}},
			wantRoles: "- {rolearn: arn:aws:iam::123456789012:role/dev, username: dev}\n",
		},
		{
			name:      "user and remove",
			why:       "users go to mapUsers; removal leaves the other keys alone",
			data:      map[string]string{"mapRoles": awsAuthFargateEntry + other, "mapUsers": "- userarn: arn:aws:iam::123456789012:user/bob\n  username: bob\n"},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: alice, Groups: []string{"devs"}}}, Remove: []string{"arn:aws:iam::123456789012:role/ops"}},
			wantRoles: awsAuthFargateEntry,
			wantUsers: "- userarn: arn:aws:iam::123456789012:user/bob\n  username: bob\n- groups:\n  - devs\n  userarn: arn:aws:iam::123456789012:user/alice\n  username: arn:aws:iam::123456789012:user/alice\n",
			wantRes:   AWSAuthResult{Added: []string{alice}, Removed: []string{"arn:aws:iam::123456789012:role/ops"}},
		},
		{
			name:      "flow style is rendered anew",
			why:       "entries of a flow list can't be kept as text; the list becomes a block list with the same content",
			data:      map[string]string{"mapRoles": `[{"rolearn":"arn:aws:iam::123456789012:role/a","username":"a"}]`},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev"}}},
			wantRoles: "- rolearn: arn:aws:iam::123456789012:role/a\n  username: a\n- rolearn: arn:aws:iam::123456789012:role/dev\n  username: dev\n",
			wantRes:   AWSAuthResult{Added: []string{dev}},
		},
		{
			name:      "indented list keeps its indentation",
			why:       "new entries follow the list's indentation",
			data:      map[string]string{"mapRoles": "  - rolearn: arn:aws:iam::123456789012:role/a\n    username: a\n"},
			edit:      AWSAuthEdit{Upsert: []Mapping{{ARN: dev, Username: "dev"}}},
			wantRoles: "  - rolearn: arn:aws:iam::123456789012:role/a\n    username: a\n  - rolearn: arn:aws:iam::123456789012:role/dev\n    username: dev\n",
			wantRes:   AWSAuthResult{Added: []string{dev}},
		},
		{
			name:    "fargate mapping protected from update",
			why:     "changing the pod execution role's mapping breaks Fargate scheduling",
			data:    map[string]string{"mapRoles": awsAuthFargateEntry},
			edit:    AWSAuthEdit{Upsert: []Mapping{{ARN: "arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole", Username: "x"}}},
			wantErr: new(*AWSAuthNodeMappingError),
		},
		{
			name:    "fargate mapping protected from removal",
			why:     "removing it breaks Fargate scheduling",
			data:    map[string]string{"mapRoles": awsAuthFargateEntry},
			edit:    AWSAuthEdit{Remove: []string{"arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole"}},
			wantErr: new(*AWSAuthNodeMappingError),
		},
		{
			name:    "malformed live",
			why:     "nothing is computed from a malformed ConfigMap",
			data:    map[string]string{"mapRoles": awsAuthFargateEntry, "mapUsers": "- userarn: [\n"},
			edit:    AWSAuthEdit{Upsert: []Mapping{{ARN: dev}}},
			wantErr: new(*AWSAuthError),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res, err := EditAWSAuthData(tt.data, tt.edit)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("%s: err = %v, want %T", tt.why, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.why, err)
			}
			if d := cmp.Diff(tt.wantRoles, got["mapRoles"]); d != "" {
				t.Errorf("%s: mapRoles (-want +got):\n%s", tt.why, d)
			}
			if d := cmp.Diff(tt.wantUsers, got["mapUsers"]); d != "" {
				t.Errorf("%s: mapUsers (-want +got):\n%s", tt.why, d)
			}
			if d := cmp.Diff(tt.wantRes, *res); d != "" {
				t.Errorf("%s: result (-want +got):\n%s", tt.why, d)
			}
			// What is written must parse strictly again.
			if _, err := ParseAWSAuth(got); err != nil {
				t.Errorf("%s: result does not parse: %v", tt.why, err)
			}
		})
	}
}

// FuzzParseAWSAuth: the parser never panics, and whatever parses survives an
// edit that adds a mapping: the old entries are all still there, in order.
func FuzzParseAWSAuth(f *testing.F) {
	f.Add(awsAuthFargateEntry, "- userarn: arn:aws:iam::123456789012:user/a\n  username: a\n")
	f.Add("- rolearn: arn:aws:iam::123456789012:role/a\n  username: [\n", "")
	f.Add(`[{"rolearn":"arn:aws:iam::123456789012:role/a","username":"a"}]`, "- 1\n")
	f.Add("  - rolearn: arn:aws:iam::123456789012:role/a # c\n    username: a\n  # x\n", "")
	f.Add("---\n- rolearn: arn:aws:iam::123456789012:role/a\n  username: &u a\n- rolearn: arn:aws:iam::123456789012:role/b\n  username: *u\n", "")
	f.Fuzz(func(t *testing.T, roles, users string) {
		data := map[string]string{"mapRoles": roles, "mapUsers": users}
		before, err := ParseAWSAuth(data)
		if err != nil {
			var ae *AWSAuthError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *AWSAuthError", err)
			}
			return
		}
		const arn = "arn:aws:iam::999999999999:role/fuzz-added"
		out, _, err := EditAWSAuthData(data, AWSAuthEdit{Upsert: []Mapping{{ARN: arn, Username: "fuzz", Groups: []string{"g"}}}})
		if err != nil {
			var ne *AWSAuthNodeMappingError
			if errors.As(err, &ne) {
				return
			}
			t.Fatalf("edit of a valid aws-auth failed: %v", err)
		}
		after, err := ParseAWSAuth(out)
		if err != nil {
			t.Fatalf("edited aws-auth does not parse: %v\n%s", err, out["mapRoles"])
		}
		var kept []RoleMapping
		for _, r := range after.MapRoles {
			if awsAuthKey(r.RoleARN) != awsAuthKey(arn) {
				kept = append(kept, r)
			}
		}
		var old []RoleMapping
		for _, r := range before.MapRoles {
			if awsAuthKey(r.RoleARN) != awsAuthKey(arn) {
				old = append(old, r)
			}
		}
		if d := cmp.Diff(old, kept); d != "" {
			t.Fatalf("entries changed by adding another (-before +after):\n%s", d)
		}
		if d := cmp.Diff(before.MapUsers, after.MapUsers); d != "" {
			t.Fatalf("mapUsers changed (-before +after):\n%s", d)
		}
	})
}

func ExampleEditAWSAuthData() {
	data := map[string]string{"mapRoles": `# written by EKS
- groups:
  - system:bootstrappers
  - system:nodes
  - system:node-proxier
  rolearn: arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole
  username: system:node:{{SessionName}}
`}
	out, res, err := EditAWSAuthData(data, AWSAuthEdit{Upsert: []Mapping{
		{ARN: "arn:aws:iam::123456789012:role/team/dev", Username: "dev:{{SessionName}}", Groups: []string{"devs"}},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out["mapRoles"])
	fmt.Println("added:", res.Added)
	// Output:
	// # written by EKS
	// - groups:
	//   - system:bootstrappers
	//   - system:nodes
	//   - system:node-proxier
	//   rolearn: arn:aws:iam::123456789012:role/AmazonEKSFargatePodExecutionRole
	//   username: system:node:{{SessionName}}
	// - groups:
	//   - devs
	//   rolearn: arn:aws:iam::123456789012:role/dev
	//   username: dev:{{SessionName}}
	// added: [arn:aws:iam::123456789012:role/team/dev]
}

func ExampleParseAWSAuth() {
	_, err := ParseAWSAuth(map[string]string{"mapUsers": "- userarn: arn:aws:iam::123456789012:user/alice\n  username: alice\n  grups: [devs]\n"})
	fmt.Println(err)
	// Output: aws-auth mapUsers line 3 (entry 0): json: unknown field "grups"
}
