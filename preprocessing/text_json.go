package preprocessing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// tokenizerConfig is the config of Keras's Tokenizer.to_json(): the
// settings, then the fitted state, the dictionaries as JSON strings (as
// keras-preprocessing writes them). word_docs and index_docs are not kept
// by this Tokenizer and are left out.
type tokenizerConfig struct {
	NumWords      *int    `json:"num_words"`
	Filters       string  `json:"filters"`
	Lower         bool    `json:"lower"`
	Split         string  `json:"split"`
	CharLevel     bool    `json:"char_level"`
	OOVToken      *string `json:"oov_token"`
	DocumentCount int     `json:"document_count"`
	WordCounts    string  `json:"word_counts"`
	IndexWord     string  `json:"index_word"`
	WordIndex     string  `json:"word_index"`
}

type tokenizerJSON struct {
	ClassName string          `json:"class_name"`
	Config    tokenizerConfig `json:"config"`
}

// ToJSON returns the tokenizer as Keras's Tokenizer.to_json() writes it:
// {"class_name": "Tokenizer", "config": {...}} with num_words (null for
// all words), filters, lower, split, char_level, oov_token (null for none),
// document_count and word_counts, index_word and word_index, each a JSON
// object in a string. word_counts keeps the order of first appearance,
// which ties in the index depend on; the other two are sorted by index.
// TokenizerFromJSON reads it back.
func (t *Tokenizer) ToJSON() ([]byte, error) {
	c := tokenizerConfig{Filters: t.filters(), Lower: !t.NoLower, Split: t.split(), CharLevel: t.CharLevel, DocumentCount: t.docCount}
	if t.NumWords > 0 {
		n := t.NumWords
		c.NumWords = &n
	}
	if t.OOVToken != "" {
		o := t.OOVToken
		c.OOVToken = &o
	}
	var wc, iw, wi bytes.Buffer
	wc.WriteByte('{')
	for i, w := range t.order {
		if i > 0 {
			wc.WriteString(", ")
		}
		k, _ := json.Marshal(w)
		fmt.Fprintf(&wc, "%s: %d", k, t.wordCounts[w])
	}
	wc.WriteByte('}')
	idx := make([]int, 0, len(t.indexWord))
	for i := range t.indexWord {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	iw.WriteByte('{')
	wi.WriteByte('{')
	for n, i := range idx {
		if n > 0 {
			iw.WriteString(", ")
			wi.WriteString(", ")
		}
		k, _ := json.Marshal(t.indexWord[i])
		fmt.Fprintf(&iw, "\"%d\": %s", i, k)
		fmt.Fprintf(&wi, "%s: %d", k, i)
	}
	iw.WriteByte('}')
	wi.WriteByte('}')
	c.WordCounts, c.IndexWord, c.WordIndex = wc.String(), iw.String(), wi.String()
	return json.Marshal(tokenizerJSON{ClassName: "Tokenizer", Config: c})
}

// TokenizerFromJSON reads a tokenizer that ToJSON (or Keras's
// Tokenizer.to_json()) wrote. Its sequences are the saved tokenizer's.
func TokenizerFromJSON(b []byte) (*Tokenizer, error) {
	var j tokenizerJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("preprocessing: tokenizer JSON: %w", err)
	}
	if j.ClassName != "Tokenizer" {
		return nil, fmt.Errorf("preprocessing: tokenizer JSON: class_name is %q, not \"Tokenizer\"", j.ClassName)
	}
	c := j.Config
	filters := c.Filters
	t := &Tokenizer{Filters: &filters, NoLower: !c.Lower, Split: c.Split, CharLevel: c.CharLevel, docCount: c.DocumentCount}
	if c.NumWords != nil {
		if *c.NumWords < 0 {
			return nil, fmt.Errorf("preprocessing: tokenizer JSON: num_words %d is negative", *c.NumWords)
		}
		t.NumWords = *c.NumWords
	}
	if c.OOVToken != nil {
		t.OOVToken = *c.OOVToken
	}
	t.wordCounts = map[string]int{}
	if c.WordCounts != "" {
		// An ordered read: the order of first appearance is kept.
		dec := json.NewDecoder(bytes.NewReader([]byte(c.WordCounts)))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, fmt.Errorf("preprocessing: tokenizer JSON: word_counts is not a JSON object")
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("preprocessing: tokenizer JSON: word_counts: %w", err)
			}
			w := tok.(string)
			var n int
			if err := dec.Decode(&n); err != nil {
				return nil, fmt.Errorf("preprocessing: tokenizer JSON: word_counts[%q]: %w", w, err)
			}
			if _, dup := t.wordCounts[w]; !dup {
				t.order = append(t.order, w)
			}
			t.wordCounts[w] = n
		}
	}
	t.wordIndex = map[string]int{}
	if c.WordIndex != "" {
		if err := json.Unmarshal([]byte(c.WordIndex), &t.wordIndex); err != nil {
			return nil, fmt.Errorf("preprocessing: tokenizer JSON: word_index: %w", err)
		}
	}
	t.indexWord = make(map[int]string, len(t.wordIndex))
	for w, i := range t.wordIndex {
		if i < 1 {
			return nil, fmt.Errorf("preprocessing: tokenizer JSON: word_index[%q] is %d (indices start at 1)", w, i)
		}
		t.indexWord[i] = w
	}
	if c.IndexWord != "" {
		var iw map[string]string
		if err := json.Unmarshal([]byte(c.IndexWord), &iw); err != nil {
			return nil, fmt.Errorf("preprocessing: tokenizer JSON: index_word: %w", err)
		}
		for k, w := range iw {
			i, err := strconv.Atoi(k)
			if err != nil || t.wordIndex[w] != i {
				return nil, fmt.Errorf("preprocessing: tokenizer JSON: index_word[%q] = %q does not match word_index", k, w)
			}
		}
	}
	return t, nil
}
