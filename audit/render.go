package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// SARIFVersion is the version of the SARIF documents WriteSARIF writes.
const SARIFVersion = "2.1.0"

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s iamtrust.Severity) string {
	switch {
	case s >= iamtrust.SeverityHigh:
		return "error"
	case s == iamtrust.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is the CVSS-like score code-scanning tools sort by.
func securitySeverity(s iamtrust.Severity) string {
	switch s {
	case iamtrust.SeverityCritical:
		return "9.5"
	case iamtrust.SeverityHigh:
		return "8.0"
	case iamtrust.SeverityMedium:
		return "5.5"
	case iamtrust.SeverityLow:
		return "3.0"
	}
	return "0.0"
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string         `json:"level"`
	Message    sarifText      `json:"message"`
	Descriptor map[string]any `json:"descriptor"`
	Locations  []sarifLoc     `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLoc        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	BaselineState       string            `json:"baselineState,omitempty"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLoc struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func logical(resource string) []sarifLoc {
	name := resource
	if i := strings.LastIndexAny(resource, "/:"); i >= 0 && i < len(resource)-1 {
		name = resource[i+1:]
	}
	return []sarifLoc{{LogicalLocations: []sarifLogical{{Name: name, FullyQualifiedName: resource, Kind: "resource"}}}}
}

// WriteSARIF writes the report as a SARIF 2.1.0 log: one run whose rules are
// the checks that ran (with helpUri to the AWS documentation), whose results
// are the findings (levels error for high and critical, warning for medium,
// note for low and info; locations are logical locations naming the
// resource), and whose invocation lists the incomplete checks as
// notifications.
func WriteSARIF(w io.Writer, r *Report) error {
	return WriteSARIFWith(w, r, SARIFOptions{})
}

// SARIFOptions are the settings of WriteSARIFWith; the zero value is
// WriteSARIF's.
type SARIFOptions struct {
	// ToolVersion fills tool.driver.version, such as "v1.4.0"; empty
	// leaves it out.
	ToolVersion string
	// SpecFile is the spec the audit compared with (-f), as a
	// repository-relative path; SpecData its content. Results then point at
	// the line of the spec field each check is about. Without it, each
	// result points at a stable path per account, region and cluster
	// (SARIFLocation), since GitHub code scanning rejects results without
	// a physical location.
	SpecFile string
	SpecData []byte
}

// SARIFLocation is the stable, repository-relative path a result without a
// spec points at: fargatekit/ACCOUNT/REGION/CLUSTER (or "account" for
// account-wide findings).
func SARIFLocation(f Finding) string {
	region, cluster := f.Region, "account"
	if f.Cluster != "" {
		if i := strings.LastIndex(f.Cluster, ":cluster/"); i >= 0 {
			cluster = f.Cluster[i+len(":cluster/"):]
		}
		if parts := strings.Split(f.Cluster, ":"); len(parts) > 3 && region == "" {
			region = parts[3]
		}
	}
	if region == "" {
		region = "global"
	}
	acct := f.Account
	if acct == "" {
		acct = "unknown-account"
	}
	return "fargatekit/" + acct + "/" + region + "/" + cluster
}

// specField is the top-level spec key a check is about.
func specField(check string) string {
	switch {
	case check == "IAM-01":
		return "clusterRole"
	case check == "IAM-02", check == "IAM-03", check == "IAM-04":
		return "podExecutionRole"
	case check == "IAM-05", strings.HasPrefix(check, "ACC-"):
		return "access"
	case strings.HasPrefix(check, "CLU-"):
		return "cluster"
	case strings.HasPrefix(check, "NET-"):
		return "network"
	case strings.HasPrefix(check, "FG-"):
		return "fargateProfiles"
	case strings.HasPrefix(check, "IRSA-"):
		return "irsa"
	case strings.HasPrefix(check, "PERM-"), strings.HasPrefix(check, "TRUST-"), strings.HasPrefix(check, "QUOTA-"):
		return "podExecutionRole"
	}
	return "name"
}

// specLines maps the spec's top-level keys to their lines.
func specLines(data []byte) map[string]int {
	out := map[string]int{}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return out
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i].Line
	}
	return out
}

// location is a result's location: the spec line, or the stable path.
func (o SARIFOptions) location(f Finding, lines map[string]int) []sarifLoc {
	locs := logical(f.Resource)
	if o.SpecFile != "" {
		line := lines[specField(f.Check)]
		if line == 0 {
			line = max(1, lines["name"])
		}
		locs[0].PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: o.SpecFile}, Region: &sarifRegion{StartLine: line}}
		return locs
	}
	locs[0].PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: SARIFLocation(f)}, Region: &sarifRegion{StartLine: 1}}
	return locs
}

