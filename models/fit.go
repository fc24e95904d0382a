package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/tensor"
)

// FitConfig configures Fit. Unlike Keras, the zero value of Verbose is
// silent, so a library never prints unless asked.
type FitConfig struct {
	// BatchSize is the number of samples per gradient step (required; Keras
	// uses 32).
	BatchSize int
	// Epochs is the number of passes over the training data.
	Epochs int
	// InitialEpoch is the epoch to start from (for resuming).
	InitialEpoch int
	// ValidationX and ValidationY are evaluated at the end of each epoch.
	ValidationX, ValidationY *tensor.Tensor
	// ValidationXs and ValidationYs are the validation data of a model
	// with several inputs or outputs: one array per input, one target per
	// output.
	ValidationXs, ValidationYs []*tensor.Tensor
	// ValidationSplit holds out this fraction of the training data, taken
	// from its end before shuffling, as Keras does. It excludes
	// ValidationX/ValidationY.
	ValidationSplit float64
	// NoShuffle keeps the sample order (Keras's shuffle=False).
	NoShuffle bool
	// Verbose is 0 (silent), 1 (progress bar) or 2 (one line per epoch).
	Verbose int
	// Output receives the progress output; nil means os.Stdout. On a
	// terminal the progress bar redraws in place; elsewhere only each
	// epoch's final line is written.
	Output io.Writer
	// Seed seeds shuffling and dropout.
	Seed uint64
	// Callbacks receive the training events.
	Callbacks []callbacks.Callback
	// StepsPerEpoch is the number of batches an epoch of FitDataset takes
	// (0: one pass over the dataset). Fit ignores it.
	StepsPerEpoch int
	// ValidationData is FitDataset's validation data, evaluated for
	// ValidationSteps batches (0: one pass) at the end of each epoch.
	ValidationData Dataset
	// ValidationSteps: see ValidationData.
	ValidationSteps int
	// Collective, when set with more than one rank, trains data-parallel
	// (see docs/distributed.md): every rank calls Fit with the same data,
	// seed and configuration; rank 0's weights are copied to the others at
	// the start; each rank takes its share of every global batch of
	// BatchSize × ranks samples from the same shuffled order; gradients are
	// averaged across ranks in buckets while the backward pass runs;
	// BatchNormalization's statistics stay per rank (Keras's default)
	// unless the layer is Synchronized or SyncBatchNorm is set; dropout
	// masks are the global batch's, drawn alike on every rank from the
	// seed; validation is sharded and its results reduced. Callbacks, the
	// progress bar and so checkpoints run on rank 0 only; a callback that
	// stops training or changes the learning rate takes effect on every
	// rank at the end of the epoch. nil trains in this process alone.
	Collective distributed.Collective
	// SyncBatchNorm synchronizes every BatchNormalization of the model in
	// data-parallel training, as if each were Synchronized (PyTorch's
	// SyncBatchNorm.convert_sync_batchnorm): the batch statistics are the
	// global batch's. Without a Collective it changes nothing.
	SyncBatchNorm bool
}

// History records the per-epoch logs of Fit, as Keras's History.
type History struct {
	// Epoch lists the epochs run, counting from 0.
	Epoch []int
	// Keys lists the logged names in Keras's order: loss, the metrics,
	// val_loss, the validation metrics.
	Keys []string
	// Values maps each key to its value per epoch.
	Values map[string][]float64
}

func newHistory(keys []string) *History {
	h := &History{Keys: keys, Values: map[string][]float64{}}
	for _, k := range keys {
		h.Values[k] = nil
	}
	return h
}

// Fit trains the model on x and y for cfg.Epochs epochs and returns the
// History. A cancelled ctx stops training between batches: Fit then returns
// the History of the completed epochs and an error wrapping ctx.Err(). A
// NaN or infinite loss stops training with an error naming the epoch and
// the batch. The first error a callback reports (see callbacks.Failer)
// stops training and is returned.
func (m *Model) Fit(ctx context.Context, x, y *tensor.Tensor, cfg FitConfig) (*History, error) {
	return m.FitMulti(ctx, []*tensor.Tensor{x}, []*tensor.Tensor{y}, cfg)
}

