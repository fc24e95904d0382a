//go:build !noasm

package cpu

//go:generate go run -C asmgen ./gemm -out ../gemm_amd64.s -stubs ../gemm_stub_amd64.go -pkg cpu

import (
	"unsafe"

	xcpu "golang.org/x/sys/cpu"
)

// The fast GEMM follows BLIS. The loops run over nc-wide slices of the
// columns, kc-deep slices of the reduction, mc-row blocks of A, nr-wide
// panels of B and mr-row tiles of A; a register-blocked assembly
// micro-kernel computes each mr×nr block of C from one A tile and one B
// panel with FMAs (8×32 on AVX-512, 6×16 on AVX2). Packing copies a B slice
// into contiguous kc×nr panels (zero-padded to nr columns) and A blocks into
// kc×mr tiles (zero-padded to mr rows). It is needed to transpose B, and it
// pays for large operands, whose rows read in place would be far apart
// (TLB misses, cache set conflicts). Otherwise the kernels read A and B in
// place: row-major A through one pointer per row, Aᵀ (column-contiguous) and
// B through a stride; only partial tiles and panels are packed. Small
// shapes thus run without packing.
//
// Each worker takes a range of row tiles (or, with few rows, of column
// panels) of C and runs all the slices over it with its own buffers, so a
// call has one fork and one join. Every element of C is computed the same
// way whatever the number of workers: the kernel sums its kc products in
// increasing order into a register, and the kc slices are added into C in
// increasing order (C = alpha·acc + beta·C, beta = 1 after the first
// slice). Partial tiles and panels use the same kernels under masks.

// gemmArch describes one set of micro-kernels and the blocking that suits
// it.
type gemmArch struct {
	name   string
	avx512 bool
	mr, nr int // register block
	kc     int // depth of a slice of the reduction
	mc     int // rows of a packed A block: mc×kc stays in L2
	nc     int // columns of a packed B slice: kc×nc stays in L3
	// colsM is the most rows a split over columns takes: every worker
	// prepares all of A's rows, colsM×kc.
	colsM int
	bufs  *gemmBufs
	// narrow, if set, runs the calls whose C has at most narrow.nr columns:
	// a 10-class output layer fills 16-wide AVX2 panels better than 32-wide
	// AVX-512 ones (1.2-1.3x faster), with the same bits.
	narrow *gemmArch
}

// gemmBufs holds free lists of an arch's packing buffers. They grow to the
// largest number of workers at once and never shrink, so steady state
// allocates nothing.
type gemmBufs struct {
	a      freeList[[]float32] // A blocks, aBufLen
	panels freeList[[]float32] // packed B slices, kc×nc
	panel1 freeList[[]float32] // single B panels, kc×nr
}

// The block sizes were tuned on Zen 4 (32 KiB L1d, 1 MiB L2): with kc = 512
// a B panel (kc×nr, 64 KiB) streams from L2 while a short A block (mc = 64
// rows) stays close, and the write-back of C is amortized over more FMAs.
var (
	archAVX512 = gemmArch{name: "avx512", avx512: true, mr: 8, nr: 32, kc: 512, mc: 64, nc: 1024, colsM: 256, bufs: new(gemmBufs)}
	archAVX2   = gemmArch{name: "avx2", mr: 6, nr: 16, kc: 512, mc: 96, nc: 1024, colsM: 192, bufs: new(gemmBufs)}
)

// aBufLen is the length of a worker's A buffer.
func (g *gemmArch) aBufLen() int { return max(g.mc, g.colsM) * g.kc }

// gemmAsm is the kernel set in use, nil without AVX2+FMA. Tests switch it.
var gemmAsm = detectGemmArch()

func detectGemmArch() *gemmArch {
	switch {
	case xcpu.X86.HasAVX512F:
		if xcpu.X86.HasAVX2 && xcpu.X86.HasFMA {
			archAVX512.narrow = &archAVX2
		}
		return &archAVX512
	case xcpu.X86.HasAVX2 && xcpu.X86.HasFMA:
		return &archAVX2
	}
	return nil
}

// GemmKernel names the GEMM implementation in use.
func GemmKernel() string {
	if gemmAsm == nil {
		return "generic"
	}
	return gemmAsm.name
}

