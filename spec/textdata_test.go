package spec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/preprocessing"
)

// fillers are the words of the reviews that carry no signal.
var fillers = []string{"the", "movie", "was", "plot", "acting", "really", "quite", "film", "story", "very", "and", "its"}

// reviews writes n rows of an id, a sentence and a label, delimited by
// sep: each sentence holds "good" (label 1) or "bad" (label 0) among 3 to
// 6 filler words, the labels alternating. With sep ',' every sentence is
// quoted and holds a comma.
func reviews(n int, sep string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "id%ssentence%slabel\n", sep, sep)
	for i := range n {
		k := 3 + i%4
		words := make([]string, 0, k+1)
		for j := range k {
			words = append(words, fillers[(i*7+j*5)%len(fillers)])
		}
		word, label := "bad", 0
		if i%2 == 1 {
			word, label = "good", 1
		}
		words = slices.Insert(words, (i/2)%(k+1), word)
		text := strings.Join(words, " ")
		if sep == "," {
			text = `"` + strings.Replace(text, " ", ", ", 1) + `"`
		}
		fmt.Fprintf(&b, "r%d%s%s%s%d\n", i, sep, text, sep, label)
	}
	return b.String()
}

// textModel is a small Embedding → GlobalAveragePooling1D → Dense sigmoid
// classifier of sequences of 8 token ids below 20.
const textModel = `model:
  input_shape: [8]
  layers:
    - Embedding: {input_dim: 20, output_dim: 8}
    - GlobalAveragePooling1D
    - Dense: {units: 1, activation: sigmoid}
compile: {loss: binary_crossentropy, optimizer: {name: adam, learning_rate: 0.05}, metrics: [accuracy]}
fit: {epochs: 15, batch_size: 16, seed: 3}
`

// TestTextColumnTrains trains the small classifier on a TSV file's text
// column and checks that it learns the signal: high accuracy on the rows
// validation_split holds out, and on a quoted CSV file's validation_csv.
func TestTextColumnTrains(t *testing.T) {
	dir := dataDir(t, map[string]string{"reviews.tsv": reviews(200, "\t"), "reviews.csv": reviews(200, ","), "valid.csv": reviews(40, ",")})
	for _, data := range []string{
		"{csv: reviews.tsv, delimiter: tab, text: sentence, targets: [label], num_words: 20, maxlen: 8, validation_split: 0.2}",
		"{csv: reviews.csv, text: sentence, targets: [label], num_words: 20, maxlen: 8, padding: post, truncating: post, validation_csv: valid.csv}",
	} {
		s := parseIn(t, dir, textModel+"data: "+data+"\n")
		train, valid, _, err := s.Data.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(train.X.Shape, []int{200, 8}) {
			t.Fatalf("%s: training inputs of shape %v, want [200 8]", data, train.X.Shape)
		}
		for _, v := range train.X.Data {
			if v < 0 || v >= 20 || v != float32(int(v)) {
				t.Fatalf("%s: token id %v is not an integer in [0, 20)", data, v)
			}
		}
		m, err := s.Build(1)
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.FitConfig()
		cfg.Verbose = 0
		if valid.X != nil {
			cfg.ValidationX, cfg.ValidationY = valid.X, valid.Y
		}
		h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		acc := h.Values["val_accuracy"]
		if len(acc) == 0 || acc[len(acc)-1] < 0.95 {
			t.Errorf("%s: validation accuracy %v, want ≥ 0.95", data, acc)
		}
		p, err := PreprocessingFromMetadata(s.Metadata(), "m.nrn")
		if err != nil {
			t.Fatal(err)
		}
		if p.Text != "sentence" || p.MaxLen != 8 || len(p.Tokenizer) == 0 || p.Features != nil {
			t.Errorf("%s: saved preprocessing %+v", data, p)
		}
	}
}

