package layers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// layerCase is one layer for layerTest, in the spirit of Keras's
// layer_test: a constructor of the configured layer, its input shapes
// (without the batch dimension) and a batch size.
type layerCase struct {
	name   string
	new    func() layers.Layer
	inputs [][]int
	batch  int
	// want, when set, is the output shape Keras gives (without the batch).
	want []int
	// ids, when positive, makes the inputs integer ids in [0, ids) (an
	// Embedding's), whose gradients are not checked.
	ids int
}

// layerTest checks a layer end to end:
//
//   - its output shape: the symbolic one from layers.Apply on NewInput
//     tensors is the layer's OutputShape, and so is the shape a real
//     forward pass computes (and Keras's, when the case gives it);
//   - its config: ConfigOf → JSON → FromConfig gives a layer with the same
//     config, which builds to the same output and weight shapes;
//   - its gradients with respect to its inputs and trainable weights, in
//     inference and training mode (dropout masks fixed by reseeding),
//     against central finite differences of Σ y·R for a fixed random R,
//     accumulated in float64;
//   - that a training step (MSE, SGD) of a model made of the layer
//     allocates nothing once warm;
//   - save and load: the loaded model predicts bit-identically.
func layerTest(t *testing.T, c layerCase) {
	t.Helper()
	t.Run(c.name, func(t *testing.T) {
		l := c.new()
		ins, outs := applyTo(l, c.inputs)
		out := outs[0]
		if err := out.Err(); err != nil {
			t.Fatalf("apply: %v", err)
		}
		class := fmt.Sprintf("layer %q (%s)", l.LayerName(), l.ClassName())
		shapes := layers.OutputShapes(l)
		if len(outs) != len(shapes) {
			t.Fatalf("%s: %d symbolic outputs, OutputShapes has %d", class, len(outs), len(shapes))
		}
		for k, o := range outs {
			if !tensor.EqualShape(o.Shape(), shapes[k]) {
				t.Errorf("%s: symbolic output %d has shape %v, OutputShapes %v", class, k, o.Shape(), shapes[k])
			}
		}
		if c.want != nil && !tensor.EqualShape(out.Shape(), c.want) {
			t.Errorf("%s: output shape %v, Keras gives %v", class, out.Shape(), c.want)
		}
		checkConfigRoundTrip(t, l, c.inputs)

		m, err := models.NewModel(ins, outs)
		if err != nil {
			t.Fatalf("%s: new model: %v", class, err)
		}
		m.Seed = 5
		rng := tensor.NewRNG(11)
		xs := distinctInputs(rng, c.batch, c.inputs)
		if c.ids > 0 {
			for _, x := range xs {
				for j := range x.Data {
					x.Data[j] = float32(rng.Intn(c.ids))
				}
			}
		}
		// PredictOnBatch returns the computed tensor itself (Predict
		// copies it into one of the declared shape).
		preds, err := m.PredictOnBatchMulti(xs)
		if err != nil {
			t.Fatalf("%s: predict: %v", class, err)
		}
		var ys []*tensor.Tensor
		for k, shape := range shapes {
			outShape := append([]int{c.batch}, shape...)
			if !tensor.EqualShape(preds[k].Shape, outShape) {
				t.Fatalf("%s: forward pass gives output %d shape %v, OutputShapes says %v", class, k, preds[k].Shape, outShape)
			}
			ys = append(ys, randn(rng, outShape...))
		}

		for _, training := range []bool{false, true} {
			checkLayerGradients(t, class, l, xs, training, c.ids > 0)
		}

		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.01}); err != nil {
			t.Fatalf("%s: compile: %v", class, err)
		}
		for range 2 { // warm-up
			if _, err := m.TrainOnBatchMulti(xs, ys); err != nil {
				t.Fatalf("%s: train on batch: %v", class, err)
			}
		}
		if a := alloctest.PerRun(10, func() {
			if _, err := m.TrainOnBatchMulti(xs, ys); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: a training step allocates %v times once warm, want 0", class, a)
		}

		checkSaveLoad(t, class, m, xs)
	})
}

