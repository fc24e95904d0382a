package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/dashboard"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

// trainFlags are the command-line overrides of a spec's values.
type trainFlags struct {
	epochs, batchSize, verbose int
	seed                       uint64
	dataDir                    string
	data                       string // --data: another builtin data set (rt-polarity)
	maxParams                  int
	set                        map[string]bool
	outputs                    spec.Outputs
	resume                     string // the checkpoint to continue
	saveNaN                    bool   // --save even the weights of a diverged run
	format                     string // of the final results: text or json
	dist                       distFlags
	dashboard                  string // --dashboard: the address to serve the run on
	hold                       bool   // --hold: keep serving the dashboard after training
	aucEpoch                   int    // --auc-epoch: the epoch whose weights the ROC AUC line scores
}

func (t *trainFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&t.epochs, "epochs", 0, "number of epochs (default: the spec's)")
	fs.IntVar(&t.batchSize, "batch-size", 0, "samples per gradient step (default: the spec's)")
	fs.Uint64Var(&t.seed, "seed", 0, "seed for weights, shuffling and dropout (default: the spec's)")
	fs.IntVar(&t.verbose, "verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch")
	fs.StringVar(&t.dataDir, "data-dir", "", "read MNIST-format IDX files from this directory instead of the spec's data (IMDB: the directory of imdb.npz; flowers17: the directory of the image_NNNN.jpg files)")
	fs.StringVar(&t.data, "data", "", "rt-polarity: train an IMDB net on the embedded sentence polarity data instead (padded to 60 tokens)")
	fs.IntVar(&t.maxParams, "max-params", spec.DefaultMaxParams, "refuse a model with more weights than this")
	outputFlags(fs, &t.outputs)
	fs.StringVar(&t.resume, "resume", "", "continue the run this end-of-epoch --checkpoint file saved, exactly as if it had not stopped")
	fs.BoolVar(&t.saveNaN, "save-nan", false, "write --save even when the run diverged (a loss that is NaN or infinite)")
	fs.Var(dashFlag{&t.dashboard}, "dashboard", "serve the run live in the browser (--dashboard=ADDR for another address than "+dashboard.DefaultAddr+")")
	fs.BoolVar(&t.hold, "hold", false, "with --dashboard: keep serving the page after training ends, until Ctrl-C (which then exits 0)")
	fs.StringVar(&t.format, "format", "text", "the final results on stdout: text (one line) or json (then the summary and progress go to stderr)")
	fs.IntVar(&t.aucEpoch, "auc-epoch", 0, "print the ROC AUC of the validation predictions (one binary output) made with the weights of this epoch, as the book's sentiment notebooks do; 0 is the epoch of the lowest val_loss (default: the spec's output.roc_auc, which the nine sentiment nets set to the notebook's epoch)")
	t.dist.register(fs) // distributed.go
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
	s, err := spec.ParseFile(path)
	if err != nil {
		return err
	}
	return trainSpec(ctx, s, tf, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), path, stdout, stderr)
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
	if tf.maxParams <= 0 {
		return usagef("--max-params must be positive")
	}
	if tf.format != "text" && tf.format != "json" {
		return usagef("--format must be text or json, not %q", tf.format)
	}
	return nil
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "cartpole" { // a DQN agent, not a spec: its own flags
		return cartpoleCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "gan" || args[0] == "gan-awkward") {
		// The GANs are written in Go (examples/gan.go, gan.go), with
		// their own flags.
		return ganCommand(ctx, args[0], args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "weight-init" { // A4: predicts only, its own flags
		return weightInitCommand(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf trainFlags
	tf.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona run NAME [flags]\n\nTrains a book example: the same as 'neurona train examples/specs/NAME.yaml'.\nNAME is one of: %s.\n\n'neurona run gan' and 'neurona run gan-awkward' train chapter 12's GANs\n('neurona run gan --help' for their flags).\n\n'neurona run weight-init' is chapter 9's weight-initialization demo: one\nDense(256) layer's activations, not trained ('neurona run weight-init --help').\n\nFlags:\n", strings.Join(spec.BookNames(), ", "))
		fs.PrintDefaults()
	}
	name, err := parseArgs(fs, "run", args, "an example ("+strings.Join(spec.BookNames(), ", ")+")")
	if err != nil {
		return err
	}
	if err := tf.check(fs); err != nil {
		return err
	}
	if about := examples.SummaryOnlyAbout(name); about != "" {
		return fmt.Errorf("run: the book example %q is summary only for now ('neurona summary %s' prints its models); its training comes with a later issue", name, name)
	}
	s, err := spec.Book(name)
	if errors.Is(err, examples.ErrUnknown) {
		return usagef("run: %v", err)
	}
	if err != nil {
		return err
	}
	return trainSpec(ctx, s, tf, name, "", stdout, stderr)
}

// trainSpec trains what a spec describes, with command-line overrides.
// specPath is the spec's file, "" for a book example.
func trainSpec(ctx context.Context, s *spec.Spec, tf trainFlags, title, specPath string, stdout, stderr io.Writer) (retErr error) {
	var distModel *models.Model // the model a --distributed run trains
	if !s.Compiled {
		return s.Errorf("missing section \"compile\" (loss and optimizer)")
	}
	if s.Data.Line == 0 {
		return s.Errorf("missing section \"data\"")
	}
	fit := s.FitConfig()
	if tf.set["epochs"] {
		fit.Epochs = tf.epochs
	}
	if tf.set["batch-size"] {
		fit.BatchSize = tf.batchSize
	}
	if tf.set["seed"] {
		fit.Seed = tf.seed
	}
	if tf.set["verbose"] {
		fit.Verbose = tf.verbose
	}
	s.MaxParams = tf.maxParams
	switch tf.data {
	case "":
	case "rt-polarity":
		if err := s.UseRTPolarity(spec.RTPolarityMaxLen); err != nil {
			return usagef("--data %v", err)
		}
	default:
		return usagef("--data %q: the only data set it takes is rt-polarity", tf.data)
	}
	if err := s.CheckParams(); err != nil { // before the data is loaded
		return err
	}
	if !s.Data.SeedSet { // flowers17's shuffle at load, as tflearn's under np.random.seed
		s.Data.Seed = uint32(fit.Seed)
	}
	if tf.dataDir != "" && s.Data.Builtin == "imdb" {
		s.Data.IMDBDir = tf.dataDir
	} else if tf.dataDir != "" && s.Data.Builtin == "flowers17" {
		if err := s.Data.UseImageDir(tf.dataDir); err != nil {
			return usagef("--data-dir: %v", err)
		}
	} else if tf.dataDir != "" {
		if err := s.Data.UseIDX(tf.dataDir); err != nil {
			return usagef("--data-dir replaces MNIST data; this spec reads %s", s.Data.Describe())
		}
	}
	human := stdout
	if tf.format == "json" {
		human = stderr
	}
	out := s.Output
	overrideOutputs(&out, tf.outputs)
	var speed *callbacks.LearningSpeed
	for _, cb := range s.Fit.Callbacks {
		if sp, ok := cb.(*callbacks.LearningSpeed); ok {
			speed = sp
		}
	}
	switch {
	case speed == nil && tf.outputs.SpeedPlot != "":
		return usagef("--speed-plot needs the LearningSpeed callback in the spec's fit.callbacks: nothing would be plotted")
	case speed == nil && out.SpeedPlot != "":
		return s.Errorf("output.speed_plot needs the LearningSpeed callback in fit.callbacks: nothing would be plotted")
	case speed != nil && out.SpeedPlot == "":
		out.SpeedPlot = title + "-speed.png"
	}
	if tf.dist.on { // distributed.go: rank 0 alone prints and writes
		done, err := tf.dist.setup(&fit, &out, &stdout, &human, &stderr)
		if err != nil {
			return err
		}
		defer func() { done(distModel, retErr) }()
	}
	// The model comes before the data, so that every output is checked
	// before the data is loaded.
	model, err := s.Build(fit.Seed)
	if err != nil {
		return err
	}
	if in, out := len(model.Inputs()), len(model.Outputs()); in != 1 || out != 1 {
		return s.Errorf("the data gives one input array and one target array, but the model's graph has %d inputs and %d outputs: neurona train trains graphs with one of each (build the model with spec.Spec.Build to fit it from a program)", in, out)
	}
	if err := checkOutputs(s, tf, out, specPath, model); err != nil {
		return err
	}
	var resumed *models.Model
	var info runInfo
	if tf.resume != "" {
		if resumed, info, err = openResume(s, tf, model, &fit); err != nil {
			return err
		}
	}
	st := begin(stderr, "Loading "+s.Data.Describe())
	train, valid, test, err := s.Data.Load()
	if err != nil {
		return err
	}
	st.done()
	if err := s.CheckData(model); err != nil { // the model was built before the data loaded
		return err
	}
	if testHooks.afterLoad != nil {
		testHooks.afterLoad(ctx)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while loading the data, before training (nothing written): %w", err)
	}
	samples := train.X.Rows()
	if fit.ValidationSplit > 0 { // as Fit splits
		samples = int(float64(samples) * (1 - fit.ValidationSplit))
	}
	j := &job{model: model, train: train, valid: valid, outputs: out, fit: fit, speed: speed,
		resume: tf.resume, saveNaN: tf.saveNaN, human: human}
	if resumed != nil {
		if err := j.continueFrom(s, resumed, info, samples); err != nil {
			return err
		}
		model = j.model
	}
	model.Metadata = s.Metadata()
	if j.prior != nil {
		model.Metadata[historyKey] = encodeHistory(j.prior)
	}
	ri, _ := json.Marshal(runInfo{Seed: fit.Seed, BatchSize: globalBatch(fit), Shuffle: !fit.NoShuffle, Samples: samples})
	model.Metadata[runKey] = string(ri)
	j.callbacks = withoutSpeed(s.Fit.Callbacks)
	distModel = model
	if tf.hold && tf.dashboard == "" {
		return usagef("--hold keeps the dashboard serving: give --dashboard too")
	}
	if tf.dist.on && tf.dashboard != "" {
		return usagef("--dashboard does not work with --distributed yet: serve a rank 0 checkpoint's history with 'neurona dashboard DIR' instead")
	}
	stopDash, err := startDashboard(ctx, tf.dashboard, j, title, stderr)
	if err != nil {
		return err
	}
	defer stopDash()
	hist, err := j.run(ctx, title, stderr)
	res := &finalResults{format: tf.format, hist: hist, status: "ok"}
	var de *divergedError
	switch {
	case errors.Is(err, context.Canceled):
		res.status = "interrupted"
	case errors.As(err, &de):
		res.status = "diverged"
	}
	if err != nil {
		if hist != nil && len(hist.Epoch) > 0 && res.status != "ok" {
			res.print(stdout)
		}
		return err
	}
	if test.X != nil {
		st := begin(stderr, fmt.Sprintf("Evaluating %d test samples", test.X.Rows()))
		r, err := model.Evaluate(test.X, test.Y, fit.BatchSize)
		if err != nil {
			return err
		}
		st.done()
		fmt.Fprintf(human, "Test (%d samples): %s\n", test.X.Rows(), formatResults(model, r))
		res.testNames, res.test = model.MetricNames(), r
	}
	if e, ok := aucEpoch(s, tf); ok {
		if err := printROCAUC(human, s, model, hist, valid, e); err != nil {
			return err
		}
	}
	if r := s.ShowPrediction; r != nil {
		if valid.X == nil || *r < 0 || *r >= valid.X.Rows() {
			return s.Errorf("output.show_prediction: row %d is not a validation row", *r)
		}
		pred, err := model.Predict(valid.X)
		if err != nil {
			return err
		}
		k := pred.RowSize()
		fmt.Fprintf(human, "Prediction for validation row %d: %s (true value %s)\n", *r,
			formatRow(pred.Data[*r*k:(*r+1)*k], "%.2f"), formatRow(valid.Y.Row(*r), "%.4g"))
	}
	if err := res.print(stdout); err != nil {
		return err
	}
	if tf.hold {
		fmt.Fprintln(stderr, "neurona: training done; the dashboard keeps serving until Ctrl-C")
		<-ctx.Done()
	}
	return nil
}

// finalResults are what a run prints on stdout at its end, whatever the
// verbosity: the last epoch's logs and the best epoch of the monitored
// loss (val_loss, or loss without validation data), as one text line or
// one JSON object.
type finalResults struct {
	format    string
	status    string // ok, interrupted or diverged
	hist      *models.History
	testNames []string
	test      []float64
}

// jsonNumber is a float that JSON writes as null when it is not finite.
type jsonNumber float64

func (v jsonNumber) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(v))
}

