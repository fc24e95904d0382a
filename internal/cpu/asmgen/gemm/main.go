// Command gemm generates the GEMM micro-kernels of package cpu
// (internal/cpu/gemm_amd64.s and its Go declarations).
//
// Run through go generate in internal/cpu:
//
//	go run -C asmgen ./gemm -out ../gemm_amd64.s -stubs ../gemm_stub_amd64.go -pkg cpu
//
// Each kernel computes one register block of C = alpha·A·B + beta·C for a
// kc-deep slice of the reduction: it accumulates the mr×nr block in
// registers with FMAs in increasing p order, then writes back rows [0, mr)
// under a column mask. beta == 0 stores without reading C.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Register block shapes. Keep in sync with the constants in gemm_amd64.go.
const (
	mr512  = 8 // rows of the AVX-512 block
	nv512  = 2 // zmm vectors (16 floats each) per row: nr = 32
	mr256  = 6 // rows of the AVX2 block
	nv256  = 2 // ymm vectors (8 floats each) per row: nr = 16
	unroll = 4
	// bcastReg broadcasts each A element into a register once instead of
	// using an embedded broadcast in every FMA.
	bcastReg = true
)

func main() {
	ConstraintExpr("!noasm")
	genAVX512(false)
	genAVX512(true)
	genAVX2(false)
	genAVX2(true)
	genTranspose()
	Generate()
}

// aAddr returns a function giving the memory operand of A(i, p) for p in
// [0, unroll) relative to the current loop position.
type aLayout struct {
	rowMajor bool
	// column-contiguous A: A(i,p) at base + p*acs + 4i
	base, acs, acs3 GPPhysical
	// row-major A: A(i,p) at row[i/4] + (i%4)*lda + 4p
	rows      []GPPhysical
	lda, lda3 GPPhysical
}

func (l *aLayout) at(i, p int) Mem {
	if !l.rowMajor {
		switch p {
		case 0:
			return Mem{Base: l.base, Disp: 4 * i}
		case 1:
			return Mem{Base: l.base, Index: l.acs, Scale: 1, Disp: 4 * i}
		case 2:
			return Mem{Base: l.base, Index: l.acs, Scale: 2, Disp: 4 * i}
		case 3:
			return Mem{Base: l.base, Index: l.acs3, Scale: 1, Disp: 4 * i}
		}
		panic("bad p")
	}
	b := l.rows[i/4]
	switch i % 4 {
	case 0:
		return Mem{Base: b, Disp: 4 * p}
	case 1:
		return Mem{Base: b, Index: l.lda, Scale: 1, Disp: 4 * p}
	case 2:
		return Mem{Base: b, Index: l.lda, Scale: 2, Disp: 4 * p}
	default:
		return Mem{Base: b, Index: l.lda3, Scale: 1, Disp: 4 * p}
	}
}

// advance moves A forward by n steps of p.
func (l *aLayout) advance(n int) {
	if !l.rowMajor {
		if n == 1 {
			ADDQ(l.acs, l.base)
		} else {
			// base += 4*acs (n == unroll == 4)
			LEAQ(Mem{Base: l.base, Index: l.acs, Scale: 4}, l.base)
		}
		return
	}
	for _, r := range l.rows {
		ADDQ(U32(4*n), r)
	}
}

// loadA loads the A operand description. Registers used: see below.
func loadA(rowMajor bool, mr int) *aLayout {
	l := &aLayout{rowMajor: rowMajor}
	if !rowMajor {
		l.base, l.acs, l.acs3 = RSI, R8, R9
		Load(Param("a"), l.base)
		Load(Param("acs"), l.acs)
		SHLQ(U8(2), l.acs)
		LEAQ(Mem{Base: l.acs, Index: l.acs, Scale: 2}, l.acs3)
		return l
	}
	l.lda, l.lda3 = R8, R9
	Load(Param("acs"), l.lda) // the row stride of A
	SHLQ(U8(2), l.lda)
	LEAQ(Mem{Base: l.lda, Index: l.lda, Scale: 2}, l.lda3)
	pool := []GPPhysical{RSI, R12, R13, R14}
	for g := 0; g*4 < mr; g++ {
		r := pool[g]
		l.rows = append(l.rows, r)
		if g == 0 {
			Load(Param("a"), r)
		} else {
			LEAQ(Mem{Base: l.rows[g-1], Index: l.lda, Scale: 4}, r)
		}
	}
	return l
}

