package iamtrust

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a document that is not a well-formed policy: bad JSON,
// an unknown or duplicate key, a trailing comma, an invalid Effect, and so on.
type SyntaxError struct {
	// Line and Column locate the problem, both counted from 1; Column counts
	// characters (Unicode code points), not bytes.
	Line, Column int
	// Element is the path of the policy element that holds the problem, such
	// as "Statement[1].Effect" or "Statement[0].Condition"; empty for the
	// document itself.
	Element string
	// Msg says what is wrong.
	Msg string
}

// Error returns "line L, column C: ELEMENT: MSG".
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(", column ")
	b.WriteString(strconv.Itoa(e.Column))
	b.WriteString(": ")
	if e.Element != "" {
		b.WriteString(e.Element)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Parse parses a policy document written in JSON.
//
// Parse is strict where IAM is: it rejects unknown keys, duplicate keys, an
// Effect other than "Allow" or "Deny" (case-sensitive), a Version other than
// "2012-10-17" or "2008-10-17", a statement without Effect or without Action
// or NotAction, an element together with its Not form, and a trailing comma.
// Condition operators and keys are not checked against a catalogue. A leading
// UTF-8 byte order mark is skipped. Errors are of type *SyntaxError.
func Parse(data []byte) (*Document, error) {
	return parse(string(data))
}

func parse(src string) (*Document, error) {
	p := &parser{s: src}
	p.path = p.pathBuf[:0]
	if strings.HasPrefix(src, "\ufeff") {
		p.pos = len("\ufeff")
	}
	d, err := p.document()
	if err != nil {
		return nil, err
	}
	d.source = src
	return d, nil
}

// segKind is the kind of one step of an element path.
type segKind uint8

const (
	segField segKind = iota // .Name
	segIndex                // [i]
	segKey                  // ["key"]
)

type seg struct {
	kind segKind
	name string
	idx  int
}

type parser struct {
	s       string
	pos     int
	path    []seg
	pathBuf [8]seg
}

func (p *parser) push(s seg) { p.path = append(p.path, s) }
func (p *parser) pop()       { p.path = p.path[:len(p.path)-1] }

func (p *parser) element() string {
	var b strings.Builder
	for i, s := range p.path {
		switch s.kind {
		case segField:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.name)
		case segIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.idx))
			b.WriteByte(']')
		case segKey:
			b.WriteByte('[')
			b.WriteString(strconv.Quote(s.name))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// errAt returns a *SyntaxError at byte offset off for the current element.
func (p *parser) errAt(off int, msg string) error {
	line, col := position(p.s, off)
	return &SyntaxError{Line: line, Column: col, Element: p.element(), Msg: msg}
}

// position converts a byte offset into a 1-based line and column.
func position(s string, off int) (line, col int) {
	if off > len(s) {
		off = len(s)
	}
	line = 1 + strings.Count(s[:off], "\n")
	start := strings.LastIndexByte(s[:off], '\n') + 1
	if start == 0 && strings.HasPrefix(s, "\ufeff") {
		start = len("\ufeff")
		if off < start {
			off = start
		}
	}
	col = 1 + utf8.RuneCountInString(s[start:off])
	return line, col
}

func (p *parser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end of input.
func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

// describe names the next token for error messages.
func (p *parser) describe() string {
	if p.pos >= len(p.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return strconv.QuoteRune(r)
}

// kindName names the JSON kind of the value starting at the current position.
func (p *parser) kindName() string {
	switch p.peek() {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "end of input"
	default:
		if c := p.peek(); c == '-' || (c >= '0' && c <= '9') {
			return "a number"
		}
		return p.describe()
	}
}

// container tracks the members of one JSON object or list while it is read.
type container struct {
	n    int
	open int
}

func (p *parser) openObject(what string) (container, error) {
	if p.peek() != '{' {
		return container{}, p.errAt(p.pos, "want "+what+", found "+p.kindName())
	}
	c := container{open: p.pos}
	p.pos++
	return c, nil
}

// member advances to the next member of an object. It returns the key and
// its offset, or more=false after the closing brace.
func (p *parser) member(c *container) (key string, keyPos int, more bool, err error) {
	p.ws()
	if c.n > 0 {
		switch p.peek() {
		case '}':
			p.pos++
			return "", 0, false, nil
		case ',':
			comma := p.pos
			p.pos++
			p.ws()
			if p.peek() == '}' {
				return "", 0, false, p.errAt(comma, "trailing comma before '}'; JSON does not allow a comma after the last member")
			}
		case 0:
			return "", 0, false, p.errAt(p.pos, "unexpected end of input; want ',' or '}'")
		default:
			return "", 0, false, p.errAt(p.pos, "want ',' or '}' after object member, found "+p.describe())
		}
	} else if p.peek() == '}' {
		p.pos++
		return "", 0, false, nil
	}
	if p.peek() != '"' {
		if p.peek() == 0 {
			return "", 0, false, p.errAt(p.pos, "unexpected end of input; want a key")
		}
		return "", 0, false, p.errAt(p.pos, "want a quoted key, found "+p.describe())
	}
	keyPos = p.pos
	key, err = p.str()
	if err != nil {
		return "", 0, false, err
	}
	p.ws()
	if p.peek() != ':' {
		return "", 0, false, p.errAt(p.pos, "want ':' after key "+strconv.Quote(key)+", found "+p.describe())
	}
	p.pos++
	p.ws()
	c.n++
	return key, keyPos, true, nil
}

func (p *parser) openList() container {
	c := container{open: p.pos}
	p.pos++
	return c
}

// elem advances to the next element of a list, or returns more=false after
// the closing bracket.
func (p *parser) elem(c *container) (more bool, err error) {
	p.ws()
	if c.n > 0 {
		switch p.peek() {
		case ']':
			p.pos++
			return false, nil
		case ',':
			comma := p.pos
			p.pos++
			p.ws()
			if p.peek() == ']' {
				return false, p.errAt(comma, "trailing comma before ']'; JSON does not allow a comma after the last element")
			}
		case 0:
			return false, p.errAt(p.pos, "unexpected end of input; want ',' or ']'")
		default:
			return false, p.errAt(p.pos, "want ',' or ']' after list element, found "+p.describe())
		}
	} else if p.peek() == ']' {
		p.pos++
		return false, nil
	}
	c.n++
	return true, nil
}

// str reads a JSON string at the current position. Strings without escapes
// are returned as substrings of the source, without allocating.
func (p *parser) str() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	i := p.pos
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return p.s[start+1 : i], nil
		case c == '\\':
			return p.strSlow(start, i)
		case c < 0x20:
			return "", p.errAt(i, "control character "+strconv.QuoteRune(rune(c))+" in string; escape it")
		case c < utf8.RuneSelf:
			i++
		default:
			r, w := utf8.DecodeRuneInString(p.s[i:])
			if r == utf8.RuneError && w == 1 {
				return "", p.errAt(i, "invalid UTF-8 in string")
			}
			i += w
		}
	}
	return "", p.errAt(start, "unterminated string")
}

