package audit

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// The SVG layout's metrics, in pixels. Text is set in a monospace font so
// that a label's width follows from its length.
const (
	svgFont        = 12.0 // node label font size
	svgCharW       = 7.3  // advance of a monospace character at svgFont
	svgHeadCharW   = 8.0  // advance at the bold column headings' size
	svgLabelCharW  = 6.4  // advance at the edge labels' size (10.5)
	svgLabelLineH  = 12.0 // line height of edge labels
	svgNodeH       = 28.0 // node box height
	svgNodePadX    = 10.0 // text padding inside a box
	svgNodeMinW    = 70.0 // narrowest box
	svgNodeGap     = 16.0 // vertical space between boxes
	svgLaneGap     = 12.0 // vertical space taken by an edge passing a column
	svgMinGap      = 70.0 // narrowest space between columns
	svgGapPad      = 30.0 // space beside the widest label of a gap
	svgMargin      = 20.0 // around the picture
	svgHeaderH     = 40.0 // column headings
	svgNoteH       = 18.0 // one line of the incomplete note
	svgNoteChars   = 110  // the note wraps at this many characters
	svgMaxNodeText = 44   // longer node labels are cut (the full text is the tooltip)
	svgLabelChars  = 26   // edge labels wrap at this many characters…
	svgLabelLines  = 3    // …on at most this many lines
)

// svgItem is a box or a lane (where an edge passes through a column) in a
// column of the layout.
type svgItem struct {
	node  *AccessNode // nil for a lane
	edge  int         // the lane's edge
	col   int
	order float64
	x, y  float64 // top left
	w, h  float64
	// out and in are the edges leaving and entering a box, in the order
	// of their other ends, for spreading their ends along its side.
	out, in []int
}

// svgLayout is an AccessGraph placed on a plane.
type svgLayout struct {
	g          AccessGraph
	cols       [AccessColumns][]*svgItem
	colX, colW [AccessColumns]float64
	byID       map[string]*svgItem
	chains     [][]*svgItem // per edge: source, lanes, target
	labels     []svgLabel   // per edge; lines nil when not drawn
	width      float64
	height     float64
}

// svgLabel is an edge's label, drawn on the edge's first stretch.
type svgLabel struct {
	lines []string
}

// svgText cuts s to max runes, with an ellipsis.
func svgText(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// wrapText breaks s into lines of at most width runes at spaces, keeping
// at most lines lines (the last cut with an ellipsis).
func wrapText(s string, width, lines int) []string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = w
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) <= width:
			cur += " " + w
		default:
			out = append(out, cur)
			cur = w
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	if len(out) > lines {
		rest := strings.Join(out[lines-1:], " ")
		out = append(out[:lines-1], svgText(rest, width))
	}
	for i, l := range out {
		out[i] = svgText(l, width)
	}
	return out
}

// edgeLabel decides what an edge's label shows and where. The legend
// tells trust and pod-create edges apart by colour, so "trust admits" and
// an unknown binding are not written. A label sits next to the edge's
// source, where the edges of a box fan out, once for the edges of a source
// that share it.
func edgeLabel(e AccessEdge, shown map[[2]string]bool) svgLabel {
	text := e.Label
	if (e.Kind == EdgeTrust && !e.Broken) || (e.Kind == EdgePodCreate && text == EdgePodCreate) {
		text = ""
	}
	k := [2]string{e.From, text}
	if text == "" || shown[k] {
		return svgLabel{}
	}
	shown[k] = true
	return svgLabel{lines: wrapText(text, svgLabelChars, svgLabelLines)}
}

func linesWidth(lines []string, charW float64) float64 {
	w := 0.0
	for _, l := range lines {
		w = math.Max(w, float64(utf8.RuneCountInString(l))*charW)
	}
	return w
}