func name(isa string, rowMajor bool) string {
	if rowMajor {
		return "sgemmKernelRow" + isa
	}
	return "sgemmKernel" + isa
}

const sig512 = "func(k int, a *float32, acs int, b *float32, brs int, c *float32, ldc int, alpha, beta float32, mr int, mask uint64, bias *float32, ep int)"
const sig256 = "func(k int, a *float32, acs int, b *float32, brs int, c *float32, ldc int, alpha, beta float32, mr int, mask *int32, bias *float32, ep int)"

// Epilogue flags (the ep argument), applied to the block after the
// write-back, in this order. Keep in sync with gemm_amd64.go.
const (
	epBias = 1 // C[i,j] += bias[j]
	epRelu = 2 // C[i,j] = C[i,j] if its sign bit is clear, else +0
)

func docs(isa string, mr, nr int, rowMajor bool, maskDoc string) {
	layout := "A(i,p) = a[p*acs+i] (a packed panel has acs = %d)"
	if rowMajor {
		layout = "A(i,p) = a[i*acs+p] (row-major A with row stride acs; all %d rows must exist)"
	}
	Doc(fmt.Sprintf("%s computes the %d×%d block C[i,j] = alpha·Σ_p A(i,p)·B(p,j) + beta·C[i,j] for i < mr,", name(isa, rowMajor), mr, nr),
		fmt.Sprintf("p < k, with "+layout+",", mr),
		fmt.Sprintf("B(p,j) = b[p*brs+j] (%d readable floats per row) and C[i,j] = c[i*ldc+j]. It writes only", nr),
		"the columns selected by mask; "+maskDoc+" beta == 0 ignores C's previous contents.",
		"Then, by the flags in ep, it adds bias[j] to each row and applies ReLU (sign bit set: +0),",
		"as cpu.AddBias and cpu.Relu would.")
}

