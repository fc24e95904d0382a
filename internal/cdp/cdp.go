// Package cdp drives a headless Chromium over the Chrome DevTools Protocol
// for the dashboard's browser tests and its overhead bench. It speaks the
// protocol over --remote-debugging-pipe (NUL-terminated JSON messages on
// file descriptors 3 and 4), so it needs no WebSocket client and no
// dependency: the few commands the tests use (navigate, evaluate a
// script, take a screenshot) are plain JSON.
package cdp

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Browser is a running headless Chromium with one page.
type Browser struct {
	cmd     *exec.Cmd
	w       io.WriteCloser
	session string

	mu      sync.Mutex
	next    int
	pending map[int]chan reply
	err     error // set when the pipe broke
	done    chan struct{}
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Find returns the Chromium to run: $NEURONA_CHROMIUM when set, else the
// first of chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("NEURONA_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", errors.New("cdp: no chromium on PATH (set NEURONA_CHROMIUM)")
}

// Start runs a headless Chromium from path with a width×height viewport,
// its profile in userDir, and opens one blank page.
func Start(ctx context.Context, path, userDir string, width, height int) (*Browser, error) {
	inR, inW, err := os.Pipe() // commands: we write, Chromium reads fd 3
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe() // replies: Chromium writes fd 4
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	args := []string{"--headless", "--remote-debugging-pipe",
		"--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + userDir, fmt.Sprintf("--window-size=%d,%d", width, height)}
	args = append(args, "about:blank")
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.ExtraFiles = []*os.File{inR, outW}
	if err := cmd.Start(); err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	inR.Close()
	outW.Close()
	b := &Browser{cmd: cmd, w: inW, pending: map[int]chan reply{}, done: make(chan struct{})}
	go b.read(outR)
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		b.Close()
		return nil, err
	}
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &a); err != nil {
		b.Close()
		return nil, err
	}
	b.session = a.SessionID
	for _, c := range []struct {
		method string
		params map[string]any
	}{
		{"Page.enable", nil},
		{"Runtime.enable", nil},
		{"Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}},
	} {
		if err := b.Call(ctx, c.method, c.params, nil); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// read dispatches the replies; events (messages without an id) are
// dropped.
func (b *Browser) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	var err error
	for {
		var msg []byte
		msg, err = br.ReadBytes(0)
		if err != nil {
			break
		}
		var m struct {
			ID *int `json:"id"`
			reply
		}
		if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == nil {
			continue
		}
		b.mu.Lock()
		ch := b.pending[*m.ID]
		delete(b.pending, *m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m.reply
		}
	}
	b.mu.Lock()
	b.err = fmt.Errorf("cdp: the browser's pipe closed: %v", err)
	b.mu.Unlock()
	close(b.done)
}

// Call sends a command to the page and decodes its result into out
// (when not nil).
func (b *Browser) Call(ctx context.Context, method string, params map[string]any, out any) error {
	return b.call(ctx, b.session, method, params, out)
}

func (b *Browser) call(ctx context.Context, session, method string, params map[string]any, out any) error {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return b.err
	}
	b.next++
	id := b.next
	ch := make(chan reply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.w.Write(append(data, 0)); err != nil {
		return fmt.Errorf("cdp: %s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return fmt.Errorf("cdp: %s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	}
}

// Navigate opens url in the page and waits for its load event to have
// fired (document.readyState "complete").
func (b *Browser) Navigate(ctx context.Context, url string) error {
	if err := b.Call(ctx, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return err
	}
	return b.WaitTrue(ctx, `document.readyState === "complete"`)
}

// Eval evaluates a JavaScript expression in the page, awaiting it when it
// is a promise, and decodes its value (JSON) into out when out is not nil.
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if e := r.Exception; e != nil {
		return fmt.Errorf("cdp: %s: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// WaitTrue evaluates expr every 50 ms until it is true or ctx ends.
func (b *Browser) WaitTrue(ctx context.Context, expr string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var ok bool
		if err := b.Eval(ctx, "!!("+expr+")", &ok); err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cdp: waiting for %s: %w", expr, ctx.Err())
		case <-tick.C:
		}
	}
}

// Screenshot returns a PNG of the page: the whole document when selector
// is empty, else the element it selects (scrolled into view).
func (b *Browser) Screenshot(ctx context.Context, selector string) ([]byte, error) {
	var box struct{ X, Y, W, H float64 }
	expr := `(()=>{const e=document.documentElement;return {X:0,Y:0,W:e.scrollWidth,H:e.scrollHeight}})()`
	if selector != "" {
		sel, _ := json.Marshal(selector)
		expr = `(()=>{const e=document.querySelector(` + string(sel) + `);if(!e)return null;const r=e.getBoundingClientRect();` +
			`return {X:r.left+window.scrollX,Y:r.top+window.scrollY,W:r.width,H:r.height}})()`
	}
	if err := b.Eval(ctx, expr, &box); err != nil {
		return nil, err
	}
	if box.W <= 0 || box.H <= 0 {
		return nil, fmt.Errorf("cdp: nothing to capture at %q", selector)
	}
	var r struct {
		Data string `json:"data"`
	}
	if err := b.Call(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": box.X, "y": box.Y, "width": box.W, "height": box.H, "scale": 1},
	}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Pid returns the process ID of the browser's main process.
func (b *Browser) Pid() int { return b.cmd.Process.Pid }

// Close ends the browser.
func (b *Browser) Close() error {
	b.w.Close() // Chromium exits when its command pipe closes
	t := time.AfterFunc(5*time.Second, func() { b.cmd.Process.Kill() })
	defer t.Stop()
	return b.cmd.Wait()
}
