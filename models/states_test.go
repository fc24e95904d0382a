package models_test

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// stateModel is Keras's
//
//	out, h, c = LSTM(4, return_state=True)(Input((5, 3)))
//	y = Dense(1)(Concatenate()([h, c]))
//
// with the LSTM's three outputs as further outputs when all is set.
func stateModel(t *testing.T, all bool) *models.Model {
	t.Helper()
	in := layers.NewInput(5, 3)
	ys := layers.ApplyMulti(&layers.LSTM{Units: 4, ReturnState: true}, in)
	if len(ys) != 3 {
		t.Fatalf("LSTM with return_state gives %d tensors, want 3", len(ys))
	}
	y := layers.Apply(&layers.Dense{Units: 1}, layers.Apply(&layers.Concatenate{}, ys[1], ys[2]))
	outs := ins(y)
	if all {
		outs = append(outs, ys...)
	}
	m := mustModel(t, ins(in), outs)
	m.Seed = 5
	return m
}

// TestReturnStateOutputs: the LSTM's h is its (last) output, as in Keras,
// c is the cell state (another tensor), and the states flow into the
// rest of the graph.
func TestReturnStateOutputs(t *testing.T) {
	m := stateModel(t, true)
	x := randTensor(3, 6, 5, 3)
	outs, err := m.PredictMulti([]*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 4 {
		t.Fatalf("%d outputs, want 4", len(outs))
	}
	out, h, c := outs[1], outs[2], outs[3]
	for i, v := range out.Data {
		if h.Data[i] != v {
			t.Fatalf("h[%d] = %v, the output %v: without return_sequences they are the same tensor's values", i, h.Data[i], v)
		}
	}
	differ := false
	for i, v := range c.Data {
		differ = differ || v != h.Data[i]
	}
	if !differ {
		t.Error("c equals h")
	}
	// y = Dense([h, c]) by hand from the Dense's weights.
	d, err := m.Layer("dense_1")
	if err != nil {
		d = m.Layers()[len(m.Layers())-1]
	}
	w := d.Weights()
	for n := 0; n < 6; n++ {
		s := float64(w[1].Var.Value.Data[0])
		for j := 0; j < 4; j++ {
			s += float64(h.Data[n*4+j])*float64(w[0].Var.Value.Data[j]) + float64(c.Data[n*4+j])*float64(w[0].Var.Value.Data[4+j])
		}
		if got := float64(outs[0].Data[n]); math.Abs(got-s) > 1e-5 {
			t.Errorf("sample %d: y %v, Dense([h, c]) %v", n, got, s)
		}
	}
}

// TestReturnStateTrainsAndAllocatesNothing: a graph that reads h and c
// trains (its loss falls), and a training step allocates nothing once
// warm.
func TestReturnStateTrainsAndAllocatesNothing(t *testing.T) {
	m := stateModel(t, false)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{LR: 0.01}); err != nil {
		t.Fatal(err)
	}
	x := randTensor(1, 16, 5, 3)
	y := tensor.New(16, 1)
	for i := range 16 {
		s := float32(0)
		for j := 0; j < 15; j++ {
			s += x.Data[i*15+j]
		}
		y.Data[i] = s / 15
	}
	res, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	first := res[0] // res is the model's buffer, reused by the next call
	var last []float64
	for range 200 {
		if last, err = m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}
	if !(last[0] < first/4) {
		t.Errorf("loss %v after 200 steps, from %v: the states do not train", last[0], first)
	}
	if a := alloctest.PerRun(20, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("a training step through return_state allocates %v times, want 0", a)
	}
}

// TestReturnStateSummarySaveLoad: Keras's summary prints a layer's several
// output shapes as a list and the states' connections as lstm_1[0][1];
// the model saves and loads with its states.
func TestReturnStateSummarySaveLoad(t *testing.T) {
	layers.ResetNames()
	m := stateModel(t, false)
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		// Keras's print_row cuts the list at its column.
		"lstm_1 (LSTM)                   [(None, 4), (None, 4 128         input_1[0][0]",
		"concatenate_1 (Concatenate)     (None, 8)            0           lstm_1[0][1]",
		"                                                                 lstm_1[0][2]",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	x := randTensor(4, 3, 5, 3)
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want.Data {
		if got.Data[i] != v {
			t.Fatalf("loaded model predicts %v, saved %v", got.Data[i], v)
		}
	}
	var b2 bytes.Buffer
	if err := l.Summary(&b2); err != nil {
		t.Fatal(err)
	}
	if b2.String() != s {
		t.Errorf("loaded summary:\n%s\nsaved:\n%s", b2.String(), s)
	}
}

