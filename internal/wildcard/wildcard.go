// Package wildcard matches strings against the patterns EKS Fargate profile
// selectors (and the audit's suppression rules) use: '*' matches any run of
// characters (the empty run too) and '?' exactly one character. IAM's own wildcard matching, with its escapes
// and case folding, lives in package iamtrust.
package wildcard

import "unicode/utf8"

// Match reports whether s matches pattern. It does not allocate.
func Match(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0 // position after the last '*', and where it resumed in s
	for si < len(s) {
		if pi < len(pattern) {
			switch pattern[pi] {
			case '*':
				pi++
				star, mark = pi, si
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				pr, pn := utf8.DecodeRuneInString(pattern[pi:])
				sr, sn := utf8.DecodeRuneInString(s[si:])
				if pr == sr {
					pi += pn
					si += sn
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		// Let the last '*' swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[mark:])
		mark += n
		pi, si = star, mark
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// HasWildcard reports whether pattern contains '*' or '?'.
func HasWildcard(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '*' || pattern[i] == '?' {
			return true
		}
	}
	return false
}

// MatchSelector reports whether a pod in namespace with labels is selected
// by a Fargate profile selector (namespacePattern, labelPatterns): the
// namespace matches namespacePattern, and each entry of labelPatterns
// matches some label of the pod (keys and values may use '*' and '?', as
// EKS allows). It is the one implementation of selector matching that
// eksfargate.Selector.Matches and coredns.Selector.Matches share.
func MatchSelector(namespacePattern string, labelPatterns map[string]string, namespace string, labels map[string]string) bool {
	if !Match(namespacePattern, namespace) {
		return false
	}
	for k, v := range labelPatterns {
		if pv, ok := labels[k]; ok && Match(v, pv) {
			continue
		}
		found := false
		if HasWildcard(k) {
			for pk, pv := range labels {
				if Match(k, pk) && Match(v, pv) {
					found = true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}
