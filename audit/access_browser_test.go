package audit

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. The browser test is an interop
// test: a missing browser fails it; -short skips it, as it skips every
// test that runs an external process.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser test runs chromium, an external process")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found on PATH: the HTML access map is tested in a real headless browser; install it with `apt-get install chromium` (.ci/run does)")
	return ""
}

// pageReport is what the page tells about itself once loaded.
type pageReport struct {
	SVGs      int       `json:"svgs"`
	Width     float64   `json:"width"`
	Height    float64   `json:"height"`
	Nodes     int       `json:"nodes"`
	Edges     int       `json:"edges"`
	Problems  []string  `json:"problems"`
	Rows      int       `json:"rows"`
	LegendBox []float64 `json:"legendBox"`
}

// layoutCheck runs in the page: it measures what the browser drew and
// lists what would make the picture hard to read: a label wider than its
// box, an edge that ends away from its box, labels on each other or on a
// box.
const layoutCheck = `(() => {
  const svgs = [...document.querySelectorAll('svg.access-map')];
  const r = svgs[0].getBoundingClientRect();
  const problems = [];
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (const svg of svgs) {
    const boxes = new Map();
    for (const g of svg.querySelectorAll('g.am-node')) {
      const rect = g.querySelector('rect').getBBox(), text = g.querySelector('text').getBBox();
      boxes.set(g.dataset.id, rect);
      if (text.x < rect.x || text.x + text.width > rect.x + rect.width) problems.push('label wider than its box: ' + g.dataset.id);
    }
    for (const p of svg.querySelectorAll('path.am-edge')) {
      const end = p.getPointAtLength(p.getTotalLength()), start = p.getPointAtLength(0);
      const to = boxes.get(p.dataset.to), from = boxes.get(p.dataset.from);
      if (Math.abs(end.x - to.x) > 1 || end.y < to.y || end.y > to.y + to.height) problems.push('edge does not reach ' + p.dataset.to);
      if (Math.abs(start.x - (from.x + from.width)) > 1 || start.y < from.y || start.y > from.y + from.height) problems.push('edge does not leave ' + p.dataset.from);
    }
    const labels = [...svg.querySelectorAll('text.am-label')].map(t => [t.textContent, t.getBBox()]);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (overlap(labels[i][1], labels[j][1])) problems.push('labels overlap: ' + labels[i][0] + ' / ' + labels[j][0]);
      }
      for (const [id, b] of boxes) {
        if (overlap(labels[i][1], b)) problems.push('label on a box: ' + labels[i][0] + ' / ' + id);
      }
    }
  }
  const legend = document.querySelector('.legend').getBoundingClientRect();
  return {svgs: svgs.length, width: r.width, height: r.height,
    nodes: document.querySelectorAll('svg.access-map g.am-node').length,
    edges: document.querySelectorAll('svg.access-map path.am-edge').length,
    rows: document.querySelectorAll('#findings + table tbody tr').length,
    legendBox: [legend.width, legend.height], problems};
})()`

// TestAccessBrowser loads the HTML page in headless Chromium from a file
// (no network: the page must be self-contained), and checks that it loads
// without console errors or exceptions, that the SVG maps render with the
// graph's boxes and edges, that the picture is readable, and takes a
// screenshot of the page (copied to $FARGATEKIT_SCREENSHOT when set) and
// one of the legend and the first map (to $FARGATEKIT_MAP_SCREENSHOT).
func TestAccessBrowser(t *testing.T) {
	bin := chromiumPath(t)
	dir := t.TempDir()
	maps := []*AccessMap{accessFixture(), incompleteFixture()}
	var page bytes.Buffer
	if err := WriteAccessHTML(&page, maps, accessFindings()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "access.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	wantNodes, wantEdges := 0, 0
	for _, m := range maps {
		g := m.Graph()
		wantNodes += len(g.Nodes)
		wantEdges += len(g.Edges)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, // as root, Chromium runs only without its sandbox
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1600, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		// No name resolves, so nothing beyond loopback can be reached
		// even if the page or the browser tried.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost"),
		chromedp.Flag("proxy-server", "127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer bcancel()

	var mu sync.Mutex
	var problems, requests []string
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console error: "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "browser log error: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		}
	}); err != nil {
		t.Fatalf("starting chromium %s: %v", bin, err)
	}
	u := (&url.URL{Scheme: "file", Path: file}).String()
	if err := chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("svg.access-map"))); err != nil {
		t.Fatalf("loading %s: %v", u, err)
	}
	rep, err := chromedp.Run(bctx, chromedp.Evaluate[pageReport](layoutCheck))
	if err != nil {
		t.Fatalf("measuring the page: %v", err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// The legend and the first map, as the README shows them.
	legend, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSS("#legend")))
	if err != nil {
		t.Fatal(err)
	}
	firstMap, err := chromedp.Run(bctx, chromedp.Nodes(chromedp.CSS(".cluster .map")))
	if err != nil {
		t.Fatal(err)
	}
	mapShot, err := chromedp.Run(bctx, chromedp.ScreenshotNodes(append(legend, firstMap...), 1))
	if err != nil {
		t.Fatalf("screenshot of the map: %v", err)
	}
	// Let late events (a failed load, an error logged after load) arrive.
	if err := chromedp.Do(bctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("page: %s", p)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, "file:") && !strings.HasPrefix(r, "data:") {
			t.Errorf("the page requested %s: it must be self-contained", r)
		}
	}
	if rep.SVGs != len(maps) || rep.Width <= 0 || rep.Height <= 0 {
		t.Errorf("SVG maps: %d rendered, the first %vx%v; want %d with a size", rep.SVGs, rep.Width, rep.Height, len(maps))
	}
	if rep.Nodes != wantNodes || rep.Edges != wantEdges {
		t.Errorf("DOM has %d boxes and %d edges; the graphs have %d and %d", rep.Nodes, rep.Edges, wantNodes, wantEdges)
	}
	if rep.Rows != len(accessFindings()) {
		t.Errorf("findings table has %d rows, want %d", rep.Rows, len(accessFindings()))
	}
	if len(rep.LegendBox) != 2 || rep.LegendBox[0] <= 0 || rep.LegendBox[1] <= 0 {
		t.Errorf("legend not visible: %v", rep.LegendBox)
	}
	for _, p := range rep.Problems {
		t.Errorf("layout: %s", p)
	}

	for name, png := range map[string][]byte{"page": shot, "map": mapShot} {
		if len(png) < 1000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("%s screenshot is not a PNG (%d bytes)", name, len(png))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "access.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "access-map.png"), mapShot, 0o644); err != nil {
		t.Fatal(err)
	}
	// $FARGATEKIT_SCREENSHOT gets the whole page, and
	// $FARGATEKIT_MAP_SCREENSHOT the legend and first map (docs/access-map.png).
	for env, png := range map[string][]byte{"FARGATEKIT_SCREENSHOT": shot, "FARGATEKIT_MAP_SCREENSHOT": mapShot} {
		if dst := os.Getenv(env); dst != "" {
			if err := os.WriteFile(dst, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot of %d bytes written to %s", len(png), dst)
		}
	}
}
