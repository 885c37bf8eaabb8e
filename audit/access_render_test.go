package audit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fargatekit/fargatekit/iamtrust"
)

// Names of the access map fixture.
const (
	axAdmins   = "arn:aws:iam::123456789012:role/platform-admins"
	axSRE      = "arn:aws:iam::123456789012:role/sre"
	axDev      = "arn:aws:iam::123456789012:user/dev"
	axCI       = "arn:aws:iam::210987654321:role/ci-deployer"
	axAppAdmin = "arn:aws:iam::123456789012:role/demo-apps-billing"
	axWeb      = "arn:aws:iam::123456789012:role/demo-apps-web"
	axRunner   = "arn:aws:iam::123456789012:role/demo-ci-runner"
	axReport   = "arn:aws:iam::123456789012:role/demo-jobs-report"
)

// axPath is a path in the words BuildAccessMap uses.
func axPath(p AccessPrincipal, sa AccessServiceAccount, via string) AccessPath {
	what := "can do: " + sa.Grants
	if len(sa.Capabilities) > 0 {
		what = "is " + strings.Join(sa.Capabilities, ", ") + " (" + sa.Grants + ")"
	}
	return AccessPath{Role: sa.RoleARN, Steps: []string{
		p.ARN + " is Kubernetes user " + p.Username + groupsText(p.Groups),
		"creates pods in namespace " + sa.Namespace + " (" + via + ")",
		"runs them as ServiceAccount " + sa.Namespace + "/" + sa.Name,
		"whose annotation names " + sa.RoleARN + ", and the role's trust admits it",
		"the role " + what,
	}}
}

// accessFixture is a cluster with an admin through system:masters, one
// through a ClusterRoleBinding, a user who can create pods in "apps" and so
// reaches an admin-equivalent role, a cross-account deployer reaching a
// harmless role, and a broken annotation.
func accessFixture() *AccessMap {
	sas := []AccessServiceAccount{
		{Namespace: "apps", Name: "billing", RoleARN: axAppAdmin, TrustAllows: true, AdminEquivalent: true,
			Capabilities: []string{iamtrust.CapabilityAdmin}, Grants: "AdministratorAccess", FargateProfile: "apps"},
		{Namespace: "apps", Name: "web", RoleARN: axWeb, TrustAllows: true,
			Capabilities: []string{iamtrust.CapabilityData}, Grants: "AmazonS3ReadOnlyAccess", FargateProfile: "apps"},
		{Namespace: "ci", Name: "runner", RoleARN: axRunner, TrustAllows: true, Capabilities: []string{}, Grants: "inline push-images"},
		{Namespace: "jobs", Name: "report", RoleARN: axReport, Capabilities: []string{},
			TrustReason: "the trust does not admit system:serviceaccount:jobs:report (implicit deny)"},
	}
	admins := AccessPrincipal{ARN: axAdmins, Username: "admin:{{SessionName}}", Groups: []string{"system:masters"}, Sources: []string{SourceAWSAuth},
		ClusterAdmin: true, ClusterAdminVia: []string{"group system:masters"}, PodCreateNamespaces: []string{"*"}, SecretsReadNamespaces: []string{"*"}}
	sre := AccessPrincipal{ARN: axSRE, Username: "arn:aws:sts::123456789012:assumed-role/sre/{{SessionName}}", Groups: []string{"oncall"},
		Sources: []string{SourceAccessEntry}, Type: "STANDARD",
		ClusterAdmin: true, ClusterAdminVia: []string{"ClusterRoleBinding oncall-admin → ClusterRole cluster-admin"}, PodCreateNamespaces: []string{"*"}, SecretsReadNamespaces: []string{"*"}}
	dev := AccessPrincipal{ARN: axDev, Username: "dev", Groups: []string{}, Sources: []string{SourceAWSAuth},
		ClusterAdminVia: []string{}, PodCreateNamespaces: []string{"apps"}, SecretsReadNamespaces: []string{"apps"}}
	ci := AccessPrincipal{ARN: axCI, Username: "ci", Groups: []string{"deployers"}, Sources: []string{SourceAWSAuth, SourceAccessEntry},
		ClusterAdminVia: []string{}, PodCreateNamespaces: []string{"ci"}, Escalation: []string{"RoleBinding ci/deployers → Role deployer in ci"}}
	reachAll := func(p *AccessPrincipal, via string) {
		for _, sa := range sas {
			if !sa.TrustAllows || (!slices.Contains(p.PodCreateNamespaces, "*") && !slices.Contains(p.PodCreateNamespaces, sa.Namespace)) {
				continue
			}
			p.ReachableRoles = append(p.ReachableRoles, sa.RoleARN)
			p.ReachableAdmin = p.ReachableAdmin || sa.AdminEquivalent
			p.Paths = append(p.Paths, axPath(*p, sa, via))
		}
		slices.Sort(p.ReachableRoles)
	}
	reachAll(&admins, "group system:masters")
	reachAll(&sre, "ClusterRoleBinding oncall-admin → ClusterRole cluster-admin")
	reachAll(&dev, "RoleBinding apps/dev-edit → ClusterRole edit")
	reachAll(&ci, "RoleBinding ci/deployers → Role deployer")
	return &AccessMap{
		Schema: AccessMapSchema, GeneratedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Account: "123456789012",
		Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Name: "demo", Region: "us-west-2", AuthenticationMode: "API_AND_CONFIG_MAP",
		Principals:      []AccessPrincipal{ci, admins, sre, dev},
		ServiceAccounts: sas,
		Incomplete:      []string{},
	}
}

