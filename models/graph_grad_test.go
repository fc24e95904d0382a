package models_test

import (
	"math"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// checkGraphGradients checks the gradient of a model's loss (MSE) with
// respect to every trainable weight, through the public API: one
// TrainOnBatch step with SGD must move each weight by −lr·Grad, and Grad
// (from WeightTensors) must match central finite differences of
// TestOnBatch's loss. The models it checks have only trainable weights
// (Dense layers), so a weight that is not trainable is an error.
func checkGraphGradients(t *testing.T, name string, m *models.Model, xs, ys []*tensor.Tensor) {
	t.Helper()
	const lr, eps = 0.1, 1e-2
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: lr}); err != nil {
		t.Fatalf("%s: compile: %v", name, err)
	}
	ws := m.WeightTensors()
	before := make([]*tensor.Tensor, len(ws))
	for i, w := range ws {
		before[i] = w.Value.Clone()
	}
	if _, err := m.TrainOnBatchMulti(xs, ys); err != nil {
		t.Fatalf("%s: train on batch: %v", name, err)
	}
	for i, w := range ws {
		if !w.Trainable {
			t.Fatalf("%s: weight %s does not train", name, w.Name)
		}
		for j, v := range w.Value.Data {
			step, want := float64(v)-float64(before[i].Data[j]), -lr*float64(w.Grad.Data[j])
			if math.Abs(step-want) > 1e-6*(1+math.Abs(float64(v))) {
				t.Errorf("%s: %s [%d] moved by %.6g, SGD gives −lr·grad = %.6g", name, w.Name, j, step, want)
			}
		}
		w.Value.CopyFrom(before[i]) // back to where the gradient was taken
	}
	if len(ws) == 0 {
		t.Fatalf("%s: no weights", name)
	}
	loss := func() float64 {
		r, err := m.TestOnBatchMulti(xs, ys)
		if err != nil {
			t.Fatalf("%s: test on batch: %v", name, err)
		}
		return r[0]
	}
	for _, w := range ws {
		for j := range w.Value.Data {
			orig := w.Value.Data[j]
			w.Value.Data[j] = orig + eps
			lp := loss()
			w.Value.Data[j] = orig - eps
			lm := loss()
			w.Value.Data[j] = orig
			num := (lp - lm) / (2 * eps)
			if got := float64(w.Grad.Data[j]); math.Abs(got-num) > 1e-3+1e-2*math.Abs(num) {
				t.Errorf("%s: dloss/d %s [%d]: backprop %.6g, finite differences %.6g", name, w.Name, j, got, num)
			}
		}
	}
}

func randomBatch(rng *tensor.RNG, batch int, shapes ...[]int) []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, s := range shapes {
		x := tensor.New(append([]int{batch}, s...)...)
		rng.Normal(x, 0, 1)
		ts = append(ts, x)
	}
	return ts
}

func tensors(ts ...*layers.KerasTensor) []*layers.KerasTensor { return ts }

// TestSharedLayerGradients checks a Dense layer used twice in one graph:
// its gradient sums both uses.
func TestSharedLayerGradients(t *testing.T) {
	rng := tensor.NewRNG(21)
	t.Run("two inputs, concatenated", func(t *testing.T) {
		a, b := layers.NewInput(3), layers.NewInput(3)
		shared := &layers.Dense{Units: 2, Activation: activations.Tanh}
		cat := layers.Apply(&layers.Concatenate{}, layers.Apply(shared, a), layers.Apply(shared, b))
		out := layers.Apply(&layers.Dense{Units: 2}, cat)
		m, err := models.NewModel(tensors(a, b), tensors(out))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "shared/concatenate", m, randomBatch(rng, 4, []int{3}, []int{3}), randomBatch(rng, 4, []int{2}))
	})
	t.Run("two inputs, added", func(t *testing.T) {
		a, b := layers.NewInput(3), layers.NewInput(3)
		shared := &layers.Dense{Units: 2, Activation: activations.Sigmoid}
		sum := layers.Apply(&layers.Add{}, layers.Apply(shared, a), layers.Apply(shared, b))
		m, err := models.NewModel(tensors(a, b), tensors(sum))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "shared/add", m, randomBatch(rng, 3, []int{3}, []int{3}), randomBatch(rng, 3, []int{2}))
	})
	t.Run("applied twice in a row, with a skip", func(t *testing.T) {
		x := layers.NewInput(3)
		shared := &layers.Dense{Units: 3, Activation: activations.Tanh}
		h := layers.Apply(shared, x)
		hh := layers.Apply(shared, h)
		out := layers.Apply(&layers.Dense{Units: 1}, layers.Apply(&layers.Add{}, h, hh))
		m, err := models.NewModel(tensors(x), tensors(out))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "shared/twice", m, randomBatch(rng, 4, []int{3}), randomBatch(rng, 4, []int{1}))
	})
}

// TestNestedModelGradients checks models applied as layers inside another
// model: once, twice (shared) and with two inputs.
func TestNestedModelGradients(t *testing.T) {
	rng := tensor.NewRNG(22)
	newInner := func() *models.Model {
		a := layers.NewInput(4)
		h := layers.Apply(&layers.Dense{Units: 3, Activation: activations.Tanh}, a)
		o := layers.Apply(&layers.Dense{Units: 2, Activation: activations.Tanh}, h)
		m, err := models.NewModel(tensors(a), tensors(o))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Run("once", func(t *testing.T) {
		x := layers.NewInput(4)
		out := layers.Apply(&layers.Dense{Units: 2}, layers.Apply(newInner(), x))
		m, err := models.NewModel(tensors(x), tensors(out))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "nested", m, randomBatch(rng, 4, []int{4}), randomBatch(rng, 4, []int{2}))
	})
	t.Run("shared by two branches", func(t *testing.T) {
		inner := newInner()
		a, b := layers.NewInput(4), layers.NewInput(4)
		d := layers.Apply(&layers.Subtract{}, layers.Apply(inner, a), layers.Apply(inner, b))
		out := layers.Apply(&layers.Dense{Units: 1}, d)
		m, err := models.NewModel(tensors(a, b), tensors(out))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "nested/shared", m, randomBatch(rng, 3, []int{4}, []int{4}), randomBatch(rng, 3, []int{1}))
	})
	t.Run("two inputs", func(t *testing.T) {
		p, q := layers.NewInput(2), layers.NewInput(3)
		cat := layers.Apply(&layers.Concatenate{}, p, layers.Apply(&layers.Dense{Units: 2, Activation: activations.Tanh}, q))
		inner, err := models.NewModel(tensors(p, q), tensors(layers.Apply(&layers.Dense{Units: 2, Activation: activations.Tanh}, cat)))
		if err != nil {
			t.Fatal(err)
		}
		a, b := layers.NewInput(2), layers.NewInput(3)
		y := layers.Apply(inner, a, b)
		out := layers.Apply(&layers.Multiply{}, y, layers.Apply(&layers.Dense{Units: 2}, b))
		m, err := models.NewModel(tensors(a, b), tensors(out))
		if err != nil {
			t.Fatal(err)
		}
		checkGraphGradients(t, "nested/two inputs", m, randomBatch(rng, 4, []int{2}, []int{3}), randomBatch(rng, 4, []int{2}))
	})
}
