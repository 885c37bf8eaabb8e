package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		max  int
		want int
		why  string
	}{
		{"us-east-1", "us-east-1", 0, 0, "same"},
		{"us-east1", "us-east-1", 0, 1, "one insertion"},
		{"us-est-1", "us-east-1", 0, 1, "one deletion"},
		{"us-west-2", "us-west-1", 0, 1, "one substitution"},
		{"", "abc", 0, 3, "empty"},
		{"a", "abcdef", 3, 3, "bounded by length difference"},
		{"abcd", "wxyz", 2, 2, "bounded result"},
	} {
		if got := Distance(tc.a, tc.b, tc.max); got != tc.want {
			t.Errorf("%s: Distance(%q, %q, %d) = %d, want %d", tc.why, tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}
