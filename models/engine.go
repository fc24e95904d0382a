package models

import (
	"errors"
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// trainer is the engine every model type shares: the compiled loss,
// optimizer and metrics, the tape, and the training, evaluation and
// prediction steps over the model's graph.
type trainer struct {
	compiled    bool
	loss        []losses.Loss // one per output
	lossWeights []float32
	opt         optimizers.Optimizer
	given       []metrics.Metric   // the metrics as given to Compile
	metrics     [][]metrics.Metric // per output
	fused       []losses.Fused     // per output; nil where the loss does not fuse
	sparse      []bool             // per output: the loss takes class indices
	params      []*autograd.Var    // the weights training updates, fixed at Compile
	paramNames  []string
	// frozen are the model's other weights with a gradient (those of
	// layers frozen at Compile, or trained by another model), and
	// frozenGrads holds their gradients while a training step runs
	// without them: see detachFrozen.
	frozen      []*autograd.Var
	frozenGrads []*tensor.Tensor

	stop   bool
	fit    *fitState
	result []float64 // *OnBatch's values, reused
	comm   CommStats // the last data-parallel Fit's
}

// CompileConfig configures CompileWith: one loss for every output or a
// loss per output, the outputs' weights in the total loss, the optimizer
// and the metrics (computed for every output).
type CompileConfig struct {
	// Loss applies to every output; Losses gives one per output instead.
	Loss   losses.Loss
	Losses []losses.Loss
	// LossWeights weigh each output's loss in the total (Keras's
	// loss_weights); nil means 1 each.
	LossWeights []float32
	Optimizer   optimizers.Optimizer
	Metrics     []metrics.Metric
}

// Compile sets the loss (for every output), the optimizer and the metrics
// for training, as Keras's compile. The weights that training updates are
// fixed here: layers frozen now (SetTrainable(false)) stay untouched by
// this model's training until it is compiled again.
func (m *Model) Compile(loss losses.Loss, opt optimizers.Optimizer, ms ...metrics.Metric) error {
	return m.CompileWith(CompileConfig{Loss: loss, Optimizer: opt, Metrics: ms})
}

// CompileWith is Compile with a loss per output and loss weights.
func (m *Model) CompileWith(cfg CompileConfig) error {
	if cfg.Optimizer == nil {
		return errors.New("compile: an optimizer is required")
	}
	if err := optimizers.Validate(cfg.Optimizer); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	seen := map[string]bool{"loss": true}
	for _, mt := range cfg.Metrics {
		if mt == nil {
			return errors.New("compile: nil metric")
		}
		if seen[mt.Name()] {
			return fmt.Errorf("compile: metric %q given twice", mt.Name())
		}
		seen[mt.Name()] = true
	}
	if err := m.ready(); err != nil {
		if errors.Is(err, ErrNoInputShape) && cfg.Loss != nil && len(cfg.Losses) == 0 {
			// A Sequential without an input shape yet: compile now, build later.
			m.loss, m.opt, m.given = []losses.Loss{cfg.Loss}, cfg.Optimizer, cfg.Metrics
			m.lossWeights = cfg.LossWeights
			m.compiled = true
			return nil
		}
		return fmt.Errorf("compile: %w", err)
	}
	nOut := len(m.outputs)
	var ls []losses.Loss
	switch {
	case cfg.Loss != nil && len(cfg.Losses) > 0:
		return errors.New("compile: give one loss or a loss per output, not both")
	case cfg.Loss != nil:
		for range nOut {
			ls = append(ls, cfg.Loss)
		}
	case len(cfg.Losses) != nOut:
		if len(cfg.Losses) == 0 {
			return errors.New("compile: a loss is required")
		}
		return fmt.Errorf("compile: %d losses for %d outputs", len(cfg.Losses), nOut)
	default:
		ls = cfg.Losses
	}
	for i, l := range ls {
		if l == nil {
			return fmt.Errorf("compile: output %d has no loss", i+1)
		}
	}
	if cfg.LossWeights != nil && len(cfg.LossWeights) != nOut {
		return fmt.Errorf("compile: %d loss weights for %d outputs", len(cfg.LossWeights), nOut)
	}
	m.loss, m.lossWeights, m.opt, m.given = ls, cfg.LossWeights, cfg.Optimizer, cfg.Metrics
	m.compiled = true
	return m.prepare()
}

// prepare binds a compiled, built model: per-output metrics, fused losses,
// and the trainable weights the optimizer updates.
func (m *Model) prepare() error {
	if m.maskedOut != "" {
		return fmt.Errorf("the output of layer %q carries Keras's sequence mask (from an Embedding with mask_zero): Keras leaves the masked steps out of the loss and the metrics, which neurona does not do yet; end the model with a layer that reads the mask (a recurrent layer without return_sequences, GlobalAveragePooling1D)", m.maskedOut)
	}
	nOut := len(m.outputs)
	if len(m.loss) == 1 && nOut > 1 {
		for len(m.loss) < nOut {
			m.loss = append(m.loss, m.loss[0])
		}
	}
	m.metrics = make([][]metrics.Metric, nOut)
	for k := range nOut {
		for _, mt := range m.given {
			if nOut > 1 && k > 0 {
				mt = cloneMetric(mt)
			}
			m.metrics[k] = append(m.metrics[k], mt)
		}
	}
	m.fused = make([]losses.Fused, nOut)
	m.sparse = make([]bool, nOut)
	for i := range m.plan {
		m.plan[i].useLogits = false
	}
	for k, out := range m.outputs {
		loss := m.loss[k]
		if f, ok := loss.(losses.Fused); ok {
			if s := m.producer(m.outSlot[k]); s != nil && s.logits {
				if act := f.FusedActivation(); act != autograd.Linear && s.layer.(layers.LogitsLayer).FinalActivation() == act {
					m.fused[k] = f
					s.useLogits = true
				}
			}
		}
		s, ok := loss.(losses.Sparse)
		m.sparse[k] = ok && s.SparseTargets()
		shape := out.Shape()
		units := shape[len(shape)-1]
		for _, mt := range m.metrics[k] {
			if r, ok := mt.(interface {
				Resolve(lossName string, outputUnits int)
			}); ok {
				r.Resolve(loss.Name(), units)
			}
		}
	}
	m.params, m.paramNames = m.params[:0], m.paramNames[:0]
	for _, w := range m.TrainableWeights() {
		m.params = append(m.params, w.Var)
		m.paramNames = append(m.paramNames, w.Name)
	}
	m.opt.Build(m.params)
	train := map[*autograd.Var]bool{}
	for _, p := range m.params {
		train[p] = true
	}
	m.frozen = m.frozen[:0]
	for _, w := range m.Weights() {
		if v := w.Var; v.Grad != nil && !train[v] {
			train[v] = true // once, if shared
			m.frozen = append(m.frozen, v)
		}
	}
	m.frozenGrads = make([]*tensor.Tensor, len(m.frozen))
	m.idle.Lock()
	m.idle.free = nil // their metrics are the old compile's
	m.idle.Unlock()
	return nil
}

// producer returns the step that computes slot k, or nil for an input.
func (m *Model) producer(k int) *step {
	for i := range m.plan {
		if m.plan[i].out == k {
			return &m.plan[i]
		}
	}
	return nil
}

// cloneMetric returns a fresh metric with the same configuration, for a
// metric given once and computed for several outputs.
func cloneMetric(mt metrics.Metric) metrics.Metric {
	c, err := metrics.ConfigOf(mt)
	if err != nil {
		return mt
	}
	n, err := metrics.FromConfig(c)
	if err != nil {
		return mt
	}
	return n
}

// outputName returns the name logs give output k: its layer's name.
func (m *Model) outputName(k int) string {
	n, _ := m.outputs[k].Node()
	return n.Layer.LayerName()
}

// MetricNames returns the names of Evaluate's values, as Keras names them:
// "loss", then (with several outputs) each output's "<output>_loss", then
// the metrics, prefixed "<output>_" with several outputs.
func (m *Model) MetricNames() []string {
	names := []string{"loss"}
	nOut := len(m.metrics)
	if nOut > 1 {
		for k := range nOut {
			names = append(names, m.outputName(k)+"_loss")
		}
	}
	for k, ms := range m.metrics {
		for _, mt := range ms {
			if nOut > 1 {
				names = append(names, m.outputName(k)+"_"+mt.Name())
			} else {
				names = append(names, mt.Name())
			}
		}
	}
	return names
}

// forward runs the graph on a batch in e, with recording as set on its
// tape, and returns the total loss (nil without targets). Each output's
// prediction (after its activation) is left in e.preds, and each output's
// loss in lossParts when there are several outputs. afterFirst, when set,
// runs once the first computing layer has read the batch.
func (m *Model) forward(e *exec, xs, ys []*tensor.Tensor, afterFirst func(), lossParts []float64) *autograd.Var {
	tp, st := e.tape, e.st
	for i, x := range xs {
		st.vals[m.inSlot[i]] = tp.Const(x)
	}
	mode := noLogits
	if ys != nil {
		mode = compiledLogits
	}
	if n := len(m.plan); n > 0 {
		m.run(st, &e.call, 0, 1, mode)
		if afterFirst != nil {
			afterFirst()
		}
		m.run(st, &e.call, 1, n, mode)
	}
	if ys == nil {
		for k, s := range m.outSlot {
			e.preds[k] = st.vals[s].Value
		}
		return nil
	}
	var total *autograd.Var
	for k, s := range m.outSlot {
		yv := tp.Const(ys[k])
		var lk *autograd.Var
		if f := m.fused[k]; f != nil {
			lk, e.preds[k] = f.CallFused(tp, yv, st.vals[s])
		} else {
			lk = m.loss[k].Call(tp, yv, st.vals[s])
			e.preds[k] = st.vals[s].Value
		}
		if lossParts != nil {
			lossParts[k] = float64(lk.Value.Data[0])
		}
		if m.lossWeights != nil {
			lk = tp.Scale(lk, m.lossWeights[k])
		}
		if total == nil {
			total = lk
		} else {
			total = tp.Add(total, lk)
		}
	}
	return total
}

// detachFrozen takes the gradients of the weights this model does not
// train away for the length of a training step, so that the tape treats
// them as constants: nothing is recorded for a frozen base fed by the
// input (transfer learning's VGG19 then costs a forward pass), and the
// weight gradients of frozen layers that a gradient flows through (the
// GAN's discriminator in the adversarial model) are not computed. The
// model's group is held for training meanwhile, so no other call reads
// them. attachFrozen puts them back.
func (m *Model) detachFrozen() {
	for i, v := range m.frozen {
		m.frozenGrads[i], v.Grad = v.Grad, nil
	}
}

func (m *Model) attachFrozen() {
	for i, v := range m.frozen {
		v.Grad, m.frozenGrads[i] = m.frozenGrads[i], nil
	}
}

// trainStep runs one gradient step on a batch and returns its loss. It
// allocates nothing once it has run on a batch of this size.
func (m *Model) trainStep(xs, ys []*tensor.Tensor, afterFirst func(), lossParts []float64) float64 {
	m.detachFrozen()
	defer m.attachFrozen()
	e := m.trainExec()
	tp := e.tape
	tp.Reset()
	tp.SetNoGrad(false)
	for _, p := range m.params {
		p.ZeroGrad()
	}
	e.call.Tape, e.call.Training = tp, true
	loss := m.forward(e, xs, ys, afterFirst, lossParts)
	tp.Backward(loss)
	m.opt.Apply()
	for k, ms := range m.metrics {
		for _, mt := range ms {
			mt.Update(ys[k], e.preds[k])
		}
	}
	return float64(loss.Value.Data[0])
}

// stepValues fills m.result with a batch's loss, its per-output losses and
// the metrics' results, in MetricNames order.
func (m *Model) stepValues(loss float64, parts []float64) []float64 {
	res := append(m.result[:0], loss)
	if len(m.metrics) > 1 {
		res = append(res, parts...)
	}
	for _, ms := range m.metrics {
		for _, mt := range ms {
			res = append(res, mt.Result())
		}
	}
	m.result = res
	return res
}

// lossParts returns scratch for per-output losses, or nil with one output.
func (m *Model) lossParts() []float64 {
	if len(m.outputs) < 2 {
		return nil
	}
	if cap(m.result) < 2*len(m.outputs)+1 {
		m.result = make([]float64, 0, 2*len(m.outputs)+1+len(m.given)*len(m.outputs))
	}
	return m.result[len(m.outputs)+1 : 2*len(m.outputs)+1]
}

// TrainOnBatch runs one gradient step on the batch x, y and returns the
// loss and the metrics on that batch, in MetricNames order, as Keras's
// train_on_batch. The returned slice is reused by the next *OnBatch call.
// After the first call with a batch of a given size it allocates nothing.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) ([]float64, error) {
	e := m.trainExec()
	e.x1[0], e.y1[0] = x, y
	defer func() { e.x1[0], e.y1[0] = nil, nil }()
	return m.TrainOnBatchMulti(e.x1[:], e.y1[:])
}

