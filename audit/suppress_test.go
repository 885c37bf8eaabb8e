package audit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fargatekit/fargatekit/iamtrust"
)

func TestParseSuppressionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, why, doc string
		line           int
		msg            string
	}{
		{"missing reason", "reason, owner and expires are required", "suppressions:\n  - check: PERM-04\n    resource: '*'\n    owner: me\n    expires: 2027-01-01\n", 2, "reason is required"},
		{"missing expires", "no rule lives forever", "suppressions:\n  - check: PERM-04\n    resource: '*'\n    reason: r\n    owner: me\n", 2, "expires is required"},
		{"unknown key", "a typo is an error, never ignored", "suppressions:\n  - check: PERM-04\n    resource: '*'\n    reason: r\n    owner: me\n    expires: 2027-01-01\n    expiry: 2027-02-01\n", 7, `unknown key "expiry"`},
		{"bad date", "dates are YYYY-MM-DD", "suppressions:\n  - check: PERM-04\n    resource: '*'\n    reason: r\n    owner: me\n    expires: 31/01/2027\n", 2, "want a date YYYY-MM-DD"},
		{"repeated key", "a key given twice is ambiguous", "suppressions:\n  - check: PERM-04\n    check: PERM-03\n    resource: '*'\n    reason: r\n    owner: me\n    expires: 2027-01-01\n", 3, "check given twice"},
		{"top-level typo", "the file has one key", "supressions: []\n", 1, `unknown key "supressions"`},
		{"not YAML", "a broken file", "suppressions: [\n", 0, "suppressions:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSuppressions([]byte(tc.doc))
			var se *SuppressionError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("%s: err = %v, want %q", tc.why, err, tc.msg)
			}
			if tc.line > 0 && !strings.Contains(err.Error(), "line "+itoa(tc.line)+":") {
				t.Errorf("%s: %v does not name line %d", tc.why, err, tc.line)
			}
		})
	}
}

func TestApplySuppressions(t *testing.T) {
	doc := `suppressions:
  - check: PERM-04
    resource: arn:aws:iam::123456789012:role/reports-*
    reason: the reporting job reads every bucket by design
    owner: data@example.com
    expires: 2027-06-30
  - check: IAM-02
    resource: arn:aws:iam::123456789012:role/pods
    reason: waiting for the next release
    owner: platform@example.com
    expires: 2026-12-01
  - check: CLU-01
    resource: "arn:aws:eks:us-west-2:123456789012:cluster/*"
    reason: public endpoint needed until the VPN lands
    owner: net@example.com
    expires: 2026-12-10
  - check: FG-01
    resource: "*"
    reason: nothing matches this
    owner: me@example.com
    expires: 2027-12-31
`
	rules, err := ParseSuppressions([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := &Report{Schema: ReportSchema, GeneratedAt: now, Account: "123456789012", Findings: []Finding{
		{Check: "PERM-04", Severity: iamtrust.SeverityMedium, Resource: "arn:aws:iam::123456789012:role/reports-daily"},
		{Check: "PERM-04", Severity: iamtrust.SeverityMedium, Resource: "arn:aws:iam::123456789012:role/other"},
		{Check: "IAM-02", Severity: iamtrust.SeverityHigh, Resource: "arn:aws:iam::123456789012:role/pods"},
		{Check: "CLU-01", Severity: iamtrust.SeverityMedium, Resource: "arn:aws:eks:us-west-2:123456789012:cluster/demo"},
	}}
	r.ApplySuppressions(rules, now)
	var kept, suppressed []string
	for _, f := range r.Findings {
		kept = append(kept, f.Check+" "+f.Resource)
	}
	for _, f := range r.Suppressed {
		suppressed = append(suppressed, f.Finding.Check+" line "+itoa(f.Rule.Line))
	}
	if strings.Join(suppressed, ",") != "PERM-04 line 2,CLU-01 line 12" {
		t.Errorf("suppressed %v", suppressed)
	}
	// The expired IAM-02 rule fails closed: its finding stays and counts.
	if len(kept) != 2 || !strings.Contains(strings.Join(kept, ","), "IAM-02") || r.Summary.Findings != 2 {
		t.Errorf("kept %v (summary %d)", kept, r.Summary.Findings)
	}
	if len(r.ExpiredSuppressions) != 1 || r.ExpiredSuppressions[0].Check != "IAM-02" {
		t.Errorf("expired %+v", r.ExpiredSuppressions)
	}
	if len(r.ExpiringSuppressions) != 1 || r.ExpiringSuppressions[0].Check != "CLU-01" {
		t.Errorf("expiring soon %+v", r.ExpiringSuppressions)
	}
	if len(r.UnusedSuppressions) != 1 || r.UnusedSuppressions[0].Check != "FG-01" {
		t.Errorf("unused %+v", r.UnusedSuppressions)
	}
	// A rule holds through its expiry day, and not a second longer.
	last := time.Date(2026, 12, 10, 23, 59, 59, 0, time.UTC)
	if rules[2].Expired(last) || !rules[2].Expired(last.Add(time.Second)) {
		t.Error("expiry is not the end of the expires day (UTC)")
	}
}

// FuzzParseSuppressions: any input gives rules or a *SuppressionError with
// a line inside the file, never a panic; every rule returned is complete.
func FuzzParseSuppressions(f *testing.F) {
	f.Add("suppressions:\n  - check: PERM-04\n    resource: '*'\n    reason: r\n    owner: o\n    expires: 2027-01-01\n")
	f.Add("suppressions: []\n")
	f.Add("suppressions:\n  - {check: A, resource: 'x[', reason: r, owner: o, expires: bad}\n")
	f.Add("a: b\n---\nc: d\n")
	f.Fuzz(func(t *testing.T, doc string) {
		rules, err := ParseSuppressions([]byte(doc))
		if err != nil {
			var se *SuppressionError
			if !errors.As(err, &se) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if lines := strings.Count(doc, "\n") + 1; se.Line > lines {
				t.Fatalf("line %d beyond the %d lines of the file", se.Line, lines)
			}
			return
		}
		for _, r := range rules {
			if r.Check == "" || r.Resource == "" || r.Reason == "" || r.Owner == "" || r.Expires == "" {
				t.Fatalf("incomplete rule accepted: %+v", r)
			}
		}
	})
}
