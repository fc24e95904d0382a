package preprocessing

import (
	"fmt"
	"sort"
	"strings"

	"github.com/neurona/neurona/tensor"
)

// NoMaxLen as PadOptions.MaxLen pads to the longest input sequence, as
// Keras's maxlen=None does.
const NoMaxLen = -1

// PadOptions are pad_sequences's arguments. MaxLen must be set: a positive
// length, or NoMaxLen for Keras's default (the longest sequence). The other
// zero values are Keras's defaults: padding and truncating "pre", value 0.
type PadOptions struct {
	// MaxLen is the length of every output row, or NoMaxLen for the longest
	// input sequence (Keras's maxlen=None). 0 and other negative values are
	// errors: a row of length 0 is never what a caller means, and leaving
	// the field unset must not silently mean "no limit".
	MaxLen int
	// Padding is "pre" (default, also "") or "post": where the value goes
	// in a sequence shorter than MaxLen.
	Padding string
	// Truncating is "pre" (default, also "") or "post": whether a sequence
	// longer than MaxLen loses its first or its last elements.
	Truncating string
	// Value fills the padding.
	Value float32
}

// PadSequences pads and truncates integer sequences to one length, as
// Keras's keras.preprocessing.sequence.pad_sequences does, and returns a
// float32 tensor of shape (len(seqs), maxlen). With the defaults ("pre"),
// a short sequence is right-aligned after the padding and a long one keeps
// its last MaxLen elements. An empty sequence gives a row of Value.
//
// Keras returns int32 by default; the values here are float32, which holds
// every token id below 2^24 exactly. An id outside that range is an error
// naming the sequence and position, as are a MaxLen of 0 or below (other
// than NoMaxLen) and a Padding or Truncating other than "pre" and "post".
func PadSequences(seqs [][]int, opts PadOptions) (*tensor.Tensor, error) {
	if opts.MaxLen <= 0 && opts.MaxLen != NoMaxLen {
		return nil, fmt.Errorf("preprocessing: PadSequences: maxlen %d is not a positive length (use preprocessing.NoMaxLen to pad to the longest sequence)", opts.MaxLen)
	}
	pre := func(what, v string) (bool, error) {
		switch v {
		case "", "pre":
			return true, nil
		case "post":
			return false, nil
		}
		return false, fmt.Errorf("preprocessing: PadSequences: %s type %q not understood, want \"pre\" or \"post\"", what, v)
	}
	padPre, err := pre("padding", opts.Padding)
	if err != nil {
		return nil, err
	}
	truncPre, err := pre("truncating", opts.Truncating)
	if err != nil {
		return nil, err
	}
	maxlen := opts.MaxLen
	if maxlen == NoMaxLen {
		maxlen = 0
		for _, s := range seqs {
			maxlen = max(maxlen, len(s))
		}
	}
	out := tensor.New(len(seqs), maxlen)
	if opts.Value != 0 {
		for i := range out.Data {
			out.Data[i] = opts.Value
		}
	}
	for i, s := range seqs {
		if len(s) > maxlen {
			if truncPre {
				s = s[len(s)-maxlen:]
			} else {
				s = s[:maxlen]
			}
		}
		row := out.Data[i*maxlen : (i+1)*maxlen]
		if padPre {
			row = row[maxlen-len(s):]
		}
		for j, v := range s {
			if v < -maxLabel || v > maxLabel {
				return nil, fmt.Errorf("preprocessing: PadSequences: sequence %d, element %d: id %d does not fit a float32 exactly (|id| > 2^24)", i, j, v)
			}
			row[j] = float32(v)
		}
	}
	return out, nil
}

// DefaultFilters are the characters Keras's Tokenizer removes by default:
// ASCII punctuation except the apostrophe, plus tab and newline.
const DefaultFilters = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n"

