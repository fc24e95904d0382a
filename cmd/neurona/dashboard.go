package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurona/neurona/dashboard"
	"github.com/neurona/neurona/spec"
)

// dashFlag is --dashboard: alone it serves on dashboard.DefaultAddr,
// --dashboard=ADDR on ADDR.
type dashFlag struct{ addr *string }

func (d dashFlag) String() string {
	if d.addr == nil {
		return ""
	}
	return *d.addr
}

func (d dashFlag) Set(v string) error {
	if v == "true" {
		v = dashboard.DefaultAddr
	}
	if v == "false" {
		v = ""
	}
	*d.addr = v
	return nil
}

func (dashFlag) IsBoolFlag() bool { return true }

// startDashboard serves the job's run live when --dashboard is set; the
// returned function stops the server.
func startDashboard(ctx context.Context, addr string, j *job, title string, stderr io.Writer) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	l, warn, err := dashboard.Listen(addr)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "neurona:", warn)
	}
	srv := dashboard.NewServer(nil)
	run := dashboard.NewRun(title)
	var b strings.Builder
	if err := j.model.Summary(&b); err == nil {
		run.SetSummary(dashboard.ParseSummary(b.String()))
	}
	var forward func(dashboard.ForwardRequest) (any, error)
	info := dashboard.ForwardInfo{}
	if seq, ok := j.model.AsSequential(); ok {
		if in := seq.InputShape(); len(in) == 1 {
			info.Inputs = in[0]
			if in[0] == 784 {
				info.Image = []int{28, 28}
			}
			if j.valid.X != nil {
				info.Rows = j.valid.X.Rows()
			}
			forward = func(req dashboard.ForwardRequest) (any, error) {
				x := req.Input
				if x == nil {
					if j.valid.X == nil || req.Row < 0 || req.Row >= j.valid.X.Rows() {
						return nil, fmt.Errorf("row %d is not a validation row", req.Row)
					}
					for _, v := range j.valid.X.Row(req.Row) {
						x = append(x, float64(v))
					}
				}
				return explainModel(seq, x, numbered("x", len(x)))
			}
		}
	}
	j.dash = dashboard.NewCallback(run, j.speed, forward, info)
	srv.AddRun(run)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(sctx, l) }()
	fmt.Fprintf(stderr, "neurona: dashboard at http://%s/\n", l.Addr())
	return func() { j.dash.Finish(); cancel(); <-done }, nil
}

func dashboardCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", dashboard.DefaultAddr, "the address to listen on (loopback by default; another interface prints a warning)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona dashboard DIR [flags]\n\nServes the runs under DIR in the browser, read-only: history CSVs (--history),\nTensorBoard directories (--tensorboard), saved models (--save), PNG images and\nspec files with an explain section (their forward pass). Only files under DIR are\nserved: paths with .., absolute paths and links out of DIR are refused.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	dir, err := parseArgs(fs, "dashboard", args, "a directory")
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	runs, skipped, err := dashboard.ReadDir(root, filepath.Base(filepath.Clean(dir)))
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintln(stderr, "neurona: skipped", s)
	}
	if len(runs) == 0 {
		return errors.New("dashboard: no runs under " + dir)
	}
	srv := dashboard.NewServer(root)
	for _, r := range runs {
		addForward(r)
		srv.AddRun(r.Run)
	}
	l, warn, err := dashboard.Listen(*addr)
	if err != nil {
		return err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "neurona:", warn)
	}
	fmt.Fprintf(stderr, "neurona: %d runs; dashboard at http://%s/ (Ctrl-C stops it)\n", len(runs), l.Addr())
	return srv.Serve(ctx, l)
}

// addForward gives a past run the forward pass of its spec's explain
// input, or of its saved Sequential model on the values a request gives.
func addForward(r *dashboard.PastRun) {
	if r.Spec != nil {
		s, err := spec.Parse(r.Spec, r.SpecFile, "")
		if err != nil || len(s.ExplainInput) == 0 || s.Graph() {
			return
		}
		m, err := s.BuildSequential(s.Fit.Seed)
		if err != nil {
			return
		}
		names := s.ExplainNames
		if len(names) != len(s.ExplainInput) {
			names = numbered("x", len(s.ExplainInput))
		}
		r.SetForwarder(dashboard.ForwarderFunc(func(_ context.Context, req dashboard.ForwardRequest) (any, error) {
			x := req.Input
			if x == nil {
				for _, v := range s.ExplainInput {
					x = append(x, float64(v))
				}
			}
			return explainModel(m, x, names)
		}), dashboard.ForwardInfo{Inputs: len(s.ExplainInput), Rows: 1})
		return
	}
	if r.Model == nil {
		return
	}
	seq, ok := r.Model.AsSequential()
	if !ok || len(seq.InputShape()) != 1 {
		return
	}
	n := seq.InputShape()[0]
	r.SetForwarder(dashboard.ForwarderFunc(func(_ context.Context, req dashboard.ForwardRequest) (any, error) {
		if len(req.Input) != n {
			return nil, fmt.Errorf("give %d input values", n)
		}
		return explainModel(seq, req.Input, numbered("x", n))
	}), dashboard.ForwardInfo{Inputs: n})
}
