package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// status shows what a long step is doing on a terminal, and nothing in
// logs: "Loading data..." then, when the step ends, "Loading data: done
// (0.4s)" in place.
type status struct {
	w     io.Writer
	what  string
	start time.Time
}

// begin starts a status line on w if w is a terminal.
func begin(w io.Writer, what string) *status {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &status{}
	}
	fmt.Fprintf(w, "%s...", what)
	return &status{w: w, what: what, start: time.Now()}
}

// done ends the status line.
func (s *status) done() {
	if s.w == nil {
		return
	}
	fmt.Fprintf(s.w, "\r%s: done (%.1fs)\n", s.what, time.Since(s.start).Seconds())
}
