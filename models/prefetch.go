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
	x, y   *tensor.Tensor // training data
	xb, yb [2]*tensor.Tensor
	xs, ys []int // batch shapes, reused
	next   int   // which buffer pair the prepared gather fills
	idx    []int // its rows; nil once started
	rows   []int // the rows of the gather started
	task   cpu.Task
	gather func(lo, hi int)
	start  func()
}

// prefetchChunk is the size, in floats, of the pieces the gather is cut
// into: a worker checks for the training step's parallel work between
// pieces, so the gather delays it by a few microseconds at most.
const prefetchChunk = 1 << 13

func newPrefetcher(x, y *tensor.Tensor, bs int) *prefetcher {
	p := &prefetcher{x: x, y: y}
	p.xs = append([]int{bs}, x.Shape[1:]...)
	p.ys = append([]int{bs}, y.Shape[1:]...)
	for i := range p.xb {
		p.xb[i] = tensor.New(p.xs...)
		p.yb[i] = tensor.New(p.ys...)
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
func (p *prefetcher) take(i int) (x, y *tensor.Tensor) {
	p.start()
	p.task.Wait()
	return p.xb[i], p.yb[i]
}

func (p *prefetcher) resize(i, rows int) {
	p.xs[0], p.ys[0] = rows, rows
	p.xb[i].Resize(p.xs...)
	p.yb[i].Resize(p.ys...)
}

// prefetchMin is the batch size, in floats, from which the gather runs in
// the background: handing a few rows to a worker costs more than copying.
const prefetchMin = 1 << 12

func (p *prefetcher) startNow() {
	if p.idx == nil {
		return
	}
	p.rows, p.idx = p.idx, nil
	if len(p.rows)*p.x.RowSize() < prefetchMin {
		p.gatherNow(0, len(p.rows))
		return
	}
	p.task.Start(len(p.rows), max(1, prefetchChunk/p.x.RowSize()), p.gather)
}

// gatherNow copies rows [lo, hi) of the started gather.
func (p *prefetcher) gatherNow(lo, hi int) {
	tensor.GatherRowsAt(p.xb[p.next], lo, p.x, p.rows[lo:hi])
	tensor.GatherRowsAt(p.yb[p.next], lo, p.y, p.rows[lo:hi])
}
