package models

import (
	"context"
	"fmt"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/tensor"
)

// checkData validates one array per input and one target per output and
// returns them, with 1-D targets seen as a column for a 1-unit output.
// what prefixes the names in errors ("validation "). The checked targets
// are appended to dst.
func (m *Model) checkData(what string, xs, ys, dst []*tensor.Tensor) ([]*tensor.Tensor, []*tensor.Tensor, error) {
	if err := m.checkInputs(what, xs); err != nil {
		return nil, nil, err
	}
	if len(ys) != len(m.outputs) {
		return nil, nil, fmt.Errorf("%sgot %d target arrays, the model has %d outputs (%s)", what, len(ys), len(m.outputs), m.outputList())
	}
	out := dst
	for k, y := range ys {
		// The name is built only for an error: a training step with
		// several outputs must not allocate.
		yname := func() string {
			if len(ys) > 1 {
				return fmt.Sprintf("%sy[%d] (output %q)", what, k, m.outputName(k))
			}
			return what + "y"
		}
		if y == nil {
			return nil, nil, fmt.Errorf("%s is missing", yname())
		}
		if y.Dims() == 0 || y.Rows() != xs[0].Rows() {
			return nil, nil, fmt.Errorf("%sx has %d rows but %s has %d: they must match", what, xs[0].Rows(), yname(), y.Rows())
		}
		shape := m.outputs[k].Shape()
		if m.sparse[k] {
			if err := checkLabels(yname(), y, shape[len(shape)-1]); err != nil {
				return nil, nil, err
			}
			out = append(out, y)
			continue
		}
		if y.Dims() == 1 && len(shape) == 1 && shape[0] == 1 {
			y = y.Reshape(y.Rows(), 1)
		}
		if !tensor.EqualShape(y.Shape[1:], shape) {
			return nil, nil, fmt.Errorf("%s has shape %s but the model's output is %s", yname(), tensor.ShapeString(y.Shape), noneShape(shape))
		}
		if r, c, bad := firstNaN(y); bad {
			return nil, nil, fmt.Errorf("%s has a NaN or infinite value at row %d, column %d", yname(), r, c)
		}
		out = append(out, y)
	}
	return xs, out, nil
}

func (m *Model) outputList() string {
	s := ""
	for k := range m.outputs {
		if k > 0 {
			s += ", "
		}
		s += m.outputName(k)
	}
	return s
}

func (m *Model) inputName(i int) string {
	n, _ := m.inputs[i].Node()
	return n.Layer.LayerName()
}

// checkLabels validates sparse class-index targets: one integer in
// [0, classes) per row.
func checkLabels(yname string, y *tensor.Tensor, classes int) error {
	if y.Size() != y.Rows() {
		return fmt.Errorf("%s has shape %s but a sparse loss takes one class index per sample", yname, tensor.ShapeString(y.Shape))
	}
	for r, v := range y.Data {
		if v != v || v < 0 || v >= float32(classes) || v != float32(int(v)) {
			return fmt.Errorf("%s has label %v at row %d: a class index in [0, %d) is required", yname, v, r, classes)
		}
	}
	return nil
}

// checkInputs validates one array per input against the input shapes.
func (m *Model) checkInputs(what string, xs []*tensor.Tensor) error {
	if len(xs) != len(m.inputs) {
		return fmt.Errorf("%sgot %d input arrays, the model has %d inputs (%s)", what, len(xs), len(m.inputs), m.inputList())
	}
	for i, x := range xs {
		// The name is built only for an error: a training step with
		// several inputs must not allocate.
		xname := func() string {
			if len(xs) > 1 {
				return fmt.Sprintf("%sx[%d] (input %q)", what, i, m.inputName(i))
			}
			return what + "x"
		}
		if x == nil {
			return fmt.Errorf("%s is missing", xname())
		}
		if want := m.inputs[i].Shape(); x.Dims() < 1 || !tensor.EqualShape(x.Shape[1:], want) {
			return fmt.Errorf("%s has shape %s but the model expects %s", xname(), tensor.ShapeString(x.Shape), noneShape(want))
		}
		if i > 0 && x.Rows() != xs[0].Rows() {
			return fmt.Errorf("%s has %d rows but %sx[0] has %d: they must match", xname(), x.Rows(), what, xs[0].Rows())
		}
		if r, c, bad := firstNaN(x); bad {
			return fmt.Errorf("%s has a NaN or infinite value at row %d, column %d", xname(), r, c)
		}
		// Layers fed directly by this input that accept only some values
		// (Embedding's ids) check them here, since Call cannot fail.
		for _, st := range m.plan {
			ic, ok := st.layer.(layers.InputChecker)
			if !ok || !feeds(st.in, m.inSlot[i]) {
				continue
			}
			if err := ic.CheckInput(x); err != nil {
				return fmt.Errorf("%s: %w", xname(), err)
			}
		}
	}
	return nil
}