// avx2Masks[16-nr:] holds the lane masks of the first nr of 16 columns.
var avx2Masks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// kernel computes the mr×nr block at c (mr ≤ g.mr, nr ≤ g.nr). With rowA,
// A(i,p) = a[i*acs+p] and all g.mr rows must be readable; otherwise
// A(i,p) = a[p*acs+i] for i < g.mr. B(p,j) = b[p*brs+j] for j < g.nr.
// With ep set (the last slice of the reduction), the kernel then adds
// bias[0:nr] to each row (epBias) and applies ReLU (epRelu).
func (g *gemmArch) kernel(rowA bool, k int, a *float32, acs int, b *float32, brs int, c *float32, ldc int, alpha, beta float32, mr, nr int, bias *float32, ep int) {
	if g.avx512 {
		mask := uint64(1)<<uint(nr) - 1
		if rowA {
			sgemmKernelRowAVX512(k, a, acs, b, brs, c, ldc, alpha, beta, mr, mask, bias, ep)
		} else {
			sgemmKernelAVX512(k, a, acs, b, brs, c, ldc, alpha, beta, mr, mask, bias, ep)
		}
		return
	}
	mask := &avx2Masks[16-nr]
	if rowA {
		sgemmKernelRowAVX2(k, a, acs, b, brs, c, ldc, alpha, beta, mr, mask, bias, ep)
	} else {
		sgemmKernelAVX2(k, a, acs, b, brs, c, ldc, alpha, beta, mr, mask, bias, ep)
	}
}

// Epilogue flags of the kernels (asmgen/gemm keeps the same values).
const (
	epBias = 1
	epRelu = 2
)

// gemmJob holds one Gemm call. Jobs and their method values are reused, so
// that a call allocates nothing once the free lists are warm.
type gemmJob struct {
	g              *gemmArch
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	packA, packB   bool
	// pre, if set, is B packed by PackB (panels of all k rows; b is nil):
	// nothing is packed per call.
	pre  []float32
	bias []float32 // added to each row of C at the end, if set
	relu bool      // then ReLU

	rowsFn, colsFn func(lo, hi int)
}

// gemmSlice is the part of the problem a worker is on: columns [jc, jc+nc)
// and the reduction over [pc, pc+kc), added into C with beta (1 after the
// first slice).
type gemmSlice struct {
	jc, nc, pc, kc int
	beta           float32
}

// gemmJobs is the free list of jobs.
var gemmJobs freeList[*gemmJob]

func getGemmJob() *gemmJob {
	if j, ok := gemmJobs.get(); ok {
		return j
	}
	return gemmJobs.fresh(newGemmJob)
}

func newGemmJob() *gemmJob {
	j := &gemmJob{}
	j.rowsFn = j.rows
	j.colsFn = j.cols
	return j
}

func putGemmJob(j *gemmJob) {
	j.a, j.b, j.c, j.bias, j.pre = nil, nil, nil, nil, nil
	gemmJobs.put(j)
}

// getBuf takes a buffer of n floats from list, or allocates one aligned to a
// cache line (and the list's spares, freeList.fresh). A list's buffers all
// have the same length.
func getBuf(list *freeList[[]float32], n int) []float32 {
	if buf, ok := list.get(); ok {
		return buf
	}
	return list.fresh(func() []float32 { return newBuf(n) })
}

func newBuf(n int) []float32 {
	raw := make([]float32, n+16)
	off := int((64 - uintptr(unsafe.Pointer(&raw[0]))%64) % 64 / 4)
	return raw[off : off+n : off+n]
}

func putBuf(list *freeList[[]float32], buf []float32) { list.put(buf) }

// gemmForce overrides gemmFast's choices when set (for tests).
var gemmForce struct{ set, packA, packB, splitCols bool }

// Below gemmSerialMACs multiply-adds, a Gemm runs on the calling goroutine,
// and a parallel chunk gets at least gemmChunkMACs (1 MAC ≈ 18 ps on one
// core). The pool's workers spin for a while before parking, so handing a
// chunk over costs microseconds; a parked worker would take about 100 µs on
// the 2-vCPU VMs this was tuned on, and then only 16<<20 and 8<<20 pay.
// With spinning workers, 2 threads run the 6.4M-MAC training shapes about
// 1.7× faster than 1.
const (
	gemmSerialMACs = 2 << 20
	gemmChunkMACs  = 1 << 20
)

// gemmFast runs Gemm on the assembly kernels and reports whether it did.
// k > 0, alpha != 0 and m, n > 0.
func gemmFast(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32, relu bool) bool {
	g := gemmArchFor(n)
	if g == nil {
		return false
	}
	j := getGemmJob()
	*j = gemmJob{g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, bias: bias, relu: relu, rowsFn: j.rowsFn, colsFn: j.colsFn}
	mTiles := (m + g.mr - 1) / g.mr
	// Packing costs a pass over the operand. It is needed to transpose B,
	// and it pays when the data is used often or when reading it in place
	// would touch too many pages (a kc×nr panel of B read in place spans kc
	// rows of ldb floats). Otherwise the kernels read A and B in place,
	// except for partial tiles and panels.
	j.packB = transB || (mTiles > 4 && ldb >= 1024)
	j.run()
	return true
}

