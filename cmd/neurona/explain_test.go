package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

const forwardSpec = "../../examples/specs/forward-propagation.yaml"

// explainTestLayer is a layer that explain does not support. It is
// registered only in the neurona processes that TestExplainErrors starts,
// so that the layer lists of other tests do not change.
type explainTestLayer struct{ layers.Flatten }

func (*explainTestLayer) ClassName() string { return "ExplainTestLayer" }

func init() {
	if os.Getenv("NEURONA_EXPLAIN_TEST_LAYER") == "1" {
		layers.Register("ExplainTestLayer", func() layers.Layer { return &explainTestLayer{} })
	}
}

// explainFiles writes files into a new directory and returns it.
func explainFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// explainJSON is the part of explain's JSON output that the tests read.
type explainJSON struct {
	Source *struct {
		File    string    `json:"file"`
		Row     int       `json:"row"`
		Columns []string  `json:"columns"`
		Values  []float64 `json:"values"`
	} `json:"source"`
	Input struct {
		Names  []string  `json:"names"`
		Values []float64 `json:"values"`
	} `json:"input"`
	Layers []struct {
		Name       string `json:"name"`
		Class      string `json:"class"`
		Activation string `json:"activation"`
		Neurons    []struct {
			Name       string    `json:"name"`
			Inputs     []float64 `json:"inputs"`
			Weights    []float64 `json:"weights"`
			Bias       *float64  `json:"bias"`
			Z          *float64  `json:"z"`
			Activation string    `json:"activation"`
			Output     float64   `json:"output"`
		} `json:"neurons"`
	} `json:"layers"`
	Output struct {
		Names  []string  `json:"names"`
		Values []float64 `json:"values"`
	} `json:"output"`
}

func parseExplainJSON(t *testing.T, out string) explainJSON {
	t.Helper()
	var ex explainJSON
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatalf("the JSON output does not parse: %v\n%s", err, out)
	}
	return ex
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*max(1, math.Abs(b)) }

func TestExplainForwardPropagation(t *testing.T) {
	out, stderr, code := neurona(t, nil, "explain", forwardSpec)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"Input: x1 = 4, x2 = 3\n",
		"Layer dense_1 (Dense, relu):\n",
		"  a1: z = -0.5·4 + 1.5·3 + (-0.9) = 1.6;  a1 = relu(1.6) = max(1.6, 0) = 1.6\n",
		"  a3: z = 1·4 + (-1)·3 + (-2) = -1;  a3 = relu(-1) = max(-1, 0) = 0\n",
		"  a4: z = 1·1.6 + 0.5·2 + 1·0 + (-0.1) = 2.5;  a4 = relu(2.5) = max(2.5, 0) = 2.5\n",
		"  a5: z = 0.5·1.6 + 0.5·2 + (-1)·0 + 0.2 = 2;  a5 = relu(2) = max(2, 0) = 2\n",
		"Layer dense_3 (Dense, sigmoid):\n",
		"  output: z = 1·2.5 + 0.5·2 + (-5.5) = -2;  output = sigmoid(-2) = 1/(1+e^2) = 0.1192\n",
		"\nOutput: 0.1192\n",
		"The output 0.1192 is the probability that the instance (4, 3) belongs to the class.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	// The spec's opening comment is one paragraph that describes it.
	src, err := os.ReadFile(forwardSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(src), "# The book's forward-propagation") {
		t.Errorf("the spec does not open with its description:\n%s", src)
	}
}

