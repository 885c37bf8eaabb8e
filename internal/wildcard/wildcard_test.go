package wildcard

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
		why        string
	}{
		{"kube-system", "kube-system", true, "a literal matches itself"},
		{"kube-system", "kube-systems", false, "a literal matches nothing longer"},
		{"*", "", true, "* matches the empty string"},
		{"*", "anything/at:all", true, "* matches any run, separators included"},
		{"kube-*", "kube-system", true, "prefix"},
		{"*-system", "kube-system", true, "suffix"},
		{"k*e*m", "kube-system", true, "several stars backtrack"},
		{"k*x*m", "kube-system", false, "a star cannot invent characters"},
		{"?", "", false, "? needs exactly one character"},
		{"dev-?", "dev-1", true, "? matches one"},
		{"dev-?", "dev-12", false, "? matches only one"},
		{"n?ïve", "naïve", true, "? and literals work on runes, not bytes"},
		{"?", "ï", true, "? matches one multi-byte rune"},
		{"**a", "ba", true, "consecutive stars"},
		{"a*", "", false, "a literal before a star is still needed"},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v (%s)", tt.pattern, tt.s, got, tt.want, tt.why)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Match("k*e*m?", "kube-system1") }); n != 0 {
		t.Errorf("Match allocates %v times, want 0", n)
	}
}

// naive is an obviously correct (exponential) reference matcher.
func naive(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '*':
		return naive(p[1:], s) || (len(s) > 0 && naive(p, s[1:]))
	case '?':
		return len(s) > 0 && naive(p[1:], s[1:])
	default:
		return len(s) > 0 && p[0] == s[0] && naive(p[1:], s[1:])
	}
}

func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{{"kube-*", "kube-system"}, {"a?c*", "abcd"}, {"*?*", ""}, {"n?ïve", "naïve"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 24 || len(s) > 24 {
			return // keep the reference matcher fast
		}
		if got, want := Match(pattern, s), naive([]rune(pattern), []rune(s)); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, s, got, want)
		}
	})
}

func TestMatchSelector(t *testing.T) {
	pod := map[string]string{"k8s-app": "kube-dns", "tier": "control"}
	tests := []struct {
		ns     string
		labels map[string]string
		want   bool
		why    string
	}{
		{"kube-system", nil, true, "no labels: the namespace decides"},
		{"kube-*", nil, true, "a wildcard namespace"},
		{"default", nil, false, "another namespace"},
		{"kube-system", map[string]string{"k8s-app": "kube-dns"}, true, "a label the pod carries"},
		{"kube-system", map[string]string{"k8s-app": "kube-*"}, true, "a wildcard value"},
		{"kube-system", map[string]string{"k8s-*": "kube-dns"}, true, "a wildcard key"},
		{"kube-system", map[string]string{"k8s-app": "kube-dns", "tier": "web"}, false, "every label must match"},
		{"kube-system", map[string]string{"missing": "*"}, false, "a key the pod lacks"},
	}
	for _, tt := range tests {
		if got := MatchSelector(tt.ns, tt.labels, "kube-system", pod); got != tt.want {
			t.Errorf("%s: MatchSelector(%q, %v) = %v, want %v", tt.why, tt.ns, tt.labels, got, tt.want)
		}
	}
}