// layoutAccess places the graph: columns at fixed x, boxes stacked in each
// column in an order that keeps edges short (barycentres, ties by ID), and
// a lane in each column an edge passes, so that no edge crosses a box.
func layoutAccess(g AccessGraph, top float64) *svgLayout {
	l := &svgLayout{g: g, byID: map[string]*svgItem{}}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		w := math.Max(svgNodeMinW, float64(utf8.RuneCountInString(svgText(n.Label, svgMaxNodeText)))*svgCharW+2*svgNodePadX)
		it := &svgItem{node: n, col: int(n.Column), w: w, h: svgNodeH}
		l.byID[n.ID] = it
		l.cols[n.Column] = append(l.cols[n.Column], it)
	}
	for ei, e := range g.Edges {
		from, to := l.byID[e.From], l.byID[e.To]
		chain := []*svgItem{from}
		for c := from.col + 1; c < to.col; c++ {
			lane := &svgItem{edge: ei, col: c}
			l.cols[c] = append(l.cols[c], lane)
			chain = append(chain, lane)
		}
		chain = append(chain, to)
		l.chains = append(l.chains, chain)
	}
	l.order()

	// Labels, in the order of the boxes, so that the one kept of a
	// source's shared pod-create labels is on its topmost edge.
	idx := make([]int, len(g.Edges))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := l.chains[idx[i]], l.chains[idx[j]]
		if a[0].order != b[0].order {
			return a[0].order < b[0].order
		}
		return a[1].order < b[1].order
	})
	l.labels = make([]svgLabel, len(g.Edges))
	shown := map[[2]string]bool{}
	var gapLabel [AccessColumns]float64 // widest label in the gap before column k
	for _, ei := range idx {
		lb := edgeLabel(g.Edges[ei], shown)
		l.labels[ei] = lb
		if lb.lines != nil {
			c := l.chains[ei][1].col
			gapLabel[c] = math.Max(gapLabel[c], linesWidth(lb.lines, svgLabelCharW))
		}
	}

	// x: columns left to right, each as wide as its widest box, far
	// enough apart for the labels between them and for the headings
	// (which may reach over the gap after their column).
	x := svgMargin
	head := func(c int) float64 { return float64(utf8.RuneCountInString(AccessColumn(c).String())) * svgHeadCharW }
	for c := 0; c < AccessColumns; c++ {
		if c > 0 {
			x += math.Max(math.Max(svgMinGap, gapLabel[c]+svgGapPad), head(c-1)+20-l.colW[c-1])
		}
		l.colX[c] = x
		w := svgNodeMinW
		for _, it := range l.cols[c] {
			w = math.Max(w, it.w)
		}
		l.colW[c] = w
		x += w
	}
	l.width = math.Max(x, l.colX[AccessColumns-1]+head(AccessColumns-1)) + svgMargin

	// y: stacked, each column centred on the tallest.
	top += svgHeaderH
	var colH [AccessColumns]float64
	for c := range l.cols {
		h := 0.0
		for i, it := range l.cols[c] {
			if i > 0 {
				h += gapAfter(l.cols[c][i-1], it)
			}
			h += it.h
		}
		colH[c] = h
	}
	maxH := 0.0
	for _, h := range colH {
		maxH = math.Max(maxH, h)
	}
	for c := range l.cols {
		y := top + (maxH-colH[c])/2
		for i, it := range l.cols[c] {
			if i > 0 {
				y += gapAfter(l.cols[c][i-1], it)
			}
			it.x, it.y = l.colX[c], y
			if it.node == nil {
				it.w = l.colW[c]
			}
			y += it.h
		}
	}
	l.height = top + maxH + svgMargin

	// ports: the edges at each box, in the order of the other ends.
	for ei := range g.Edges {
		ch := l.chains[ei]
		ch[0].out = append(ch[0].out, ei)
		ch[len(ch)-1].in = append(ch[len(ch)-1].in, ei)
	}
	for _, it := range l.byID {
		sort.SliceStable(it.out, func(i, j int) bool { return l.chains[it.out[i]][1].y < l.chains[it.out[j]][1].y })
		sort.SliceStable(it.in, func(i, j int) bool {
			a, b := l.chains[it.in[i]], l.chains[it.in[j]]
			return a[len(a)-2].y < b[len(b)-2].y
		})
	}
	return l
}

func gapAfter(prev, next *svgItem) float64 {
	if prev.node == nil || next.node == nil {
		return svgLaneGap
	}
	return svgNodeGap
}

