package models

import (
	"errors"
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// Dataset is data that FitDataset, EvaluateDataset and PredictDataset take
// batch by batch, as Keras's keras.utils.Sequence: a fixed number of
// batches per pass, each of which can be asked for by its number. Data
// larger than memory (an image directory streamed by
// preprocessing.ImageDataGenerator, a CSV file read in chunks) and
// in-memory arrays (ArrayDataset) are all Datasets, and they all train
// through FitDataset.
//
// Packages that produce Datasets need not import models: any type with
// these two methods is one.
type Dataset interface {
	// Len returns the number of batches in one pass over the data
	// (Keras's Sequence.__len__); it must not change between calls.
	Len() int
	// Batch returns batch i (0 ≤ i < Len()) of the data's pass number
	// pass (0, 1, …): one array per model input and one target per output
	// (targets may be nil for PredictDataset), every array with the same
	// number of rows, at least one. A Dataset that shuffles or augments
	// derives its order and its random transforms from its seed and pass
	// alone, so a batch is the same whenever it is asked for. The caller
	// uses the returned tensors only until its next call to Batch, and
	// calls Batch from one goroutine at a time, in increasing order within
	// a pass: a Dataset may reuse its buffers and read ahead.
	Batch(pass, i int) (xs, ys []*tensor.Tensor, err error)
}

// ArrayDataset is in-memory arrays as a Dataset: batches of BatchSize rows
// (the last one shorter), in a new random order on every pass unless
// NoShuffle is set. The order of pass p is the seeded shuffle of the order
// of pass p−1 with Fit's shuffling stream, so FitDataset over an
// ArrayDataset and Fit over the same arrays, batch size and seed train
// alike. The batches are views of gathered copies held by the dataset.
type ArrayDataset struct {
	xs, ys    []*tensor.Tensor
	bs        int
	noShuffle bool
	seed      uint64

	rng   *tensor.RNG
	pass  int   // the pass idx is the order of; -1 before the first
	idx   []int // the sample order of pass
	xb    []*tensor.Tensor
	yb    []*tensor.Tensor
	xview []*tensor.Tensor
	yview []*tensor.Tensor
}

// NewArrayDataset returns xs and ys (one array per input, one target per
// output; ys may be nil) as a Dataset of batches of batchSize rows,
// shuffled with seed on every pass unless noShuffle.
func NewArrayDataset(xs, ys []*tensor.Tensor, batchSize int, noShuffle bool, seed uint64) (*ArrayDataset, error) {
	if batchSize <= 0 {
		return nil, fmt.Errorf("array dataset: batch size must be positive, got %d", batchSize)
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("array dataset: no input arrays")
	}
	n := -1
	for i, t := range append(append([]*tensor.Tensor(nil), xs...), ys...) {
		if t == nil || t.Dims() == 0 {
			return nil, fmt.Errorf("array dataset: array %d is missing or a scalar", i)
		}
		if n >= 0 && t.Rows() != n {
			return nil, fmt.Errorf("array dataset: array %d has %d rows, array 0 has %d: they must match", i, t.Rows(), n)
		}
		n = t.Rows()
	}
	if n == 0 {
		return nil, fmt.Errorf("array dataset: no samples")
	}
	d := &ArrayDataset{xs: xs, ys: ys, bs: batchSize, noShuffle: noShuffle, seed: seed, pass: -1}
	d.idx = make([]int, n)
	alloc := func(ts []*tensor.Tensor) (bufs, views []*tensor.Tensor) {
		for _, t := range ts {
			bufs = append(bufs, tensor.New(append([]int{min(batchSize, n)}, t.Shape[1:]...)...))
		}
		for _, b := range bufs {
			views = append(views, tensor.FromSlice(b.Data, b.Shape...))
		}
		return bufs, views
	}
	d.xb, d.xview = alloc(xs)
	d.yb, d.yview = alloc(ys)
	return d, nil
}

// Len implements Dataset.
func (d *ArrayDataset) Len() int { n := len(d.idx); return (n + d.bs - 1) / d.bs }

// Samples returns the number of rows.
func (d *ArrayDataset) Samples() int { return len(d.idx) }

// Batch implements Dataset.
func (d *ArrayDataset) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	if i < 0 || i >= d.Len() || pass < 0 {
		return nil, nil, fmt.Errorf("array dataset: batch %d of pass %d: there are %d batches per pass", i, pass, d.Len())
	}
	if d.pass < 0 || pass < d.pass { // (re)play the shuffles from the start
		for j := range d.idx {
			d.idx[j] = j
		}
		d.rng = tensor.NewRNG(d.seed).Split() // Fit's shuffling stream
		d.pass = -1
	}
	for d.pass < pass {
		if !d.noShuffle {
			d.rng.Shuffle(d.idx)
		}
		d.pass++
	}
	lo, hi := i*d.bs, min((i+1)*d.bs, len(d.idx))
	gather := func(src, bufs, views []*tensor.Tensor) {
		for k, t := range src {
			rs := t.RowSize()
			b := bufs[k]
			for r, j := range d.idx[lo:hi] {
				copy(b.Data[r*rs:(r+1)*rs], t.Data[j*rs:(j+1)*rs])
			}
			views[k].Data = b.Data[:(hi-lo)*rs]
			views[k].Shape[0] = hi - lo
		}
	}
	gather(d.xs, d.xb, d.xview)
	gather(d.ys, d.yb, d.yview)
	return d.xview, d.yview, nil
}

// checkDataset validates a Dataset argument and the number of batches to
// take from it (0: one pass).
func checkDataset(what string, ds Dataset, steps int) (int, error) {
	if ds == nil {
		return 0, fmt.Errorf("%s: no dataset", what)
	}
	n := ds.Len()
	if n <= 0 {
		return 0, fmt.Errorf("%s: the dataset has no batches", what)
	}
	if steps < 0 {
		return 0, fmt.Errorf("%s: steps must not be negative, got %d", what, steps)
	}
	if steps == 0 {
		steps = n
	}
	return steps, nil
}

// datasetBatch returns the batch at position pos of ds's stream of
// passes, checked against the model (its inputs alone, without targets):
// pos counts batches from the start of pass 0, so pos = pass·Len + i. The
// checked targets are appended to dst[:0].
func (m *Model) datasetBatch(ds Dataset, pos int, targets bool, dst []*tensor.Tensor) (xs, ys []*tensor.Tensor, err error) {
	n := ds.Len()
	pass, i := pos/n, pos%n
	xs, ys, err = ds.Batch(pass, i)
	if err == nil {
		if targets {
			xs, ys, err = m.checkData("", xs, ys, dst[:0])
		} else {
			ys, err = nil, m.checkInputs("", xs)
		}
		if err == nil && xs[0].Rows() == 0 {
			err = errors.New("it is empty")
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("batch %d of pass %d: %w", i+1, pass+1, err)
	}
	return xs, ys, nil
}
