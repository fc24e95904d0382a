package models_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

const kerasDir = "testdata/keras"

// kerasExpected is what make_fixtures.py computed with numpy.
type kerasExpected struct {
	Layers []struct {
		Name    string `json:"name"`
		Weights []struct {
			Name   string    `json:"name"`
			Shape  []int     `json:"shape"`
			Values []float64 `json:"values"`
		} `json:"weights"`
	} `json:"layers"`
	Input      []float64 `json:"input"`
	InputShape []int     `json:"input_shape"`
	Output     []float64 `json:"output"`
}

func readExpected(t *testing.T, name string) kerasExpected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(kerasDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var e kerasExpected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkPredict runs the model on the fixture's input and compares with
// numpy's output.
func checkPredict(t *testing.T, m *models.Model, e kerasExpected, sample []int) {
	t.Helper()
	n := len(e.Input)
	for _, d := range sample {
		n /= d
	}
	x := tensor.New(append([]int{n}, sample...)...)
	for i, v := range e.Input {
		x.Data[i] = float32(v)
	}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(y.Data) != len(e.Output) {
		t.Fatalf("%d outputs, numpy %d", len(y.Data), len(e.Output))
	}
	for i, v := range e.Output {
		if math.Abs(float64(y.Data[i])-v) > 1e-5 {
			t.Errorf("output[%d] = %v, numpy %v", i, y.Data[i], v)
		}
	}
}

func kerasDenseModel(units int) *models.Sequential {
	return models.NewSequential(
		layers.Named("dense_1", &layers.Dense{Units: 3, Activation: activations.ReLU, InputDim: 4}),
		layers.Named("batch_normalization_1", &layers.BatchNormalization{}),
		layers.Named("dropout_1", &layers.Dropout{Rate: 0.5}),
		layers.Named("dense_2", &layers.Dense{Units: units, Activation: activations.Softmax}),
	)
}

// TestLoadKerasWeightsDense loads Keras 2's save_weights layout into a
// model of the same architecture: every weight equals h5py's, in Keras's
// order, and the predictions are numpy's.
func TestLoadKerasWeightsDense(t *testing.T) {
	m := kerasDenseModel(2)
	if err := m.LoadKerasWeights(filepath.Join(kerasDir, "keras2_dense.h5")); err != nil {
		t.Fatal(err)
	}
	e := readExpected(t, "keras2_dense.h5")
	checkWeights(t, m.Model, e)
	checkPredict(t, m.Model, e, []int{4})
}

func checkWeights(t *testing.T, m *models.Model, e kerasExpected) {
	t.Helper()
	n := 0
	for _, l := range e.Layers {
		if len(l.Weights) == 0 {
			continue
		}
		ml, err := m.Layer(l.Name)
		if err != nil {
			t.Fatal(err)
		}
		ws := ml.Weights()
		for i, w := range l.Weights {
			for j, v := range w.Values {
				if ws[i].Var.Value.Data[j] != float32(v) {
					t.Fatalf("layer %s weight %s[%d] = %v, the file's %v", l.Name, w.Name, j, ws[i].Var.Value.Data[j], v)
				}
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no weights compared")
	}
}

// TestLoadKerasWeightsConv checks Keras's kernel layout (kh, kw, in, out)
// through a convolution, a pooling and a flatten.
func TestLoadKerasWeightsConv(t *testing.T) {
	m := models.NewSequential(
		layers.Named("conv2d_1", &layers.Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Padding: layers.Same,
			Activation: activations.ReLU, Base: layers.Base{InputShape: []int{6, 6, 1}}}),
		layers.Named("max_pooling2d_1", &layers.MaxPooling2D{}),
		layers.Named("flatten_1", &layers.Flatten{}),
		layers.Named("dense_1", &layers.Dense{Units: 3, Activation: activations.Softmax}),
	)
	if err := m.LoadKerasWeights(filepath.Join(kerasDir, "keras2_conv.h5")); err != nil {
		t.Fatal(err)
	}
	e := readExpected(t, "keras2_conv.h5")
	checkWeights(t, m.Model, e)
	checkPredict(t, m.Model, e, []int{6, 6, 1})
}

func TestLoadKerasWeightsErrors(t *testing.T) {
	file := filepath.Join(kerasDir, "keras2_dense.h5")
	cases := map[string]struct {
		m    *models.Sequential
		want []string
	}{
		"shape": {kerasDenseModel(5), []string{`layer "dense_2"`, `"dense_2/kernel:0"`, "(3, 2) in the file", "(3, 5)"}},
		"missing": {models.NewSequential(
			layers.Named("dense_1", &layers.Dense{Units: 3, InputDim: 4}),
			layers.Named("batch_normalization_1", &layers.BatchNormalization{}),
			layers.Named("dense_2", &layers.Dense{Units: 2}),
			layers.Named("dense_3", &layers.Dense{Units: 2}),
		), []string{`model's layer "dense_3" (Dense)`, "no layer of that name"}},
		"extra": {models.NewSequential(
			layers.Named("dense_1", &layers.Dense{Units: 3, InputDim: 4}),
			layers.Named("batch_normalization_1", &layers.BatchNormalization{}),
			layers.Named("output", &layers.Dense{Units: 2}),
		), []string{`file has layer "dense_2" (group /dense_2)`, "model does not have", "dense_1, batch_normalization_1, output"}},
		"count": {models.NewSequential(
			layers.Named("dense_1", &layers.Dense{Units: 3, InputDim: 4, NoBias: true}),
			layers.Named("batch_normalization_1", &layers.BatchNormalization{}),
			layers.Named("dense_2", &layers.Dense{Units: 2}),
		), []string{`layer "dense_1" (Dense) has 1 weights in the model, 2 in the file`}},
	}
	for name, c := range cases {
		before, err := c.m.GetWeights()
		if err != nil {
			t.Fatal(err)
		}
		err = c.m.LoadKerasWeights(file)
		if err == nil {
			t.Errorf("%s: loaded", name)
			continue
		}
		for _, w := range append(c.want, "keras2_dense.h5") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", name, err, w)
			}
		}
		after, _ := c.m.GetWeights()
		for i := range before {
			if !slices.Equal(before[i].Data, after[i].Data) {
				t.Errorf("%s: a failed load changed weight %d", name, i)
			}
		}
	}
}