// WriteSARIFWith is WriteSARIF with options.
func WriteSARIFWith(w io.Writer, r *Report, o SARIFOptions) error {
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: "fargatekit", Version: o.ToolVersion, InformationURI: "https://github.com/fargatekit/fargatekit", Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	addRule := func(c CheckInfo) int {
		if i, ok := index[c.ID]; ok {
			return i
		}
		index[c.ID] = len(run.Tool.Driver.Rules)
		full := c.Rationale
		if full == "" {
			full = c.Title
		}
		help := c.Remedy
		if help == "" {
			help = c.Title
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: c.ID, Name: ruleName(c.Title), ShortDescription: sarifText{c.Title}, FullDescription: sarifText{full},
			Help: sarifText{help}, HelpURI: c.DocURL,
			DefaultConfiguration: map[string]any{"level": sarifLevel(c.Severity)},
			Properties:           map[string]any{"security-severity": securitySeverity(c.Severity), "tags": []string{"security", "eks", "iam"}},
		})
		return index[c.ID]
	}
	for _, c := range r.Checks {
		addRule(c)
	}
	lines := specLines(o.SpecData)
	type result struct {
		f     Finding
		state string
	}
	var results []result
	for _, f := range r.Findings {
		state := ""
		if r.BaselineAt != nil {
			state = "new"
			if f.Status == StatusPersisting {
				state = "unchanged"
			}
		}
		results = append(results, result{f, state})
	}
	if r.BaselineAt != nil {
		for _, f := range r.Resolved {
			results = append(results, result{f, "absent"})
		}
	}
	for _, res := range results {
		f := res.f
		i, ok := index[f.Check]
		if !ok {
			i = addRule(CheckInfo{ID: f.Check, Title: f.Check, Severity: f.Severity})
		}
		msg := f.Message
		if f.Expected != "" {
			msg += "\nExpected: " + f.Expected
		}
		if f.Actual != "" {
			msg += "\nActual: " + f.Actual
		}
		props := map[string]any{"severity": f.Severity.String()}
		for k, v := range map[string]string{"account": f.Account, "region": f.Region, "cluster": f.Cluster, "expected": f.Expected, "actual": f.Actual} {
			if v != "" {
				props[k] = v
			}
		}
		if len(f.Fix) > 0 {
			var fixes []string
			for _, c := range f.Fix {
				fixes = append(fixes, fmt.Sprintf("%s %s %s: %s", c.Action, c.Kind, c.Resource, c.Summary))
			}
			props["fix"] = fixes
		}
		fp := f.Fingerprint
		if fp == "" {
			fp = fingerprintOf(f)
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.Check, RuleIndex: i, Level: sarifLevel(f.Severity), Message: sarifText{msg},
			Locations:           o.location(f, lines),
			PartialFingerprints: map[string]string{"fargatekit/v1": fp},
			BaselineState:       res.state,
			Properties:          props,
		})
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, in := range r.Incomplete {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "warning", Message: sarifText{"check " + in.Check + " incomplete for " + in.Resource + ": " + in.Reason},
			Descriptor: map[string]any{"id": in.Check}, Locations: logical(in.Resource),
		})
	}
	run.Invocations = []sarifInvocation{inv}
	run.Properties = map[string]any{"schema": r.Schema, "generatedAt": r.GeneratedAt, "account": r.Account, "summary": r.Summary}
	if len(r.Accounts) > 0 {
		run.Properties["accounts"] = r.Accounts
	}
	b, err := json.MarshalIndent(sarifLog{Schema: sarifSchema, Version: SARIFVersion, Runs: []sarifRun{run}}, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ruleName turns a title into a PascalCase SARIF rule name.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// writeChanges writes what changed since the baseline, first: the new
// findings' count (they follow in full, by severity), the resolved
// findings and the permission changes as +/- lines per role. It returns the
// findings to list in full: the new ones.
func writeChanges(b *strings.Builder, r *Report, paint func(iamtrust.Severity, string) string) []Finding {
	news := r.NewFindings()
	fmt.Fprintf(b, "\nSince the baseline of %s: %d new finding(s), %d resolved, %d permission change(s).\n",
		r.BaselineAt.UTC().Format("2006-01-02 15:04:05 UTC"), len(news), len(r.Resolved), len(r.PermissionChanges))
	if len(r.Resolved) > 0 {
		fmt.Fprintf(b, "\nRESOLVED (%d)\n", len(r.Resolved))
		for _, f := range r.Resolved {
			fmt.Fprintf(b, "  %-8s %-8s %s\n", f.Check, f.Severity, f.Resource)
		}
	}
	if len(r.PermissionChanges) > 0 {
		fmt.Fprintf(b, "\nPERMISSION CHANGES (%d)\n", len(r.PermissionChanges))
		role := ""
		for _, c := range r.PermissionChanges {
			if c.Resource != role {
				role = c.Resource
				fmt.Fprintf(b, "  %s\n", role)
			}
			fmt.Fprintf(b, "    %s %s\n", c.Part, c.Policy)
			for _, x := range c.Removed {
				fmt.Fprintf(b, "      - %s\n", x)
			}
			for _, x := range c.Added {
				fmt.Fprintf(b, "      + %s\n", x)
			}
		}
	}
	if len(news) > 0 {
		fmt.Fprintf(b, "\nNEW FINDINGS (%d)\n", len(news))
	}
	return news
}

// TextOptions configure WriteText.
type TextOptions struct {
	// Color adds ANSI colours to severities. AutoColor decides it from the
	// writer.
	Color bool
	// Verbose adds the planned fixes' details.
	Verbose bool
}

// AutoColor reports whether w is a terminal (a character device), where
// WriteText should colour its output, and NO_COLOR is not set.
func AutoColor(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false // https://no-color.org
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

var severityColor = map[iamtrust.Severity]string{
	iamtrust.SeverityCritical: "\x1b[1;35m",
	iamtrust.SeverityHigh:     "\x1b[1;31m",
	iamtrust.SeverityMedium:   "\x1b[33m",
	iamtrust.SeverityLow:      "\x1b[36m",
	iamtrust.SeverityInfo:     "\x1b[2m",
}

// WriteText writes the report for people: findings grouped by severity,
// worst first, each with its evidence and fix, then the incomplete checks
// and a summary line.
func WriteText(w io.Writer, r *Report, o TextOptions) error {
	var b strings.Builder
	paint := func(s iamtrust.Severity, text string) string {
		if !o.Color {
			return text
		}
		return severityColor[s] + text + "\x1b[0m"
	}
	acct := r.Account
	if len(r.Accounts) > 0 {
		acct = strings.Join(r.Accounts, ", ")
	}
	fmt.Fprintf(&b, "fargatekit audit of account %s: %d cluster(s) in %s, %s\n", orNone(acct), len(r.Clusters), list(r.Regions), r.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	shown := r.Findings
	if r.BaselineAt != nil {
		shown = writeChanges(&b, r, paint)
	}
	for sev := iamtrust.SeverityCritical; sev >= iamtrust.SeverityInfo; sev-- {
		var fs []Finding
		for _, f := range shown {
			if f.Severity == sev {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d)\n", paint(sev, strings.ToUpper(sev.String())), len(fs))
		for _, f := range fs {
			fmt.Fprintf(&b, "  %-8s %s\n", f.Check, f.Resource)
			if f.Cluster != "" && f.Cluster != f.Resource {
				fmt.Fprintf(&b, "           cluster:  %s\n", f.Cluster)
			}
			fmt.Fprintf(&b, "           %s\n", f.Message)
			if f.Expected != "" {
				fmt.Fprintf(&b, "           expected: %s\n", f.Expected)
			}
			if f.Actual != "" {
				fmt.Fprintf(&b, "           actual:   %s\n", f.Actual)
			}
			for _, c := range f.Fix {
				note := ""
				if c.Destructive {
					note = " [destroys; needs --allow-destructive]"
				}
				if f.GrantsMore {
					note += " [grants more; needs --allow-grants]"
				}
				fmt.Fprintf(&b, "           fix:      %s %s %s: %s%s\n", c.Action, c.Kind, c.Resource, c.Summary, note)
			}
		}
	}
	if r.BaselineAt != nil {
		var persisting []Finding
		for _, f := range r.Findings {
			if f.Status == StatusPersisting {
				persisting = append(persisting, f)
			}
		}
		if len(persisting) > 0 {
			fmt.Fprintf(&b, "\nPERSISTING (%d)\n", len(persisting))
			for _, f := range persisting {
				since := ""
				if f.FirstSeen != nil {
					since = " (since " + f.FirstSeen.UTC().Format("2006-01-02") + ")"
				}
				fmt.Fprintf(&b, "  %-8s %-8s %s%s\n", f.Check, f.Severity, f.Resource, since)
			}
		}
	}
	if len(r.Suppressed) > 0 || len(r.ExpiredSuppressions) > 0 || len(r.ExpiringSuppressions) > 0 || len(r.UnusedSuppressions) > 0 {
		fmt.Fprintf(&b, "\nSUPPRESSIONS: %d finding(s) suppressed", len(r.Suppressed))
		if n := len(r.ExpiredSuppressions); n > 0 {
			fmt.Fprintf(&b, ", %d rule(s) expired (their findings count again)", n)
		}
		if n := len(r.ExpiringSuppressions); n > 0 {
			fmt.Fprintf(&b, ", %d expiring within 14 days", n)
		}
		if n := len(r.UnusedSuppressions); n > 0 {
			fmt.Fprintf(&b, ", %d unused", n)
		}
		b.WriteString("\n")
		for _, x := range r.ExpiredSuppressions {
			fmt.Fprintf(&b, "  expired  line %d: %s %s (owner %s, expired %s)\n", x.Line, x.Check, x.Resource, x.Owner, x.Expires)
		}
		for _, x := range r.ExpiringSuppressions {
			fmt.Fprintf(&b, "  expiring line %d: %s %s (owner %s, expires %s)\n", x.Line, x.Check, x.Resource, x.Owner, x.Expires)
		}
		for _, x := range r.UnusedSuppressions {
			fmt.Fprintf(&b, "  unused   line %d: %s %s (matches no finding)\n", x.Line, x.Check, x.Resource)
		}
	}
	if len(r.Incomplete) > 0 {
		fmt.Fprintf(&b, "\n%s (%d)\n", paint(iamtrust.SeverityMedium, "INCOMPLETE"), len(r.Incomplete))
		for _, in := range r.Incomplete {
			fmt.Fprintf(&b, "  %-8s %s\n           %s\n", in.Check, in.Resource, in.Reason)
		}
	}
	if len(r.NoClustersIn) > 0 {
		fmt.Fprintf(&b, "\nNo clusters found in %s", strings.Join(r.NoClustersIn, ", "))
		if len(r.Clusters) == 0 {
			b.WriteString(": no cluster was audited, only the account's IAM")
		}
		b.WriteString(".\n")
	}
	if len(r.Findings) == 0 && len(r.Incomplete) == 0 && len(r.Clusters) > 0 {
		b.WriteString("\nNo findings: the account meets every requirement checked.\n")
	} else if len(r.Findings) == 0 && len(r.Incomplete) == 0 {
		b.WriteString("\nNo findings.\n")
	}
	var counts []string
	for sev := iamtrust.SeverityCritical; sev >= iamtrust.SeverityInfo; sev-- {
		counts = append(counts, fmt.Sprintf("%d %s", r.Summary.BySeverity[sev.String()], sev))
	}
	fmt.Fprintf(&b, "\nSummary: %d finding(s) (%s); %d check(s) run, %d incomplete.\n",
		r.Summary.Findings, strings.Join(counts, ", "), r.Summary.ChecksRun, r.Summary.ChecksIncomplete)
	_, err := io.WriteString(w, b.String())
	return err
}