// incompleteFixture is a cluster whose RBAC could not be read: its one
// principal is no cluster-admin as far as the map can tell.
func incompleteFixture() *AccessMap {
	return &AccessMap{
		Schema: AccessMapSchema, GeneratedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), Account: "123456789012",
		Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/staging", Name: "staging", Region: "us-west-2", AuthenticationMode: "API",
		Principals: []AccessPrincipal{{ARN: "arn:aws:iam::123456789012:role/staging-ops", Username: "ops", Groups: []string{"ops"},
			Sources: []string{SourceAccessEntry}, Type: "STANDARD", ClusterAdminVia: []string{}, PodCreateNamespaces: []string{}, ReachableRoles: []string{}}},
		ServiceAccounts: []AccessServiceAccount{},
		Incomplete:      []string{PartRBAC + `: clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "ops" cannot list resource "clusterrolebindings"`},
	}
}

func accessFindings() []Finding {
	return []Finding{
		{Check: "ACC-01", Severity: iamtrust.SeverityHigh, Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Resource: axSRE,
			Message: "cluster-admin through ClusterRoleBinding oncall-admin, which the spec does not declare"},
		{Check: "ACC-02", Severity: iamtrust.SeverityCritical, Cluster: "arn:aws:eks:us-west-2:123456789012:cluster/demo", Resource: axDev,
			Message: `creates pods in "apps" and so assumes the admin-equivalent role demo-apps-billing <via apps/billing>`},
	}
}

func render(t *testing.T, f func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAccessRenderGolden(t *testing.T) {
	maps := []*AccessMap{accessFixture(), incompleteFixture()}
	m := maps[0]
	outputs := map[string]func(io.Writer) error{
		"access.txt":  func(w io.Writer) error { return WriteAccessText(w, maps) },
		"access.json": func(w io.Writer) error { return WriteAccessJSON(w, maps) },
		"access.mmd":  func(w io.Writer) error { return WriteAccessMermaid(w, m) },
		"access.dot":  func(w io.Writer) error { return WriteAccessDOT(w, m) },
		"access.svg":  func(w io.Writer) error { return WriteAccessSVG(w, m) },
		"access.html": func(w io.Writer) error { return WriteAccessHTML(w, maps, accessFindings()) },
	}
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		first := render(t, outputs[name])
		// Determinism: the same map renders to the same bytes, however
		// often (maps and sorting must not leak an order).
		for i := 0; i < 5; i++ {
			if again := render(t, outputs[name]); !bytes.Equal(first, again) {
				t.Fatalf("%s: rendering twice gives different bytes", name)
			}
		}
		golden(t, name, first)
	}
}

