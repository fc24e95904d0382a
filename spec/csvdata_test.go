package spec

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/models"
)

// dataDir writes files into a temporary directory and returns it.
func dataDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// anyModel is a model section for specs that test only their data.
const anyModel = "model: {input_shape: [1], layers: [{Dense: {units: 1}}]}\n"

func parseIn(t *testing.T, dir, src string) *Spec {
	t.Helper()
	if !strings.Contains(src, "model:") {
		src = anyModel + src
	}
	s, err := Parse([]byte(src), "spec.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustContain(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one with %q", what, parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not say %q", what, err, p)
		}
	}
}

// irisLike writes n rows of 4 features and a species name, the three
// classes separated by the first feature; the rows cycle through the
// classes. With id, an ID column of strings comes first.
func irisLike(n int, id bool) string {
	names := []string{"virginica", "setosa", "versicolor"} // not sorted
	centre := map[string]float64{"setosa": 1, "versicolor": 4, "virginica": 7}
	var b strings.Builder
	if id {
		b.WriteString("id,")
	}
	b.WriteString("sepal_length,sepal_width,petal_length,petal_width,species\n")
	for i := range n {
		c := names[i%3]
		if id {
			fmt.Fprintf(&b, "%d,", 1000+i)
		}
		j := float64(i%7) / 10
		fmt.Fprintf(&b, "%.2f,%.2f,%.2f,%.2f,%s\n", centre[c]+j, 3+j, centre[c]/2+j, 0.5, c)
	}
	return b.String()
}

// TestStandardizeTrainingRows checks that with validation_split the
// standardizer sees only the training rows (the first ones), and that the
// metadata says so.
func TestStandardizeTrainingRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := range 10 {
		v := float64(i)
		if i >= 8 {
			v = 1000 // validation rows
		}
		fmt.Fprintf(&b, "%v,%d\n", v, i)
	}
	dir := dataDir(t, map[string]string{"d.csv": b.String()})
	s := parseIn(t, dir, "data: {csv: d.csv, targets: [y], validation_split: 0.2, preprocessing: {standardize: true, standardize_targets: true}}\n")
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	if m := s.Data.Prep.Mean[0]; m != 3.5 { // mean of 0..7
		t.Errorf("mean %v, want 3.5 (of the 8 training rows)", m)
	}
	if m := s.Data.Prep.TargetMean[0]; m != 3.5 {
		t.Errorf("target mean %v, want 3.5", m)
	}
	meta := s.Metadata()[MetadataKey]
	if !strings.Contains(meta, `"fitted_on":"the first 8 of 10 rows`) {
		t.Errorf("metadata does not say what the statistics were fitted on: %s", meta)
	}
}

// TestDelimiters checks the delimiter forms and that others are refused.
func TestDelimiters(t *testing.T) {
	dir := dataDir(t, map[string]string{
		"t.tsv": "a\tb\n1\t2\n3\t4\n",
		"w.txt": "a  b\n1 \t 2\n3 4\n",
		"p.csv": "a|b\n1|2\n3|4\n",
	})
	for _, c := range []struct{ file, delim string }{{"t.tsv", "tab"}, {"t.tsv", `"\t"`}, {"w.txt", "whitespace"}, {"p.csv", `"|"`}} {
		s := parseIn(t, dir, fmt.Sprintf("data: {csv: %s, targets: [b], delimiter: %s}\n", c.file, c.delim))
		train, _, _, err := s.Data.Load()
		if err != nil {
			t.Errorf("%s: %v", c.delim, err)
			continue
		}
		if !slices.Equal(train.X.Data, []float32{1, 3}) || !slices.Equal(train.Y.Data, []float32{2, 4}) {
			t.Errorf("%s: X %v Y %v", c.delim, train.X.Data, train.Y.Data)
		}
	}
	for _, d := range []string{`";;"`, "ab", `"\t\t"`, "spaces"} {
		_, err := Parse([]byte(anyModel+"data: {csv: p.csv, targets: [b], delimiter: "+d+"}\n"), "spec.yaml", dir)
		mustContain(t, d, err, "spec.yaml:2:", "data.delimiter", "one character", "tab", "whitespace")
	}
}

