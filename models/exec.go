package models

import (
	"fmt"
	"sync"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/tensor"
)

// Concurrency. A model may serve Predict and Evaluate from many goroutines
// at once: each call takes an exec (a tape, a call context and the graph's
// value slots) from the model's idle list and gives it back, so calls never
// share scratch and, once every goroutine's exec exists, allocate nothing
// more. Training (Fit, TrainOnBatch, TestOnBatch, PredictOnBatch) uses the
// model's own exec and may not overlap another call: it gets an error
// rather than corrupting state. A model's nested models count as part of it.

// graphState is one forward pass's view of a graph: the value of every
// tensor slot and the argument lists of the steps with several inputs.
type graphState struct {
	vals []*autograd.Var
	args [][]*autograd.Var // by step; nil for one-input steps
	// masks are the slots' sequence masks (nil: none); maskBuf the
	// storage of the masks that steps compute, by slot, reused.
	masks   []*tensor.Tensor
	maskBuf []*tensor.Tensor
	// mergeXs and mergeMasks are a merge step's inputs' values and
	// masks, by step, reused (nil for the other steps).
	mergeXs, mergeMasks [][]*tensor.Tensor
}

// produceMask computes step s's mask for the input x into its slot's
// buffer, resized for this batch without allocating once warm.
func (st *graphState) produceMask(s *step, x *tensor.Tensor) *tensor.Tensor {
	b := st.maskFor(s.out, x.Shape)
	s.layer.(layers.MaskProducer).ComputeMask(x, b)
	return b
}

// maskFor returns slot k's mask buffer resized to shape, without
// allocating once it has held a mask that large.
func (st *graphState) maskFor(k int, shape []int) *tensor.Tensor {
	b := st.maskBuf[k]
	n := 1
	for _, d := range shape {
		n *= d
	}
	if b == nil || cap(b.Data) < n {
		b = tensor.New(shape...)
		st.maskBuf[k] = b
	}
	b.Data = b.Data[:n]
	b.Shape = append(b.Shape[:0], shape...)
	return b
}

// mergeMask computes merge step s's output mask, for its output out,
// into its slot's buffer (without allocating once warm).
func (st *graphState) mergeMask(i int, s *step, out *tensor.Tensor) *tensor.Tensor {
	xs, ms := st.mergeXs[i], st.mergeMasks[i]
	for j, k := range s.in {
		xs[j], ms[j] = st.vals[k].Value, st.masks[k]
	}
	b := st.maskFor(s.out, out.Shape[:2]) // (batch, steps)
	s.layer.(layers.MaskMerger).MergeMasks(xs, ms, b)
	return b
}

func (m *Model) newState() *graphState {
	st := &graphState{vals: make([]*autograd.Var, m.nSlots), args: make([][]*autograd.Var, len(m.plan)),
		masks: make([]*tensor.Tensor, m.nSlots), maskBuf: make([]*tensor.Tensor, m.nSlots),
		mergeXs: make([][]*tensor.Tensor, len(m.plan)), mergeMasks: make([][]*tensor.Tensor, len(m.plan))}
	for i, s := range m.plan {
		if s.multi != nil {
			st.args[i] = make([]*autograd.Var, len(s.in))
		}
		if s.mask == maskMerge {
			st.mergeXs[i] = make([]*tensor.Tensor, len(s.in))
			st.mergeMasks[i] = make([]*tensor.Tensor, len(s.in))
		}
	}
	return st
}

// stateIn returns the model's graph state for the call context c, made on
// first use (a nested model keeps one per context).
func (m *Model) stateIn(c *layers.CallContext) *graphState {
	if st, ok := c.Locals[m].(*graphState); ok {
		return st
	}
	st := m.newState()
	if c.Locals == nil {
		c.Locals = map[any]any{}
	}
	c.Locals[m] = st
	return st
}

// exec is what one engine call works with.
type exec struct {
	tape  *autograd.Tape
	call  layers.CallContext
	st    *graphState
	preds []*tensor.Tensor
	// metrics are this exec's own metrics (Evaluate from several
	// goroutines); the training exec uses the model's.
	metrics [][]metrics.Metric
	// one-array arguments and checked targets, reused
	x1, y1 [1]*tensor.Tensor
	ybuf   []*tensor.Tensor
	xb, yb []*tensor.Tensor
}

func (m *Model) newExec() *exec {
	e := &exec{tape: autograd.NewTape(), preds: make([]*tensor.Tensor, len(m.outputs))}
	e.st = m.stateIn(&e.call)
	return e
}

// trainExec returns the model's own exec, for training.
func (m *Model) trainExec() *exec {
	if m.train == nil {
		m.train = m.newExec()
	}
	return m.train
}

// getExec takes an idle exec for a concurrent call.
func (m *Model) getExec() *exec {
	m.idle.Lock()
	var e *exec
	if n := len(m.idle.free); n > 0 {
		e = m.idle.free[n-1]
		m.idle.free = m.idle.free[:n-1]
	}
	m.idle.Unlock()
	if e == nil {
		e = m.newExec()
	}
	return e
}

func (m *Model) putExec(e *exec) {
	m.idle.Lock()
	m.idle.free = append(m.idle.free, e)
	m.idle.Unlock()
}

// evalMetrics returns metrics for e: fresh copies of the model's, made
// once per exec.
func (m *Model) evalMetrics(e *exec) [][]metrics.Metric {
	if e == m.train {
		return m.metrics
	}
	if len(e.metrics) != len(m.metrics) {
		e.metrics = make([][]metrics.Metric, len(m.metrics))
		for k, ms := range m.metrics {
			for _, mt := range ms {
				e.metrics[k] = append(e.metrics[k], cloneMetric(mt))
			}
		}
		for k, out := range m.outputs {
			shape := out.Shape()
			for _, mt := range e.metrics[k] {
				if r, ok := mt.(interface {
					Resolve(lossName string, outputUnits int)
				}); ok {
					r.Resolve(m.loss[k].Name(), shape[len(shape)-1])
				}
			}
		}
	}
	return e.metrics
}

// usage records what a model is doing, for the checks that keep calls
// from overlapping in ways that would corrupt it.
type usage struct {
	mu       sync.Mutex
	training bool
	readers  int
}

// begin marks the model and its nested models as used by a training call
// (exclusive) or a reading one (Predict, Evaluate: shared), or returns an
// error naming the model in the way.
func (m *Model) begin(what string, train bool) error {
	for i, g := range m.group {
		g.use.mu.Lock()
		ok := !g.use.training && (!train || g.use.readers == 0)
		if ok {
			if train {
				g.use.training = true
			} else {
				g.use.readers++
			}
		}
		busy := g.use.training
		g.use.mu.Unlock()
		if !ok {
			m.endGroup(i, train)
			doing := "predicting or evaluating"
			if busy {
				doing = "training"
			}
			return fmt.Errorf("%s: model %q is %s in another call: a model trains alone; Predict and Evaluate may run together", what, g.Name, doing)
		}
	}
	return nil
}

// end undoes begin.
func (m *Model) end(train bool) { m.endGroup(len(m.group), train) }

func (m *Model) endGroup(n int, train bool) {
	for _, g := range m.group[:n] {
		g.use.mu.Lock()
		if train {
			g.use.training = false
		} else {
			g.use.readers--
		}
		g.use.mu.Unlock()
	}
}
