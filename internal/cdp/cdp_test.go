package cdp

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// Browser starts the Chromium of the browser tests: they run when
// NEURONA_BROWSER_TEST=1 (.ci/run sets it and installs Chromium), and
// fail rather than skip when it is set and no Chromium is found.
func browser(t *testing.T) *Browser {
	t.Helper()
	if os.Getenv("NEURONA_BROWSER_TEST") != "1" {
		t.Skip("set NEURONA_BROWSER_TEST=1 to run the headless Chromium tests")
	}
	path, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b, err := Start(ctx, path, t.TempDir(), 640, 480)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestEvalClickScreenshot(t *testing.T) {
	b := browser(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!doctype html><body style="margin:0"><button id="b" style="width:200px;height:50px" onclick="this.textContent='clicked '+(6*7)">go</button></body>`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := b.Eval(ctx, `document.getElementById("b").click()`, nil); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := b.Eval(ctx, `document.getElementById("b").textContent`, &got); err != nil {
		t.Fatal(err)
	}
	if got != "clicked 42" {
		t.Fatalf("button text %q after the click, want %q", got, "clicked 42")
	}
	var n float64
	if err := b.Eval(ctx, `new Promise(r=>setTimeout(()=>r(1+1),10))`, &n); err != nil || n != 2 {
		t.Fatalf("awaited promise: %v, %v; want 2", n, err)
	}
	if err := b.Eval(ctx, `nosuchname.x`, nil); err == nil {
		t.Fatal("a script that throws gave no error")
	}
	shot, err := b.Screenshot(ctx, "#b")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 200 || s.Y != 50 {
		t.Fatalf("the element's screenshot is %v, want 200×50", s)
	}
}
