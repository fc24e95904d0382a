package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/plot"
	"github.com/neurona/neurona/spec"
)

// outputFlags registers the flags that name the files a training run
// writes.
func outputFlags(fs *flag.FlagSet, o *spec.Outputs) {
	fs.StringVar(&o.Plot, "plot", "", "write the learning curves (loss and val_loss) to this PNG or SVG file")
	fs.StringVar(&o.SpeedPlot, "speed-plot", "", "write the per-layer learning speed to this PNG or SVG file")
	fs.StringVar(&o.History, "history", "", "write the per-epoch logs to this CSV file")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "save the model to this file after every epoch and when interrupted")
	fs.StringVar(&o.Model, "save", "", "save the trained model to this file")
	fs.StringVar(&o.TensorBoard, "tensorboard", "", "write TensorBoard logs to this directory")
}

// job is one training run: a compiled model, its data and what to write.
type job struct {
	model        *models.Model
	train, valid datasets.Split
	fit          models.FitConfig
	outputs      spec.Outputs
	callbacks    []callbacks.Callback
	speed        *callbacks.LearningSpeed
}

// testHooks let the tests interrupt a run at chosen points (see
// TestMain); they are nil in the command.
var testHooks struct {
	afterLoad  func(ctx context.Context)        // after the data is loaded
	afterBatch func(ctx context.Context, n int) // after this run's nth batch, from 1
}

// hookCallback calls testHooks.afterBatch.
type hookCallback struct {
	callbacks.Base
	ctx context.Context
	n   int
}

func (h *hookCallback) OnBatchEnd(int, callbacks.Logs) {
	h.n++
	testHooks.afterBatch(h.ctx, h.n)
}

// errChecker is implemented by callbacks that record their errors.
type errChecker interface{ Err() error }

func (j *job) run(ctx context.Context, title string, stdout, stderr io.Writer) error {
	if err := j.model.Summary(stdout); err != nil {
		return err
	}
	cbs := append([]callbacks.Callback(nil), j.callbacks...)
	if j.speed != nil {
		cbs = append(cbs, j.speed)
	}
	if j.outputs.History != "" {
		cbs = append(cbs, &callbacks.CSVLogger{Filename: j.outputs.History})
	}
	if j.outputs.Checkpoint != "" {
		cbs = append(cbs, &callbacks.ModelCheckpoint{Filepath: j.outputs.Checkpoint})
	}
	if j.outputs.TensorBoard != "" {
		cbs = append(cbs, &callbacks.TensorBoard{LogDir: j.outputs.TensorBoard})
	}
	if testHooks.afterBatch != nil {
		cbs = append(cbs, &hookCallback{ctx: ctx})
	}
	cfg := j.fit
	cfg.Output, cfg.Callbacks = stdout, cbs
	if j.valid.X != nil {
		cfg.ValidationX, cfg.ValidationY = j.valid.X, j.valid.Y
	}
	h, err := j.model.Fit(ctx, j.train.X, j.train.Y, cfg)
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "neurona: interrupted after %d complete epochs\n", len(h.Epoch))
		if j.outputs.Checkpoint != "" {
			path, perr := callbacks.FormatPath(j.outputs.Checkpoint, len(h.Epoch), callbacks.Logs{})
			if perr == nil {
				perr = j.model.Save(path)
			}
			if perr != nil {
				return fmt.Errorf("%w; writing the checkpoint failed: %v", err, perr)
			}
			fmt.Fprintf(stderr, "neurona: checkpoint written to %s\n", path)
		}
		return err
	}
	if err != nil {
		return err
	}
	for _, cb := range cbs {
		if ec, ok := cb.(errChecker); ok && ec.Err() != nil {
			return ec.Err()
		}
	}
	if j.outputs.Model != "" {
		if err := j.model.Save(j.outputs.Model); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "neurona: model saved to %s\n", j.outputs.Model)
	}
	if j.outputs.Plot != "" {
		if err := plot.LearningCurves(j.outputs.Plot, title, historySeries(h), bestKey(h)); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "neurona: learning curves written to %s\n", j.outputs.Plot)
	}
	if j.speed != nil {
		return j.reportSpeed(title, stdout, stderr)
	}
	return nil
}

// historySeries returns the loss curves of a History, in Keras's order.
func historySeries(h *models.History) []plot.Series {
	var s []plot.Series
	for _, k := range h.Keys {
		if strings.HasSuffix(k, "loss") {
			s = append(s, plot.Series{Name: k, Values: h.Values[k]})
		}
	}
	return s
}

func bestKey(h *models.History) string {
	if _, ok := h.Values["val_loss"]; ok {
		return "val_loss"
	}
	return "loss"
}

// reportSpeed prints each hidden layer's median learning speed and plots
// the speed per epoch.
func (j *job) reportSpeed(title string, stdout, stderr io.Writer) error {
	sp := j.speed
	hidden := len(sp.Layers) - 1 // the output layer is not a hidden layer
	series := make([]plot.Series, hidden)
	fmt.Fprintln(stdout, "Speed of learning of each hidden layer (L2 norm of the gradient, mean over batches; median over epochs):")
	for l := range hidden {
		s := plot.Series{Name: sp.Layers[l]}
		for _, epoch := range sp.GradNorm {
			s.Values = append(s.Values, epoch[l])
		}
		series[l] = s
		fmt.Fprintf(stdout, "  %-10s %.6f\n", sp.Layers[l], median(s.Values))
	}
	if err := plot.LearningSpeed(j.outputs.SpeedPlot, title+": speed of learning", series); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "neurona: learning speed plot written to %s\n", j.outputs.SpeedPlot)
	return nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func plotCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "curves.png", "the PNG or SVG file to write")
	speed := fs.Bool("speed", false, "the CSV holds per-layer speeds: draw them on a log scale")
	title := fs.String("title", "", "the plot's title (default: the CSV's name)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona plot LOG.csv [flags]\n\nDraws learning curves from a CSV history (as written by --history or Keras's CSVLogger),\nmarking the best val_loss epoch, or per-layer learning speeds with --speed.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("plot: %v", err)
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("plot: unexpected argument %q", fs.Arg(0))
	}
	if file == "" {
		fs.Usage()
		return usagef("plot: name a CSV file")
	}
	series, err := readSeries(file)
	if err != nil {
		return err
	}
	if *title == "" {
		*title = file
	}
	if *speed {
		err = plot.LearningSpeed(*out, *title, series)
	} else {
		best := ""
		for _, s := range series {
			if s.Name == "val_loss" || (best == "" && s.Name == "loss") {
				best = s.Name
			}
		}
		err = plot.LearningCurves(*out, *title, series, best)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, *out)
	return nil
}
