package cpu

import (
	"fmt"
	"slices"
	"sync"
)

// Blocking parameters of the portable GEMM: a kc-deep slice of the
// reduction dimension and an nc-wide panel of C stay in cache while the rows
// of C stream past.
const (
	gemmKC = 256
	gemmNC = 1024
	// gemmParallelFlops is the work below which a GEMM stays on the calling
	// goroutine.
	gemmParallelFlops = 1 << 17
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ, in
// the BLAS convention for row-major storage: op(A) is m×k, op(B) is k×n and
// C is m×n with leading dimensions lda, ldb and ldc (the distance between
// rows). With beta == 0, C is overwritten and its previous contents,
// NaN included, are ignored.
//
// Work is split over rows of C, and the summation order of each element is
// the same however many workers run, so the result is deterministic.
//
// On amd64 with AVX-512 or AVX2+FMA, Gemm runs packed, register-blocked
// assembly kernels (gemm_amd64.go); elsewhere, and with the noasm build tag,
// it runs the portable gemmGeneric.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil, false)
}

// GemmBias is Gemm followed by adding bias (n values; nil for none) to
// every row of C and, with relu set, by ReLU, with the exact results of
// AddBias and Relu. The assembly kernels do it on each block of C as they
// write it back, so C is not read again: a dense layer's whole forward
// pass in one call.
func GemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if bias != nil && len(bias) < n {
		panic(fmt.Sprintf("cpu: GemmBias: %d biases for %d columns", len(bias), n))
	}
	if m == 0 || n == 0 {
		return
	}
	if k > 0 && alpha != 0 && gemmFast(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu) {
		return
	}
	gemmGeneric(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu)
}

// gemmGeneric is the portable GEMM, the reference for the assembly kernels.
// The arguments have been checked and m, n > 0.
func gemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) {
	flops := m * n * k
	if flops < gemmParallelFlops || m < 2 {
		gemmRows(transA, transB, 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		gemmEpilogue(0, m, n, c, ldc, bias, relu)
		return
	}
	grain := max(1, gemmParallelFlops/(n*max(k, 1)))
	j, ok := genericJobs.get()
	if !ok {
		j = genericJobs.fresh(newGenericJob)
	}
	*j = genericJob{transA, transB, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, j.fn}
	ParallelFor(m, grain, j.fn)
	j.a, j.b, j.c, j.bias = nil, nil, nil, nil
	genericJobs.put(j)
}

func newGenericJob() *genericJob {
	j := new(genericJob)
	j.fn = j.run
	return j
}

// genericJob carries a parallel gemmGeneric call to its workers. Jobs are
// reused with their method value, so a call allocates nothing.
type genericJob struct {
	transA, transB bool
	n, k           int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
	bias           []float32
	relu           bool
	fn             func(lo, hi int)
}

func (j *genericJob) run(lo, hi int) {
	gemmRows(j.transA, j.transB, lo, hi, j.n, j.k, j.alpha, j.a, j.lda, j.b, j.ldb, j.beta, j.c, j.ldc)
	gemmEpilogue(lo, hi, j.n, j.c, j.ldc, j.bias, j.relu)
}

// gemmEpilogue adds bias to rows [r0, r1) of C and applies ReLU, as
// AddBias and Relu do.
func gemmEpilogue(r0, r1, n int, c []float32, ldc int, bias []float32, relu bool) {
	if bias == nil && !relu {
		return
	}
	for i := r0; i < r1; i++ {
		row := c[i*ldc : i*ldc+n]
		if bias != nil {
			add(row, row, bias[:n])
		}
		if relu {
			Relu(row, row)
		}
	}
}

var genericJobs freeList[*genericJob]

// freeList is a stack of reusable objects. It grows to the largest number
// in use at once and never shrinks, unlike a sync.Pool, which the garbage
// collector empties.
type freeList[T any] struct {
	mu    sync.Mutex
	items []T
	made  int // items made for the list, in it or in use
}

// fresh returns a new item, made by mk, for a caller that found the list
// empty. The first time, it also makes as many more as it takes for each
// participant of a ParallelFor (Workers) to hold one at once, and puts
// them in the list. The lists that the chunks of a parallel call draw
// from would otherwise grow to the number of workers that happened to join
// the calls of the first steps: a worker that came late left its chunks
// to the others, and the step that it joined later allocated (the rare
// "allocates 1 times after warm-up" of the LeNet allocation test).
func (l *freeList[T]) fresh(mk func() T) T {
	w := Workers()
	l.mu.Lock()
	n := max(1, w-l.made)
	l.made += n
	if need := l.made - len(l.items); cap(l.items)-len(l.items) < need {
		l.items = slices.Grow(l.items, need)
	}
	l.mu.Unlock()
	for range n - 1 {
		l.put(mk())
	}
	return mk()
}

func (l *freeList[T]) get() (x T, ok bool) {
	l.mu.Lock()
	if n := len(l.items); n > 0 {
		x, ok = l.items[n-1], true
		l.items = l.items[:n-1]
	}
	l.mu.Unlock()
	return x, ok
}

func (l *freeList[T]) put(x T) {
	l.mu.Lock()
	l.items = append(l.items, x)
	l.mu.Unlock()
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cpu: Gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkOperand("a", a, ar, ac, lda)
	checkOperand("b", b, br, bc, ldb)
	checkOperand("c", c, m, n, ldc)
}

// checkOperand panics unless s holds a rows×cols matrix with stride ld.
func checkOperand(name string, s []float32, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("cpu: Gemm: ld%s=%d < %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("cpu: Gemm: %s has %d elements, needs %d×%d with stride %d", name, len(s), rows, cols, ld))
	}
}

// gemmRows computes rows [r0, r1) of C.
func gemmRows(transA, transB bool, r0, r1, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := r0; i < r1; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			Scale(row, beta)
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	if transB {
		gemmRowsNT(transA, r0, r1, n, k, alpha, a, lda, b, ldb, c, ldc)
		return
	}
	// op(B) = B is k×n: C[i,:] += alpha·op(A)[i,p]·B[p,:], accumulated over p
	// in increasing order, blocked over k and n for cache reuse.
	for j0 := 0; j0 < n; j0 += gemmNC {
		j1 := min(j0+gemmNC, n)
		for p0 := 0; p0 < k; p0 += gemmKC {
			p1 := min(p0+gemmKC, k)
			for i := r0; i < r1; i++ {
				crow := c[i*ldc+j0 : i*ldc+j1]
				for p := p0; p < p1; p++ {
					var av float32
					if transA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					if av == 0 {
						continue
					}
					Axpy(crow, b[p*ldb+j0:p*ldb+j1], alpha*av)
				}
			}
		}
	}
}

// gemmRowsNT handles op(B) = Bᵀ, where B is stored n×k: each C element is a
// dot product of a row of op(A) and a row of B.
func gemmRowsNT(transA bool, r0, r1, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if transA {
		// Rare (Aᵀ·Bᵀ): gather column i of A once per row.
		col := make([]float32, k)
		for i := r0; i < r1; i++ {
			for p := 0; p < k; p++ {
				col[p] = a[p*lda+i]
			}
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				crow[j] += alpha * Dot(col, b[j*ldb:j*ldb+k])
			}
		}
		return
	}
	for p0 := 0; p0 < k; p0 += gemmKC {
		p1 := min(p0+gemmKC, k)
		for i := r0; i < r1; i++ {
			arow := a[i*lda+p0 : i*lda+p1]
			crow := c[i*ldc : i*ldc+n]
			for j := range crow {
				crow[j] += alpha * Dot(arow, b[j*ldb+p0:j*ldb+p1])
			}
		}
	}
}
