// Command vec generates the vector kernels of package cpu
// (internal/cpu/vec_amd64.s and its Go declarations), each in an AVX-512
// and an AVX2 version.
//
// Run through go generate in internal/cpu:
//
//	go run -C asmgen ./vec -out ../vec_amd64.s -stubs ../vec_stub_amd64.go -pkg cpu
//
// Every kernel performs, lane by lane, the same IEEE float32 operations in
// the same order as its portable Go reference in vec.go (a multiply and an
// add stay two roundings: no FMA), so the results are bit-identical to the
// Go code, except that a NaN result may differ in sign and payload. The
// kernels read and write whole vectors and finish with one masked vector (an
// opmask on AVX-512, VMASKMOVPS on AVX2), so they never touch memory outside
// the slices. None needs more than AVX-512F, or AVX2 without FMA.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	maskTable = GLOBL("vecmask", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	gateConsts()
	for _, s := range []*isa{avx512, avx2} {
		genAdam(s)
		genRelu(s)
		genReluBackward(s)
		genAxpy(s)
		genScale(s)
		genBinary(s, "add", "Add", "dst[i] = a[i] + b[i]")
		genBinary(s, "sub", "Sub", "dst[i] = a[i] - b[i]")
		genBinary(s, "mul", "Mul", "dst[i] = a[i] · b[i]")
		genAddMul(s)
		genAddBias(s)
		genSumRows(s)
		genSum32(s, false)
		genSum32(s, true)
		genTanhGrad(s)
		genSigmoidGrad(s)
		genHardSigmoid(s)
		genHardSigmoidGrad(s)
		genOneMinus(s)
	}
	expConsts()
	for _, s := range []*isa{avx512, avx2} {
		genExp64(s)
		genSquash(s, false)
		genSquash(s, true)
	}
	sq32Consts()
	for _, s := range []*isa{avx512, avx2} {
		genSquash32(s, false)
		genSquash32(s, true)
	}
	Generate()
}

// maskTable holds eight int32 -1 followed by eight 0: the AVX2 lane mask of
// the first r lanes starts at element 8-r.
var maskTable Mem

// isa describes one vector instruction set.
type isa struct {
	name   string
	avx512 bool
	w      int // float32 lanes per vector
	vecs   []VecPhysical
	// masked makes load and store work on the tail lanes only (set by
	// setMask): opmask K1 on AVX-512, register tailMask on AVX2.
	masked bool
}

var (
	avx512 = &isa{name: "AVX512", avx512: true, w: 16, vecs: []VecPhysical{
		Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30}}
	// Y15 holds the AVX2 tail mask.
	avx2 = &isa{name: "AVX2", w: 8, vecs: []VecPhysical{
		Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14}}
	tailMask = Y15
)

// bytes is the size of a vector.
func (s *isa) bytes() int { return 4 * s.w }

// v returns the i-th vector register of the working set.
func (s *isa) v(i int) VecPhysical { return s.vecs[i] }

// c returns the i-th register for constants, from the top of the set.
func (s *isa) c(i int) VecPhysical { return s.vecs[len(s.vecs)-1-i] }

// load loads a vector (the tail lanes when masked, zeros elsewhere).
func (s *isa) load(m Mem, dst VecPhysical) {
	switch {
	case !s.masked:
		VMOVUPS(m, dst)
	case s.avx512:
		VMOVUPS_Z(m, K1, dst)
	default:
		VMASKMOVPS(m, tailMask, dst)
	}
}

// store stores a vector (the tail lanes only when masked).
func (s *isa) store(src VecPhysical, m Mem) {
	switch {
	case !s.masked:
		VMOVUPS(src, m)
	case s.avx512:
		VMOVUPS(src, K1, m)
	default:
		VMASKMOVPS(src, tailMask, m)
	}
}

// src returns a source operand for the vector at m: m itself, or when
// masked, tmp loaded from m.
func (s *isa) src(m Mem, tmp VecPhysical) Op {
	if !s.masked {
		return m
	}
	s.load(m, tmp)
	return tmp
}

