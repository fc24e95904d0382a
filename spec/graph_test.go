package spec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/tensor"
)

// sharedGraph has two inputs, a layer shared between them and two
// outputs, one from each application of the shared layer.
const sharedGraph = `model:
  name: twins
  layers:
    - Input: {name: a, shape: [4]}
    - Input: {name: b, shape: [4]}
    - Dense: {name: shared, units: 3, activation: tanh}
      inputs: [a]
    - apply: shared
      inputs: [b]
    - Dense: {units: 2}
    - Dense: {units: 1, activation: sigmoid}
      inputs: [shared]
  outputs: [dense_1, dense_2]
compile: {loss: mse, optimizer: sgd}
`

// goTwins is sharedGraph written with the functional API.
func goTwins(t *testing.T) *models.Model {
	t.Helper()
	a := layers.Apply(layers.Named("a", &layers.Input{Shape: []int{4}}))
	b := layers.Apply(layers.Named("b", &layers.Input{Shape: []int{4}}))
	shared := layers.Named("shared", &layers.Dense{Units: 3, Activation: activations.Tanh})
	ha, hb := layers.Apply(shared, a), layers.Apply(shared, b)
	o1 := layers.Apply(&layers.Dense{Units: 2}, hb)
	o2 := layers.Apply(&layers.Dense{Units: 1, Activation: activations.Sigmoid}, ha)
	m, err := models.NewModel([]*layers.KerasTensor{a, b}, []*layers.KerasTensor{o1, o2})
	if err != nil {
		t.Fatal(err)
	}
	m.Name = "twins"
	return m
}

// TestGraphSpecMatchesFunctionalAPI builds sharedGraph and the same graph
// in Go: the summaries (the 98-column graph layout) and the predictions
// from the same seed must agree.
func TestGraphSpecMatchesFunctionalAPI(t *testing.T) {
	s, err := Parse([]byte(sharedGraph), "twins.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Graph() {
		t.Fatal("Graph() = false for a spec whose layers name their inputs")
	}
	layers.ResetNames()
	m, err := s.Build(5)
	if err != nil {
		t.Fatal(err)
	}
	layers.ResetNames()
	want := goTwins(t)
	want.Seed = 5
	var got, exp bytes.Buffer
	if err := m.Summary(&got); err != nil {
		t.Fatal(err)
	}
	if err := want.Summary(&exp); err != nil {
		t.Fatal(err)
	}
	if got.String() != exp.String() {
		t.Errorf("spec summary:\n%s\nfunctional API's:\n%s", got.String(), exp.String())
	}
	if !strings.Contains(got.String(), "Connected to") || strings.Count(got.String(), "shared[0][0]") != 1 || strings.Count(got.String(), "shared[1][0]") != 1 {
		t.Errorf("the summary does not show both uses of the shared layer:\n%s", got.String())
	}
	x := []*tensor.Tensor{tensor.New(3, 4), tensor.New(3, 4)}
	for i := range x[0].Data {
		x[0].Data[i], x[1].Data[i] = float32(i%5)-2, float32(i%3)-1
	}
	pg, err := m.PredictMulti(x)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := want.PredictMulti(x)
	if err != nil {
		t.Fatal(err)
	}
	for k := range pw {
		if !tensor.SameShape(pg[k], pw[k]) {
			t.Fatalf("output %d: shape %v, want %v", k, pg[k].Shape, pw[k].Shape)
		}
		for i := range pw[k].Data {
			if pg[k].Data[i] != pw[k].Data[i] {
				t.Fatalf("output %d differs from the functional API's: %v vs %v", k, pg[k].Data, pw[k].Data)
			}
		}
	}
	if got := strings.Join(m.MetricNames(), ","); got != "loss,dense_1_loss,dense_2_loss" {
		t.Errorf("compiled metrics %s", got)
	}
	if _, err := s.BuildSequential(1); err == nil || !strings.Contains(err.Error(), "graph") {
		t.Errorf("BuildSequential of a graph spec: %v", err)
	}
}

