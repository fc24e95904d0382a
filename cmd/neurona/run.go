package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/internal/book"
	"github.com/neurona/neurona/models"
)

// runOptions are the flags of 'neurona run'; zero values mean the example's
// own settings.
type runOptions struct {
	epochs, batchSize, verbose int
	seed                       uint64
}

type bookExample struct {
	description string
	run         func(ctx context.Context, o runOptions, stdout io.Writer) error
	epochs      int
	batchSize   int
}

var bookExamples = map[string]bookExample{
	"regression": {
		description: "Boston housing prices, Dense+BatchNorm+Dropout, MSE, Adam (book: val_loss 56.5 final, 23.9 best)",
		run:         runRegression,
		epochs:      book.RegressionEpochs,
		batchSize:   book.RegressionBatchSize,
	},
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o runOptions
	fs.IntVar(&o.epochs, "epochs", 0, "number of epochs (default: the example's)")
	fs.IntVar(&o.batchSize, "batch-size", 0, "samples per gradient step (default: the example's)")
	fs.Uint64Var(&o.seed, "seed", 42, "seed for weights, shuffling and dropout")
	fs.IntVar(&o.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
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
	ex, ok := bookExamples[name]
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
		o.epochs = ex.epochs
	}
	if o.batchSize == 0 {
		o.batchSize = ex.batchSize
	}
	return ex.run(ctx, o, stdout)
}

func exampleNames() []string {
	var names []string
	for n := range bookExamples {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// runRegression is the book's regression_in_keras.
func runRegression(ctx context.Context, o runOptions, stdout io.Writer) error {
	train, valid, err := datasets.BostonHousing()
	if err != nil {
		return err
	}
	model, err := book.RegressionModel(o.seed)
	if err != nil {
		return err
	}
	if err := model.Summary(stdout); err != nil {
		return err
	}
	_, err = model.Fit(ctx, train.X, train.Y, models.FitConfig{
		BatchSize: o.batchSize, Epochs: o.epochs, Verbose: o.verbose, Seed: o.seed, Output: stdout,
		ValidationX: valid.X, ValidationY: valid.Y,
	})
	if err != nil {
		return err
	}
	pred, err := model.Predict(valid.X)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Prediction for validation row 42: %.2f (true value %.1f)\n", pred.Data[42], valid.Y.Data[42])
	return nil
}