// TestInferInputShape checks that a Sequential spec without an input
// shape takes it from the CSV's feature columns.
func TestInferInputShape(t *testing.T) {
	dir := dataDir(t, map[string]string{"iris.csv": irisLike(30, true)})
	src := `
model:
  layers: [{Dense: {units: 8, activation: relu}}, {Dense: {units: 3, activation: softmax}}]
compile: {loss: sparse_categorical_crossentropy, optimizer: adam}
data: {csv: iris.csv, targets: [species], exclude: [id]}
`
	s := parseIn(t, dir, src)
	if err := s.CheckParams(); err != nil { // before the data is loaded, as train does
		t.Fatal(err)
	}
	m, err := s.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.InputShape(), []int{4}) {
		t.Errorf("input shape %v, want [4]", m.InputShape())
	}
	// A first layer that declares its input keeps it.
	s = parseIn(t, dir, strings.Replace(src, "units: 8,", "units: 8, input_shape: [4],", 1))
	if m, err := s.Build(1); err != nil || !slices.Equal(m.InputShape(), []int{4}) {
		t.Errorf("declared input: %v", err)
	}
	// Without a readable file, the error says what to set.
	s = parseIn(t, dir, strings.Replace(src, "iris.csv", "nope.csv", 1))
	_, err = s.Build(1)
	mustContain(t, "no file", err, "spec.yaml", "nope.csv", "model.input_shape")
}

// TestTargetsCSV checks targets joined from a second file, row by row.
func TestTargetsCSV(t *testing.T) {
	dir := dataDir(t, map[string]string{
		"x.txt":  "1 2\n3 4\n5 6\n",
		"y.txt":  "10\n20\n30\n",
		"y2.txt": "10\n20\n",
	})
	s := parseIn(t, dir, "data: {csv: x.txt, targets_csv: y.txt, header: false, delimiter: whitespace}\n")
	train, _, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(train.X.Data, []float32{1, 2, 3, 4, 5, 6}) || !slices.Equal(train.Y.Data, []float32{10, 20, 30}) {
		t.Errorf("X %v, Y %v", train.X.Data, train.Y.Data)
	}
	s = parseIn(t, dir, "data: {csv: x.txt, targets_csv: y2.txt, header: false, delimiter: whitespace}\n")
	_, _, _, err = s.Data.Load()
	mustContain(t, "counts", err, "x.txt", "3 data rows", "y2.txt", "2")
	_, err = Parse([]byte(anyModel+"data: {csv: x.txt, targets_csv: y.txt, validation_csv: v.csv}\n"), "spec.yaml", dir)
	mustContain(t, "with validation_csv", err, "spec.yaml:2:", "targets_csv", "validation_csv")
}

// TestStringLabelsSaved checks that class names become sorted indices and
// are saved in the metadata next to the preprocessing.
func TestStringLabelsSaved(t *testing.T) {
	dir := dataDir(t, map[string]string{"iris.csv": irisLike(6, false), "v.csv": irisLike(3, false)})
	s := parseIn(t, dir, "data: {csv: iris.csv, validation_csv: v.csv, targets: [species], preprocessing: {one_hot: 3}}\n")
	train, valid, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Data.Prep.Classes, []string{"setosa", "versicolor", "virginica"}) {
		t.Errorf("classes %v", s.Data.Prep.Classes)
	}
	// virginica, setosa, versicolor: indices 2, 0, 1, one-hot.
	if !slices.Equal(train.Y.Data[:9], []float32{0, 0, 1, 1, 0, 0, 0, 1, 0}) || valid.Y.Rows() != 3 {
		t.Errorf("Y %v", train.Y.Data)
	}
	p, err := PreprocessingFromMetadata(s.Metadata(), "m.nrn")
	if err != nil || !slices.Equal(p.Classes, s.Data.Prep.Classes) {
		t.Errorf("classes not saved: %+v %v", p, err)
	}
	// A number of classes other than the names' is an error.
	s = parseIn(t, dir, "data: {csv: iris.csv, targets: [species], preprocessing: {one_hot: 4}}\n")
	_, _, _, err = s.Data.Load()
	mustContain(t, "one_hot", err, "iris.csv", "3 class names", "one_hot: 4")
}

