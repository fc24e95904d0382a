// Command onnx writes the fixtures of the ONNX Runtime check (see
// README.md): for each case it builds a model, gives every weight a
// non-trivial value, exports the model with ExportONNX to DIR/NAME.onnx,
// runs neurona's Predict on seeded random inputs in batches of 1, 7 and 92
// rows, and writes the inputs and neurona's outputs as raw little-endian
// float32 files, described by DIR/manifest.json. check.mjs then runs the
// ONNX files in ONNX Runtime on the same inputs and compares.
//
//	go run ./bench/onnx -out DIR [-only NAME,NAME] [-list]
//
// A case whose export fails is still described in the manifest, with its
// error, so that check.mjs reports it as failed; the program exits 0 once
// the manifest is written. It exits 1 when it cannot build or run a model
// (a fault of this program, not of the export), 2 on bad usage.
package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

// batchRows are the batch sizes each case runs with: 100 rows in all, and
// sizes below, at and above Predict's internal batch of 32, so that the
// exported graph's batch dimension is exercised as dynamic.
var batchRows = []int{1, 7, 92}

// inputKind says how a case's inputs are drawn.
type inputKind int

const (
	unitInputs   inputKind = iota // uniform in [0, 1): MNIST-shaped pixels
	normalInputs                  // standard normal
	idInputs                      // integer ids in [0, idVocab), as float32
)

// idVocab is the vocabulary of idInputs cases.
const idVocab = 50

// testCase is one model of the check.
type testCase struct {
	name   string
	about  string
	inputs inputKind
	build  func() (*models.Model, error)
	// keepWeights keeps the weights the model was built with (a spec that
	// gives them by hand) instead of randomizing them.
	keepWeights bool
}

// Manifest is DIR/manifest.json: what check.mjs reads.
type Manifest struct {
	// Format is the manifest's version, 1.
	Format int `json:"format"`
	// Opset is the opset asked of ExportONNX (0: its default, 17).
	Opset int    `json:"opset"`
	Seed  uint64 `json:"seed"`
	Cases []Case `json:"cases"`
}

// Case is one model: its ONNX file, the graph's expected inputs and
// outputs, and the batches it was run on.
type Case struct {
	Name  string `json:"name"`
	About string `json:"about"`
	// Model is the ONNX file, relative to the manifest; empty when the
	// export failed.
	Model string `json:"model,omitempty"`
	// ExportError is ExportONNX's error, when it failed.
	ExportError string   `json:"export_error,omitempty"`
	Inputs      []Tensor `json:"inputs"`
	Outputs     []Tensor `json:"outputs"`
	Batches     []Batch  `json:"batches"`
}