// Tokenizer turns texts into sequences of word indices, with the semantics
// of Keras's keras.preprocessing.text.Tokenizer (keras-preprocessing 1.0.2
// and later, which Keras 2.2.1+ uses; see OOVToken for the one difference
// from Keras 2.2.0's keras-preprocessing 1.0.1).
//
// Set the fields before the first FitOnTexts. The zero value is Keras's
// defaults: all words, DefaultFilters, lower-casing, split on " ", word
// level, no OOV token.
type Tokenizer struct {
	// NumWords keeps only the words whose index is below NumWords (the
	// NumWords-1 most frequent, or NumWords-2 and the OOV token) in
	// TextsToSequences and SequencesToTexts. 0 means all words. The index
	// itself always holds every word seen.
	NumWords int
	// Filters are the characters replaced by Split before splitting. nil
	// means DefaultFilters; point at "" to filter nothing.
	Filters *string
	// NoLower keeps the case of the texts (Keras's lower=False).
	NoLower bool
	// Split separates words; "" means " ". As in Python's str.split(sep),
	// it is a literal separator, and empty words are dropped.
	Split string
	// CharLevel makes every character (Unicode code point) a token; Filters
	// and Split are then not applied, as in Keras.
	CharLevel bool
	// OOVToken, when not empty, gets index 1 in WordIndex and stands for
	// every word that is not in the index or not within NumWords. Keras
	// 2.2.0 (keras-preprocessing 1.0.1) instead gave it the last index and
	// dropped words cut by num_words; neurona follows the later, documented
	// behaviour, which is also the one sequences_to_texts came with.
	OOVToken string

	wordCounts map[string]int
	order      []string // words in order of first appearance
	wordIndex  map[string]int
	indexWord  map[int]string
	docCount   int
}

// filters returns the filter characters in use.
func (t *Tokenizer) filters() string {
	if t.Filters == nil {
		return DefaultFilters
	}
	return *t.Filters
}

func (t *Tokenizer) split() string {
	if t.Split == "" {
		return " "
	}
	return t.Split
}

// Words splits one text into tokens as the tokenizer does
// (text_to_word_sequence, or characters with CharLevel): lower-cased unless
// NoLower, every filter character replaced by Split, split on Split, empty
// tokens dropped.
func (t *Tokenizer) Words(text string) []string {
	if !t.NoLower {
		text = strings.ToLower(text)
	}
	if t.CharLevel {
		var seq []string
		for _, r := range text {
			seq = append(seq, string(r))
		}
		return seq
	}
	return TextToWordSequence(text, t.filters(), false, t.split())
}

// TextToWordSequence is Keras's text_to_word_sequence: it lower-cases text
// when lower is set, replaces every character of filters by split, splits
// on split (a literal separator; "" means " ") and drops empty words.
func TextToWordSequence(text, filters string, lower bool, split string) []string {
	if split == "" {
		split = " "
	}
	if lower {
		text = strings.ToLower(text)
	}
	if filters != "" {
		var b strings.Builder
		b.Grow(len(text))
		for _, r := range text {
			if strings.ContainsRune(filters, r) {
				b.WriteString(split)
			} else {
				b.WriteRune(r)
			}
		}
		text = b.String()
	}
	var seq []string
	for _, w := range strings.Split(text, split) {
		if w != "" {
			seq = append(seq, w)
		}
	}
	return seq
}

// FitOnTexts updates the vocabulary with texts, as fit_on_texts does. It may
// be called more than once; the counts accumulate and the index is rebuilt.
// Words are indexed from 1 by descending count, ties in order of first
// appearance (Keras sorts the insertion-ordered word counts with Python's
// stable sort); with OOVToken set, it takes index 1 and the words start at
// 2.
func (t *Tokenizer) FitOnTexts(texts []string) {
	if t.wordCounts == nil {
		t.wordCounts = map[string]int{}
	}
	for _, text := range texts {
		t.docCount++
		for _, w := range t.Words(text) {
			if _, ok := t.wordCounts[w]; !ok {
				t.order = append(t.order, w)
			}
			t.wordCounts[w]++
		}
	}
	sorted := make([]string, len(t.order))
	copy(sorted, t.order)
	// A stable sort by descending count keeps first-appearance order among
	// ties, as Python's list.sort(key=..., reverse=True) does.
	stableSortByCount(sorted, t.wordCounts)
	voc := sorted
	if t.OOVToken != "" {
		voc = append([]string{t.OOVToken}, sorted...)
	}
	t.wordIndex = make(map[string]int, len(voc))
	for i, w := range voc {
		// dict(zip(...)): a later duplicate (the OOV token also seen as a
		// word) overwrites the earlier index, as in Keras.
		t.wordIndex[w] = i + 1
	}
	t.indexWord = make(map[int]string, len(t.wordIndex))
	for w, i := range t.wordIndex {
		t.indexWord[i] = w
	}
}