// TestLoadKerasSequential reads a Keras 3 .keras archive of a Sequential
// model: config and weights.
func TestLoadKerasSequential(t *testing.T) {
	m, err := models.LoadKeras(filepath.Join(kerasDir, "small_seq.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ClassName() != "Sequential" {
		t.Errorf("class %s", m.ClassName())
	}
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.LayerName()+":"+l.ClassName())
	}
	if got, want := strings.Join(names, " "), "dense:Dense batch_normalization:BatchNormalization dropout:Dropout dense_1:Dense"; got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	e := readExpected(t, "small_seq.keras")
	checkPredict(t, m, e, e.InputShape)
}

// TestLoadKerasSynchronized: Keras 3's synchronized=True BatchNormalization
// loads as a Synchronized one.
func TestLoadKerasSynchronized(t *testing.T) {
	for _, synced := range []bool{false, true} {
		path := filepath.Join(kerasDir, "small_seq.keras")
		if synced {
			path = kerasEdit(t, "small_seq.keras", func(s string) string {
				return strings.Replace(s, `"synchronized": false`, `"synchronized": true`, 1)
			})
		}
		m, err := models.LoadKeras(path)
		if err != nil {
			t.Fatal(err)
		}
		bn, ok := m.Layers()[1].(*layers.BatchNormalization)
		if !ok || bn.Synchronized != synced {
			t.Errorf("synchronized %v: layer %T %+v", synced, m.Layers()[1], m.Layers()[1])
		}
	}
}

// TestLoadKerasFunctional reads a functional graph with a convolution,
// pooling, two branches, Add and Concatenate.
func TestLoadKerasFunctional(t *testing.T) {
	m, err := models.LoadKeras(filepath.Join(kerasDir, "small_func.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if m.ClassName() != "Model" || len(m.Layers()) != 10 {
		t.Errorf("class %s with %d layers", m.ClassName(), len(m.Layers()))
	}
	e := readExpected(t, "small_func.keras")
	checkPredict(t, m, e, e.InputShape)
}

func TestLoadKerasUnknownLayer(t *testing.T) {
	_, err := models.LoadKeras(filepath.Join(kerasDir, "unknown_layer.keras"))
	if err == nil || !strings.Contains(err.Error(), `layer "conv_lstm1d" (ConvLSTM1D): layer class "ConvLSTM1D" is not supported`) ||
		!strings.Contains(err.Error(), "unknown_layer.keras") {
		t.Errorf("error %v", err)
	}
}

func layerList(m *models.Model) string {
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.LayerName()+":"+l.ClassName())
	}
	return strings.Join(names, " ")
}