// order sorts each column: first by ID, then by sweeps that move each item
// to the mean position of its neighbours in the previous (or next) column.
// Every step is a stable sort on values computed from the graph alone, so
// the order is deterministic.
func (l *svgLayout) order() {
	key := func(it *svgItem) string {
		if it.node != nil {
			return "0" + it.node.ID
		}
		return fmt.Sprintf("1%08d", it.edge)
	}
	for c := range l.cols {
		sort.SliceStable(l.cols[c], func(i, j int) bool { return key(l.cols[c][i]) < key(l.cols[c][j]) })
		for i, it := range l.cols[c] {
			it.order = float64(i)
		}
	}
	prev := map[*svgItem][]*svgItem{}
	next := map[*svgItem][]*svgItem{}
	for _, ch := range l.chains {
		for i := 1; i < len(ch); i++ {
			prev[ch[i]] = append(prev[ch[i]], ch[i-1])
			next[ch[i-1]] = append(next[ch[i-1]], ch[i])
		}
	}
	sweep := func(c int, nb map[*svgItem][]*svgItem) {
		items := l.cols[c]
		bary := map[*svgItem]float64{}
		for _, it := range items {
			ns := nb[it]
			if len(ns) == 0 {
				bary[it] = it.order // stays where it is
				continue
			}
			s := 0.0
			for _, n := range ns {
				s += n.order
			}
			bary[it] = s / float64(len(ns))
		}
		sort.SliceStable(items, func(i, j int) bool { return bary[items[i]] < bary[items[j]] })
		for i, it := range items {
			it.order = float64(i)
		}
	}
	for round := 0; round < 3; round++ {
		for c := 1; c < AccessColumns; c++ {
			sweep(c, prev)
		}
		for c := AccessColumns - 2; c >= 0; c-- {
			sweep(c, next)
		}
	}
	for c := 1; c < AccessColumns; c++ {
		sweep(c, prev)
	}
}

// port is the y where edge ei meets box it: the ends of a box's edges are
// spread along its side.
func port(it *svgItem, ei int, edges []int) float64 {
	if it.node == nil {
		return it.y
	}
	i := 0
	for k, e := range edges {
		if e == ei {
			i = k
		}
	}
	n := len(edges)
	if n <= 1 {
		return it.y + it.h/2
	}
	inset := 6.0
	return it.y + inset + (it.h-2*inset)*float64(i)/float64(n-1)
}