func genAVX512(rowMajor bool) {
	const mr, nv = mr512, nv512
	TEXT(name("AVX512", rowMajor), NOSPLIT, sig512)
	Pragma("noescape")
	docs("AVX512", mr, 16*nv, rowMajor, "mask has one bit per column.")
	acc := func(i, v int) VecPhysical { return zmm(i*nv + v) }
	bv := func(v int) VecPhysical { return zmm(mr*nv + v) }
	for i := 0; i < mr*nv; i++ {
		VPXORD(acc(i/nv, i%nv), acc(i/nv, i%nv), acc(i/nv, i%nv))
	}
	k := RCX
	Load(Param("k"), k)
	a := loadA(rowMajor, mr)
	bp, brs, brs3 := RDI, R10, R11
	Load(Param("b"), bp)
	Load(Param("brs"), brs)
	SHLQ(U8(2), brs)
	LEAQ(Mem{Base: brs, Index: brs, Scale: 2}, brs3)
	bAt := func(p, v int) Mem {
		switch p {
		case 0:
			return Mem{Base: bp, Disp: 64 * v}
		case 1:
			return Mem{Base: bp, Index: brs, Scale: 1, Disp: 64 * v}
		case 2:
			return Mem{Base: bp, Index: brs, Scale: 2, Disp: 64 * v}
		default:
			return Mem{Base: bp, Index: brs3, Scale: 1, Disp: 64 * v}
		}
	}
	step := func(p int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(bAt(p, v), bv(v))
		}
		for i := 0; i < mr; i++ {
			if nv == 1 || !bcastReg {
				for v := 0; v < nv; v++ {
					VFMADD231PS_BCST(a.at(i, p), bv(v), acc(i, v))
				}
				continue
			}
			// One broadcast feeds nv FMAs: fewer loads than an embedded
			// broadcast per FMA.
			av := zmm(mr*nv + nv + i%2)
			VBROADCASTSS(a.at(i, p), av)
			for v := 0; v < nv; v++ {
				VFMADD231PS(av, bv(v), acc(i, v))
			}
		}
	}
	lbl := name("AVX512", rowMajor)
	prefetchC(mr)
	kLoop(lbl, k, step, func(n int) {
		a.advance(n)
		if n == 1 {
			ADDQ(brs, bp)
		} else {
			LEAQ(Mem{Base: bp, Index: brs, Scale: 4}, bp)
		}
	})

	Label(lbl + "_store")
	// Masks: 16 bits per vector.
	mask := RAX
	Load(Param("mask"), mask)
	for v := 0; v < nv; v++ {
		KMOVW(mask.As32(), opmask(v+1))
		if v+1 < nv {
			SHRQ(U8(16), mask)
		}
	}
	cp, ldc, m := RDX, RBX, R15
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	Load(Param("mr"), m)
	alpha, beta := zmm(30), zmm(31)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	tmp := func(v int) VecPhysical { return bv(v) }
	// beta == 0?
	MOVL(paramAddr("beta"), RAX.As32())
	SHLL(U8(1), RAX.As32()) // drop the sign: -0 counts as 0
	JE(LabelRef(lbl + "_beta0"))
	for i := 0; i < mr; i++ {
		if i > 0 {
			CMPQ(m, U8(i))
			JLE(LabelRef(lbl + "_done"))
			ADDQ(ldc, cp)
		}
		for v := 0; v < nv; v++ {
			c := Mem{Base: cp, Disp: 64 * v}
			VMOVUPS_Z(c, opmask(v+1), tmp(v))
			VMULPS(beta, tmp(v), tmp(v))
			VFMADD231PS(alpha, acc(i, v), tmp(v))
			VMOVUPS(tmp(v), opmask(v+1), c)
		}
	}
	JMP(LabelRef(lbl + "_done"))
	Label(lbl + "_beta0")
	for i := 0; i < mr; i++ {
		if i > 0 {
			CMPQ(m, U8(i))
			JLE(LabelRef(lbl + "_done"))
			ADDQ(ldc, cp)
		}
		for v := 0; v < nv; v++ {
			c := Mem{Base: cp, Disp: 64 * v}
			VMULPS(alpha, acc(i, v), tmp(v))
			VMOVUPS(tmp(v), opmask(v+1), c)
		}
	}
	Label(lbl + "_done")
	epilogue(lbl, mr, nv, epilogueOps{
		loadBias: func(bias GPPhysical, v int, dst VecPhysical) {
			VMOVUPS_Z(Mem{Base: bias, Disp: 64 * v}, opmask(v+1), dst)
		},
		load:  func(c Mem, v int, dst VecPhysical) { VMOVUPS_Z(c, opmask(v+1), dst) },
		store: func(src VecPhysical, v int, c Mem) { VMOVUPS(src, opmask(v+1), c) },
		andn:  func(a, b, c Op) { VPANDND(a, b, c) },
		vecs:  func(i int) VecPhysical { return zmm(i) },
		width: 64,
	})
	VZEROUPPER()
	RET()
}

// epilogueOps abstracts the vector width of the epilogue.
type epilogueOps struct {
	loadBias func(bias GPPhysical, v int, dst VecPhysical)
	load     func(c Mem, v int, dst VecPhysical)
	store    func(src VecPhysical, v int, c Mem)
	andn     func(a, b, c Op)
	vecs     func(i int) VecPhysical
	width    int // bytes per vector
}