// Tensor names one graph input or output and its shape without the batch
// dimension (Keras's channels-last shape), float32.
type Tensor struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Batch is one run: Rows rows of every input, and neurona's outputs for
// them, one raw little-endian float32 file (row-major, rows first) per
// input and per output, in the order of Case.Inputs and Case.Outputs.
type Batch struct {
	Rows    int      `json:"rows"`
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

func main() {
	out := flag.String("out", "", "directory to write the ONNX files, data and manifest.json to (created)")
	only := flag.String("only", "", "comma-separated case names to write (default: all)")
	list := flag.Bool("list", false, "list the cases and exit")
	seed := flag.Uint64("seed", 1, "seed of the weights and inputs")
	opset := flag.Int("opset", 0, "ONNXOptions.Opset (0: the export's default, 17)")
	flag.Parse()
	cases := allCases(*seed)
	if *list {
		for _, c := range cases {
			fmt.Printf("%-20s %s\n", c.name, c.about)
		}
		return
	}
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: onnx -out DIR [-only NAME,...] [-seed N] [-opset N] [-list]")
		os.Exit(2)
	}
	if *only != "" {
		want := map[string]bool{}
		for _, n := range strings.Split(*only, ",") {
			want[strings.TrimSpace(n)] = true
		}
		var sel []testCase
		for _, c := range cases {
			if want[c.name] {
				sel = append(sel, c)
				delete(want, c.name)
			}
		}
		if len(want) > 0 {
			var names []string
			for _, c := range cases {
				names = append(names, c.name)
			}
			fmt.Fprintf(os.Stderr, "onnx: unknown case(s) in -only %q (valid: %s)\n", *only, strings.Join(names, ", "))
			os.Exit(2)
		}
		cases = sel
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "onnx:", err)
		os.Exit(1)
	}
	man := Manifest{Format: 1, Opset: *opset, Seed: *seed}
	failed := 0
	for i, c := range cases {
		mc, err := writeCase(*out, c, *seed+uint64(i)*1000, *opset)
		if err != nil {
			fmt.Fprintf(os.Stderr, "onnx: case %s: %v\n", c.name, err)
			os.Exit(1)
		}
		if mc.ExportError != "" {
			failed++
			fmt.Fprintf(os.Stderr, "onnx: case %s: export failed: %s\n", c.name, mc.ExportError)
		}
		man.Cases = append(man.Cases, mc)
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err == nil {
		err = os.WriteFile(filepath.Join(*out, "manifest.json"), append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "onnx:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "onnx: wrote %d case(s) to %s (%d export(s) failed)\n", len(man.Cases), *out, failed)
}

// writeCase builds, randomizes, exports and runs one case.
func writeCase(dir string, c testCase, seed uint64, opset int) (Case, error) {
	layers.ResetNames() // each case's automatic names start at _1
	m, err := c.build()
	if err != nil {
		return Case{}, fmt.Errorf("build: %w", err)
	}
	rng := tensor.NewRNG(seed)
	if !c.keepWeights {
		if err := randomizeWeights(m, rng); err != nil {
			return Case{}, err
		}
	}
	mc := Case{Name: c.name, About: c.about}
	for _, t := range m.Inputs() {
		mc.Inputs = append(mc.Inputs, Tensor{Name: layerOf(t).LayerName(), Shape: t.Shape()})
	}
	for _, t := range m.Outputs() {
		// The exporter's names: the layer's, with ":i" for the i-th
		// tensor of a layer with several (return_state).
		name := layerOf(t).LayerName()
		if _, i := t.Node(); i > 0 {
			name = fmt.Sprintf("%s:%d", name, i)
		}
		mc.Outputs = append(mc.Outputs, Tensor{Name: name, Shape: t.Shape()})
	}

	file := c.name + ".onnx"
	if err := export(m, filepath.Join(dir, file), opset); err != nil {
		mc.ExportError = err.Error()
	} else {
		mc.Model = file
	}

	for _, rows := range batchRows {
		b := Batch{Rows: rows}
		xs := make([]*tensor.Tensor, len(mc.Inputs))
		for i, in := range mc.Inputs {
			x := tensor.New(append([]int{rows}, in.Shape...)...)
			switch c.inputs {
			case unitInputs:
				rng.Uniform(x, 0, 1)
			case idInputs:
				for j := range x.Data {
					x.Data[j] = float32(rng.Intn(idVocab))
				}
			default:
				rng.Normal(x, 0, 1)
			}
			xs[i] = x
			name := fmt.Sprintf("%s.b%d.in%d.f32", c.name, rows, i)
			if err := writeFloats(filepath.Join(dir, name), x.Data); err != nil {
				return Case{}, err
			}
			b.Inputs = append(b.Inputs, name)
		}
		ys, err := m.PredictMulti(xs)
		if err != nil {
			return Case{}, fmt.Errorf("predict on %d rows: %w", rows, err)
		}
		for k, y := range ys {
			if bad := firstNonFinite(y.Data); bad >= 0 {
				return Case{}, fmt.Errorf("neurona's output %q on %d rows has %v at index %d", mc.Outputs[k].Name, rows, y.Data[bad], bad)
			}
			name := fmt.Sprintf("%s.b%d.out%d.f32", c.name, rows, k)
			if err := writeFloats(filepath.Join(dir, name), y.Data); err != nil {
				return Case{}, err
			}
			b.Outputs = append(b.Outputs, name)
		}
		mc.Batches = append(mc.Batches, b)
	}
	return mc, nil
}

// export writes m's ONNX graph to path; a failed export leaves no file.
func export(m *models.Model, path string, opset int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ExportONNX panicked: %v", r)
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := m.ExportONNX(f, models.ONNXOptions{Opset: opset}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// layerOf returns the layer that produces t.
func layerOf(t *layers.KerasTensor) layers.Layer {
	n, _ := t.Node()
	return n.Layer
}

// randomizeWeights gives every weight a value that exercises it: the
// kernels keep their Glorot draw (seeded by the model's Seed); biases and
// beta get small normal values, gamma values in [0.5, 1.5), and the
// moving statistics of BatchNormalization nonzero means and positive
// variances in [0.5, 2), so that inference-mode normalization is not the
// identity.
func randomizeWeights(m *models.Model, rng *tensor.RNG) error {
	if _, err := m.GetWeights(); err != nil { // builds the model and draws its weights
		return err
	}
	ws := m.Weights()
	if len(ws) == 0 {
		return errors.New("the model has no weights")
	}
	for _, w := range ws {
		v := w.Var.Value
		switch {
		case strings.HasSuffix(w.Name, "/kernel"), strings.HasSuffix(w.Name, "/recurrent_kernel"):
			// the initializer's draw
		case strings.HasSuffix(w.Name, "/bias"), strings.HasSuffix(w.Name, "/beta"):
			rng.Normal(v, 0, 0.2)
		case strings.HasSuffix(w.Name, "/gamma"):
			rng.Uniform(v, 0.5, 1.5)
		case strings.HasSuffix(w.Name, "/embeddings"):
			rng.Normal(v, 0, 1) // larger than the ±0.05 draw, so that the ids matter
		case strings.HasSuffix(w.Name, "/moving_mean"):
			rng.Normal(v, 0, 0.3)
		case strings.HasSuffix(w.Name, "/moving_variance"):
			rng.Uniform(v, 0.5, 2)
		default:
			return fmt.Errorf("weight %q: randomizeWeights does not know this kind of weight", w.Name)
		}
	}
	return nil
}

func writeFloats(path string, data []float32) error {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return os.WriteFile(path, b, 0o644)
}

func firstNonFinite(data []float32) int {
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// allCases lists the cases: every book network, the GAN's two models, and
// functional models that between them use every layer class neurona has
// (TestEveryLayerClassCovered checks that).
func allCases(seed uint64) []testCase {
	var cs []testCase
	for _, name := range append(spec.BookNames(), "forward-propagation") {
		kind := unitInputs
		switch {
		case name == "regression" || name == "forward-propagation":
			kind = normalInputs
		case strings.HasSuffix(name, "-sentiment"): // token ids into an Embedding
			kind = idInputs
		}
		cs = append(cs, testCase{
			name: name, about: "the book's " + name + " (" + spec.BookFile(name) + ")", inputs: kind,
			keepWeights: name == "forward-propagation", // its weights are the point of it
			build: func() (*models.Model, error) {
				s, err := spec.Book(name)
				if err != nil {
					return nil, err
				}
				return s.Build(seed)
			},
		})
	}
	cs = append(cs,
		testCase{name: "gan_discriminator", about: "examples.GANDiscriminator: strided same-padded convolutions, dropout, sigmoid",
			inputs: unitInputs, build: examples.GANDiscriminator},
		testCase{name: "gan_generator", about: "examples.GANGenerator: Dense, BatchNormalization, Reshape, UpSampling2D, Conv2DTranspose",
			inputs: normalInputs, build: examples.GANGenerator},
		testCase{name: "shared_concat", about: "two inputs through one shared Dense, Concatenate, BatchNormalization, two outputs",
			inputs: unitInputs, build: withSeed(seed, sharedConcat)},
		testCase{name: "merges", about: "Add, Subtract, Multiply, Average, Maximum, Minimum, Dot (vectors, matrices, normalized), Concatenate on axis 1, Reshape, Dense on rank 3",
			inputs: normalInputs, build: withSeed(seed, merges)},
		testCase{name: "conv_pools", about: "Conv2D, AveragePooling2D same, MaxPooling2D same, UpSampling2D, Conv2DTranspose strided, BatchNormalization on images, Global pools, Activation",
			inputs: unitInputs, build: withSeed(seed, convPools)},
		testCase{name: "sequences", about: "Embedding, SpatialDropout1D, Conv1D valid/same strided/causal dilated/same dilated, MaxPooling1D same, AveragePooling1D same, GlobalMax/AveragePooling1D",
			inputs: idInputs, build: withSeed(seed, sequences)},
		testCase{name: "nested", about: "a functional model applied twice (shared) and a Sequential inside a functional model",
			inputs: normalInputs, build: withSeed(seed, nested)},
		testCase{name: "simple_rnn", about: "SimpleRNN forwards and go_backwards, last state and sequences, tanh and relu",
			inputs: normalInputs, build: withSeed(seed, simpleRNNs)},
		testCase{name: "lstm", about: "LSTM forwards and go_backwards, last state and sequences, hard_sigmoid and sigmoid, no bias",
			inputs: normalInputs, build: withSeed(seed, lstms)},
		testCase{name: "gru", about: "GRU reset_after false and true, forwards and go_backwards, last state and sequences",
			inputs: normalInputs, build: withSeed(seed, grus)},
		testCase{name: "time_distributed", about: "TimeDistributed over Dense and over Conv2D, after an LSTM's sequences",
			inputs: normalInputs, build: withSeed(seed, timeDistributed)},
		testCase{name: "bidirectional", about: "Bidirectional SimpleRNN, LSTM, GRU; merge concat, sum, mul, ave; last state and sequences",
			inputs: normalInputs, build: withSeed(seed, bidirectionals)},
		testCase{name: "recurrent_states", about: "return_state (LSTM h and c, GRU and SimpleRNN h, go_backwards, Bidirectional's four states) and Bidirectional merge_mode none, every tensor a model output",
			inputs: normalInputs, build: withSeed(seed, recurrentStates)},
	)
	return cs
}

func withSeed(seed uint64, build func() (*models.Model, error)) func() (*models.Model, error) {
	return func() (*models.Model, error) {
		m, err := build()
		if m != nil {
			m.Seed = seed
		}
		return m, err
	}
}

func apply(l layers.Layer, xs ...*layers.KerasTensor) *layers.KerasTensor {
	return layers.Apply(l, xs...)
}

func named(name string, shape ...int) *layers.KerasTensor {
	return apply(layers.Named(name, &layers.Input{Shape: shape}))
}

func model(ins []*layers.KerasTensor, outs ...*layers.KerasTensor) (*models.Model, error) {
	return models.NewModel(ins, outs)
}

// sharedConcat is examples/functional's shape: one Dense applied to two
// inputs, the results concatenated, and two heads.
func sharedConcat() (*models.Model, error) {
	left, right := named("left", 20), named("right", 20)
	shared := &layers.Dense{Units: 16, Activation: activations.ReLU}
	both := apply(&layers.Concatenate{}, apply(shared, left), apply(shared, right))
	h := apply(&layers.Dropout{Rate: 0.3}, apply(&layers.BatchNormalization{}, both))
	h = apply(&layers.Dense{Units: 12, Activation: activations.Tanh}, h)
	class := apply(layers.Named("class", &layers.Dense{Units: 3, Activation: activations.Softmax}), h)
	score := apply(layers.Named("score", &layers.Dense{Units: 1}), h)
	return model([]*layers.KerasTensor{left, right}, class, score)
}

// merges uses every merge layer, Reshape, and Dense and softmax on a rank-3
// tensor.
func merges() (*models.Model, error) {
	u, v := named("u", 12), named("v", 12)
	a := apply(&layers.Dense{Units: 8}, u)
	b := apply(&layers.Dense{Units: 8, Activation: activations.Tanh}, v)
	c := apply(&layers.Dense{Units: 8, Activation: activations.Sigmoid}, u)
	add := apply(&layers.Add{}, a, b, c)
	sub := apply(&layers.Subtract{}, a, b)
	mul := apply(&layers.Multiply{}, a, b, c)
	avg := apply(&layers.Average{}, a, b, c)
	mx := apply(&layers.Maximum{}, a, b, c)
	mn := apply(&layers.Minimum{}, a, b)
	dot := apply(&layers.Dot{Axes: layers.DotAxes{1, 1}}, a, b)                    // (1)
	cos := apply(&layers.Dot{Axes: layers.DotAxes{-1, -1}, Normalize: true}, a, c) // (1)
	// Matrices: (2, 4) · (2, 4) along axes (1, 1) counting the batch: (4, 4).
	ra := apply(&layers.Reshape{TargetShape: []int{2, 4}}, a)
	rb := apply(&layers.Reshape{TargetShape: []int{2, 4}}, b)
	mdot := apply(&layers.Flatten{}, apply(&layers.Dot{Axes: layers.DotAxes{1, 1}}, ra, rb)) // (16)
	// Concatenate along axis 1 of rank-3 tensors (not the last axis), then
	// a Dense with softmax over the last axis of a rank-3 tensor.
	rows := apply(&layers.Concatenate{Axis: 1}, ra, rb, apply(&layers.Reshape{TargetShape: []int{2, 4}}, mul)) // (6, 4)
	soft := apply(&layers.Flatten{}, apply(&layers.Dense{Units: 3, Activation: activations.Softmax}, rows))    // (18)
	all := apply(&layers.Concatenate{}, add, sub, avg, mx, mn, dot, cos, mdot, soft)
	out := apply(layers.Named("merged", &layers.Dense{Units: 4, Activation: activations.Sigmoid}), all)
	return model([]*layers.KerasTensor{u, v}, out)
}

// sequences uses the layers of text and sequences (besides the recurrent
// ones): an Embedding on ids, every Conv1D padding, dilation and the 1-D
// pools.
func sequences() (*models.Model, error) {
	ids := named("ids", 20)
	x := apply(&layers.Embedding{InputDim: idVocab, OutputDim: 8}, ids)
	x = apply(&layers.SpatialDropout1D{Rate: 0.3}, x)
	x = apply(&layers.Conv1D{Filters: 6, KernelSize: 3, Activation: activations.ReLU}, x)                                   // 18×6
	x = apply(&layers.Conv1D{Filters: 5, KernelSize: 3, Strides: 2, Padding: layers.Same, Activation: activations.Tanh}, x) // 9×5
	x = apply(&layers.Conv1D{Filters: 4, KernelSize: 2, Padding: layers.Causal, DilationRate: 2}, x)                        // 9×4
	x = apply(&layers.Conv1D{Filters: 4, KernelSize: 3, Padding: layers.Same, DilationRate: 2, NoBias: true}, x)            // 9×4
	x = apply(&layers.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: layers.Same}, x)                                       // 5×4
	x = apply(&layers.AveragePooling1D{PoolSize: 2, Padding: layers.Same}, x)                                               // 3×4
	both := apply(&layers.Concatenate{}, apply(&layers.GlobalMaxPooling1D{}, x), apply(&layers.GlobalAveragePooling1D{}, x))
	out := apply(layers.Named("score", &layers.Dense{Units: 1, Activation: activations.Sigmoid}), both)
	return model([]*layers.KerasTensor{ids}, out)
}

// convPools uses the image layers the book networks do not: pools with
// same padding (odd sizes, so the padded windows are uneven), UpSampling2D
// with unequal factors, a strided Conv2DTranspose, batch normalization of
// channels, the global pools and the Activation layer.
func convPools() (*models.Model, error) {
	img := named("image", 11, 11, 3)
	x := apply(&layers.Conv2D{Filters: 6, KernelSize: [2]int{3, 3}, Activation: activations.ReLU}, img)     // 9×9×6
	x = apply(&layers.AveragePooling2D{PoolSize: [2]int{2, 2}, Padding: layers.Same}, x)                    // 5×5×6
	x = apply(&layers.BatchNormalization{}, x)                                                              //
	x = apply(&layers.UpSampling2D{Size: [2]int{2, 3}}, x)                                                  // 10×15×6
	x = apply(&layers.Conv2DTranspose{Filters: 4, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}}, x)      // 21×31×4
	x = apply(&layers.Activation{Activation: activations.Tanh}, x)                                          //
	x = apply(&layers.MaxPooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: layers.Same}, x) // 11×16×4
	x = apply(&layers.Conv2DTranspose{Filters: 5, KernelSize: [2]int{4, 3}, Strides: [2]int{2, 1}, Padding: layers.Same,
		Activation: activations.Sigmoid}, x) // 22×16×5
	y := apply(&layers.Conv2D{Filters: 3, KernelSize: [2]int{5, 4}, Strides: [2]int{3, 2}, Padding: layers.Same, NoBias: true}, x) // 8×8×3
	y = apply(&layers.AveragePooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: layers.Same}, y)                    // 4×4×3
	feats := apply(&layers.Concatenate{}, apply(&layers.GlobalMaxPooling2D{}, x), apply(&layers.GlobalAveragePooling2D{}, x))
	class := apply(layers.Named("class", &layers.Dense{Units: 5}), feats)
	class = apply(layers.Named("probabilities", &layers.Activation{Activation: activations.Softmax}), class)
	maps := apply(layers.Named("maps", &layers.Activation{Activation: activations.Linear}), y)
	return model([]*layers.KerasTensor{img}, class, maps)
}

// nested applies a functional model to two inputs (one set of weights) and
// runs a Sequential inside the outer model.
func nested() (*models.Model, error) {
	in := layers.NewInput(10)
	h := apply(&layers.Dense{Units: 8, Activation: activations.ReLU}, in)
	h = apply(&layers.BatchNormalization{}, h)
	enc, err := model([]*layers.KerasTensor{in}, apply(&layers.Dense{Units: 6, Activation: activations.Tanh}, h))
	if err != nil {
		return nil, err
	}
	head := models.NewSequential(
		&layers.Dense{Units: 5, Activation: activations.ReLU, InputDim: 6},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 3, Activation: activations.Softmax},
	)
	if err := head.Build(); err != nil {
		return nil, err
	}
	x1, x2 := named("first", 10), named("second", 10)
	diff := apply(&layers.Subtract{}, apply(enc, x1), apply(enc, x2))
	return model([]*layers.KerasTensor{x1, x2}, apply(head.Model, diff))
}

