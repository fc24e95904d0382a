//go:build noasm || !amd64

package cpu

// gemmFast reports false: without assembly kernels, Gemm always runs the
// portable gemmGeneric.
func gemmFast(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) bool {
	return false
}

// GemmKernel names the GEMM implementation in use.
func GemmKernel() string { return "generic" }

// packedBPanel is 0: PackB keeps B as given for the portable GEMM.
func packedBPanel(n int) int { return 0 }

// PackedBLen returns the floats PackB needs for a k×n op(B).
func PackedBLen(k, n int) int { return k * n }

func gemmPackedFast(transA bool, m int, alpha float32, a []float32, lda int, b PackedB, beta float32, c []float32, ldc int) {
	panic("cpu: GemmPacked: no kernels")
}

func packPanels(dst []float32, transB bool, k, n int, b []float32, ldb, nr int) {
	panic("cpu: PackB: no kernels")
}