func TestAccessGraph(t *testing.T) {
	g := accessFixture().Graph()
	nodes := map[string]AccessNode{}
	for _, n := range g.Nodes {
		if _, dup := nodes[n.ID]; dup {
			t.Errorf("node %s twice", n.ID)
		}
		nodes[n.ID] = n
	}
	for i := 1; i < len(g.Nodes); i++ {
		a, b := g.Nodes[i-1], g.Nodes[i]
		if a.Column > b.Column || (a.Column == b.Column && a.ID >= b.ID) {
			t.Errorf("nodes not sorted: %s before %s", a.ID, b.ID)
		}
	}
	edges := map[[3]string]AccessEdge{}
	for _, e := range g.Edges {
		from, okf := nodes[e.From]
		to, okt := nodes[e.To]
		if !okf || !okt {
			t.Errorf("edge %s → %s: unknown node", e.From, e.To)
			continue
		}
		if from.Column >= to.Column {
			t.Errorf("edge %s → %s runs backwards", e.From, e.To)
		}
		edges[[3]string{e.From, e.To, e.Kind}] = e
	}
	for _, tc := range []struct {
		from, to, kind string
		label          string
		danger, broken bool
		why            string
	}{
		{"principal:" + axAdmins, "group:system:masters", EdgeMapping, "aws-auth", true, false, "system:masters is the way to cluster-admin"},
		{"principal:" + axAdmins, "capability:cluster-admin", EdgeCapability, "group system:masters", true, false, "admin via the group"},
		{"principal:" + axSRE, "capability:cluster-admin", EdgeCapability, "ClusterRoleBinding oncall-admin → ClusterRole cluster-admin", true, false, "admin via a binding"},
		{"principal:" + axSRE, "group:oncall", EdgeMapping, "access-entry", false, false, "the binding's subject is unknown to the map: not the group"},
		{"principal:" + axDev, "user:dev", EdgeMapping, "aws-auth", true, false, "no group: the user, on the dangerous path"},
		{"user:dev", "sa:apps/billing", EdgePodCreate, "RoleBinding apps/dev-edit → ClusterRole edit", true, false, "pod-create reaches the admin-equivalent role"},
		{"user:dev", "sa:apps/web", EdgePodCreate, "RoleBinding apps/dev-edit → ClusterRole edit", false, false, "the S3 reader is not dangerous"},
		{"group:system:masters", "sa:apps/billing", EdgePodCreate, "group system:masters", true, false, "the group creates pods everywhere"},
		{"principal:" + axSRE, "sa:jobs/report", EdgePodCreate, "pod-create", false, false, "no path to a broken role: no binding known"},
		{"sa:apps/billing", "role:" + axAppAdmin, EdgeTrust, "trust admits", true, false, "the trust admits"},
		{"sa:jobs/report", "role:" + axReport, EdgeTrust, "broken: the trust does not admit system:serviceaccount:jobs:report (implicit deny)", false, true, "broken annotation"},
		{"role:" + axAppAdmin, "capability:admin-equivalent", EdgeCapability, "", true, false, "the role's class"},
		{"role:" + axWeb, "capability:broad-data-access", EdgeCapability, "", false, false, "not a dangerous class"},
		{"principal:" + axDev, "capability:secrets-read", EdgeCapability, "namespace apps", false, false, "Kubernetes capability of a non-admin"},
		{"principal:" + axCI, "capability:rbac-escalation", EdgeCapability, "RoleBinding ci/deployers → Role deployer in ci", false, false, "Kubernetes capability of a non-admin"},
		{"group:deployers", "sa:ci/runner", EdgePodCreate, "", false, false, "absent: the binding may name the user"},
	} {
		e, ok := edges[[3]string{tc.from, tc.to, tc.kind}]
		if tc.label == "" && tc.kind == EdgePodCreate {
			if ok {
				t.Errorf("%s: edge %s → %s should not exist", tc.why, tc.from, tc.to)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no %s edge %s → %s", tc.why, tc.kind, tc.from, tc.to)
			continue
		}
		if e.Label != tc.label || e.Danger != tc.danger || e.Broken != tc.broken {
			t.Errorf("%s: %s → %s = label %q danger %v broken %v; want %q %v %v", tc.why, tc.from, tc.to, e.Label, e.Danger, e.Broken, tc.label, tc.danger, tc.broken)
		}
	}
	for id, danger := range map[string]bool{
		"principal:" + axAdmins: true, "principal:" + axDev: true, "principal:" + axCI: false,
		"role:" + axAppAdmin: true, "role:" + axWeb: false, "role:" + axReport: false,
		"capability:cluster-admin": true, "capability:admin-equivalent": true, "capability:broad-data-access": false,
		"sa:apps/billing": true, "sa:apps/web": false, "group:oncall": false,
	} {
		if n, ok := nodes[id]; !ok || n.Danger != danger {
			t.Errorf("node %s: present %v danger %v, want danger %v", id, ok, n.Danger, danger)
		}
	}
	if n := nodes["principal:"+axCI]; n.Label != "210987654321:role/ci-deployer" {
		t.Errorf("cross-account label %q keeps its account", n.Label)
	}
	if n := nodes["principal:"+axAdmins]; n.Label != "role/platform-admins" || n.Detail == "" {
		t.Errorf("label %q detail %q", n.Label, n.Detail)
	}
}

// TestAccessGraphFromBuild ties the graph to BuildAccessMap's words: the
// binding that lets a principal create pods is read from its path.
func TestAccessGraphFromBuild(t *testing.T) {
	s := goodSnapshot()
	c := cl(s)
	c.Kube.RBAC = &RBAC{
		ClusterRoles: []RBACRole{{Name: "edit", Rules: []RBACRule{{Verbs: []string{"create"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}}}},
		RoleBindings: []RBACBinding{{Namespace: "apps", Name: "ops-edit", RoleKind: "ClusterRole", RoleName: "edit", Subjects: []RBACSubject{{Kind: "User", Name: "ops"}}}},
	}
	m := BuildAccessMap(s, c)
	g := m.Graph()
	var found bool
	for _, e := range g.Edges {
		if e.Kind == EdgePodCreate && e.To == "sa:apps/web" {
			found = true
			if e.Label != "RoleBinding apps/ops-edit → ClusterRole edit" || e.From != "user:ops" {
				t.Errorf("pod-create edge %+v: want the binding as label, from the user of the group-less principal", e)
			}
		}
	}
	if !found {
		t.Fatalf("no pod-create edge to apps/web in %+v", g.Edges)
	}
}

// hostile is a map whose names carry the characters that break Mermaid,
// DOT, HTML and SVG when they are not escaped.
func hostile() *AccessMap {
	m := accessFixture()
	evil := `arn:aws:iam::123456789012:role/a"b<c>]d&e|f#g` + "`h\\"
	m.Principals = append(m.Principals, AccessPrincipal{ARN: evil, Username: `u"<]`, Groups: []string{`grp"]<x>`}, Sources: []string{SourceAWSAuth},
		ClusterAdmin: true, ClusterAdminVia: []string{`ClusterRoleBinding "]<b>" → ClusterRole x`}, PodCreateNamespaces: []string{}, ReachableRoles: []string{}})
	m.Incomplete = []string{`rbac: forbidden "</svg><script>alert(1)</script>"`}
	return m
}

func TestAccessEscaping(t *testing.T) {
	m := hostile()

	mmd := string(render(t, func(w io.Writer) error { return WriteAccessMermaid(w, m) }))
	for _, line := range strings.Split(mmd, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "%%") {
			continue
		}
		// Every quoted label holds no quote, markup or pipe of its own.
		if strings.Count(line, `"`)%2 != 0 || strings.ContainsAny(line, "<>`\\") && !strings.Contains(line, "-->") && !strings.Contains(line, "-.->") {
			t.Errorf("mermaid line not escaped: %s", line)
		}
		for _, q := range regexp.MustCompile(`"[^"]*"`).FindAllString(line, -1) {
			if strings.ContainsAny(q[1:len(q)-1], "<>|`") {
				t.Errorf("mermaid label %s keeps markup", q)
			}
		}
	}
	if !strings.Contains(mmd, `a#quot;b#lt;c#gt;]d#amp;e#124;f#35;g#96;h#92;`) {
		t.Errorf("mermaid: hostile label not escaped as entities:\n%s", mmd)
	}

	dot := string(render(t, func(w io.Writer) error { return WriteAccessDOT(w, m) }))
	if !strings.Contains(dot, `"principal:arn:aws:iam::123456789012:role/a\"b<c>]d&e|f#g`+"`h\\\\\"") {
		t.Errorf("dot: hostile ID not quoted and escaped:\n%s", dot)
	}
	if !strings.Contains(dot, "label=<grp&#34;]&lt;x&gt;>") {
		t.Errorf("dot: hostile group label not escaped:\n%s", dot)
	}
	// Each statement's quoted strings close: no quote is left open.
	for _, line := range strings.Split(dot, "\n") {
		unq := regexp.MustCompile(`"(\\.|[^"\\])*"`).ReplaceAllString(line, "")
		if strings.Contains(unq, `"`) {
			t.Errorf("dot line with an open quote: %s", line)
		}
	}

	svg := render(t, func(w io.Writer) error { return WriteAccessSVG(w, m) })
	if err := wellFormed(svg); err != nil {
		t.Errorf("SVG with hostile names is not well-formed XML: %v", err)
	}
	page := string(render(t, func(w io.Writer) error { return WriteAccessHTML(w, []*AccessMap{m}, accessFindings()) }))
	if strings.Contains(page, "<script") || strings.Count(page, "</svg>") != 1 {
		t.Errorf("HTML: hostile text escaped badly (a <script> or an extra </svg>)")
	}
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestAccessSVGStructure(t *testing.T) {
	for _, m := range []*AccessMap{accessFixture(), incompleteFixture(), hostile(), {Name: "empty", Principals: []AccessPrincipal{}, ServiceAccounts: []AccessServiceAccount{}}} {
		g := m.Graph()
		svg := render(t, func(w io.Writer) error { return WriteAccessSVG(w, m) })
		if err := wellFormed(svg); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		s := string(svg)
		if got := strings.Count(s, `<g class="am-node `); got != len(g.Nodes) {
			t.Errorf("%s: %d node groups, want %d", m.Name, got, len(g.Nodes))
		}
		if got := strings.Count(s, "<rect"); got != len(g.Nodes) {
			t.Errorf("%s: %d rects, want one per node (%d)", m.Name, got, len(g.Nodes))
		}
		if got := strings.Count(s, "<path"); got != len(g.Edges) {
			t.Errorf("%s: %d paths, want one per edge (%d)", m.Name, got, len(g.Edges))
		}
		if got := strings.Count(s, "am-danger"); m.Name == "demo" && got == 0 {
			t.Errorf("%s: no dangerous element", m.Name)
		}
		vb := regexp.MustCompile(`viewBox="0 0 ([0-9.]+) ([0-9.]+)"`).FindStringSubmatch(s)
		if vb == nil || vb[1] == "0.0" || vb[2] == "0.0" {
			t.Errorf("%s: viewBox %v", m.Name, vb)
		}
		// Every box lies inside the viewBox.
		var w, h float64
		json.Unmarshal([]byte(vb[1]), &w)
		json.Unmarshal([]byte(vb[2]), &h)
		for _, r := range regexp.MustCompile(`<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)"`).FindAllStringSubmatch(s, -1) {
			var x, y, rw, rh float64
			json.Unmarshal([]byte(r[1]), &x)
			json.Unmarshal([]byte(r[2]), &y)
			json.Unmarshal([]byte(r[3]), &rw)
			json.Unmarshal([]byte(r[4]), &rh)
			if x+rw > w || y+rh > h {
				t.Errorf("%s: box %v outside the viewBox %vx%v", m.Name, r[0], w, h)
			}
		}
	}
	if s := string(render(t, func(w io.Writer) error { return WriteAccessSVG(w, accessFixture()) })); !strings.Contains(s, "am-broken") || !strings.Contains(s, "broken: the trust does not admit") {
		t.Errorf("broken annotation not drawn dashed with its reason")
	}
}

// TestAccessIncomplete: a map that could not read RBAC never reads as
// "nobody is admin", in any output.
func TestAccessIncomplete(t *testing.T) {
	m := incompleteFixture()
	text := string(render(t, func(w io.Writer) error { return WriteAccessText(w, []*AccessMap{m}) }))
	if !strings.Contains(text, "INCOMPLETE") || !strings.Contains(text, "nobody found (the map is INCOMPLETE") || strings.Contains(text, "  nobody\n") {
		t.Errorf("text of an incomplete map:\n%s", text)
	}
	if i, j := strings.Index(text, "INCOMPLETE"), strings.Index(text, "Who is cluster-admin"); i < 0 || i > j {
		t.Errorf("the incomplete note must come before the answers:\n%s", text)
	}
	for name, f := range map[string]func(io.Writer) error{
		"mermaid": func(w io.Writer) error { return WriteAccessMermaid(w, m) },
		"dot":     func(w io.Writer) error { return WriteAccessDOT(w, m) },
		"svg":     func(w io.Writer) error { return WriteAccessSVG(w, m) },
		"html":    func(w io.Writer) error { return WriteAccessHTML(w, []*AccessMap{m}, nil) },
	} {
		out := string(render(t, f))
		if !strings.Contains(out, "INCOMPLETE") && !strings.Contains(out, "Incomplete") {
			t.Errorf("%s lacks the incomplete note", name)
		}
		if !strings.Contains(out, "cannot list resource") {
			t.Errorf("%s lacks what could not be read", name)
		}
	}
	complete := string(render(t, func(w io.Writer) error { return WriteAccessText(w, []*AccessMap{accessFixture()}) }))
	if strings.Contains(complete, "INCOMPLETE") {
		t.Errorf("a complete map says INCOMPLETE")
	}
}

func TestAccessJSONShape(t *testing.T) {
	one := render(t, func(w io.Writer) error { return WriteAccessJSON(w, []*AccessMap{accessFixture()}) })
	var obj map[string]any
	if err := json.Unmarshal(one, &obj); err != nil {
		t.Fatal(err)
	}
	if obj["schema"] != AccessMapSchema || obj["principals"] == nil || obj["serviceAccounts"] == nil || obj["clusters"] != nil {
		t.Errorf("one map: want the map object, got keys %v", keys(obj))
	}
	for _, maps := range [][]*AccessMap{nil, {accessFixture(), incompleteFixture()}} {
		several := render(t, func(w io.Writer) error { return WriteAccessJSON(w, maps) })
		var doc struct {
			Schema   string            `json:"schema"`
			Clusters []json.RawMessage `json:"clusters"`
		}
		if err := json.Unmarshal(several, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Schema != AccessMapSchema || doc.Clusters == nil || len(doc.Clusters) != len(maps) {
			t.Errorf("%d maps: schema %q, %d clusters in %s", len(maps), doc.Schema, len(doc.Clusters), several)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestAccessHTMLSelfContained(t *testing.T) {
	page := string(render(t, func(w io.Writer) error {
		return WriteAccessHTML(w, []*AccessMap{accessFixture(), incompleteFixture()}, accessFindings())
	}))
	if !strings.HasPrefix(page, "<!DOCTYPE html>\n<html lang=\"en\">") || !strings.Contains(page, "<title>") || !strings.Contains(page, "<meta charset=\"utf-8\">") {
		t.Errorf("not an HTML5 page with a title")
	}
	for _, bad := range []string{"<script", "<link rel=\"stylesheet\"", "@import", "url(http", "src=\"http", "href=\"http", "@font-face"} {
		if strings.Contains(page, bad) {
			t.Errorf("page is not self-contained: has %q", bad)
		}
	}
	for _, want := range []string{"ACC-02", "critical", "Legend", "am-node", `id="m0-arrow"`, `id="m1-arrow"`, "&lt;via apps/billing&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got, want := strings.Count(page, "<svg"), 2; got != want {
		t.Errorf("%d inline SVGs, want one per cluster (%d)", got, want)
	}
}
