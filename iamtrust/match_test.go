package iamtrust

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		p, s   string
		fold   bool
		want   bool
		reason string
	}{
		{"", "", false, true, "empty matches empty"},
		{"*", "", false, true, "star matches the empty string"},
		{"*", "a/b:c", false, true, "star crosses '/' and ':'"},
		{"a*", "a", false, true, "trailing star matches nothing"},
		{"a*c", "abbbc", false, true, "star in the middle"},
		{"a*c", "abbbd", false, false, "literal after the star must match"},
		{"a?c", "abc", false, true, "question mark is one character"},
		{"a?c", "ac", false, false, "question mark is not optional"},
		{"a?c", "abbc", false, false, "question mark is exactly one"},
		{"a?c", "aéc", false, true, "question mark is one character, not one byte"},
		{"*:*", "system:serviceaccount", false, true, "stars around a literal"},
		{"system:serviceaccount:*:*", "system:serviceaccount:ns:sa", false, true, "typical IRSA pattern"},
		{"system:serviceaccount:*:*", "system:serviceaccount:ns", false, false, "one colon short"},
		{"*a*a*a*a*b", strings.Repeat("a", 40), false, false, "backtracking stays bounded"},
		{"sts:Assume*", "STS:assumerole", true, true, "fold ignores ASCII case"},
		{"sts:Assume*", "STS:assumerole", false, false, "no fold, case matters"},
		{"a.c", "abc", false, false, "'.' is literal"},
		{"[ab]", "a", false, false, "brackets are literal, unlike filepath.Match"},
		{`a\*`, `a\b`, false, true, `backslash is literal unless escaped mode; the star matches "b"`},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.p, tt.s, tt.fold, false); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q, fold=%t) = %t, want %t (%s)", tt.p, tt.s, tt.fold, got, tt.want, tt.reason)
		}
	}
	escaped := []struct {
		p, s   string
		want   bool
		reason string
	}{
		{`a\*`, "a*", true, "escaped star is literal"},
		{`a\*`, "ab", false, "escaped star does not match other text"},
		{`a\?*`, "a?xyz", true, "escaped question mark, then a wildcard"},
		{`\\*`, `\anything`, true, "escaped backslash"},
	}
	for _, tt := range escaped {
		if got := wildcardMatch(tt.p, tt.s, false, true); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q, escaped) = %t, want %t (%s)", tt.p, tt.s, got, tt.want, tt.reason)
		}
	}
}

func TestWildcardMatchAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		wildcardMatch("arn:aws:eks:*:111122223333:fargateprofile/*/*", "arn:aws:eks:us-west-2:111122223333:fargateprofile/c/p/1", false, false)
		arnMatch("arn:aws:eks:*:111122223333:fargateprofile/*/*", "arn:aws:eks:us-west-2:111122223333:fargateprofile/c/p/1", false)
	})
	if n != 0 {
		t.Errorf("matching allocates %v times, want 0", n)
	}
}

func TestArnMatch(t *testing.T) {
	const src = "arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/default/abc"
	tests := []struct {
		p, s   string
		want   bool
		reason string
	}{
		{"arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*", src, true, "the documented Fargate pattern"},
		{"arn:aws:eks:*:111122223333:fargateprofile/my-cluster/*", src, true, "wildcard region"},
		{"arn:aws:eks:us-west-2:*:fargateprofile/*", src, true, "wildcard account and cluster"},
		{"arn:aws:eks:us-west-2:444455556666:fargateprofile/my-cluster/*", src, false, "another account"},
		{"arn:aws:eks:us-west-2:111122223333:fargateprofile/other/*", src, false, "another cluster"},
		{"arn:aws:eks:*2:111122223333:fargateprofile/my-cluster/*", src, true, "wildcard within a part"},
		{"arn:*:111122223333:fargateprofile/my-cluster/*", src, false, "a star does not span parts: the pattern has too few"},
		{"*", src, true, "a lone star matches any ARN"},
		{"arn:aws:eks:us-west-2:111122223333:*", "not-an-arn", false, "the value is no ARN"},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/a:b", true, "the resource part may hold colons"},
		{"arn:aws:EKS:us-west-2:111122223333:fargateprofile/my-cluster/*", src, false, "case-sensitive"},
	}
	for _, tt := range tests {
		if got := arnMatch(tt.p, tt.s, false); got != tt.want {
			t.Errorf("arnMatch(%q, %q) = %t, want %t (%s)", tt.p, tt.s, got, tt.want, tt.reason)
		}
	}
}

