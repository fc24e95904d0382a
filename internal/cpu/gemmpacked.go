package cpu

import "fmt"

// PackedB is the B operand of Gemm packed once for many calls that share
// it, such as a recurrent layer's per-step h·U: the calls then skip their
// own packing of B. Its buffer is the caller's (see PackB), so packing
// allocates nothing. A PackedB is tied to the GEMM kernels in use when it
// was packed.
type PackedB struct {
	k, n int
	// nr is the width of the packed panels, 0 when data holds B as given
	// (transposed when transB), compacted, for the portable GEMM.
	nr     int
	transB bool
	data   []float32
}

// PackB packs op(B) (k×n; B itself is n×k when transB) into dst, which
// must hold PackedBLen(k, n) floats, and returns it ready for GemmPacked.
func PackB(dst []float32, transB bool, k, n int, b []float32, ldb int) PackedB {
	if k <= 0 || n <= 0 {
		panic(fmt.Sprintf("cpu: PackB: k=%d n=%d", k, n))
	}
	if transB {
		checkOperand("b", b, n, k, ldb)
	} else {
		checkOperand("b", b, k, n, ldb)
	}
	if need := PackedBLen(k, n); len(dst) < need {
		panic(fmt.Sprintf("cpu: PackB: buffer of %d floats, needs %d", len(dst), need))
	}
	nr := packedBPanel(n)
	if nr == 0 {
		// The portable GEMM reads B as given (its summation order
		// depends on transB), compacted.
		rows, cols := k, n
		if transB {
			rows, cols = n, k
		}
		dst = dst[:k*n]
		for r := 0; r < rows; r++ {
			copy(dst[r*cols:r*cols+cols], b[r*ldb:r*ldb+cols])
		}
		return PackedB{k: k, n: n, transB: transB, data: dst}
	}
	packPanels(dst, transB, k, n, b, ldb, nr)
	return PackedB{k: k, n: n, nr: nr, data: dst[:(n+nr-1)/nr*nr*k]}
}

// GemmPacked is Gemm with a packed B: C = alpha·op(A)·B + beta·C, op(A)
// m×k, B k×n as packed. For alpha ≠ 0 its results are Gemm's on the
// unpacked B, bit for bit (Gemm's alpha = 0 shortcut is not taken).
func GemmPacked(transA bool, m int, alpha float32, a []float32, lda int, b PackedB, beta float32, c []float32, ldc int) {
	k, n := b.k, b.n
	if b.data == nil {
		panic("cpu: GemmPacked: B was not packed")
	}
	if m < 0 {
		panic(fmt.Sprintf("cpu: GemmPacked: m=%d", m))
	}
	if transA {
		checkOperand("a", a, k, m, lda)
	} else {
		checkOperand("a", a, m, k, lda)
	}
	checkOperand("c", c, m, n, ldc)
	if m == 0 {
		return
	}
	if b.nr == 0 {
		ldb := n
		if b.transB {
			ldb = k
		}
		gemmGeneric(transA, b.transB, m, n, k, alpha, a, lda, b.data, ldb, beta, c, ldc, nil, false)
		return
	}
	if packedBPanel(n) != b.nr {
		panic("cpu: GemmPacked: B was packed for other kernels")
	}
	gemmPackedFast(transA, m, alpha, a, lda, b, beta, c, ldc)
}

// Cols returns columns [j0, j1) of the packed B as a PackedB of their own
// that shares b's buffer, so that GEMMs on column blocks of one matrix
// need it packed only once. It reports false, and the caller packs or
// multiplies the block itself, where the block does not start on a panel
// (j0 a multiple of the panel width), would run on other kernels (a
// narrow block), or b is held for the portable GEMM.
func (b PackedB) Cols(j0, j1 int) (PackedB, bool) {
	if j0 < 0 || j1 > b.n || j0 >= j1 {
		panic(fmt.Sprintf("cpu: PackedB.Cols: columns [%d, %d) of %d", j0, j1, b.n))
	}
	nr := b.nr
	if nr == 0 || j0%nr != 0 || packedBPanel(j1-j0) != nr {
		return PackedB{}, false
	}
	q0, q1 := j0/nr, (j1+nr-1)/nr
	return PackedB{k: b.k, n: j1 - j0, nr: nr, transB: b.transB, data: b.data[q0*nr*b.k : q1*nr*b.k]}, true
}
