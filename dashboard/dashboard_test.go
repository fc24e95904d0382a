package dashboard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestOpenFileRefusesEscapes(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.png"), []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.png"), []byte("ok"), 0o644)
	if err := os.Symlink(filepath.Join(outside, "secret.png"), filepath.Join(dir, "link.png")); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, p := range []string{"../" + filepath.Base(outside) + "/secret.png", "a/../../x", filepath.Join(outside, "secret.png"), "/etc/passwd", "link.png"} {
		f, err := OpenFile(root, p)
		if err == nil {
			f.Close()
			t.Errorf("OpenFile(%q) succeeded", p)
		} else if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("OpenFile(%q): %v, want ErrUnsafePath", p, err)
		}
	}
	f, err := OpenFile(root, "ok.png")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	srv := httptest.NewServer(NewServer(root).Handler())
	defer srv.Close()
	for p, want := range map[string]int{"ok.png": 200, "link.png": 403, "..%2Fx": 403, "%2Fetc%2Fpasswd": 403, "missing.png": 404} {
		resp, err := http.Get(srv.URL + "/api/file?path=" + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET file %s: %d, want %d", p, resp.StatusCode, want)
		}
	}
	// Read-only: no method but GET and the forward POST.
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/api/file?path=ok.png", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "ok.png")); err != nil {
		t.Error(err)
	}
}

func TestListenWarnsOffLoopback(t *testing.T) {
	l, warn, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if warn != "" {
		t.Errorf("loopback warned: %s", warn)
	}
	l, warn, err = Listen("0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if !strings.Contains(warn, "not on loopback") {
		t.Errorf("0.0.0.0: warning %q", warn)
	}
	if !strings.HasPrefix(DefaultAddr, "127.0.0.1:") {
		t.Errorf("DefaultAddr %s is not loopback", DefaultAddr)
	}
}

func TestReadDirThreeRuns(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a", "b", "c"} {
		os.Mkdir(filepath.Join(dir, name), 0o755)
		csv := "epoch,loss,val_loss\n"
		for e := range 3 {
			csv += fmt.Sprintf("%d,%g,%g\n", e, 1/float64(e+1+i), 1.5/float64(e+1))
		}
		os.WriteFile(filepath.Join(dir, name, "history.csv"), []byte(csv), 0o644)
	}
	root, _ := os.OpenRoot(dir)
	defer root.Close()
	runs, _, err := ReadDir(root, "runs")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, r := range runs {
		if r.Name() != []string{"a", "b", "c"}[i] || len(r.state.Epochs) != 3 {
			t.Errorf("run %d: %s with %d epochs", i, r.Name(), len(r.state.Epochs))
		}
	}
	s := NewServer(root)
	for _, r := range runs {
		s.AddRun(r.Run)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/runs", nil))
	if rec.Code != 200 || strings.Count(rec.Body.String(), `"val_loss"`) < 9 {
		t.Errorf("runs: %d %s", rec.Code, rec.Body.String())
	}
}

// A client that connects and stops reading: Publish never blocks and the
// server's memory stays bounded however many events are published.
func TestSlowClientBoundedMemory(t *testing.T) {
	s := NewServer(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, _, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ctx, l)
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, ": connected") {
			break
		}
	}
	// From here the client reads nothing.
	for s.Broker().Clients() == 0 {
		time.Sleep(time.Millisecond)
	}
	msg := []byte(strings.Repeat("x", 4096))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	const n = 200000 // 800 MB if it were queued
	for range n {
		s.Broker().Publish(msg)
	}
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d events in %v, dropped %d, heap grew %d bytes", n, elapsed, s.Broker().Dropped(), grown)
	if grown > 16<<20 {
		t.Errorf("heap grew %d bytes with a client that stopped reading", grown)
	}
	if s.Broker().Dropped() < n-DefaultClientBuffer-1000 {
		t.Errorf("only %d of %d events dropped", s.Broker().Dropped(), n)
	}
}

func TestParseSummaryGraph(t *testing.T) {
	text := `Model: "m"
____________________________________________________________________________________________________
Layer (type)                     Output Shape          Param #     Connected to
====================================================================================================
input_1 (InputLayer)             (None, 4)             0
____________________________________________________________________________________________________
dense_1 (Dense)                  (None, 2)             10          input_1[0][0]
____________________________________________________________________________________________________
add_1 (Add)                      (None, 2)             0           dense_1[0][0]
                                                                   dense_1[0][0]
====================================================================================================
Total params: 10
Trainable params: 10
Non-trainable params: 0
`
	s := ParseSummary(text)
	if !s.Graph || len(s.Rows) != 3 || s.Rows[1][2] != "10" || len(s.Edges) != 3 || s.Edges[0] != [2]string{"input_1", "dense_1"} {
		t.Errorf("%+v", s)
	}
}