// TestExplainJSON checks the JSON walk-through against the text one: the
// same neurons with the same numbers.
func TestExplainJSON(t *testing.T) {
	text, _, code := neurona(t, nil, "explain", forwardSpec)
	if code != 0 {
		t.Fatalf("text: exit %d", code)
	}
	out, stderr, code := neurona(t, nil, "explain", forwardSpec, "--format", "json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	ex := parseExplainJSON(t, out)
	if fmt.Sprint(ex.Input.Names, ex.Input.Values) != "[x1 x2] [4 3]" {
		t.Errorf("input %v %v", ex.Input.Names, ex.Input.Values)
	}
	var names []string
	for _, l := range ex.Layers {
		if l.Class != "Dense" {
			t.Errorf("layer %s has class %q", l.Name, l.Class)
		}
		for _, n := range l.Neurons {
			names = append(names, n.Name)
			if n.Z == nil || n.Bias == nil || n.Activation != l.Activation || len(n.Inputs) != len(n.Weights) {
				t.Errorf("neuron %s is incomplete: %+v", n.Name, n)
				continue
			}
			line := fmt.Sprintf("  %s: z = ", n.Name)
			i := strings.Index(text, line)
			if i < 0 {
				t.Errorf("the text has no line for %s", n.Name)
				continue
			}
			line = text[i : i+strings.IndexByte(text[i:], '\n')]
			if !strings.Contains(line, " = "+fmtNum(*n.Z)+";") || !strings.HasSuffix(line, " = "+fmtNum(n.Output)) {
				t.Errorf("JSON z %v, output %v; text %q", *n.Z, n.Output, line)
			}
		}
	}
	if got := strings.Join(names, " "); got != "a1 a2 a3 a4 a5 output" {
		t.Errorf("neurons %s, want a1 a2 a3 a4 a5 output", got)
	}
	a1 := ex.Layers[0].Neurons[0]
	if fmt.Sprint(a1.Inputs, a1.Weights, *a1.Bias, *a1.Z, a1.Output) != "[4 3] [-0.5 1.5] -0.9 1.6 1.6" {
		t.Errorf("a1: %+v", a1)
	}
	o := ex.Layers[2].Neurons[0]
	if fmt.Sprint(o.Inputs, o.Weights, *o.Bias) != "[2.5 2] [1 0.5] -5.5" || o.Activation != "sigmoid" || !near(*o.Z, -2, 1e-6) || !near(o.Output, 1/(1+math.Exp(2)), 1e-6) {
		t.Errorf("output neuron: %+v", o)
	}
	if len(ex.Output.Values) != 1 || ex.Output.Names[0] != "output" || ex.Output.Values[0] != o.Output {
		t.Errorf("output %+v", ex.Output)
	}
}

// TestExplainAgreesWithPredict checks the walk-through's values against
// the model's own forward pass.
func TestExplainAgreesWithPredict(t *testing.T) {
	layers.ResetNames()
	s, err := spec.ParseFile(forwardSpec)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(0)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := m.Predict(tensor.FromSlice(s.ExplainInput, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(pred.Data[0])-0.1192) > 5e-5 {
		t.Errorf("Predict gives %v, the book 0.1192", pred.Data[0])
	}
	out, _, _ := neurona(t, nil, "explain", forwardSpec, "--format", "json")
	if got := parseExplainJSON(t, out).Output.Values[0]; !near(got, float64(pred.Data[0]), 1e-6) {
		t.Errorf("explain gives %v, Predict %v", got, pred.Data[0])
	}

	// Every supported layer and activation, with weights drawn at random
	// and moving statistics that are not the identity.
	r := rand.New(rand.NewPCG(3, 4))
	for _, last := range []layers.Layer{
		&layers.Dense{Units: 3, Activation: activations.Softmax},
		&layers.Dense{Units: 1, Activation: activations.Sigmoid},
		&layers.Activation{Activation: activations.Softmax},
		&layers.Activation{Activation: activations.Tanh},
	} {
		layers.ResetNames()
		m := models.NewSequential(
			&layers.Input{Shape: []int{4}},
			&layers.BatchNormalization{},
			&layers.Dense{Units: 5, Activation: activations.Tanh},
			&layers.Dense{Units: 6, Activation: activations.Sigmoid, NoBias: true},
			&layers.Dropout{Rate: 0.3},
			&layers.Dense{Units: 4},
			&layers.Activation{Activation: activations.ReLU},
			&layers.BatchNormalization{Epsilon: 0.01},
			last,
		)
		m.Seed = 9
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		for _, w := range m.Weights() {
			for i := range w.Var.Value.Data {
				switch {
				case strings.HasSuffix(w.Name, "moving_variance"):
					w.Var.Value.Data[i] = 0.2 + r.Float32()
				case strings.Contains(w.Name, "batch_normalization"), strings.HasSuffix(w.Name, "bias"):
					w.Var.Value.Data[i] = r.Float32() - 0.5
				}
			}
		}
		x := []float32{1.5, -0.25, 3, 0.7}
		pred, err := m.Predict(tensor.FromSlice(x, 1, 4))
		if err != nil {
			t.Fatal(err)
		}
		ex, err := explainModel(m, []float64{1.5, -0.25, 3, 0.7}, numbered("x", 4))
		if err != nil {
			t.Fatal(err)
		}
		if len(ex.Output.Values) != len(pred.Data) {
			t.Fatalf("%d outputs, Predict %d", len(ex.Output.Values), len(pred.Data))
		}
		for i, v := range ex.Output.Values {
			if !near(float64(v), float64(pred.Data[i]), 1e-5) {
				t.Errorf("%s: output %d is %v, Predict %v", last.ClassName(), i, v, pred.Data[i])
			}
		}
		text := ex.text()
		for _, want := range []string{
			"Layer batch_normalization_1 (BatchNormalization): (x - moving mean)/√(moving variance + ε)·γ + β, with ε = 0.001\n",
			"with ε = 0.01\n",
			"Layer dropout_1 (Dropout, rate 0.3): the identity at inference",
			"  a11: z = ", // hidden neurons are numbered across layers
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the text lacks %q:\n%s", last.ClassName(), want, text)
			}
		}
		// The last Dense layer holds the output neurons.
		if _, ok := last.(*layers.Dense); ok {
			if !strings.Contains(text, "  a15: z = ") || strings.Contains(text, "a16") || !strings.Contains(text, "\nOutput: ") {
				t.Errorf("hidden neurons a1-a15, then the outputs:\n%s", text)
			}
		} else if !strings.Contains(text, "  y4: z = ") || strings.Contains(text, "a12") {
			t.Errorf("hidden neurons a1-a11, then the outputs y1-y4:\n%s", text)
		}
		if strings.Contains(text, ", softmax):") {
			if !strings.Contains(text, "softmax: each output is e^z / (") || !strings.Contains(text, "The outputs are the probabilities of the") {
				t.Errorf("softmax without its normalization:\n%s", text)
			}
		}
		if _, err := json.Marshal(ex); err != nil {
			t.Error(err)
		}
	}
}

func TestExplainNumberFormat(t *testing.T) {
	for v, want := range map[float64]string{
		1.6000000238418579: "1.6", -0.5: "-0.5", 0.11920292202211755: "0.1192", 2: "2", -2: "-2",
		-0.00001: "-1e-05", 0.00004999: "4.999e-05", 0.00005: "0.0001", 0: "0", math.Copysign(0, -1): "0", -0.00004: "-4e-05",
		-0.00006: "-0.0001", 0.00012: "0.0001", 1234.56789: "1234.5679", 0.99999: "1",
		3e12: "3e+12", math.Inf(1): "+Inf",
	} {
		if got := fmtNum(v); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", v, got, want)
		}
	}
	if got := fmtNum(-0.00001234); got != "-1.234e-05" {
		t.Errorf("fmtNum(-0.00001234) = %q", got)
	}
}

