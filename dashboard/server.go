// Package dashboard serves neurona's training dashboard: a page, embedded
// in the binary, that draws the learning curves of live and past runs,
// the model summary, the per-layer learning speed, the weight and
// gradient histograms, the sample images and the forward pass of one
// input, neuron by neuron.
//
// A live run is filled by a Callback and streamed to the page with
// server-sent events; past runs are read from a directory (see ReadDir).
// The server is read-only: it never writes or deletes a file, and it
// serves only files under its directory.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// DefaultAddr is the address the dashboard listens on by default: the
// loopback interface only, on TensorBoard's port.
const DefaultAddr = "127.0.0.1:6006"

//go:embed assets
var assets embed.FS

// Server serves runs to the page.
type Server struct {
	broker *Broker
	root   *os.Root // the directory whose files it serves; nil for none
	// Interval is how often the server turns the live runs' new batches
	// into events (default 1 s, as often as the page draws).
	Interval time.Duration

	mu   sync.Mutex
	runs []*Run
	// stopping is closed when Serve stops: the event streams end, so the
	// shutdown does not wait for them.
	stopping chan struct{}
	stopOnce sync.Once
}

// NewServer returns a server of no runs. root, when not nil, is the
// directory whose files (the runs' images) it serves.
func NewServer(root *os.Root) *Server {
	return &Server{broker: NewBroker(DefaultClientBuffer), root: root, Interval: time.Second, stopping: make(chan struct{})}
}

// Broker returns the server's event broker.
func (s *Server) Broker() *Broker { return s.broker }

// AddRun adds a run to those the page shows.
func (s *Server) AddRun(r *Run) {
	s.mu.Lock()
	s.runs = append(s.runs, r)
	s.mu.Unlock()
	s.broker.Publish([]byte(fmt.Sprintf(`{"type":"state","run":%q}`, r.Name())))
}

func (s *Server) run(name string) *Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.runs {
		if r.Name() == name {
			return r
		}
	}
	return nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	files := http.FileServerFS(static)
	mux.Handle("GET /", files)
	mux.HandleFunc("GET /api/runs", s.handleRuns)
	mux.HandleFunc("GET /api/events", s.handleEvents)
	mux.HandleFunc("POST /api/forward", s.handleForward)
	mux.HandleFunc("GET /api/file", s.handleFile)
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) handleRuns(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	runs := append([]*Run(nil), s.runs...)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, runs)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b)
}

// handleEvents streams the broker's events to one client.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ch, cancel := s.broker.Subscribe()
	defer cancel()
	// The publisher sends a run's changes only to the clients connected
	// when it looks: a state event first makes this one fetch the runs
	// after it has subscribed, so it misses nothing.
	io.WriteString(w, ": connected\n\ndata: {\"type\":\"state\"}\n\n")
	flusher.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-s.stopping:
			return
		case msg := <-ch:
			_, err = fmt.Fprintf(w, "data: %s\n\n", msg)
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		}
		if err != nil {
			return
		}
		flusher.Flush()
	}
}

func (s *Server) handleForward(w http.ResponseWriter, r *http.Request) {
	run := s.run(r.URL.Query().Get("run"))
	if run == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such run"})
		return
	}
	run.mu.Lock()
	f := run.fwd
	run.mu.Unlock()
	if f == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "this run has no forward pass"})
		return
	}
	var req ForwardRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	v, err := f.Forward(ctx, req)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// ErrUnsafePath is returned for a path that names no file under the
// served directory: absolute, with "..", or through a link out of it.
var ErrUnsafePath = errors.New("path outside the served directory")

// CheckPath checks a slash-separated path relative to the served
// directory: not absolute, no "." or ".." element, no backslash, no NUL.
// Links are checked when the file is opened (os.Root refuses those that
// leave the directory).
func CheckPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || (len(p) > 1 && p[1] == ':') {
		return ErrUnsafePath
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return ErrUnsafePath
		}
	}
	return nil
}

// OpenFile opens a file under root by its slash-separated relative path,
// refusing absolute paths, ".." and links that lead out of root.
func OpenFile(root *os.Root, p string) (*os.File, error) {
	if err := CheckPath(p); err != nil {
		return nil, fmt.Errorf("%q: %w", p, err)
	}
	f, err := root.Open(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%q: %w (%v)", p, ErrUnsafePath, err)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%q: not a regular file", p)
	}
	return f, err
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	if s.root == nil {
		http.NotFound(w, r)
		return
	}
	p := r.URL.Query().Get("path")
	f, err := OpenFile(s.root, p)
	if err != nil {
		if errors.Is(err, ErrUnsafePath) {
			http.Error(w, "forbidden", http.StatusForbidden)
		} else {
			http.NotFound(w, r)
		}
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, path.Base(p), st.ModTime(), f)
}