// TestGraphSpecChain checks a graph without any inputs key: each layer
// takes the previous one's output, and the output is the last layer's,
// so the summary is the functional chain's (with the InputLayer row).
func TestGraphSpecChain(t *testing.T) {
	src := `model:
  outputs: [out]
  layers:
    - Input: {shape: [3]}
    - Dense: {units: 5, activation: relu}
    - Dropout: {rate: 0.5}
    - Dense: {name: out, units: 1}
`
	s, err := Parse([]byte(src), "chain.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	layers.ResetNames()
	m, err := s.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.LayerName()+" "+l.ClassName())
	}
	if got := strings.Join(names, ", "); got != "input_1 InputLayer, dense_1 Dense, dropout_1 Dropout, out Dense" {
		t.Errorf("layers %s", got)
	}
	if total, _ := m.CountParams(); total != 3*5+5+5+1 {
		t.Errorf("%d params", total)
	}
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "input_1 (InputLayer)") || strings.Contains(b.String(), "Connected to") {
		t.Errorf("a chain's summary should be the 65-column one with its InputLayer row:\n%s", b.String())
	}
}

// TestGraphSpecErrors checks that each mistake in a graph is an *Error at
// the line it is about, naming the layer.
func TestGraphSpecErrors(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"unknown input", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {units: 2}
      inputs: [y]
`, `g.yaml:5: layer "dense_1" (Dense): unknown input "y" (layers: x, dense_1)`},
		{"defined later", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {name: first, units: 2}
      inputs: [second]
    - Dense: {name: second, units: 2}
      inputs: [x]
  outputs: [first]
`, `g.yaml:5: layer "first" (Dense): input "second" is defined later, at line 6: a layer must come after its inputs`},
		{"own output", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {name: loop, units: 2}
      inputs: [loop]
`, `g.yaml:5: layer "loop" (Dense): input "loop" is this entry's own output`},
		{"later application", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {name: s, units: 2}
    - Dense: {units: 2}
      inputs: ["s[1]"]
    - apply: s
      inputs: [dense_1]
`, `g.yaml:6: layer "dense_1" (Dense): input "s[1]" is defined later, at line 7`},
		{"node out of range", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {name: s, units: 2}
  outputs: ["s[2]"]
`, `g.yaml:5: model.outputs: input "s[2]": layer "s" has applications 0 to 0 only`},
		{"unused input", `model:
  inputs: [x, z]
  layers:
    - Input: {name: x, shape: [2]}
    - Input: {name: z, shape: [2]}
    - Dense: {units: 1}
      inputs: [x]
`, `g.yaml:5: input "z" is not used by any output (model.outputs: dense_1)`},
		{"output not reachable", `model:
  inputs: [x]
  layers:
    - Input: {name: x, shape: [2]}
    - Input: {name: z, shape: [2]}
    - Dense: {units: 1}
      inputs: [z]
  outputs: [dense_1]
`, `g.yaml:8: output "dense_1" is not reachable from model.inputs: it depends on the Input "z" (line 5), which model.inputs does not list`},
		{"dangling layer", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {name: side, units: 3}
    - Dense: {units: 1}
      inputs: [x]
`, `g.yaml:4: layer "side" (Dense) does not lead to any output (model.outputs: dense_1)`},
		{"two names", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {units: 3}
    - Dense: {name: dense_1, units: 1}
      inputs: [x]
`, `g.yaml:5: two layers are named "dense_1" (lines 4 and 5): layer names must be unique`},
		{"unknown output", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {units: 3}
  outputs: [dense_9]
`, `g.yaml:5: model.outputs: unknown input "dense_9" (layers: x, dense_1)`},
		{"apply unknown", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - apply: nope
      inputs: [x]
`, `g.yaml:4: apply: unknown layer "nope" (layers: x)`},
		{"input with inputs", `model:
  layers:
    - Input: {name: x, shape: [2]}
    - Input: {name: z, shape: [2]}
      inputs: [x]
`, `g.yaml:5: layer "z" (InputLayer): an Input takes no inputs`},
		{"first not input", `model:
  outputs: [dense_1]
  layers:
    - Dense: {units: 3}
`, `g.yaml:4: layer "dense_1" (Dense): the first layer of a graph must be an Input`},
		{"input_shape", `model:
  input_shape: [3]
  outputs: [dense_1]
  layers:
    - Dense: {units: 3}
`, `g.yaml:2: model.input_shape is for a Sequential stack`},
		{"not an input", `model:
  inputs: [dense_1]
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {units: 3}
`, `g.yaml:2: model.inputs: "dense_1" is a Dense layer, not an Input (Inputs: x)`},
		{"two classes", `model:
  outputs: [dense_1]
  layers:
    - Input: {name: x, shape: [2]}
    - Dense: {units: 3}
      Dropout: {rate: 0.1}
`, "g.yaml:6: one layer per entry: `- Dense: {...}` is followed by \"Dropout\""},
	} {
		_, err := Parse([]byte(c.src), "g.yaml", "")
		var se *Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v\nwant an *Error starting %s", c.name, err, c.want)
		}
	}
}