// FitMulti is Fit with one array per input and one target per output;
// validation data then come in cfg.ValidationXs and cfg.ValidationYs.
func (m *Model) FitMulti(ctx context.Context, xs, ys []*tensor.Tensor, cfg FitConfig) (*History, error) {
	if err := m.readyCompiled("fit"); err != nil {
		return nil, err
	}
	if cfg.BatchSize <= 0 {
		return nil, fmt.Errorf("fit: batch size must be positive, got %d", cfg.BatchSize)
	}
	if cfg.Epochs < 0 || cfg.InitialEpoch < 0 {
		return nil, fmt.Errorf("fit: epochs (%d) and initial epoch (%d) must not be negative", cfg.Epochs, cfg.InitialEpoch)
	}
	if cfg.Verbose < 0 || cfg.Verbose > 2 {
		return nil, fmt.Errorf("fit: verbose must be 0, 1 or 2, got %d", cfg.Verbose)
	}
	if !(cfg.ValidationSplit >= 0 && cfg.ValidationSplit < 1) {
		return nil, fmt.Errorf("fit: validation split must be in [0, 1), got %v", cfg.ValidationSplit)
	}
	xs, ys, err := m.checkData("", xs, ys, nil)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	if err := m.begin("fit", true); err != nil {
		return nil, err
	}
	defer m.end(true)
	vxs, vys := cfg.ValidationXs, cfg.ValidationYs
	if cfg.ValidationX != nil || cfg.ValidationY != nil {
		if vxs != nil || vys != nil {
			return nil, errors.New("fit: give ValidationX/ValidationY or ValidationXs/ValidationYs, not both")
		}
		vxs, vys = []*tensor.Tensor{cfg.ValidationX}, []*tensor.Tensor{cfg.ValidationY}
	}
	switch {
	case cfg.ValidationSplit > 0 && (vxs != nil || vys != nil):
		return nil, errors.New("fit: give validation data or a validation split, not both")
	case cfg.ValidationSplit > 0:
		at := int(float64(xs[0].Rows()) * (1 - cfg.ValidationSplit))
		xs, vxs = splitAll(xs, at)
		ys, vys = splitAll(ys, at)
	case vxs != nil || vys != nil:
		if vxs, vys, err = m.checkData("validation ", vxs, vys, nil); err != nil {
			return nil, fmt.Errorf("fit: %w", err)
		}
	}
	if xs[0].Rows() == 0 {
		return nil, errors.New("fit: no training samples")
	}
	validate := vxs != nil && vxs[0].Rows() > 0

	n := xs[0].Rows()
	params := callbacks.Params{Epochs: cfg.Epochs, Samples: n, BatchSize: min(cfg.BatchSize, n)}
	if validate {
		params.ValidationSamples = vxs[0].Rows()
	}
	run := m.newFitRun(cfg, validate, params)
	nTrain, hist, logs, values := run.nTrain, run.hist, run.logs, run.values
	parts, partSums := run.parts, run.partSums
	st := m.fitState(cfg, n)
	m.trainExec().call.RNG = st.dropout
	idx := st.index
	m.stop = false
	var dp *dataParallel
	if c := cfg.Collective; c != nil && c.Size() > 1 {
		dp = m.newDataParallel(c, cfg.SyncBatchNorm)
		defer dp.close()
		m.comm = CommStats{Buckets: len(dp.buckets)}
		if dp.rank != 0 {
			run.cbs, run.bar = nil, nil
		} else {
			params.BatchSize = min(cfg.BatchSize*dp.size, n)
		}
	}
	cbs, bar := run.cbs, run.bar
	for _, cb := range cbs {
		cb.OnTrainBegin(logs)
	}
	if dp != nil {
		nValid := 0
		if validate {
			nValid = vxs[0].Rows()
		}
		if err := dp.start(m, cfg, n, nValid, callbackError(cbs)); err != nil {
			return hist, err
		}
	} else if err := callbackError(cbs); err != nil {
		return hist, err
	}

	bs := min(cfg.BatchSize, n)
	gbs := bs // the global batch
	if dp != nil {
		gbs = min(cfg.BatchSize*dp.size, n)
		bs = (gbs + dp.size - 1) / dp.size
	}
	pf := newPrefetcher(xs, ys, bs)
	defer pf.task.Wait()
	batches := (n + gbs - 1) / gbs

	for epoch := cfg.InitialEpoch; epoch < cfg.Epochs; epoch++ {
		clear(logs)
		for _, cb := range cbs {
			cb.OnEpochBegin(epoch, logs)
		}
		if dp != nil { // a scheduler on rank 0 may have set the learning rate
			if _, _, err := dp.syncControl(m, false); err != nil {
				return hist, err
			}
		}
		pf.task.Wait() // a gather in flight reads idx
		if !cfg.NoShuffle {
			st.shuffle.Shuffle(idx)
		}
		m.resetMetrics()
		clear(partSums)
		var lossSum float64
		localSeen := 0
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return hist, fmt.Errorf("fit: stopped before epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			lo, hi := b*gbs, min((b+1)*gbs, n)
			var loss float64
			if dp == nil {
				if b == 0 { // nothing prefetched the first batch
					pf.prepare(0, idx[lo:hi])
				}
				xb, yb := pf.take(b % 2)
				if b+1 < batches {
					pf.prepare((b+1)%2, idx[hi:min(hi+bs, n)])
				} else {
					pf.prepare(0, nil)
				}
				for _, cb := range cbs {
					cb.OnBatchBegin(b, logs)
				}
				loss = m.trainStep(xb, yb, pf.start, parts)
			} else {
				llo, lhi := dp.shard(lo, hi)
				if b == 0 {
					pf.prepare(0, dp.rows(idx, lo, hi))
				}
				xb, yb := pf.take(b % 2)
				if b+1 < batches {
					pf.prepare((b+1)%2, dp.rows(idx, hi, min(hi+gbs, n)))
				} else {
					pf.prepare(0, nil)
				}
				for _, cb := range cbs {
					cb.OnBatchBegin(b, logs)
				}
				t0 := time.Now()
				l, exposed, err := m.trainStepDP(dp, xb, yb, pf.start, parts, llo-lo, lhi-llo, hi-lhi)
				if err != nil {
					return hist, fmt.Errorf("fit: epoch %d, batch %d: %w", epoch+1, b+1, err)
				}
				m.comm.Steps++
				m.comm.Step += time.Since(t0)
				m.comm.Exposed += exposed
				m.comm.Reduce = time.Duration(dp.reduceNs)
				m.comm.BatchNorm = time.Duration(dp.syncNs)
				loss = l
				localSeen += lhi - llo
			}
			lossSum += loss * float64(hi-lo)
			for k := range parts {
				w := float64(hi - lo)
				if dp != nil {
					l1, h1 := dp.shard(lo, hi)
					w = float64(h1 - l1) // this rank's rows; reduced at the epoch's end
				}
				partSums[k] += parts[k] * w
			}
			run.running(m, lossSum, hi)
			for _, cb := range cbs {
				cb.OnBatchEnd(b, logs)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				// Data-parallel, the loss is the global batch's, the same on
				// every rank: all stop here together.
				if !m.stop || dp != nil { // no callback (TerminateOnNaN) took charge
					return hist, fmt.Errorf("fit: loss is %v at epoch %d, batch %d: training stopped", loss, epoch+1, b+1)
				}
				break
			}
			if m.stop && dp == nil { // data-parallel: at the epoch's end, on every rank
				break
			}
		}
		if dp != nil {
			if err := dp.epochEnd(m, values[:nTrain], partSums, localSeen, n); err != nil {
				return hist, fmt.Errorf("fit: after epoch %d: %w", epoch+1, err)
			}
		}
		if validate {
			var vals []float64
			var err error
			if dp == nil {
				vals, err = m.evaluate(ctx, m.trainExec(), vxs, vys, bs)
			} else {
				vals, err = dp.validate(ctx, m, vxs, vys, bs, nTrain)
			}
			if err != nil {
				return hist, fmt.Errorf("fit: validation after epoch %d: %w", epoch+1, err)
			}
			copy(values[nTrain:], vals)
		}
		st.nextEpoch = epoch + 1
		run.endEpoch(epoch)
		if dp != nil {
			failed := (bar != nil && bar.Err() != nil) || callbackError(cbs) != nil
			stop, rootFailed, err := dp.syncControl(m, failed)
			if err != nil {
				return hist, err
			}
			if rootFailed && dp.rank != 0 {
				return hist, fmt.Errorf("fit: rank 0 stopped with an error after epoch %d", epoch+1)
			}
			m.stop = stop
		}
		if err := run.epochErr(); err != nil {
			return hist, err
		}
		if m.stop {
			break
		}
	}
	return hist, run.trainEnd()
}