// recurrentCase applies each layer to one (7, 5) sequence input, each
// layer's output an output of the model.
func recurrentCase(ls ...layers.Layer) (*models.Model, error) {
	in := named("sequence", 7, 5)
	var outs []*layers.KerasTensor
	for _, l := range ls {
		outs = append(outs, apply(l, in))
	}
	return model([]*layers.KerasTensor{in}, outs...)
}

func simpleRNNs() (*models.Model, error) {
	return recurrentCase(
		&layers.SimpleRNN{Units: 4},
		&layers.SimpleRNN{Units: 3, GoBackwards: true},
		&layers.SimpleRNN{Units: 3, ReturnSequences: true},
		&layers.SimpleRNN{Units: 2, ReturnSequences: true, GoBackwards: true, Activation: activations.ReLU},
	)
}

func lstms() (*models.Model, error) {
	return recurrentCase(
		&layers.LSTM{Units: 4},
		&layers.LSTM{Units: 3, GoBackwards: true},
		&layers.LSTM{Units: 3, ReturnSequences: true, RecurrentActivation: activations.Sigmoid},
		&layers.LSTM{Units: 2, ReturnSequences: true, GoBackwards: true, NoBias: true},
	)
}

func grus() (*models.Model, error) {
	return recurrentCase(
		&layers.GRU{Units: 4},
		&layers.GRU{Units: 3, GoBackwards: true, ReturnSequences: true},
		&layers.GRU{Units: 4, ResetAfter: true, RecurrentActivation: activations.Sigmoid},
		&layers.GRU{Units: 3, ResetAfter: true, GoBackwards: true},
		&layers.GRU{Units: 2, ResetAfter: true, ReturnSequences: true, NoBias: true},
	)
}