// TestMultiOutputErrors: Apply and Sequential refuse a layer with several
// outputs, each saying what to do; the ONNX export takes it, naming its
// tensors NAME, NAME:1, NAME:2 (bench/onnx's recurrent_states case runs
// them in ONNX Runtime).
func TestMultiOutputErrors(t *testing.T) {
	in := layers.NewInput(5, 3)
	y := layers.Apply(&layers.GRU{Units: 2, ReturnState: true, Base: layers.Base{Name: "gru_s"}}, in)
	if err := y.Err(); err == nil || !strings.Contains(err.Error(), `layer "gru_s" (GRU) returns 2 tensors (return_state): apply it with layers.ApplyMulti`) {
		t.Errorf("Apply: %v", err)
	}
	bi := layers.ApplyMulti(&layers.Bidirectional{Layer: &layers.LSTM{Units: 2}, MergeMode: layers.MergeNone}, in)
	if len(bi) != 2 || bi[0].Err() != nil || !tensor.EqualShape(bi[1].Shape(), []int{2}) {
		t.Errorf("Bidirectional merge_mode none: %d tensors, %v", len(bi), bi[0].Err())
	}
	seq := models.NewSequential(&layers.LSTM{Units: 2, ReturnState: true, Base: layers.Base{InputShape: []int{5, 3}}})
	if err := seq.Build(); err == nil || !strings.Contains(err.Error(), "returns 3 tensors") || !strings.Contains(err.Error(), "use the functional API") {
		t.Errorf("Sequential: %v", err)
	}
	var b bytes.Buffer
	all := stateModel(t, true)
	if err := all.ExportONNX(&b, models.ONNXOptions{}); err != nil {
		t.Errorf("ONNX export: %v", err)
	}
	for _, name := range []string{"lstm_", ":1", ":2"} {
		if !bytes.Contains(b.Bytes(), []byte(name)) {
			t.Errorf("the ONNX file names no output %q", name)
		}
	}
}

// TestMergeNoneMasked: with an Embedding's mask, a Bidirectional with
// merge_mode none passes the mask to both of its sequences (the global
// pooling after each skips the padding), not to its states; so a
// sequence padded at the front predicts what the unpadded one does in a
// model of its length with the same weights.
func TestMergeNoneMasked(t *testing.T) {
	build := func(steps int) *models.Model {
		in := layers.NewInput(steps)
		e := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, in)
		ys := layers.ApplyMulti(&layers.Bidirectional{Layer: &layers.GRU{Units: 2, ReturnSequences: true, ReturnState: true}, MergeMode: layers.MergeNone}, e)
		if len(ys) != 4 {
			t.Fatalf("%d tensors, want 4", len(ys))
		}
		pf := layers.Apply(&layers.GlobalAveragePooling1D{}, ys[0])
		pb := layers.Apply(&layers.GlobalAveragePooling1D{}, ys[1])
		y := layers.Apply(&layers.Dense{Units: 1, Activation: activations.Sigmoid}, layers.Apply(&layers.Concatenate{}, pf, pb, ys[2], ys[3]))
		m := mustModel(t, ins(in), ins(y))
		m.Seed = 3
		return m
	}
	long, short := build(6), build(3)
	ws, err := long.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if err := short.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	xl := tensor.FromSlice([]float32{0, 0, 0, 4, 7, 2, 0, 0, 0, 9, 1, 1}, 2, 6)
	xs := tensor.FromSlice([]float32{4, 7, 2, 9, 1, 1}, 2, 3)
	pl, err := long.Predict(xl)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := short.Predict(xs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps.Data {
		if math.Abs(float64(pl.Data[i]-ps.Data[i])) > 1e-6 {
			t.Errorf("sample %d: padded %v, unpadded %v", i, pl.Data[i], ps.Data[i])
		}
	}
}

