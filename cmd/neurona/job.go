package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/dashboard"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/plot"
	"github.com/neurona/neurona/saving"
	"github.com/neurona/neurona/spec"
)

// outputFlags registers the flags that name the files a training run
// writes.
func outputFlags(fs *flag.FlagSet, o *spec.Outputs) {
	fs.StringVar(&o.Plot, "plot", "", "write the learning curves (loss and val_loss) to this PNG or SVG file")
	fs.StringVar(&o.SpeedPlot, "speed-plot", "", "write the per-layer learning speed to this PNG or SVG file")
	fs.StringVar(&o.History, "history", "", "write the per-epoch logs to this CSV file")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "save the model to this file after every epoch (an interrupt writes the mid-epoch state to CHECKPOINT.interrupted.nrn)")
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
	dash         *dashboard.Callback // --dashboard, after speed
	// prior is the history of the epochs a resumed run continues (from
	// the checkpoint resume names); nil for a new run.
	prior   *models.History
	resume  string
	saveNaN bool
	// human receives the summary and the progress: stdout, or stderr when
	// stdout carries JSON.
	human io.Writer
}

// Metadata keys the command saves in its models, besides the
// preprocessing.
const (
	runKey         = "neurona.run"         // runInfo: what a resumed run must match
	historyKey     = "neurona.history"     // savedHistory: the epochs trained so far
	interruptedKey = "neurona.interrupted" // set in a mid-epoch state: "epoch E, batch B"
)

// runInfo is what Fit needs unchanged to continue a training state
// exactly.
type runInfo struct {
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
	Shuffle   bool   `json:"shuffle"`
	Samples   int    `json:"samples"`
}

// savedHistory is a History in a model's metadata. Values are written
// with strconv's shortest exact form, so that they read back bit for bit,
// NaN and infinities included.
type savedHistory struct {
	Keys   []string   `json:"keys"`
	Epochs [][]string `json:"epochs"` // per epoch, the values of Keys
}

func encodeHistory(h *models.History) string {
	sh := savedHistory{Keys: h.Keys, Epochs: [][]string{}}
	for i := range h.Epoch {
		row := make([]string, len(h.Keys))
		for k, key := range h.Keys {
			row[k] = strconv.FormatFloat(h.Values[key][i], 'g', -1, 64)
		}
		sh.Epochs = append(sh.Epochs, row)
	}
	b, _ := json.Marshal(sh)
	return string(b)
}

func decodeHistory(s string) (*models.History, error) {
	var sh savedHistory
	if err := json.Unmarshal([]byte(s), &sh); err != nil {
		return nil, err
	}
	h := &models.History{Keys: sh.Keys, Values: map[string][]float64{}}
	for i, row := range sh.Epochs {
		if len(row) != len(sh.Keys) {
			return nil, fmt.Errorf("epoch %d has %d values for %d keys", i+1, len(row), len(sh.Keys))
		}
		h.Epoch = append(h.Epoch, i)
		for k, key := range sh.Keys {
			v, err := strconv.ParseFloat(row[k], 64)
			if err != nil {
				return nil, err
			}
			h.Values[key] = append(h.Values[key], v)
		}
	}
	return h, nil
}

// appendHistory returns a followed by b's epochs.
func appendHistory(a, b *models.History) *models.History {
	if a == nil {
		return b
	}
	h := &models.History{Keys: a.Keys, Epoch: append([]int(nil), a.Epoch...), Values: map[string][]float64{}}
	for _, k := range a.Keys {
		h.Values[k] = append(append([]float64(nil), a.Values[k]...), b.Values[k]...)
	}
	h.Epoch = append(h.Epoch, b.Epoch...)
	return h
}

// writeHistoryCSV writes h as callbacks.CSVLogger does, atomically: the
// file a resumed run appends to.
func writeHistoryCSV(path string, h *models.History) error {
	keys := append([]string(nil), h.Keys...)
	sort.Strings(keys)
	return saving.WriteFileAtomic(path, func(w io.Writer) error {
		line := []byte("epoch")
		for _, k := range keys {
			line = append(append(line, ','), k...)
		}
		line = append(line, '\n')
		for i, e := range h.Epoch {
			line = strconv.AppendInt(line, int64(e), 10)
			for _, k := range keys {
				line = strconv.AppendFloat(append(line, ','), h.Values[k][i], 'g', -1, 64)
			}
			line = append(line, '\n')
		}
		_, err := w.Write(line)
		return err
	})
}