// gemmArchFor returns the kernels for a C of n columns, nil without any.
func gemmArchFor(n int) *gemmArch {
	g := gemmAsm
	if g != nil && g.narrow != nil && n <= g.narrow.nr && !gemmForce.set {
		g = g.narrow
	}
	return g
}

// packedBPanel returns the panel width PackB packs for: the nr of the
// kernels a Gemm with n columns runs, 0 without kernels.
func packedBPanel(n int) int {
	if g := gemmArchFor(n); g != nil {
		return g.nr
	}
	return 0
}

// PackedBLen returns the floats PackB needs for a k×n op(B).
func PackedBLen(k, n int) int {
	if nr := packedBPanel(n); nr > 0 {
		return (n + nr - 1) / nr * nr * k
	}
	return k * n
}

// packPanels packs op(B) for PackB: panel q holds columns [q·nr, q·nr+nr)
// of all k rows, zero-padded to nr columns, and the kernels read a
// kc-deep slice from row pc of it.
func packPanels(dst []float32, transB bool, k, n int, b []float32, ldb, nr int) {
	panels := (n + nr - 1) / nr
	for q := 0; q < panels; q++ {
		strip := dst[q*k*nr : (q+1)*k*nr]
		j0, w := q*nr, min(nr, n-q*nr)
		if transB {
			transposeInto(strip, nr, b[j0*ldb:], ldb, w, k)
		} else {
			for p := 0; p < k; p++ {
				copy(strip[p*nr:p*nr+w], b[p*ldb+j0:p*ldb+j0+w])
			}
		}
		if w < nr {
			for p := 0; p < k; p++ {
				clear(strip[p*nr+w : p*nr+nr])
			}
		}
	}
}

// gemmPackedFast runs GemmPacked on the kernels B was packed for.
func gemmPackedFast(transA bool, m int, alpha float32, a []float32, lda int, b PackedB, beta float32, c []float32, ldc int) {
	g := gemmArchFor(b.n)
	j := getGemmJob()
	*j = gemmJob{g: g, transA: transA, m: m, n: b.n, k: b.k, alpha: alpha, beta: beta,
		a: a, c: c, lda: lda, ldc: ldc, pre: b.data, packB: true, rowsFn: j.rowsFn, colsFn: j.colsFn}
	j.run()
}

// run chooses how to split the job over the workers and runs it.
func (j *gemmJob) run() {
	g, m, n, k := j.g, j.m, j.n, j.k
	mTiles := (m + g.mr - 1) / g.mr
	nPanels := (n + g.nr - 1) / g.nr
	j.packA = !j.transA && nPanels > 32
	// Each worker runs all the slices of its share of C, so the workers
	// meet once per call. A split over rows of C has every worker pack all
	// of B (when packB); a split over columns has every worker read all of A,
	// which suits few rows, or a transposed B with at most colsM rows.
	splitCols := m <= g.colsM && (mTiles < 4 || (j.packB && nPanels >= mTiles))
	if f := gemmForce; f.set {
		j.packA, j.packB = f.packA, f.packB || j.transB || j.pre != nil
		splitCols = f.splitCols && m <= g.colsM
	}
	units, fn := mTiles, j.rowsFn
	if splitCols {
		units, fn = nPanels, j.colsFn
	}
	macs := m * n * k
	grain := units
	if macs >= gemmSerialMACs {
		grain = max(1, int(int64(units)*gemmChunkMACs/int64(macs)))
	}
	ParallelFor(units, grain, fn)
	putGemmJob(j)
}

// slice returns the slice at columns jc and reduction index pc.
func (j *gemmJob) slice(jc, nc, pc int) gemmSlice {
	s := gemmSlice{jc: jc, nc: nc, pc: pc, kc: min(j.g.kc, j.k-pc), beta: j.beta}
	if pc > 0 {
		s.beta = 1
	}
	return s
}

// epilogue returns the kernel's bias pointer and flags for the panel at
// column col of slice s: none but on the last slice of the reduction.
func (j *gemmJob) epilogue(s *gemmSlice, col int) (*float32, int) {
	if s.pc+s.kc < j.k {
		return nil, 0
	}
	var bias *float32
	ep := 0
	if j.bias != nil {
		bias, ep = &j.bias[col], epBias
	}
	if j.relu {
		ep |= epRelu
	}
	return bias, ep
}

