package models_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

type kt = layers.KerasTensor

func ins(ts ...*kt) []*kt { return ts }

func randTensor(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	tensor.NewRNG(seed).Normal(t, 0, 1)
	return t
}

func snapshot(ws []*layers.Weight) [][]float32 {
	out := make([][]float32, len(ws))
	for i, w := range ws {
		out[i] = append([]float32(nil), w.Var.Value.Data...)
	}
	return out
}

func sameBits(a, b [][]float32) bool {
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func mustModel(t testing.TB, in, out []*kt) *models.Model {
	t.Helper()
	m, err := models.NewModel(in, out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ganPair builds a small discriminator and generator and the adversarial
// model over the frozen discriminator, as the book's GAN notebook does.
func ganPair(t *testing.T) (d, g, adv *models.Model) {
	t.Helper()
	dIn := layers.NewInput(4)
	h := layers.Apply(&layers.Dense{Units: 8, Activation: activations.ReLU}, dIn)
	h = layers.Apply(&layers.Dropout{Rate: 0.3}, h)
	d = mustModel(t, ins(dIn), ins(layers.Apply(&layers.Dense{Units: 1, Activation: activations.Sigmoid}, h)))
	d.Seed = 1
	if err := d.Compile(losses.BinaryCrossentropy{}, &optimizers.RMSprop{LR: 0.01, ClipValue: 1}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	gIn := layers.NewInput(2)
	gh := layers.Apply(&layers.Dense{Units: 6}, gIn)
	gh = layers.Apply(&layers.BatchNormalization{Momentum: 0.9}, gh)
	gh = layers.Apply(&layers.Activation{Activation: activations.ReLU}, gh)
	g = mustModel(t, ins(gIn), ins(layers.Apply(&layers.Dense{Units: 4, Activation: activations.Tanh}, gh)))

	d.SetTrainable(false)
	z := layers.NewInput(2)
	adv = mustModel(t, ins(z), ins(layers.Apply(d, layers.Apply(g, z))))
	adv.Seed = 2
	if err := adv.Compile(losses.BinaryCrossentropy{}, &optimizers.RMSprop{LR: 0.01, ClipValue: 1}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return d, g, adv
}

// TestFrozenDiscriminator is the GAN's pattern: the discriminator, compiled
// before it was frozen, still trains through its own TrainOnBatch, while
// the adversarial model compiled after freezing updates only the
// generator.
func TestFrozenDiscriminator(t *testing.T) {
	d, g, adv := ganPair(t)
	noise := randTensor(3, 16, 2)
	ones := tensor.New(16, 1)
	ones.Fill(1)
	dBefore, gBefore := snapshot(d.Weights()), snapshot(g.Weights())
	res, err := adv.TrainOnBatch(noise, ones)
	if err != nil {
		t.Fatal(err)
	}
	if names := adv.MetricNames(); len(res) != len(names) || names[1] != "acc" && names[1] != "accuracy" {
		t.Errorf("TrainOnBatch gave %v for %v", res, names)
	}
	if !sameBits(dBefore, snapshot(d.Weights())) {
		t.Error("the adversarial step changed the frozen discriminator's weights")
	}
	if sameBits(gBefore, snapshot(g.Weights())) {
		t.Error("the adversarial step left the generator's weights unchanged")
	}
	real := randTensor(4, 16, 4)
	if _, err := d.TrainOnBatch(real, ones); err != nil {
		t.Fatal(err)
	}
	if sameBits(dBefore, snapshot(d.Weights())) {
		t.Error("the discriminator's own step left its weights unchanged")
	}
	total, trainable := adv.CountParams()
	_, gTrain := g.CountParams()
	dTotal, _ := d.CountParams()
	gTotal, _ := g.CountParams()
	if total != dTotal+gTotal || trainable != gTrain {
		t.Errorf("adversarial params %d (%d trainable), want %d (%d)", total, trainable, dTotal+gTotal, gTrain)
	}
}

func TestBranchesSharedLayerAndNestedModelSaveLoad(t *testing.T) {
	inner := layers.NewInput(8)
	nested := mustModel(t, ins(inner), ins(layers.Apply(&layers.Dense{Units: 3, Activation: activations.Softmax}, inner)))
	in := layers.NewInput(5)
	shared := &layers.Dense{Units: 5, Activation: activations.Tanh}
	h := layers.Apply(shared, in)
	h = layers.Apply(&layers.BatchNormalization{}, h)
	h = layers.Apply(shared, h) // the same weights again
	branch := layers.Apply(&layers.Dense{Units: 3, Activation: activations.ReLU}, in)
	out := layers.Apply(nested, layers.Apply(&layers.Concatenate{}, h, branch))
	m := mustModel(t, ins(in), ins(out))
	m.Seed = 7
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, &metrics.CategoricalAccuracy{Label: "my_acc"}); err != nil {
		t.Fatal(err)
	}
	x := randTensor(5, 40, 5)
	y := tensor.New(40, 3)
	for i := range 40 {
		y.Data[i*3+i%3] = 1
	}
	if _, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 8, Epochs: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if n := len(shared.Nodes()); n != 2 {
		t.Errorf("the shared layer has %d nodes, want 2", n)
	}
	path := filepath.Join(t.TempDir(), "m.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := back.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1.Data {
		if p1.Data[i] != p2.Data[i] {
			t.Fatalf("prediction %d: %v before saving, %v after loading", i, p1.Data[i], p2.Data[i])
		}
	}
	if got := strings.Join(back.MetricNames(), ","); got != "loss,my_acc" {
		t.Errorf("loaded metrics %q, want loss,my_acc", got)
	}
	// The loaded model shares its Dense the same way: one layer, two nodes.
	l, err := back.Layer(shared.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.(interface{ Nodes() []*layers.Node }).Nodes()); n != 2 {
		t.Errorf("the loaded shared layer has %d nodes, want 2", n)
	}
	// Training continues identically from the file.
	h1, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 8, Epochs: 3, InitialEpoch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	h2, err := back.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 8, Epochs: 3, InitialEpoch: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := h1.Values["loss"][0], h2.Values["loss"][0]; a != b {
		t.Errorf("resumed loss %v, original %v", b, a)
	}
}

func TestRebuildKeepsWeights(t *testing.T) {
	d := &layers.Dense{Units: 3}
	layers.Apply(d, layers.NewInput(4))
	layers.Initialize(d, tensor.NewRNG(1))
	w := d.Weights()[0]
	before := append([]float32(nil), w.Var.Value.Data...)
	if y := layers.Apply(d, layers.NewInput(4)); y.Err() != nil {
		t.Fatal(y.Err())
	}
	if d.Weights()[0] != w {
		t.Fatal("building again replaced the kernel")
	}
	for i, v := range w.Var.Value.Data {
		if v != before[i] {
			t.Fatal("building again changed the kernel")
		}
	}
	if y := layers.Apply(d, layers.NewInput(5)); y.Err() == nil || !strings.Contains(y.Err().Error(), d.Name) {
		t.Errorf("another input shape: err = %v, want an error naming %q", y.Err(), d.Name)
	}

	// A Sequential that gets a layer after it was built keeps its weights.
	first := &layers.Dense{Units: 3, InputDim: 4}
	s := models.NewSequential(first)
	if err := s.Build(); err != nil {
		t.Fatal(err)
	}
	k := append([]float32(nil), first.Weights()[0].Var.Value.Data...)
	s.Add(&layers.Dense{Units: 2})
	if err := s.Build(); err != nil {
		t.Fatal(err)
	}
	for i, v := range first.Weights()[0].Var.Value.Data {
		if v != k[i] {
			t.Fatal("Add after Build re-initialized the first layer")
		}
	}
	if got := s.OutputShape(); len(got) != 1 || got[0] != 2 {
		t.Errorf("output shape %v after Add", got)
	}
}

// TestAdamMomentsFollowTheirVariables freezes one layer and unfreezes
// another of the same shape: each variable's moments stay its own.
func TestAdamMomentsFollowTheirVariables(t *testing.T) {
	in := layers.NewInput(4)
	a := &layers.Dense{Units: 4, NoBias: true}
	b := &layers.Dense{Units: 4, NoBias: true}
	m := mustModel(t, ins(in), ins(layers.Apply(b, layers.Apply(a, in))))
	b.SetTrainable(false)
	opt := &optimizers.Adam{}
	if err := m.Compile(losses.MeanSquaredError{}, opt); err != nil {
		t.Fatal(err)
	}
	x, y := randTensor(1, 8, 4), randTensor(2, 8, 4)
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	av, bv := a.Weights()[0].Var, b.Weights()[0].Var
	aMoments := snapshotTensors(opt.Slots(av))
	if len(aMoments) != 2 || isZero(aMoments[0]) {
		t.Fatalf("a's Adam moments after a step: %v", aMoments)
	}
	// Swap: freeze a, unfreeze b, compile again with the same optimizer.
	a.SetTrainable(false)
	b.SetTrainable(true)
	if err := m.Compile(losses.MeanSquaredError{}, opt); err != nil {
		t.Fatal(err)
	}
	if s := opt.Slots(bv); len(s) != 2 || !isZero(s[0].Data) || !isZero(s[1].Data) {
		t.Errorf("b starts with moments %v, want zeros", s)
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	now := snapshotTensors(opt.Slots(av))
	for i := range now {
		for j := range now[i] {
			if now[i][j] != aMoments[i][j] {
				t.Fatalf("a's moment %d changed while a was frozen", i)
			}
		}
	}
	if isZero(opt.Slots(bv)[0].Data) {
		t.Error("b's moments did not move after its step")
	}
}

func snapshotTensors(ts []*tensor.Tensor) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		out[i] = append([]float32(nil), t.Data...)
	}
	return out
}

func isZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func TestBadGraphs(t *testing.T) {
	layers.ResetNames()
	a, b := layers.NewInput(3), layers.NewInput(3)
	ha := layers.Apply(&layers.Dense{Units: 2}, a)
	hb := layers.Apply(&layers.Dense{Units: 2, Base: layers.Base{Name: "uses_b"}}, b)
	dup1 := layers.Apply(&layers.Dense{Units: 2, Base: layers.Base{Name: "twin"}}, a)
	dup2 := layers.Apply(&layers.Dense{Units: 2, Base: layers.Base{Name: "twin"}}, dup1)
	wrong := layers.Apply(&layers.Dense{Units: 2, InputDim: 5, Base: layers.Base{Name: "wants_five"}}, a)
	misfit := layers.Apply(layers.Named("misfit", &layers.Add{}), ha, layers.Apply(&layers.Dense{Units: 3}, a))
	cases := []struct {
		name    string
		in, out []*kt
		want    string
	}{
		{"output not reachable from the inputs", ins(a), ins(hb), `graph disconnected: the output depends on input "input_2"`},
		{"unused input", ins(a, b), ins(ha), `input "input_2" is not used`},
		{"two layers with one name", ins(a), ins(dup2), `two layers are named "twin"`},
		{"declared shape", ins(a), ins(wrong), `layer "wants_five" (Dense) declares input shape (None, 5) but receives (None, 3)`},
		{"input is not an Input", ins(ha), ins(ha), `must come from Input layers`},
		{"merge of incompatible shapes", ins(a), ins(misfit), `layer "misfit" (Add)`},
	}
	for _, c := range cases {
		_, err := models.NewModel(c.in, c.out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}

	// A cycle can only be written in a config: layer x takes y's output
	// and y takes x's.
	cycle := `{"class_name":"Model","config":{"name":"m","seed":0,"layers":[
	 {"class_name":"InputLayer","config":{"shape":[2],"name":"in"},"name":"in"},
	 {"class_name":"Dense","config":{"units":2,"name":"x"},"name":"x","inbound_nodes":[[["y",0,0]]]},
	 {"class_name":"Dense","config":{"units":2,"name":"y"},"name":"y","inbound_nodes":[[["x",0,0]]]}],
	 "input_layers":[["in",0,0]],"output_layers":[["y",0,0]]}}`
	if _, err := models.ModelFromConfig([]byte(cycle)); err == nil || !strings.Contains(err.Error(), "never computed") {
		t.Errorf("cycle: err = %v", err)
	}

	// The wrong number of arrays for Fit.
	in1, in2 := layers.NewInput(3), layers.NewInput(2)
	m := mustModel(t, ins(in1, in2), ins(layers.Apply(&layers.Dense{Units: 1}, in1), layers.Apply(&layers.Dense{Units: 1}, in2)))
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	_, err := m.FitMulti(context.Background(), []*tensor.Tensor{tensor.New(4, 3)}, []*tensor.Tensor{tensor.New(4, 1), tensor.New(4, 1)}, models.FitConfig{BatchSize: 2, Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), "got 1 input arrays, the model has 2 inputs (input_3, input_4)") {
		t.Errorf("one array for two inputs: err = %v", err)
	}
	_, err = m.FitMulti(context.Background(), []*tensor.Tensor{tensor.New(4, 3), tensor.New(4, 2)}, []*tensor.Tensor{tensor.New(4, 1)}, models.FitConfig{BatchSize: 2, Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), "got 1 target arrays, the model has 2 outputs") {
		t.Errorf("one target for two outputs: err = %v", err)
	}
}

// TestTwoOutputs trains a model with two inputs and two outputs, with a
// loss per output and loss weights, and checks Keras's log names and
// that the total loss is the weighted sum.
func TestTwoOutputs(t *testing.T) {
	layers.ResetNames()
	a, b := layers.NewInput(3), layers.NewInput(2)
	shared := &layers.Dense{Units: 4, Activation: activations.ReLU}
	left := layers.Apply(layers.Named("left", &layers.Dense{Units: 1}), layers.Apply(shared, a))
	right := layers.Apply(layers.Named("right", &layers.Dense{Units: 2, Activation: activations.Softmax}), layers.Apply(&layers.Dense{Units: 4}, b))
	m := mustModel(t, ins(a, b), ins(left, right))
	err := m.CompileWith(models.CompileConfig{
		Losses:      []losses.Loss{losses.MeanSquaredError{}, losses.CategoricalCrossentropy{}},
		LossWeights: []float32{0.5, 2},
		Optimizer:   &optimizers.Adam{},
		Metrics:     []metrics.Metric{metrics.MAE()},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "loss,left_loss,right_loss,left_mae,right_mae"
	if got := strings.Join(m.MetricNames(), ","); got != want {
		t.Errorf("metric names %s, want %s", got, want)
	}
	xa, xb := randTensor(1, 20, 3), randTensor(2, 20, 2)
	ya := randTensor(3, 20, 1)
	yb := tensor.New(20, 2)
	for i := range 20 {
		yb.Data[2*i+i%2] = 1
	}
	h, err := m.FitMulti(context.Background(), []*tensor.Tensor{xa, xb}, []*tensor.Tensor{ya, yb},
		models.FitConfig{BatchSize: 5, Epochs: 2, ValidationXs: []*tensor.Tensor{xa, xb}, ValidationYs: []*tensor.Tensor{ya, yb}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "left_loss", "right_mae", "val_loss", "val_right_loss"} {
		if len(h.Values[k]) != 2 {
			t.Errorf("history %q = %v", k, h.Values[k])
		}
	}
	res, err := m.EvaluateMulti([]*tensor.Tensor{xa, xb}, []*tensor.Tensor{ya, yb}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if d := res[0] - (0.5*res[1] + 2*res[2]); d > 1e-5 || d < -1e-5 {
		t.Errorf("total loss %v is not 0.5·%v + 2·%v", res[0], res[1], res[2])
	}
	if v := h.Values["val_loss"][1]; v != res[0] && (v-res[0] > 1e-4*v || res[0]-v > 1e-4*v) {
		t.Errorf("val_loss %v, Evaluate %v", v, res[0])
	}
	outs, err := m.PredictMulti([]*tensor.Tensor{xa, xb})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].Shape[1] != 1 || outs[1].Shape[1] != 2 {
		t.Errorf("predictions %v", outs)
	}
}

func TestFunctionalStepAllocatesNothing(t *testing.T) {
	inner := layers.NewInput(6)
	nested := mustModel(t, ins(inner), ins(layers.Apply(&layers.Dense{Units: 6, Activation: activations.ReLU}, inner)))
	in := layers.NewInput(6)
	shared := &layers.Dense{Units: 6, Activation: activations.Tanh}
	h := layers.Apply(shared, layers.Apply(nested, layers.Apply(shared, in)))
	m := mustModel(t, ins(in), ins(layers.Apply(&layers.Dense{Units: 2, Activation: activations.Softmax}, h)))
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	x := randTensor(1, 16, 6)
	y := tensor.New(16, 2)
	for i := range 16 {
		y.Data[2*i+i%2] = 1
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if a := alloctest.PerRun(50, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("a functional training step allocates %v times, want 0", a)
	}
}

// TestFitReturnsCallbackErrors: a failed checkpoint write and a bad
// monitor mode stop Fit with their error instead of being dropped.
func TestFitReturnsCallbackErrors(t *testing.T) {
	x, y := randTensor(1, 16, 3), randTensor(2, 16, 1)
	for _, c := range []struct {
		cb   callbacks.Callback
		want string
	}{
		{&callbacks.ModelCheckpoint{Filepath: filepath.Join(t.TempDir(), "missing", "dir", "m.nrn")}, "missing"},
		{&callbacks.EarlyStopping{Mode: "sideways"}, "sideways"},
	} {
		m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 3})
		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
			t.Fatal(err)
		}
		h, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 4, Epochs: 3, Callbacks: []callbacks.Callback{c.cb}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%T: err = %v, want one mentioning %q", c.cb, err, c.want)
		}
		if h != nil && len(h.Epoch) > 1 {
			t.Errorf("%T: training went on for %d epochs after the error", c.cb, len(h.Epoch))
		}
	}
}

// TestSetLearningRateZero: a learning rate set to 0 is 0, not the default.
func TestSetLearningRateZero(t *testing.T) {
	m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 3})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	m.SetLearningRate(0)
	if lr := m.LearningRate(); lr != 0 {
		t.Fatalf("learning rate %v after SetLearningRate(0)", lr)
	}
	before := snapshot(m.Weights())
	if _, err := m.TrainOnBatch(randTensor(1, 4, 3), randTensor(2, 4, 1)); err != nil {
		t.Fatal(err)
	}
	if !sameBits(before, snapshot(m.Weights())) {
		t.Error("a step at learning rate 0 changed the weights")
	}
}

// TestSaveMoreThan2To24Rows: the sample order of a model trained on more
// than 2^24 rows is saved exactly (as float32 it could not be), and
// training resumes from the file as it goes on in memory.
func TestSaveMoreThan2To24Rows(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 16M rows")
	}
	n := 1<<24 + 3
	x, y := tensor.New(n, 1), tensor.New(n, 1)
	for i := range x.Data {
		x.Data[i] = float32(i%1000) / 1000
		y.Data[i] = 2*x.Data[i] + float32(i%7)/7
	}
	m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 1})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	cfg := models.FitConfig{BatchSize: 1 << 21, Epochs: 1, Seed: 3}
	if _, err := m.Fit(context.Background(), x, y, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Epochs, cfg.InitialEpoch = 2, 1
	h1, err := m.Fit(context.Background(), x, y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := back.Fit(context.Background(), x, y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := h1.Values["loss"][0], h2.Values["loss"][0]; a != b {
		t.Errorf("epoch 2 from the file: loss %v, in memory %v", b, a)
	}
}
