package datasets

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/neurona/neurona/internal/nprand"
	"github.com/neurona/neurona/internal/pickle"
)

const (
	// IMDBURL is where Keras 2.2 downloads imdb.npz from.
	IMDBURL = "https://s3.amazonaws.com/text-datasets/imdb.npz"
	// IMDBSHA256 is imdb.npz's sha256 as Keras (3.x, keras/src/datasets/
	// imdb.py) publishes it for the same file on its current mirror; Keras
	// 2.2.0 checked the md5 599dadb1135973df5b59232a0e9a887c instead.
	IMDBSHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
	// IMDBWordIndexURL is where Keras downloads imdb_word_index.json from
	// (md5 bfafd718b763782e994055a2d397834f; no sha256 is published).
	IMDBWordIndexURL = "https://s3.amazonaws.com/text-datasets/imdb_word_index.json"
)

// MaxIMDBMember is the largest member of imdb.npz IMDB reads, in bytes
// (the real x_train.npy is about 28 MB as pickled).
var MaxIMDBMember int64 = 1 << 30

// SeqSplit is one part of a sequence data set: token-id sequences X (of
// varying lengths) and their labels Y.
type SeqSplit struct {
	X [][]int
	Y []int
}

// Len returns the number of sequences.
func (s SeqSplit) Len() int { return len(s.X) }

// IMDBOptions are keras.datasets.imdb.load_data's arguments. The zero value
// is Keras's defaults. For StartChar, OOVChar and IndexFrom, 0 means the
// Keras default and a negative value means Keras's None (no start mark; drop
// the cut words instead of marking them) or, for IndexFrom, 0.
type IMDBOptions struct {
	// NumWords keeps ids below NumWords (after the IndexFrom offset); 0
	// means all. Every other id becomes OOVChar.
	NumWords int
	// SkipTop turns ids below SkipTop (the offset ids, start mark
	// included) into OOVChar.
	SkipTop int
	// MaxLen drops sequences (start mark counted) of MaxLen or more ids;
	// 0 keeps all. Each split is filtered on its own (Keras 2.2.0 split the
	// filtered list at the unfiltered training count, a bug fixed later).
	MaxLen int
	// Seed seeds the shuffles; 0 means 113.
	Seed uint32
	// StartChar marks each sequence's start (default 1; negative: none).
	StartChar int
	// OOVChar replaces cut ids (default 2; negative: cut ids are dropped).
	OOVChar int
	// IndexFrom is added to every word rank (default 3; negative: 0).
	IndexFrom int
	// Path is imdb.npz's path. When empty, the file is Dir/imdb.npz,
	// downloaded from URL when absent.
	Path string
	// Dir is the cache directory; "" means DataDir().
	Dir string
	// URL overrides IMDBURL; SHA256 overrides IMDBSHA256 ("-" skips the
	// check).
	URL, SHA256 string
	// Progress receives the download's progress bar when it is a terminal;
	// nil means os.Stderr.
	Progress io.Writer
}

func def(v, d int) int {
	switch {
	case v == 0:
		return d
	case v < 0:
		return -1
	}
	return v
}

// IMDB loads the IMDB movie-review sentiment data as Keras 2.2's
// keras.datasets.imdb.load_data does: 25,000 training and 25,000 test
// reviews as word-rank sequences with labels 1 (positive) and 0. The
// training arrays are shuffled with NumPy's legacy RandomState seeded with
// Seed, then the test arrays with the same generator's continuing stream.
// Each review becomes [StartChar] + [rank + IndexFrom ...]; then every id
// outside SkipTop <= id < NumWords becomes OOVChar (the start mark
// included, so SkipTop > 1 turns it into OOVChar as in Keras). Without
// NumWords the bound is the largest id, so (as in Keras) that one id
// becomes OOVChar.
//
// The file is read from Path, or from the cache (Dir, default DataDir())
// and downloaded there from Keras's URL and checked against its sha256 when
// absent. Its object arrays are read with a restricted unpickler
// (internal/pickle) that runs no code.
func IMDB(opts IMDBOptions) (train, test SeqSplit, err error) {
	path := opts.Path
	if path == "" {
		dir := opts.Dir
		if dir == "" {
			dir = DataDir()
		}
		url, sum := opts.URL, opts.SHA256
		if url == "" {
			url = IMDBURL
		}
		switch sum {
		case "":
			sum = IMDBSHA256
		case "-":
			sum = ""
		}
		var progress io.Writer = os.Stderr
		if opts.Progress != nil {
			progress = opts.Progress
		}
		if path, err = Fetch("imdb.npz", url, sum, dir, progress); err != nil {
			return SeqSplit{}, SeqSplit{}, fmt.Errorf("%w (or put imdb.npz in %s)", err, dir)
		}
	}
	raw, err := readIMDBNPZ(path)
	if err != nil {
		return SeqSplit{}, SeqSplit{}, err
	}
	return imdbTransform(raw, opts)
}

type imdbRaw struct {
	xTrain, xTest [][]int
	yTrain, yTest []int
}

