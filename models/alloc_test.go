package models

import (
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

func TestTrainStepAllocatesNothing(t *testing.T) {
	m := NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 13},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 16, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}, metrics.MAE()); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(1)
	x, y := tensor.New(8, 13), tensor.New(8, 1)
	rng.Normal(x, 0, 1)
	rng.Normal(y, 20, 5)
	xs, ys := []*tensor.Tensor{x}, []*tensor.Tensor{y}
	if _, err := m.TrainOnBatch(x, y); err != nil { // warm-up
		t.Fatal(err)
	}
	if a := alloctest.PerRun(100, func() { m.trainStep(xs, ys, nil, nil) }); a != 0 {
		t.Errorf("trainStep allocates %v times per step, want 0", a)
	}
	if a := alloctest.PerRun(100, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("TrainOnBatch allocates %v times per step, want 0", a)
	}
}

// TestMultiInputTrainStepAllocatesNothing covers the per-input and
// per-output checks of a model with several inputs and outputs.
func TestMultiInputTrainStepAllocatesNothing(t *testing.T) {
	a, b := layers.NewInput(3), layers.NewInput(2)
	ya := layers.Apply(&layers.Dense{Units: 2, Activation: activations.Tanh}, a)
	yb := layers.Apply(&layers.Dense{Units: 1}, b)
	m, err := NewModel([]*layers.KerasTensor{a, b}, []*layers.KerasTensor{ya, yb})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}, metrics.MAE()); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(2)
	xs := []*tensor.Tensor{tensor.New(4, 3), tensor.New(4, 2)}
	ys := []*tensor.Tensor{tensor.New(4, 2), tensor.New(4, 1)}
	for _, x := range append(append([]*tensor.Tensor(nil), xs...), ys...) {
		rng.Normal(x, 0, 1)
	}
	if _, err := m.TrainOnBatchMulti(xs, ys); err != nil { // warm-up
		t.Fatal(err)
	}
	if a := alloctest.PerRun(50, func() {
		if _, err := m.TrainOnBatchMulti(xs, ys); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("TrainOnBatchMulti with 2 inputs and 2 outputs allocates %v times per step, want 0", a)
	}
}

// TestMaskedTrainStepAllocatesNothing: Embedding(mask_zero) → LSTM, the
// mask computed and carried every step, allocates nothing once warm.
func TestMaskedTrainStepAllocatesNothing(t *testing.T) {
	layers.ResetNames()
	m := NewSequential(
		&layers.Embedding{InputDim: 20, OutputDim: 4, MaskZero: true, InputLength: 6},
		&layers.SpatialDropout1D{Rate: 0.2},
		&layers.LSTM{Units: 5, ReturnSequences: true},
		&layers.Bidirectional{Layer: &layers.GRU{Units: 3}},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(4, 6), tensor.New(4, 1)
	for i := range x.Data {
		if i%6 >= 2 {
			x.Data[i] = float32(1 + i%19)
		}
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if a := alloctest.PerRun(50, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("masked TrainOnBatch allocates %v times per step, want 0", a)
	}
}

// TestMaskedGlobalAveragePoolingAllocatesNothing: the masked mean of
// GlobalAveragePooling1D allocates nothing in a training step after the first.
func TestMaskedGlobalAveragePoolingAllocatesNothing(t *testing.T) {
	layers.ResetNames()
	m := NewSequential(
		&layers.Embedding{InputDim: 20, OutputDim: 4, MaskZero: true, InputLength: 6},
		&layers.GlobalAveragePooling1D{},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(4, 6), tensor.New(4, 1)
	for i := range x.Data {
		if i%6 >= 2 {
			x.Data[i] = float32(1 + i%19)
		}
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if a := alloctest.PerRun(50, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("masked TrainOnBatch allocates %v times per step, want 0", a)
	}
}
