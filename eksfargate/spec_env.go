package eksfargate

import (
	"bytes"
	"fmt"
	"strings"
)

// ExpandProblem is one reference ExpandEnv could not expand.
type ExpandProblem struct {
	// Line is the 1-based line of the reference in the document.
	Line int `json:"line"`
	// Name is the variable, or "" for a malformed reference.
	Name string `json:"name,omitempty"`
	// Rule says what is wrong.
	Rule string `json:"rule"`
	// Fix says what to do about it.
	Fix string `json:"fix,omitempty"`
}

// String renders "line N: RULE; fix: FIX".
func (p ExpandProblem) String() string {
	s := fmt.Sprintf("line %d: %s", p.Line, p.Rule)
	if p.Fix != "" {
		s += "; fix: " + p.Fix
	}
	return s
}

// ExpandError lists every reference of a document that could not be
// expanded, in document order.
type ExpandError struct {
	// Problems in document order; never empty.
	Problems []ExpandProblem
}

// Error renders one problem per line.
func (e *ExpandError) Error() string {
	if len(e.Problems) == 1 {
		return "eksfargate: spec: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "eksfargate: spec: %d references could not be expanded:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// ExpandEnv expands references to environment variables in a document, as
// LoadSpec does with LoadOptions.Env. The rules are strict on purpose:
//
//   - ${NAME} is replaced by the value lookup returns for NAME. NAME is a
//     letter or underscore followed by letters, digits and underscores.
//   - $$ is a literal $ (so $${NAME} is the literal text ${NAME}).
//   - A $ followed by anything else (a letter, a digit, a space, the end of
//     the document) stays as it is: $HOME is not expanded.
//   - A variable that lookup does not know, or whose value is empty, is an
//     error; so is a value with a line break, which would change the
//     document's structure (and its line numbers).
//   - ${ that does not close on the same line, or encloses anything but a
//     name (${}, ${1X}, ${NAME:-default}), is an error: there are no
//     defaults or other shell forms.
//
// Expansion works on the text, comments included, before the YAML is
// parsed; a value is inserted as it is, so quote the reference ("${NAME}")
// where the value could read as another YAML type. Every problem is
// reported at once in an *ExpandError, each with its 1-based line. A nil
// lookup returns data unchanged.
func ExpandEnv(data []byte, lookup func(name string) (string, bool)) ([]byte, error) {
	if lookup == nil || bytes.IndexByte(data, '$') < 0 {
		return data, nil
	}
	var (
		out      = make([]byte, 0, len(data))
		problems []ExpandProblem
		line     = 1
	)
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			line++
		}
		if c != '$' || i+1 >= len(data) {
			out = append(out, c)
			continue
		}
		switch data[i+1] {
		case '$':
			out = append(out, '$')
			i++
			continue
		case '{':
		default:
			out = append(out, c)
			continue
		}
		// A reference: ${ up to } on the same line.
		end := -1
		for j := i + 2; j < len(data) && data[j] != '\n'; j++ {
			if data[j] == '}' {
				end = j
				break
			}
		}
		if end < 0 {
			problems = append(problems, ExpandProblem{Line: line, Rule: "${ is not closed by } on the same line",
				Fix: "write ${NAME}, or $${ for a literal ${"})
			out = append(out, c)
			continue
		}
		name := string(data[i+2 : end])
		ref := "${" + name + "}"
		i = end
		if !envName(name) {
			problems = append(problems, ExpandProblem{Line: line, Rule: fmt.Sprintf("%s is not a reference to a variable: only ${NAME} is expanded (NAME: letters, digits and _, not starting with a digit; no defaults)", ref),
				Fix: "write ${NAME}, or $" + ref + " for the literal text"})
			continue
		}
		v, ok := lookup(name)
		switch {
		case !ok:
			problems = append(problems, ExpandProblem{Line: line, Name: name, Rule: ref + ": " + name + " is not set in the environment",
				Fix: "set " + name + ", or write $" + ref + " for the literal text"})
		case v == "":
			problems = append(problems, ExpandProblem{Line: line, Name: name, Rule: ref + ": " + name + " is set but empty",
				Fix: "give " + name + " a value, or write the empty value into the file"})
		case strings.ContainsAny(v, "\r\n"):
			problems = append(problems, ExpandProblem{Line: line, Name: name, Rule: ref + ": the value of " + name + " has a line break, which would change the document's structure",
				Fix: "use a value on one line"})
		default:
			out = append(out, v...)
		}
	}
	if len(problems) > 0 {
		return nil, &ExpandError{Problems: problems}
	}
	return out, nil
}

// envName says whether s is a variable name: [A-Za-z_][A-Za-z0-9_]*.
func envName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// secondDocument returns the 1-based line where a second YAML document
// starts, or 0 when data holds at most one. The first document opens at its
// first content or at a "---" marker before it; after that a "---" at the
// start of a line starts another document, and so does content after a
// "..." end marker. The second document counts only when it has content
// (anything but blank lines, comments and markers), so a trailing "---" is
// allowed; its line is that of its "---" when it has one.
func secondDocument(data []byte) int {
	var (
		open   bool // the first document has started
		ended  bool // a "..." or a second "---" closed it
		marker int  // line of the "---" that starts the second document
	)
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := n + 1
		l := bytes.TrimRight(raw, " \t\r")
		if rest, ok := docMarker(l, "---"); ok {
			if !open {
				open = true
				continue
			}
			if marker == 0 {
				marker = line
			}
			ended = true
			if hasContent(rest) {
				return marker
			}
			continue
		}
		if _, ok := docMarker(l, "..."); ok {
			ended = ended || open
			continue
		}
		if !hasContent(l) || (!open && l[0] == '%') {
			continue // blank, a comment, or a directive before the first document
		}
		if ended {
			if marker != 0 {
				return marker
			}
			return line
		}
		open = true
	}
	return 0
}

// docMarker says whether l is the document marker m ("---" or "...") at the
// start of a line, followed by nothing or by white space, and returns the
// rest of the line.
func docMarker(l []byte, m string) ([]byte, bool) {
	if !bytes.HasPrefix(l, []byte(m)) {
		return nil, false
	}
	rest := l[len(m):]
	if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
		return nil, false
	}
	return rest, true
}

// hasContent says whether a line holds more than white space and a
// comment.
func hasContent(l []byte) bool {
	t := bytes.TrimLeft(l, " \t\r")
	return len(t) > 0 && t[0] != '#'
}