// labelsCSV makes a binary classification data set.
func labelsCSV(n int) string {
	r := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("height,weight,age,label\n")
	for range n {
		h, w, a := 150+50*r.Float64(), 50+60*r.Float64(), 20+40*r.Float64()
		label := 0
		if w/(h*h)*1e4+0.05*a > 25 {
			label = 1
		}
		fmt.Fprintf(&b, "%.1f,%.1f,%.0f,%d\n", h, w, a, label)
	}
	return b.String()
}

// TestExplainModelRow explains a model trained and saved by 'neurona
// train' on a row of its CSV file, with the saved standardization.
func TestExplainModelRow(t *testing.T) {
	dir := explainFiles(t, map[string]string{
		"people.csv": labelsCSV(60),
		"people.yaml": `
model:
  input_shape: [3]
  layers:
    - Dense: {units: 4, activation: relu}
    - BatchNormalization
    - Dropout: {rate: 0.1}
    - Dense: {units: 1, activation: sigmoid}
compile:
  loss: binary_crossentropy
  optimizer: adam
data:
  csv: people.csv
  targets: [label]
  preprocessing: {standardize: true}
fit:
  epochs: 3
  batch_size: 8
  seed: 1
  verbose: 0
output:
  model: people.nrn
`})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "people.yaml")); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	model, data := filepath.Join(dir, "people.nrn"), filepath.Join(dir, "people.csv")

	out, stderr, code := neurona(t, nil, "explain", "--model", model, "--row", "5", data, "--format", "json")
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, stderr)
	}
	ex := parseExplainJSON(t, out)

	// The same row through the model's own preprocessing and Predict.
	m, err := models.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	p, err := spec.PreprocessingFromMetadata(m.Metadata, model)
	if err != nil {
		t.Fatal(err)
	}
	split, err := p.ReadCSV(data, true)
	if err != nil {
		t.Fatal(err)
	}
	raw := split.X.Clone()
	if err := p.Apply(&split, data); err != nil {
		t.Fatal(err)
	}
	pred, err := m.Predict(split.X)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Source == nil || ex.Source.Row != 5 || strings.Join(ex.Source.Columns, ",") != "height,weight,age" {
		t.Fatalf("source %+v", ex.Source)
	}
	for i := range 3 {
		if !near(ex.Source.Values[i], float64(raw.Row(5)[i]), 1e-6) || !near(ex.Input.Values[i], float64(split.X.Row(5)[i]), 1e-6) {
			t.Errorf("feature %d: raw %v, input %v; want %v, %v", i, ex.Source.Values[i], ex.Input.Values[i], raw.Row(5)[i], split.X.Row(5)[i])
		}
	}
	if got, want := ex.Output.Values[0], float64(pred.Data[5]); !near(got, want, 1e-5) {
		t.Errorf("explain gives %v, Predict %v", got, want)
	}
	if classes := fmt.Sprint(ex.Layers[0].Class, ex.Layers[1].Class, ex.Layers[2].Class, ex.Layers[3].Class); classes != "DenseBatchNormalizationDropoutDense" {
		t.Errorf("layers %s", classes)
	}

	text, stderr, code := neurona(t, nil, "explain", "--model", model, "--row", "5", data)
	if code != 0 {
		t.Fatalf("explain: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Row 5 of " + data + ": height = ",
		"Preprocessing saved with the model: standardized with the training data's mean and standard deviation\n",
		"\nInput: height = ",
		"  a1: z = ",
		"  output: z = ",
		fmt.Sprintf("The output %s is the probability that row 5 of %s belongs to the class.\n", fmtNum(ex.Output.Values[0]), data),
		fmt.Sprintf("The file's target for row 5: label = %s\n", fmtNum(float64(split.Y.Row(5)[0]))),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}

	// Row 60 is past the end of a file of 60 rows.
	_, stderr, code = neurona(t, nil, "explain", "--model", model, "--row", "60", data)
	if want := "row 60 is out of range: the file has 60 data rows, numbered from 0 to 59"; code != exitError || !strings.Contains(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("row 60: exit %d, stderr %q; want 1 and %q", code, stderr, want)
	}
}

