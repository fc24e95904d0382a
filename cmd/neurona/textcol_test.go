package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/neurona/neurona/spec"
)

// reviewWords are the words of the reviews that carry no signal.
var reviewWords = []string{"the", "movie", "was", "plot", "acting", "really", "quite", "film", "story", "very", "and", "its"}

// reviewText is review i: "good" (even i) or "bad" (odd i) among 3 to 6
// filler words.
func reviewText(i int) string {
	k := 3 + i%4
	words := make([]string, 0, k+1)
	for j := range k {
		words = append(words, reviewWords[(i*7+j*5)%len(reviewWords)])
	}
	w := "good"
	if i%2 == 1 {
		w = "bad"
	}
	at := (i / 2) % (k + 1)
	return strings.Join(append(words[:at:at], append([]string{w}, words[at:]...)...), " ")
}

// reviewsTSV writes rows lo to hi of an id, a sentence and a label
// (label names when names is set, else 1 for good and 0 for bad).
func reviewsTSV(lo, hi int, names bool) string {
	var b strings.Builder
	b.WriteString("id\tsentence\tlabel\n")
	for i := lo; i < hi; i++ {
		label := strconv.Itoa(1 - i%2)
		if names {
			label = []string{"pos", "neg"}[i%2]
		}
		fmt.Fprintf(&b, "r%d\t%s\t%s\n", i, reviewText(i), label)
	}
	return b.String()
}

const textSpec = `
model:
  input_shape: [8]
  layers:
    - Embedding: {input_dim: 20, output_dim: 8}
    - GlobalAveragePooling1D
    - Dense: {units: 2, activation: softmax}
compile: {loss: sparse_categorical_crossentropy, optimizer: {name: adam, learning_rate: 0.05}, metrics: [accuracy]}
data: {csv: reviews.tsv, delimiter: tab, text: sentence, targets: [label], num_words: 20, maxlen: 8, oov_token: "<OOV>", validation_split: 0.2}
fit: {epochs: 15, batch_size: 16, seed: 3}
output: {model: m.nrn}
`

