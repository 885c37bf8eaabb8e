package irsa

import (
	"slices"
	"strings"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// trustFacts are the parts of a trust policy that a person checks for IRSA.
type trustFacts struct {
	providers  []string // Federated principals
	issuers    []string // issuers named by ISSUER:sub and ISSUER:aud keys
	subjects   []string // ISSUER:sub values
	audiences  []string // ISSUER:aud values
	statements int
	others     []string // other principals ("AWS:…", "Service:…", "*")
}

func factsOf(d *iamtrust.Document) trustFacts {
	var f trustFacts
	add := func(list *[]string, v string) {
		if !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, st := range d.Statement {
		f.statements++
		if st.Principal != nil {
			if st.Principal.Any {
				add(&f.others, "*")
			}
			for _, e := range st.Principal.Entries {
				for _, v := range e.Values.Items {
					if e.Type == iamtrust.PrincipalFederated {
						add(&f.providers, v)
					} else {
						add(&f.others, e.Type+":"+v)
					}
				}
			}
		}
		for _, c := range st.Condition {
			for _, k := range c.Keys {
				key := strings.ToLower(k.Key)
				switch {
				case strings.HasSuffix(key, ":sub"):
					add(&f.issuers, k.Key[:len(k.Key)-len(":sub")])
					for _, v := range k.Values.Items {
						add(&f.subjects, v)
					}
				case strings.HasSuffix(key, ":aud"):
					add(&f.issuers, k.Key[:len(k.Key)-len(":aud")])
					for _, v := range k.Values.Items {
						add(&f.audiences, v)
					}
				}
			}
		}
	}
	for _, l := range []*[]string{&f.providers, &f.issuers, &f.subjects, &f.audiences, &f.others} {
		slices.Sort(*l)
	}
	return f
}

// trustSummary says, in a few words, how a role's live trust differs from
// the IRSA trust the spec wants.
func trustSummary(live *Role, want *iamtrust.Document, hostPath string) string {
	if live.Trust == nil {
		msg := "does not parse"
		if live.TrustErr != nil {
			msg += " (" + live.TrustErr.Error() + ")"
		}
		return msg + "; replace it with the IRSA trust"
	}
	lf, wf := factsOf(live.Trust), factsOf(want)
	var parts []string
	for _, is := range lf.issuers {
		if !strings.EqualFold(is, hostPath) {
			parts = append(parts, "condition keys name issuer "+is+", the cluster's is "+hostPath)
		}
	}
	if !slices.Equal(lf.providers, wf.providers) {
		parts = append(parts, "principal "+orNone(lf.providers)+" → "+orNone(wf.providers))
	}
	if added, removed := setDiff(lf.subjects, wf.subjects); len(added)+len(removed) > 0 {
		var s []string
		for _, v := range removed {
			s = append(s, "+"+v)
		}
		for _, v := range added {
			s = append(s, "-"+v)
		}
		parts = append(parts, "subjects "+strings.Join(s, " "))
	}
	if !slices.Equal(lf.audiences, wf.audiences) {
		parts = append(parts, "audience "+orNone(lf.audiences)+" → "+orNone(wf.audiences))
	}
	if len(lf.others) > 0 {
		parts = append(parts, "other principals "+strings.Join(lf.others, ", ")+" removed")
	}
	if len(parts) == 0 {
		parts = append(parts, "statements, actions or condition operators differ from the IRSA trust")
	}
	return "drifted: " + strings.Join(parts, "; ")
}

// setDiff returns what a has that b lacks, and what b has that a lacks.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	for _, v := range a {
		if !slices.Contains(b, v) {
			onlyA = append(onlyA, v)
		}
	}
	for _, v := range b {
		if !slices.Contains(a, v) {
			onlyB = append(onlyB, v)
		}
	}
	return onlyA, onlyB
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}
