package eksfargate

import "testing"

func TestSelectorMatchesNamespace(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
		why        string
	}{
		{"kube-system", "kube-system", true, "exact"},
		{"kube-*", "kube-system", true, "star suffix"},
		{"*", "kube-system", true, "star alone"},
		{"*-system", "kube-system", true, "star prefix"},
		{"kube-?ystem", "kube-system", true, "question mark is one character"},
		{"kube-??stem", "kube-system", true, "two question marks"},
		{"kube-?", "kube-system", false, "question mark is exactly one"},
		{"k*s*m", "kube-system", true, "backtracking"},
		{"default", "kube-system", false, "other namespace"},
		{"kube-system-*", "kube-system", false, "longer literal"},
		{"", "kube-system", false, "empty pattern"},
		{"[k]ube-system", "kube-system", false, "no character classes in EKS"},
	}
	for _, tt := range tests {
		if got := (Selector{Namespace: tt.pattern}).Matches(tt.s, nil); got != tt.want {
			t.Errorf("%s: Selector{Namespace: %q}.Matches(%q) = %v, want %v", tt.why, tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestSelectorMatchesLabels(t *testing.T) {
	pod := map[string]string{"k8s-app": "kube-dns", "tier": "control"}
	tests := []struct {
		labels map[string]string
		want   bool
		why    string
	}{
		{nil, true, "no labels: the namespace decides"},
		{map[string]string{"k8s-app": "kube-dns"}, true, "a label the pod carries"},
		{map[string]string{"k8s-app": "kube-*"}, true, "a wildcard value"},
		{map[string]string{"k8s-*": "kube-dns"}, true, "a wildcard key"},
		{map[string]string{"k8s-app": "kube-dns", "tier": "web"}, false, "every label must match"},
		{map[string]string{"missing": "*"}, false, "a key the pod lacks"},
	}
	for _, tt := range tests {
		if got := (Selector{Namespace: "kube-system", Labels: tt.labels}).Matches("kube-system", pod); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.why, got, tt.want)
		}
	}
}