// setMask sets the tail mask to the first lanes lanes, 1 ≤ lanes ≤ w, where
// lanes = n%w, or (n-1)%w + 1 with full. It clobbers AX and CX (n must be
// neither).
func (s *isa) setMask(n GPPhysical, full bool) {
	MOVQ(n, RCX)
	if full {
		DECQ(RCX)
	}
	ANDQ(U8(s.w-1), RCX)
	if full {
		INCQ(RCX)
	}
	if s.avx512 {
		MOVL(U32(1), EAX)
		SHLL(CL, EAX)
		DECL(EAX)
		KMOVW(EAX, K1)
		return
	}
	NEGQ(RCX)
	LEAQ(maskTable, RAX)
	VMOVDQU(Mem{Base: RAX, Index: RCX, Scale: 4, Disp: 32}, tailMask)
}

// at gives the memory operand of the vector at element offset lane of the
// current position in the slice at base.
type at func(base GPPhysical, lane int) Mem

// elementwise emits a loop over n elements: body runs on unroll vectors at a
// time (slot u of the unrolled step is at lanes u*w), then on single
// vectors, then once masked on the tail. setMask must have been called for
// n. It uses DX (index) and BX (remaining count).
func (s *isa) elementwise(lbl string, n GPPhysical, unroll int, body func(u int, at at)) {
	idx, rem := RDX, RBX
	XORQ(idx, idx)
	MOVQ(n, rem)
	addr := func(base GPPhysical, lane int) Mem {
		return Mem{Base: base, Index: idx, Scale: 4, Disp: 4 * lane}
	}
	blk := unroll * s.w
	CMPQ(rem, U32(blk))
	JL(LabelRef(lbl + "_one"))
	Label(lbl + "_loop")
	for u := 0; u < unroll; u++ {
		body(u, func(base GPPhysical, lane int) Mem { return addr(base, lane+u*s.w) })
	}
	ADDQ(U32(blk), idx)
	SUBQ(U32(blk), rem)
	CMPQ(rem, U32(blk))
	JGE(LabelRef(lbl + "_loop"))
	Label(lbl + "_one")
	CMPQ(rem, U32(s.w))
	JL(LabelRef(lbl + "_tail"))
	body(0, addr)
	ADDQ(U32(s.w), idx)
	SUBQ(U32(s.w), rem)
	JMP(LabelRef(lbl + "_one"))
	Label(lbl + "_tail")
	TESTQ(rem, rem)
	JE(LabelRef(lbl + "_done"))
	s.masked = true
	body(0, addr)
	s.masked = false
	Label(lbl + "_done")
}

// paramAddr is the stack address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// header starts a kernel: TEXT, pragma and doc.
func header(s *isa, base, sig string, doc ...string) string {
	name := base + s.name
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	doc[0] = name + " " + doc[0]
	Doc(doc...)
	return name
}

// finish ends a kernel.
func finish() {
	VZEROUPPER()
	RET()
}

// simple emits a kernel that runs body over len(first slice) elements; ptrs
// names the slices, loaded into SI, DI, R8, R9 in order.
func simple(s *isa, name string, unroll int, ptrs []string, prep func(), body func(u int, at at, p []GPPhysical)) {
	regs := []GPPhysical{RSI, RDI, R8, R9}[:len(ptrs)]
	n := R10
	Load(Param(ptrs[0]).Len(), n)
	for i, p := range ptrs {
		Load(Param(p).Base(), regs[i])
	}
	s.setMask(n, false)
	if prep != nil {
		prep()
	}
	s.elementwise(name, n, unroll, func(u int, a at) { body(u, a, regs) })
	finish()
}