// epilogue emits the bias and ReLU passes over the stored block, one loop
// per combination of flags. It runs after the write-back, so every
// accumulator is free.
func epilogue(lbl string, mr, nv int, o epilogueOps) {
	ep, cp, ldc, m, bias := RAX, RDX, RBX, R15, RSI
	Load(Param("ep"), ep)
	TESTQ(ep, ep)
	JE(LabelRef(lbl + "_ret"))
	Load(Param("bias"), bias)
	Load(Param("mr"), m)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	bv := func(v int) VecPhysical { return o.vecs(v) }
	t := func(v int) VecPhysical { return o.vecs(nv + v) }
	sg := func(v int) VecPhysical { return o.vecs(2*nv + v) }
	for _, flags := range []int{epBias, epRelu, epBias | epRelu} {
		l := fmt.Sprintf("%s_ep%d", lbl, flags)
		Label(l)
		if flags != epBias|epRelu {
			CMPQ(ep, U8(flags))
			JNE(LabelRef(fmt.Sprintf("%s_ep%d", lbl, flags+1)))
		}
		Load(Param("c"), cp)
		if flags&epBias != 0 {
			for v := 0; v < nv; v++ {
				o.loadBias(bias, v, bv(v))
			}
		}
		for i := 0; i < mr; i++ {
			if i > 0 {
				CMPQ(m, U8(i))
				JLE(LabelRef(lbl + "_ret"))
				ADDQ(ldc, cp)
			}
			for v := 0; v < nv; v++ {
				c := Mem{Base: cp, Disp: o.width * v}
				o.load(c, v, t(v))
				if flags&epBias != 0 {
					VADDPS(bv(v), t(v), t(v))
				}
				if flags&epRelu != 0 {
					VPSRAD(U8(31), t(v), sg(v))
					o.andn(t(v), sg(v), t(v))
				}
				o.store(t(v), v, c)
			}
		}
		if flags != epBias|epRelu {
			JMP(LabelRef(lbl + "_ret"))
		}
	}
	Label(lbl + "_ret")
}

