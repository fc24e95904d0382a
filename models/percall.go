package models

import (
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// The per-call path: an agent that predicts on one state at every step
// and trains on one sample at a time (the book's DQN) needs calls that
// cost microseconds and allocate nothing. TrainOnBatch already reuses the
// model's training exec; PredictInto is Predict writing into the caller's
// tensor.

// PredictInto is Predict for a model with one input and one output,
// writing the predictions into dst, which must have the output's shape
// with x's rows. Once warm (after the first call from each concurrent
// goroutine) it allocates nothing. Like Predict it is a reading call:
// it may run from many goroutines at once, not during training.
func (m *Model) PredictInto(dst, x *tensor.Tensor) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("predict into: %w", err)
	}
	if len(m.inputs) != 1 || len(m.outputs) != 1 {
		return fmt.Errorf("predict into: the model has %d inputs and %d outputs; PredictInto takes one of each (use PredictMulti)", len(m.inputs), len(m.outputs))
	}
	if dst == nil {
		return fmt.Errorf("predict into: dst is nil")
	}
	e := m.getExec()
	defer m.putExec(e)
	e.x1[0] = x
	defer func() { e.x1[0] = nil }()
	if err := m.checkInputs("predict into: ", e.x1[:]); err != nil {
		return err
	}
	n := x.Rows()
	if want := m.outputs[0].Shape(); dst.Dims() < 1 || dst.Rows() != n || !tensor.EqualShape(dst.Shape[1:], want) {
		return fmt.Errorf("predict into: dst has shape %s, want %d rows of the output's %s (x's rows)", tensor.ShapeString(dst.Shape), n, noneShape(want))
	}
	if err := m.begin("predict", false); err != nil {
		return err
	}
	defer m.end(false)
	e.y1[0] = dst
	defer func() { e.y1[0] = nil }()
	m.predictInto(e, e.y1[:], e.x1[:]) // as PredictMulti, so the two agree to the bit
	return nil
}