func TestExplainErrors(t *testing.T) {
	layers.ResetNames()
	dir := explainFiles(t, map[string]string{
		"noexplain.yaml": "model:\n  input_shape: [2]\n  layers:\n    - Dense: {units: 1}\n",
		"long.yaml":      "model:\n  input_shape: [2]\n  layers:\n    - Dense: {units: 1}\nexplain:\n  input: [1, 2, 3]\n",
		"names.yaml":     "model:\n  input_shape: [2]\n  layers:\n    - Dense: {units: 1}\nexplain:\n  input: [1, 2]\n  names: [a]\n",
		"noinput.yaml":   "model:\n  input_shape: [2]\n  layers:\n    - Dense: {units: 1}\nexplain:\n  names: [a, b]\n",
		"layer.yaml":     "model:\n  input_shape: [2]\n  layers:\n    - Dense: {units: 2}\n    - ExplainTestLayer\n    - Dense: {units: 1}\nexplain:\n  input: [1, 2]\n",
		"data.csv":       "a,b\n1,2\n",
	})
	spec := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{spec("noexplain.yaml")}, exitError, "noexplain.yaml: explain.input is missing: add explain: {input: [4.0, 3.0]} with one value per model input"},
		{[]string{spec("noinput.yaml")}, exitError, "noinput.yaml:6: explain needs an input"},
		{[]string{spec("long.yaml")}, exitError, "long.yaml: explain.input has 3 values but the model takes 2 inputs"},
		{[]string{spec("names.yaml")}, exitError, "names.yaml: explain.names has 1 names but explain.input has 2 values"},
		{[]string{spec("layer.yaml")}, exitError, "layer explain_test_layer_1 (ExplainTestLayer) is not supported by explain, which walks through Dense, Activation, Dropout, BatchNormalization and Input layers"},
		{[]string{spec("missing.yaml")}, exitError, "no such file"},
		{[]string{forwardSpec, "--format", "xml"}, exitUsage, `explain: --format must be text or json, not "xml"`},
		{[]string{forwardSpec, "--row", "2"}, exitUsage, "explain: --row goes with --model"},
		{[]string{"--model", "m.nrn", "--row", "-1", spec("data.csv")}, exitUsage, "explain: --row must not be negative"},
		{[]string{"--model", "m.nrn", forwardSpec}, exitUsage, "explain: with --model, name a CSV file of data"},
		{[]string{spec("data.csv")}, exitUsage, "is not a spec (.yaml); explain a saved model with neurona explain --model"},
		{[]string{"--model", spec("missing.nrn"), spec("data.csv")}, exitError, "missing.nrn"},
	} {
		args := append([]string{"explain"}, c.args...)
		out, stderr, code := neurona(t, []string{"NEURONA_EXPLAIN_TEST_LAYER=1"}, args...)
		if code != c.code || !strings.Contains(stderr, c.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.err)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "neurona: ") {
			t.Errorf("%v: stderr is not one line: %q", c.args, stderr)
		}
		if out != "" {
			t.Errorf("%v: output on an error: %q", c.args, out)
		}
	}

	// Help exits 0 and says that rows are numbered from 0.
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"explain", "--help"}, &out, &errb); code != exitOK ||
		!strings.Contains(errb.String(), "numbered from 0") {
		t.Errorf("--help: exit %d, %q", code, errb.String())
	}

	// An unsupported layer is reported in Go too.
	m := models.NewSequential(&layers.Dense{Units: 2, InputDim: 2}, &layers.Flatten{}, &layers.Dense{Units: 1})
	if _, err := explainModel(m, []float64{1, 2}, numbered("x", 2)); err == nil || !strings.Contains(err.Error(), "layer flatten_1 (Flatten) is not supported by explain") {
		t.Errorf("Flatten: %v", err)
	}
}
