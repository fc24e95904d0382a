package models_test

import (
	"context"
	"math"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// Fit gathers each next batch in the background. Without shuffling, its
// batches are consecutive rows, so an epoch of Fit must leave exactly the
// weights that TrainOnBatch over the same slices leaves, last partial
// batch included.
func TestFitBatchesMatchTrainOnBatch(t *testing.T) {
	rng := tensor.NewRNG(11)
	const rows, bs = 300, 128 // batches of 128, 128 and 44 rows
	x := tensor.New(rows, 784)
	rng.Uniform(x, 0, 1)
	labels := tensor.New(rows)
	for i := range labels.Data {
		labels.Data[i] = float32(rng.Intn(10))
	}
	y, err := preprocessing.ToCategorical(labels, 10)
	if err != nil {
		t.Fatal(err)
	}
	newModel := func() *models.Sequential {
		m := models.NewSequential(
			&layers.Dense{Units: 64, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{784}}},
			&layers.BatchNormalization{},
			&layers.Dense{Units: 10, Activation: activations.Softmax},
		)
		m.Seed = 3
		if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	fitted := newModel()
	if _, err := fitted.Fit(context.Background(), x, y, models.FitConfig{BatchSize: bs, Epochs: 2, NoShuffle: true}); err != nil {
		t.Fatal(err)
	}
	stepped := newModel()
	for range 2 {
		for lo := 0; lo < rows; lo += bs {
			hi := min(lo+bs, rows)
			xb := tensor.FromSlice(x.Data[lo*784:hi*784], hi-lo, 784)
			yb := tensor.FromSlice(y.Data[lo*10:hi*10], hi-lo, 10)
			if _, err := stepped.TrainOnBatch(xb, yb); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b := fitted.WeightTensors(), stepped.WeightTensors()
	for i := range a {
		for j, v := range a[i].Value.Data {
			if math.Float32bits(v) != math.Float32bits(b[i].Value.Data[j]) {
				t.Fatalf("%s/%s[%d]: Fit gives %v, TrainOnBatch %v", a[i].Layer, a[i].Name, j, v, b[i].Value.Data[j])
			}
		}
	}
}