func genAdam(s *isa) {
	name := header(s, "adam", "func(p, g, m, v []float32, b1, c1, b2, c2, lrT, eps float32)",
		"applies one Adam step (see adamGeneric), with c1 = 1-b1 and c2 = 1-b2.")
	b1, c1, b2, c2, lrT, eps := s.c(0), s.c(1), s.c(2), s.c(3), s.c(4), s.c(5)
	unroll := 4
	if !s.avx512 {
		unroll = 2
	}
	simple(s, name, unroll, []string{"p", "g", "m", "v"}, func() {
		VBROADCASTSS(paramAddr("b1"), b1)
		VBROADCASTSS(paramAddr("c1"), c1)
		VBROADCASTSS(paramAddr("b2"), b2)
		VBROADCASTSS(paramAddr("c2"), c2)
		VBROADCASTSS(paramAddr("lrT"), lrT)
		VBROADCASTSS(paramAddr("eps"), eps)
	}, func(u int, at at, r []GPPhysical) {
		pp, gp, mp, vp := r[0], r[1], r[2], r[3]
		g, m, v, t := s.v(4*u), s.v(4*u+1), s.v(4*u+2), s.v(4*u+3)
		s.load(at(gp, 0), g)
		s.load(at(mp, 0), m)
		s.load(at(vp, 0), v)
		// m = b1·m + c1·g
		VMULPS(b1, m, m)
		VMULPS(c1, g, t)
		VADDPS(t, m, m)
		s.store(m, at(mp, 0))
		// v = b2·v + (c2·g)·g
		VMULPS(b2, v, v)
		VMULPS(c2, g, t)
		VMULPS(g, t, t)
		VADDPS(t, v, v)
		s.store(v, at(vp, 0))
		// p -= (lrT·m) / (√v + eps)
		VSQRTPS(v, v)
		VADDPS(eps, v, v)
		VMULPS(lrT, m, m)
		VDIVPS(v, m, m)
		s.load(at(pp, 0), t)
		VSUBPS(m, t, t)
		s.store(t, at(pp, 0))
	})
}

func genRelu(s *isa) {
	name := header(s, "relu", "func(dst, x []float32)",
		"sets dst[i] = x[i] with the sign bit clear, else +0.")
	simple(s, name, 4, []string{"dst", "x"}, nil, func(u int, at at, r []GPPhysical) {
		x, sign := s.v(2*u), s.v(2*u+1)
		s.load(at(r[1], 0), x)
		VPSRAD(U8(31), x, sign)
		if s.avx512 {
			VPANDND(x, sign, x)
		} else {
			VPANDN(x, sign, x)
		}
		s.store(x, at(r[0], 0))
	})
}

func genReluBackward(s *isa) {
	name := header(s, "reluBackward", "func(dx, dy, y []float32)",
		"adds dy[i] to dx[i] where y[i]'s bits are positive as an int32, +0 elsewhere.")
	zero := s.c(0)
	simple(s, name, 4, []string{"dx", "dy", "y"}, func() {
		VXORPS(zero, zero, zero)
	}, func(u int, at at, r []GPPhysical) {
		dx, dy, y := r[0], r[1], r[2]
		t, g, d := s.v(3*u), s.v(3*u+1), s.v(3*u+2)
		s.load(at(y, 0), t) // masked-out lanes are 0: they pass nothing
		if s.avx512 {
			k := []OpmaskPhysical{K2, K3, K4, K5}[u]
			VPCMPGTD(zero, t, k)
			VMOVUPS_Z(at(dy, 0), k, g)
		} else {
			VPCMPGTD(zero, t, t)
			VANDPS(s.src(at(dy, 0), g), t, g)
		}
		s.load(at(dx, 0), d)
		VADDPS(g, d, d)
		s.store(d, at(dx, 0))
	})
}

func genAxpy(s *isa) {
	name := header(s, "axpy", "func(dst, x []float32, alpha float32)",
		"sets dst[i] += alpha·x[i], the product rounded.")
	alpha := s.c(0)
	simple(s, name, 4, []string{"dst", "x"}, func() {
		VBROADCASTSS(paramAddr("alpha"), alpha)
	}, func(u int, at at, r []GPPhysical) {
		t, d := s.v(2*u), s.v(2*u+1)
		VMULPS(s.src(at(r[1], 0), t), alpha, t)
		s.load(at(r[0], 0), d)
		VADDPS(t, d, d)
		s.store(d, at(r[0], 0))
	})
}