// TestStandardizeTargets checks that targets are standardized and that
// InvertY brings predictions back to the original units.
func TestStandardizeTargets(t *testing.T) {
	dir := dataDir(t, map[string]string{"d.csv": "x,y\n1,1000\n2,3000\n3,5000\n"})
	s := parseIn(t, dir, "data: {csv: d.csv, targets: [y], preprocessing: {standardize_targets: true}}\n")
	train, _, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, v := range train.Y.Data {
		sum += float64(v)
	}
	if math.Abs(sum) > 1e-4 || train.Y.Data[2] <= 1 || train.Y.Data[2] >= 2 {
		t.Errorf("standardized targets %v", train.Y.Data)
	}
	p, _ := PreprocessingFromMetadata(s.Metadata(), "m")
	y := train.Y.Clone()
	if err := p.InvertY(y); err != nil || math.Abs(float64(y.Data[2])-5000) > 0.01 {
		t.Errorf("inverted %v, %v", y.Data, err)
	}
	_, err = Parse([]byte(anyModel+"data: {csv: d.csv, targets: [y], preprocessing: {standardize_targets: true, one_hot: 3}}\n"), "spec.yaml", dir)
	mustContain(t, "with one_hot", err, "spec.yaml:2:", "standardize_targets", "one_hot")
}

// TestDataAgainstModel checks that data that does not fit the model is an
// error naming the file, the columns and the fix, at Build after Load.
func TestDataAgainstModel(t *testing.T) {
	dir := dataDir(t, map[string]string{"iris.csv": irisLike(12, true), "bad.csv": "a,label\n1,0\n2,3\n"})
	s := parseIn(t, dir, `
model:
  input_shape: [4]
  layers: [{Dense: {units: 3, activation: softmax}}]
compile: {loss: sparse_categorical_crossentropy, optimizer: adam}
data: {csv: iris.csv, targets: [species]}
`)
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Build(1)
	mustContain(t, "shape", err, "iris.csv", "5 feature columns (id, sepal_length, sepal_width, petal_length, petal_width)",
		"expects 4", "data.features", "data.exclude")
	s = parseIn(t, dir, `
model:
  input_shape: [1]
  layers: [{Dense: {units: 3, activation: softmax}}]
compile: {loss: sparse_categorical_crossentropy, optimizer: adam}
data: {csv: bad.csv, targets: [label]}
`)
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Build(1)
	mustContain(t, "labels", err, `bad.csv: row 2, column "label": 3 is out of range for 3 classes`)
}

// TestOptimizerLRAlias checks that Keras 2's lr works in a spec.
func TestOptimizerLRAlias(t *testing.T) {
	s := parseIn(t, "", "model: {input_shape: [2], layers: [{Dense: {units: 1}}]}\ncompile: {loss: mse, optimizer: {name: Adam, lr: 0.05}}\n")
	m, err := s.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	if lr := m.LearningRate(); math.Abs(float64(lr)-0.05) > 1e-7 {
		t.Errorf("learning rate %v, want 0.05", lr)
	}
}

// TestHeaderNotUTF8 checks that training data with a bad header byte is
// refused when it is read.
func TestHeaderNotUTF8(t *testing.T) {
	dir := dataDir(t, map[string]string{"h.csv": "a,\xe9t\xe9,y\n1,2,3\n"})
	s := parseIn(t, dir, "data: {csv: h.csv, targets: [y]}\n")
	_, _, _, err := s.Data.Load()
	mustContain(t, "header", err, "h.csv", "column 2", "byte offset 2", "UTF-8")
}

// TestREADMEDataKeys checks that the README documents every key of the
// data section and its preprocessing.
func TestREADMEDataKeys(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i := strings.Index(doc, "### Spec files")
	if i < 0 {
		t.Fatal("README.md has no Spec files section")
	}
	doc = doc[i:]
	if j := strings.Index(doc[4:], "\n## "); j >= 0 {
		doc = doc[:j+4]
	}
	for _, k := range append(append([]string(nil), dataKeys...), prepKeys...) {
		if !regexp.MustCompile(`(?m)(^\s+|[{,]\s*|` + "`" + `)` + k + `:`).MatchString(doc) {
			t.Errorf("README's Spec files section does not document the data key %q (as `%s:` or in a spec)", k, k)
		}
	}
	words := strings.Join(strings.Fields(doc), " ")
	for _, form := range []string{"whitespace", "tab", "before shuffling", "sorted"} {
		if !strings.Contains(words, form) {
			t.Errorf("README's Spec files section does not mention %q", form)
		}
	}
}