// rows computes row tiles [lo, hi) of C.
func (j *gemmJob) rows(lo, hi int) {
	g := j.g
	abuf := getBuf(&g.bufs.a, g.aBufLen())
	var bbuf []float32
	switch {
	case j.pre != nil:
	case j.packB:
		bbuf = getBuf(&g.bufs.panels, g.kc*g.nc)
	default:
		bbuf = getBuf(&g.bufs.panel1, g.kc*g.nr)
	}
	mcTiles := g.mc / g.mr
	for jc := 0; jc < j.n; jc += g.nc {
		nc := min(g.nc, j.n-jc)
		for pc := 0; pc < j.k; pc += g.kc {
			s := j.slice(jc, nc, pc)
			switch {
			case j.pre != nil:
			case j.packB:
				for jr := 0; jr < nc; jr += g.nr {
					j.packBPanel(&s, bbuf[jr*s.kc:], jr, min(g.nr, nc-jr))
				}
			case nc%g.nr != 0:
				// B is read in place except the last, narrower panel.
				rem := nc % g.nr
				j.packBPanel(&s, bbuf, nc-rem, rem)
			}
			for t0 := lo; t0 < hi; t0 += mcTiles {
				i0 := t0 * g.mr
				i1 := min(min(t0+mcTiles, hi)*g.mr, j.m)
				j.prepareA(&s, abuf, i0, i1)
				for jr := 0; jr < nc; jr += g.nr {
					w := min(g.nr, nc-jr)
					b, brs := j.bPanel(&s, bbuf, jr, w)
					bias, ep := j.epilogue(&s, jc+jr)
					ci := i0*j.ldc + jc + jr
					for i := i0; i < i1; i += g.mr {
						rowA, a, acs := j.aTile(&s, abuf, i0, i1, i)
						g.kernel(rowA, s.kc, a, acs, b, brs, &j.c[ci], j.ldc, j.alpha, s.beta, min(g.mr, i1-i), w, bias, ep)
						ci += g.mr * j.ldc
					}
				}
			}
		}
	}
	putBuf(&g.bufs.a, abuf)
	switch {
	case j.pre != nil:
	case j.packB:
		putBuf(&g.bufs.panels, bbuf)
	default:
		putBuf(&g.bufs.panel1, bbuf)
	}
}

// cols computes column panels [lo, hi) of C, all rows (m ≤ colsM).
func (j *gemmJob) cols(lo, hi int) {
	g := j.g
	abuf := getBuf(&g.bufs.a, g.aBufLen())
	bbuf := getBuf(&g.bufs.panel1, g.kc*g.nr)
	for pc := 0; pc < j.k; pc += g.kc {
		s := j.slice(0, j.n, pc)
		j.prepareA(&s, abuf, 0, j.m)
		for p := lo; p < hi; p++ {
			jr := p * g.nr
			w := min(g.nr, j.n-jr)
			var b *float32
			var brs int
			if j.pre != nil {
				b, brs = j.prePanel(&s, jr)
			} else if j.packB || w < g.nr {
				j.packBPanel(&s, bbuf, jr, w)
				b, brs = &bbuf[0], g.nr
			} else {
				b, brs = &j.b[pc*j.ldb+jr], j.ldb
			}
			bias, ep := j.epilogue(&s, jr)
			ci := jr
			for i := 0; i < j.m; i += g.mr {
				rowA, a, acs := j.aTile(&s, abuf, 0, j.m, i)
				g.kernel(rowA, s.kc, a, acs, b, brs, &j.c[ci], j.ldc, j.alpha, s.beta, min(g.mr, j.m-i), w, bias, ep)
				ci += g.mr * j.ldc
			}
		}
	}
	putBuf(&g.bufs.a, abuf)
	putBuf(&g.bufs.panel1, bbuf)
}

// packBPanel packs columns [jc+j0, jc+j0+w) of slice s of B as one kc×nr
// panel into dst, zero-padded to nr columns.
func (j *gemmJob) packBPanel(s *gemmSlice, dst []float32, j0, w int) {
	nr, kc := j.g.nr, s.kc
	dst = dst[:kc*nr]
	col := s.jc + j0
	if !j.transB {
		ldb := j.ldb
		src := j.b[s.pc*ldb+col:]
		if w == nr && nr == 32 {
			for p := 0; p < kc; p++ {
				copy(dst[p*32:p*32+32], src[p*ldb:p*ldb+32])
			}
			return
		}
		for p := 0; p < kc; p++ {
			d := dst[p*nr : p*nr+nr]
			copy(d, src[p*ldb:p*ldb+w])
			clear(d[w:])
		}
		return
	}
	// op(B) = Bᵀ: B(p, j) = b[j*ldb + p], a transposition.
	transposeInto(dst, nr, j.b[col*j.ldb+s.pc:], j.ldb, w, kc)
	if w < nr {
		for p := 0; p < kc; p++ {
			clear(dst[p*nr+w : p*nr+nr])
		}
	}
}

