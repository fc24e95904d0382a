package main

import (
	"fmt"
	"github.com/neurona/neurona/layers"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes files into a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// housesCSV makes a regression data set: price from three features.
func housesCSV(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("rooms,age,distance,price\n")
	for range n {
		rooms, age, dist := 3+6*r.Float64(), 100*r.Float64(), 1+11*r.Float64()
		fmt.Fprintf(&b, "%.3f,%.1f,%.2f,%.2f\n", rooms, age, dist, 5*rooms-0.1*age-dist+20+r.NormFloat64())
	}
	return b.String()
}

// flowersCSV makes a 3-class data set with the label in the last column.
func flowersCSV(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	b.WriteString("petal,sepal,stem,species\n")
	for i := range n {
		c := i % 3
		v := []float64{r.NormFloat64() * 0.4, r.NormFloat64() * 0.4, r.NormFloat64() * 0.4}
		v[c] += 2
		fmt.Fprintf(&b, "%.3f,%.3f,%.3f,%d\n", v[0], v[1], v[2], c)
	}
	return b.String()
}

// TestSpecRegressionEndToEnd is what a new user does from the README: a
// spec over their own CSV, then evaluate and predict with the saved model.
func TestSpecRegressionEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"houses.csv": housesCSV(300, 1),
		"new.csv":    "distance,age,rooms,owner\n5,50,6,ann\n2,10,8,bob\n9,90,3,cy\n",
		"house.yaml": `
model:
  input_shape: [3]
  layers:
    - Dense: {units: 16, activation: relu}
    - Dense: {units: 1}
compile:
  loss: mse
  optimizer: {name: adam, learning_rate: 0.01}
  metrics: [mae]
data:
  csv: houses.csv
  targets: [price]
  validation_split: 0.2
  preprocessing: {standardize: true}
fit:
  epochs: 40
  batch_size: 16
  seed: 1
output:
  model: house.nrn
  history: history.csv
  plot: curves.png
`})
	out, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "house.yaml"), "--verbose", "2")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "Train on 240 samples, validate on 60 samples") || strings.Count(out, "val_mae: ") != 40 {
		t.Errorf("training output:\n%s", out)
	}
	checkPNG(t, filepath.Join(dir, "curves.png"))
	hist, err := os.ReadFile(filepath.Join(dir, "history.csv"))
	if err != nil || !strings.HasPrefix(string(hist), "epoch,loss,mae,val_loss,val_mae\n") {
		t.Errorf("history: %q %v", hist, err)
	}
	model := filepath.Join(dir, "house.nrn")
	out, stderr, code = neurona(t, nil, "evaluate", model, filepath.Join(dir, "houses.csv"))
	var loss, mae float64
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	if _, err := fmt.Sscanf(out, "loss: %g - mae: %g", &loss, &mae); err != nil || mae > 3 {
		t.Errorf("evaluate printed %q (mae %v): the model did not learn", out, mae)
	}
	// predict reads the feature columns by name, in any order, ignores
	// others, and keeps the input's row order.
	out, stderr, code = neurona(t, nil, "predict", model, filepath.Join(dir, "new.csv"))
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "price" {
		t.Fatalf("predict output:\n%s", out)
	}
	var p [3]float64
	for i := range p {
		fmt.Sscan(lines[i+1], &p[i])
	}
	// Row 2 (8 rooms, new, close) is worth most, row 3 least.
	if !(p[1] > p[0] && p[0] > p[2]) {
		t.Errorf("predictions %v are not in the order the data implies", p)
	}
	out, _, code = neurona(t, nil, "summary", model)
	if code != 0 || !strings.Contains(out, "Total params: 81") {
		t.Errorf("summary: %d\n%s", code, out)
	}
}

func TestSpecClassifierEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"train.csv": flowersCSV(300, 1),
		"test.csv":  flowersCSV(90, 2),
		"flowers.yaml": `
model:
  input_shape: [3]
  layers:
    - Dense: {units: 8, activation: tanh}
    - Dense: {units: 3, activation: softmax}
compile:
  loss: categorical_crossentropy
  optimizer: adam
  metrics: [accuracy]
data:
  csv: train.csv
  targets: [species]
  test_csv: test.csv
  validation_split: 0.1
  preprocessing: {one_hot: 3}
fit:
  epochs: 30
  batch_size: 16
output:
  model: flowers.nrn
  history: flowers.csv
  plot: flowers.svg
`})
	out, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "flowers.yaml"), "--verbose", "0")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	var loss, acc float64
	i := strings.Index(out, "Test (90 samples): ")
	if i < 0 {
		t.Fatalf("no test line in:\n%s", out)
	}
	if _, err := fmt.Sscanf(out[i:], "Test (90 samples): loss: %g - accuracy: %g", &loss, &acc); err != nil || acc < 0.9 {
		t.Errorf("test line %q: accuracy %v", out[i:], acc)
	}
	for _, f := range []string{"flowers.nrn", "flowers.csv", "flowers.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	out, _, code = neurona(t, nil, "predict", filepath.Join(dir, "flowers.nrn"), filepath.Join(dir, "test.csv"))
	if code != 0 || !strings.HasPrefix(out, "output_0,output_1,output_2\n") || strings.Count(out, "\n") != 91 {
		t.Errorf("predict: exit %d\n%.200s", code, out)
	}
}

