package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/dashboard"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/plot"
	"github.com/neurona/neurona/tensor"
)

// weightInitAbout is the demo's line in 'neurona examples'.
const weightInitAbout = "Chapter 9's weight_initialization: one Dense(256) layer's activations on a random row of 784, per initializer and activation, not trained ('neurona run weight-init --help'); with the book's random_normal most sigmoid units saturate"

// The weight-initialization demo's sizes (A4): one input row of 784
// values into 256 units.
const (
	weightInitInputs = 784
	weightInitUnits  = 256
)

// weightInitInitializers are the kernel initializers 'neurona run
// weight-init' takes, by their Keras names: those of the initializers
// package that need no argument. random_normal has the book's stddev 1,
// not Keras's default 0.05; random_uniform has Keras's defaults.
var weightInitInitializers = map[string]initializers.Initializer{
	"random_normal":  initializers.RandomNormal{Stddev: 1},
	"random_uniform": initializers.RandomUniform{},
	"glorot_normal":  initializers.GlorotNormal{},
	"glorot_uniform": initializers.GlorotUniform{},
	"he_normal":      initializers.HeNormal{},
	"he_uniform":     initializers.HeUniform{},
	"orthogonal":     initializers.Orthogonal{},
	"zeros":          initializers.Zeros{},
	"ones":           initializers.Ones{},
}

func weightInitNames() []string {
	var names []string
	for n := range weightInitInitializers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// weightInitActivations are the activations the demo takes.
var weightInitActivations = []activations.Name{activations.Sigmoid, activations.Tanh, activations.ReLU}

// weightInitResult is one draw of the demo.
type weightInitResult struct {
	model     *models.Sequential
	x         *tensor.Tensor // (1, 784), uniform in [0, 1)
	act       []float32      // the 256 activations
	saturated int            // units saturated (relu: inactive)
}

// share is the saturated (relu: inactive) share of the units.
func (r *weightInitResult) share() float64 { return float64(r.saturated) / float64(len(r.act)) }

// weightInit builds the notebook's model, Dense(256, input_dim=784) with
// the kernel initializer and a zero bias, then the activation, and
// predicts one uniform input row without compiling. seed seeds the input
// (2·seed+1) and the weights (2·seed).
func weightInit(initializer string, activation activations.Name, seed uint64) (*weightInitResult, error) {
	ki, ok := weightInitInitializers[initializer]
	if !ok {
		return nil, usagef("run weight-init: unknown --initializer %q (valid: %s)", initializer, strings.Join(weightInitNames(), ", "))
	}
	if !slices.Contains(weightInitActivations, activation) {
		return nil, usagef("run weight-init: unknown --activation %q (valid: sigmoid, tanh, relu)", activation)
	}
	m := models.NewSequential(
		&layers.Dense{Units: weightInitUnits, InputDim: weightInitInputs, KernelInitializer: ki, BiasInitializer: initializers.Zeros{}},
		&layers.Activation{Activation: activation},
	)
	m.Seed = 2 * seed
	x := tensor.New(1, weightInitInputs)
	tensor.NewRNG(2*seed+1).Uniform(x, 0, 1)
	y, err := m.Predict(x)
	if err != nil {
		return nil, fmt.Errorf("run weight-init: predict: %w", err)
	}
	return &weightInitResult{model: m, x: x, act: y.Data, saturated: saturatedUnits(activation, y.Data)}, nil
}

// saturatedUnits counts the saturated units: sigmoid below 0.01 or above
// 0.99, tanh below -0.99 or above 0.99; for relu the inactive units, at
// exactly 0.
func saturatedUnits(activation activations.Name, act []float32) int {
	n := 0
	for _, v := range act {
		switch activation {
		case activations.Sigmoid:
			if v < 0.01 || v > 0.99 {
				n++
			}
		case activations.Tanh:
			if v < -0.99 || v > 0.99 {
				n++
			}
		case activations.ReLU:
			if v == 0 {
				n++
			}
		}
	}
	return n
}

// saturationWord names what saturatedUnits counts.
func saturationWord(activation activations.Name) string {
	if activation == activations.ReLU {
		return "inactive"
	}
	return "saturated"
}

// weightInitRange is the range the activations are histogrammed over:
// the activation's, or 0 to the largest value for relu.
func weightInitRange(activation activations.Name, act []float32) (lo, hi float64) {
	switch activation {
	case activations.Sigmoid:
		return 0, 1
	case activations.Tanh:
		return -1, 1
	}
	for _, v := range act {
		hi = max(hi, float64(v))
	}
	if hi <= 0 {
		hi = 1 // every unit is inactive
	}
	return 0, hi
}

// weightInitCommand runs 'neurona run weight-init' (A4).
func weightInitCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run weight-init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	initializer := fs.String("initializer", "random_normal", "the Dense layer's kernel initializer, or several separated by commas to compare them (random_normal,glorot_normal): "+strings.Join(weightInitNames(), ", ")+" (random_normal has the book's stddev 1, not Keras's default 0.05; random_uniform has Keras's U(-0.05, 0.05))")
	activation := fs.String("activation", "sigmoid", "the Activation layer: sigmoid, tanh or relu")
	seed := fs.Uint64("seed", 1, "seeds the input x and the initializer")
	plotPath := fs.String("plot", "", "draw the activations' histogram (50 bins) to this .png or .svg file")
	var addr string
	fs.Var(dashFlag{&addr}, "dashboard", "serve the model summary and the activations' histogram in the browser until Ctrl-C (--dashboard=ADDR for another address than "+dashboard.DefaultAddr+")")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: neurona run weight-init [flags]

The weight-initialization demo of weight_initialization.ipynb (Deep Learning
Illustrated, chapter 9): one input row x of 784 values drawn uniformly from
[0, 1) goes through Dense(256, input_dim=784) with the chosen kernel
initializer and a zero bias, then an Activation layer. The model is not
compiled or trained: it only predicts. It prints how many of the 256 units
are saturated and a text histogram of their activations.

Saturated means below 0.01 or above 0.99 for sigmoid, below -0.99 or above
0.99 for tanh; for relu it counts the inactive units, exactly 0. With the
book's random_normal (stddev 1; Keras's own default is 0.05) most sigmoid
units saturate; with glorot_normal almost none do.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("run weight-init: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("run weight-init: unexpected argument %q", fs.Arg(0))
	}
	act := activations.Name(*activation)
	word := saturationWord(act)
	names := strings.Split(*initializer, ",")
	var results []*weightInitResult
	for i, name := range names {
		r, err := weightInit(name, act, *seed)
		if err != nil {
			return err
		}
		results = append(results, r)
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		lo, hi := weightInitRange(act, r.act)
		fmt.Fprintf(stdout, "initializer: %s\nactivation: %s\nseed: %d\n%s: %d of %d units (%.1f%%)\n\n",
			name, act, *seed, word, r.saturated, len(r.act), 100*r.share())
		writeTextHistogram(stdout, dashboard.Histogram("activations", r.act, lo, hi, 10))
		if *plotPath != "" {
			path := *plotPath
			if len(names) > 1 { // one file per initializer: hist-glorot_normal.png
				ext := filepath.Ext(path)
				path = strings.TrimSuffix(path, ext) + "-" + name + ext
			}
			title := fmt.Sprintf("Dense(256) activations: %s, %s (%s %.1f%%)", name, act, word, 100*r.share())
			if err := plot.Histogram(path, title, string(act)+" activation", lo, hi, dashboard.Histogram("activations", r.act, lo, hi, 50).Counts); err != nil {
				return fmt.Errorf("run weight-init: %w", err)
			}
		}
	}
	if addr == "" {
		return nil
	}
	return serveWeightInit(ctx, addr, names, results, act, stderr)
}