func feeds(in []int, slot int) bool {
	for _, s := range in {
		if s == slot {
			return true
		}
	}
	return false
}

func (m *Model) inputList() string {
	s := ""
	for i := range m.inputs {
		if i > 0 {
			s += ", "
		}
		s += m.inputName(i)
	}
	return s
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

// Evaluate returns the loss and the metrics over x and y, in MetricNames
// order, computed in batches of batchSize (0 means Keras's 32).
func (m *Model) Evaluate(x, y *tensor.Tensor, batchSize int) ([]float64, error) {
	return m.EvaluateMulti([]*tensor.Tensor{x}, []*tensor.Tensor{y}, batchSize)
}

// EvaluateMulti is Evaluate with one array per input and one target per
// output.
func (m *Model) EvaluateMulti(xs, ys []*tensor.Tensor, batchSize int) ([]float64, error) {
	if err := m.readyCompiled("evaluate"); err != nil {
		return nil, err
	}
	if batchSize < 0 {
		return nil, fmt.Errorf("evaluate: batch size must be positive, got %d", batchSize)
	}
	if batchSize == 0 {
		batchSize = 32
	}
	xs, ys, err := m.checkData("", xs, ys, nil)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if err := m.begin("evaluate", false); err != nil {
		return nil, err
	}
	defer m.end(false)
	e := m.getExec()
	defer m.putExec(e)
	res, err := m.evaluate(context.Background(), e, xs, ys, batchSize)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return res, nil
}

// evaluate returns the loss, the per-output losses (several outputs) and
// the metrics over xs, ys in batches, in MetricNames order, computed in e.
func (m *Model) evaluate(ctx context.Context, e *exec, xs, ys []*tensor.Tensor, bs int) ([]float64, error) {
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
	n := xs[0].Rows()
	nOut := len(m.outputs)
	var parts []float64
	sums := make([]float64, 1+nOut)
	if nOut > 1 {
		parts = make([]float64, nOut)
	}
	xb := make([]*tensor.Tensor, len(xs))
	yb := make([]*tensor.Tensor, len(ys))
	for lo := 0; lo < n; lo += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+bs, n)
		tp.Reset()
		for i, x := range xs {
			xb[i] = rowsView(tp, x, lo, hi)
		}
		for k, y := range ys {
			yb[k] = rowsView(tp, y, lo, hi)
		}
		loss := m.forward(e, xb, yb, nil, parts)
		w := float64(hi - lo)
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
	return evalResults(sums, n, ms), nil
}

// evalResults returns an evaluation's results in MetricNames order from
// the row-weighted sums of the loss and of the per-output losses (sums[0]
// and sums[1:], the latter only with several outputs) over n rows, and the
// metrics.
func evalResults(sums []float64, n int, ms [][]metrics.Metric) []float64 {
	d := float64(max(n, 1))
	res := []float64{sums[0] / d}
	if nOut := len(sums) - 1; nOut > 1 {
		for k := range nOut {
			res = append(res, sums[1+k]/d)
		}
	}
	for _, mk := range ms {
		for _, mt := range mk {
			res = append(res, mt.Result())
		}
	}
	return res
}

// Predict returns the model's output for x, computed in inference mode in
// batches of 32. It works without Compile, as in Keras.
func (m *Model) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	outs, err := m.PredictMulti([]*tensor.Tensor{x})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// PredictMulti is Predict with one array per input; it returns one tensor
// per output.
func (m *Model) PredictMulti(xs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := m.ready(); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if err := m.checkInputs("", xs); err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	if err := m.begin("predict", false); err != nil {
		return nil, err
	}
	defer m.end(false)
	e := m.getExec()
	defer m.putExec(e)
	n := xs[0].Rows()
	res := make([]*tensor.Tensor, len(m.outputs))
	for k, o := range m.outputs {
		res[k] = tensor.New(append([]int{n}, o.Shape()...)...)
	}
	m.predictInto(e, res, xs)
	return res, nil
}

// predictBatch is the batch size of Predict's forward passes.
const predictBatch = 32

// predictInto runs the model in inference mode on xs in e, in batches of
// predictBatch rows, writing each output's predictions into dst.
func (m *Model) predictInto(e *exec, dst, xs []*tensor.Tensor) {
	tp := e.tape
	tp.SetNoGrad(true)
	defer tp.SetNoGrad(false)
	e.call.Tape, e.call.Training = tp, false
	if len(e.xb) != len(xs) {
		e.xb = make([]*tensor.Tensor, len(xs))
	}
	n := xs[0].Rows()
	for lo := 0; lo < n; lo += predictBatch {
		hi := min(lo+predictBatch, n)
		tp.Reset()
		for i, x := range xs {
			e.xb[i] = rowsView(tp, x, lo, hi)
		}
		m.forward(e, e.xb, nil, nil, nil)
		for k, r := range dst {
			rs := r.RowSize()
			copy(r.Data[lo*rs:hi*rs], e.preds[k].Data)
		}
	}
	clear(e.xb)
}
