package models

import (
	"math"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// TestMaskedGradientFiniteDifference checks the gradient of a masked
// model's loss (Embedding(mask_zero) → LSTM → Dense) against central
// differences of the loss, for every weight value: the gradient is read
// off one plain SGD step (w₀ − w₁)/lr.
func TestMaskedGradientFiniteDifference(t *testing.T) {
	layers.ResetNames()
	m := NewSequential(&layers.Embedding{InputDim: 6, OutputDim: 3, MaskZero: true, InputLength: 5},
		&layers.LSTM{Units: 3, RecurrentActivation: "sigmoid"}, &layers.Dense{Units: 1})
	const lr = 1
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: lr}); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice([]float32{0, 0, 3, 1, 5, 0, 2, 4, 1, 3}, 2, 5)
	y := tensor.FromSlice([]float32{0.5, -0.3}, 2, 1)
	loss := func() float64 {
		r, err := m.TestOnBatch(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return r[0]
	}
	ws := m.Weights()
	before := make([][]float32, len(ws))
	for i, w := range ws {
		before[i] = append([]float32(nil), w.Var.Value.Data...)
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	grads := make([][]float64, len(ws))
	for i, w := range ws {
		grads[i] = make([]float64, len(before[i]))
		for j := range grads[i] {
			grads[i][j] = float64(before[i][j]-w.Var.Value.Data[j]) / lr
		}
		copy(w.Var.Value.Data, before[i])
	}
	checked := 0
	for i, w := range ws {
		grad := grads[i]
		for j := range grad {
			v := w.Var.Value.Data[j]
			const h = 1e-2
			w.Var.Value.Data[j] = v + h
			lp := loss()
			w.Var.Value.Data[j] = v - h
			lm := loss()
			w.Var.Value.Data[j] = v
			num := (lp - lm) / (2 * h)
			if math.Abs(num-grad[j]) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("%s[%d]: gradient %.5f, finite difference %.5f", w.Name, j, grad[j], num)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no weights checked")
	}
}