// runGuard watches a run: the epoch and batch in progress, the first
// non-finite loss, and the history of the whole run, which it keeps in the
// model's metadata so that every checkpoint carries it.
type runGuard struct {
	callbacks.Base
	model    *models.Model
	hist     *models.History // the whole run's epochs
	epoch    int             // the epoch in progress, from 0
	batches  int             // its batches done
	nanEpoch int             // from 1; 0 while the loss is finite
	nanBatch int
	nanLoss  float64
}

// SetParams implements callbacks.ParamsSetter: a new run's history has
// Fit's keys (a resumed one has the checkpoint's, the same).
func (g *runGuard) SetParams(p callbacks.Params) {
	if g.hist.Keys == nil {
		g.hist.Keys = p.Keys
	}
}

func (g *runGuard) OnEpochBegin(epoch int, _ callbacks.Logs) { g.epoch, g.batches = epoch, 0 }

func (g *runGuard) OnBatchEnd(batch int, logs callbacks.Logs) {
	g.batches = batch + 1
	if l, ok := logs["loss"]; ok && g.nanEpoch == 0 && (math.IsNaN(l) || math.IsInf(l, 0)) {
		g.nanEpoch, g.nanBatch, g.nanLoss = g.epoch+1, batch+1, l
	}
}

func (g *runGuard) OnEpochEnd(epoch int, logs callbacks.Logs) {
	g.batches = 0
	g.hist.Epoch = append(g.hist.Epoch, epoch)
	for _, k := range g.hist.Keys {
		g.hist.Values[k] = append(g.hist.Values[k], logs[k])
	}
	if g.model.Metadata == nil {
		g.model.Metadata = map[string]string{}
	}
	g.model.Metadata[historyKey] = encodeHistory(g.hist)
}

// unlessNaN passes a callback every event but the end of an epoch in
// which the loss was not finite: a checkpoint then keeps the last good
// weights.
type unlessNaN struct {
	callbacks.Callback
	g *runGuard
}

func (u unlessNaN) OnEpochEnd(epoch int, logs callbacks.Logs) {
	if u.g.nanEpoch == 0 {
		u.Callback.OnEpochEnd(epoch, logs)
	}
}

func (u unlessNaN) Err() error {
	if f, ok := u.Callback.(callbacks.Failer); ok {
		return f.Err()
	}
	return nil
}

func (u unlessNaN) SetParams(p callbacks.Params) {
	if ps, ok := u.Callback.(callbacks.ParamsSetter); ok {
		ps.SetParams(p)
	}
}

// interruptedPath names the file of a mid-epoch state: ck.nrn gives
// ck.interrupted.nrn.
func interruptedPath(checkpoint string) string {
	ext := filepath.Ext(checkpoint)
	if strings.ContainsAny(ext, "{}/\\") {
		ext = ""
	}
	return strings.TrimSuffix(checkpoint, ext) + ".interrupted" + ext
}

