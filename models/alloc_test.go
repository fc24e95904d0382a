package models

import (
	"testing"

	"github.com/neurona/neurona/activations"
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
	if a := testing.AllocsPerRun(100, func() { m.trainStep(xs, ys, nil, nil) }); a != 0 {
		t.Errorf("trainStep allocates %v times per step, want 0", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("TrainOnBatch allocates %v times per step, want 0", a)
	}
}
