package audit

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// textTable writes rows as columns aligned on their widest cell, indented
// by two spaces, without trailing blanks.
func textTable(b *strings.Builder, head []string, rows [][]string) {
	all := append([][]string{head}, rows...)
	widths := make([]int, len(head))
	for _, r := range all {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range all {
		var line strings.Builder
		line.WriteString("  ")
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// identityText is a principal's Kubernetes identity in a cell.
func identityText(p AccessPrincipal) string {
	s := p.Username
	if len(p.Groups) > 0 {
		s += " [" + strings.Join(p.Groups, ", ") + "]"
	}
	return s
}

// clusterTitle names a map's cluster in a heading.
func clusterTitle(m *AccessMap) string {
	name := m.Name
	if name == "" {
		name = m.Cluster
	}
	return name
}

// WriteAccessText writes the access maps for people: per cluster, what
// could not be read (first, so that an incomplete map never reads as
// "nobody is admin"), then a short table per question: who is
// cluster-admin and via what, who can create pods where, who reaches which
// IAM role through pods and how, and which role annotations are broken.
// Plain text, aligned columns, no colour.
func WriteAccessText(w io.Writer, maps []*AccessMap) error {
	var b strings.Builder
	for i, m := range maps {
		if i > 0 {
			b.WriteString("\n")
		}
		writeAccessText(&b, m)
	}
	if len(maps) == 0 {
		b.WriteString("No cluster found: no access map.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAccessText(b *strings.Builder, m *AccessMap) {
	fmt.Fprintf(b, "Access map of cluster %s (%s)\n", clusterTitle(m), m.Cluster)
	fmt.Fprintf(b, "account %s, region %s, authentication mode %s, observed %s\n",
		orNone(m.Account), orNone(m.Region), orNone(m.AuthenticationMode), m.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	incomplete := len(m.Incomplete) > 0
	nobody := "  nobody\n"
	if incomplete {
		b.WriteString("\nINCOMPLETE: these parts could not be read, so the map may miss principals, bindings or roles;\n")
		b.WriteString("read \"nobody found\" below as \"nobody found in what could be read\".\n")
		for _, in := range m.Incomplete {
			fmt.Fprintf(b, "  - %s\n", in)
		}
		nobody = "  nobody found (the map is INCOMPLETE: see above)\n"
	}

	b.WriteString("\nWho is cluster-admin, and via what\n")
	var rows [][]string
	for _, p := range m.Principals {
		if p.ClusterAdmin {
			rows = append(rows, []string{p.ARN, identityText(p), strings.Join(p.ClusterAdminVia, "; ")})
		}
	}
	if len(rows) == 0 {
		b.WriteString(nobody)
	} else {
		textTable(b, []string{"PRINCIPAL", "KUBERNETES USER [GROUPS]", "VIA"}, rows)
	}

	b.WriteString("\nWho can create pods (and so run them as any ServiceAccount) where\n")
	rows = nil
	for _, p := range m.Principals {
		if len(p.PodCreateNamespaces) > 0 {
			rows = append(rows, []string{p.ARN, namespacesText(p.PodCreateNamespaces)})
		}
	}
	if len(rows) == 0 {
		b.WriteString(nobody)
	} else {
		textTable(b, []string{"PRINCIPAL", "NAMESPACES"}, rows)
	}

	b.WriteString("\nWho reaches which IAM role through pods, and how\n")
	rows = reachRows(m)
	if len(rows) == 0 {
		b.WriteString(nobody)
	} else {
		textTable(b, []string{"PRINCIPAL", "SERVICEACCOUNT", "ROLE", "ROLE IS", "PODS VIA"}, rows)
	}

	b.WriteString("\nBroken role annotations (pods cannot assume the role)\n")
	rows = nil
	for _, sa := range m.ServiceAccounts {
		if !sa.TrustAllows {
			rows = append(rows, []string{sa.Namespace + "/" + sa.Name, sa.RoleARN, orDefault(sa.TrustReason, "the trust does not admit it")})
		}
	}
	if len(rows) == 0 {
		if incomplete {
			b.WriteString("  none found (the map is INCOMPLETE: see above)\n")
		} else {
			b.WriteString("  none\n")
		}
	} else {
		textTable(b, []string{"SERVICEACCOUNT", "ROLE", "WHY"}, rows)
	}
}

// reachRows are the rows of "who reaches which role": principal,
// ServiceAccount, role, what the role is, what lets the principal create
// the pods.
func reachRows(m *AccessMap) [][]string {
	var rows [][]string
	for _, p := range m.Principals {
		for _, sa := range m.ServiceAccounts {
			if !sa.TrustAllows || !slices.Contains(p.ReachableRoles, sa.RoleARN) ||
				(!slices.Contains(p.PodCreateNamespaces, sa.Namespace) && !slices.Contains(p.PodCreateNamespaces, "*")) {
				continue
			}
			risk := strings.Join(sa.Capabilities, ", ")
			if risk == "" {
				risk = "-"
			}
			if roleDangerous(sa) {
				risk = "DANGER: " + risk
			}
			rows = append(rows, []string{p.ARN, sa.Namespace + "/" + sa.Name, sa.RoleARN, risk, orDefault(pathVia(p, sa), "pod-create")})
		}
	}
	return rows
}

// roleDangerous reports whether a ServiceAccount's role is admin-equivalent
// or can escalate.
func roleDangerous(sa AccessServiceAccount) bool {
	return sa.AdminEquivalent || slices.Contains(sa.Capabilities, iamtrust.CapabilityAdmin) || slices.Contains(sa.Capabilities, iamtrust.CapabilityEscalation)
}

// accessMapsDocument is the JSON document of several access maps.
type accessMapsDocument struct {
	Schema   string       `json:"schema"`
	Clusters []*AccessMap `json:"clusters"`
}

// WriteAccessJSON writes the access maps as JSON, indented, schema
// AccessMapSchema (fargatekit.io/access-map/v1). One map is written as the
// map object itself ({"schema":…,"principals":[…],"serviceAccounts":[…],
// …}); none or several are written as {"schema":
// "fargatekit.io/access-map/v1", "clusters": [map, …]}, each map keeping
// its own "schema". A reader tells the two apart by the "clusters" key.
func WriteAccessJSON(w io.Writer, maps []*AccessMap) error {
	var v any = accessMapsDocument{Schema: AccessMapSchema, Clusters: maps}
	if len(maps) == 1 {
		v = maps[0]
	} else if maps == nil {
		v = accessMapsDocument{Schema: AccessMapSchema, Clusters: []*AccessMap{}}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// mermaidEscaper makes text safe inside a quoted Mermaid label: quotes,
// '#', '|', '`', backslashes and markup become Mermaid's #…; entities, line breaks
// spaces.
var mermaidEscaper = strings.NewReplacer(
	"#", "#35;", `"`, "#quot;", "&", "#amp;", "<", "#lt;", ">", "#gt;", "|", "#124;", "`", "#96;", `\`, "#92;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mermaidQuote(s string) string { return `"` + mermaidEscaper.Replace(s) + `"` }

// WriteAccessMermaid writes the access map as a Mermaid `flowchart LR`: a
// subgraph per non-empty column of AccessGraph, nodes with their short labels, edges
// with theirs, dangerous nodes and edges in red (classDef and linkStyle),
// broken annotations dotted, and a subgraph listing what could not be read
// when the map is incomplete. Every label is quoted and escaped. For a
// GitHub step summary or a Markdown page, put it in a ```mermaid fence.
func WriteAccessMermaid(w io.Writer, m *AccessMap) error {
	g := m.Graph()
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(&b, "  %%%% fargatekit access map of cluster %s\n", strings.ReplaceAll(clusterTitle(m)+" ("+m.Cluster+")", "\n", " "))
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.ID] = "n" + strconv.Itoa(i)
	}
	if len(m.Incomplete) > 0 {
		b.WriteString("  subgraph incomplete[\"INCOMPLETE: could not read\"]\n")
		for i, in := range m.Incomplete {
			fmt.Fprintf(&b, "    i%d[%s]\n", i, mermaidQuote(in))
		}
		b.WriteString("  end\n")
	}
	for c := 0; c < AccessColumns; c++ {
		open := false // Mermaid draws an empty subgraph as a box: leave it out
		for _, n := range g.Nodes {
			if n.Column != AccessColumn(c) {
				continue
			}
			if !open {
				fmt.Fprintf(&b, "  subgraph col%d[%s]\n", c, mermaidQuote(AccessColumn(c).String()))
				open = true
			}
			fmt.Fprintf(&b, "    %s[%s]\n", ids[n.ID], mermaidQuote(n.Label))
		}
		if open {
			b.WriteString("  end\n")
		}
	}
	var danger, broken []string
	for i, e := range g.Edges {
		arrow := "-->"
		if e.Broken {
			arrow = "-.->"
			broken = append(broken, strconv.Itoa(i))
		}
		if e.Danger {
			danger = append(danger, strconv.Itoa(i))
		}
		if e.Label == "" {
			fmt.Fprintf(&b, "  %s %s %s\n", ids[e.From], arrow, ids[e.To])
		} else {
			fmt.Fprintf(&b, "  %s %s|%s| %s\n", ids[e.From], arrow, mermaidQuote(e.Label), ids[e.To])
		}
	}
	b.WriteString("  classDef danger fill:#ffebee,stroke:#c62828,stroke-width:3px,color:#b71c1c\n")
	b.WriteString("  classDef warn fill:#fff3e0,stroke:#e65100,color:#b71c1c\n")
	var dn []string
	for _, n := range g.Nodes {
		if n.Danger {
			dn = append(dn, ids[n.ID])
		}
	}
	if len(dn) > 0 {
		fmt.Fprintf(&b, "  class %s danger\n", strings.Join(dn, ","))
	}
	if len(m.Incomplete) > 0 {
		var is []string
		for i := range m.Incomplete {
			is = append(is, "i"+strconv.Itoa(i))
		}
		fmt.Fprintf(&b, "  class %s warn\n", strings.Join(is, ","))
	}
	if len(danger) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:#d32f2f,stroke-width:3px\n", strings.Join(danger, ","))
	}
	if len(broken) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s stroke:#ef6c00,stroke-dasharray:6 4\n", strings.Join(broken, ","))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes s as a DOT ID or escString: quotes and backslashes are
// escaped, line breaks become \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)
	return `"` + r.Replace(s) + `"`
}

// dotHTML makes s an HTML-like DOT label (<…>): markup escaped, line
// breaks as <BR/>, and so no DOT escape sequence is interpreted.
func dotHTML(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = html.EscapeString(l)
	}
	return "<" + strings.Join(lines, `<BR ALIGN="LEFT"/>`) + ">"
}

// WriteAccessDOT writes the access map as a Graphviz digraph: left to
// right, a cluster subgraph with rank=same per column of AccessGraph,
// dangerous nodes and edges red, broken annotations dashed, what could not
// be read in the graph's label. IDs are the AccessGraph IDs, quoted and
// escaped; labels are HTML-like labels with markup escaped.
func WriteAccessDOT(w io.Writer, m *AccessMap) error {
	g := m.Graph()
	var b strings.Builder
	b.WriteString("digraph \"access-map\" {\n")
	label := "fargatekit access map of cluster " + clusterTitle(m) + "\n" + m.Cluster
	if len(m.Incomplete) > 0 {
		label += "\nINCOMPLETE: could not read"
		for _, in := range m.Incomplete {
			label += "\n- " + in
		}
	}
	fmt.Fprintf(&b, "  graph [rankdir=LR, labelloc=t, labeljust=l, fontname=\"Helvetica\", nodesep=0.25, ranksep=1.1, label=%s];\n", dotHTML(label))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f7fa\", color=\"#607d8b\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("  edge [color=\"#78909c\", fontname=\"Helvetica\", fontsize=9];\n")
	fills := map[string]string{NodePrincipal: "#e3f2fd", NodeGroup: "#ede7f6", NodeUser: "#ede7f6", NodeServiceAccount: "#e8f5e9", NodeRole: "#fff8e1", NodeCapability: "#eceff1"}
	for c := 0; c < AccessColumns; c++ {
		fmt.Fprintf(&b, "  subgraph \"cluster_%d\" {\n", c)
		fmt.Fprintf(&b, "    label=%s; rank=same; style=\"rounded,dashed\"; color=\"#cfd8dc\";\n", dotQuote(AccessColumn(c).String()))
		for _, n := range g.Nodes {
			if n.Column != AccessColumn(c) {
				continue
			}
			attrs := []string{"label=" + dotHTML(n.Label), "tooltip=" + dotQuote(orDefault(n.Detail, n.Label)), "fillcolor=\"" + fills[n.Kind] + "\""}
			if n.Danger {
				attrs = append(attrs, `color="#c62828"`, `fontcolor="#b71c1c"`, "penwidth=2.5", `fillcolor="#ffebee"`)
			}
			fmt.Fprintf(&b, "    %s [%s];\n", dotQuote(n.ID), strings.Join(attrs, ", "))
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotHTML(e.Label))
		}
		if e.Danger {
			attrs = append(attrs, `color="#d32f2f"`, `fontcolor="#b71c1c"`, "penwidth=2.5")
		}
		if e.Broken {
			attrs = append(attrs, "style=dashed")
			if !e.Danger {
				attrs = append(attrs, `color="#ef6c00"`, `fontcolor="#e65100"`)
			}
		}
		line := "  " + dotQuote(e.From) + " -> " + dotQuote(e.To)
		if len(attrs) > 0 {
			line += " [" + strings.Join(attrs, ", ") + "]"
		}
		b.WriteString(line + ";\n")
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteAccessHTML writes one self-contained HTML5 page (no script, and no
// external font, style or image): the findings table (check, severity,
// resource, message), a legend, then per cluster what could not be read,
// the access map as an inline SVG laid out by fargatekit (see
// WriteAccessSVG), the cluster-admins, the roles reached through pods and
// the broken annotations.
func WriteAccessHTML(w io.Writer, maps []*AccessMap, findings []Finding) error {
	esc := html.EscapeString
	var b strings.Builder
	title := "fargatekit access map"
	if len(maps) == 1 {
		title += " of " + clusterTitle(maps[0])
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<link rel=\"icon\" href=\"data:,\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(title))
	b.WriteString(`<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1c2630;background:#fff}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #cfd8dc;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
.meta{color:#546e7a;font-size:13px;margin:0}
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}
th,td{border:1px solid #cfd8dc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eceff1}
td.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
.sev-critical{color:#6a1b9a;font-weight:bold}
.sev-high{color:#c62828;font-weight:bold}
.sev-medium{color:#e65100}
.sev-low{color:#00838f}
.sev-info{color:#607d8b}
.danger{color:#b71c1c;font-weight:bold}
.incomplete{border:2px solid #e65100;background:#fff3e0;padding:8px 12px;margin:8px 0;font-size:14px}
.incomplete strong{color:#b71c1c}
.map{overflow-x:auto;border:1px solid #eceff1;padding:4px;margin:8px 0}
.map svg{display:block;max-width:100%;height:auto}
.legend{display:flex;flex-wrap:wrap;gap:10px 22px;font-size:13px;margin:6px 0;padding:0;list-style:none}
.legend li{display:flex;align-items:center;gap:6px}
.box{display:inline-block;width:22px;height:14px;border-radius:3px;border:1.5px solid}
.line{display:inline-block;width:30px;height:0;border-top:2px solid}
.none{color:#546e7a;font-style:italic}
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(title))
	if len(maps) > 0 {
		fmt.Fprintf(&b, "<p class=\"meta\">account %s, observed %s</p>\n", esc(orNone(maps[0].Account)), esc(maps[0].GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC")))
	}

	b.WriteString("<h2 id=\"findings\">Findings</h2>\n")
	if len(findings) == 0 {
		b.WriteString("<p class=\"none\">No findings.</p>\n")
	} else {
		b.WriteString("<table>\n<thead><tr><th>Check</th><th>Severity</th><th>Resource</th><th>Message</th></tr></thead>\n<tbody>\n")
		for _, f := range findings {
			sev := f.Severity.String()
			fmt.Fprintf(&b, "<tr><td>%s</td><td class=\"sev-%s\">%s</td><td class=\"mono\">%s</td><td>%s</td></tr>\n",
				esc(f.Check), esc(sev), esc(sev), esc(f.Resource), esc(f.Message))
		}
		b.WriteString("</tbody>\n</table>\n")
	}

	b.WriteString(`<section id="legend">
<h2>Legend</h2>
<ul class="legend">
<li><span class="box" style="background:#e3f2fd;border-color:#1e88e5"></span>IAM principal</li>
<li><span class="box" style="background:#ede7f6;border-color:#5e35b1"></span>Kubernetes group or user</li>
<li><span class="box" style="background:#e8f5e9;border-color:#43a047"></span>ServiceAccount (namespace/name)</li>
<li><span class="box" style="background:#fff8e1;border-color:#f9a825"></span>IAM role</li>
<li><span class="box" style="background:#eceff1;border-color:#546e7a"></span>capability</li>
<li><span class="box" style="background:#ffebee;border-color:#c62828;border-width:2.5px"></span>dangerous: cluster-admin, an admin-equivalent or escalating role pods can assume, or on the way to one</li>
</ul>
<ul class="legend">
<li><span class="line" style="border-color:#90a4ae"></span>mapped to (aws-auth, access-entry) or grants</li>
<li><span class="line" style="border-color:#1e88e5"></span>can create pods, so run them as the ServiceAccount</li>
<li><span class="line" style="border-color:#43a047"></span>role annotation the trust admits</li>
<li><span class="line" style="border-color:#ef6c00;border-top-style:dashed"></span>broken annotation: the trust does not admit it</li>
<li><span class="line" style="border-color:#d32f2f;border-top-width:3px"></span>dangerous path</li>
</ul>
<p class="meta">Hover a box or an edge for its full text.</p>
</section>
`)
	if len(maps) == 0 {
		b.WriteString("<h2>Access map</h2>\n<p class=\"none\">No cluster found: no access map.</p>\n")
	}
	for i, m := range maps {
		fmt.Fprintf(&b, "<section class=\"cluster\">\n<h2>Cluster %s</h2>\n<p class=\"meta\">%s, region %s, authentication mode %s</p>\n",
			esc(clusterTitle(m)), esc(m.Cluster), esc(orNone(m.Region)), esc(orNone(m.AuthenticationMode)))
		if len(m.Incomplete) > 0 {
			b.WriteString("<div class=\"incomplete\"><strong>Incomplete:</strong> these parts could not be read, so the map may miss principals, bindings or roles. \"Nobody found\" means nobody in what could be read.\n<ul>\n")
			for _, in := range m.Incomplete {
				fmt.Fprintf(&b, "<li>%s</li>\n", esc(in))
			}
			b.WriteString("</ul></div>\n")
		}
		b.WriteString("<div class=\"map\">\n")
		writeAccessSVG(&b, m, "m"+strconv.Itoa(i), false)
		b.WriteString("</div>\n")
		writeAccessHTMLTables(&b, m)
		b.WriteString("</section>\n")
	}

	b.WriteString(`<p class="meta">Written by fargatekit.</p>
</body>
</html>
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAccessHTMLTables writes the text output's tables as HTML.
func writeAccessHTMLTables(b *strings.Builder, m *AccessMap) {
	esc := html.EscapeString
	nobody := "nobody"
	if len(m.Incomplete) > 0 {
		nobody = "nobody found (the map is incomplete)"
	}
	table := func(title string, head []string, rows [][]string, none string) {
		fmt.Fprintf(b, "<h3>%s</h3>\n", esc(title))
		if len(rows) == 0 {
			fmt.Fprintf(b, "<p class=\"none\">%s</p>\n", esc(none))
			return
		}
		b.WriteString("<table>\n<thead><tr>")
		for _, h := range head {
			fmt.Fprintf(b, "<th>%s</th>", esc(h))
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, r := range rows {
			b.WriteString("<tr>")
			for _, c := range r {
				cls := "mono"
				if strings.HasPrefix(c, "DANGER: ") {
					cls += " danger"
				}
				fmt.Fprintf(b, "<td class=\"%s\">%s</td>", cls, esc(c))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n")
	}
	var rows [][]string
	for _, p := range m.Principals {
		if p.ClusterAdmin {
			rows = append(rows, []string{p.ARN, identityText(p), strings.Join(p.ClusterAdminVia, "; ")})
		}
	}
	table("Who is cluster-admin, and via what", []string{"Principal", "Kubernetes user [groups]", "Via"}, rows, nobody)
	rows = reachRows(m)
	table("Who reaches which IAM role through pods, and how", []string{"Principal", "ServiceAccount", "Role", "Role is", "Pods via"}, rows, nobody)
	rows = nil
	for _, sa := range m.ServiceAccounts {
		if !sa.TrustAllows {
			rows = append(rows, []string{sa.Namespace + "/" + sa.Name, sa.RoleARN, orDefault(sa.TrustReason, "the trust does not admit it")})
		}
	}
	none := "none"
	if len(m.Incomplete) > 0 {
		none = "none found (the map is incomplete)"
	}
	table("Broken role annotations", []string{"ServiceAccount", "Role", "Why"}, rows, none)
}
