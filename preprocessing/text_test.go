package preprocessing

import (
	"reflect"
	"strings"
	"testing"
)

func padRows(t *testing.T, seqs [][]int, o PadOptions) [][]float32 {
	t.Helper()
	x, err := PadSequences(seqs, o)
	if err != nil {
		t.Fatal(err)
	}
	n, w := x.Dim(0), x.Dim(1)
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = x.Data[i*w : (i+1)*w]
	}
	return rows
}

func TestPadSequences(t *testing.T) {
	seqs := [][]int{{1, 2, 3}, {4, 5}, {}, {6, 7, 8, 9, 10}}
	cases := []struct {
		o    PadOptions
		want [][]float32
	}{
		{PadOptions{MaxLen: NoMaxLen}, [][]float32{{0, 0, 1, 2, 3}, {0, 0, 0, 4, 5}, {0, 0, 0, 0, 0}, {6, 7, 8, 9, 10}}},
		{PadOptions{MaxLen: 3}, [][]float32{{1, 2, 3}, {0, 4, 5}, {0, 0, 0}, {8, 9, 10}}},
		{PadOptions{MaxLen: 3, Padding: "post", Truncating: "post"}, [][]float32{{1, 2, 3}, {4, 5, 0}, {0, 0, 0}, {6, 7, 8}}},
		{PadOptions{MaxLen: 4, Padding: "post", Truncating: "pre", Value: -1}, [][]float32{{1, 2, 3, -1}, {4, 5, -1, -1}, {-1, -1, -1, -1}, {7, 8, 9, 10}}},
		{PadOptions{MaxLen: 2, Padding: "pre", Truncating: "post"}, [][]float32{{1, 2}, {4, 5}, {0, 0}, {6, 7}}},
	}
	for _, c := range cases {
		if got := padRows(t, seqs, c.o); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.o, got, c.want)
		}
	}
	x, err := PadSequences(nil, PadOptions{MaxLen: 7})
	if err != nil || x.Dim(0) != 0 {
		t.Errorf("nil sequences: %v, %v", x, err)
	}
}

func TestPadSequencesErrors(t *testing.T) {
	for _, c := range []struct {
		o    PadOptions
		seqs [][]int
		want string
	}{
		{PadOptions{MaxLen: -2}, nil, "maxlen -2 is not a positive length"},
		{PadOptions{}, [][]int{{1, 2}}, "maxlen 0 is not a positive length"},
		{PadOptions{MaxLen: 0}, nil, "maxlen 0"},
		{PadOptions{MaxLen: NoMaxLen, Padding: "middle"}, nil, `padding type "middle"`},
		{PadOptions{MaxLen: 3, Truncating: "both"}, nil, `truncating type "both"`},
		{PadOptions{MaxLen: NoMaxLen}, [][]int{{1}, {2, 1 << 25}}, "sequence 1, element 1"},
	} {
		_, err := PadSequences(c.seqs, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.o, err, c.want)
		}
	}
}

// The expected indices below are derived by hand from Keras's rules: counts
// in first-appearance order the:3 cat:2 sat:2 dog:1 on:1 mat:1 a:1, sorted
// stably by descending count.
var fitTexts = []string{"The cat sat.", "the dog sat on the mat", "a cat!"}

func TestTokenizerFit(t *testing.T) {
	var tk Tokenizer
	tk.FitOnTexts(fitTexts)
	want := map[string]int{"the": 1, "cat": 2, "sat": 3, "dog": 4, "on": 5, "mat": 6, "a": 7}
	if got := tk.WordIndex(); !reflect.DeepEqual(got, want) {
		t.Errorf("word index %v, want %v", got, want)
	}
	wc := []WordCount{{"the", 3}, {"cat", 2}, {"sat", 2}, {"dog", 1}, {"on", 1}, {"mat", 1}, {"a", 1}}
	if got := tk.WordCounts(); !reflect.DeepEqual(got, wc) {
		t.Errorf("word counts %v, want %v", got, wc)
	}
	if tk.DocumentCount() != 3 {
		t.Errorf("document count %d", tk.DocumentCount())
	}
	got := tk.TextsToSequences([]string{"The cat and the DOG", "", "zebra"})
	if w := [][]int{{1, 2, 1, 4}, {}, {}}; !reflect.DeepEqual(got, w) {
		t.Errorf("sequences %v, want %v", got, w)
	}
	if got := tk.SequencesToTexts([][]int{{1, 7, 99, 0}}); got[0] != "the a" {
		t.Errorf("texts %q", got)
	}
	// A second fit accumulates: "mat" (1+3) overtakes everything.
	tk.FitOnTexts([]string{"mat mat mat"})
	if i := tk.WordIndex()["mat"]; i != 1 {
		t.Errorf("after refit mat has index %d, want 1", i)
	}
	if i := tk.WordIndex()["the"]; i != 2 {
		t.Errorf("after refit the has index %d, want 2", i)
	}
}

