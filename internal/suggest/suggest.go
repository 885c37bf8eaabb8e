// Package suggest holds the edit distance behind fargatekit's "did you
// mean" hints. It is plumbing for the CLI and the spec loader, not an API.
package suggest

// Distance is the Levenshtein distance of a and b (byte-wise), or max when
// it is at least max; max <= 0 means no bound.
func Distance(a, b string, max int) int {
	if max > 0 && (len(a)-len(b) >= max || len(b)-len(a) >= max) {
		return max
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	if max > 0 {
		return min(prev[len(b)], max)
	}
	return prev[len(b)]
}