func genAVX2(rowMajor bool) {
	const mr, nv = mr256, nv256
	TEXT(name("AVX2", rowMajor), NOSPLIT, sig256)
	Pragma("noescape")
	docs("AVX2", mr, 8*nv, rowMajor, "mask points to the lane masks of the nr columns (int32 -1 writes).")
	acc := func(i, v int) VecPhysical { return ymm(i*nv + v) }
	bv := func(v int) VecPhysical { return ymm(mr*nv + v) }
	av := ymm(mr*nv + nv)
	for i := 0; i < mr*nv; i++ {
		VXORPS(acc(i/nv, i%nv), acc(i/nv, i%nv), acc(i/nv, i%nv))
	}
	k := RCX
	Load(Param("k"), k)
	a := loadA(rowMajor, mr)
	bp, brs, brs3 := RDI, R10, R11
	Load(Param("b"), bp)
	Load(Param("brs"), brs)
	SHLQ(U8(2), brs)
	LEAQ(Mem{Base: brs, Index: brs, Scale: 2}, brs3)
	bAt := func(p, v int) Mem {
		switch p {
		case 0:
			return Mem{Base: bp, Disp: 32 * v}
		case 1:
			return Mem{Base: bp, Index: brs, Scale: 1, Disp: 32 * v}
		case 2:
			return Mem{Base: bp, Index: brs, Scale: 2, Disp: 32 * v}
		default:
			return Mem{Base: bp, Index: brs3, Scale: 1, Disp: 32 * v}
		}
	}
	step := func(p int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(bAt(p, v), bv(v))
		}
		for i := 0; i < mr; i++ {
			VBROADCASTSS(a.at(i, p), av)
			for v := 0; v < nv; v++ {
				VFMADD231PS(av, bv(v), acc(i, v))
			}
		}
	}
	lbl := name("AVX2", rowMajor)
	prefetchC(mr)
	kLoop(lbl, k, step, func(n int) {
		a.advance(n)
		if n == 1 {
			ADDQ(brs, bp)
		} else {
			LEAQ(Mem{Base: bp, Index: brs, Scale: 4}, bp)
		}
	})

	Label(lbl + "_store")
	maskp, cp, ldc, m := RAX, RDX, RBX, R15
	Load(Param("mask"), maskp)
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	Load(Param("mr"), m)
	// Free now: bv(0..nv-1), av and ymm15.
	alpha, beta, mk, t := ymm(15), av, bv(0), bv(1)
	VBROADCASTSS(paramAddr("alpha"), alpha)
	VBROADCASTSS(paramAddr("beta"), beta)
	MOVL(paramAddr("beta"), RSI.As32())
	SHLL(U8(1), RSI.As32())
	JE(LabelRef(lbl + "_beta0"))
	for v := 0; v < nv; v++ {
		Load(Param("c"), cp)
		VMOVUPS(Mem{Base: maskp, Disp: 32 * v}, mk)
		for i := 0; i < mr; i++ {
			if i > 0 {
				CMPQ(m, U8(i))
				JLE(LabelRef(fmt.Sprintf("%s_b_next%d", lbl, v)))
				ADDQ(ldc, cp)
			}
			c := Mem{Base: cp, Disp: 32 * v}
			VMASKMOVPS(c, mk, t)
			VMULPS(beta, t, t)
			VFMADD231PS(alpha, acc(i, v), t)
			VMASKMOVPS(t, mk, c)
		}
		Label(fmt.Sprintf("%s_b_next%d", lbl, v))
	}
	JMP(LabelRef(lbl + "_done"))
	Label(lbl + "_beta0")
	for v := 0; v < nv; v++ {
		Load(Param("c"), cp)
		VMOVUPS(Mem{Base: maskp, Disp: 32 * v}, mk)
		for i := 0; i < mr; i++ {
			if i > 0 {
				CMPQ(m, U8(i))
				JLE(LabelRef(fmt.Sprintf("%s_z_next%d", lbl, v)))
				ADDQ(ldc, cp)
			}
			c := Mem{Base: cp, Disp: 32 * v}
			VMULPS(alpha, acc(i, v), t)
			VMASKMOVPS(t, mk, c)
		}
		Label(fmt.Sprintf("%s_z_next%d", lbl, v))
	}
	Label(lbl + "_done")
	// The lane masks of the nv vectors stay in ymm 12.. (maskp is RAX, which
	// the epilogue reuses).
	mks := func(v int) VecPhysical { return ymm(12 + v) }
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: maskp, Disp: 32 * v}, mks(v))
	}
	epilogue(lbl, mr, nv, epilogueOps{
		loadBias: func(bias GPPhysical, v int, dst VecPhysical) {
			VMASKMOVPS(Mem{Base: bias, Disp: 32 * v}, mks(v), dst)
		},
		load:  func(c Mem, v int, dst VecPhysical) { VMASKMOVPS(c, mks(v), dst) },
		store: func(src VecPhysical, v int, c Mem) { VMASKMOVPS(src, mks(v), c) },
		andn:  func(a, b, c Op) { VPANDN(a, b, c) },
		vecs:  func(i int) VecPhysical { return ymm(i) },
		width: 32,
	})
	VZEROUPPER()
	RET()
}

var zmms = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
var ymms = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

func zmm(i int) VecPhysical { return zmms[i] }
func ymm(i int) VecPhysical { return ymms[i] }
func opmask(i int) OpmaskPhysical {
	return []OpmaskPhysical{K0, K1, K2, K3, K4}[i]
}

