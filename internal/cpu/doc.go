// Package cpu holds neurona's compute kernels: a BLAS-like GEMM, the vector
// operations the layers need, and the fixed worker pool that parallelizes
// them.
//
// Every kernel splits parallel work over output elements only (rows or
// columns of C, samples of a batch), never over the order of a summation, so
// results are bit-identical whatever GOMAXPROCS is. This file set is the
// portable Go implementation; architecture-specific kernels plug in behind
// the same functions.
package cpu
