package datasets

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// testdata/imdb_fixture.npz is in imdb.npz's layout; make_imdb.py wrote it
// and, with Keras 2.2.0's load_data steps on numpy's RNG, the expected
// results in imdb_fixture_expected.json.
func TestIMDBFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/imdb_fixture_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		XTrain [][]int `json:"x_train"`
		YTrain []int   `json:"y_train"`
		XTest  [][]int `json:"x_test"`
		YTest  []int   `json:"y_test"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	opts := map[string]IMDBOptions{
		"default":                               {},
		"num_words=20,skip_top=5":               {NumWords: 20, SkipTop: 5},
		"num_words=20,skip_top=5,oov_char=None": {NumWords: 20, SkipTop: 5, OOVChar: -1},
		"maxlen=8":                              {MaxLen: 8},
		"seed=1,start_char=None,index_from=0":   {Seed: 1, StartChar: -1, IndexFrom: -1},
	}
	for name, o := range opts {
		w, ok := want[name]
		if !ok {
			t.Fatalf("no expected results for %s", name)
		}
		o.Path = "testdata/imdb_fixture.npz"
		tr, te, err := IMDB(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		norm := func(x [][]int) [][]int {
			out := make([][]int, len(x))
			for i, s := range x {
				out[i] = append([]int{}, s...)
			}
			return out
		}
		if !reflect.DeepEqual(norm(tr.X), norm(w.XTrain)) || !reflect.DeepEqual(tr.Y, w.YTrain) {
			t.Errorf("%s: train\n got %v %v\nwant %v %v", name, tr.X, tr.Y, w.XTrain, w.YTrain)
		}
		if !reflect.DeepEqual(norm(te.X), norm(w.XTest)) || !reflect.DeepEqual(te.Y, w.YTest) {
			t.Errorf("%s: test\n got %v %v\nwant %v %v", name, te.X, te.Y, w.XTest, w.YTest)
		}
	}
}

// Keras's offset and skip_top rules, checked directly: every id is a rank
// plus 3 after a start mark 1, and with skip_top 5 / num_words 20 every id
// outside [5, 20) is 2, the start mark included.
func TestIMDBOffsetAndSkipTop(t *testing.T) {
	tr, _, err := IMDB(IMDBOptions{Path: "testdata/imdb_fixture.npz"})
	if err != nil {
		t.Fatal(err)
	}
	cut, _, err := IMDB(IMDBOptions{Path: "testdata/imdb_fixture.npz", NumWords: 20, SkipTop: 5})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := readIMDBNPZ("testdata/imdb_fixture.npz")
	if err != nil {
		t.Fatal(err)
	}
	maxID := 0
	for _, x := range append(append([][]int{}, raw.xTrain...), raw.xTest...) {
		for _, w := range x {
			maxID = max(maxID, w+3)
		}
	}
	for i, x := range tr.X {
		if x[0] != 1 {
			t.Fatalf("review %d starts with %d, want the start mark 1", i, x[0])
		}
		for _, w := range x[1:] {
			if w < 4 && w != 2 || w == maxID {
				t.Fatalf("review %d: id %d (ranks start at 1, +3; the largest id %d is OOV)", i, w, maxID)
			}
		}
		if len(cut.X[i]) != len(x) {
			t.Fatalf("review %d: oov_char keeps lengths: %d vs %d", i, len(cut.X[i]), len(x))
		}
		for j, w := range x {
			want := w
			if w < 5 || w >= 20 {
				want = 2
			}
			if cut.X[i][j] != want {
				t.Fatalf("review %d, id %d: %d with skip_top 5, num_words 20, want %d", i, j, cut.X[i][j], want)
			}
		}
	}
}

func TestIMDBDownload(t *testing.T) {
	good, err := os.ReadFile("testdata/imdb_fixture.npz")
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := fileSHA256("testdata/imdb_fixture.npz")
	var body []byte
	var length int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(length))
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	o := IMDBOptions{Dir: dir, URL: srv.URL + "/imdb.npz", SHA256: sum}

	// Corrupt: one byte flipped.
	body = append([]byte{}, good...)
	body[100] ^= 0xff
	length = len(body)
	if _, _, err := IMDB(o); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), dir) {
		t.Errorf("corrupt download: %v", err)
	}
	// Truncated: the server promises more than it sends.
	body, length = good[:len(good)/2], len(good)
	if _, _, err := IMDB(o); err == nil {
		t.Error("truncated download accepted")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed downloads left files: %v", ents)
	}
	// Good.
	body, length = good, len(good)
	tr, _, err := IMDB(o)
	if err != nil || tr.Len() != 20 {
		t.Fatalf("download: %d sequences, %v", tr.Len(), err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "imdb.npz")); !reflect.DeepEqual(got, good) {
		t.Error("the cached file differs from the served one")
	}
	// Cached: the server is not asked again.
	body, length = nil, 0
	if tr2, _, err := IMDB(o); err != nil || !reflect.DeepEqual(tr2, tr) {
		t.Errorf("from the cache: %v", err)
	}
	// NEURONA_DATA is the default cache.
	t.Setenv("NEURONA_DATA", dir)
	if tr3, _, err := IMDB(IMDBOptions{SHA256: sum}); err != nil || tr3.Len() != 20 {
		t.Errorf("from $NEURONA_DATA: %v", err)
	}
}

func TestIMDBBadFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "imdb.npz")
	os.WriteFile(p, []byte("not a zip"), 0o644)
	if _, _, err := IMDB(IMDBOptions{Path: p}); err == nil {
		t.Error("a non-zip accepted")
	}
	if _, _, err := IMDB(IMDBOptions{Path: "testdata/imdb_fixture.npz", MaxLen: 1}); err == nil || !strings.Contains(err.Error(), "maxlen 1") {
		t.Errorf("maxlen 1: %v", err)
	}
}

func TestIMDBWordIndexFile(t *testing.T) {
	m, err := IMDBWordIndex("testdata/imdb_word_index_fixture.json")
	if err != nil || m["the"] != 1 || m["brilliant"] != 40 {
		t.Errorf("%v %v", m, err)
	}
}