func stableSortByCount(words []string, counts map[string]int) {
	sort.SliceStable(words, func(a, b int) bool { return counts[words[a]] > counts[words[b]] })
}

// oovIndex returns the OOV token's index, or 0 when there is none.
func (t *Tokenizer) oovIndex() int {
	if t.OOVToken == "" {
		return 0
	}
	return t.wordIndex[t.OOVToken]
}

// TextsToSequences turns each text into word indices, as
// texts_to_sequences does. A word not in the index, or whose index is not
// below NumWords (when set), becomes the OOV token's index when OOVToken is
// set and is skipped otherwise. Before FitOnTexts every word is unknown.
func (t *Tokenizer) TextsToSequences(texts []string) [][]int {
	oov := t.oovIndex()
	out := make([][]int, len(texts))
	for k, text := range texts {
		vect := []int{}
		for _, w := range t.Words(text) {
			i, ok := t.wordIndex[w]
			switch {
			case ok && (t.NumWords <= 0 || i < t.NumWords):
				vect = append(vect, i)
			case oov != 0:
				vect = append(vect, oov)
			}
		}
		out[k] = vect
	}
	return out
}

// SequencesToTexts turns index sequences back into space-joined words, as
// sequences_to_texts does: an index that names no word, or that is not
// below NumWords (when set), becomes the OOV token when OOVToken is set and
// is skipped otherwise.
func (t *Tokenizer) SequencesToTexts(seqs [][]int) []string {
	oov := t.oovIndex()
	out := make([]string, len(seqs))
	for k, seq := range seqs {
		var words []string
		for _, i := range seq {
			w, ok := t.indexWord[i]
			switch {
			case ok && (t.NumWords <= 0 || i < t.NumWords):
				words = append(words, w)
			case oov != 0:
				words = append(words, t.indexWord[oov])
			}
		}
		out[k] = strings.Join(words, " ")
	}
	return out
}

// WordIndex returns a copy of the word → index map (indices from 1; 0 is
// reserved for padding). It holds every word seen, whatever NumWords is.
func (t *Tokenizer) WordIndex() map[string]int {
	m := make(map[string]int, len(t.wordIndex))
	for w, i := range t.wordIndex {
		m[w] = i
	}
	return m
}

// IndexWord returns the word with index i, and whether there is one.
func (t *Tokenizer) IndexWord(i int) (string, bool) {
	w, ok := t.indexWord[i]
	return w, ok
}

// WordCount is one entry of WordCounts.
type WordCount struct {
	Word  string
	Count int
}

// WordCounts returns how often each word occurred in the fitted texts, in
// order of first appearance (Keras's word_counts OrderedDict).
func (t *Tokenizer) WordCounts() []WordCount {
	out := make([]WordCount, len(t.order))
	for i, w := range t.order {
		out[i] = WordCount{w, t.wordCounts[w]}
	}
	return out
}

// DocumentCount is the number of texts fitted so far.
func (t *Tokenizer) DocumentCount() int { return t.docCount }

// StackSequences turns token-id sequences that already have one length
// (padded beforehand, or of equal length by construction) into a float32
// tensor of shape (len(seqs), length), the array Keras's model.fit takes.
// Sequences of different lengths are an error naming the first one whose
// length differs from sequence 0's, with both lengths: pad them with
// PadSequences first. No sequences, or sequences of length 0, are an error
// too (a model has no input of length 0), as is an id that a float32 does
// not hold exactly.
func StackSequences(seqs [][]int) (*tensor.Tensor, error) {
	if len(seqs) == 0 {
		return nil, fmt.Errorf("preprocessing: StackSequences: no sequences")
	}
	n := len(seqs[0])
	if n == 0 {
		return nil, fmt.Errorf("preprocessing: StackSequences: sequence 0 is empty")
	}
	for i, s := range seqs {
		if len(s) != n {
			return nil, fmt.Errorf("preprocessing: StackSequences: sequence %d has length %d, expected length %d (that of sequence 0): the sequences are ragged, pad them with PadSequences", i, len(s), n)
		}
	}
	out := tensor.New(len(seqs), n)
	for i, s := range seqs {
		for j, v := range s {
			if v < -maxLabel || v > maxLabel {
				return nil, fmt.Errorf("preprocessing: StackSequences: sequence %d, element %d: id %d does not fit a float32 exactly (|id| > 2^24)", i, j, v)
			}
			out.Data[i*n+j] = float32(v)
		}
	}
	return out, nil
}