func TestTokenizerNumWords(t *testing.T) {
	tk := Tokenizer{NumWords: 3}
	tk.FitOnTexts(fitTexts)
	if got := tk.TextsToSequences([]string{"the cat sat dog"}); !reflect.DeepEqual(got, [][]int{{1, 2}}) {
		t.Errorf("got %v, want [[1 2]]", got)
	}
	if len(tk.WordIndex()) != 7 {
		t.Errorf("the index keeps every word: %v", tk.WordIndex())
	}
	if got := tk.SequencesToTexts([][]int{{1, 2, 3, 4}}); got[0] != "the cat" {
		t.Errorf("texts %q", got)
	}
}

func TestTokenizerOOV(t *testing.T) {
	tk := Tokenizer{NumWords: 4, OOVToken: "<oov>"}
	tk.FitOnTexts(fitTexts)
	want := map[string]int{"<oov>": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5, "on": 6, "mat": 7, "a": 8}
	if got := tk.WordIndex(); !reflect.DeepEqual(got, want) {
		t.Errorf("word index %v, want %v", got, want)
	}
	if got := tk.TextsToSequences([]string{"the cat sat dog zebra"}); !reflect.DeepEqual(got, [][]int{{2, 3, 1, 1, 1}}) {
		t.Errorf("got %v", got)
	}
	if got := tk.SequencesToTexts([][]int{{2, 3, 4, 9, 0}}); got[0] != "the cat <oov> <oov> <oov>" {
		t.Errorf("texts %q", got)
	}
}

func TestTokenizerCharLevelAndOptions(t *testing.T) {
	tk := Tokenizer{CharLevel: true}
	tk.FitOnTexts([]string{"Aba"})
	if got := tk.WordIndex(); !reflect.DeepEqual(got, map[string]int{"a": 1, "b": 2}) {
		t.Errorf("char level %v", got)
	}
	tk = Tokenizer{CharLevel: true, NoLower: true}
	tk.FitOnTexts([]string{"Abé"})
	if got := tk.TextsToSequences([]string{"éAbx"}); !reflect.DeepEqual(got, [][]int{{3, 1, 2}}) {
		t.Errorf("char level, case kept: %v (index %v)", got, tk.WordIndex())
	}
	none := ""
	tk = Tokenizer{Filters: &none, Split: ","}
	tk.FitOnTexts([]string{"y.,x,,x"})
	if got := tk.WordIndex(); !reflect.DeepEqual(got, map[string]int{"x": 1, "y.": 2}) {
		t.Errorf("custom split %v", got)
	}
	if got := TextToWordSequence("Hello,  World!\tagain", DefaultFilters, true, ""); !reflect.DeepEqual(got, []string{"hello", "world", "again"}) {
		t.Errorf("text_to_word_sequence %q", got)
	}
	if got := TextToWordSequence("don't stop", DefaultFilters, true, " "); !reflect.DeepEqual(got, []string{"don't", "stop"}) {
		t.Errorf("the apostrophe is kept: %q", got)
	}
}

func TestStackSequences(t *testing.T) {
	x, err := StackSequences([][]int{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		t.Fatal(err)
	}
	if x.Dim(0) != 2 || x.Dim(1) != 3 {
		t.Fatalf("shape %v, want (2, 3)", x.Shape)
	}
	for i, want := range []float32{1, 2, 3, 4, 5, 6} {
		if x.Data[i] != want {
			t.Errorf("element %d: %v, want %v", i, x.Data[i], want)
		}
	}
	for _, c := range []struct {
		seqs [][]int
		want string
	}{
		{[][]int{{1, 2, 3}, {4, 5, 6}, {7, 8}}, "sequence 2 has length 2, expected length 3 (that of sequence 0): the sequences are ragged"},
		{[][]int{{1}, {2, 3}}, "sequence 1 has length 2, expected length 1"},
		{nil, "no sequences"},
		{[][]int{{}, {}}, "sequence 0 is empty"},
		{[][]int{{1, 2}, {3, 1 << 25}}, "sequence 1, element 1"},
	} {
		_, err := StackSequences(c.seqs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.seqs, err, c.want)
		}
	}
	// The ragged input padded first stacks to what PadSequences gives.
	ragged := [][]int{{1, 2, 3}, {4, 5}}
	p, err := PadSequences(ragged, PadOptions{MaxLen: NoMaxLen})
	if err != nil {
		t.Fatal(err)
	}
	if p.Data[3] != 0 || p.Data[4] != 4 || p.Data[5] != 5 {
		t.Errorf("padded %v, want [1 2 3 0 4 5]", p.Data)
	}
}