// fitRun is what Fit and FitDataset keep across a training's epochs: the
// logged names and values, the History and the callbacks with the
// progress bar.
type fitRun struct {
	keys            []string // loss, the metrics, then their val_ names
	nTrain          int      // how many keys are not validation ones
	hist            *History
	logs            callbacks.Logs
	values          []float64 // the current values, in keys order
	parts, partSums []float64 // the per-output losses (several outputs)
	cbs             []callbacks.Callback
	bar             *callbacks.ProgbarLogger
}

// newFitRun sets up a training's logs and callbacks: params (with the keys
// filled in) go to every callback that takes them, and a progress bar is
// added when cfg.Verbose asks for one.
func (m *Model) newFitRun(cfg FitConfig, validate bool, params callbacks.Params) *fitRun {
	r := &fitRun{keys: m.MetricNames(), logs: callbacks.Logs{}}
	r.nTrain = len(r.keys)
	if validate {
		for _, k := range r.keys[:r.nTrain] {
			r.keys = append(r.keys, "val_"+k)
		}
	}
	r.hist = newHistory(r.keys)
	r.values = make([]float64, len(r.keys))
	if nOut := len(m.outputs); nOut > 1 {
		r.parts, r.partSums = make([]float64, nOut), make([]float64, nOut)
	}
	r.cbs = cfg.Callbacks
	if cfg.Verbose > 0 {
		r.bar = &callbacks.ProgbarLogger{Verbose: cfg.Verbose, Output: cfg.Output}
		r.cbs = append(append([]callbacks.Callback(nil), r.cbs...), r.bar)
	}
	params.Keys = r.keys
	for _, cb := range r.cbs {
		cb.SetModel(m)
		if ps, ok := cb.(callbacks.ParamsSetter); ok {
			ps.SetParams(params)
		}
	}
	return r
}