func imdbTransform(r imdbRaw, opts IMDBOptions) (train, test SeqSplit, err error) {
	seed := opts.Seed
	if seed == 0 {
		seed = 113
	}
	start, oov, from := def(opts.StartChar, 1), def(opts.OOVChar, 2), def(opts.IndexFrom, 3)
	if from < 0 {
		from = 0
	}
	rng := nprand.New(seed)
	shuffle := func(x [][]int, y []int) SeqSplit {
		idx := make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
		rng.Shuffle(idx)
		s := SeqSplit{X: make([][]int, len(x)), Y: make([]int, len(y))}
		for i, j := range idx {
			seq := make([]int, 0, len(x[j])+1)
			if start >= 0 {
				seq = append(seq, start)
			}
			for _, w := range x[j] {
				seq = append(seq, w+from)
			}
			s.X[i], s.Y[i] = seq, y[j]
		}
		return s
	}
	train = shuffle(r.xTrain, r.yTrain)
	test = shuffle(r.xTest, r.yTest)
	if opts.MaxLen > 0 {
		filter := func(s SeqSplit) SeqSplit {
			var o SeqSplit
			for i, x := range s.X {
				if len(x) < opts.MaxLen {
					o.X, o.Y = append(o.X, x), append(o.Y, s.Y[i])
				}
			}
			return o
		}
		train, test = filter(train), filter(test)
		if train.Len()+test.Len() == 0 {
			return SeqSplit{}, SeqSplit{}, fmt.Errorf("datasets: IMDB: no sequence is shorter than maxlen %d: increase it", opts.MaxLen)
		}
	}
	numWords := opts.NumWords
	if numWords <= 0 {
		for _, s := range [][][]int{train.X, test.X} {
			for _, x := range s {
				for _, w := range x {
					numWords = max(numWords, w)
				}
			}
		}
	}
	for _, s := range []SeqSplit{train, test} {
		for i, x := range s.X {
			out := x[:0]
			for _, w := range x {
				switch {
				case opts.SkipTop <= w && w < numWords:
					out = append(out, w)
				case oov >= 0:
					out = append(out, oov)
				}
			}
			s.X[i] = out
		}
	}
	return train, test, nil
}

func readIMDBNPZ(path string) (imdbRaw, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %w", path, err)
	}
	defer zr.Close()
	members := map[string][]byte{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > uint64(MaxIMDBMember) {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: member %s of %d bytes, more than MaxIMDBMember", path, f.Name, f.UncompressedSize64)
		}
		rc, err := f.Open()
		if err != nil {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %s: %w", path, f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxIMDBMember+1))
		rc.Close()
		if err != nil {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %s: %w", path, f.Name, err)
		}
		members[f.Name] = b
	}
	var r imdbRaw
	get := func(name string) ([]byte, error) {
		b, ok := members[name+".npy"]
		if !ok {
			return nil, fmt.Errorf("datasets: IMDB: %s has no %s.npy (want x_train, y_train, x_test, y_test)", path, name)
		}
		return b, nil
	}
	for _, m := range []struct {
		name string
		dst  *[][]int
	}{{"x_train", &r.xTrain}, {"x_test", &r.xTest}} {
		b, err := get(m.name)
		if err != nil {
			return imdbRaw{}, err
		}
		if *m.dst, err = readObjectNPY(b); err != nil {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %s.npy: %w", path, m.name, err)
		}
	}
	for _, m := range []struct {
		name string
		dst  *[]int
		n    int
	}{{"y_train", &r.yTrain, len(r.xTrain)}, {"y_test", &r.yTest, len(r.xTest)}} {
		b, err := get(m.name)
		if err != nil {
			return imdbRaw{}, err
		}
		t, err := ReadNPY(bytes.NewReader(b))
		if err != nil {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %s.npy: %w", path, m.name, err)
		}
		if len(t.Data) != m.n {
			return imdbRaw{}, fmt.Errorf("datasets: IMDB: %s: %s has %d labels for %d sequences", path, m.name, len(t.Data), m.n)
		}
		*m.dst = make([]int, m.n)
		for i, v := range t.Data {
			(*m.dst)[i] = int(v)
		}
	}
	return r, nil
}

// readObjectNPY reads a .npy file holding a pickled 1-D object array of int
// lists.
func readObjectNPY(b []byte) ([][]int, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, ErrNPYBadMagic
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, ErrNPYTruncated
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf("%w: version %d", ErrNPYBadMagic, b[6])
	}
	if hlen > MaxNPYHeader || off+hlen > len(b) {
		return nil, ErrNPYTruncated
	}
	descr, fortran, shape, err := parseNPYHeader(string(b[off : off+hlen]))
	if err != nil {
		return nil, err
	}
	if descr != "|O" || fortran || len(shape) != 1 {
		return nil, fmt.Errorf("%w: descr %s shape %v, want a 1-D object array ('|O')", ErrNPYUnsupported, descr, shape)
	}
	lists, err := pickle.IntLists(b[off+hlen:], pickle.DefaultLimits)
	if err != nil {
		return nil, err
	}
	if len(lists) != shape[0] {
		return nil, fmt.Errorf("%w: the header says %d sequences, the pickle holds %d", ErrNPYSize, shape[0], len(lists))
	}
	return lists, nil
}

// IMDBWordIndex reads Keras's imdb_word_index.json (word → frequency rank
// from 1) from path, or, when path is "", from DataDir(), downloading it
// from IMDBWordIndexURL when absent (no sha256 is published for it, so none
// is checked). A word's id in IMDB's sequences is its rank plus IndexFrom
// (3 by default); 0 is padding, 1 the start mark, 2 the OOV mark.
func IMDBWordIndex(path string) (map[string]int, error) {
	if path == "" {
		var err error
		if path, err = Fetch("imdb_word_index.json", IMDBWordIndexURL, "", DataDir(), os.Stderr); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: IMDBWordIndex: %w", err)
	}
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("datasets: IMDBWordIndex: %s: %w", filepath.Base(path), err)
	}
	return m, nil
}
