// Package models holds Keras's models: Sequential, with Compile, Fit,
// Evaluate, Predict and Summary.
package models

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

var modelCount atomic.Int64

// Sequential is a linear stack of layers, as keras.Sequential.
//
// A Sequential builds its layers (creating their weights) once the input
// shape is known: from the first layer's InputShape/InputDim or from a
// layers.Input added first. Weights are drawn from the RNG seeded by Seed.
type Sequential struct {
	// Name defaults to Keras's sequential_1, sequential_2, … in creation
	// order within the process.
	Name string
	// Seed seeds weight initialization.
	Seed uint64
	// Metadata holds the caller's own strings, saved with the model (the
	// neurona command keeps the data preprocessing there).
	Metadata map[string]string

	layers []layers.Layer
	counts map[string]int // per-class counters for automatic layer names
	input  []int          // input shape without the batch dimension
	built  bool

	loss     losses.Loss
	opt      optimizers.Optimizer
	metrics  []metrics.Metric
	compiled bool

	fused  losses.Fused // set when the loss absorbs the last layer's activation
	sparse bool         // the loss takes class indices as targets

	params []*autograd.Var // trainable weights, in layer order
	tape   *autograd.Tape
	call   layers.CallContext
	stop   bool
	fit    *fitState
	// afterFirst, when set, runs in each training step once the first
	// layer has read the batch (Fit starts the next batch's gather there).
	afterFirst func()
}

// NewSequential returns a model with the given layers.
func NewSequential(ls ...layers.Layer) *Sequential {
	m := &Sequential{
		Name:   fmt.Sprintf("sequential_%d", modelCount.Add(1)),
		counts: map[string]int{},
		tape:   autograd.NewTape(),
	}
	for _, l := range ls {
		m.Add(l)
	}
	return m
}

// Add appends a layer. A layer without a name gets Keras's per-type name
// (dense_1, batch_normalization_1, …). Shapes are checked when the model is
// built, by Build, Compile, Summary, Fit or Predict.
func (m *Sequential) Add(l layers.Layer) {
	if m.counts == nil {
		m.counts = map[string]int{}
		m.tape = autograd.NewTape()
	}
	if l.LayerName() == "" {
		base := snakeCase(l.ClassName())
		if base == "input_layer" {
			base = "input"
		}
		m.counts[base]++
		l.SetLayerName(fmt.Sprintf("%s_%d", base, m.counts[base]))
	}
	m.layers = append(m.layers, l)
	m.built = false
}

