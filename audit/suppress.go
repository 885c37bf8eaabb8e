package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/fargatekit/fargatekit/internal/wildcard"
)

// ExpiringSoon is how close to its expiry a suppression rule is listed as
// expiring soon.
const ExpiringSoon = 14 * 24 * time.Hour

// Suppression is one rule of a suppressions file: a finding of Check about
// Resource is accepted, for Reason, by Owner, until Expires.
type Suppression struct {
	// Check is a check ID, such as "PERM-04".
	Check string `json:"check" yaml:"check"`
	// Resource is an exact ARN or Kubernetes reference
	// ("CLUSTER:NAMESPACE/KIND/NAME"), or a glob: '*' matches any run of
	// characters ('/' and ':' included, as in IAM), '?' one character.
	Resource string `json:"resource" yaml:"resource"`
	// Reason says why the finding is accepted.
	Reason string `json:"reason" yaml:"reason"`
	// Owner is who accepted it.
	Owner string `json:"owner" yaml:"owner"`
	// Expires is the last day the rule holds (YYYY-MM-DD, UTC): from the
	// next day on the finding counts again.
	Expires string `json:"expires" yaml:"expires"`
	// Line is the rule's line in its file.
	Line int `json:"line,omitempty" yaml:"-"`

	expires time.Time
}

// SuppressedFinding is a finding that a suppression rule accepts.
type SuppressedFinding struct {
	// Finding is the finding.
	Finding Finding `json:"finding"`
	// Rule is the rule that accepts it.
	Rule Suppression `json:"rule"`
}

// SuppressionError is a bad suppressions file, with the line at fault.
type SuppressionError struct {
	// Line is 1-based; 0 when the file as a whole is wrong.
	Line int
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error names the line and what is wrong with it.
func (e *SuppressionError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("suppressions: line %d: %s", e.Line, e.Msg)
	}
	return "suppressions: " + e.Msg
}

// ParseSuppressions reads a suppressions file:
//
//	suppressions:
//	  - check: PERM-04
//	    resource: arn:aws:iam::123456789012:role/reports-*
//	    reason: the reporting job reads every bucket by design (JIRA-123)
//	    owner: data-platform@example.com
//	    expires: 2027-03-31
//
// Every key is required; unknown or repeated keys, a missing value, or a
// date that is not YYYY-MM-DD are errors naming the line. All problems are
// reported at once.
func ParseSuppressions(data []byte) ([]Suppression, error) {
	rules, err := parseSuppressions(data)
	if err != nil {
		// The YAML parser may place an empty document after the last line.
		lines := strings.Count(string(data), "\n") + 1
		var se *SuppressionError
		for _, e := range unjoin(err) {
			if errors.As(e, &se) && se.Line > lines {
				se.Line = lines
			}
		}
	}
	return rules, err
}

