package autograd

import (
	"math"
	"sync/atomic"

	"github.com/neurona/neurona/internal/cpu"
)

// The sparse backward pass of a convolution. Behind a global max pooling
// each (sample, filter) pair passes its gradient to one output position,
// so the convolution's output gradient is almost all zeros: the text CNN
// of conv-sentiment (Conv1D(256, 3) over 398 positions, then
// GlobalMaxPooling1D) keeps at most 1 value in 398, and ReLU zeroes some
// of those too. The dense backward pass still spends two GEMMs of
// rows·K·f multiply-adds each on them (the kernel and the input gradient)
// plus a pass of the ReLU's derivative over the whole output.
//
// Where a chunk's gradient dz = dy·relu'(y) has at most one nonzero value
// in sparseDensity, the backward pass works from the nonzero entries
// alone: for an entry (r, f) of value v, the kernel gradient's column f
// gains v times the window of output position r, and that window's
// gradient gains v times the kernel's column f. That is nnz·K
// multiply-adds each instead of rows·K·f. Finding the entries
// (cpu.ReluGradSparse) costs one read of dy, one vector test per 16
// zeros; y is read and the ReLU's derivative taken only where dy is not
// zero. The sums run in the entries' order (row by row, in one goroutine),
// so the results do not depend on the number of workers; they differ from
// the dense path's only by the order of the roundings.
//
// The path is taken for ReLU convolutions on the im2col route (not the
// Winograd ones), which keep a dz buffer in their node: it holds the
// entries' values, the kernel transposed, the kernel gradient transposed
// and one window and its gradient; the entries' positions are in the
// node's integer scratch.

// sparseConvGrad enables the sparse path for convolutions recorded while
// it is true; tests turn it off to compare the two paths.
var sparseConvGrad = true

// sparseConvChunks counts the chunks that took the sparse path, for tests.
var sparseConvChunks atomic.Int64

// sparseDensity is the sparsity the path needs: at most one nonzero value
// of dz in this many.
const sparseDensity = 32

// sparseCap returns the number of entries the sparse path may hold for a
// chunk of rows outputs of f values.
func sparseCap(rows, f int) int { return rows * f / sparseDensity }

// sparseBackward computes, for one chunk of rows output positions of a
// ReLU convolution, the bias, kernel and input gradients (added into db,
// dw and dx, each nil when not wanted) from the nonzero entries of
// dz = dy·relu'(y), and reports whether it did. It reports false, having
// written nothing, when dz has more than sparseCap(rows, f) nonzero
// entries or the node's scratch cannot hold the work. xs holds the chunk's
// images and dx their gradient; cols is the chunk's im2col matrix when it
// was kept from the forward pass, else nil; w is the kernel.
func (g *convGeom) sparseBackward(nd *node, rows int, dy, y, xs, cols, w, dx, dw, db []float32) bool {
	f, K, ohw, img := g.f, g.k(), g.outPix(), g.inImg()
	if nd.aux[1] == nil || len(dy) >= math.MaxInt32 {
		return false
	}
	idx := nd.idx[:min(len(nd.idx), sparseCap(rows, f))]
	buf := nd.aux[1].Data
	if len(idx) == 0 || len(idx)+2*f*K+2*K > len(buf) {
		return false
	}
	val := buf[:len(idx)]
	n := cpu.ReluGradSparse(idx, val, dy, y)
	if n < 0 {
		return false
	}
	sparseConvChunks.Add(1)
	o := len(idx)
	wt, dwt := buf[o:o+f*K], buf[o+f*K:o+2*f*K]
	win, dwin := buf[o+2*f*K:o+2*f*K+K], buf[o+2*f*K+K:o+2*f*K+2*K]
	if db != nil {
		for e := range n {
			db[int(idx[e])%f] += val[e]
		}
	}
	if dw != nil {
		clear(dwt)
	}
	if dx != nil {
		cpu.Transpose(wt, K, w, f, K, f) // wt[fo·K+k] = w[k·f+fo]
	}
	for e := 0; e < n; {
		r := int(idx[e]) / f
		end := e + 1
		for end < n && int(idx[end])/f == r {
			end++
		}
		s, p := r/ohw, r%ohw
		if dw != nil {
			a := win
			if cols != nil {
				a = cols[r*K : (r+1)*K]
			} else {
				g.im2colRow(win, xs[s*img:(s+1)*img], p)
			}
			for q := e; q < end; q++ {
				fo := int(idx[q]) % f
				cpu.Axpy(dwt[fo*K:(fo+1)*K], a, val[q])
			}
		}
		if dx != nil {
			clear(dwin)
			for q := e; q < end; q++ {
				fo := int(idx[q]) % f
				cpu.Axpy(dwin, wt[fo*K:(fo+1)*K], val[q])
			}
			g.col2imRow(dx[s*img:(s+1)*img], dwin, p)
		}
		e = end
	}
	if dw != nil {
		for k := range K {
			d := dw[k*f : (k+1)*f]
			for fo := range d {
				d[fo] += dwt[fo*K+k]
			}
		}
	}
	return true
}