// TestGraphSpecBuildErrors checks that a shape error found while the
// graph is built is placed at the entry that applies the layer.
func TestGraphSpecBuildErrors(t *testing.T) {
	src := `model:
  layers:
    - Input: {name: a, shape: [4]}
    - Input: {name: b, shape: [5]}
    - Dense: {name: shared, units: 3}
      inputs: [a]
    - apply: shared
      inputs: [b]
  outputs: [shared, "shared[1]"]
`
	s, err := Parse([]byte(src), "g.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Build(1)
	want := `g.yaml:7: layer "shared" (Dense) was built for input shape (4,) and cannot take (5,)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Build: %v\nwant %s", err, want)
	}
}

// TestGraphSpecWeights checks explicit weights in a graph spec: they are
// kept, and the others are drawn from the seed.
func TestGraphSpecWeights(t *testing.T) {
	src := `model:
  layers:
    - Input: {shape: [2]}
    - Dense: {units: 2, activation: relu}
    - Dense: {units: 1, weights: {kernel: [[1], [2]], bias: [0.5]}}
  outputs: [dense_2]
`
	s, err := Parse([]byte(src), "w.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	layers.ResetNames()
	m, err := s.Build(3)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Layer("dense_2")
	if err != nil {
		t.Fatal(err)
	}
	ws := layers.GetWeights(l)
	if ws[0].Data[0] != 1 || ws[0].Data[1] != 2 || ws[1].Data[0] != 0.5 {
		t.Errorf("explicit weights %v %v", ws[0].Data, ws[1].Data)
	}
	first, _ := m.Layer("dense_1")
	if k := layers.GetWeights(first)[0]; k.Data[0] == 0 && k.Data[1] == 0 {
		t.Errorf("dense_1's kernel was not drawn: %v", k.Data)
	}
}

// branchSpec is two Dense branches from one input, concatenated.
const branchSpec = `model:
  layers:
    - Input: {name: image, shape: [6]}
    - Dense: {name: left, units: 4, activation: relu}
      inputs: [image]
    - Dense: {name: right, units: 3, activation: tanh}
      inputs: [image]
    - Concatenate: {name: merged}
      inputs: [left, right]
    - Dense: {name: out, units: 2, activation: softmax}
compile: {loss: categorical_crossentropy, optimizer: adam, metrics: [accuracy]}
`

func TestGraphSpecConcatenate(t *testing.T) {
	s, err := Parse([]byte(branchSpec), "branches.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(3)
	if err != nil {
		t.Fatal(err)
	}
	in := layers.Apply(layers.Named("image", &layers.Input{Shape: []int{6}}))
	left := layers.Apply(layers.Named("left", &layers.Dense{Units: 4, Activation: "relu"}), in)
	right := layers.Apply(layers.Named("right", &layers.Dense{Units: 3, Activation: "tanh"}), in)
	merged := layers.Apply(layers.Named("merged", &layers.Concatenate{}), left, right)
	out := layers.Apply(layers.Named("out", &layers.Dense{Units: 2, Activation: "softmax"}), merged)
	want, err := models.NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{out})
	if err != nil {
		t.Fatal(err)
	}
	want.Seed = 3
	want.Name = m.Name
	var got, exp bytes.Buffer
	if err := m.Summary(&got); err != nil {
		t.Fatal(err)
	}
	if err := want.Summary(&exp); err != nil {
		t.Fatal(err)
	}
	if got.String() != exp.String() || !strings.Contains(got.String(), "right[0][0]") {
		t.Errorf("spec summary:\n%s\nfunctional API's:\n%s", got.String(), exp.String())
	}
	x := tensor.New(5, 6)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	pg, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := want.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pw.Data {
		if pg.Data[i] != pw.Data[i] {
			t.Fatalf("prediction %d: spec %v, Go %v", i, pg.Data[i], pw.Data[i])
		}
	}
}