func gz(t *testing.T, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// TestSklearnStyleCSV trains, from a spec and without editing the data,
// on the five sklearn-style files: a count line, gzip, string labels, an
// ID column and targets in a second file.
func TestSklearnStyleCSV(t *testing.T) {
	iris := irisLike(90, false)
	countLine := "90,4,setosa,versicolor,virginica\n" + iris
	var dx, dy strings.Builder // diabetes-like: targets in the hundreds
	for i := range 60 {
		a, b := float64(i%10)/10-0.45, float64(i%6)/6-0.4
		fmt.Fprintf(&dx, "%.4f  %.4f\t%.4f\n", a, b, a*b)
		fmt.Fprintf(&dy, "%.1f\n", 150+200*a-100*b)
	}
	dir := dataDir(t, map[string]string{
		"count.csv":    countLine,
		"iris.data":    gz(t, countLine), // gzip without the extension
		"iris_id.csv":  irisLike(90, true),
		"diabetes.txt": gz(t, dx.String()),
		"target.txt":   dy.String(),
	})
	classifier := `
model:
  layers: [{Dense: {units: 16, activation: tanh}}, {Dense: {units: 3, activation: softmax}}]
compile: {loss: sparse_categorical_crossentropy, optimizer: {name: adam, learning_rate: 0.05}, metrics: [accuracy]}
fit: {epochs: 40, batch_size: 16, seed: 3}
`
	for _, c := range []struct{ name, data string }{
		{"count line", "{csv: count.csv, skip_rows: 1, targets: [species], preprocessing: {standardize: true}}"},
		{"gzip", "{csv: iris.data, skip_rows: 1, targets: [species], validation_split: 0.2}"},
		{"ID column", "{csv: iris_id.csv, exclude: [id], targets: [species], preprocessing: {standardize: true}}"},
		{"diabetes", "{csv: diabetes.txt, header: false, delimiter: whitespace, targets_csv: target.txt, preprocessing: {standardize_targets: true}}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := classifier + "data: " + c.data + "\n"
			if c.name == "diabetes" {
				src = strings.NewReplacer("units: 3, activation: softmax", "units: 1", "sparse_categorical_crossentropy", "mse", "accuracy", "mae").Replace(src)
			}
			s := parseIn(t, dir, src)
			if err := s.CheckParams(); err != nil {
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
			cfg.Verbose = 0
			cfg.ValidationX, cfg.ValidationY = valid.X, valid.Y
			if valid.X == nil {
				cfg.ValidationX, cfg.ValidationY = nil, nil
			}
			h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
			if err != nil {
				t.Fatal(err)
			}
			loss := h.Values["loss"]
			if !(loss[len(loss)-1] < loss[0]/2) {
				t.Errorf("loss %v → %v: did not learn", loss[0], loss[len(loss)-1])
			}
			if c.name == "diabetes" {
				checkInverted(t, s, m, train.X)
				return
			}
			if acc := h.Values["accuracy"]; acc[len(acc)-1] < 0.9 {
				t.Errorf("accuracy %v", acc[len(acc)-1])
			}
			if !slices.Equal(s.Data.Prep.Classes, []string{"setosa", "versicolor", "virginica"}) {
				t.Errorf("classes %v", s.Data.Prep.Classes)
			}
		})
	}
}

// checkInverted checks that predictions, inverted, are in the targets'
// units (around 150), not standardized ones (around 0).
func checkInverted(t *testing.T, s *Spec, m *models.Model, x interface{ Rows() int }) {
	t.Helper()
	var p Preprocessing
	if err := json.Unmarshal([]byte(s.Metadata()[MetadataKey]), &p); err != nil {
		t.Fatal(err)
	}
	train, _, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	pred, err := m.Predict(train.X)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.InvertY(pred); err != nil {
		t.Fatal(err)
	}
	var mean float64
	for _, v := range pred.Data {
		mean += float64(v) / float64(len(pred.Data))
	}
	if math.Abs(mean-150) > 30 {
		t.Errorf("mean prediction %v, want about 150", mean)
	}
}
