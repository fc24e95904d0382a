package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/callbacks"
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
// the batch.
func (m *Sequential) Fit(ctx context.Context, x, y *tensor.Tensor, cfg FitConfig) (*History, error) {
	if !m.compiled {
		return nil, errors.New("fit: the model is not compiled: call Compile first")
	}
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("fit: %w", err)
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
	x, y, err := m.checkData("", x, y)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	vx, vy := cfg.ValidationX, cfg.ValidationY
	switch {
	case cfg.ValidationSplit > 0 && (vx != nil || vy != nil):
		return nil, errors.New("fit: give validation data or a validation split, not both")
	case cfg.ValidationSplit > 0:
		at := int(float64(x.Rows()) * (1 - cfg.ValidationSplit))
		x, vx = splitRows(x, at)
		y, vy = splitRows(y, at)
	case vx != nil || vy != nil:
		if vx, vy, err = m.checkData("validation ", vx, vy); err != nil {
			return nil, fmt.Errorf("fit: %w", err)
		}
	}
	if x.Rows() == 0 {
		return nil, errors.New("fit: no training samples")
	}
	validate := vx != nil && vx.Rows() > 0

	keys := []string{"loss"}
	for _, mt := range m.metrics {
		keys = append(keys, mt.Name())
	}
	nTrain := len(keys)
	if validate {
		for _, k := range keys[:nTrain] {
			keys = append(keys, "val_"+k)
		}
	}
	hist := newHistory(keys)
	logs := callbacks.Logs{}
	values := make([]float64, len(keys))

	n := x.Rows()
	st := m.fitState(cfg, n)
	m.call.RNG = st.dropout
	idx := st.index
	m.stop = false
	cbs := cfg.Callbacks
	var bar *callbacks.ProgbarLogger
	if cfg.Verbose > 0 {
		bar = &callbacks.ProgbarLogger{Verbose: cfg.Verbose, Output: cfg.Output}
		cbs = append(append([]callbacks.Callback(nil), cbs...), bar)
	}
	params := callbacks.Params{Epochs: cfg.Epochs, Samples: n, BatchSize: min(cfg.BatchSize, n), Keys: keys}
	if validate {
		params.ValidationSamples = vx.Rows()
	}
	for _, cb := range cbs {
		cb.SetModel(m)
		if ps, ok := cb.(callbacks.ParamsSetter); ok {
			ps.SetParams(params)
		}
	}
	for _, cb := range cbs {
		cb.OnTrainBegin(logs)
	}

	bs := min(cfg.BatchSize, n)
	pf := newPrefetcher(x, y, bs)
	defer pf.task.Wait()
	m.afterFirst = pf.start
	defer func() { m.afterFirst = nil }()
	batches := (n + bs - 1) / bs

	for epoch := cfg.InitialEpoch; epoch < cfg.Epochs; epoch++ {
		clear(logs)
		for _, cb := range cbs {
			cb.OnEpochBegin(epoch, logs)
		}
		pf.task.Wait() // a gather in flight reads idx
		if !cfg.NoShuffle {
			st.shuffle.Shuffle(idx)
		}
		for _, mt := range m.metrics {
			mt.Reset()
		}
		var lossSum float64
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return hist, fmt.Errorf("fit: stopped before epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			lo, hi := b*bs, min((b+1)*bs, n)
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
			loss := m.trainStep(xb, yb)
			lossSum += loss * float64(hi-lo)
			values[0] = lossSum / float64(hi)
			for i, mt := range m.metrics {
				values[i+1] = mt.Result()
			}
			for i := range nTrain {
				logs[keys[i]] = values[i]
			}
			for _, cb := range cbs {
				cb.OnBatchEnd(b, logs)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				if !m.stop { // no callback (TerminateOnNaN) took charge
					return hist, fmt.Errorf("fit: loss is %v at epoch %d, batch %d: training stopped", loss, epoch+1, b+1)
				}
				break
			}
			if m.stop {
				break
			}
		}
		if validate {
			vl, err := m.evaluate(ctx, vx, vy, bs)
			if err != nil {
				return hist, fmt.Errorf("fit: validation after epoch %d: %w", epoch+1, err)
			}
			values[nTrain] = vl
			for i, mt := range m.metrics {
				values[nTrain+1+i] = mt.Result()
			}
		}
		st.nextEpoch = epoch + 1
		hist.Epoch = append(hist.Epoch, epoch)
		for i, k := range keys {
			logs[k] = values[i]
			hist.Values[k] = append(hist.Values[k], values[i])
		}
		for _, cb := range cbs {
			cb.OnEpochEnd(epoch, logs)
		}
		if bar != nil && bar.Err() != nil {
			return hist, fmt.Errorf("fit: writing progress: %w", bar.Err())
		}
		if m.stop {
			break
		}
	}
	for _, cb := range cbs {
		cb.OnTrainEnd(logs)
	}
	return hist, nil
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

// fitState returns the state for a Fit over n samples: the model's current
// one when cfg continues it (same seed and sample count, InitialEpoch at the
// epoch where it stopped), else a fresh one from cfg.Seed.
func (m *Sequential) fitState(cfg FitConfig, n int) *fitState {
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

// trainStep runs one gradient step on a batch and returns its loss. It
// allocates nothing once it has run on a batch of this size.
func (m *Sequential) trainStep(x, y *tensor.Tensor) float64 {
	tp := m.tape
	tp.Reset()
	tp.SetNoGrad(false)
	for _, p := range m.params {
		p.ZeroGrad()
	}
	m.call.Tape, m.call.Training = tp, true
	loss, pred := m.lossAndPred(x, y)
	tp.Backward(loss)
	m.opt.Apply(m.params)
	for _, mt := range m.metrics {
		mt.Update(y, pred)
	}
	return float64(loss.Value.Data[0])
}

// TrainOnBatch runs one gradient step on the batch x, y and returns the
// loss, as Keras's train_on_batch. After the first call with a batch of a
// given size it allocates nothing.
func (m *Sequential) TrainOnBatch(x, y *tensor.Tensor) (float64, error) {
	if !m.compiled {
		return 0, errors.New("train on batch: the model is not compiled: call Compile first")
	}
	if err := m.Build(); err != nil {
		return 0, fmt.Errorf("train on batch: %w", err)
	}
	x, y, err := m.checkData("", x, y)
	if err != nil {
		return 0, fmt.Errorf("train on batch: %w", err)
	}
	if m.call.RNG == nil {
		m.call.RNG = tensor.NewRNG(m.Seed).Split()
	}
	return m.trainStep(x, y), nil
}

// evaluate returns the loss over x, y in batches, leaving the metrics'
// results in m.metrics.
func (m *Sequential) evaluate(ctx context.Context, x, y *tensor.Tensor, bs int) (float64, error) {
	tp := m.tape
	for _, mt := range m.metrics {
		mt.Reset()
	}
	m.call.Tape, m.call.Training = tp, false
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	n := x.Rows()
	var sum float64
	for lo := 0; lo < n; lo += bs {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hi := min(lo+bs, n)
		tp.Reset()
		yb := rowsView(tp, y, lo, hi)
		loss, pred := m.lossAndPred(rowsView(tp, x, lo, hi), yb)
		sum += float64(loss.Value.Data[0]) * float64(hi-lo)
		for _, mt := range m.metrics {
			mt.Update(yb, pred)
		}
	}
	return sum / float64(max(n, 1)), nil
}

// rowsView returns rows [lo, hi) of t as a tensor from the tape's arena.
func rowsView(tp *autograd.Tape, t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	var buf [8]int
	shape := append(buf[:0], t.Shape...)
	shape[0] = hi - lo
	rs := t.RowSize()
	return tp.View(t.Data[lo*rs:hi*rs], shape...)
}