// paramAddr is the stack address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// genTranspose generates sgemmTransposeAVX, which packing uses to transpose
// 8×8 blocks of floats in ymm registers.
func genTranspose() {
	TEXT("sgemmTransposeAVX", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, rows, cols int)")
	Pragma("noescape")
	Doc("sgemmTransposeAVX sets dst[p*ldd+j] = src[j*lds+p] for j < rows, p < cols;",
		"rows and cols are multiples of 8.")
	dst, ldd, src, lds, lds3 := RDI, R8, RSI, R9, R10
	rows, cols := RBX, RDX
	Load(Param("dst"), dst)
	Load(Param("ldd"), ldd)
	SHLQ(U8(2), ldd)
	Load(Param("src"), src)
	Load(Param("lds"), lds)
	SHLQ(U8(2), lds)
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	Load(Param("rows"), rows)
	SHRQ(U8(3), rows)
	JE(LabelRef("transpose_done"))
	s, s4, d, n := R11, R12, R13, RCX
	Label("transpose_rows")
	MOVQ(src, s)
	LEAQ(Mem{Base: src, Index: lds, Scale: 4}, s4)
	MOVQ(dst, d)
	Load(Param("cols"), cols)
	MOVQ(cols, n)
	SHRQ(U8(3), n)
	JE(LabelRef("transpose_next"))
	Label("transpose_cols")
	r := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	t := []VecPhysical{Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	srcRow := func(i int) Mem {
		b := s
		if i >= 4 {
			b = s4
		}
		switch i % 4 {
		case 0:
			return Mem{Base: b}
		case 1:
			return Mem{Base: b, Index: lds, Scale: 1}
		case 2:
			return Mem{Base: b, Index: lds, Scale: 2}
		default:
			return Mem{Base: b, Index: lds3, Scale: 1}
		}
	}
	for i := 0; i < 8; i++ {
		VMOVUPS(srcRow(i), r[i])
	}
	// t[2q] = interleave low of rows 2q, 2q+1; t[2q+1] = interleave high.
	for q := 0; q < 4; q++ {
		VUNPCKLPS(r[2*q+1], r[2*q], t[2*q])
		VUNPCKHPS(r[2*q+1], r[2*q], t[2*q+1])
	}
	// Within each 128-bit lane, gather 4 rows of one column.
	for h := 0; h < 2; h++ { // rows 0-3, rows 4-7
		a, b := t[4*h], t[4*h+2]
		c, e := t[4*h+1], t[4*h+3]
		VSHUFPS(U8(0x44), b, a, r[4*h+0])
		VSHUFPS(U8(0xEE), b, a, r[4*h+1])
		VSHUFPS(U8(0x44), e, c, r[4*h+2])
		VSHUFPS(U8(0xEE), e, c, r[4*h+3])
	}
	// Combine the lanes: column q from low lanes, column q+4 from high.
	for q := 0; q < 4; q++ {
		VPERM2F128(U8(0x20), r[4+q], r[q], t[q])
		VPERM2F128(U8(0x31), r[4+q], r[q], t[4+q])
	}
	for q := 0; q < 8; q++ {
		VMOVUPS(t[q], Mem{Base: d})
		ADDQ(ldd, d)
	}
	ADDQ(U8(32), s)
	ADDQ(U8(32), s4)
	DECQ(n)
	JNE(LabelRef("transpose_cols"))
	Label("transpose_next")
	LEAQ(Mem{Base: src, Index: lds, Scale: 8}, src)
	ADDQ(U8(32), dst)
	DECQ(rows)
	JNE(LabelRef("transpose_rows"))
	Label("transpose_done")
	VZEROUPPER()
	RET()
}

// kLoop emits the loop over p: k/unroll unrolled steps, then k%unroll
// single steps. advance(n) moves the operands n steps on.
func kLoop(lbl string, k GPPhysical, step func(p int), advance func(n int)) {
	n := RAX
	MOVQ(k, n)
	SHRQ(U8(2), n) // unroll == 4
	JE(LabelRef(lbl + "_tail"))
	Label(lbl + "_loop4")
	for p := 0; p < unroll; p++ {
		step(p)
	}
	advance(unroll)
	DECQ(n)
	JNE(LabelRef(lbl + "_loop4"))
	Label(lbl + "_tail")
	ANDQ(U8(unroll-1), k)
	JE(LabelRef(lbl + "_store"))
	Label(lbl + "_loop1")
	step(0)
	advance(1)
	DECQ(k)
	JNE(LabelRef(lbl + "_loop1"))
}

// prefetchC asks for the rows of the C block (two lines each) while the
// FMAs run. Rows past mr may not exist; prefetches do not fault.
func prefetchC(mr int) {
	cp, ldc := RDX, RBX
	Load(Param("c"), cp)
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	for i := 0; i < mr; i++ {
		PREFETCHT0(Mem{Base: cp})
		PREFETCHT0(Mem{Base: cp, Disp: 64})
		if i+1 < mr {
			ADDQ(ldc, cp)
		}
	}
}
