package datasets

import (
	"fmt"
	"io"
	"os"

	"github.com/neurona/neurona/tensor"
)

// CSVDataset streams a CSV file of numbers in batches, reading the file
// again on every pass, so that a table larger than memory trains through
// models.(*Model).FitDataset (it is a models.Dataset). Memory holds one
// batch. Batches come in the file's order: shuffle the file's rows
// beforehand if the order matters. Gzip-compressed files are read as
// ReadCSV reads them.
type CSVDataset struct {
	path string
	opts CSVOptions
	bs   int
	rows int

	f      *os.File
	r      *CSVReader
	pass   int // the pass r is reading; -1 when none
	next   int // the batch r reads next
	xs, ys []*tensor.Tensor
}

// NewCSVDataset returns the CSV file at path as batches of batchSize rows
// (the last one shorter). It reads the whole file once, to count its rows
// and check every cell, so that a bad cell is reported now and not in the
// middle of training; opts are ReadCSV's (without Classes detection: give
// opts.Classes for a column of class names).
func NewCSVDataset(path string, opts CSVOptions, batchSize int) (*CSVDataset, error) {
	if batchSize <= 0 {
		return nil, fmt.Errorf("csv dataset: batch size must be positive, got %d", batchSize)
	}
	if opts.Name == "" {
		opts.Name = path
	}
	d := &CSVDataset{path: path, opts: opts, bs: batchSize, pass: -1}
	if err := d.open(); err != nil {
		return nil, err
	}
	defer d.Close()
	for {
		x, _, err := d.r.Next(4096)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		d.rows += x.Rows()
	}
	return d, nil
}

func (d *CSVDataset) open() error {
	d.Close()
	f, err := os.Open(d.path)
	if err != nil {
		return fmt.Errorf("csv dataset: %w", err)
	}
	r, err := NewCSVReader(f, d.opts)
	if err != nil {
		f.Close()
		return err
	}
	d.f, d.r, d.next = f, r, 0
	return nil
}

// Close closes the file the dataset is reading, if any; the next Batch
// opens it again.
func (d *CSVDataset) Close() error {
	d.pass = -1
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f, d.r = nil, nil
	return err
}

// Samples returns the number of data rows.
func (d *CSVDataset) Samples() int { return d.rows }

// Len returns the number of batches in a pass.
func (d *CSVDataset) Len() int { return (d.rows + d.bs - 1) / d.bs }

// Batch returns batch i of pass pass: the file's rows [i·batch,
// (i+1)·batch), the same on every pass. Asked for in order, it reads on
// from where the previous batch ended; otherwise it reads the file again
// from its start. The tensors are reused by the next call.
func (d *CSVDataset) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	if i < 0 || i >= d.Len() || pass < 0 {
		return nil, nil, fmt.Errorf("csv dataset: batch %d of pass %d: there are %d batches per pass", i, pass, d.Len())
	}
	if d.r == nil || d.pass != pass || i < d.next {
		if err := d.open(); err != nil {
			return nil, nil, err
		}
		d.pass = pass
	}
	for d.next < i { // skip
		if _, _, err := d.r.Next(d.bs); err != nil {
			return nil, nil, d.changed(err)
		}
		d.next++
	}
	x, y, err := d.r.Next(d.bs)
	if err != nil {
		return nil, nil, d.changed(err)
	}
	d.next++
	if want := min(d.bs, d.rows-i*d.bs); x.Rows() != want {
		return nil, nil, fmt.Errorf("%s: batch %d has %d rows, want %d: the file changed while training", d.opts.Name, i+1, x.Rows(), want)
	}
	d.xs = append(d.xs[:0], x)
	if y == nil {
		return d.xs, nil, nil
	}
	d.ys = append(d.ys[:0], y)
	return d.xs, d.ys, nil
}

// changed turns an early end of the file into an error saying so.
func (d *CSVDataset) changed(err error) error {
	if err == io.EOF {
		return fmt.Errorf("%s: the file has fewer than its %d rows: it changed while training", d.opts.Name, d.rows)
	}
	return err
}
