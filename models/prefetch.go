package models

import (
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// prefetcher gathers the shuffled rows of the next batch into a spare pair
// of buffers on a pool worker while the current batch trains. The training
// step starts it once its first layer has read the batch: in the book's
// dense nets the small layers after it, the loss and the first gradients
// leave the workers idle, and the gather (rows scattered over the whole
// training set, mostly cache misses) fills that gap; it is cut in pieces
// so that the worker still joins the step's parallel products. The copy is
// the same whoever does it, so results do not change.
type prefetcher struct {
	arrays  []*tensor.Tensor // training data: the inputs, then the targets
	nIn     int              // how many of arrays are inputs
	bufs    [2][]*tensor.Tensor
	xb, yb  [2][]*tensor.Tensor // bufs split into inputs and targets
	shapes  [][]int             // batch shapes, reused
	rowSize int                 // floats per row of the inputs
	next    int                 // which buffer pair the prepared gather fills
	idx     []int               // its rows; nil once started
	rows    []int               // the rows of the gather started
	task    cpu.Task
	gather  func(lo, hi int)
	start   func()
}

// prefetchChunk is the size, in floats, of the pieces the gather is cut
// into: a worker checks for the training step's parallel work between
// pieces, so the gather delays it by a few microseconds at most.
const prefetchChunk = 1 << 13

func newPrefetcher(xs, ys []*tensor.Tensor, bs int) *prefetcher {
	p := &prefetcher{arrays: append(append([]*tensor.Tensor(nil), xs...), ys...), nIn: len(xs)}
	for _, a := range p.arrays {
		p.shapes = append(p.shapes, append([]int{bs}, a.Shape[1:]...))
	}
	for _, x := range xs {
		p.rowSize += x.RowSize()
	}
	for i := range p.bufs {
		for _, s := range p.shapes {
			p.bufs[i] = append(p.bufs[i], tensor.New(s...))
		}
		p.xb[i], p.yb[i] = p.bufs[i][:p.nIn], p.bufs[i][p.nIn:]
	}
	p.gather = p.gatherNow
	p.start = p.startNow
	return p
}

// prepare sets up the gather of rows idx into buffer pair i, to be started
// by start (from the training step) and finished by take. A nil idx
// prepares nothing.
func (p *prefetcher) prepare(i int, idx []int) {
	p.task.Wait()
	p.idx = nil
	if idx != nil {
		p.resize(i, len(idx))
		p.next, p.idx = i, idx
	}
}

// take returns buffer pair i once the gather into it is done. A gather
// the training step did not start (the first batch of an epoch) starts
// here, and the caller and a free worker share it.
func (p *prefetcher) take(i int) (xs, ys []*tensor.Tensor) {
	p.start()
	p.task.Wait()
	return p.xb[i], p.yb[i]
}

func (p *prefetcher) resize(i, rows int) {
	for k, s := range p.shapes {
		s[0] = rows
		p.bufs[i][k].Resize(s...)
	}
}

// prefetchMin is the batch size, in floats, from which the gather runs in
// the background: handing a few rows to a worker costs more than copying.
const prefetchMin = 1 << 12

func (p *prefetcher) startNow() {
	if p.idx == nil {
		return
	}
	p.rows, p.idx = p.idx, nil
	if len(p.rows)*p.rowSize < prefetchMin {
		p.gatherNow(0, len(p.rows))
		return
	}
	p.task.Start(len(p.rows), max(1, prefetchChunk/p.rowSize), p.gather)
}

// gatherNow copies rows [lo, hi) of the started gather.
func (p *prefetcher) gatherNow(lo, hi int) {
	for k, a := range p.arrays {
		tensor.GatherRowsAt(p.bufs[p.next][k], lo, a, p.rows[lo:hi])
	}
}