func genScale(s *isa) {
	name := header(s, "scale", "func(x []float32, alpha float32)", "sets x[i] *= alpha.")
	alpha := s.c(0)
	simple(s, name, 4, []string{"x"}, func() {
		VBROADCASTSS(paramAddr("alpha"), alpha)
	}, func(u int, at at, r []GPPhysical) {
		t := s.v(u)
		VMULPS(s.src(at(r[0], 0), t), alpha, t)
		s.store(t, at(r[0], 0))
	})
}

func genBinary(s *isa, base, op, doc string) {
	name := header(s, base, "func(dst, a, b []float32)", "sets "+doc+".")
	simple(s, name, 4, []string{"dst", "a", "b"}, nil, func(u int, at at, r []GPPhysical) {
		x, y := s.v(2*u), s.v(2*u+1)
		s.load(at(r[1], 0), x)
		b := s.src(at(r[2], 0), y)
		switch op {
		case "Add":
			VADDPS(b, x, x)
		case "Sub":
			VSUBPS(b, x, x)
		case "Mul":
			VMULPS(b, x, x)
		}
		s.store(x, at(r[0], 0))
	})
}

func genAddMul(s *isa) {
	name := header(s, "addMul", "func(dst, a, b []float32)", "sets dst[i] += a[i]·b[i], the product rounded.")
	simple(s, name, 4, []string{"dst", "a", "b"}, nil, func(u int, at at, r []GPPhysical) {
		x, y, d := s.v(3*u), s.v(3*u+1), s.v(3*u+2)
		s.load(at(r[1], 0), x)
		VMULPS(s.src(at(r[2], 0), y), x, x)
		s.load(at(r[0], 0), d)
		VADDPS(x, d, d)
		s.store(d, at(r[0], 0))
	})
}

func genAddBias(s *isa) {
	name := header(s, "addBias", "func(x []float32, rows int, bias []float32)",
		"adds bias to each of the first rows len(bias)-wide rows of x; len(bias) > 0.")
	xp, bp, n, rows := RSI, RDI, R10, R11
	Load(Param("x").Base(), xp)
	Load(Param("bias").Base(), bp)
	Load(Param("bias").Len(), n)
	Load(Param("rows"), rows)
	s.setMask(n, false)
	TESTQ(rows, rows)
	JE(LabelRef(name + "_end"))
	Label(name + "_row")
	s.elementwise(name, n, 4, func(u int, at at) {
		t, b := s.v(2*u), s.v(2*u+1)
		s.load(at(xp, 0), t)
		VADDPS(s.src(at(bp, 0), b), t, t)
		s.store(t, at(xp, 0))
	})
	LEAQ(Mem{Base: xp, Index: n, Scale: 4}, xp)
	DECQ(rows)
	JNE(LabelRef(name + "_row"))
	Label(name + "_end")
	finish()
}

// sumRowsBlock is the number of vectors of columns SumRows keeps in
// registers while it runs down the rows.
const sumRowsBlock = 8