// TestTextColumnCommands trains on a TSV file's text column with neurona
// train, then checks that predict takes raw text (a TSV file with the text
// column, and --text-lines) and prints the right classes, and that
// evaluate reads the text and target columns.
func TestTextColumnCommands(t *testing.T) {
	var lines strings.Builder
	input := "sentence\n"
	for i := 200; i < 210; i++ {
		input += reviewText(i) + "\n"
		lines.WriteString(reviewText(i) + "\r\n")
	}
	dir := writeFiles(t, map[string]string{
		"reviews.tsv": reviewsTSV(0, 200, true),
		"test.tsv":    reviewsTSV(200, 260, true),
		"input.tsv":   input,
		"input.txt":   "\ufeff" + lines.String() + "\nnever seen words", // an empty line, no final newline
		"spec.yaml":   textSpec,
	})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0"); code != 0 {
		t.Fatal(stderr)
	}
	model := filepath.Join(dir, "m.nrn")
	out, stderr, code := neurona(t, nil, "predict", model, filepath.Join(dir, "input.tsv"))
	if code != 0 {
		t.Fatal(stderr)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 11 || rows[0] != "label,neg,pos" {
		t.Fatalf("predict printed:\n%s", out)
	}
	for i, row := range rows[1:] {
		want := []string{"pos", "neg"}[i%2]
		if f := strings.Split(row, ","); len(f) != 3 || f[0] != want {
			t.Errorf("row %d (%q): %q, want class %s", i+1, reviewText(200+i), row, want)
		}
	}
	out2, stderr, code := neurona(t, nil, "predict", "--text-lines", model, filepath.Join(dir, "input.txt"))
	if code != 0 {
		t.Fatal(stderr)
	}
	rows2 := strings.Split(strings.TrimSpace(out2), "\n")
	if len(rows2) != 13 || strings.Join(rows2[:11], "\n") != strings.Join(rows, "\n") {
		t.Errorf("--text-lines printed\n%s\nthe TSV input gave\n%s", out2, out)
	}
	if len(rows2) == 13 && strings.Join(strings.Split(rows2[11], ",")[1:], ",") == strings.Join(strings.Split(rows2[12], ",")[1:], ",") {
		// The empty line pads to zeros; the unknown words become the OOV
		// token's id: the inputs differ.
		t.Errorf("the empty line and the line of unknown words give the same prediction: %q", rows2[11])
	}
	out, stderr, code = neurona(t, nil, "evaluate", model, filepath.Join(dir, "test.tsv"))
	if code != 0 {
		t.Fatal(stderr)
	}
	var loss, acc float64
	if _, err := fmt.Sscanf(out, "loss: %g - accuracy: %g", &loss, &acc); err != nil || acc < 0.95 {
		t.Errorf("evaluate printed %q (%v), want accuracy ≥ 0.95", out, err)
	}

	// Inputs that do not fit the model.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"predict", model, filepath.Join(dir, "test.tsv")}, ""}, // extra columns are ignored
		{[]string{"predict", model, filepath.Join(dir, "spec.yaml")}, `spec.yaml: missing column "sentence"`},
		{[]string{"evaluate", model, filepath.Join(dir, "input.tsv")}, `input.tsv: missing column "label" (columns: sentence)`},
		{[]string{"predict", "--text-lines", model, filepath.Join(dir, "empty.txt")}, "empty.txt: the file is empty (--text-lines reads one text per line)"},
		{[]string{"explain", "--model", model, filepath.Join(dir, "test.tsv")}, `was trained on the text column "sentence" (data.text)`},
	} {
		os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o644)
		_, stderr, code := neurona(t, nil, c.args...)
		if c.want == "" {
			if code != 0 {
				t.Errorf("%v: %s", c.args, stderr)
			}
			continue
		}
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestTextColumnRoundTrip trains in process, saves the model, and checks
// that neurona predict on the raw texts prints the in-process model's
// predictions on the padded ids that training used, digit for digit.
func TestTextColumnRoundTrip(t *testing.T) {
	dir := writeFiles(t, map[string]string{"reviews.tsv": reviewsTSV(0, 240, false)})
	// Flatten, unlike an average, depends on where the ids are, so the
	// padding and truncation must be the training's; texts of 4 to 7
	// words are padded and truncated to 5.
	src := strings.NewReplacer("units: 2, activation: softmax", "units: 1, activation: sigmoid", "GlobalAveragePooling1D", "Flatten",
		"sparse_categorical_crossentropy", "binary_crossentropy", `oov_token: "<OOV>", `, "padding: post, truncating: post, ",
		"input_shape: [8]", "input_shape: [5]", "maxlen: 8", "maxlen: 5").Replace(textSpec)
	s, err := spec.Parse([]byte(src), "spec.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	train, _, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(s.Fit.Seed)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.FitConfig()
	cfg.Verbose = 0
	h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if loss := h.Values["loss"]; !(loss[len(loss)-1] < loss[0]) {
		t.Errorf("loss %v: did not learn", loss)
	}
	m.Metadata = s.Metadata()
	path := filepath.Join(dir, "m.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(train.X)
	if err != nil {
		t.Fatal(err)
	}
	var texts strings.Builder
	for i := range 240 {
		texts.WriteString(reviewText(i) + "\n")
	}
	os.WriteFile(filepath.Join(dir, "texts.txt"), []byte(texts.String()), 0o644)
	out, stderr, code := neurona(t, nil, "predict", "--text-lines", path, filepath.Join(dir, "texts.txt"))
	if code != 0 {
		t.Fatal(stderr)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 241 || rows[0] != "label" {
		t.Fatalf("predict printed %d rows, header %q", len(rows), rows[0])
	}
	for i, row := range rows[1:] {
		if w := strconv.FormatFloat(float64(want.Data[i]), 'g', 7, 32); row != w {
			t.Errorf("row %d: predict printed %s, the model in process %s", i+1, row, w)
		}
	}
	// The same from the TSV file, whose other columns predict ignores.
	out2, stderr, code := neurona(t, nil, "predict", path, filepath.Join(dir, "reviews.tsv"))
	if code != 0 || out2 != out {
		t.Errorf("predict on the TSV file: exit %d, %s; differs from --text-lines: %v", code, stderr, out2 != out)
	}
	// A model without a text column takes no --text-lines.
	m.Metadata = map[string]string{}
	plain := filepath.Join(dir, "plain.nrn")
	if err := m.Save(plain); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = neurona(t, nil, "predict", "--text-lines", plain, filepath.Join(dir, "texts.txt"))
	if want := "plain.nrn was not trained on a text column (data.text): --text-lines is for text models"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("--text-lines on a model without text: exit %d, %q, want %q", code, stderr, want)
	}
}