// TestErrors covers every class of user error with its exact message and
// exit code.
func TestErrors(t *testing.T) {
	good := `model:
  input_shape: [3]
  layers:
    - Dense: {units: 4, activation: relu}
    - Dense: {units: 1}
compile:
  loss: mse
  optimizer: adam
data:
  csv: data.csv
  targets: [y]
fit:
  epochs: 1
`
	edit := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("test setup: %q not in spec", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	data := "a,b,c,y\n1,2,3,4\n5,6,7,8\n"
	cases := []struct {
		name, spec, data, want string
		code                   int
	}{
		{"unknown layer", edit("Dense: {units: 4", "Dens: {units: 4"), data,
			"spec.yaml:4: unknown layer class \"Dens\" (valid: " + strings.Join(layers.ClassNames(), ", ") + ")", 1},
		{"unknown activation", edit("relu", "relux"), data,
			"spec.yaml:4: layer \"dense_1\" (Dense): unknown activation \"relux\" (valid: linear, relu, sigmoid, tanh, softmax)", 1},
		{"unknown loss", edit("loss: mse", "loss: msq"), data, "spec.yaml:7: unknown loss \"msq\" (valid: ", 1},
		{"unknown optimizer", edit("optimizer: adam", "optimizer: adamw"), data,
			"spec.yaml:8: unknown optimizer \"adamw\" (valid: Adam, RMSprop, SGD, adam, rmsprop, sgd)", 1},
		{"wrong type", edit("units: 4", "units: four"), data,
			"spec.yaml:4: layer class Dense: field \"units\" must be an integer, not string", 1},
		{"unknown field", edit("units: 4", "unit: 4"), data,
			"spec.yaml:4: layer class Dense: unknown field \"unit\" (valid: units, activation, no_bias, input_dim, name, input_shape, frozen)", 1},
		{"unknown section", good + "outputs: {}\n", data,
			"spec.yaml:14: unknown key \"outputs\" in the spec (valid: model, compile, data, fit, output, explain)", 1},
		{"missing field", edit("  targets: [y]\n", ""), data,
			"spec.yaml:10: data.targets must name the CSV's target columns, e.g. targets: [price]", 1},
		{"missing section", edit("compile:\n  loss: mse\n  optimizer: adam\n", ""), data,
			"spec.yaml: missing section \"compile\" (loss and optimizer)", 1},
		{"shape does not fit", edit("    - Dense: {units: 1}", "    - Dense: {units: 1, input_shape: [5]}"), data,
			"spec.yaml:5: layer \"dense_2\" (Dense) declares input shape (None, 5) but receives (None, 4) from layer \"dense_1\"", 1},
		{"bad YAML", "model: [\n", data, "spec.yaml:", 1},
		{"missing column", edit("targets: [y]", "targets: [price]"), data,
			"data.csv: missing column \"price\"", 1},
		{"non-numeric cell", good, "a,b,c,y\n1,2,3,4\n5,x,7,8\n", "data.csv: line 3, column \"b\": \"x\" is not a number", 1},
		{"ragged row", good, "a,b,c,y\n1,2,3,4\n5,6,7\n", "data.csv: line 3: 3 fields, the header has 4", 1},
		{"empty file", good, "", "data.csv: the file is empty", 1},
		{"NaN", good, "a,b,c,y\n1,2,3,4\n5,NaN,7,8\n", "data.csv: line 3, column \"b\": NaN is not allowed", 1},
		{"label out of range", edit("data:\n", "data:\n  preprocessing: {one_hot: 4}\n"), "a,b,c,y\n1,2,3,1\n5,6,7,8\n",
			"data.csv: row 2, column \"y\": 8 is out of range for 4 classes", 1},
	}
	for _, c := range cases {
		dir := writeFiles(t, map[string]string{"spec.yaml": c.spec, "data.csv": c.data})
		_, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0")
		stderr = strings.ReplaceAll(stderr, dir+string(filepath.Separator), "")
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.name, code, stderr, c.code, c.want)
		}
		if strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "goroutine") {
			t.Errorf("%s: stderr is not one line: %q", c.name, stderr)
		}
	}
	// Usage errors exit 2.
	for _, args := range [][]string{{"train"}, {"train", "a.yaml", "--epoch", "3"}, {"predict", "m.nrn"}, {"evaluate"}} {
		if _, _, code := neurona(t, nil, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestGraphSpecEndToEnd trains a graph spec (a layer applied twice, sharing
// its weights) on a CSV file, then evaluates, predicts with and summarizes
// the saved graph model.
func TestGraphSpecEndToEnd(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"houses.csv": housesCSV(300, 3),
		"new.csv":    "rooms,age,distance\n6,50,5\n8,10,2\n3,90,9\n",
		"graph.yaml": `
model:
  layers:
    - Input: {name: features, shape: [3]}
    - Dense: {name: h, units: 16, activation: relu}
      inputs: [features]
    - Dense: {name: mix, units: 16, activation: tanh}
    - apply: mix
    - Dense: {name: price, units: 1}
  outputs: [price]
compile:
  loss: mse
  optimizer: {name: adam, learning_rate: 0.01}
  metrics: [mae]
data:
  csv: houses.csv
  targets: [price]
  validation_split: 0.2
  preprocessing: {standardize: true}
fit: {epochs: 40, batch_size: 16, seed: 2}
output: {model: graph.nrn}
explain: {input: [6, 50, 5]}
`})
	out, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "graph.yaml"), "--verbose", "2")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "features (InputLayer)") || !strings.Contains(out, "Total params: 353") ||
		strings.Count(out, "val_mae: ") != 40 {
		t.Errorf("training output:\n%s", out)
	}
	model := filepath.Join(dir, "graph.nrn")
	out, stderr, code = neurona(t, nil, "evaluate", model, filepath.Join(dir, "houses.csv"))
	var loss, mae float64
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, stderr)
	}
	if _, err := fmt.Sscanf(out, "loss: %g - mae: %g", &loss, &mae); err != nil || mae > 3 {
		t.Errorf("evaluate printed %q (mae %v): the graph did not learn", out, mae)
	}
	out, stderr, code = neurona(t, nil, "predict", model, filepath.Join(dir, "new.csv"))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || lines[0] != "price" {
		t.Fatalf("predict: exit %d: %s\n%s", code, stderr, out)
	}
	var p [3]float64
	for i := range p {
		fmt.Sscan(lines[i+1], &p[i])
	}
	if !(p[1] > p[0] && p[0] > p[2]) {
		t.Errorf("predictions %v are not in the order the data implies", p)
	}
	out, _, code = neurona(t, nil, "summary", model)
	if code != 0 || !strings.Contains(out, "mix (Dense)") || !strings.Contains(out, "Total params: 353") {
		t.Errorf("summary of the saved graph: %d\n%s", code, out)
	}
	// A graph with two outputs does not train from one target array.
	two := strings.Replace(strings.Replace(specText(t, filepath.Join(dir, "graph.yaml")),
		"outputs: [price]", "outputs: [price, h]", 1), "output: {model: graph.nrn}", "", 1)
	if err := os.WriteFile(filepath.Join(dir, "two.yaml"), []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = neurona(t, nil, "train", filepath.Join(dir, "two.yaml"), "--verbose", "0")
	if code != exitError || !strings.Contains(stderr, "has 1 inputs and 2 outputs") {
		t.Errorf("train of a two-output graph: exit %d, %q", code, stderr)
	}
	// explain walks through Sequential models only, and says so.
	_, stderr, code = neurona(t, nil, "explain", filepath.Join(dir, "graph.yaml"))
	if code != exitError || !strings.Contains(stderr, "explain walks through Sequential stacks") {
		t.Errorf("explain of a graph spec: exit %d, %q", code, stderr)
	}
}

func specText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
