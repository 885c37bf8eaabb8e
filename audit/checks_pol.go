package audit

import (
	"regexp"
	"sort"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// policyDoc is one policy document the audit read: a trust policy, an
// inline policy or a customer managed policy's default version.
type policyDoc struct {
	resource string // the role or policy ARN
	what     string // "trust policy", "inline policy NAME", "managed policy NAME (vN)"
	doc      *iamtrust.Document
	err      string
}

// policyDocs lists every document of the snapshot in a stable order.
func policyDocs(s *Snapshot) []policyDoc {
	var out []policyDoc
	for _, r := range s.Roles {
		out = append(out, policyDoc{r.ARN, "trust policy", r.Trust, r.TrustError})
		for _, p := range r.InlinePolicies {
			out = append(out, policyDoc{r.ARN, "inline policy " + p.Name, p.Doc, p.Error})
		}
	}
	arns := make([]string, 0, len(s.Policies))
	for a := range s.Policies {
		arns = append(arns, a)
	}
	sort.Strings(arns)
	for _, a := range arns {
		p := s.Policies[a]
		out = append(out, policyDoc{a, "managed policy " + p.Name + " (" + p.DefaultVersion + ")", p.Doc, p.Error})
	}
	return out
}

func runPOL01(s *Snapshot) []Finding {
	var out []Finding
	for _, d := range policyDocs(s) {
		if d.doc != nil {
			continue
		}
		f := newFinding("POL-01", iamtrust.SeverityMedium, nil, d.resource, "the "+d.what+" does not parse, so no check could examine it: "+d.err)
		f.Expected = "a policy document in the documented grammar"
		f.Actual = d.err
		out = append(out, f)
	}
	return out
}

func runPOL02(s *Snapshot) []Finding {
	var out []Finding
	for _, d := range policyDocs(s) {
		if d.doc == nil {
			continue
		}
		for _, lf := range iamtrust.Lint(d.doc, iamtrust.LintOptions{}) {
			if lf.Check != "POL-02" {
				continue
			}
			f := newFinding("POL-02", lf.Severity, nil, d.resource, "the "+d.what+": "+lf.Message)
			f.Expected = `"Version": "2012-10-17"`
			f.Actual = versionText(d.doc.Version)
			out = append(out, f)
		}
	}
	return out
}

func versionText(v string) string {
	if v == "" {
		return "Version absent"
	}
	return `"Version": "` + v + `"`
}

// uniqueID matches the unique IDs IAM puts in place of deleted roles (AROA)
// and users (AIDA).
var uniqueID = regexp.MustCompile(`^(AROA|AIDA)[A-Z0-9]{12,}$`)

func runIAM06(s *Snapshot) []Finding {
	var out []Finding
	for _, r := range s.Roles {
		if r.Trust == nil {
			continue
		}
		var ids []string
		for _, st := range r.Trust.Statement {
			for _, p := range []*iamtrust.Principals{st.Principal, st.NotPrincipal} {
				if p == nil {
					continue
				}
				for _, e := range p.Entries {
					if e.Type != iamtrust.PrincipalAWS {
						continue
					}
					for _, v := range e.Values.Items {
						if uniqueID.MatchString(v) {
							ids = append(ids, v)
						}
					}
				}
			}
		}
		if len(ids) == 0 {
			continue
		}
		f := newFinding("IAM-06", iamtrust.SeverityLow, nil, r.ARN,
			"the trust policy names "+list(ids)+": the unique ID of a deleted principal; a principal re-created with the same name does not match it")
		f.Expected = "ARNs of existing principals"
		f.Actual = list(ids)
		out = append(out, f)
	}
	return out
}
