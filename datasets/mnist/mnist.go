// Package mnist embeds the MNIST handwritten digits (LeCun, Cortes & Burges;
// CC BY-SA 3.0) and loads them as keras.datasets.mnist.load_data() does.
//
// The four gzip-compressed IDX files add about 11 MB to any program that
// imports this package, which is why it is separate from package datasets.
package mnist

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/tensor"
)

var (
	//go:embed data/train-images-idx3-ubyte.gz
	trainImages []byte
	//go:embed data/train-labels-idx1-ubyte.gz
	trainLabels []byte
	//go:embed data/t10k-images-idx3-ubyte.gz
	testImages []byte
	//go:embed data/t10k-labels-idx1-ubyte.gz
	testLabels []byte
)

// file is one embedded IDX file and its expected sha256.
type file struct {
	name   string
	data   []byte
	sha256 string
}

var files = [4]file{
	{"train-images-idx3-ubyte.gz", trainImages, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
	{"train-labels-idx1-ubyte.gz", trainLabels, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
	{"t10k-images-idx3-ubyte.gz", testImages, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
	{"t10k-labels-idx1-ubyte.gz", testLabels, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
}

// Load returns MNIST in Keras's order: train holds 60,000 images and test
// 10,000. X has shape (n, 28, 28) with the pixel values 0..255 as float32
// (not scaled), and Y has shape (n,) with the digit labels 0..9 as float32.
// It checks each embedded file's sha256 and decodes the files afresh on every
// call (a fraction of a second), so the caller owns the tensors it gets.
func Load() (train, test datasets.Split, err error) {
	var ts [4]*tensor.Tensor
	errs := make(chan error, len(files))
	for i := range files {
		go func() {
			var err error
			ts[i], err = decode(files[i])
			errs <- err
		}()
	}
	for range files {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return datasets.Split{}, datasets.Split{}, err
	}
	if train, err = datasets.PairIDX(ts[0], ts[1], files[0].name, files[1].name); err != nil {
		return datasets.Split{}, datasets.Split{}, fmt.Errorf("mnist: %w", err)
	}
	if test, err = datasets.PairIDX(ts[2], ts[3], files[2].name, files[3].name); err != nil {
		return datasets.Split{}, datasets.Split{}, fmt.Errorf("mnist: %w", err)
	}
	return train, test, nil
}

// decode checks f's sha256 and reads it as IDX.
func decode(f file) (*tensor.Tensor, error) {
	if err := verify(f); err != nil {
		return nil, err
	}
	t, err := datasets.ReadIDX(bytes.NewReader(f.data))
	if err != nil {
		return nil, fmt.Errorf("mnist: embedded %s: %w", f.name, err)
	}
	return t, nil
}

// verify checks f's sha256.
func verify(f file) error {
	sum := sha256.Sum256(f.data)
	if got := hex.EncodeToString(sum[:]); got != f.sha256 {
		return fmt.Errorf("mnist: embedded %s is corrupt: sha256 %s, want %s", f.name, got, f.sha256)
	}
	return nil
}