// TestLoadKerasSequenceText reads Embedding → Conv1D (causal) →
// MaxPooling1D → Bidirectional(LSTM) → Dense: the RNN's weights are under
// its cell, the Bidirectional's under forward_layer and backward_layer;
// numpy computed the output from the equations.
func TestLoadKerasSequenceText(t *testing.T) {
	m, err := models.LoadKeras(filepath.Join(kerasDir, "seq_text.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := layerList(m), "embedding:Embedding conv1d:Conv1D max_pooling1d:MaxPooling1D bidirectional:Bidirectional dense:Dense"; got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	bi, err := m.Layer("bidirectional")
	if err != nil {
		t.Fatal(err)
	}
	b := bi.(*layers.Bidirectional)
	if b.Forward().LayerName() != "forward_lstm" || b.Backward().LayerName() != "backward_lstm" {
		t.Errorf("directions %s, %s", b.Forward().LayerName(), b.Backward().LayerName())
	}
	e := readExpected(t, "seq_text.keras")
	checkPredict(t, m, e, e.InputShape)
}

// TestLoadKerasSequenceRNN reads GRU (reset_after, Keras 3's default) →
// TimeDistributed(Dense) → GRU (reset_after false) → SimpleRNN → Dense.
func TestLoadKerasSequenceRNN(t *testing.T) {
	m, err := models.LoadKeras(filepath.Join(kerasDir, "seq_rnn.keras"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := layerList(m), "gru:GRU time_distributed:TimeDistributed gru_1:GRU simple_rnn:SimpleRNN dense_1:Dense"; got != want {
		t.Errorf("layers %s, want %s", got, want)
	}
	for name, ra := range map[string]bool{"gru": true, "gru_1": false} {
		l, err := m.Layer(name)
		if err != nil {
			t.Fatal(err)
		}
		if g := l.(*layers.GRU); g.ResetAfter != ra || g.RecurrentActivation != activations.Sigmoid {
			t.Errorf("%s: reset_after %v, recurrent_activation %q", name, g.ResetAfter, g.RecurrentActivation)
		}
	}
	e := readExpected(t, "seq_rnn.keras")
	checkPredict(t, m, e, e.InputShape)
}

// TestLoadKerasWeightsSequence reads Keras 2.2's names for Embedding,
// Bidirectional(LSTM) and GRU (bidirectional_1/forward_lstm_1/kernel:0,
// …) into the same model built in Go, with Keras 2.2's defaults.
func TestLoadKerasWeightsSequence(t *testing.T) {
	m := models.NewSequential(
		layers.Named("embedding_1", &layers.Embedding{InputDim: 8, OutputDim: 3, InputLength: 4}),
		layers.Named("bidirectional_1", &layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnSequences: true}}),
		layers.Named("gru_1", &layers.GRU{Units: 2}),
		layers.Named("dense_1", &layers.Dense{Units: 3, Activation: activations.Softmax}),
	)
	if err := m.LoadKerasWeights(filepath.Join(kerasDir, "keras2_seq.h5")); err != nil {
		t.Fatal(err)
	}
	e := readExpected(t, "keras2_seq.h5")
	checkWeights(t, m.Model, e)
	checkPredict(t, m.Model, e, []int{4})
}

// kerasEdit rewrites a fixture's config.json with edit and returns the
// new archive's path.
func kerasEdit(t *testing.T, name string, edit func(string) string) string {
	t.Helper()
	z, err := zip.OpenReader(filepath.Join(kerasDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	members := map[string][]byte{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		members[f.Name] = b.Bytes()
	}
	c := string(members["config.json"])
	members["config.json"] = []byte(edit(c))
	if string(members["config.json"]) == c {
		t.Fatalf("%s: the edit changed nothing", name)
	}
	return writeZip(t, members, nil)
}

// TestLoadKerasSequenceUnsupported: settings neurona does not have are
// errors that name the layer.
func TestLoadKerasSequenceUnsupported(t *testing.T) {
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	cases := []struct {
		file string
		edit func(string) string
		want string
	}{
		{"seq_text.keras", replace(`"mask_zero": false`, `"mask_zero": true`), `layer "embedding" (Embedding): mask_zero=true is not supported`},
		// merge_mode=None and return_state are read, and a Sequential model
		// refuses the layer's several outputs, as Keras does.
		{"seq_text.keras", replace(`"merge_mode": "concat"`, `"merge_mode": null`), `layer "bidirectional" (Bidirectional) returns 2 tensors (return_state, or Bidirectional's merge_mode none): the layers of a Sequential model have one output each`},
		{"seq_text.keras", func(s string) string { return strings.ReplaceAll(s, `"return_state": false`, `"return_state": true`) }, `layer "bidirectional" (Bidirectional) returns 5 tensors`},
		{"seq_text.keras", replace(`"units": 3`, `"units": 4`), `layer "bidirectional" (Bidirectional): a backward_layer other than`},
		{"seq_text.keras", replace(`"dilation_rate": [1]`, `"dilation_rate": [1, 2]`), `layer "conv1d" (Conv1D): dilation_rate must be`},
		{"seq_rnn.keras", replace(`"stateful": false`, `"stateful": true`), `layer "gru" (GRU): stateful=true is not supported`},
		{"seq_rnn.keras", replace(`"unroll": false`, `"unroll": true`), `layer "gru" (GRU): unroll=true is not supported`},
		{"seq_rnn.keras", replace(`"recurrent_activation": "sigmoid"`, `"recurrent_activation": "hard_sigmoid"`), `layer "gru" (GRU): recurrent_activation="hard_sigmoid"`},
		{"seq_rnn.keras", replace(`"reset_after": false`, `"reset_after": true`), `layer "gru_1" (GRU)`},
	}
	for i, c := range cases {
		_, err := models.LoadKeras(kerasEdit(t, c.file, c.edit))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want %q", i, err, c.want)
		}
	}
}

// writeZip writes an archive of the given members; a member named with a
// "!" suffix is written raw with the header's uncompressed size lying.
func writeZip(t *testing.T, members map[string][]byte, lie map[string]uint64) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range members {
		if size, ok := lie[name]; ok {
			var comp bytes.Buffer
			fw, _ := flate.NewWriter(&comp, flate.BestCompression)
			fw.Write(data)
			fw.Close()
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate,
				CompressedSize64: uint64(comp.Len()), UncompressedSize64: size})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(comp.Bytes())
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bad.keras")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadKerasBounded: sizes in the archive are checked before
// anything they claim is allocated, and a member that inflates past its
// header's size is refused.
func TestLoadKerasBounded(t *testing.T) {
	h5, err := os.ReadFile("../internal/hdf5/testdata/basic_v0.h5")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		members map[string][]byte
		lie     map[string]uint64
		want    string
	}{
		{map[string][]byte{"config.json": []byte("{}")}, nil, "no model.weights.h5"},
		{map[string][]byte{"config.json": make([]byte, 10), "model.weights.h5": h5}, map[string]uint64{"config.json": 1 << 40}, "more than the 67108864 allowed"},
		{map[string][]byte{"config.json": make([]byte, 1<<20), "model.weights.h5": h5}, map[string]uint64{"config.json": 100}, "config.json: zip"},
		{map[string][]byte{"config.json": []byte("{}"), "model.weights.h5": make([]byte, 1<<22)}, map[string]uint64{"model.weights.h5": 1 << 35}, "zip bomb"},
		{map[string][]byte{"config.json": []byte(`{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 4]}}, {"class_name": "Dense", "config": {"name": "huge", "units": 2000000000}}]}}`), "model.weights.h5": h5}, nil, `layer "huge"`},
	}
	for i, c := range cases {
		p := writeZip(t, c.members, c.lie)
		_, err := models.LoadKeras(p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want %q", i, err, c.want)
		}
	}
}

// deepDir holds the book's deep MNIST net as neurona trained it, for
// make_fixtures.py (see TestWriteDeepWeights).
const deepFixture = "testdata/keras/deep_mnist.keras"

func deepMNIST(t *testing.T) (*models.Model, *tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	s, err := spec.Book("deep")
	if err != nil {
		t.Fatal(err)
	}
	train, valid, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.FitConfig()
	cfg.Epochs, cfg.Seed, cfg.Verbose, cfg.ValidationX, cfg.ValidationY = 1, 1, 0, valid.X, valid.Y
	h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("history %v", h)
	return m, valid.X, valid.Y
}

// TestWriteDeepWeights trains the book's deep net for one epoch with seed
// 1 and writes its weights for make_fixtures.py, when NEURONA_WRITE_DEEP
// names a directory. It records the validation accuracy the acceptance
// test must reproduce from the .keras file.
func TestWriteDeepWeights(t *testing.T) {
	dir := os.Getenv("NEURONA_WRITE_DEEP")
	if dir == "" {
		t.Skip("set NEURONA_WRITE_DEEP=DIR to train the deep net and write its weights for make_fixtures.py")
	}
	m, vx, vy := deepMNIST(t)
	res, err := m.Evaluate(vx, vy, 128)
	if err != nil {
		t.Fatal(err)
	}
	type wf struct {
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	}
	info := struct {
		Weights     []wf    `json:"weights"`
		ValLoss     float64 `json:"val_loss"`
		ValAccuracy float64 `json:"val_accuracy"`
		Trained     string  `json:"trained"`
	}{ValLoss: res[0], ValAccuracy: res[1],
		Trained: "neurona: spec.Book(\"deep\"), Build(1), Fit 1 epoch, batch 128, seed 1 (models/keras_test.go TestWriteDeepWeights)"}
	for i, w := range m.Weights() {
		name := fmt.Sprintf("w%02d.f32", i)
		var b []byte
		for _, v := range w.Var.Value.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		info.Weights = append(info.Weights, wf{name, w.Var.Value.Shape})
	}
	b, _ := json.MarshalIndent(info, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "weights.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("val_loss %v val_accuracy %v", res[0], res[1])
}

// TestLoadKerasDeepMNIST is the acceptance test: the .keras archive of the
// book's deep net, written by make_fixtures.py with the weights neurona
// trained, loads with LoadKeras and reproduces the trained model's
// validation accuracy on the MNIST test set exactly.
func TestLoadKerasDeepMNIST(t *testing.T) {
	b, err := os.ReadFile(deepFixture + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		ValAccuracy float64 `json:"val_accuracy"`
		ValLoss     float64 `json:"val_loss"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	m, err := models.LoadKeras(deepFixture)
	if err != nil {
		t.Fatal(err)
	}
	if total, _ := m.CountParams(); total != 59978 {
		t.Errorf("%d params, the deep net has 59,978", total)
	}
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Book("deep")
	if err != nil {
		t.Fatal(err)
	}
	_, valid, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Evaluate(valid.X, valid.Y, 128)
	if err != nil {
		t.Fatal(err)
	}
	if res[1] != want.ValAccuracy {
		t.Errorf("val_accuracy %v, neurona trained %v", res[1], want.ValAccuracy)
	}
	if math.Abs(res[0]-want.ValLoss) > 1e-6 {
		t.Errorf("val_loss %v, neurona trained %v", res[0], want.ValLoss)
	}
	if want.ValAccuracy < 0.9 {
		t.Errorf("recorded accuracy %v: the fixture was not trained", want.ValAccuracy)
	}
}

// TestLoadKerasOtherSequenceLayers: AveragePooling1D, SpatialDropout1D
// and the global 1-D poolings load in place of the fixture's layers
// (they have no weights; their arithmetic is tested in layers).
func TestLoadKerasOtherSequenceLayers(t *testing.T) {
	for _, c := range []struct{ old, new, want string }{
		{`"MaxPooling1D"`, `"AveragePooling1D"`, "max_pooling1d:AveragePooling1D"},
		{`{"module": "keras.layers", "class_name": "MaxPooling1D", "config": {"name": "max_pooling1d", "trainable": true,`,
			`{"module": "keras.layers", "class_name": "SpatialDropout1D", "config": {"name": "max_pooling1d", "trainable": true, "rate": 0.5,`,
			"max_pooling1d:SpatialDropout1D"},
	} {
		m, err := models.LoadKeras(kerasEdit(t, "seq_text.keras", func(s string) string { return strings.Replace(s, c.old, c.new, 1) }))
		if err != nil {
			t.Fatalf("%s: %v", c.new, err)
		}
		if !strings.Contains(layerList(m), c.want) {
			t.Errorf("layers %s, want %s", layerList(m), c.want)
		}
	}
	for _, class := range []string{"GlobalMaxPooling1D", "GlobalAveragePooling1D"} {
		// In place of the Bidirectional, before a Dense of 6 inputs: the
		// pooled width is 3, so the dense kernel's shape must be refused.
		_, err := models.LoadKeras(kerasEdit(t, "seq_text.keras", func(s string) string {
			i := strings.Index(s, `{"module": "keras.layers", "class_name": "Bidirectional"`)
			j := strings.Index(s, `{"module": "keras.layers", "class_name": "Dense"`)
			return s[:i] + `{"module": "keras.layers", "class_name": "` + class + `", "config": {"name": "bidirectional", "data_format": "channels_last", "keepdims": false}}, ` + s[j:]
		}))
		if err == nil || !strings.Contains(err.Error(), `layer "dense" (Dense): weight 0`) {
			t.Errorf("%s: error %v, want the dense kernel's shape refused", class, err)
		}
	}
}