// Listen listens on addr (DefaultAddr when empty) and returns the
// listener and, when addr is not a loopback address, a warning to print:
// the dashboard then shows the runs to the network.
func Listen(addr string) (net.Listener, string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("dashboard address %q: %w", addr, err)
	}
	warning := ""
	if !IsLoopback(host) {
		warning = fmt.Sprintf("warning: the dashboard listens on %s, not on loopback: anyone who can reach this machine can see the runs", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("dashboard: %w", err)
	}
	return l, warning, nil
}

// IsLoopback reports whether host names the loopback interface.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves the page on l and streams the live runs' events until ctx
// is done; it then closes l and returns nil.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	pubDone := make(chan struct{})
	go func() { defer close(pubDone); s.publish(ctx) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// The publisher's last pass sends what the run did last (its last
	// epoch, done); the clients get a moment to receive it.
	<-pubDone
	s.broker.Drain(time.Second)
	time.Sleep(50 * time.Millisecond) // the handler writes what it took off the queue
	s.stopOnce.Do(func() { close(s.stopping) })
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// cursor is what the publisher last sent of a run.
type cursor struct {
	epochs, batches, stride, hists, images int
	done                                   bool
	speed                                  *Speed
	summary                                *Summary
}

// publish turns the live runs' changes into events every Interval, and
// once more when ctx ends. With no client connected it only moves its
// cursors: nothing is marshalled.
func (s *Server) publish(ctx context.Context) {
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	seen := map[*Run]*cursor{}
	for last := false; !last; {
		select {
		case <-ctx.Done():
			last = true
		case <-tick.C:
		}
		s.mu.Lock()
		runs := append([]*Run(nil), s.runs...)
		s.mu.Unlock()
		listening := s.broker.Clients() > 0
		for _, r := range runs {
			c := seen[r]
			if c == nil {
				c = &cursor{stride: 1}
				seen[r] = c
			}
			if ev := r.changes(c); ev != nil && listening {
				if b, err := json.Marshal(ev); err == nil {
					s.broker.Publish(b)
				}
			}
		}
	}
}

// update is the event of what a run added since the publisher's last
// look: the points, epochs, histograms and images after From,
// EpochsFrom, HistsFrom and ImagesFrom. A client that holds exactly that much appends them; any
// other fetches the run again. A "state" event (a new summary, or the
// batch curve thinned) always asks for a fetch.
type update struct {
	Type       string       `json:"type"`
	Run        string       `json:"run"`
	From       int          `json:"from"`
	Points     []Point      `json:"points"`
	EpochsFrom int          `json:"epochs_from"`
	Epochs     []Epoch      `json:"epochs"`
	Keys       []string     `json:"keys,omitempty"`
	HistsFrom  int          `json:"hists_from"`
	Hists      []EpochHists `json:"hists"`
	ImagesFrom int          `json:"images_from"`
	Images     []string     `json:"images"`
	Speed      *Speed       `json:"speed,omitempty"`
	Progress   *Progress    `json:"progress,omitempty"`
	Done       bool         `json:"done"`
}

// changes returns the event for what changed in r since c, or nil. It
// copies under the run's lock and leaves the marshalling to the caller,
// so the training goroutine never waits for JSON.
func (r *Run) changes(c *cursor) *update {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.state
	if st.batchStride != c.stride || st.Summary != c.summary {
		c.epochs, c.batches, c.hists, c.images, c.stride, c.summary, c.speed, c.done = len(st.Epochs), len(st.Batches), len(st.Hists), len(st.Images), st.batchStride, st.Summary, st.Speed, st.Done
		return &update{Type: "state", Run: st.Name}
	}
	if len(st.Batches) == c.batches && len(st.Epochs) == c.epochs && len(st.Hists) == c.hists && len(st.Images) == c.images && st.Done == c.done && st.Speed == c.speed {
		return nil
	}
	u := &update{Type: "update", Run: st.Name, From: c.batches, EpochsFrom: c.epochs, HistsFrom: c.hists, Done: st.Done,
		Points: append([]Point{}, st.Batches[c.batches:]...), Epochs: append([]Epoch{}, st.Epochs[c.epochs:]...),
		Hists: append([]EpochHists{}, st.Hists[c.hists:]...), ImagesFrom: c.images, Images: append([]string{}, st.Images[c.images:]...)}
	if st.Speed != c.speed {
		u.Speed = st.Speed
	}
	if st.Progress != nil {
		p := *st.Progress
		u.Progress = &p
	}
	if len(u.Epochs) > 0 {
		u.Keys = st.Keys
	}
	c.batches, c.epochs, c.hists, c.images, c.done, c.speed = len(st.Batches), len(st.Epochs), len(st.Hists), len(st.Images), st.Done, st.Speed
	return u
}