// run trains the job and returns the history of the whole run, the
// epochs of a resumed checkpoint included.
func (j *job) run(ctx context.Context, title string, stderr io.Writer) (*models.History, error) {
	if err := j.model.Summary(j.human); err != nil {
		return nil, err
	}
	g := &runGuard{model: j.model, hist: &models.History{Values: map[string][]float64{}}, epoch: j.fit.InitialEpoch}
	if j.prior != nil {
		g.hist = appendHistory(j.prior, &models.History{})
	}
	cbs := []callbacks.Callback{g}
	for _, cb := range j.callbacks {
		if _, ok := cb.(*callbacks.ModelCheckpoint); ok {
			cb = unlessNaN{cb, g}
		}
		cbs = append(cbs, cb)
	}
	if j.speed != nil {
		cbs = append(cbs, j.speed)
	}
	if j.dash != nil {
		cbs = append(cbs, j.dash)
	}
	if j.outputs.History != "" {
		if j.prior != nil {
			// The file continues the checkpoint's epochs, whatever an
			// interrupted run logged after it.
			if err := writeHistoryCSV(j.outputs.History, j.prior); err != nil {
				return nil, err
			}
		}
		cbs = append(cbs, &callbacks.CSVLogger{Filename: j.outputs.History, Append: j.prior != nil})
	}
	var ckpt *callbacks.ModelCheckpoint
	if j.outputs.Checkpoint != "" {
		ckpt = &callbacks.ModelCheckpoint{Filepath: j.outputs.Checkpoint}
		cbs = append(cbs, unlessNaN{ckpt, g})
	}
	if j.outputs.TensorBoard != "" {
		cbs = append(cbs, &callbacks.TensorBoard{LogDir: j.outputs.TensorBoard})
	}
	if testHooks.afterBatch != nil {
		cbs = append(cbs, &hookCallback{ctx: ctx})
	}
	cfg := j.fit
	cfg.Output, cfg.Callbacks = j.human, cbs
	if j.valid.X != nil {
		cfg.ValidationX, cfg.ValidationY = j.valid.X, j.valid.Y
	}
	_, err := j.model.Fit(ctx, j.train.X, j.train.Y, cfg)
	whole := g.hist
	lastGood := j.resume
	if ckpt != nil && len(ckpt.Saved) > 0 {
		lastGood = ckpt.Saved[len(ckpt.Saved)-1]
	}
	keep := func() {
		if lastGood != "" {
			fmt.Fprintf(stderr, "neurona: the last end-of-epoch checkpoint, %s, is kept: continue with --resume %s\n", lastGood, lastGood)
		}
	}
	if g.nanEpoch > 0 && !errors.Is(err, context.Canceled) {
		if lastGood != "" {
			fmt.Fprintf(stderr, "neurona: the last good weights, of the end of epoch %d, are kept in %s\n", g.nanEpoch-1, lastGood)
		}
		if j.outputs.Model != "" {
			if !j.saveNaN {
				fmt.Fprintf(stderr, "neurona: %s not written: the run diverged (--save-nan writes its weights)\n", j.outputs.Model)
			} else if serr := j.model.Save(j.outputs.Model); serr != nil {
				fmt.Fprintf(stderr, "neurona: %v\n", serr)
			} else {
				fmt.Fprintf(stderr, "neurona: diverged model saved to %s (--save-nan)\n", j.outputs.Model)
			}
		}
		return whole, &divergedError{epoch: g.nanEpoch, batch: g.nanBatch, loss: g.nanLoss}
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "neurona: interrupted in epoch %d after %d of its batches; %d epochs complete\n", g.epoch+1, g.batches, len(whole.Epoch))
		if j.outputs.Checkpoint != "" && g.batches > 0 {
			// The state in the middle of an epoch cannot continue exactly:
			// it goes to a file of its own, never over the checkpoint.
			path, perr := callbacks.FormatPath(interruptedPath(j.outputs.Checkpoint), g.epoch+1, callbacks.Logs{})
			if perr == nil {
				j.model.Metadata[interruptedKey] = fmt.Sprintf("epoch %d, batch %d", g.epoch+1, g.batches)
				perr = j.model.Save(path)
				delete(j.model.Metadata, interruptedKey)
			}
			if perr != nil {
				fmt.Fprintf(stderr, "neurona: writing the interrupted state failed: %v\n", perr)
			} else {
				fmt.Fprintf(stderr, "neurona: the mid-epoch state is in %s (for predict and evaluate; it cannot resume exactly)\n", path)
			}
		}
		keep()
		return whole, err
	}
	if err != nil {
		return whole, err
	}
	for _, cb := range cbs {
		if ec, ok := cb.(errChecker); ok && ec.Err() != nil {
			return whole, ec.Err()
		}
	}
	if j.outputs.Model != "" {
		if err := j.model.Save(j.outputs.Model); err != nil {
			return whole, err
		}
		fmt.Fprintf(stderr, "neurona: model saved to %s\n", j.outputs.Model)
	}
	if j.outputs.Plot != "" {
		if err := plot.LearningCurves(j.outputs.Plot, title, historySeries(whole), bestKey(whole)); err != nil {
			return whole, err
		}
		fmt.Fprintf(stderr, "neurona: learning curves written to %s\n", j.outputs.Plot)
	}
	if j.speed != nil {
		return whole, j.reportSpeed(title, j.human, stderr)
	}
	return whole, nil
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

// divergedError is a run stopped by a loss that is not finite.
type divergedError struct {
	epoch, batch int
	loss         float64
}

