// Command export writes the rt-polarity split that `neurona run NAME --data
// rt-polarity` trains on (datasets.RTPolarity's seeded 90/10 split, a
// Tokenizer keeping num_words fitted on the training sentences, sequences
// padded 'pre'/'pre' to maxlen) as text files for bench/sentiment's PyTorch
// side: DIR/rt-NUMWORDS-{train,valid}.txt, one sample a line, the label
// first, then the maxlen token ids.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/spec"
)

func main() {
	dir := flag.String("dir", ".", "output directory")
	maxlen := flag.Int("maxlen", spec.RTPolarityMaxLen, "padded length")
	flag.Parse()
	if err := run(*dir, *maxlen, []int{5000, 10000}); err != nil {
		fmt.Fprintln(os.Stderr, "export:", err)
		os.Exit(1)
	}
}

func run(dir string, maxlen int, vocab []int) error {
	tr, va, err := datasets.RTPolarity()
	if err != nil {
		return err
	}
	for _, nw := range vocab {
		tok := &preprocessing.Tokenizer{NumWords: nw}
		tok.FitOnTexts(tr.Texts)
		for _, part := range []struct {
			name string
			s    datasets.TextSplit
		}{{"train", tr}, {"valid", va}} {
			x, err := preprocessing.PadSequences(tok.TextsToSequences(part.s.Texts), preprocessing.PadOptions{MaxLen: maxlen})
			if err != nil {
				return err
			}
			if err := write(filepath.Join(dir, fmt.Sprintf("rt-%d-%s.txt", nw, part.name)), x.Data, part.s.Labels, maxlen); err != nil {
				return err
			}
		}
	}
	return nil
}

func write(path string, x []float32, labels []int, maxlen int) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i, l := range labels {
		w.WriteString(strconv.Itoa(l))
		for _, v := range x[i*maxlen : (i+1)*maxlen] {
			w.WriteByte(' ')
			w.WriteString(strconv.Itoa(int(v)))
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