// TestTextTokenizerTrainingRowsOnly checks that the tokenizer is fitted on
// the training rows: a word that only the rows validation_split holds out
// (or only the validation file) has no id, and maps to the OOV token.
func TestTextTokenizerTrainingRowsOnly(t *testing.T) {
	train := "text,y\nred green,0\ngreen blue,1\nred red,0\nblue,1\n" +
		"zebra zebra,0\n" // held out by validation_split 0.2 (1 of 5 rows)
	dir := dataDir(t, map[string]string{"t.csv": train, "v.csv": "text,y\nokapi green,1\n"})
	for _, c := range []struct{ data, unseen string }{
		{"{csv: t.csv, text: text, targets: [y], maxlen: 3, validation_split: 0.2, oov_token: '<OOV>'}", "zebra"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 3, validation_csv: v.csv, oov_token: '<OOV>'}", "okapi"},
	} {
		s := parseIn(t, dir, "data: "+c.data+"\n")
		tr, va, _, err := s.Data.Load()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := preprocessing.TokenizerFromJSON(s.Data.Prep.Tokenizer)
		if err != nil {
			t.Fatal(err)
		}
		idx := tok.WordIndex()
		if _, ok := idx[c.unseen]; ok {
			t.Errorf("%s: %q, in no training row, has id %d (index %v)", c.data, c.unseen, idx[c.unseen], idx)
		}
		if idx["<OOV>"] != 1 || idx["red"] == 0 || idx["green"] == 0 || idx["blue"] == 0 {
			t.Errorf("%s: index %v", c.data, idx)
		}
		// The unseen word is the OOV token's id 1, after one 'pre' pad.
		want := []float32{0, 1, 1} // zebra zebra
		got := tr.X.Row(4)
		if va.X != nil {
			want, got = []float32{0, 1, float32(idx["green"])}, va.X.Row(0)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the row with %q is %v, want %v", c.data, c.unseen, got, want)
		}
		if !strings.Contains(s.Data.Prep.FittedOn, "the first 4 of 5 rows") && va.X == nil {
			t.Errorf("fitted_on %q", s.Data.Prep.FittedOn)
		}
	}
}