// unjoin lists the errors of an errors.Join.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func parseSuppressions(data []byte) ([]Suppression, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &SuppressionError{Msg: err.Error()}
	}
	if len(root.Content) == 0 {
		return nil, &SuppressionError{Msg: "the file is empty; want a list under suppressions:"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &SuppressionError{Line: doc.Line, Msg: "want a mapping with the key suppressions:"}
	}
	var list *yaml.Node
	var errs []error
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "suppressions" {
			errs = append(errs, &SuppressionError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q; the file has one key, suppressions", k.Value)})
			continue
		}
		list = v
	}
	if list == nil {
		errs = append(errs, &SuppressionError{Line: doc.Line, Msg: "no suppressions: key"})
		return nil, errors.Join(errs...)
	}
	if list.Kind != yaml.SequenceNode {
		if list.Tag == "!!null" {
			return nil, errors.Join(errs...)
		}
		errs = append(errs, &SuppressionError{Line: list.Line, Msg: "suppressions: want a list of rules"})
		return nil, errors.Join(errs...)
	}
	var out []Suppression
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			errs = append(errs, &SuppressionError{Line: item.Line, Msg: "want a rule with check, resource, reason, owner and expires"})
			continue
		}
		s := Suppression{Line: item.Line}
		have := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			if have[k.Value] {
				errs = append(errs, &SuppressionError{Line: k.Line, Msg: fmt.Sprintf("%s given twice", k.Value)})
				continue
			}
			have[k.Value] = true
			if v.Kind != yaml.ScalarNode {
				errs = append(errs, &SuppressionError{Line: v.Line, Msg: k.Value + ": want a single value"})
				continue
			}
			switch k.Value {
			case "check":
				s.Check = strings.TrimSpace(v.Value)
			case "resource":
				s.Resource = strings.TrimSpace(v.Value)
			case "reason":
				s.Reason = strings.TrimSpace(v.Value)
			case "owner":
				s.Owner = strings.TrimSpace(v.Value)
			case "expires":
				s.Expires = strings.TrimSpace(v.Value)
			default:
				errs = append(errs, &SuppressionError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q; a rule has check, resource, reason, owner and expires", k.Value)})
			}
		}
		for _, req := range []struct{ key, val, hint string }{
			{"check", s.Check, "the check ID, such as PERM-04"},
			{"resource", s.Resource, `an ARN, a Kubernetes reference or a glob ("*" for every resource)`},
			{"reason", s.Reason, "why the finding is accepted"},
			{"owner", s.Owner, "who accepted it"},
			{"expires", s.Expires, "the last day it holds, YYYY-MM-DD"},
		} {
			if req.val == "" {
				errs = append(errs, &SuppressionError{Line: item.Line, Msg: req.key + " is required: " + req.hint})
			}
		}
		if s.Expires != "" {
			t, err := time.Parse(time.DateOnly, s.Expires)
			if err != nil {
				errs = append(errs, &SuppressionError{Line: item.Line, Msg: fmt.Sprintf("expires %q: want a date YYYY-MM-DD", s.Expires)})
			}
			s.expires = t.Add(24 * time.Hour) // the rule holds through that day
		}
		out = append(out, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// matches reports whether the rule accepts finding f.
func (s Suppression) matches(f Finding) bool {
	if !strings.EqualFold(s.Check, f.Check) {
		return false
	}
	return s.Resource == f.Resource || wildcard.Match(s.Resource, f.Resource)
}

// Expired reports whether the rule no longer holds at now.
func (s Suppression) Expired(now time.Time) bool { return !now.Before(s.expires) }

// ApplySuppressions moves the findings that a rule in force accepts to
// Suppressed. An expired rule fails closed: its findings stay in Findings
// (and count for the exit code) and the rule is listed in
// ExpiredSuppressions. Rules that expire within ExpiringSoon are listed in
// ExpiringSuppressions, rules that match no finding in UnusedSuppressions.
func (r *Report) ApplySuppressions(rules []Suppression, now time.Time) {
	r.Finalize()
	used := make([]bool, len(rules))
	var keep []Finding
	for _, f := range r.Findings {
		suppressed := false
		for i, rule := range rules {
			if !rule.matches(f) {
				continue
			}
			used[i] = true
			if rule.Expired(now) {
				continue
			}
			r.Suppressed = append(r.Suppressed, SuppressedFinding{Finding: f, Rule: rule})
			suppressed = true
			break
		}
		if !suppressed {
			keep = append(keep, f)
		}
	}
	if keep == nil {
		keep = []Finding{}
	}
	r.Findings = keep
	for i, rule := range rules {
		switch {
		case rule.Expired(now):
			r.ExpiredSuppressions = append(r.ExpiredSuppressions, rule)
		case !used[i]:
			r.UnusedSuppressions = append(r.UnusedSuppressions, rule)
		}
		if !rule.Expired(now) && rule.expires.Sub(now) <= ExpiringSoon {
			r.ExpiringSuppressions = append(r.ExpiringSuppressions, rule)
		}
	}
	r.normalize()
}