func (e *divergedError) Error() string {
	return fmt.Sprintf("training diverged: the loss is %v at epoch %d, batch %d", e.loss, e.epoch, e.batch)
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

// openResume loads the checkpoint --resume names and checks, before the
// data is loaded, that the spec and flags continue it exactly: the same
// model, metrics and learning rate, the same seed (taken from the
// checkpoint when --seed is not given), batch size and shuffling, an end
// of epoch, and more epochs to run. It sets fit's seed and initial epoch.
func openResume(s *spec.Spec, tf trainFlags, built *models.Model, fit *models.FitConfig) (*models.Model, runInfo, error) {
	var info runInfo
	for _, cb := range s.Fit.Callbacks {
		switch c := cb.(type) {
		case *callbacks.EarlyStopping, *callbacks.ReduceLROnPlateau, *callbacks.LearningSpeed:
			return nil, info, s.Errorf("--resume: the checkpoint does not hold the state of the %T callback, so the run would not continue exactly", cb)
		case *callbacks.ModelCheckpoint:
			if c.SaveBestOnly {
				return nil, info, s.Errorf("--resume: the checkpoint does not hold the best value of ModelCheckpoint's save_best_only, so the run would not continue exactly")
			}
		}
	}
	m, err := models.Load(tf.resume)
	if err != nil {
		return nil, info, fmt.Errorf("--resume: %w", err)
	}
	if at, ok := m.Metadata[interruptedKey]; ok {
		return nil, info, fmt.Errorf("--resume %s: this is the mid-epoch state of an interrupted run (%s), which cannot continue exactly: resume from the end-of-epoch checkpoint", tf.resume, at)
	}
	next, ok := m.ResumeEpoch()
	raw, hasInfo := m.Metadata[runKey]
	if !ok || !hasInfo || json.Unmarshal([]byte(raw), &info) != nil {
		return nil, info, fmt.Errorf("--resume %s: not a checkpoint of 'neurona run' or 'neurona train' (it holds no training state to continue)", tf.resume)
	}
	var a, b strings.Builder
	_ = built.Summary(&a)
	_ = m.Summary(&b)
	if a.String() != b.String() || fmt.Sprint(built.MetricNames()) != fmt.Sprint(m.MetricNames()) || built.LearningRate() != m.LearningRate() {
		return nil, info, fmt.Errorf("--resume %s: the checkpoint's model, metrics or learning rate differ from the spec's", tf.resume)
	}
	switch {
	case tf.set["seed"] && tf.seed != info.Seed:
		return nil, info, usagef("--resume: the checkpoint was trained with --seed %d, not %d", info.Seed, tf.seed)
	case globalBatch(*fit) != info.BatchSize:
		return nil, info, usagef("--resume: the checkpoint was trained with batches of %d, not %d", info.BatchSize, globalBatch(*fit))
	case fit.NoShuffle == info.Shuffle:
		return nil, info, fmt.Errorf("--resume: the checkpoint was trained with shuffle %v, the spec says %v", info.Shuffle, !fit.NoShuffle)
	case fit.Epochs <= next:
		return nil, info, usagef("--resume: the checkpoint has trained %d epochs already: ask for more with --epochs", next)
	}
	fit.Seed, fit.InitialEpoch = info.Seed, next
	return m, info, nil
}

// continueFrom makes the job continue the checkpoint m, once the data is
// loaded: the same number of training samples, the same preprocessing and
// the checkpoint's history for the epochs before.
func (j *job) continueFrom(s *spec.Spec, m *models.Model, info runInfo, samples int) error {
	if samples != info.Samples {
		return fmt.Errorf("--resume %s: the checkpoint was trained on %d samples, the data has %d", j.resume, info.Samples, samples)
	}
	if got, want := m.Metadata[spec.MetadataKey], s.Metadata()[spec.MetadataKey]; got != want {
		return fmt.Errorf("--resume %s: the data's preprocessing differs from the checkpoint's", j.resume)
	}
	prior, err := decodeHistory(m.Metadata[historyKey])
	if err != nil {
		return fmt.Errorf("--resume %s: its history: %w", j.resume, err)
	}
	keys := m.MetricNames()
	if (j.valid.X != nil && j.valid.X.Rows() > 0) || j.fit.ValidationSplit > 0 {
		for _, k := range m.MetricNames() {
			keys = append(keys, "val_"+k)
		}
	}
	if len(prior.Epoch) != j.fit.InitialEpoch || fmt.Sprint(prior.Keys) != fmt.Sprint(keys) {
		return fmt.Errorf("--resume %s: its history (%d epochs of %v) does not match its training state (%d epochs of %v)", j.resume, len(prior.Epoch), prior.Keys, j.fit.InitialEpoch, keys)
	}
	j.model, j.prior = m, prior
	return nil
}
