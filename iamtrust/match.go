package iamtrust

import (
	"strings"
	"unicode/utf8"
)

// wildcardMatch reports whether s matches the IAM pattern p, in which '*'
// matches any run of characters, including none and including '/' and ':',
// and '?' matches exactly one character. With fold, ASCII letters match
// regardless of case. With escaped, a backslash in p makes the character after
// it literal (policy variables such as ${*} produce such patterns). It does
// not allocate.
func wildcardMatch(p, s string, fold, escaped bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				starP, starS = pi, si
				pi++
				continue
			case c == '?':
				_, w := utf8.DecodeRuneInString(s[si:])
				si += w
				pi++
				continue
			case c == '\\' && escaped && pi+1 < len(p):
				if eqByte(p[pi+1], s[si], fold) {
					pi += 2
					si++
					continue
				}
			default:
				if eqByte(c, s[si], fold) {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last star take one more character and try again.
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		si = starS
		pi = starP + 1
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func eqByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return lowerASCII(a) == lowerASCII(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// hasWildcard reports whether s holds '*' or '?' outside the policy variable
// escapes ${*} and ${?}.
func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?':
			return true
		case '$':
			if strings.HasPrefix(s[i:], "${*}") || strings.HasPrefix(s[i:], "${?}") {
				i += 3
			}
		}
	}
	return false
}

// arn is an Amazon Resource Name split into its six parts.
type arn struct {
	partition, service, region, account, resource string
}

// splitARN splits "arn:partition:service:region:account:resource". The
// resource may hold further colons.
func splitARN(s string) (arn, bool) {
	var a arn
	if !strings.HasPrefix(s, "arn:") {
		return a, false
	}
	s = s[len("arn:"):]
	var parts [4]string
	for i := range parts {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return a, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	return arn{parts[0], parts[1], parts[2], parts[3], s}, true
}

// arnMatch matches ARN s against pattern p part by part: each of the first
// five colon-separated parts separately, the resource (the rest) as a whole,
// with wildcards within each, so a '*' never spans parts. A pattern without
// any colon, such as "*", is matched against the whole of s; a pattern with
// fewer than six parts matches nothing. Matching is case-sensitive.
func arnMatch(p, s string, escaped bool) bool {
	if n := strings.Count(p, ":"); n < 5 {
		return n == 0 && wildcardMatch(p, s, false, escaped)
	}
	for range 5 {
		pj, sj := strings.IndexByte(p, ':'), strings.IndexByte(s, ':')
		if sj < 0 {
			return false
		}
		if !wildcardMatch(p[:pj], s[:sj], false, escaped) {
			return false
		}
		p, s = p[pj+1:], s[sj+1:]
	}
	return wildcardMatch(p, s, false, escaped)
}

// hasVariable reports whether s holds a policy variable.
func hasVariable(s string) bool {
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i+1 >= len(s) {
			return false
		}
		if s[i+1] == '{' {
			return true
		}
		s = s[i+1:]
	}
}

// isPattern reports whether s holds a wildcard character.
func isPattern(s string) bool {
	return strings.IndexByte(s, '*') >= 0 || strings.IndexByte(s, '?') >= 0
}

// substitute replaces the policy variables in s with their values from ctx:
// ${key} and ${key, 'default'}, and the escapes ${*}, ${?} and ${$} for the
// literal characters. With like, the result is a pattern for wildcardMatch
// in escaped mode: substituted text is escaped so that it matches literally
// while the '*' and '?' written in s stay wildcards. It reports false, with
// the first unresolved variable, when a key is absent from ctx (or has other
// than one value) and has no default. A "${" without a closing brace is
// literal text.
func substitute(s string, ctx map[string][]string, like bool) (out string, unresolved string, ok bool) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	lit := func(t string, escape bool) {
		if !like {
			b.WriteString(t)
			return
		}
		for i := 0; i < len(t); i++ {
			c := t[i]
			if c == '\\' || (escape && (c == '*' || c == '?')) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit(s, false)
			return b.String(), "", true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			lit(s, false)
			return b.String(), "", true
		}
		lit(s[:i], false)
		inner := s[i+2 : i+j]
		switch inner {
		case "*", "?", "$":
			lit(inner, true)
		default:
			key, def, hasDef := inner, "", false
			if k := strings.IndexByte(inner, ','); k >= 0 {
				d := strings.TrimSpace(inner[k+1:])
				if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
					key, def, hasDef = inner[:k], d[1:len(d)-1], true
				}
			}
			key = strings.TrimSpace(key)
			if v, found := lookup(ctx, key); found && len(v) == 1 {
				lit(v[0], true)
			} else if hasDef {
				lit(def, true)
			} else {
				return "", s[i : i+j+1], false
			}
		}
		s = s[i+j+1:]
	}
}

// lookup returns the values of key in ctx, matching key names without regard
// to case. found is false when the key is absent or has no values.
func lookup(ctx map[string][]string, key string) (vals []string, found bool) {
	if v, ok := ctx[key]; ok {
		return v, len(v) > 0
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, len(v) > 0
		}
	}
	return nil, false
}
