package models

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/tensor"
)

// FitDataset trains the model on a Dataset, as Keras's fit_generator over
// a Sequence: each epoch takes cfg.StepsPerEpoch batches (0: one pass,
// ds.Len()), continuing through the dataset's passes where the previous
// epoch stopped, so batch b of epoch e is batch (e·steps + b) mod Len of
// pass (e·steps + b) div Len. After each epoch it evaluates
// cfg.ValidationData, cfg.ValidationSteps batches (0: one pass) from the
// start of its pass 0, as Keras's evaluate_generator does. The progress bar
// counts batches, as Keras's does for generators.
//
// The batch size, the sample order and any augmentation belong to the
// dataset: cfg.BatchSize, NoShuffle, ValidationSplit and the validation
// arrays must be unset, and data-parallel training (cfg.Collective) is
// not supported yet. cfg.Seed seeds dropout. Cancellation, NaN losses,
// callbacks and History behave as in Fit; an error from the dataset stops
// training with the epoch and batch named.
func (m *Model) FitDataset(ctx context.Context, ds Dataset, cfg FitConfig) (*History, error) {
	if err := m.readyCompiled("fit"); err != nil {
		return nil, err
	}
	switch {
	case cfg.BatchSize != 0:
		return nil, errors.New("fit: the dataset sets the batch size: leave BatchSize 0")
	case cfg.ValidationSplit != 0:
		return nil, errors.New("fit: a validation split needs arrays: give the dataset's validation part as ValidationData")
	case cfg.ValidationX != nil || cfg.ValidationY != nil || cfg.ValidationXs != nil || cfg.ValidationYs != nil:
		return nil, errors.New("fit: with a dataset, give validation data as ValidationData")
	case cfg.NoShuffle:
		return nil, errors.New("fit: the dataset sets the sample order: leave NoShuffle unset")
	case cfg.Collective != nil && cfg.Collective.Size() > 1:
		return nil, errors.New("fit: data-parallel training takes arrays, not a dataset")
	case cfg.Epochs < 0 || cfg.InitialEpoch < 0:
		return nil, fmt.Errorf("fit: epochs (%d) and initial epoch (%d) must not be negative", cfg.Epochs, cfg.InitialEpoch)
	case cfg.Verbose < 0 || cfg.Verbose > 2:
		return nil, fmt.Errorf("fit: verbose must be 0, 1 or 2, got %d", cfg.Verbose)
	}
	steps, err := checkDataset("fit", ds, cfg.StepsPerEpoch)
	if err != nil {
		return nil, err
	}
	validate := cfg.ValidationData != nil
	var vsteps int
	if validate {
		if vsteps, err = checkDataset("fit: validation", cfg.ValidationData, cfg.ValidationSteps); err != nil {
			return nil, err
		}
	}
	if err := m.begin("fit", true); err != nil {
		return nil, err
	}
	defer m.end(true)

	run := m.newFitRun(cfg, validate, callbacks.Params{Epochs: cfg.Epochs, Steps: steps})
	nTrain, hist, logs, values := run.nTrain, run.hist, run.logs, run.values
	parts, partSums, cbs := run.parts, run.partSums, run.cbs
	st := m.fitState(cfg, 0)
	m.trainExec().call.RNG = st.dropout
	m.stop = false
	for _, cb := range cbs {
		cb.OnTrainBegin(logs)
	}
	if err := callbackError(cbs); err != nil {
		return hist, err
	}
	var scratch []*tensor.Tensor
	for epoch := cfg.InitialEpoch; epoch < cfg.Epochs; epoch++ {
		clear(logs)
		for _, cb := range cbs {
			cb.OnEpochBegin(epoch, logs)
		}
		m.resetMetrics()
		clear(partSums)
		var lossSum float64
		seen := 0
		for b := 0; b < steps; b++ {
			if err := ctx.Err(); err != nil {
				return hist, fmt.Errorf("fit: stopped before epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			xb, yb, err := m.datasetBatch(ds, epoch*steps+b, true, scratch)
			if err != nil {
				return hist, fmt.Errorf("fit: epoch %d, batch %d: %w", epoch+1, b+1, err)
			}
			scratch = yb
			for _, cb := range cbs {
				cb.OnBatchBegin(b, logs)
			}
			loss := m.trainStep(xb, yb, nil, parts)
			rows := xb[0].Rows()
			seen += rows
			lossSum += loss * float64(rows)
			for k := range parts {
				partSums[k] += parts[k] * float64(rows)
			}
			run.running(m, lossSum, seen)
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
			vals, err := m.evaluateDataset(ctx, m.trainExec(), cfg.ValidationData, vsteps)
			if err != nil {
				return hist, fmt.Errorf("fit: validation after epoch %d: %w", epoch+1, err)
			}
			copy(values[nTrain:], vals)
		}
		st.nextEpoch = epoch + 1
		run.endEpoch(epoch)
		if err := run.epochErr(); err != nil {
			return hist, err
		}
		if m.stop {
			break
		}
	}
	return hist, run.trainEnd()
}

// EvaluateDataset returns the loss and the metrics over steps batches of
// ds (0: one pass) from the start of its pass 0, in MetricNames order,
// each batch weighted by its rows, as Keras's evaluate_generator.
func (m *Model) EvaluateDataset(ctx context.Context, ds Dataset, steps int) ([]float64, error) {
	if err := m.readyCompiled("evaluate"); err != nil {
		return nil, err
	}
	steps, err := checkDataset("evaluate", ds, steps)
	if err != nil {
		return nil, err
	}
	if err := m.begin("evaluate", false); err != nil {
		return nil, err
	}
	defer m.end(false)
	e := m.getExec()
	defer m.putExec(e)
	res, err := m.evaluateDataset(ctx, e, ds, steps)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return res, nil
}

// evaluateDataset is EvaluateDataset in e, for steps batches.
func (m *Model) evaluateDataset(ctx context.Context, e *exec, ds Dataset, steps int) ([]float64, error) {
	tp := e.tape
	ms := m.evalMetrics(e)
	for _, mk := range ms {
		for _, mt := range mk {
			mt.Reset()
		}
	}
	e.call.Tape, e.call.Training = tp, false
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	nOut := len(m.outputs)
	var parts []float64
	sums := make([]float64, 1+nOut)
	if nOut > 1 {
		parts = make([]float64, nOut)
	}
	var scratch []*tensor.Tensor
	seen := 0
	for b := 0; b < steps; b++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		xb, yb, err := m.datasetBatch(ds, b, true, scratch)
		if err != nil {
			return nil, err
		}
		scratch = yb
		tp.Reset()
		loss := m.forward(e, xb, yb, nil, parts)
		w := float64(xb[0].Rows())
		seen += xb[0].Rows()
		sums[0] += float64(loss.Value.Data[0]) * w
		for k := range parts {
			sums[1+k] += parts[k] * w
		}
		for k, mk := range ms {
			for _, mt := range mk {
				mt.Update(yb[k], e.preds[k])
			}
		}
	}
	return evalResults(sums, seen, ms), nil
}

// PredictDataset returns the model's outputs, in inference mode, for
// steps batches of ds's inputs (0: one pass) from the start of its pass 0,
// one tensor per output with the batches' rows in order. Targets in the
// dataset are ignored. It works without Compile.
func (m *Model) PredictDataset(ctx context.Context, ds Dataset, steps int) ([]*tensor.Tensor, error) {
	if err := m.ready(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	steps, err := checkDataset("predict", ds, steps)
	if err != nil {
		return nil, err
	}
	if err := m.begin("predict", false); err != nil {
		return nil, err
	}
	defer m.end(false)
	e := m.getExec()
	defer m.putExec(e)
	tp := e.tape
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	e.call.Tape, e.call.Training = tp, false
	outs := make([][]float32, len(m.outputs))
	rows := 0
	for b := 0; b < steps; b++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		xb, _, err := m.datasetBatch(ds, b, false, nil)
		if err != nil {
			return nil, fmt.Errorf("predict: %w", err)
		}
		tp.Reset()
		m.forward(e, xb, nil, nil, nil)
		for k := range outs {
			outs[k] = append(outs[k], e.preds[k].Data...)
		}
		rows += xb[0].Rows()
	}
	res := make([]*tensor.Tensor, len(m.outputs))
	for k, o := range m.outputs {
		res[k] = tensor.FromSlice(outs[k], append([]int{rows}, o.Shape()...)...)
	}
	return res, nil
}