func bidirectionals() (*models.Model, error) {
	return recurrentCase(
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 3}},
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnSequences: true}, MergeMode: layers.MergeMul},
		&layers.Bidirectional{Layer: &layers.GRU{Units: 3, ReturnSequences: true}, MergeMode: layers.MergeSum},
		&layers.Bidirectional{Layer: &layers.GRU{Units: 2, ResetAfter: true}, MergeMode: layers.MergeAve},
		&layers.Bidirectional{Layer: &layers.SimpleRNN{Units: 2, ReturnSequences: true}},
	)
}

// recurrentStates applies layers with several outputs to one (7, 5)
// sequence input, every output of each an output of the model.
func recurrentStates() (*models.Model, error) {
	in := named("sequence", 7, 5)
	var outs []*layers.KerasTensor
	for _, l := range []layers.Layer{
		&layers.LSTM{Units: 3, ReturnState: true},
		&layers.LSTM{Units: 2, ReturnState: true, ReturnSequences: true, GoBackwards: true, RecurrentActivation: activations.Sigmoid},
		&layers.GRU{Units: 3, ReturnState: true, ResetAfter: true},
		&layers.SimpleRNN{Units: 2, ReturnState: true, GoBackwards: true},
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnState: true}},
		&layers.Bidirectional{Layer: &layers.GRU{Units: 2, ReturnSequences: true}, MergeMode: layers.MergeNone},
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnState: true}, MergeMode: layers.MergeNone},
	} {
		outs = append(outs, layers.ApplyMulti(l, in)...)
	}
	return model([]*layers.KerasTensor{in}, outs...)
}

func timeDistributed() (*models.Model, error) {
	seq := named("sequence", 7, 5)
	h := apply(&layers.LSTM{Units: 4, ReturnSequences: true}, seq)
	dense := apply(&layers.TimeDistributed{Layer: &layers.Dense{Units: 3, Activation: activations.Sigmoid}}, h)
	frames := named("frames", 3, 6, 5, 2)
	conv := apply(&layers.TimeDistributed{Layer: &layers.Conv2D{Filters: 3, KernelSize: [2]int{3, 2}, Activation: activations.ReLU}}, frames)
	return model([]*layers.KerasTensor{seq, frames}, dense, conv)
}