func genSumRows(s *isa) {
	name := header(s, "sumRows", "func(dst []float32, x []float32, rows int, ld int)",
		"adds rows rows of x, ld floats apart, into dst (their first len(dst) columns), in row order; rows > 0.")
	dp, xp, n, rows := RDI, RSI, R10, R11
	stride, rp, r, rem := R12, R8, R9, RBX
	Load(Param("dst").Base(), dp)
	Load(Param("dst").Len(), n)
	Load(Param("x").Base(), xp)
	Load(Param("rows"), rows)
	Load(Param("ld"), stride)
	SHLQ(U8(2), stride)
	s.setMask(n, true) // the last vector of the last block
	MOVQ(n, rem)
	acc := func(b int) VecPhysical { return s.v(b) }
	// block sums nb vectors of columns at dp/xp over all rows; the last is
	// masked when lastMasked.
	block := func(lbl string, nb int, lastMasked bool) {
		for b := 0; b < nb; b++ {
			s.masked = lastMasked && b == nb-1
			s.load(Mem{Base: dp, Disp: b * s.bytes()}, acc(b))
		}
		MOVQ(xp, rp)
		MOVQ(rows, r)
		Label(lbl)
		for b := 0; b < nb; b++ {
			s.masked = lastMasked && b == nb-1
			VADDPS(s.src(Mem{Base: rp, Disp: b * s.bytes()}, s.v(sumRowsBlock+b%4)), acc(b), acc(b))
		}
		ADDQ(stride, rp)
		DECQ(r)
		JNE(LabelRef(lbl))
		for b := 0; b < nb; b++ {
			s.masked = lastMasked && b == nb-1
			s.store(acc(b), Mem{Base: dp, Disp: b * s.bytes()})
		}
		s.masked = false
	}
	full := sumRowsBlock * s.w
	CMPQ(rem, U32(full))
	JLE(LabelRef(name + "_last"))
	Label(name + "_block")
	block(name+"_rows", sumRowsBlock, false)
	ADDQ(U32(4*full), dp)
	ADDQ(U32(4*full), xp)
	SUBQ(U32(full), rem)
	CMPQ(rem, U32(full))
	JG(LabelRef(name + "_block"))
	// 0 < rem ≤ full: a block of ceil(rem/w) vectors, the last masked.
	Label(name + "_last")
	for nb := 1; nb <= sumRowsBlock; nb++ {
		next := fmt.Sprintf("%s_nb%d", name, nb+1)
		if nb < sumRowsBlock {
			CMPQ(rem, U32(nb*s.w))
			JG(LabelRef(next))
		}
		block(fmt.Sprintf("%s_rows%d", name, nb), nb, true)
		JMP(LabelRef(name + "_end"))
		if nb < sumRowsBlock {
			Label(next)
		}
	}
	Label(name + "_end")
	finish()
}

// genSum32 generates sum32, or with square sumSq32: the same loop with a
// multiply (not fused) before each add.
func genSum32(s *isa, square bool) {
	base, doc := "sum32", "adds x[i] as a float64 into acc[i%32] for i < len(x)&^31, in index order; acc holds 32 partial sums."
	if square {
		base, doc = "sumSq32", "adds float64(x[i])² into acc[i%32] for i < len(x)&^31, in index order (a multiply, then an add: no fused rounding); acc holds 32 partial sums."
	}
	name := header(s, base, "func(x []float32, acc *float64)", doc)
	xp, n, ap := RSI, R10, RDI
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	Load(Param("acc"), ap)
	nacc := 32 / (s.w / 2) // float64 vectors covering 32 lanes
	acc := func(k int) VecPhysical { return s.v(k) }
	t := func(k int) VecPhysical { return s.v(nacc + k%4) }
	step := 4 * s.w / 2 // bytes of float32 per accumulator
	for k := 0; k < nacc; k++ {
		VMOVUPD(Mem{Base: ap, Disp: 8 * k * s.w / 2}, acc(k))
	}
	SHRQ(U8(5), n)
	JE(LabelRef(name + "_store"))
	Label(name + "_loop")
	for k := 0; k < nacc; k++ {
		VCVTPS2PD(Mem{Base: xp, Disp: step * k}, t(k))
		if square {
			VMULPD(t(k), t(k), t(k))
		}
		VADDPD(t(k), acc(k), acc(k))
	}
	ADDQ(U32(128), xp)
	DECQ(n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_store")
	for k := 0; k < nacc; k++ {
		VMOVUPD(acc(k), Mem{Base: ap, Disp: 8 * k * s.w / 2})
	}
	finish()
}
