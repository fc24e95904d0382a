package autograd

import (
	"fmt"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// sparseCases are ReLU convolutions followed by a global max pooling, whose
// output gradient is sparse enough for the sparse path: a Conv1D-shaped
// 1×3 kernel, a strided 2×3 one with same padding (windows over the
// border), a pointwise one and a dilated-like tall one; none is a Winograd
// shape.
var sparseCases = []convCase{
	{3, 1, 40, 5, 1, 3, 6, [2]int{1, 1}, Valid},
	{2, 9, 17, 3, 2, 3, 4, [2]int{2, 1}, Same},
	{2, 6, 7, 4, 1, 1, 5, [2]int{1, 1}, Valid},
	{2, 12, 5, 2, 4, 1, 3, [2]int{1, 1}, Same},
}

// sparseRun runs Conv2D(ReLU) → GlobalMaxPool2D forward and backward with
// the sparse path on or off and returns the output and the three gradients,
// and how many chunks took the sparse path.
func sparseRun(t *testing.T, cc convCase, sparse bool, x, w, b, seed *tensor.Tensor) ([]*tensor.Tensor, int64) {
	t.Helper()
	defer func(s bool) { sparseConvGrad = s }(sparseConvGrad)
	sparseConvGrad = sparse
	before := sparseConvChunks.Load()
	xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
	tp := NewTape()
	y := tp.GlobalMaxPool2D(tp.Conv2D(xv, wv, bv, cc.s, cc.pad, ReLU))
	tp.BackwardFrom(y, seed)
	return []*tensor.Tensor{y.Value, xv.Grad, wv.Grad, bv.Grad}, sparseConvChunks.Load() - before
}

// TestConvSparseBackwardMatchesDense checks the sparse backward pass
// against the dense one (GEMMs) on the same sparse gradient: in one chunk
// and in many, with the im2col matrix kept and rebuilt, and that the
// sparse path was taken (and not taken when it is off).
func TestConvSparseBackwardMatchesDense(t *testing.T) {
	defer func(c, k int) { convChunkFloats, keepColsFloats = c, k }(convChunkFloats, keepColsFloats)
	rng := tensor.NewRNG(31)
	for _, cc := range sparseCases {
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		seed := randn(rng, cc.n, cc.f)
		for _, chunk := range []int{1, 1 << 20} {
			for _, keep := range []int{0, 1 << 30} {
				convChunkFloats, keepColsFloats = chunk, keep
				name := fmt.Sprintf("%v, chunk %d, keep %d", cc, chunk, keep)
				sp, took := sparseRun(t, cc, true, x, w, b, seed)
				de, dense := sparseRun(t, cc, false, x, w, b, seed)
				if took == 0 || dense != 0 {
					t.Fatalf("%s: %d chunks sparse with the path on, %d with it off", name, took, dense)
				}
				for i := range sp {
					closeTensors(t, fmt.Sprintf("%s, tensor %d", name, i), sp[i], de[i], 1e-5)
				}
			}
		}
	}
}

// TestConvSparseFallsBack checks that a dense gradient takes the dense
// path even with the sparse one on, and gives the same bits as with it off.
func TestConvSparseFallsBack(t *testing.T) {
	rng := tensor.NewRNG(32)
	cc := sparseCases[0]
	x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
	run := func(sparse bool) ([]*tensor.Tensor, int64) {
		defer func(s bool) { sparseConvGrad = s }(sparseConvGrad)
		sparseConvGrad = sparse
		before := sparseConvChunks.Load()
		xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
		tp := NewTape()
		y := tp.Conv2D(xv, wv, bv, cc.s, cc.pad, ReLU)
		tp.BackwardFrom(y, randn(tensor.NewRNG(33), y.Value.Shape...))
		return []*tensor.Tensor{xv.Grad, wv.Grad, bv.Grad}, sparseConvChunks.Load() - before
	}
	on, took := run(true)
	off, _ := run(false)
	if took != 0 {
		t.Fatalf("a dense gradient took the sparse path in %d chunks", took)
	}
	for i := range on {
		closeTensors(t, fmt.Sprintf("tensor %d", i), on[i], off[i], 0)
	}
}

// TestGradConvSparse runs the finite-difference check through the sparse
// path. A global max pooling's argmax would move under the differences, so
// the sparse gradient comes from a fixed mask instead: the output times a
// constant that is zero but at one position per sample and filter.
func TestGradConvSparse(t *testing.T) {
	rng := tensor.NewRNG(34)
	for _, cc := range sparseCases {
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		oh, ow := ConvOutputLength(cc.h, cc.kh, cc.s[0], cc.pad), ConvOutputLength(cc.w, cc.kw, cc.s[1], cc.pad)
		mask := tensor.New(cc.n, oh, ow, cc.f)
		for s := range cc.n {
			for fo := range cc.f {
				p := (s*7 + fo*5) % (oh * ow)
				mask.Data[(s*oh*ow+p)*cc.f+fo] = 1
			}
		}
		before := sparseConvChunks.Load()
		gradCheckConst(t, "sparse Conv2D "+cc.String(), []*tensor.Tensor{x, w, b, mask}, 1, func(tp *Tape, in []*Var) *Var {
			return tp.Mul(tp.Conv2D(in[0], in[1], in[2], cc.s, cc.pad, ReLU), in[3])
		})
		if sparseConvChunks.Load() == before {
			t.Fatalf("%v: the sparse path was not taken", cc)
		}
	}
}

// TestConvSparseStepAllocatesNothing checks that a warm step through the
// sparse path allocates nothing.
func TestConvSparseStepAllocatesNothing(t *testing.T) {
	rng := tensor.NewRNG(35)
	cc := sparseCases[0]
	x := NewParam(randn(rng, cc.n, cc.h, cc.w, cc.c))
	w, b := NewParam(randn(rng, cc.kh, cc.kw, cc.c, cc.f)), NewParam(randn(rng, cc.f))
	tp := NewTape()
	before := sparseConvChunks.Load()
	step := func() {
		tp.Reset()
		tp.Backward(tp.Mean(tp.GlobalMaxPool2D(tp.Conv2D(x, w, b, cc.s, cc.pad, ReLU))))
	}
	step()
	if sparseConvChunks.Load() == before {
		t.Fatal("the sparse path was not taken")
	}
	if a := alloctest.PerRun(20, step); a != 0 {
		t.Errorf("a step allocates %v times, want 0", a)
	}
}