func (r *finalResults) print(w io.Writer) error {
	h := r.hist
	if h == nil || len(h.Epoch) == 0 {
		return nil
	}
	last := len(h.Epoch) - 1
	key := bestKey(h)
	best := -1
	for i, v := range h.Values[key] {
		if !math.IsNaN(v) && (best < 0 || v < h.Values[key][best]) {
			best = i
		}
	}
	if r.format == "json" {
		type bestJSON struct {
			Key   string     `json:"key"`
			Value jsonNumber `json:"value"`
			Epoch int        `json:"epoch"`
		}
		out := struct {
			Status string                `json:"status"`
			Epochs int                   `json:"epochs"`
			Final  map[string]jsonNumber `json:"final"`
			Best   *bestJSON             `json:"best,omitempty"`
			Test   map[string]jsonNumber `json:"test,omitempty"`
		}{Status: r.status, Epochs: len(h.Epoch), Final: map[string]jsonNumber{}}
		for _, k := range h.Keys {
			out.Final[k] = jsonNumber(h.Values[k][last])
		}
		if best >= 0 {
			out.Best = &bestJSON{Key: key, Value: jsonNumber(h.Values[key][best]), Epoch: h.Epoch[best] + 1}
		}
		if r.test != nil {
			out.Test = map[string]jsonNumber{}
			for i, v := range r.test {
				out.Test[r.testNames[i]] = jsonNumber(v)
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	parts := make([]string, len(h.Keys))
	for i, k := range h.Keys {
		parts[i] = fmt.Sprintf("%s %.4f", k, h.Values[k][last])
	}
	line := "final: " + strings.Join(parts, " ")
	if best >= 0 {
		line += fmt.Sprintf("; best %s %.4f at epoch %d", key, h.Values[key][best], h.Epoch[best]+1)
	}
	if r.status != "ok" {
		line += " (" + r.status + ")"
	}
	_, err := fmt.Fprintln(w, line)
	return err
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
func formatResults(m *models.Model, res []float64) string {
	names := m.MetricNames()
	parts := make([]string, len(res))
	for i, v := range res {
		parts[i] = fmt.Sprintf("%s: %.4f", names[i], v)
	}
	return strings.Join(parts, " - ")
}

// overrideOutputs replaces the spec's output files with those the flags
// name.
func overrideOutputs(o *spec.Outputs, flags spec.Outputs) {
	for _, p := range []struct{ dst, src *string }{
		{&o.Plot, &flags.Plot}, {&o.SpeedPlot, &flags.SpeedPlot}, {&o.History, &flags.History},
		{&o.Checkpoint, &flags.Checkpoint}, {&o.Model, &flags.Model}, {&o.TensorBoard, &flags.TensorBoard},
	} {
		if *p.src != "" {
			*p.dst = *p.src
		}
	}
}

// summaryCommand prints the summary of a spec's model or a saved model.
func summaryCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxParams := fs.Int("max-params", spec.DefaultMaxParams, "refuse a spec whose model has more weights than this")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona summary SPEC.yaml|MODEL|NAME\n\nPrints Keras's summary table of a spec's model, of a saved model or of a\nbook example (NAME is one of: %s).\n", strings.Join(append(spec.BookNames(), examples.SummaryOnlyNames()...), ", "))
	}
	path, err := parseArgs(fs, "summary", args, "a spec, a model file or a book example")
	if err != nil {
		return err
	}
	if ms, ok, err := summaryOnlyModels(path); ok {
		// A book example written in Go, such as the GAN's two models: each
		// summary in turn, as the notebook prints them.
		if err != nil {
			return err
		}
		for i, m := range ms {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if err := m.Summary(stdout); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := openModelOrSpec(path, *maxParams)
	if err != nil {
		return err
	}
	return m.Summary(stdout)
}

// summaryOnlyModels builds the models of a summary-only book example
// (examples.SummaryOnlyNames) when path names one and is not a file.
func summaryOnlyModels(path string) ([]*models.Model, bool, error) {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	return examples.SummaryOnlyModels(path)
}

func openModelOrSpec(path string, maxParams int) (*models.Model, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		s, err := spec.ParseFile(path)
		if err != nil {
			return nil, err
		}
		s.MaxParams = maxParams
		return s.Build(s.Fit.Seed)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(path, `/\.`) {
		// Not a file: a book example's name, such as lenet.
		s, err := spec.Book(path)
		if err == nil {
			return s.Build(s.Fit.Seed)
		}
		if !errors.Is(err, examples.ErrUnknown) {
			return nil, err // a book example whose spec does not parse
		}
	}
	return models.Load(path)
}

// modelAndData parses "MODEL DATA" after flags and loads the model and the
// preprocessing saved with it.
func modelAndData(fs *flag.FlagSet, cmd string, args []string) (*models.Model, *spec.Preprocessing, string, error) {
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
	m, err := models.Load(fs.Arg(0))
	if err != nil {
		return nil, nil, "", err
	}
	p, err := spec.PreprocessingFromMetadata(m.Metadata, fs.Arg(0))
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
		fmt.Fprintf(fs.Output(), "Usage: neurona evaluate [flags] MODEL DATA\n\nPrints the loss and metrics of a saved model on DATA: a CSV file with the\ncolumns it was trained on (for a model trained on a text column, that\ncolumn of raw text and the targets), or a directory of MNIST-format IDX\nfiles (its t10k test files). Flags:\n")
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
	} else if p.TargetsCSV {
		return fmt.Errorf("%s was trained with its targets in a second file (data.targets_csv); evaluate reads features and targets from one CSV file: put the target columns (%s) beside the features in %s", fs.Arg(0), strings.Join(p.Targets, ", "), path)
	} else {
		data, err = p.ReadCSV(path, true)
	}
	if err != nil {
		return err
	}
	if err := p.Apply(&data, path); err != nil {
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
	lines := fs.Bool("text-lines", false, "INPUT is plain text, one text per line (a model trained on a text column)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: neurona predict [--text-lines] MODEL INPUT\n\nWrites the model's predictions as CSV on stdout, one row per input row,\nin the input's order. INPUT is a CSV file with the feature columns the\nmodel was trained on (other columns are ignored), or, for a model trained\non a text column (data.text), a CSV file with that column of raw text,\nwhich the tokenizer saved with the model encodes. With --text-lines,\nINPUT is plain text instead: every line is one text (an empty line too),\nwithout a header. A model trained on class names prints the predicted\nclass, then each class's probability; one trained with\nstandardize_targets prints values in the targets' units. Flags:\n")
		fs.PrintDefaults()
	}
	m, p, path, err := modelAndData(fs, "predict", args)
	if err != nil {
		return err
	}
	if *lines && p.Text == "" {
		return fmt.Errorf("%s was not trained on a text column (data.text): --text-lines is for text models; give a CSV file with its feature columns", fs.Arg(0))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	next, err := predictInput(f, path, p, *lines)
	if err != nil {
		return err
	}
	w := csv.NewWriter(stdout)
	header := make([]string, shapeSize(m.OutputShape()))
	// A model trained on class names prints the predicted class, then
	// each class's probability under its name.
	named := len(p.Classes) > 0 && len(p.Classes) == len(header)
	for i := range header {
		if named {
			header[i] = p.Classes[i]
		} else if len(p.Targets) == len(header) {
			header[i] = p.Targets[i]
		} else {
			header[i] = "output_" + strconv.Itoa(i)
		}
	}
	if named {
		header = append([]string{targetName(p.Targets, "class")}, header...)
	}
	if err := w.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	for {
		x, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		pred, err := m.Predict(x)
		if err != nil {
			return err
		}
		if err := p.InvertY(pred); err != nil { // standardize_targets: back to the targets' units
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		for i := range pred.Rows() {
			cells := row
			if named {
				best := 0
				for j, v := range pred.Row(i) {
					if v > pred.Row(i)[best] {
						best = j
					}
				}
				row[0], cells = p.Classes[best], row[1:]
			}
			for j, v := range pred.Row(i) {
				cells[j] = strconv.FormatFloat(float64(v), 'g', 7, 32)
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}

// predictRows is how many input rows predict reads, preprocesses and
// predicts at a time.
const predictRows = 4096

// predictInput returns a function that reads the next rows of predict's
// input and preprocesses them into the model's input, io.EOF at the end:
// feature columns of a CSV file, a CSV file's text column, or, with
// lines, one text per line.
func predictInput(f io.Reader, path string, p *spec.Preprocessing, lines bool) (func() (*tensor.Tensor, error), error) {
	if lines {
		tr := &textLines{r: bufio.NewReaderSize(f, 1<<16), name: path}
		return func() (*tensor.Tensor, error) {
			texts, err := tr.next(predictRows)
			if err != nil {
				return nil, err
			}
			return encodeTexts(p, texts, path)
		}, nil
	}
	r, err := datasets.NewCSVReader(f, p.CSVOptions(path, false))
	if err != nil {
		return nil, err
	}
	if p.Text != "" {
		return func() (*tensor.Tensor, error) {
			texts, _, err := r.NextText(predictRows)
			if err != nil {
				return nil, err
			}
			return encodeTexts(p, texts, path)
		}, nil
	}
	return func() (*tensor.Tensor, error) {
		x, _, err := r.Next(predictRows)
		if err != nil {
			return nil, err
		}
		return p.ApplyX(x)
	}, nil
}

func encodeTexts(p *spec.Preprocessing, texts []string, path string) (*tensor.Tensor, error) {
	x, err := p.EncodeTexts(texts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// textLines reads a plain text file, one text per line: "\n" or "\r\n"
// ends a line, a UTF-8 byte order mark is dropped, and a last line without
// a newline counts; an empty line is an empty text.
type textLines struct {
	r     *bufio.Reader
	name  string
	lines int
	texts []string
}

// next returns up to n more texts, io.EOF after the last one; a file
// without any text is an error.
func (t *textLines) next(n int) ([]string, error) {
	t.texts = t.texts[:0]
	for len(t.texts) < n {
		line, err := t.r.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: line %d: %w", t.name, t.lines+1, err)
		}
		if line == "" && err == io.EOF {
			break
		}
		if t.lines == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		t.lines++
		line = strings.TrimSuffix(line, "\n")
		t.texts = append(t.texts, strings.TrimSuffix(line, "\r"))
		if err == io.EOF {
			break
		}
	}
	if len(t.texts) == 0 {
		if t.lines == 0 {
			return nil, fmt.Errorf("%s: the file is empty (--text-lines reads one text per line)", t.name)
		}
		return nil, io.EOF
	}
	return t.texts, nil
}

// targetName returns the one target's name, or def.
func targetName(targets []string, def string) string {
	if len(targets) == 1 {
		return targets[0]
	}
	return def
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// outputPath is a file or directory a run writes, with where it was named.
type outputPath struct {
	flag, key string // the flag ("--save") or, when flag is "", the spec's key
	path      string
	dir       bool // a directory (TensorBoard's)
	plot      bool // a PNG or SVG file
	ckpt      bool // the --checkpoint file, which may be the --resume one
}

func (o outputPath) errorf(s *spec.Spec, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if o.flag != "" {
		return usagef("%s %s: %s", o.flag, o.path, msg)
	}
	return s.Errorf("%s %s: %s", o.key, o.path, msg)
}

// checkOutputs checks, before the data is loaded, every file the run will
// write: its directory exists and takes a new file, it is not a
// directory, a plot is PNG or SVG, no two outputs are the same file, and
// none is one of the run's inputs (the spec, the data, the --resume
// checkpoint unless it is also the --checkpoint).
func checkOutputs(s *spec.Spec, tf trainFlags, out spec.Outputs, specPath string, model *models.Model) error {
	named := func(flag, key, path string) outputPath {
		o := outputPath{key: "output." + key, path: path}
		if flag != "" {
			o.flag = "--" + flag
		}
		return o
	}
	from := func(flagVal string, flag string) string {
		if flagVal != "" {
			return flag
		}
		return ""
	}
	f := tf.outputs
	var outs []outputPath
	add := func(o outputPath) {
		if o.path != "" {
			outs = append(outs, o)
		}
	}
	p := named(from(f.Plot, "plot"), "plot", out.Plot)
	p.plot = true
	add(p)
	sp := named(from(f.SpeedPlot, "speed-plot"), "speed_plot", out.SpeedPlot)
	sp.plot = true
	add(sp)
	add(named(from(f.History, "history"), "history", out.History))
	add(named(from(f.Model, "save"), "model", out.Model))
	tb := named(from(f.TensorBoard, "tensorboard"), "tensorboard", out.TensorBoard)
	tb.dir = true
	add(tb)
	// A checkpoint path may hold {epoch} and log keys: check the first
	// epoch's file.
	logs := callbacks.Logs{}
	for _, k := range model.MetricNames() {
		logs[k], logs["val_"+k] = 0, 0
	}
	ckpts := []outputPath{named(from(f.Checkpoint, "checkpoint"), "checkpoint", out.Checkpoint)}
	for _, cb := range s.Fit.Callbacks {
		switch c := cb.(type) {
		case *callbacks.ModelCheckpoint:
			ckpts = append(ckpts, outputPath{key: "fit.callbacks ModelCheckpoint filepath", path: c.Filepath})
		case *callbacks.CSVLogger:
			add(outputPath{key: "fit.callbacks CSVLogger filename", path: c.Filename})
		case *callbacks.TensorBoard:
			add(outputPath{key: "fit.callbacks TensorBoard log_dir", path: c.LogDir, dir: true})
		}
	}
	for i, c := range ckpts {
		if c.path == "" {
			continue
		}
		path, err := callbacks.FormatPath(c.path, 1, logs)
		if err != nil {
			return c.errorf(s, "%v", err)
		}
		c.path, c.ckpt = path, i == 0
		add(c)
	}
	type input struct {
		what, path string
		dir        bool
	}
	var ins []input
	if specPath != "" {
		ins = append(ins, input{"the spec", specPath, false})
	}
	for _, p := range []string{s.Data.CSV, s.Data.ValidationCSV, s.Data.TestCSV} {
		if p != "" {
			ins = append(ins, input{"a data file", p, false})
		}
	}
	if s.Data.IDX != "" {
		ins = append(ins, input{"the data directory", s.Data.IDX, true})
	}
	if tf.resume != "" {
		ins = append(ins, input{"the --resume checkpoint", tf.resume, false})
	}
	for i, o := range outs {
		if err := checkWritable(o); err != "" {
			return o.errorf(s, "%s", err)
		}
		for _, in := range ins {
			switch {
			case in.dir && !o.dir && exists(o.path) && sameFile(filepath.Dir(o.path), in.path):
				return o.errorf(s, "would overwrite a file of %s %s", in.what, in.path)
			case !in.dir && !(o.ckpt && in.path == tf.resume) && sameFile(o.path, in.path):
				return o.errorf(s, "would overwrite %s", in.what)
			}
		}
		for _, p := range outs[:i] {
			if sameFile(o.path, p.path) {
				name := p.flag
				if name == "" {
					name = p.key
				}
				return o.errorf(s, "is also the file of %s", name)
			}
		}
	}
	return nil
}

// checkWritable returns what stops the run from writing o, or "".
func checkWritable(o outputPath) string {
	if o.plot {
		if ext := strings.ToLower(filepath.Ext(o.path)); ext != ".png" && ext != ".svg" {
			return fmt.Sprintf("unknown plot format %q: want .png or .svg", filepath.Ext(o.path))
		}
	}
	dir := filepath.Dir(o.path)
	if st, err := os.Stat(o.path); err == nil {
		if st.IsDir() != o.dir {
			if o.dir {
				return "is a file, not a directory"
			}
			return "is a directory"
		}
		if o.dir {
			dir = o.path
		}
	} else if o.dir {
		// TensorBoard creates the directory: its nearest existing parent
		// must take it.
		for !exists(dir) && filepath.Dir(dir) != dir {
			dir = filepath.Dir(dir)
		}
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("the directory %s does not exist", dir)
	case err != nil:
		return err.Error()
	case !st.IsDir():
		return fmt.Sprintf("%s is not a directory", dir)
	}
	tmp, err := os.CreateTemp(dir, ".neurona-check-*")
	if err != nil {
		return fmt.Sprintf("the directory %s is not writable: %v", dir, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return ""
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// sameFile reports whether a and b name the same file: the same file on
// disk when both exist, else the same absolute path.
func sameFile(a, b string) bool {
	sa, ea := os.Stat(a)
	sb, eb := os.Stat(b)
	if ea == nil && eb == nil {
		return os.SameFile(sa, sb)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
