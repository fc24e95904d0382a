//go:build noasm || !amd64

package cpu

// gemmFast reports false: without assembly kernels, Gemm always runs the
// portable gemmGeneric.
func gemmFast(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) bool {
	return false
}

// GemmKernel names the GEMM implementation in use.
func GemmKernel() string { return "generic" }