// snakeCase turns a Keras class name into its default layer-name prefix:
// BatchNormalization → batch_normalization, Conv2D → conv2d.
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && !unicode.IsDigit(rs[i-1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Layers returns the model's layers, an Input layer excluded.
func (m *Sequential) Layers() []layers.Layer {
	var ls []layers.Layer
	for _, l := range m.layers {
		if _, ok := l.(*layers.Input); !ok {
			ls = append(ls, l)
		}
	}
	return ls
}

// ErrNoInputShape is returned when a model's input shape is unknown.
var ErrNoInputShape = errors.New("the model's input shape is unknown: give the first layer an InputShape or InputDim, or add a layers.Input first")

// Build builds the layers for the declared input shape, creating their
// weights. It does nothing if the model is already built.
func (m *Sequential) Build() error {
	if m.built {
		return nil
	}
	if len(m.layers) == 0 {
		return errors.New("the model has no layers")
	}
	shape := m.layers[0].InputSpec()
	if shape == nil {
		return ErrNoInputShape
	}
	rng := tensor.NewRNG(m.Seed)
	m.input = append([]int(nil), shape...)
	m.params = m.params[:0]
	names := map[string]bool{}
	for i, l := range m.layers {
		if names[l.LayerName()] {
			return fmt.Errorf("two layers are named %q: layer names must be unique", l.LayerName())
		}
		names[l.LayerName()] = true
		if decl := l.InputSpec(); i > 0 && decl != nil && !tensor.EqualShape(decl, shape) {
			return fmt.Errorf("layer %q (%s) declares input shape %s but receives %s from layer %q",
				l.LayerName(), l.ClassName(), noneShape(decl), noneShape(shape), m.layers[i-1].LayerName())
		}
		if err := l.Build(shape, rng); err != nil {
			return err
		}
		for _, w := range l.Weights() {
			if w.Trainable {
				m.params = append(m.params, w.Var)
			}
		}
		shape = l.OutputShape()
	}
	m.built = true
	m.prepareLoss()
	return nil
}

// prepareLoss decides, once the model is built and compiled, whether the
// loss fuses with the last layer's activation, and tells metrics that
// depend on the loss (accuracy) which loss and output width they serve.
func (m *Sequential) prepareLoss() {
	if !m.built || m.loss == nil {
		return
	}
	m.fused = nil
	if f, ok := m.loss.(losses.Fused); ok {
		if last, ok := m.layers[len(m.layers)-1].(layers.LogitsLayer); ok {
			if act := f.FusedActivation(); act != autograd.Linear && last.FinalActivation() == act {
				m.fused = f
			}
		}
	}
	s, ok := m.loss.(losses.Sparse)
	m.sparse = ok && s.SparseTargets()
	out := m.OutputShape()
	units := out[len(out)-1]
	for _, mt := range m.metrics {
		if r, ok := mt.(interface {
			Resolve(lossName string, outputUnits int)
		}); ok {
			r.Resolve(m.loss.Name(), units)
		}
	}
}

// noneShape formats a shape with the batch dimension, as (None, 13).
func noneShape(shape []int) string {
	return string(kerasfmt.AppendShape(nil, shape))
}

// InputShape returns the input shape without the batch dimension, or nil
// before the model is built.
func (m *Sequential) InputShape() []int { return m.input }

// OutputShape returns the output shape without the batch dimension, or nil
// before the model is built.
func (m *Sequential) OutputShape() []int {
	if !m.built {
		return nil
	}
	return m.layers[len(m.layers)-1].OutputShape()
}

// Compile sets the loss, the optimizer and the metrics for training, and
// builds the model if its input shape is known.
func (m *Sequential) Compile(loss losses.Loss, opt optimizers.Optimizer, ms ...metrics.Metric) error {
	if loss == nil {
		return errors.New("compile: a loss is required")
	}
	if opt == nil {
		return errors.New("compile: an optimizer is required")
	}
	seen := map[string]bool{"loss": true}
	for _, mt := range ms {
		if mt == nil {
			return errors.New("compile: nil metric")
		}
		if seen[mt.Name()] {
			return fmt.Errorf("compile: metric %q given twice", mt.Name())
		}
		seen[mt.Name()] = true
	}
	m.loss, m.opt, m.metrics = loss, opt, ms
	m.compiled = true
	m.prepareLoss()
	if err := m.Build(); err != nil && !errors.Is(err, ErrNoInputShape) {
		return err
	}
	return nil
}

// Weights returns every weight of every layer, in layer order.
func (m *Sequential) Weights() []*layers.Weight {
	var ws []*layers.Weight
	for _, l := range m.layers {
		ws = append(ws, l.Weights()...)
	}
	return ws
}

// CountParams returns the number of weights, in total and trainable.
func (m *Sequential) CountParams() (total, trainable int) {
	for _, w := range m.Weights() {
		n := w.Var.Value.Size()
		total += n
		if w.Trainable {
			trainable += n
		}
	}
	return total, trainable
}

// Summary writes Keras's summary table of the model to w.
func (m *Sequential) Summary(w io.Writer) error {
	if err := m.Build(); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	var rows []kerasfmt.SummaryRow
	for _, l := range m.Layers() {
		n := 0
		for _, w := range l.Weights() {
			n += w.Var.Value.Size()
		}
		rows = append(rows, kerasfmt.SummaryRow{Name: l.LayerName(), Class: l.ClassName(), OutputShape: l.OutputShape(), Params: n})
	}
	total, trainable := m.CountParams()
	return kerasfmt.WriteSummary(w, m.Name, rows, total, trainable)
}

// StopTraining asks a running Fit to stop after the current batch.
func (m *Sequential) StopTraining() { m.stop = true }

// LearningRate returns the optimizer's learning rate (0 before Compile).
func (m *Sequential) LearningRate() float32 {
	if m.opt == nil {
		return 0
	}
	return m.opt.LearningRate()
}

// SetLearningRate sets the optimizer's learning rate.
func (m *Sequential) SetLearningRate(lr float32) {
	if m.opt != nil {
		m.opt.SetLearningRate(lr)
	}
}

// lossAndPred runs the model on x and returns the loss against y and the
// predictions, through the fused loss when there is one.
func (m *Sequential) lossAndPred(x, y *tensor.Tensor) (*autograd.Var, *tensor.Tensor) {
	tp := m.tape
	xv, yv := tp.Const(x), tp.Const(y)
	if m.fused == nil {
		pred := m.forward(xv)
		return m.loss.Call(tp, yv, pred), pred.Value
	}
	n := len(m.layers) - 1
	first := m.firstComputing()
	for i, l := range m.layers[:n] {
		xv = l.Call(&m.call, xv)
		if i == first {
			m.firstDone()
		}
	}
	logits := m.layers[n].(layers.LogitsLayer).CallLogits(&m.call, xv)
	if n == first {
		m.firstDone()
	}
	return m.fused.CallFused(tp, yv, logits)
}

// forward runs the layers on x.
func (m *Sequential) forward(x *autograd.Var) *autograd.Var {
	first := m.firstComputing()
	for i, l := range m.layers {
		x = l.Call(&m.call, x)
		if i == first {
			m.firstDone()
		}
	}
	return x
}

// firstComputing is the index of the first layer that is not an Input.
func (m *Sequential) firstComputing() int {
	if len(m.layers) > 1 {
		if _, ok := m.layers[0].(*layers.Input); ok {
			return 1
		}
	}
	return 0
}

// firstDone runs the afterFirst hook in training.
func (m *Sequential) firstDone() {
	if m.afterFirst != nil && m.call.Training {
		m.afterFirst()
	}
}

// WeightTensors returns the weights for callbacks: live values and the
// gradients of the last batch.
func (m *Sequential) WeightTensors() []callbacks.Weight {
	var ws []callbacks.Weight
	for _, l := range m.layers {
		for _, w := range l.Weights() {
			ws = append(ws, callbacks.Weight{Layer: l.LayerName(), Name: w.Name, Value: w.Var.Value, Grad: w.Var.Grad, Trainable: w.Trainable})
		}
	}
	return ws
}

// MetricNames returns the names of Evaluate's values: "loss", then the
// metrics' names.
func (m *Sequential) MetricNames() []string {
	names := []string{"loss"}
	for _, mt := range m.metrics {
		names = append(names, mt.Name())
	}
	return names
}