// strSlow decodes a string holding escapes; i is the offset of the first
// backslash.
func (p *parser) strSlow(start, i int) (string, error) {
	var b strings.Builder
	b.WriteString(p.s[start+1 : i])
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return b.String(), nil
		case c == '\\':
			if i+1 >= len(p.s) {
				return "", p.errAt(start, "unterminated string")
			}
			e := p.s[i+1]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
				i += 2
			case 'b':
				b.WriteByte('\b')
				i += 2
			case 'f':
				b.WriteByte('\f')
				i += 2
			case 'n':
				b.WriteByte('\n')
				i += 2
			case 'r':
				b.WriteByte('\r')
				i += 2
			case 't':
				b.WriteByte('\t')
				i += 2
			case 'u':
				r, ok := hex4(p.s, i+2)
				if !ok {
					return "", p.errAt(i, `invalid \u escape; want four hex digits`)
				}
				i += 6
				if r >= 0xD800 && r < 0xDC00 {
					// High surrogate: combine with a following low one.
					if i+1 < len(p.s) && p.s[i] == '\\' && p.s[i+1] == 'u' {
						if r2, ok := hex4(p.s, i+2); ok && r2 >= 0xDC00 && r2 < 0xE000 {
							r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
							i += 6
						} else {
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xDC00 && r < 0xE000 {
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default:
				return "", p.errAt(i, "invalid escape "+strconv.Quote(p.s[i:i+2])+" in string")
			}
		case c < 0x20:
			return "", p.errAt(i, "control character "+strconv.QuoteRune(rune(c))+" in string; escape it")
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, w := utf8.DecodeRuneInString(p.s[i:])
			if r == utf8.RuneError && w == 1 {
				return "", p.errAt(i, "invalid UTF-8 in string")
			}
			b.WriteString(p.s[i : i+w])
			i += w
		}
	}
	return "", p.errAt(start, "unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// literal reads a JSON number, true, false or null and returns its text.
func (p *parser) literal() (string, error) {
	start := p.pos
	switch c := p.peek(); {
	case c == 't':
		return p.word("true")
	case c == 'f':
		return p.word("false")
	case c == 'n':
		return p.word("null")
	case c == '-' || (c >= '0' && c <= '9'):
		i := p.pos
		if p.s[i] == '-' {
			i++
		}
		digits := func() bool {
			j := i
			for i < len(p.s) && p.s[i] >= '0' && p.s[i] <= '9' {
				i++
			}
			return i > j
		}
		if i < len(p.s) && p.s[i] == '0' {
			i++
		} else if !digits() {
			return "", p.errAt(start, "invalid number")
		}
		if i < len(p.s) && p.s[i] == '.' {
			i++
			if !digits() {
				return "", p.errAt(start, "invalid number")
			}
		}
		if i < len(p.s) && (p.s[i] == 'e' || p.s[i] == 'E') {
			i++
			if i < len(p.s) && (p.s[i] == '+' || p.s[i] == '-') {
				i++
			}
			if !digits() {
				return "", p.errAt(start, "invalid number")
			}
		}
		p.pos = i
		return p.s[start:i], nil
	case c == 0:
		return "", p.errAt(p.pos, "unexpected end of input; want a value")
	default:
		return "", p.errAt(p.pos, "invalid character "+p.describe()+"; want a value")
	}
}

func (p *parser) word(w string) (string, error) {
	if strings.HasPrefix(p.s[p.pos:], w) {
		p.pos += len(w)
		return w, nil
	}
	return "", p.errAt(p.pos, "invalid character "+p.describe()+"; want a value")
}

// Keys of the document and statement objects, as bits for duplicate checks.
const (
	keyVersion = 1 << iota
	keyID
	keyStatement
)

const (
	keySid = 1 << iota
	keyEffect
	keyPrincipal
	keyNotPrincipal
	keyAction
	keyNotAction
	keyResource
	keyNotResource
	keyCondition
)

var documentKeys = []string{"Version", "Id", "Statement"}

var statementKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

var principalTypes = []string{PrincipalAWS, PrincipalService, PrincipalFederated, PrincipalCanonicalUser}

// unknownKey builds the message for a key that is not in want.
func unknownKey(key string, want []string) string {
	msg := "unknown key " + strconv.Quote(key)
	for _, w := range want {
		if strings.EqualFold(w, key) {
			return msg + " (keys are case-sensitive: did you mean " + strconv.Quote(w) + "?)"
		}
	}
	return msg + "; want one of " + strings.Join(want, ", ")
}

func (p *parser) document() (*Document, error) {
	p.ws()
	docPos := p.pos
	c, err := p.openObject("a policy document (a JSON object)")
	if err != nil {
		return nil, err
	}
	d := &Document{}
	var seen int
	for {
		key, keyPos, more, err := p.member(&c)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		var bit int
		switch key {
		case "Version":
			bit = keyVersion
		case "Id":
			bit = keyID
		case "Statement":
			bit = keyStatement
		default:
			return nil, p.errAt(keyPos, unknownKey(key, documentKeys))
		}
		if seen&bit != 0 {
			return nil, p.errAt(keyPos, "duplicate key "+strconv.Quote(key))
		}
		seen |= bit
		p.push(seg{kind: segField, name: key})
		switch bit {
		case keyVersion:
			vpos := p.pos
			if d.Version, err = p.stringValue(); err != nil {
				return nil, err
			}
			if d.Version != VersionCurrent && d.Version != VersionLegacy {
				return nil, p.errAt(vpos, "invalid version "+strconv.Quote(d.Version)+`; want "2012-10-17" (or the legacy "2008-10-17")`)
			}
		case keyID:
			if d.ID, err = p.stringValue(); err != nil {
				return nil, err
			}
		case keyStatement:
			if err := p.statements(d); err != nil {
				return nil, err
			}
		}
		p.pop()
	}
	if seen&keyStatement == 0 {
		return nil, p.errAt(docPos, "missing Statement")
	}
	p.ws()
	if p.pos < len(p.s) {
		return nil, p.errAt(p.pos, "unexpected "+p.describe()+" after the end of the document")
	}
	return d, nil
}

func (p *parser) stringValue() (string, error) {
	if p.peek() != '"' {
		return "", p.errAt(p.pos, "want a string, found "+p.kindName())
	}
	return p.str()
}

func (p *parser) statements(d *Document) error {
	switch p.peek() {
	case '{':
		d.SingleStatement = true
		d.Statement = make([]Statement, 1)
		p.push(seg{kind: segIndex})
		err := p.statement(&d.Statement[0])
		p.pop()
		return err
	case '[':
	default:
		return p.errAt(p.pos, "want a statement object or a list of them, found "+p.kindName())
	}
	c := p.openList()
	d.Statement = make([]Statement, 0, 2)
	for {
		more, err := p.elem(&c)
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
		d.Statement = append(d.Statement, Statement{})
		p.push(seg{kind: segIndex, idx: len(d.Statement) - 1})
		if err := p.statement(&d.Statement[len(d.Statement)-1]); err != nil {
			return err
		}
		p.pop()
	}
}

func (p *parser) statement(st *Statement) error {
	stPos := p.pos
	c, err := p.openObject("a statement object")
	if err != nil {
		return err
	}
	var seen int
	var pos [9]int
	for {
		key, keyPos, more, err := p.member(&c)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		bit := 0
		for i, k := range statementKeys {
			if k == key {
				bit = 1 << i
				pos[i] = keyPos
				break
			}
		}
		if bit == 0 {
			return p.errAt(keyPos, unknownKey(key, statementKeys))
		}
		if seen&bit != 0 {
			return p.errAt(keyPos, "duplicate key "+strconv.Quote(key))
		}
		seen |= bit
		p.push(seg{kind: segField, name: key})
		switch bit {
		case keySid:
			st.Sid, err = p.stringValue()
		case keyEffect:
			epos := p.pos
			var e string
			if e, err = p.stringValue(); err == nil {
				st.Effect = Effect(e)
				if st.Effect != EffectAllow && st.Effect != EffectDeny {
					err = p.errAt(epos, "invalid effect "+strconv.Quote(e)+`; want "Allow" or "Deny" (case-sensitive)`)
				}
			}
		case keyPrincipal:
			st.Principal, err = p.principals()
		case keyNotPrincipal:
			st.NotPrincipal, err = p.principals()
		case keyAction:
			st.Action, err = p.values(false)
		case keyNotAction:
			st.NotAction, err = p.values(false)
		case keyResource:
			st.Resource, err = p.values(false)
		case keyNotResource:
			st.NotResource, err = p.values(false)
		case keyCondition:
			st.Condition, err = p.conditions()
		}
		if err != nil {
			return err
		}
		p.pop()
	}
	// Index into pos: Sid 0, Effect 1, Principal 2, NotPrincipal 3,
	// Action 4, NotAction 5, Resource 6, NotResource 7.
	for _, pair := range [...][2]int{{2, 3}, {4, 5}, {6, 7}} {
		a, b := 1<<pair[0], 1<<pair[1]
		if seen&a != 0 && seen&b != 0 {
			return p.errAt(max(pos[pair[0]], pos[pair[1]]), statementKeys[pair[0]]+" and "+statementKeys[pair[1]]+" cannot be used together")
		}
	}
	switch {
	case seen&keyEffect == 0:
		return p.errAt(stPos, "missing Effect")
	case seen&(keyAction|keyNotAction) == 0:
		return p.errAt(stPos, "missing Action (or NotAction)")
	}
	return nil
}

func (p *parser) principals() (*Principals, error) {
	switch p.peek() {
	case '"':
		vpos := p.pos
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, p.errAt(vpos, `want "*" or an object of principal types, found the string `+strconv.Quote(s))
		}
		return &Principals{Any: true}, nil
	case '{':
	default:
		return nil, p.errAt(p.pos, `want "*" or an object of principal types, found `+p.kindName())
	}
	c, _ := p.openObject("")
	pr := &Principals{Entries: make([]PrincipalEntry, 0, 1)}
	for {
		key, keyPos, more, err := p.member(&c)
		if err != nil {
			return nil, err
		}
		if !more {
			return pr, nil
		}
		known := false
		for _, t := range principalTypes {
			if t == key {
				known = true
				break
			}
		}
		if !known {
			return nil, p.errAt(keyPos, unknownKey(key, principalTypes))
		}
		for _, e := range pr.Entries {
			if e.Type == key {
				return nil, p.errAt(keyPos, "duplicate key "+strconv.Quote(key))
			}
		}
		p.push(seg{kind: segField, name: key})
		v, err := p.values(false)
		if err != nil {
			return nil, err
		}
		p.pop()
		pr.Entries = append(pr.Entries, PrincipalEntry{Type: key, Values: v})
	}
}

// values reads a string or a list of strings. With literals, JSON numbers
// and booleans are accepted too and kept in their string form.
func (p *parser) values(literals bool) (Values, error) {
	what := "a string or a list of strings"
	if literals {
		what = "a string, number or boolean, or a list of them"
	}
	one := func() (string, bool, error) {
		switch c := p.peek(); {
		case c == '"':
			s, err := p.str()
			return s, false, err
		case literals && (c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9')):
			s, err := p.literal()
			return s, true, err
		default:
			return "", false, p.errAt(p.pos, "want "+what+", found "+p.kindName())
		}
	}
	if p.peek() != '[' {
		s, bare, err := one()
		if err != nil {
			return Values{}, err
		}
		return Values{Items: []string{s}, Single: true, Bare: bare}, nil
	}
	c := p.openList()
	v := Values{Items: make([]string, 0, 2), Bare: true}
	for {
		more, err := p.elem(&c)
		if err != nil {
			return Values{}, err
		}
		if !more {
			break
		}
		p.push(seg{kind: segIndex, idx: len(v.Items)})
		s, bare, err := one()
		if err != nil {
			return Values{}, err
		}
		p.pop()
		v.Bare = v.Bare && bare
		v.Items = append(v.Items, s)
	}
	if len(v.Items) == 0 {
		v.Bare = false
	}
	return v, nil
}

func (p *parser) conditions() ([]Condition, error) {
	c, err := p.openObject("an object of condition operators")
	if err != nil {
		return nil, err
	}
	conds := make([]Condition, 0, 2)
	for {
		op, opPos, more, err := p.member(&c)
		if err != nil {
			return nil, err
		}
		if !more {
			return conds, nil
		}
		for _, b := range conds {
			if b.Operator == op {
				return nil, p.errAt(opPos, "duplicate condition operator "+strconv.Quote(op))
			}
		}
		p.push(seg{kind: segField, name: op})
		kc, err := p.openObject("an object of condition keys")
		if err != nil {
			return nil, err
		}
		keys := make([]ConditionKey, 0, 2)
		for {
			key, keyPos, more, err := p.member(&kc)
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
			for _, k := range keys {
				if k.Key == key {
					return nil, p.errAt(keyPos, "duplicate condition key "+strconv.Quote(key))
				}
			}
			p.push(seg{kind: segKey, name: key})
			v, err := p.values(true)
			if err != nil {
				return nil, err
			}
			p.pop()
			keys = append(keys, ConditionKey{Key: key, Values: v})
		}
		p.pop()
		conds = append(conds, Condition{Operator: op, Keys: keys})
	}
}
