// Package datasets loads the data sets of neurona's examples with the same
// train/test splits as keras.datasets, and reads the IDX files that MNIST and
// similar data sets ship in.
//
// BostonHousing is embedded in this package (35 KB). MNIST lives in the
// subpackage datasets/mnist, so that only programs importing it carry its
// 11 MB of embedded data.
package datasets

import "github.com/neurona/neurona/tensor"

// Split is one part of a dataset: inputs X and targets Y. Row i of X goes with
// row i of Y.
type Split struct{ X, Y *tensor.Tensor }

// Len returns the number of samples, X's first dimension (0 when X is nil).
func (s Split) Len() int {
	if s.X == nil {
		return 0
	}
	return s.X.Rows()
}

// Head returns the first n samples of s (all of them when it has fewer), as
// views of s's data. A nil Y stays nil.
func (s Split) Head(n int) Split { return s.Slice(0, min(n, s.Len())) }

// Slice returns samples [lo, hi) of s as views of s's data, such as the
// last 10% that Keras's validation_split holds out. A nil Y stays nil. It
// panics if the range is not within s, as slicing does.
func (s Split) Slice(lo, hi int) Split {
	rows := func(t *tensor.Tensor) *tensor.Tensor {
		if t == nil {
			return nil
		}
		rs := t.RowSize()
		return tensor.FromSlice(t.Data[lo*rs:hi*rs], append([]int{hi - lo}, t.Shape[1:]...)...)
	}
	return Split{X: rows(s.X), Y: rows(s.Y)}
}