// TestMergeMasks: merge layers combine their inputs' masks as Keras 2.2
// does, the AND for Add and for Concatenate along the features, the masks
// joined for Concatenate along the steps, so that the LSTM after them
// skips exactly the steps padded in any input: each padded model
// predicts what the unpadded one does. Each sample is padded at steps the
// other input's mask keeps, so neither mask alone would do.
func TestMergeMasks(t *testing.T) {
	type pair struct {
		x1, x2 []float32
		s1, s2 int
	}
	for _, c := range []struct {
		name        string
		merge       func() layers.Layer
		long, short pair
		batch       int
	}{
		{"add", func() layers.Layer { return &layers.Add{} },
			pair{[]float32{0, 0, 3, 4, 0, 9, 3, 4}, []float32{0, 5, 6, 7, 0, 0, 6, 7}, 4, 4},
			pair{[]float32{3, 4, 3, 4}, []float32{6, 7, 6, 7}, 2, 2}, 2},
		{"concatenate features", func() layers.Layer { return &layers.Concatenate{} },
			pair{[]float32{0, 0, 3, 4, 0, 9, 3, 4}, []float32{0, 5, 6, 7, 0, 0, 6, 7}, 4, 4},
			pair{[]float32{3, 4, 3, 4}, []float32{6, 7, 6, 7}, 2, 2}, 2},
		{"concatenate steps", func() layers.Layer { return &layers.Concatenate{Axis: 1} },
			pair{[]float32{0, 3, 0, 8}, []float32{0, 0, 4, 0, 0, 2}, 2, 3},
			pair{[]float32{3, 8}, []float32{4, 2}, 1, 1}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			build := func(p pair) *models.Model {
				a, b := layers.NewInput(p.s1), layers.NewInput(p.s2)
				ea := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, a)
				eb := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, b)
				h := layers.Apply(&layers.LSTM{Units: 2}, layers.Apply(c.merge(), ea, eb))
				m := mustModel(t, ins(a, b), ins(layers.Apply(&layers.Dense{Units: 1}, h)))
				m.Seed = 4
				return m
			}
			long, short := build(c.long), build(c.short)
			ws, err := long.GetWeights()
			if err != nil {
				t.Fatal(err)
			}
			if err := short.SetWeights(ws); err != nil {
				t.Fatal(err)
			}
			predict := func(m *models.Model, p pair) *tensor.Tensor {
				y, err := m.PredictMulti([]*tensor.Tensor{tensor.FromSlice(p.x1, c.batch, p.s1), tensor.FromSlice(p.x2, c.batch, p.s2)})
				if err != nil {
					t.Fatal(err)
				}
				return y[0]
			}
			pl, ps := predict(long, c.long), predict(short, c.short)
			for i := range ps.Data {
				if math.Abs(float64(pl.Data[i]-ps.Data[i])) > 1e-6 {
					t.Errorf("sample %d: padded %v, unpadded %v", i, pl.Data[i], ps.Data[i])
				}
			}
			// The merged masks reuse their buffers: a warm training step
			// allocates nothing.
			if err := long.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.01}); err != nil {
				t.Fatal(err)
			}
			xs := []*tensor.Tensor{tensor.FromSlice(c.long.x1, c.batch, c.long.s1), tensor.FromSlice(c.long.x2, c.batch, c.long.s2)}
			ys := []*tensor.Tensor{tensor.New(c.batch, 1)}
			for range 2 {
				if _, err := long.TrainOnBatchMulti(xs, ys); err != nil {
					t.Fatal(err)
				}
			}
			if a := alloctest.PerRun(10, func() {
				if _, err := long.TrainOnBatchMulti(xs, ys); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("a training step through merged masks allocates %v times, want 0", a)
			}
		})
	}
	// Dot takes masked inputs and gives no mask, as Keras's.
	a, b := layers.NewInput(4), layers.NewInput(4)
	ea := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, a)
	eb := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, b)
	d := layers.Apply(&layers.Dot{Axes: layers.DotAxes{2, 2}}, ea, eb)
	if _, err := models.NewModel(ins(a, b), ins(layers.Apply(&layers.Flatten{}, d))); err != nil {
		t.Errorf("Dot of masked inputs: %v", err)
	}
}

// TestNestedModelMaskRefused: a nested model given a masked input is an
// error that says so.
func TestNestedModelMaskRefused(t *testing.T) {
	ii := layers.NewInput(4, 3)
	inner := mustModel(t, ins(ii), ins(layers.Apply(&layers.LSTM{Units: 2}, ii)))
	in := layers.NewInput(4)
	e := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, in)
	_, err := models.NewModel(ins(in), ins(layers.Apply(inner, e)))
	if err == nil || !strings.Contains(err.Error(), "receives a masked input (from an Embedding with mask_zero): masks do not pass into nested models") {
		t.Errorf("nested model with a mask: %v", err)
	}
}

// TestMaskedOutputRefusedInTraining: an output that carries a mask would
// have its padded steps left out of Keras's loss; neurona refuses to
// train it rather than train something else, and still predicts.
func TestMaskedOutputRefusedInTraining(t *testing.T) {
	in := layers.NewInput(4)
	e := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, in)
	y := layers.Apply(&layers.TimeDistributed{Layer: &layers.Dense{Units: 1}}, layers.Apply(&layers.LSTM{Units: 2, ReturnSequences: true}, e))
	m := mustModel(t, ins(in), ins(y))
	err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{})
	if err == nil || !strings.Contains(err.Error(), "carries Keras's sequence mask") {
		t.Errorf("compile: %v", err)
	}
	if _, err := m.Predict(tensor.FromSlice([]float32{0, 1, 2, 3}, 1, 4)); err != nil {
		t.Errorf("predict: %v", err)
	}
}

// TestDenseBatchNormPassMasks: Dense and BatchNormalization pass the mask
// on, as Keras 2.2's do, so the LSTM after them skips the padding.
func TestDenseBatchNormPassMasks(t *testing.T) {
	build := func(steps int) *models.Model {
		in := layers.NewInput(steps)
		h := layers.Apply(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true}, in)
		h = layers.Apply(&layers.Dense{Units: 4, Activation: activations.Tanh}, h)
		h = layers.Apply(&layers.BatchNormalization{}, h)
		m := mustModel(t, ins(in), ins(layers.Apply(&layers.GRU{Units: 2}, h)))
		m.Seed = 2
		return m
	}
	long, short := build(5), build(2)
	ws, err := long.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if err := short.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	pl, err := long.Predict(tensor.FromSlice([]float32{0, 0, 0, 3, 5, 0, 0, 0, 7, 1}, 2, 5))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := short.Predict(tensor.FromSlice([]float32{3, 5, 7, 1}, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	for i := range ps.Data {
		if math.Abs(float64(pl.Data[i]-ps.Data[i])) > 1e-6 {
			t.Errorf("value %d: padded %v, unpadded %v", i, pl.Data[i], ps.Data[i])
		}
	}
}