// transposeInto sets dst[p*ldd+i] = src[i*lds+p] for i < rows, p < cols:
// 8×8 blocks in assembly, the edges in Go.
func transposeInto(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	r8, c8 := rows&^7, cols&^7
	if r8 > 0 && c8 > 0 {
		_ = src[(r8-1)*lds+c8-1]
		_ = dst[(c8-1)*ldd+r8-1]
		sgemmTransposeAVX(&dst[0], ldd, &src[0], lds, r8, c8)
	}
	for i := 0; i < rows; i++ {
		p0 := c8
		if i >= r8 {
			p0 = 0
		}
		row := src[i*lds : i*lds+cols]
		for p := p0; p < cols; p++ {
			dst[p*ldd+i] = row[p]
		}
	}
}

// packATile packs rows [i0, i0+h) (h ≤ mr) of slice s of A as one kc×mr
// tile into dst, zero-padded to mr rows.
func (j *gemmJob) packATile(s *gemmSlice, dst []float32, i0, h int) {
	mr, kc, lda := j.g.mr, s.kc, j.lda
	dst = dst[:kc*mr]
	if j.transA {
		// op(A) = Aᵀ: A(i, p) = a[p*lda + i]; each p is a contiguous run.
		src := j.a[s.pc*lda+i0:]
		if h == 8 && mr == 8 {
			for p := 0; p < kc; p++ {
				s := src[p*lda : p*lda+8 : p*lda+8]
				d := dst[p*8 : p*8+8 : p*8+8]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
			}
			return
		}
		for p := 0; p < kc; p++ {
			d := dst[p*mr : p*mr+mr]
			copy(d, src[p*lda:p*lda+h])
			clear(d[h:])
		}
		return
	}
	// A(i, p) = a[i*lda + p]: a transposition of h rows.
	transposeInto(dst, mr, j.a[i0*lda+s.pc:], lda, h, kc)
	for i := h; i < mr; i++ {
		for p := 0; p < kc; p++ {
			dst[p*mr+i] = 0
		}
	}
}

// prepareA makes rows [i0, i1) of slice s of A ready for the kernels: with
// packA, all their tiles are packed into buf; otherwise only a final partial
// tile is (at buf's start), as the others are read in place.
func (j *gemmJob) prepareA(s *gemmSlice, buf []float32, i0, i1 int) {
	mr := j.g.mr
	if j.packA {
		for i := i0; i < i1; i += mr {
			j.packATile(s, buf[(i-i0)*s.kc:], i, min(mr, i1-i))
		}
		return
	}
	if rem := (i1 - i0) % mr; rem != 0 {
		j.packATile(s, buf, i1-rem, rem)
	}
}

// aTile returns the kernel's A operand for the tile at row i of the block
// [i0, i1) prepared in buf by prepareA.
func (j *gemmJob) aTile(s *gemmSlice, buf []float32, i0, i1, i int) (rowA bool, a *float32, acs int) {
	mr := j.g.mr
	switch {
	case j.packA:
		return false, &buf[(i-i0)*s.kc], mr
	case i+mr > i1:
		return false, &buf[0], mr
	case j.transA:
		return false, &j.a[s.pc*j.lda+i], j.lda
	default:
		return true, &j.a[i*j.lda+s.pc], j.lda
	}
}

// bPanel returns the kernel's B operand for the panel at column jr of slice
// s, from bbuf (packB, or a partial panel) or in place.
func (j *gemmJob) bPanel(s *gemmSlice, bbuf []float32, jr, w int) (b *float32, brs int) {
	if j.pre != nil {
		return j.prePanel(s, jr)
	}
	if j.packB {
		return &bbuf[jr*s.kc], j.g.nr
	}
	if w < j.g.nr {
		return &bbuf[0], j.g.nr
	}
	return &j.b[s.pc*j.ldb+s.jc+jr], j.ldb
}

// prePanel returns the kernel's B operand for the panel at column jr of
// slice s from a B packed by PackB: kc rows from row pc of its panel.
func (j *gemmJob) prePanel(s *gemmSlice, jr int) (b *float32, brs int) {
	nr := j.g.nr
	return &j.pre[((s.jc+jr)/nr*j.k+s.pc)*nr], nr
}

// gemmParallelFor is ParallelFor; tests swap it.
var gemmParallelFor = ParallelFor
