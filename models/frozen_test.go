package models_test

import (
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// A training step leaves frozen layers' weight gradients alone (it does
// not compute them), still passes the gradient through them to the layers
// below, and gives those layers the update they get when nothing is
// frozen.
func TestFrozenLayersTakeNoGradient(t *testing.T) {
	build := func(freeze bool) (*models.Sequential, []*layers.Dense) {
		ds := []*layers.Dense{
			{Units: 5, Activation: activations.Tanh, Base: layers.Base{InputShape: []int{4}}},
			{Units: 6, Activation: activations.ReLU},
			{Units: 2},
		}
		m := models.NewSequential(ds[0], ds[1], ds[2])
		m.Seed = 8
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		if freeze {
			ds[1].SetTrainable(false)
		}
		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.1}); err != nil {
			t.Fatal(err)
		}
		return m, ds
	}
	x := tensor.New(7, 4)
	y := tensor.New(7, 2)
	rng := tensor.NewRNG(2)
	rng.Normal(x, 0, 1)
	rng.Normal(y, 0, 1)
	frozen, fd := build(true)
	free, _ := build(false)
	middle := fd[1].Weights()
	before := middle[0].Var.Value.Clone()
	for _, m := range []*models.Sequential{frozen, free} {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range middle {
		if w.Var.Grad == nil {
			t.Fatalf("%s: the gradient tensor was not given back after the step", w.Name)
		}
		for i, g := range w.Var.Grad.Data {
			if g != 0 {
				t.Fatalf("%s: frozen weight has gradient %v at %d: it was computed", w.Name, g, i)
			}
		}
	}
	for i, v := range middle[0].Var.Value.Data {
		if v != before.Data[i] {
			t.Fatalf("the frozen kernel changed at %d", i)
		}
	}
	a, b := frozen.Layers()[0].(*layers.Dense).Weights(), free.Layers()[0].(*layers.Dense).Weights()
	changed := false
	for k := range a {
		for i, v := range a[k].Var.Value.Data {
			if v != b[k].Var.Value.Data[i] {
				t.Fatalf("%s[%d]: %v below a frozen layer, %v below a trainable one", a[k].Name, i, v, b[k].Var.Value.Data[i])
			}
		}
		changed = changed || a[k].Var.Grad.Data[0] != 0
	}
	if !changed {
		t.Error("the first layer got no gradient through the frozen one")
	}
}
