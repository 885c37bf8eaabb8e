package iamtrust

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opBase is a condition operator without its set prefix and IfExists suffix.
type opBase uint8

const (
	opUnknown opBase = iota
	opStringEquals
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
)

// opByName returns the operator named name, or opUnknown.
func opByName(name string) opBase {
	switch name {
	case "StringEquals":
		return opStringEquals
	case "StringNotEquals":
		return opStringNotEquals
	case "StringEqualsIgnoreCase":
		return opStringEqualsIgnoreCase
	case "StringNotEqualsIgnoreCase":
		return opStringNotEqualsIgnoreCase
	case "StringLike":
		return opStringLike
	case "StringNotLike":
		return opStringNotLike
	case "NumericEquals":
		return opNumericEquals
	case "NumericNotEquals":
		return opNumericNotEquals
	case "NumericLessThan":
		return opNumericLessThan
	case "NumericLessThanEquals":
		return opNumericLessThanEquals
	case "NumericGreaterThan":
		return opNumericGreaterThan
	case "NumericGreaterThanEquals":
		return opNumericGreaterThanEquals
	case "DateEquals":
		return opDateEquals
	case "DateNotEquals":
		return opDateNotEquals
	case "DateLessThan":
		return opDateLessThan
	case "DateLessThanEquals":
		return opDateLessThanEquals
	case "DateGreaterThan":
		return opDateGreaterThan
	case "DateGreaterThanEquals":
		return opDateGreaterThanEquals
	case "Bool":
		return opBool
	case "IpAddress":
		return opIPAddress
	case "NotIpAddress":
		return opNotIPAddress
	case "ArnEquals":
		return opArnEquals
	case "ArnLike":
		return opArnLike
	case "ArnNotEquals":
		return opArnNotEquals
	case "ArnNotLike":
		return opArnNotLike
	case "Null":
		return opNull
	}
	return opUnknown
}

// setKind is a condition operator's set prefix.
type setKind uint8

const (
	setNone setKind = iota
	setAnyValue
	setAllValues
)

// operator is a parsed condition operator name.
type operator struct {
	base     opBase
	set      setKind
	ifExists bool
}

// parseOperator parses a condition operator name such as
// "ForAnyValue:StringLikeIfExists". Operator names are case-sensitive; an
// unknown one has base opUnknown.
func parseOperator(name string) operator {
	var op operator
	if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		op.set, name = setAnyValue, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		op.set, name = setAllValues, rest
	}
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok && rest != "Null" {
		op.ifExists, name = true, rest
	}
	op.base = opByName(name)
	return op
}

// negated reports whether the operator is the negation of another: it holds
// when the request value matches none of the policy values.
func (op operator) negated() bool {
	switch op.base {
	case opStringNotEquals, opStringNotEqualsIgnoreCase, opStringNotLike, opNumericNotEquals,
		opDateNotEquals, opNotIPAddress, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

func (op operator) ignoreCase() bool {
	return op.base == opStringEqualsIgnoreCase || op.base == opStringNotEqualsIgnoreCase
}

// like reports whether the operator's policy values are wildcard patterns.
func (op operator) like() bool {
	switch op.base {
	case opStringLike, opStringNotLike, opArnEquals, opArnLike, opArnNotEquals, opArnNotLike:
		return true
	}
	return false
}

// stringEquality reports whether the operator compares strings literally, so
// that '*' and '?' in its values are plain characters.
func (op operator) stringEquality() bool {
	switch op.base {
	case opStringEquals, opStringNotEquals, opStringEqualsIgnoreCase, opStringNotEqualsIgnoreCase:
		return true
	}
	return false
}

// positiveString reports whether the operator restricts a string key to the
// listed values: a String, Arn operator that is not negated.
func (op operator) positiveString() bool {
	switch op.base {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnEquals, opArnLike:
		return true
	}
	return false
}

// match reports whether request value rv matches policy value pv under the
// operator, ignoring negation (a negated operator matches like its positive
// form; the caller negates). escaped says pv is an escaped pattern made by
// substitute.
func (op operator) match(pv, rv string, escaped bool) bool {
	switch op.base {
	case opStringEquals, opStringNotEquals:
		return pv == rv
	case opStringEqualsIgnoreCase, opStringNotEqualsIgnoreCase:
		return strings.EqualFold(pv, rv)
	case opStringLike, opStringNotLike:
		return wildcardMatch(pv, rv, false, escaped)
	case opArnEquals, opArnLike, opArnNotEquals, opArnNotLike:
		return arnMatch(pv, rv, escaped)
	case opBool:
		return strings.EqualFold(pv, rv)
	case opNumericEquals, opNumericNotEquals, opNumericLessThan, opNumericLessThanEquals,
		opNumericGreaterThan, opNumericGreaterThanEquals:
		p, err1 := strconv.ParseFloat(pv, 64)
		r, err2 := strconv.ParseFloat(rv, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return compareOrdered(op.base-opNumericEquals, cmpFloat(r, p))
	case opDateEquals, opDateNotEquals, opDateLessThan, opDateLessThanEquals,
		opDateGreaterThan, opDateGreaterThanEquals:
		p, ok1 := parseDate(pv)
		r, ok2 := parseDate(rv)
		if !ok1 || !ok2 {
			return false
		}
		return compareOrdered(op.base-opDateEquals, r.Compare(p))
	case opIPAddress, opNotIPAddress:
		addr, err := netip.ParseAddr(rv)
		if err != nil {
			return false
		}
		if pfx, err := netip.ParsePrefix(pv); err == nil {
			return pfx.Contains(addr.Unmap())
		}
		a, err := netip.ParseAddr(pv)
		return err == nil && a.Unmap() == addr.Unmap()
	}
	return false
}

// compareOrdered applies the k-th of Equals, NotEquals, LessThan,
// LessThanEquals, GreaterThan, GreaterThanEquals to c, the comparison of the
// request value with the policy value. NotEquals is reported as Equals; the
// caller negates.
func compareOrdered(k opBase, c int) bool {
	switch k {
	case 0, 1:
		return c == 0
	case 2:
		return c < 0
	case 3:
		return c <= 0
	case 4:
		return c > 0
	default:
		return c >= 0
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseDate parses an ISO 8601 date and time (RFC 3339, or a date alone), or
// a count of seconds since the Unix epoch.
func parseDate(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