// endEpoch records the epoch's values in the logs and the History and
// tells the callbacks.
func (r *fitRun) endEpoch(epoch int) {
	r.hist.Epoch = append(r.hist.Epoch, epoch)
	for i, k := range r.keys {
		r.logs[k] = r.values[i]
		r.hist.Values[k] = append(r.hist.Values[k], r.values[i])
	}
	for _, cb := range r.cbs {
		cb.OnEpochEnd(epoch, r.logs)
	}
}

// epochErr returns the error that stops training after an epoch: the
// progress bar's write error or the first error a callback reports.
func (r *fitRun) epochErr() error {
	if r.bar != nil && r.bar.Err() != nil {
		return fmt.Errorf("fit: writing progress: %w", r.bar.Err())
	}
	return callbackError(r.cbs)
}

// trainEnd tells the callbacks that training ended and returns the first
// error one reports.
func (r *fitRun) trainEnd() error {
	for _, cb := range r.cbs {
		cb.OnTrainEnd(r.logs)
	}
	return callbackError(r.cbs)
}

// running sets the epoch's running values and their logs: the loss and
// the per-output losses from their row-weighted sums over the seen rows,
// then the metrics' results, in MetricNames order.
func (r *fitRun) running(m *Model, lossSum float64, seen int) {
	r.values[0] = lossSum / float64(seen)
	i := 1
	for _, p := range r.partSums {
		r.values[i] = p / float64(seen)
		i++
	}
	for _, ms := range m.metrics {
		for _, mt := range ms {
			r.values[i] = mt.Result()
			i++
		}
	}
	for i := range r.nTrain {
		r.logs[r.keys[i]] = r.values[i]
	}
}

