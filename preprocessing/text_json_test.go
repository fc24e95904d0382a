package preprocessing

import (
	"reflect"
	"strings"
	"testing"
)

// TestTokenizerJSONRoundTrip: a tokenizer read back from ToJSON gives the
// same sequences, index and counts, and writes the same JSON.
func TestTokenizerJSONRoundTrip(t *testing.T) {
	texts := []string{"The cat sat on the mat.", "The dog ate my homework!", "Cat and dog, \"quoted\" words"}
	for _, tok := range []*Tokenizer{{}, {NumWords: 4, OOVToken: "<oov>"}, {CharLevel: true, NoLower: true}} {
		tok.FitOnTexts(texts)
		b, err := tok.ToJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), `{"class_name":"Tokenizer","config":{`) {
			t.Errorf("JSON starts %.40s", b)
		}
		back, err := TokenizerFromJSON(b)
		if err != nil {
			t.Fatal(err)
		}
		probe := append(texts, "an unseen sentence about the cat")
		if got, want := back.TextsToSequences(probe), tok.TextsToSequences(probe); !reflect.DeepEqual(got, want) {
			t.Errorf("sequences after the round trip %v, before %v", got, want)
		}
		if !reflect.DeepEqual(back.WordIndex(), tok.WordIndex()) || !reflect.DeepEqual(back.WordCounts(), tok.WordCounts()) || back.DocumentCount() != tok.DocumentCount() {
			t.Errorf("index, counts or document count differ after the round trip")
		}
		b2, _ := back.ToJSON()
		if string(b2) != string(b) {
			t.Errorf("JSON after the round trip:\n%s\nbefore:\n%s", b2, b)
		}
	}
}

func TestTokenizerFromJSONErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"class_name":"Foo","config":{}}`, "class_name"},
		{`not json`, "tokenizer JSON"},
		{`{"class_name":"Tokenizer","config":{"word_index":"{\"a\": 0}"}}`, "indices start at 1"},
		{`{"class_name":"Tokenizer","config":{"word_index":"{\"a\": 1}","index_word":"{\"1\": \"b\"}"}}`, "does not match"},
	} {
		if _, err := TokenizerFromJSON([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.in, err, c.want)
		}
	}
}
