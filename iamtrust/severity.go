package iamtrust

import (
	"fmt"
	"strconv"
	"strings"
)

// Severity ranks findings. Higher is worse; the zero value is SeverityInfo.
type Severity int

// Severities, from least to most severe.
const (
	// SeverityInfo is for facts worth knowing that need no action.
	SeverityInfo Severity = iota
	// SeverityLow is for mistakes with little or no security effect.
	SeverityLow
	// SeverityMedium is for weaknesses that need another mistake to be
	// exploited, or that break something.
	SeverityMedium
	// SeverityHigh is for weaknesses that widen who can act.
	SeverityHigh
	// SeverityCritical is for roles that callers outside the intended set
	// can assume.
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name: "info", "low", "medium", "high" or
// "critical".
func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// ParseSeverity parses a severity name, without regard to case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("iamtrust: unknown severity %q; want info, low, medium, high or critical", s)
}

// MarshalText returns the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("iamtrust: invalid severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText parses a severity name with ParseSeverity.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