// callbackError returns the first error a callback reports.
func callbackError(cbs []callbacks.Callback) error {
	if err := callbacks.FirstErr(cbs...); err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	return nil
}

// splitAll splits every array at row at.
func splitAll(ts []*tensor.Tensor, at int) (head, tail []*tensor.Tensor) {
	for _, t := range ts {
		h, tl := splitRows(t, at)
		head, tail = append(head, h), append(tail, tl)
	}
	return head, tail
}

// fitState is what Fit carries from one epoch to the next besides the
// weights: the shuffling and dropout streams and the current sample order
// (Keras shuffles the previous epoch's order again). Keeping it in the
// model, and in saved files, lets training resume exactly.
type fitState struct {
	seed      uint64
	shuffle   *tensor.RNG
	dropout   *tensor.RNG
	index     []int
	nextEpoch int
}

// ResumeEpoch returns the epoch from which Fit continues the training
// state the model holds (that of its last Fit, or of the file it was
// loaded from): the epoch after the last complete one, to give as
// FitConfig.InitialEpoch with the same Seed. ok is false when the model
// holds no training state.
func (m *Model) ResumeEpoch() (epoch int, ok bool) {
	if m.fit == nil {
		return 0, false
	}
	return m.fit.nextEpoch, true
}

// fitState returns the state for a Fit over n samples: the model's current
// one when cfg continues it (same seed and sample count, InitialEpoch at the
// epoch where it stopped), else a fresh one from cfg.Seed.
func (m *Model) fitState(cfg FitConfig, n int) *fitState {
	if st := m.fit; st != nil && cfg.InitialEpoch > 0 && cfg.InitialEpoch == st.nextEpoch &&
		st.seed == cfg.Seed && len(st.index) == n {
		return st
	}
	seed := tensor.NewRNG(cfg.Seed)
	st := &fitState{seed: cfg.Seed, shuffle: seed.Split(), dropout: seed.Split(), index: make([]int, n), nextEpoch: cfg.InitialEpoch}
	for i := range st.index {
		st.index[i] = i
	}
	m.fit = st
	return st
}

// splitRows returns views of the first `at` rows of t and of the rest.
func splitRows(t *tensor.Tensor, at int) (*tensor.Tensor, *tensor.Tensor) {
	rs := t.RowSize()
	head := tensor.FromSlice(t.Data[:at*rs], append([]int{at}, t.Shape[1:]...)...)
	tail := tensor.FromSlice(t.Data[at*rs:], append([]int{t.Rows() - at}, t.Shape[1:]...)...)
	return head, tail
}

// rowsView returns rows [lo, hi) of t as a tensor from the tape's arena.
func rowsView(tp *autograd.Tape, t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	var buf [8]int
	shape := append(buf[:0], t.Shape...)
	shape[0] = hi - lo
	rs := t.RowSize()
	return tp.View(t.Data[lo*rs:hi*rs], shape...)
}
