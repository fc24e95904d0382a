package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/models"
)

// trainFlags are the command-line overrides of a spec's values.
type trainFlags struct {
	epochs, batchSize, verbose int
	seed                       uint64
	dataDir                    string
	set                        map[string]bool
	outputs
}

func (t *trainFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&t.epochs, "epochs", 0, "number of epochs (default: the spec's)")
	fs.IntVar(&t.batchSize, "batch-size", 0, "samples per gradient step (default: the spec's)")
	fs.Uint64Var(&t.seed, "seed", 0, "seed for weights, shuffling and dropout (default: the spec's)")
	fs.IntVar(&t.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	fs.StringVar(&t.dataDir, "data-dir", "", "read MNIST-format IDX files from this directory instead of the spec's data")
	t.outputs.flags(fs)
}

// parseArgs parses flags around one positional argument.
func parseArgs(fs *flag.FlagSet, cmd string, args []string, what string) (string, error) {
	var pos string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", usagef("%s: %v", cmd, err)
	}
	if pos == "" && fs.NArg() == 1 {
		pos = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", usagef("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if pos == "" {
		fs.Usage()
		return "", usagef("%s: name %s", cmd, what)
	}
	return pos, nil
}

func trainCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf trainFlags
	tf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona train SPEC.yaml [flags]\n\nTrains the model a spec file describes (see README.md, \"Spec files\").\nFlags override the spec's values.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	path, err := parseArgs(fs, "train", args, "a spec file")
	if err != nil {
		return err
	}
	if err := tf.check(fs); err != nil {
		return err
	}
	s, err := loadSpecFile(path)
	if err != nil {
		return err
	}
	return trainSpec(ctx, s, tf, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), stdout, stderr)
}

func (tf *trainFlags) check(fs *flag.FlagSet) error {
	tf.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { tf.set[f.Name] = true })
	if tf.epochs < 0 || tf.batchSize < 0 {
		return usagef("--epochs and --batch-size must not be negative")
	}
	if tf.verbose < 0 || tf.verbose > 2 {
		return usagef("--verbose must be 0, 1 or 2")
	}
	return nil
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf trainFlags
	tf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona run NAME [flags]\n\nTrains a book example: the same as 'neurona train examples/specs/NAME.yaml'.\nNAME is one of: %s.\n\nFlags:\n", strings.Join(examples.Names(), ", "))
		fs.PrintDefaults()
	}
	name, err := parseArgs(fs, "run", args, "an example ("+strings.Join(examples.Names(), ", ")+")")
	if err != nil {
		return err
	}
	if err := tf.check(fs); err != nil {
		return err
	}
	src, err := examples.Spec(name)
	if err != nil {
		return usagef("run: %v", err)
	}
	s, err := parseSpec(src, "examples/specs/"+name+".yaml", "")
	if err != nil {
		return err
	}
	return trainSpec(ctx, s, tf, name, stdout, stderr)
}

// trainSpec trains what a spec describes, with command-line overrides.
func trainSpec(ctx context.Context, s *spec, tf trainFlags, title string, stdout, stderr io.Writer) error {
	if !s.compiled {
		return &specError{file: s.file, msg: "missing section \"compile\" (loss and optimizer)"}
	}
	if s.data.line == 0 {
		return &specError{file: s.file, msg: "missing section \"data\""}
	}
	fit := s.fit
	if fit.batchSize == 0 {
		fit = fitSpec{epochs: 1, batchSize: 32, verbose: 1}
	}
	if tf.set["epochs"] {
		fit.epochs = tf.epochs
	}
	if tf.set["batch-size"] {
		fit.batchSize = tf.batchSize
	}
	if tf.set["seed"] {
		fit.seed = tf.seed
	}
	if tf.set["verbose"] {
		fit.verbose = tf.verbose
	}
	if tf.dataDir != "" {
		if s.data.builtin != "mnist" && s.data.idx == "" {
			return usagef("--data-dir replaces MNIST data; this spec reads %s", s.data.describe())
		}
		s.data.builtin, s.data.idx = "", tf.dataDir
	}
	st := begin(stderr, "Loading "+s.data.describe())
	train, valid, test, err := s.data.load()
	if err != nil {
		return err
	}
	st.done()
	model, err := s.buildModel(fit.seed)
	if err != nil {
		return err
	}
	model.Metadata = map[string]string{metadataKey: s.data.prep.marshal()}
	out := s.out
	out.override(tf.outputs)
	j := &job{
		model: model, train: train, valid: valid, outputs: out, callbacks: fit.callbacks,
		fit: models.FitConfig{BatchSize: fit.batchSize, Epochs: fit.epochs, Verbose: fit.verbose, Seed: fit.seed,
			NoShuffle: fit.noShuffle, ValidationSplit: s.data.validationSplit},
	}
	for _, cb := range fit.callbacks {
		if sp, ok := cb.(*callbacks.LearningSpeed); ok {
			j.speed = sp
			if j.outputs.speedPlot == "" {
				j.outputs.speedPlot = title + "-speed.png"
			}
		}
	}
	j.callbacks = withoutSpeed(fit.callbacks)
	if err := j.run(ctx, title, stdout, stderr); err != nil {
		return err
	}
	if test.X != nil {
		st := begin(stderr, fmt.Sprintf("Evaluating %d test samples", test.X.Rows()))
		res, err := model.Evaluate(test.X, test.Y, fit.batchSize)
		if err != nil {
			return err
		}
		st.done()
		fmt.Fprintf(stdout, "Test (%d samples): %s\n", test.X.Rows(), formatResults(model, res))
	}
	if r := s.showPrediction; r != nil {
		if valid.X == nil || *r < 0 || *r >= valid.X.Rows() {
			return &specError{file: s.file, msg: fmt.Sprintf("output.show_prediction: row %d is not a validation row", *r)}
		}
		pred, err := model.Predict(valid.X)
		if err != nil {
			return err
		}
		k := pred.RowSize()
		fmt.Fprintf(stdout, "Prediction for validation row %d: %s (true value %s)\n", *r,
			formatRow(pred.Data[*r*k:(*r+1)*k], "%.2f"), formatRow(valid.Y.Row(*r), "%.4g"))
	}
	return nil
}