// writeTextHistogram prints h's bins, one a line, with a bar of # marks.
func writeTextHistogram(w io.Writer, h dashboard.Hist) {
	const bar = 40
	top := slices.Max(h.Counts)
	width := (float64(h.Max) - float64(h.Min)) / float64(len(h.Counts))
	for i, c := range h.Counts {
		end := ")"
		if i == len(h.Counts)-1 {
			end = "]"
		}
		n := 0
		if top > 0 {
			n = (c*bar + top - 1) / top
		}
		line := fmt.Sprintf("[%6.3f, %6.3f%s %4d %s", float64(h.Min)+float64(i)*width, float64(h.Min)+float64(i+1)*width, end, c, strings.Repeat("#", n))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// serveWeightInit serves each initializer's model summary and
// activation histogram, as runs side by side, until ctx is done; then it
// returns nil.
func serveWeightInit(ctx context.Context, addr string, names []string, results []*weightInitResult, act activations.Name, stderr io.Writer) error {
	l, warn, err := dashboard.Listen(addr)
	if err != nil {
		return err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "neurona:", warn)
	}
	srv := dashboard.NewServer(nil)
	for i, r := range results {
		run := dashboard.NewRun("weight-init (" + names[i] + ", " + string(act) + ")")
		var b strings.Builder
		if err := r.model.Summary(&b); err == nil {
			run.SetSummary(dashboard.ParseSummary(b.String()))
		}
		lo, hi := weightInitRange(act, r.act)
		word := saturationWord(act)
		run.SetActivations(dashboard.Histogram(fmt.Sprintf("%s, %s: %d of %d units %s", names[i], act, r.saturated, len(r.act), word), r.act, lo, hi, 50))
		srv.AddRun(run)
	}
	fmt.Fprintf(stderr, "neurona: dashboard at http://%s/ (Ctrl-C stops it)\n", l.Addr())
	return srv.Serve(ctx, l)
}
