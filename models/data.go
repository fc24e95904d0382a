package models

import (
	"context"
	"errors"
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// checkData validates inputs x and targets y against the model and returns
// them, with 1-D targets seen as a column when the model has one output.
// what prefixes the names in errors ("validation ").
func (m *Sequential) checkData(what string, x, y *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, error) {
	if err := m.checkInput(what, x); err != nil {
		return nil, nil, err
	}
	if y == nil {
		return nil, nil, fmt.Errorf("%sy is missing", what)
	}
	if y.Dims() == 0 || y.Rows() != x.Rows() {
		return nil, nil, fmt.Errorf("%sx has %d rows but %sy has %d: they must match", what, x.Rows(), what, y.Rows())
	}
	out := m.OutputShape()
	if m.sparse {
		return x, y, checkLabels(what, y, out[len(out)-1])
	}
	if y.Dims() == 1 && len(out) == 1 && out[0] == 1 {
		y = y.Reshape(y.Rows(), 1)
	}
	if !tensor.EqualShape(y.Shape[1:], out) {
		return nil, nil, fmt.Errorf("%sy has shape %s but the model's output is %s", what, tensor.ShapeString(y.Shape), noneShape(out))
	}
	if r, c, bad := firstNaN(y); bad {
		return nil, nil, fmt.Errorf("%sy has a NaN or infinite value at row %d, column %d", what, r, c)
	}
	return x, y, nil
}

// checkLabels validates sparse class-index targets: one integer in
// [0, classes) per row.
func checkLabels(what string, y *tensor.Tensor, classes int) error {
	if y.Size() != y.Rows() {
		return fmt.Errorf("%sy has shape %s but a sparse loss takes one class index per sample", what, tensor.ShapeString(y.Shape))
	}
	for r, v := range y.Data {
		if v != v || v < 0 || v >= float32(classes) || v != float32(int(v)) {
			return fmt.Errorf("%sy has label %v at row %d: a class index in [0, %d) is required", what, v, r, classes)
		}
	}
	return nil
}

// checkInput validates inputs x against the model's input shape.
func (m *Sequential) checkInput(what string, x *tensor.Tensor) error {
	if x == nil {
		return fmt.Errorf("%sx is missing", what)
	}
	if x.Dims() < 1 || !tensor.EqualShape(x.Shape[1:], m.input) {
		return fmt.Errorf("%sx has shape %s but the model expects %s", what, tensor.ShapeString(x.Shape), noneShape(m.input))
	}
	if r, c, bad := firstNaN(x); bad {
		return fmt.Errorf("%sx has a NaN or infinite value at row %d, column %d", what, r, c)
	}
	return nil
}

// firstNaN finds the first non-finite value, as a row and a flat column.
func firstNaN(t *tensor.Tensor) (row, col int, found bool) {
	if !t.HasNaN() {
		return 0, 0, false
	}
	rs := max(t.RowSize(), 1)
	for i, v := range t.Data {
		if v != v || v > 3.4e38 || v < -3.4e38 {
			return i / rs, i % rs, true
		}
	}
	return 0, 0, false
}

// Evaluate returns the loss and the metrics over x and y, in Keras's order,
// computed in batches of batchSize (0 means Keras's 32).
func (m *Sequential) Evaluate(x, y *tensor.Tensor, batchSize int) ([]float64, error) {
	if !m.compiled {
		return nil, errors.New("evaluate: the model is not compiled: call Compile first")
	}
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if batchSize < 0 {
		return nil, fmt.Errorf("evaluate: batch size must be positive, got %d", batchSize)
	}
	if batchSize == 0 {
		batchSize = 32
	}
	x, y, err := m.checkData("", x, y)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	loss, err := m.evaluate(context.Background(), x, y, batchSize)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	res := []float64{loss}
	for _, mt := range m.metrics {
		res = append(res, mt.Result())
	}
	return res, nil
}

// Predict returns the model's outputs for x, computed in inference mode in
// batches of 32. It works without Compile, as in Keras.
func (m *Sequential) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if err := m.checkInput("", x); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	const bs = 32
	n := x.Rows()
	res := tensor.New(append([]int{n}, m.OutputShape()...)...)
	tp := m.tape
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	m.call.Tape, m.call.Training = tp, false
	rs := res.RowSize()
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		tp.Reset()
		pred := m.forward(tp.Const(rowsView(tp, x, lo, hi)))
		copy(res.Data[lo*rs:hi*rs], pred.Value.Data)
	}
	return res, nil
}