// WriteAccessSVG writes the access map's picture as a standalone SVG
// document, laid out by fargatekit: the five columns of AccessGraph at
// fixed x, boxes stacked with spacing, edges as cubic Bézier paths between
// the boxes (through a lane of each column they pass, never across a box),
// dangerous paths in red, broken annotations dashed, and a note above when
// the map is incomplete. The output depends on the map alone.
func WriteAccessSVG(w io.Writer, m *AccessMap) error {
	var b strings.Builder
	writeAccessSVG(&b, m, "am", true)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAccessSVG writes the <svg> element. prefix makes its marker IDs
// unique in a page with several; notes writes what could not be read
// above the picture (a page that says it already leaves it out).
func writeAccessSVG(out *strings.Builder, m *AccessMap, prefix string, notes bool) {
	g := m.Graph()
	var note []string
	if notes && len(m.Incomplete) > 0 {
		note = append(note, "INCOMPLETE: parts could not be read; the map may miss principals, bindings or roles:")
		for _, in := range m.Incomplete {
			for i, l := range wrapText(in, svgNoteChars-4, 3) {
				if i == 0 {
					note = append(note, "- "+l)
				} else {
					note = append(note, "  "+l)
				}
			}
		}
	}
	if len(g.Nodes) == 0 {
		note = append(note, "No IAM principal is mapped into the cluster and no ServiceAccount names a role.")
	}
	top := svgMargin + float64(len(note))*svgNoteH
	l := layoutAccess(g, top)
	esc := html.EscapeString
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	width := math.Max(l.width, 2*svgMargin+linesWidth(note, svgCharW))
	bottom := l.height
	var b strings.Builder

	for c := 0; c < AccessColumns; c++ {
		fmt.Fprintf(&b, `<text class="am-head" x="%s" y="%s">%s</text>`+"\n", f(l.colX[c]), f(top+16), esc(AccessColumn(c).String()))
	}
	for i, s := range note {
		fmt.Fprintf(&b, `<text class="am-note" x="%s" y="%s" xml:space="preserve">%s</text>`+"\n", f(svgMargin), f(svgMargin+12+float64(i)*svgNoteH), esc(s))
	}

	// edges, below the boxes
	b.WriteString(`<g class="am-edges">` + "\n")
	type box struct{ x0, x1, y0, y1 float64 }
	var taken []box
	for _, it := range l.byID {
		taken = append(taken, box{it.x - 2, it.x + it.w + 2, it.y - 2, it.y + it.h + 2})
	}
	sort.Slice(taken, func(i, j int) bool {
		if taken[i].x0 != taken[j].x0 {
			return taken[i].x0 < taken[j].x0
		}
		return taken[i].y0 < taken[j].y0
	})
	var labelText strings.Builder
	for ei, e := range g.Edges {
		ch := l.chains[ei]
		from, to := ch[0], ch[len(ch)-1]
		x0, y0 := from.x+from.w, port(from, ei, from.out)
		var d strings.Builder
		fmt.Fprintf(&d, "M%s %s", f(x0), f(y0))
		type seg struct{ x0, y0, x1, y1 float64 }
		var segs []seg
		curve := func(x1, y1 float64) {
			dx := (x1 - x0) / 2
			fmt.Fprintf(&d, " C%s %s %s %s %s %s", f(x0+dx), f(y0), f(x1-dx), f(y1), f(x1), f(y1))
			segs = append(segs, seg{x0, y0, x1, y1})
		}
		for _, lane := range ch[1 : len(ch)-1] {
			curve(lane.x, lane.y)
			x0, y0 = lane.x+lane.w, lane.y
			fmt.Fprintf(&d, " L%s %s", f(x0), f(y0))
		}
		curve(to.x, port(to, ei, to.in))
		cls, marker := "am-edge am-"+e.Kind, prefix+"-arrow"
		switch {
		case e.Danger:
			cls, marker = cls+" am-danger", prefix+"-arrow-danger"
		case e.Broken:
			marker = prefix + "-arrow-broken"
		}
		if e.Broken {
			cls += " am-broken"
		}
		tip := from.node.Label + " → " + to.node.Label
		if e.Label != "" {
			tip += ": " + e.Label
		}
		fmt.Fprintf(&b, `<path class="%s" d="%s" marker-end="url(#%s)" data-from="%s" data-to="%s"><title>%s</title></path>`+"\n",
			cls, d.String(), marker, esc(e.From), esc(e.To), esc(tip))

		// The label, at the middle of its stretch, moved off the boxes
		// and the labels already placed.
		lb := l.labels[ei]
		if lb.lines == nil {
			continue
		}
		s := segs[0]
		tw := linesWidth(lb.lines, svgLabelCharW)
		th := float64(len(lb.lines)) * svgLabelLineH
		lx, ly := (s.x0+s.x1)/2, (s.y0+s.y1)/2
		p := box{lx - tw/2 - 2, lx + tw/2 + 2, ly - th/2 - 1, ly + th/2 + 1}
		for k := 1; k < 400; k++ {
			clash := false
			for _, q := range taken {
				if p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1 {
					clash = true
					break
				}
			}
			if !clash {
				break
			}
			// try below, above, further below, …
			off := float64((k+1)/2) * 6
			if k%2 == 0 {
				off = -off
			}
			p.y0, p.y1 = ly-th/2-1+off, ly+th/2+1+off
		}
		taken = append(taken, p)
		bottom = math.Max(bottom, p.y1+svgMargin)
		lcls := "am-label"
		if e.Danger {
			lcls += " am-danger"
		} else if e.Broken {
			lcls += " am-broken"
		}
		fmt.Fprintf(&labelText, `<polygon class="am-label-bg" points="%s,%s %s,%s %s,%s %s,%s"/>`+"\n", f(p.x0), f(p.y0), f(p.x1), f(p.y0), f(p.x1), f(p.y1), f(p.x0), f(p.y1))
		fmt.Fprintf(&labelText, `<text class="%s" x="%s" y="%s" text-anchor="middle">`, lcls, f(lx), f(p.y0+1+svgLabelLineH-2.5))
		for i, line := range lb.lines {
			dy := "0"
			if i > 0 {
				dy = f(svgLabelLineH)
			}
			fmt.Fprintf(&labelText, `<tspan x="%s" dy="%s">%s</tspan>`, f(lx), dy, esc(line))
		}
		labelText.WriteString("</text>\n")
	}
	b.WriteString("</g>\n")

	// boxes
	b.WriteString(`<g class="am-nodes">` + "\n")
	for i := range g.Nodes {
		n := &g.Nodes[i]
		it := l.byID[n.ID]
		cls := "am-node am-" + n.Kind
		if n.Danger {
			cls += " am-danger"
		}
		tip := n.Label
		if n.Detail != "" {
			tip = n.Detail
		}
		fmt.Fprintf(&b, `<g class="%s" data-id="%s"><title>%s</title><rect x="%s" y="%s" width="%s" height="%s" rx="5"/><text x="%s" y="%s">%s</text></g>`+"\n",
			cls, esc(n.ID), esc(tip), f(it.x), f(it.y), f(it.w), f(it.h), f(it.x+svgNodePadX), f(it.y+it.h/2+svgFont*0.35), esc(svgText(n.Label, svgMaxNodeText)))
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g class="am-labels">` + "\n" + labelText.String() + "</g>\n")

	fmt.Fprintf(out, `<svg xmlns="http://www.w3.org/2000/svg" class="access-map" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">`+"\n",
		f(width), f(bottom), f(width), f(bottom), esc("access map of cluster "+clusterTitle(m)))
	fmt.Fprintf(out, "<title>%s</title>\n", esc("Access map of cluster "+clusterTitle(m)+" ("+m.Cluster+")"))
	out.WriteString(`<style>
.access-map text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;fill:#1c2630}
.access-map .am-head{font-size:13px;font-weight:bold;fill:#37474f}
.access-map .am-note{font-size:12px;font-weight:bold;fill:#b71c1c}
.access-map .am-node rect{stroke-width:1.2}
.access-map .am-node text{font-size:12px}
.access-map .am-principal rect{fill:#e3f2fd;stroke:#1e88e5}
.access-map .am-group rect,.access-map .am-user rect{fill:#ede7f6;stroke:#5e35b1}
.access-map .am-serviceaccount rect{fill:#e8f5e9;stroke:#43a047}
.access-map .am-role rect{fill:#fff8e1;stroke:#f9a825}
.access-map .am-capability rect{fill:#eceff1;stroke:#546e7a}
.access-map .am-node.am-danger rect{fill:#ffebee;stroke:#c62828;stroke-width:2.5}
.access-map .am-node.am-danger text{fill:#b71c1c;font-weight:bold}
.access-map .am-edge{fill:none;stroke:#90a4ae;stroke-width:1.3}
.access-map .am-pod-create{stroke:#64b5f6}
.access-map .am-trust{stroke:#66bb6a}
.access-map .am-edge.am-danger{stroke:#d32f2f;stroke-width:2.6}
.access-map .am-edge.am-broken{stroke:#ef6c00;stroke-dasharray:6 4}
.access-map .am-label{font-size:10.5px;fill:#455a64}
.access-map .am-label-bg{fill:#fff;fill-opacity:0.9}
.access-map .am-label.am-danger{fill:#b71c1c;font-weight:bold}
.access-map .am-label.am-broken{fill:#e65100}
</style>
`)
	fmt.Fprintf(out, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><polygon points="0,0 10,5 0,10" fill="#78909c"/></marker>`, prefix)
	fmt.Fprintf(out, `<marker id="%s-arrow-danger" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" orient="auto"><polygon points="0,0 10,5 0,10" fill="#d32f2f"/></marker>`, prefix)
	fmt.Fprintf(out, `<marker id="%s-arrow-broken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><polygon points="0,0 10,5 0,10" fill="#ef6c00"/></marker></defs>`+"\n", prefix)
	out.WriteString(b.String())
	out.WriteString("</svg>\n")
}