// TestTextEncoding checks the documented encodings: an empty text and one
// of unknown words pad to zeros (no oov_token), long texts are truncated
// 'pre' by default, lower and filters apply, and class names become
// labels.
func TestTextEncoding(t *testing.T) {
	dir := dataDir(t, map[string]string{"t.tsv": "text\tlabel\nA b, c d!\tpos\n\tneg\nzzz qqq\tneg\nB b\tpos\n"})
	s := parseIn(t, dir, "data: {csv: t.tsv, delimiter: tab, text: text, targets: [label], maxlen: 3}\n")
	tr, _, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	idx := s.Data.Prep.tok.WordIndex()
	// Counts: b 3, then a, c, d, zzz, qqq 1 each (ties in order of first
	// appearance).
	if idx["b"] != 1 || idx["a"] != 2 || idx["c"] != 3 || idx["d"] != 4 || idx["zzz"] != 5 || idx["qqq"] != 6 || len(idx) != 6 {
		t.Fatalf("index %v", idx)
	}
	want := [][]float32{{1, 3, 4}, {0, 0, 0}, {0, 5, 6}, {0, 1, 1}}
	for i, w := range want {
		if !slices.Equal(tr.X.Row(i), w) {
			t.Errorf("row %d: %v, want %v", i, tr.X.Row(i), w)
		}
	}
	if !slices.Equal(s.Data.Prep.Classes, []string{"neg", "pos"}) || !slices.Equal(tr.Y.Data, []float32{1, 0, 0, 1}) {
		t.Errorf("classes %v, labels %v", s.Data.Prep.Classes, tr.Y.Data)
	}
	// Encoded again from the saved JSON (as predict does), texts of
	// unknown words and empty ones are all padding.
	p, err := PreprocessingFromMetadata(s.Metadata(), "m.nrn")
	if err != nil {
		t.Fatal(err)
	}
	x, err := p.EncodeTexts([]string{"", "never seen", "A B C D"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Data, []float32{0, 0, 0, 0, 0, 0, 1, 3, 4}) {
		t.Errorf("encoded %v", x.Data)
	}
	// lower: false, filters: "" and post padding keep case and punctuation.
	s = parseIn(t, dir, "data: {csv: t.tsv, delimiter: tab, text: text, targets: [label], maxlen: 3, lower: false, filters: '', padding: post, truncating: post, char_level: false}\n")
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	idx = s.Data.Prep.tok.WordIndex()
	if _, ok := idx["b,"]; !ok || idx["B"] == 0 {
		t.Errorf("lower: false, filters: '': index %v", idx)
	}
	if x, err := s.Data.Prep.EncodeTexts([]string{"b"}); err != nil || !slices.Equal(x.Data, []float32{float32(idx["b"]), 0, 0}) {
		t.Errorf("post padding: %v, %v", x, err)
	}
	if x, err := s.Data.Prep.EncodeTexts([]string{"b b, c d! B"}); err != nil || !slices.Equal(x.Data, []float32{float32(idx["b"]), float32(idx["b,"]), float32(idx["c"])}) {
		t.Errorf("post truncation: %v, %v", x, err)
	}
}

// TestTextDataErrors checks the errors of bad text data.
func TestTextDataErrors(t *testing.T) {
	dir := dataDir(t, map[string]string{
		"t.csv":     "text,x,y\nred green,1,0\nblue,2,1\n",
		"empty.csv": "text,y\n,0\n!!!,1\n",
	})
	for _, c := range []struct{ data, want string }{
		{"{csv: t.csv, text: text, targets: [y]}", "spec.yaml:2: data.maxlen must give the length the texts' token ids are padded or truncated to (data.text), e.g. maxlen: 100"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 0}", "spec.yaml:2: data.maxlen must be positive, got 0"},
		{"{csv: t.csv, text: text, features: [x], targets: [y], maxlen: 4}", "spec.yaml:2: data.text is the model's one input: it cannot be combined with data.features"},
		{"{csv: t.csv, text: text, exclude: [x], targets: [y], maxlen: 4}", "data.exclude drops columns from the default features; with data.text"},
		{"{builtin: boston, text: text, maxlen: 4}", "spec.yaml:2: data.text names the column of raw text of a CSV or TSV file: it needs data.csv"},
		{"{csv: t.csv, text: '', targets: [y], maxlen: 4}", "data.text must name a column of raw text"},
		{"{csv: t.csv, targets: [y], padding: post}", "spec.yaml:2: data.padding is a tokenizer setting for a CSV's text column: it needs data.text"},
		{"{csv: t.csv, targets: [y], maxlen: 4}", "data.maxlen is for text data: builtin imdb or rt-polarity, or a CSV's text column (data.text)"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, padding: middle}", `data.padding must be "pre" (the default) or "post", got "middle"`},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, truncating: 1}", `data.truncating must be "pre" (the default) or "post", got "1"`},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, lower: maybe}", "data.lower"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, skip_top: 2}", "data.skip_top is for builtin imdb"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, delimiter: whitespace}", "data.delimiter whitespace would split the texts at their spaces"},
		{"{csv: t.csv, text: text, targets_csv: t.csv, maxlen: 4}", "data.targets_csv cannot be combined with data.text"},
		{"{csv: t.csv, text: text, targets: [y], maxlen: 4, preprocessing: {standardize: true}}", "preprocessing.standardize applies to numeric features"},
	} {
		_, err := Parse([]byte(anyModel+"data: "+c.data+"\n"), "spec.yaml", dir)
		mustContain(t, c.data, err, c.want)
	}
	for _, c := range []struct{ data, want string }{
		{"{csv: t.csv, text: review, targets: [y], maxlen: 4}", `t.csv: missing column "review" (columns: text, x, y)`},
		{"{csv: t.csv, text: y, targets: [y], maxlen: 4}", `t.csv: column "y" is both the text and a target`},
		{"{csv: empty.csv, text: text, targets: [y], maxlen: 4}", `empty.csv: column "text": the texts of the 2 training rows hold no words`},
		{"{csv: empty.csv, text: text, targets: [y], maxlen: 4, oov_token: '<OOV>'}", `the texts of the 2 training rows hold no words`},
	} {
		s := parseIn(t, dir, "data: "+c.data+"\n")
		_, _, _, err := s.Data.Load()
		mustContain(t, c.data, err, c.want)
	}
	// A maxlen that does not match the model's input.
	s := parseIn(t, dir, textModel+"data: {csv: t.csv, text: text, targets: [y], maxlen: 5}\n")
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Build(1)
	mustContain(t, "maxlen 5, input 8", err, `the text column "text" becomes sequences of 5 token ids (data.maxlen), but the model's input expects samples of shape (8,)`)
}

// TestTextInputShapeFromMaxLen checks that a model without an input shape
// takes maxlen as its input length, before and after the data loads.
func TestTextInputShapeFromMaxLen(t *testing.T) {
	dir := dataDir(t, map[string]string{"t.csv": "text,y\nred green,0\nblue,1\n"})
	src := strings.Replace(textModel, "  input_shape: [8]\n", "", 1) + "data: {csv: t.csv, text: text, targets: [y], maxlen: 6}\n"
	s := parseIn(t, dir, src)
	m, err := s.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.InputShape(), []int{6}) {
		t.Errorf("input shape %v before loading, want [6]", m.InputShape())
	}
	if _, _, _, err := s.Data.Load(); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckData(m); err != nil {
		t.Error(err)
	}
}
