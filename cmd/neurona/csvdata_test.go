package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// irisCSV writes n rows of iris-like data with class names, the classes
// apart on every feature; the rows cycle through virginica, setosa and
// versicolor.
func irisCSV(n int, withLabels bool) string {
	names := []string{"virginica", "setosa", "versicolor"}
	centre := map[string]float64{"setosa": 1, "versicolor": 4, "virginica": 7}
	var b strings.Builder
	b.WriteString("150,4,setosa,versicolor,virginica\n") // sklearn's count line
	b.WriteString("sl,sw,pl,pw")
	if withLabels {
		b.WriteString(",species")
	}
	b.WriteString("\n")
	for i := range n {
		c := names[i%3]
		j := float64(i%5) / 10
		fmt.Fprintf(&b, "%.2f,%.2f,%.2f,%.2f", centre[c]+j, centre[c]-j, centre[c]/2+j, centre[c]/3)
		if withLabels {
			b.WriteString("," + c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestPredictClassNames trains on class names and checks that predict
// prints the class names beside the probabilities, and that evaluate
// reads the names.
func TestPredictClassNames(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"iris.csv":  irisCSV(60, true),
		"input.csv": irisCSV(6, false),
		"spec.yaml": `
model:
  layers: [{Dense: {units: 8, activation: tanh}}, {Dense: {units: 3, activation: softmax}}]
compile: {loss: sparse_categorical_crossentropy, optimizer: {name: adam, learning_rate: 0.05}, metrics: [accuracy]}
data: {csv: iris.csv, skip_rows: 1, targets: [species], preprocessing: {standardize: true}}
fit: {epochs: 30, batch_size: 8, seed: 1}
output: {model: m.nrn}
`})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0"); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code := neurona(t, nil, "predict", filepath.Join(dir, "m.nrn"), filepath.Join(dir, "input.csv"))
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[0] != "species,setosa,versicolor,virginica" {
		t.Fatalf("predict printed:\n%s", out)
	}
	for i, line := range lines[1:] {
		f := strings.Split(line, ",")
		want := []string{"virginica", "setosa", "versicolor"}[i%3]
		if len(f) != 4 || f[0] != want {
			t.Errorf("row %d: %q, want class %s", i+1, line, want)
			continue
		}
		sum := 0.0
		for _, p := range f[1:] {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil {
				t.Fatal(err)
			}
			sum += v
		}
		if sum < 0.99 || sum > 1.01 {
			t.Errorf("row %d: probabilities sum to %v", i+1, sum)
		}
	}
	out, stderr, code = neurona(t, nil, "evaluate", filepath.Join(dir, "m.nrn"), filepath.Join(dir, "iris.csv"))
	if code != 0 || !strings.Contains(out, "accuracy: 1.0000") {
		t.Errorf("evaluate: %s %s", out, stderr)
	}
}

// TestPredictStandardizedTargets checks that predict prints values in the
// targets' units when standardize_targets is on.
func TestPredictStandardizedTargets(t *testing.T) {
	var train, input strings.Builder
	train.WriteString("x,y\n")
	input.WriteString("x\n")
	for i := range 40 {
		x := float64(i) / 40
		fmt.Fprintf(&train, "%.3f,%.1f\n", x, 5000+2000*x)
		if i%10 == 0 {
			fmt.Fprintf(&input, "%.3f\n", x)
		}
	}
	dir := writeFiles(t, map[string]string{
		"d.csv":     train.String(),
		"input.csv": input.String(),
		"spec.yaml": `
model: {layers: [{Dense: {units: 1}}]}
compile: {loss: mse, optimizer: {name: adam, learning_rate: 0.1}}
data: {csv: d.csv, targets: [y], preprocessing: {standardize_targets: true}}
fit: {epochs: 60, batch_size: 8, seed: 1}
output: {model: m.nrn}
`})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0"); code != 0 {
		t.Fatal(stderr)
	}
	out, stderr, code := neurona(t, nil, "predict", filepath.Join(dir, "m.nrn"), filepath.Join(dir, "input.csv"))
	if code != 0 {
		t.Fatal(stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != "y" {
		t.Fatalf("predict printed:\n%s", out)
	}
	for i, line := range lines[1:] {
		v, err := strconv.ParseFloat(line, 64)
		want := 5000 + 2000*float64(i*10)/40
		if err != nil || v < want-300 || v > want+300 {
			t.Errorf("row %d: %q, want about %v", i+1, line, want)
		}
	}
}

// TestEvaluateTargetsCSV checks that evaluate refuses, with the reason, a
// model whose targets came from a second file.
func TestEvaluateTargetsCSV(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.csv": "0,1\n1,2\n2,3\n3,4\n",
		"y.csv": "1\n3\n5\n7\n",
		"spec.yaml": `
model: {layers: [{Dense: {units: 1}}]}
compile: {loss: mse, optimizer: adam}
data: {csv: x.csv, targets_csv: y.csv, header: false}
fit: {epochs: 1, batch_size: 2}
output: {model: m.nrn}
`})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0"); code != 0 {
		t.Fatal(stderr)
	}
	_, stderr, code := neurona(t, nil, "evaluate", filepath.Join(dir, "m.nrn"), filepath.Join(dir, "x.csv"))
	if code == 0 || !strings.Contains(stderr, "targets_csv") {
		t.Errorf("evaluate: exit %d, %s", code, stderr)
	}
}
