package eksfargate

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testEnv is a lookup over a map.
func testEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestExpandEnv(t *testing.T) {
	env := testEnv(map[string]string{"KEY": "arn:aws:kms:us-west-2:123456789012:key/k", "A": "a", "_x1": "u", "EMPTY": "", "NL": "x\ny"})
	for _, tc := range []struct {
		name, reason string
		in, want     string
		problems     []ExpandProblem // nil: no error
	}{
		{"plain", "text without $ is returned unchanged", "a: b\n", "a: b\n", nil},
		{"reference", "${NAME} takes the variable's value", "k: ${KEY}\n", "k: arn:aws:kms:us-west-2:123456789012:key/k\n", nil},
		{"several", "every reference of a line is expanded", "k: ${A}-${A}${_x1}\n", "k: a-au\n", nil},
		{"escape", "$$ is one literal $", "p: a$$b\n", "p: a$b\n", nil},
		{"escaped reference", "$${NAME} is the literal text ${NAME}, and needs no variable", "p: $${UNSET}\n", "p: ${UNSET}\n", nil},
		{"escape then reference", "$$${NAME} is a $ and the value", "p: $$${A}\n", "p: $a\n", nil},
		{"lone dollar", "a $ before a letter is not a reference", "p: $HOME and $A\n", "p: $HOME and $A\n", nil},
		{"dollar before digit or space", "a $ before a digit or a space stays", "price: $5 $ x\n", "price: $5 $ x\n", nil},
		{"dollar at end", "a $ at the end of the document stays", "p: a$", "p: a$", nil},
		{"three dollars", "$$$ is $ and a lone $", "p: $$$x\n", "p: $$x\n", nil},
		{"comment", "comments are expanded too (the rule is simple, the text is one)", "# ${A}\n", "# a\n", nil},
		{"unset", "an unset variable is an error with its name and line",
			"a: 1\nk: ${UNSET}\n", "", []ExpandProblem{{Line: 2, Name: "UNSET"}}},
		{"all at once", "every unset variable is reported, each with its line",
			"k: ${U1}\n\nl: ${A} ${U2}\nm: ${U1}\n", "", []ExpandProblem{{Line: 1, Name: "U1"}, {Line: 3, Name: "U2"}, {Line: 4, Name: "U1"}}},
		{"empty", "a variable set to the empty string is almost always a mistake", "k: ${EMPTY}\n", "", []ExpandProblem{{Line: 1, Name: "EMPTY"}}},
		{"line break", "a value with a line break would change the structure", "k: ${NL}\n", "", []ExpandProblem{{Line: 1, Name: "NL"}}},
		{"unclosed", "${ without } on its line is an error, not text", "k: ${A\nb: }\n", "", []ExpandProblem{{Line: 1}}},
		{"empty name", "${} names no variable", "k: ${}\n", "", []ExpandProblem{{Line: 1}}},
		{"digit first", "a name does not start with a digit", "k: ${1A}\n", "", []ExpandProblem{{Line: 1}}},
		{"default", "shell defaults are not supported", "k: ${A:-b}\n", "", []ExpandProblem{{Line: 1}}},
		{"crlf lines", "lines are counted on \\n, so CRLF files number lines the same", "a: 1\r\nk: ${UNSET}\r\n", "", []ExpandProblem{{Line: 2, Name: "UNSET"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandEnv([]byte(tc.in), env)
			if tc.problems == nil {
				if err != nil {
					t.Fatalf("%s: %v", tc.reason, err)
				}
				if diff := cmp.Diff(tc.want, string(got)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
				}
				return
			}
			var ee *ExpandError
			if !errors.As(err, &ee) {
				t.Fatalf("%s: got %q, %v; want an *ExpandError", tc.reason, got, err)
			}
			var gotP []ExpandProblem
			for _, p := range ee.Problems {
				if p.Rule == "" || p.Fix == "" {
					t.Errorf("%s: problem without a rule or a fix: %+v", tc.reason, p)
				}
				if p.Name != "" && !strings.Contains(err.Error(), p.Name) {
					t.Errorf("%s: the message %q does not name %s", tc.reason, err, p.Name)
				}
				gotP = append(gotP, ExpandProblem{Line: p.Line, Name: p.Name})
			}
			if diff := cmp.Diff(tc.problems, gotP); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestExpandEnvNilLookup(t *testing.T) {
	in := []byte("k: ${UNSET} $$ ${")
	got, err := ExpandEnv(in, nil)
	if err != nil || !bytes.Equal(got, in) {
		t.Errorf("a nil lookup leaves the document as it is: got %q, %v", got, err)
	}
}

func TestSecondDocument(t *testing.T) {
	for _, tc := range []struct {
		name, reason, in string
		want             int
	}{
		{"one", "a single document", "a: 1\nb: 2\n", 0},
		{"leading marker", "a --- before the content starts the first document", "# c\n---\na: 1\n", 0},
		{"trailing marker", "a --- with nothing after it adds no document", "a: 1\n---\n", 0},
		{"trailing marker and comment", "comments after a trailing --- are not content", "a: 1\n---\n# end\n\n", 0},
		{"end marker", "a ... with nothing after it ends the only document", "a: 1\n...\n", 0},
		{"indented dashes", "--- inside a block scalar is indented: content, not a marker", "a: |\n  ---\n  x\n", 0},
		{"dashes in a value", "---x at the start of a line is not a marker", "a:\n---x\n", 0},
		{"directive", "a %YAML directive before the first document is not content", "%YAML 1.2\n---\na: 1\n", 0},
		{"second", "content after a second --- is a second document, at the marker's line", "a: 1\n---\nb: 2\n", 2},
		{"second after comments", "the line is the marker's, not the content's", "a: 1\n---\n# c\n\nb: 2\n", 2},
		{"second on marker line", "content on the marker line counts", "a: 1\n--- {b: 2}\n", 2},
		{"after end marker", "content after ... is another document", "a: 1\n...\nb: 2\n", 3},
		{"empty first", "an explicitly started empty document is still the first", "---\n---\na: 1\n", 2},
		{"crlf", "CRLF line ends", "a: 1\r\n---\r\nb: 2\r\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := secondDocument([]byte(tc.in)); got != tc.want {
				t.Errorf("%s: got line %d, want %d", tc.reason, got, tc.want)
			}
		})
	}
}

func TestLoadSpecEnv(t *testing.T) {
	const head = "apiVersion: fargatekit.io/v1alpha1\nkind: FargateCluster\nname: c\n"
	key := "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	env := testEnv(map[string]string{"REGION": "us-west-2", "KEY": key})
	withEnv := func(o *LoadOptions) { o.Env = env }

	s, err := LoadSpec([]byte(head+"region: ${REGION}\ncluster:\n  secretsKMSKeyARN: ${KEY}\n"), withEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "us-west-2" || s.Cluster.SecretsKMSKeyARN != key {
		t.Errorf("references take the values of the environment: region %q, key %q", s.Region, s.Cluster.SecretsKMSKeyARN)
	}

	s, err = LoadSpec([]byte(head + "region: ${REGION}\n"))
	if err != nil || s.Region != "${REGION}" {
		t.Errorf("without LoadOptions.Env the text stays as it is: %v, %+v", err, s)
	}

	_, err = LoadSpec([]byte(head+"region: us-west-2\ncluster:\n  secretsKMSKeyARN: ${NOPE}\n"), withEnv)
	var ee *ExpandError
	if !errors.As(err, &ee) || ee.Problems[0].Line != 6 || !strings.Contains(err.Error(), "NOPE") || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("an unset variable is an error naming it and its line 6: %v", err)
	}

	_, err = LoadSpec([]byte(head+"region: us-west-2\n---\n"+head+"region: us-east-1\n"), withEnv)
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "line 5 starts a second YAML document") {
		t.Errorf("a second document is refused with its line 5: %v", err)
	}
}

// TestLoadSpecShippedWalkthrough loads the spec the examples ship, which
// references ${KMS_KEY_ARN}.
func TestLoadSpecShippedWalkthrough(t *testing.T) {
	data, err := os.ReadFile("../examples/walkthrough/fargate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	key := "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s, err := LoadSpec(data, func(o *LoadOptions) { o.Env = testEnv(map[string]string{"KMS_KEY_ARN": key}) })
	if err != nil {
		t.Fatal(err)
	}
	if s.Cluster.SecretsKMSKeyARN != key {
		t.Errorf("secretsKMSKeyARN = %q, want %q", s.Cluster.SecretsKMSKeyARN, key)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("the expanded walkthrough spec validates: %v", err)
	}
	_, err = LoadSpec(data, func(o *LoadOptions) { o.Env = testEnv(nil) })
	line := 1 + bytes.Count(data[:bytes.Index(data, []byte("${KMS_KEY_ARN}"))], []byte("\n"))
	var ee *ExpandError
	if !errors.As(err, &ee) || len(ee.Problems) != 1 || ee.Problems[0].Name != "KMS_KEY_ARN" || ee.Problems[0].Line != line {
		t.Errorf("without KMS_KEY_ARN: want one problem naming it at line %d, got %v", line, err)
	}
}

// FuzzExpandEnv checks that ExpandEnv never panics, that escaping every $
// as $$ gives back the text, that a successful expansion keeps the number
// of lines, and that problems carry lines of the document.
func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{"", "a: ${A}\n", "$$", "${", "${}", "$${A}", "x$", "${A:-b}", "# $HOME\n${B}\r\n", "${A}${A}$$$"} {
		f.Add(s)
	}
	env := testEnv(map[string]string{"A": "va", "B": "v:b", "E": ""})
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExpandEnv([]byte(s), env)
		lines := 1 + strings.Count(s, "\n")
		if err != nil {
			var ee *ExpandError
			if !errors.As(err, &ee) || len(ee.Problems) == 0 {
				t.Fatalf("error %v is not an *ExpandError with problems", err)
			}
			for _, p := range ee.Problems {
				if p.Line < 1 || p.Line > lines {
					t.Fatalf("problem at line %d of a %d-line document", p.Line, lines)
				}
			}
		} else if n := 1 + bytes.Count(got, []byte("\n")); n != lines {
			t.Fatalf("expansion changed the number of lines from %d to %d: %q → %q", lines, n, s, got)
		}
		escaped := strings.ReplaceAll(s, "$", "$$")
		back, err := ExpandEnv([]byte(escaped), env)
		if err != nil || string(back) != s {
			t.Fatalf("escaping every $ must give the text back: %q → %q, %v", escaped, back, err)
		}
		if !strings.Contains(s, "$") {
			if err != nil || string(got) != s {
				t.Fatalf("text without $ must be unchanged: %q → %q, %v", s, got, err)
			}
		}
	})
}
