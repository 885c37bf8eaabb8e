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