func TestSubstitute(t *testing.T) {
	ctx := map[string][]string{"aws:username": {"al*ce"}, "aws:PrincipalTag/team": {"blue"}, "multi": {"a", "b"}}
	tests := []struct {
		in         string
		like       bool
		want       string
		unresolved string
		reason     string
	}{
		{"home/${aws:username}/*", false, "home/al*ce/*", "", "plain substitution"},
		{"home/${aws:username}/*", true, `home/al\*ce/*`, "", "substituted text is literal in patterns, the written star is not"},
		{"${AWS:PrincipalTag/Team}", false, "blue", "", "variable names are case-insensitive"},
		{"${*}${?}${$}", true, `\*\?$`, "", "escapes are literal characters"},
		{"${*}${?}${$}", false, `*?$`, "", "escapes without pattern mode"},
		{"${aws:userid, 'nobody'}", false, "nobody", "", "default for an absent key"},
		{"${aws:userid}", false, "", "${aws:userid}", "absent key without default"},
		{"${multi}", false, "", "${multi}", "a multivalued key is no variable"},
		{"${unterminated", false, "${unterminated", "", "no closing brace: literal"},
		{`a\b`, true, `a\\b`, "", "a backslash is escaped in pattern mode"},
	}
	for _, tt := range tests {
		got, unresolved, ok := substitute(tt.in, ctx, tt.like)
		if ok != (tt.unresolved == "") || got != tt.want || unresolved != tt.unresolved {
			t.Errorf("substitute(%q, like=%t) = %q, %q, %t; want %q, %q (%s)", tt.in, tt.like, got, unresolved, ok, tt.want, tt.unresolved, tt.reason)
		}
	}
}

// FuzzWildcardMatch checks the matcher against a regular expression.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("system:serviceaccount:*:*", "system:serviceaccount:ns:sa", false)
	f.Add("a?c*", "abcdef", false)
	f.Add("STS:*ROLE", "sts:AssumeRole", true)
	f.Add("*é?", "aéé", false)
	f.Fuzz(func(t *testing.T, p, s string, fold bool) {
		if !utf8.ValidString(p) || !utf8.ValidString(s) || len(p) > 64 || len(s) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString("(?s)^")
		if fold {
			re.WriteString("(?i)")
		}
		for _, r := range p {
			switch r {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		if fold && want != wildcardMatch(p, s, true, false) {
			// (?i) folds Unicode; the matcher folds ASCII only. Compare on
			// ASCII input.
			for _, r := range p + s {
				if r >= utf8.RuneSelf {
					return
				}
			}
		}
		if got := wildcardMatch(p, s, fold, false); got != want {
			t.Errorf("wildcardMatch(%q, %q, %t) = %t, regexp says %t", p, s, fold, got, want)
		}
	})
}

func TestHasVariable(t *testing.T) {
	tests := []struct {
		s      string
		want   bool
		reason string
	}{
		{"${aws:username}", true, "a variable"},
		{"home/${aws:username}/x", true, "a variable inside text"},
		{"$5 and ${x}", true, "a dollar before the variable"},
		{"price: $", false, "a trailing dollar"},
		{"$x{y}", false, "a dollar not followed by a brace"},
		{"", false, "empty"},
	}
	for _, tt := range tests {
		if got := hasVariable(tt.s); got != tt.want {
			t.Errorf("hasVariable(%q) = %t, want %t (%s)", tt.s, got, tt.want, tt.reason)
		}
	}
}
