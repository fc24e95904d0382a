package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/internal/book"
	"github.com/neurona/neurona/models"
)

// runOptions are the flags of 'neurona run'; zero values mean the example's
// own settings.
type runOptions struct {
	epochs, batchSize, verbose int
	seed                       uint64
	dataDir                    string
	outputs
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runOptions
	fs.IntVar(&o.epochs, "epochs", 0, "number of epochs (default: the example's)")
	fs.IntVar(&o.batchSize, "batch-size", 0, "samples per gradient step (default: the example's)")
	fs.Uint64Var(&o.seed, "seed", 42, "seed for weights, shuffling and dropout")
	fs.IntVar(&o.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	fs.StringVar(&o.dataDir, "data-dir", "", "read MNIST-format IDX files from this directory instead of the embedded data")
	o.outputs.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona run NAME [flags]\n\nTrains a book example. NAME is one of: %s.\n\nFlags:\n", strings.Join(exampleNames(), ", "))
		fs.PrintDefaults()
	}
	// Accept the name before or after the flags.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("run: %v", err)
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if name == "" {
		fs.Usage()
		return usagef("run: name an example (%s)", strings.Join(exampleNames(), ", "))
	}
	ex, ok := book.Lookup(name)
	if !ok {
		return usagef("run: unknown example %q (valid: %s)", name, strings.Join(exampleNames(), ", "))
	}
	if o.epochs < 0 || o.batchSize < 0 {
		return usagef("run: --epochs and --batch-size must not be negative")
	}
	if o.verbose < 0 || o.verbose > 2 {
		return usagef("run: --verbose must be 0, 1 or 2")
	}
	if o.epochs == 0 {
		o.epochs = ex.Epochs
	}
	if o.batchSize == 0 {
		o.batchSize = ex.BatchSize
	}
	return runExample(ctx, ex, o, stdout, stderr)
}

func exampleNames() []string { return book.Names() }

// runExample trains a book example with the command's options.
func runExample(ctx context.Context, ex book.Example, o runOptions, stdout, stderr io.Writer) error {
	train, valid, err := ex.Data(o.dataDir)
	if err != nil {
		return err
	}
	model, err := ex.Model(o.seed)
	if err != nil {
		return err
	}
	j := &job{
		model: model, train: train, valid: valid, outputs: o.outputs,
		fit: models.FitConfig{BatchSize: o.batchSize, Epochs: o.epochs, Verbose: o.verbose, Seed: o.seed},
	}
	if ex.MeasureSpeed {
		j.speed = &callbacks.LearningSpeed{}
		if j.outputs.speedPlot == "" {
			j.outputs.speedPlot = ex.Name + ".png"
		}
	}
	if err := j.run(ctx, ex.Name, stdout, stderr); err != nil {
		return err
	}
	if ex.After != nil {
		return ex.After(stdout, model, valid)
	}
	return nil
}