func withoutSpeed(cbs []callbacks.Callback) []callbacks.Callback {
	var out []callbacks.Callback
	for _, cb := range cbs {
		if _, ok := cb.(*callbacks.LearningSpeed); !ok {
			out = append(out, cb)
		}
	}
	return out
}

func formatRow(v []float32, f string) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf(f, x)
	}
	return strings.Join(parts, ", ")
}

// formatResults writes Evaluate's values as "loss: 0.1234 - accuracy: 0.9".
func formatResults(m *models.Sequential, res []float64) string {
	names := m.MetricNames()
	parts := make([]string, len(res))
	for i, v := range res {
		parts[i] = fmt.Sprintf("%s: %.4f", names[i], v)
	}
	return strings.Join(parts, " - ")
}

func (o *outputs) override(flags outputs) {
	for _, p := range []struct{ dst, src *string }{
		{&o.plot, &flags.plot}, {&o.speedPlot, &flags.speedPlot}, {&o.history, &flags.history},
		{&o.checkpoint, &flags.checkpoint}, {&o.modelFile, &flags.modelFile}, {&o.tensorboard, &flags.tensorboard},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
}

func (d *dataSpec) describe() string {
	switch {
	case d.builtin != "":
		return "the builtin dataset " + d.builtin
	case d.csv != "":
		return d.csv
	}
	return d.idx
}

// summaryCommand prints the summary of a spec's model or a saved model.
func summaryCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona summary SPEC.yaml|MODEL\n\nPrints Keras's summary table of a spec's model or of a saved model.\n")
	}
	path, err := parseArgs(fs, "summary", args, "a spec or a model file")
	if err != nil {
		return err
	}
	m, err := openModelOrSpec(path)
	if err != nil {
		return err
	}
	return m.Summary(stdout)
}

func openModelOrSpec(path string) (*models.Sequential, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		s, err := loadSpecFile(path)
		if err != nil {
			return nil, err
		}
		return s.buildModel(s.fit.seed)
	}
	return models.LoadSequential(path)
}

// modelAndData parses "MODEL DATA" after flags and loads the model and the
// preprocessing saved with it.
func modelAndData(fs *flag.FlagSet, cmd string, args []string) (*models.Sequential, *prepSpec, string, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, "", err
		}
		return nil, nil, "", usagef("%s: %v", cmd, err)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return nil, nil, "", usagef("%s: name a model file and a data file", cmd)
	}
	m, err := models.LoadSequential(fs.Arg(0))
	if err != nil {
		return nil, nil, "", err
	}
	p, err := prepFromModel(m.Metadata, fs.Arg(0))
	if err != nil {
		return nil, nil, "", err
	}
	return m, p, fs.Arg(1), nil
}

// evaluateCommand evaluates a saved model on a CSV file, or on the test
// files of an IDX directory, with the model's preprocessing.
func evaluateCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bs := fs.Int("batch-size", 32, "samples per batch")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona evaluate [flags] MODEL DATA\n\nPrints the loss and metrics of a saved model on DATA: a CSV file with the\ncolumns it was trained on, or a directory of MNIST-format IDX files (its\nt10k test files). Flags:\n")
		fs.PrintDefaults()
	}
	m, p, path, err := modelAndData(fs, "evaluate", args)
	if err != nil {
		return err
	}
	st := begin(stderr, "Loading "+path)
	var data datasets.Split
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		_, data, err = datasets.LoadIDXDir(path)
	} else if len(p.Targets) == 0 {
		return fmt.Errorf("%s was not trained on CSV data (it names no target columns): evaluate it on an IDX directory", fs.Arg(0))
	} else {
		data, err = readCSVFile(path, p.csvOptions(path, true))
	}
	if err != nil {
		return err
	}
	if err := p.apply(&data, path); err != nil {
		return err
	}
	st.done()
	st = begin(stderr, fmt.Sprintf("Evaluating %d samples", data.X.Rows()))
	res, err := m.Evaluate(data.X, data.Y, *bs)
	if err != nil {
		return err
	}
	st.done()
	fmt.Fprintln(stdout, formatResults(m, res))
	return nil
}

// predictCommand streams predictions for a CSV file, in its row order.
func predictCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona predict MODEL INPUT.csv\n\nWrites the model's predictions as CSV on stdout, one row per input row,\nin the input's order. The input has the feature columns the model was\ntrained on (other columns are ignored).\n")
	}
	m, p, path, err := modelAndData(fs, "predict", args)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := datasets.NewCSVReader(f, p.csvOptions(path, false))
	if err != nil {
		return err
	}
	w := csv.NewWriter(stdout)
	header := make([]string, shapeSize(m.OutputShape()))
	for i := range header {
		if len(p.Targets) == len(header) {
			header[i] = p.Targets[i]
		} else {
			header[i] = "output_" + strconv.Itoa(i)
		}
	}
	if err := w.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	for {
		x, _, err := r.Next(4096)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if x, err = p.applyX(x); err != nil {
			return err
		}
		pred, err := m.Predict(x)
		if err != nil {
			return err
		}
		for i := range pred.Rows() {
			for j, v := range pred.Row(i) {
				row[j] = strconv.FormatFloat(float64(v), 'g', 7, 32)
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}