// applyTo applies l to new Input tensors of the given shapes and returns
// its outputs (several for a MultiOutput layer); an Input layer is applied
// to nothing and is the model's input itself.
func applyTo(l layers.Layer, shapes [][]int) (ins, outs []*layers.KerasTensor) {
	if _, ok := l.(*layers.Input); ok {
		out := layers.Apply(l)
		return []*layers.KerasTensor{out}, []*layers.KerasTensor{out}
	}
	for _, s := range shapes {
		ins = append(ins, layers.NewInput(s...))
	}
	return ins, layers.ApplyMulti(l, ins...)
}

func checkConfigRoundTrip(t *testing.T, l layers.Layer, shapes [][]int) {
	t.Helper()
	cfg, err := layers.ConfigOf(l)
	if err != nil {
		t.Fatalf("config of %q: %v", l.LayerName(), err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back layers.Config
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	l2, err := layers.FromConfig(back)
	if err != nil {
		t.Fatalf("from config %s: %v", b, err)
	}
	cfg2, err := layers.ConfigOf(l2)
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.ClassName != cfg.ClassName || !bytes.Equal(cfg2.Config, cfg.Config) {
		t.Errorf("config round trip: %s %s came back as %s %s", cfg.ClassName, cfg.Config, cfg2.ClassName, cfg2.Config)
	}
	_, outs2 := applyTo(l2, shapes)
	if err := outs2[0].Err(); err != nil {
		t.Fatalf("layer from config %s: %v", b, err)
	}
	want := layers.OutputShapes(l)
	if len(outs2) != len(want) {
		t.Fatalf("layer from config %s has %d outputs, the original %d", b, len(outs2), len(want))
	}
	for k, o := range outs2 {
		if !tensor.EqualShape(o.Shape(), want[k]) {
			t.Errorf("layer from config %s builds output %d to %v, the original to %v", b, k, o.Shape(), want[k])
		}
	}
	w1, w2 := l.Weights(), l2.Weights()
	if len(w1) != len(w2) {
		t.Fatalf("layer from config %s has %d weights, the original %d", b, len(w2), len(w1))
	}
	for i := range w1 {
		if !tensor.SameShape(w1[i].Var.Value, w2[i].Var.Value) || w1[i].Name != w2[i].Name || w1[i].Trainable != w2[i].Trainable {
			t.Errorf("layer from config %s: weight %d is %s %v, the original's %s %v", b, i,
				w2[i].Name, w2[i].Var.Value.Shape, w1[i].Name, w1[i].Var.Value.Shape)
		}
	}
}

// callLayer runs l forward on xs and returns its outputs.
func callLayer(l layers.Layer, c *layers.CallContext, xs []*autograd.Var) []*autograd.Var {
	if m, ok := l.(layers.MultiInput); ok {
		return []*autograd.Var{m.CallMulti(c, xs)}
	}
	if m, ok := l.(layers.MultiOutput); ok && layers.NumOutputs(l) > 1 {
		ys := make([]*autograd.Var, layers.NumOutputs(l))
		m.CallOutputs(c, xs[0], nil, ys)
		return ys
	}
	return []*autograd.Var{l.Call(c, xs[0])}
}

// gradContext returns a call context whose RNG is reseeded on every call,
// so that dropout draws the same mask in every forward pass.
func gradContext(tp *autograd.Tape, training bool) *layers.CallContext {
	return &layers.CallContext{Tape: tp, Training: training, RNG: tensor.NewRNG(3)}
}

// checkLayerGradients compares the tape's gradients of L = Σ y·R with
// respect to the inputs and the trainable weights with central finite
// differences.
func checkLayerGradients(t *testing.T, class string, l layers.Layer, inputs []*tensor.Tensor, training, ids bool) {
	t.Helper()
	const eps = 1e-2
	xs := make([]*tensor.Tensor, len(inputs))
	vars := make([]*autograd.Var, len(inputs))
	for i, x := range inputs {
		xs[i] = x.Clone()
		vars[i] = autograd.NewParam(xs[i])
	}
	checked := append([]*autograd.Var(nil), vars...)
	if ids { // integer ids have no gradient
		for i := range checked {
			checked[i] = nil
		}
	}
	for _, w := range l.Weights() {
		if w.Var.Grad != nil {
			w.Var.ZeroGrad()
			checked = append(checked, w.Var)
		}
	}
	// L = Σ_k Σ y_k·R_k over the layer's outputs.
	tp := autograd.NewTape()
	ys := callLayer(l, gradContext(tp, training), vars)
	rng := tensor.NewRNG(17)
	rs := make([]*tensor.Tensor, len(ys))
	var total *autograd.Var
	for k, y := range ys {
		rs[k] = randn(rng, y.Value.Shape...)
		term := tp.Sum(tp.Mul(y, tp.Const(rs[k])))
		if total == nil {
			total = term
		} else {
			total = tp.Add(total, term)
		}
	}
	tp.Backward(total)

	loss := func() float64 {
		tp := autograd.NewTape()
		tp.SetNoGrad(true)
		consts := make([]*autograd.Var, len(xs))
		for i, x := range xs {
			consts[i] = autograd.NewConst(x)
		}
		var s float64
		for k, y := range callLayer(l, gradContext(tp, training), consts) {
			for i, v := range y.Value.Data {
				s += float64(v) * float64(rs[k].Data[i])
			}
		}
		return s
	}
	bad := 0
	for vi, v := range checked {
		if v == nil {
			continue
		}
		what := fmt.Sprintf("input %d", vi)
		if vi >= len(vars) {
			what = "weight " + weightName(l, v)
		}
		for j := range v.Value.Data {
			orig := v.Value.Data[j]
			v.Value.Data[j] = orig + eps
			lp := loss()
			v.Value.Data[j] = orig - eps
			lm := loss()
			v.Value.Data[j] = orig
			num := (lp - lm) / (2 * eps)
			if got := float64(v.Grad.Data[j]); math.Abs(got-num) > 3e-3+2e-2*math.Abs(num) {
				if bad++; bad <= 5 {
					t.Errorf("%s (training %v): dL/d %s [%d]: tape %.6g, finite differences %.6g", class, training, what, j, got, num)
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s (training %v): %d gradients wrong in all", class, training, bad)
	}
}

func weightName(l layers.Layer, v *autograd.Var) string {
	for _, w := range l.Weights() {
		if w.Var == v {
			return w.Name
		}
	}
	return "?"
}

func checkSaveLoad(t *testing.T, class string, m *models.Model, xs []*tensor.Tensor) {
	t.Helper()
	want, err := m.PredictMulti(xs)
	if err != nil {
		t.Fatalf("%s: predict: %v", class, err)
	}
	path := filepath.Join(t.TempDir(), "model.nrn")
	if err := m.Save(path); err != nil {
		t.Fatalf("%s: save: %v", class, err)
	}
	back, err := models.Load(path)
	if err != nil {
		t.Fatalf("%s: load: %v", class, err)
	}
	got, err := back.PredictMulti(xs)
	if err != nil {
		t.Fatalf("%s: predict after load: %v", class, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: loaded model has %d outputs, saved one %d", class, len(got), len(want))
	}
	for k := range want {
		if !tensor.SameShape(got[k], want[k]) {
			t.Fatalf("%s: loaded model predicts shape %v, saved one %v", class, got[k].Shape, want[k].Shape)
		}
		for i := range want[k].Data {
			if math.Float32bits(got[k].Data[i]) != math.Float32bits(want[k].Data[i]) {
				t.Fatalf("%s: loaded model predicts %v at %d of output %d, saved one %v", class, got[k].Data[i], i, k, want[k].Data[i])
			}
		}
	}
}

func randn(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	rng.Normal(x, 0, 1)
	return x
}

// distinctInputs returns a batch per input shape whose values, over all
// inputs, are distinct, at least 2.5 finite-difference steps apart and not
// within a step of 0, in random order: no max, min, pooling or ReLU kink is
// straddled by the finite differences, and no tie is broken by them.
func distinctInputs(rng *tensor.RNG, batch int, shapes [][]int) []*tensor.Tensor {
	xs := make([]*tensor.Tensor, len(shapes))
	n := 0
	for i, s := range shapes {
		xs[i] = tensor.New(append([]int{batch}, s...)...)
		n += xs[i].Size()
	}
	step := max(0.025, 4/float64(n))
	perm := make([]int, n)
	rng.Perm(perm)
	k := 0
	for _, x := range xs {
		for j := range x.Data {
			x.Data[j] = float32((float64(perm[k]) - float64(n)/2 + 0.5) * step)
			k++
		}
	}
	return xs
}