// TrainOnBatchMulti is TrainOnBatch with one array per input and one target
// per output.
func (m *Model) TrainOnBatchMulti(xs, ys []*tensor.Tensor) ([]float64, error) {
	if err := m.readyCompiled("train on batch"); err != nil {
		return nil, err
	}
	if err := m.begin("train on batch", true); err != nil {
		return nil, err
	}
	defer m.end(true)
	e := m.trainExec()
	xs, ys, err := m.checkData("", xs, ys, e.ybuf[:0])
	if err != nil {
		return nil, fmt.Errorf("train on batch: %w", err)
	}
	if e.call.RNG == nil {
		e.call.RNG = tensor.NewRNG(m.Seed).Split()
	}
	m.resetMetrics()
	parts := m.lossParts()
	e.ybuf = ys
	loss := m.trainStep(xs, ys, nil, parts)
	return m.stepValues(loss, parts), nil
}

// TestOnBatch returns the loss and the metrics on the batch x, y in
// inference mode, as Keras's test_on_batch. The slice is reused by the
// next *OnBatch call.
func (m *Model) TestOnBatch(x, y *tensor.Tensor) ([]float64, error) {
	e := m.trainExec()
	e.x1[0], e.y1[0] = x, y
	defer func() { e.x1[0], e.y1[0] = nil, nil }()
	return m.TestOnBatchMulti(e.x1[:], e.y1[:])
}

