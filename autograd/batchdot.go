package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/internal/cpu"
)

// Batched dot products, as Keras's Dot layer: per sample, a dot product of
// vectors or a matrix product over chosen axes, optionally of L2-normalized
// inputs (cosine proximity).

var (
	opBatchDot    = register("batch_dot", batchDotBackward)
	opL2Normalize = register("l2_normalize", l2NormalizeBackward)
)

// l2Epsilon is Keras's floor on the squared norm in l2_normalize.
const l2Epsilon = 1e-12

// L2Normalize returns x divided by its L2 norm along axis, as Keras's
// l2_normalize: x / sqrt(max(Σx², 1e-12)). The sum is taken in float64.
func (tp *Tape) L2Normalize(x *Var, axis int) *Var {
	s := x.Value.Shape
	ax := normAxis("L2Normalize", axis, len(s))
	out, nd := tp.output(opL2Normalize, s, x)
	outer, inner := around(s, ax)
	n := s[ax]
	sq := tp.Scratch(outer * inner)
	xs, y := x.Value.Data, out.Value.Data
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			var acc float64
			for j := range n {
				v := float64(xs[base+j*inner])
				acc += v * v
			}
			sq.Data[o*inner+i] = float32(acc)
			r := invNorm(float32(acc))
			for j := range n {
				y[base+j*inner] = xs[base+j*inner] * r
			}
		}
	}
	if nd != nil {
		nd.ints[0] = ax
		nd.aux[0] = sq
	}
	return out
}

// invNorm is 1/sqrt(max(sq, ε)) in float32.
func invNorm(sq float32) float32 {
	return float32(1 / math.Sqrt(float64(max(sq, l2Epsilon))))
}

func l2NormalizeBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	s := x.Value.Shape
	ax := nd.ints[0]
	outer, inner := around(s, ax)
	n := s[ax]
	y, g, dx := nd.out.Value.Data, nd.out.Grad.Data, x.Grad.Data
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			sq := nd.aux[0].Data[o*inner+i]
			r := invNorm(sq)
			// Unclipped: dx = r·(g − y·⟨g, y⟩); clipped, the norm is a
			// constant: dx = r·g.
			var dot float64
			if sq > l2Epsilon {
				for j := range n {
					k := base + j*inner
					dot += float64(g[k]) * float64(y[k])
				}
			}
			d := float32(dot)
			for j := range n {
				k := base + j*inner
				dx[k] += r * (g[k] - y[k]*d)
			}
		}
	}
}

// BatchDot returns, for each sample (axis 0), the dot product of a and b
// over the given axes, as Keras's Dot layer (axes count the batch
// dimension; negative ones count from the end).
//
// For rank-2 inputs (B, n)·(B, n) the axes must be 1 and the result is
// (B, 1). For rank-3 inputs it is the batched matrix product contracting
// a's axes[0] with b's axes[1], each 1 or 2: (B, n, k)·(B, m, k) with axes
// (2, 2) gives (B, n, m), and (B, k, n)·(B, k, m) with axes (1, 1) gives
// (B, n, m). With normalize set, both inputs are first L2-normalized along
// their dot axes, so the result is a cosine similarity.
func (tp *Tape) BatchDot(a, b *Var, axes [2]int, normalize bool) *Var {
	as, bs := a.Value.Shape, b.Value.Shape
	if len(as) != len(bs) || len(as) < 2 || len(as) > 3 || as[0] != bs[0] {
		panic(fmt.Sprintf("autograd: BatchDot: shapes %v and %v are not two batches of vectors or of matrices", as, bs))
	}
	ax0, ax1 := normAxis("BatchDot", axes[0], len(as)), normAxis("BatchDot", axes[1], len(bs))
	if ax0 == 0 || ax1 == 0 {
		panic(fmt.Sprintf("autograd: BatchDot: axes %v contract the batch dimension", axes))
	}
	if as[ax0] != bs[ax1] {
		panic(fmt.Sprintf("autograd: BatchDot: axes %v of shapes %v and %v differ in length", axes, as, bs))
	}
	if normalize {
		a, b = tp.L2Normalize(a, ax0), tp.L2Normalize(b, ax1)
	}
	// Each sample is C = op(A)·op(B), op(A) m×k and op(B) k×n.
	var g dotGeom
	var buf [8]int
	shape := buf[:0]
	if len(as) == 2 {
		g = dotGeom{m: 1, n: 1, k: as[1], transB: true}
		shape = append(shape, as[0], 1)
	} else {
		g = dotGeom{transA: ax0 == 1, transB: ax1 == 2, k: as[ax0], m: as[3-ax0], n: bs[3-ax1]}
		shape = append(shape, as[0], g.m, g.n)
	}
	out, nd := tp.output(opBatchDot, shape, a, b)
	av, bv, y := a.Value.Data, b.Value.Data, out.Value.Data
	lda, ldb := g.ld()
	for s := range as[0] {
		cpu.Gemm(g.transA, g.transB, g.m, g.n, g.k, 1, av[s*g.m*g.k:], lda, bv[s*g.k*g.n:], ldb, 0, y[s*g.m*g.n:], g.n)
	}
	if nd != nil {
		nd.ints = g.ints()
	}
	return out
}

// dotGeom is one sample's product C = op(A)·op(B): op(A) is m×k, op(B) is
// k×n, and A (B) is stored transposed when transA (transB) is set.
type dotGeom struct {
	m, n, k        int
	transA, transB bool
}

// ld returns A's and B's row lengths as stored.
func (g dotGeom) ld() (lda, ldb int) {
	lda, ldb = g.k, g.n
	if g.transA {
		lda = g.m
	}
	if g.transB {
		ldb = g.k
	}
	return lda, ldb
}

func (g dotGeom) ints() [4]int {
	t := 0
	if g.transA {
		t |= 1
	}
	if g.transB {
		t |= 2
	}
	return [4]int{g.m, g.n, g.k, t}
}

func batchDotBackward(nd *node) {
	a, b := nd.in[0], nd.in[1]
	p := nd.ints
	g := dotGeom{m: p[0], n: p[1], k: p[2], transA: p[3]&1 != 0, transB: p[3]&2 != 0}
	m, n, k := g.m, g.n, g.k
	lda, ldb := g.ld()
	av, bv, dy := a.Value.Data, b.Value.Data, nd.out.Grad.Data
	for s := range a.Value.Shape[0] {
		as, bs, ds := av[s*m*k:], bv[s*k*n:], dy[s*m*n:]
		if a.Grad != nil {
			da := a.Grad.Data[s*m*k:]
			if !g.transA { // dA = dC·op(B)ᵀ, m×k
				cpu.Gemm(false, !g.transB, m, k, n, 1, ds, n, bs, ldb, 1, da, lda)
			} else { // dA = op(B)·dCᵀ, k×m
				cpu.Gemm(g.transB, true, k, m, n, 1, bs, ldb, ds, n, 1, da, lda)
			}
		}
		if b.Grad != nil {
			db := b.Grad.Data[s*k*n:]
			if !g.transB { // dB = op(A)ᵀ·dC, k×n
				cpu.Gemm(!g.transA, false, k, n, m, 1, as, lda, ds, n, 1, db, ldb)
			} else { // dB = dCᵀ·op(A), n×k
				cpu.Gemm(true, g.transA, n, k, m, 1, ds, n, as, lda, 1, db, ldb)
			}
		}
	}
}
