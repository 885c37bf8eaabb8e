package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestZZMermaid(t *testing.T) {
	js, _ := os.ReadFile("/tmp/mm/package/dist/mermaid.min.js")
	var docs []string
	for _, f := range []string{"/tmp/demo.mmd", "/tmp/hostile.mmd", "/tmp/incomplete.mmd"} {
		b, _ := os.ReadFile(f)
		docs = append(docs, string(b))
	}
	dj, _ := json.Marshal(docs)
	page := "<!DOCTYPE html><html><head><meta charset=utf-8><script>" + string(js) + "</script></head><body><div id=out></div><script>" +
		"window.results=[];mermaid.initialize({startOnLoad:false});(async()=>{const docs=" + string(dj) + ";for(let i=0;i<docs.length;i++){try{const r=await mermaid.render('g'+i,docs[i]);document.getElementById('out').insertAdjacentHTML('beforeend',r.svg);window.results.push('ok')}catch(e){window.results.push('ERR '+e.message)}}window.done=true})()</script></body></html>"
	dir := t.TempDir()
	p := filepath.Join(dir, "m.html")
	os.WriteFile(p, []byte(page), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, ac := chromedp.NewExecAllocator(ctx, chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox, chromedp.Headless, chromedp.WindowSize(2400, 3000), chromedp.UserDataDir(filepath.Join(dir, "p")))
	defer ac()
	b, bc := chromedp.NewContext(a)
	defer bc()
	if err := chromedp.Do(b, chromedp.Navigate("file://"+p)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b, chromedp.Poll[bool]("window.done === true")); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(b, chromedp.Evaluate[[]string]("window.results"))
	t.Log(res, err)
	shot, _ := chromedp.Run(b, chromedp.FullScreenshot(100))
	os.WriteFile("/tmp/mermaid.png", shot, 0o644)
}