// TestOnBatchMulti is TestOnBatch with one array per input and one target
// per output.
func (m *Model) TestOnBatchMulti(xs, ys []*tensor.Tensor) ([]float64, error) {
	if err := m.readyCompiled("test on batch"); err != nil {
		return nil, err
	}
	if err := m.begin("test on batch", true); err != nil {
		return nil, err
	}
	defer m.end(true)
	e := m.trainExec()
	xs, ys, err := m.checkData("", xs, ys, e.ybuf[:0])
	if err != nil {
		return nil, fmt.Errorf("test on batch: %w", err)
	}
	e.ybuf = ys
	m.resetMetrics()
	tp := e.tape
	tp.Reset()
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	e.call.Tape, e.call.Training = tp, false
	parts := m.lossParts()
	loss := m.forward(e, xs, ys, nil, parts)
	for k, ms := range m.metrics {
		for _, mt := range ms {
			mt.Update(ys[k], e.preds[k])
		}
	}
	return m.stepValues(float64(loss.Value.Data[0]), parts), nil
}

// PredictOnBatch returns the model's output for one batch, in inference
// mode, as Keras's predict_on_batch. The tensor is the model's scratch,
// valid until the next call on the model; copy it to keep it. Like the
// training calls it uses the model's own scratch and may not overlap
// another call; Predict is the call for many goroutines.
func (m *Model) PredictOnBatch(x *tensor.Tensor) (*tensor.Tensor, error) {
	e := m.trainExec()
	e.x1[0] = x
	defer func() { e.x1[0] = nil }()
	outs, err := m.PredictOnBatchMulti(e.x1[:])
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// PredictOnBatchMulti is PredictOnBatch with one array per input; it
// returns one tensor per output (the slice is reused).
func (m *Model) PredictOnBatchMulti(xs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := m.ready(); err != nil {
		return nil, fmt.Errorf("predict on batch: %w", err)
	}
	if err := m.checkInputs("", xs); err != nil {
		return nil, fmt.Errorf("predict on batch: %w", err)
	}
	if err := m.begin("predict on batch", true); err != nil {
		return nil, err
	}
	defer m.end(true)
	e := m.trainExec()
	tp := e.tape
	tp.Reset()
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	e.call.Tape, e.call.Training = tp, false
	m.forward(e, xs, nil, nil, nil)
	return e.preds, nil
}

func (m *Model) resetMetrics() {
	for _, ms := range m.metrics {
		for _, mt := range ms {
			mt.Reset()
		}
	}
}

// readyCompiled checks that the model is compiled, and builds it.
func (m *Model) readyCompiled(what string) error {
	if !m.compiled {
		return fmt.Errorf("%s: the model is not compiled: call Compile first", what)
	}
	if err := m.ready(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if m.metrics == nil {
		if err := m.prepare(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// StopTraining asks a running Fit to stop after the current batch.
func (m *Model) StopTraining() { m.stop = true }

// LearningRate returns the optimizer's learning rate (0 before Compile).
func (m *Model) LearningRate() float32 {
	if m.opt == nil {
		return 0
	}
	return m.opt.LearningRate()
}

// SetLearningRate sets the optimizer's learning rate.
func (m *Model) SetLearningRate(lr float32) {
	if m.opt != nil {
		m.opt.SetLearningRate(lr)
	}
}
