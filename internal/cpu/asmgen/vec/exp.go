package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The constants of exp64 (see package cpu's exp.go), each repeated over a
// 64-byte row so that either vector width reads it as a memory operand.
const (
	expLog2E    = 1.4426950408889634073599246810018920
	expLn2U     = 0.69314718055966295651160180568695068359375
	expLn2L     = 0.28235290563031577122588448175013436025525412068e-12
	expOverflow = 7.09782712893384e+02
)

var expF64 = []float64{
	expLog2E, expLn2U, expLn2L, 0.0625,
	2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
	8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1,
	0.5, 1.0, 2.0, expOverflow,
}

// Rows of the table: float64 constants first, then int32 ones.
const (
	eLog2E = iota
	eLn2U
	eLn2L
	eSixteenth
	ePoly     // 8 rows of Taylor coefficients, 1/8! first
	eTwo      = ePoly + 8
	eOverflow = eTwo + 1
	eBias     = eOverflow + 1 // int32 0x3ff
	eZero     = eBias + 1     // int32 0
	eMaxExp   = eZero + 1     // int32 0x7ff
	eSign     = eMaxExp + 1   // uint64 1<<63, the float64 sign bit
	eRows     = eSign + 1
)

var expTable Mem

func expConsts() {
	expTable = GLOBL("exp64consts", RODATA|NOPTR)
	for r, v := range expF64 {
		for l := 0; l < 8; l++ {
			DATA(64*r+8*l, U64(math.Float64bits(v)))
		}
	}
	for r, v := range []uint32{0x3ff, 0, 0x7ff} {
		for l := 0; l < 16; l++ {
			DATA(64*(eBias+r)+4*l, U32(v))
		}
	}
	for l := 0; l < 8; l++ {
		DATA(64*eSign+8*l, U64(1<<63))
	}
}

// expRegs are the registers of the exponential's body: x holds the
// argument and then the result; t, nf, p, sc are float64 vectors; k, b,
// m1, m2 int32 vectors of the same lane count.
type expRegs struct {
	x, t, nf, p, sc VecPhysical
	k, b, m1, m2    VecPhysical
	lanes, full     int
}

func expRegsFor(s *isa) expRegs {
	if s.avx512 {
		return expRegs{x: Z0, t: Z1, nf: Z3, p: Z7, sc: Z8, k: Y2, b: Y4, m1: Y5, m2: Y6, lanes: 8, full: 0xff}
	}
	return expRegs{x: Y0, t: Y1, nf: Y3, p: Y7, sc: Y8, k: X2, b: X4, m1: X5, m2: X6, lanes: 4, full: 0xf}
}

// expBody replaces r.x by e^x, lane by lane exp64Generic's fast path,
// instruction for instruction, or jumps to done (leaving x as it was) when
// a lane is off that path: x NaN, infinite or above the overflow bound, or
// 2^n not a normal number. c addresses a row of the constants. It uses
// EAX, EBX and, on AVX-512, K1.
func expBody(s *isa, r expRegs, c func(int) Mem, done string) {
	x, t, nf, p, sc := r.x, r.t, r.nf, r.p, r.sc
	k, b, m1, m2 := r.k, r.b, r.m1, r.m2
	// AX = lanes with x <= overflow bound (ordered: NaN fails).
	if s.avx512 {
		VCMPPD(U8(0x12), c(eOverflow), x, K1)
		KMOVW(K1, EAX)
	} else {
		VCMPPD(U8(0x12), c(eOverflow), x, t)
		VMOVMSKPD(t, EAX)
	}
	VMULPD(c(eLog2E), x, t)
	if s.avx512 {
		VCVTPD2DQ(t, k)
	} else {
		VCVTPD2DQY(t, k)
	}
	VCVTDQ2PD(k, nf)
	VPADDD(c(eBias), k, b)
	// BX = lanes with 0 < biased exponent < 0x7ff.
	VPCMPGTD(c(eZero), b, m1)
	VMOVDQU(c(eMaxExp), m2)
	VPCMPGTD(b, m2, m2)
	VPAND(m1, m2, m1)
	VMOVMSKPS(m1, EBX)
	ANDL(EAX, EBX)
	CMPL(EBX, U32(r.full))
	JNE(LabelRef(done))
	// r = (x - n·ln2u - n·ln2l)/16
	VFNMADD231PD(c(eLn2U), nf, x)
	VFNMADD231PD(c(eLn2L), nf, x)
	VMULPD(c(eSixteenth), x, x)
	// p = Taylor polynomial by Horner, with FMAs
	VMOVUPD(c(ePoly), p)
	for r := 1; r < 8; r++ {
		VFMADD213PD(c(ePoly+r), x, p)
	}
	// y = r·p, then y = y·(y+2) three times and y = y·(y+2) + 1
	VMULPD(p, x, x)
	for r := 0; r < 3; r++ {
		VADDPD(c(eTwo), x, t)
		VMULPD(t, x, x)
	}
	VADDPD(c(eTwo), x, t)
	VFMADD213PD(c(ePoly+7), t, x)
	// times 2^n
	VPMOVSXDQ(b, sc)
	VPSLLQ(U8(52), sc, sc)
	VMULPD(sc, x, x)
}

// expLoop emits a kernel name(dst, x) int over whole vectors of r.lanes
// elements of x, stopping at the tail or when body jumps to name_done, and
// returning the count done. body gets the pointers, the index and the
// constants' rows.
func expLoop(s *isa, name, sig string, doc []string, body func(dp, xp, i GPPhysical, c func(int) Mem, r expRegs)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc...)
	dp, xp, n, i := RDI, RSI, RCX, RDX
	Load(Param("dst").Base(), dp)
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	LEAQ(expTable, R8)
	c := func(row int) Mem { return Mem{Base: R8, Disp: 64 * row} }
	r := expRegsFor(s)
	XORQ(i, i)
	Label(name + "_loop")
	MOVQ(n, RAX)
	SUBQ(i, RAX)
	CMPQ(RAX, U32(r.lanes))
	JL(LabelRef(name + "_done"))
	body(dp, xp, i, c, r)
	ADDQ(U32(r.lanes), i)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	Store(i, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// genExp64 emits exp64<ISA>(dst, x []float64) int: e^x on whole vectors
// (8 lanes on AVX-512, 4 on AVX2+FMA) up to the tail or to the first
// vector with a lane off the fast path (see expBody), returning the
// elements done.
func genExp64(s *isa) {
	name := "exp64" + s.name
	expLoop(s, name, "func(dst, x []float64) int", []string{
		name + " computes dst[i] = e^x[i] over whole vectors of x, stopping at the tail",
		"or before the first vector with a lane off the fast path; it returns the count done."},
		func(dp, xp, i GPPhysical, c func(int) Mem, r expRegs) {
			VMOVUPD(Mem{Base: xp, Index: i, Scale: 8}, r.x)
			expBody(s, r, c, name+"_done")
			VMOVUPD(r.x, Mem{Base: dp, Index: i, Scale: 8})
		})
}

// genSquash emits sigmoid32<ISA> or tanh32<ISA>(dst, x []float32) int:
// each float32 lane widened to float64, e = e^(−|x|) (sigmoid) or
// e^(−2|x|) (tanh) by expBody, then 1/(1+e) for x ≥ 0 and e/(1+e) below
// (sigmoid), or (1−e)/(1+e) negated for x < 0 (tanh), rounded to float32:
// what Sigmoid's and ExpTanh's Go references compute, lane by lane. Like
// exp64 it stops at the tail or before a vector with a lane off the
// exponential's fast path and returns the count done.
func genSquash(s *isa, tanh bool) {
	name := "sigmoid32" + s.name
	what := "dst[i] = 1/(1+e^−x[i])"
	if tanh {
		name, what = "tanh32"+s.name, "dst[i] = tanh(x[i]) as sign·(1−e)/(1+e), e = e^(−2|x[i]|)"
	}
	v, num, den, sel := Z9, Z10, Z11, Z12
	var half VecPhysical = Y13
	if !s.avx512 {
		v, num, den, sel, half = Y9, Y10, Y11, Y12, X13
	}
	expLoop(s, name, "func(dst, x []float32) int", []string{
		name + " computes " + what + " in float64 over whole vectors of x,",
		"stopping at the tail or before the first vector with a lane off the exponential's fast path;",
		"it returns the count done."},
		func(dp, xp, i GPPhysical, c func(int) Mem, r expRegs) {
			VCVTPS2PD(Mem{Base: xp, Index: i, Scale: 4}, v)
			// x = −|v|, doubled for tanh (exact).
			if s.avx512 {
				VPORQ(c(eSign), v, r.x) // VORPD on zmm would need AVX512DQ
			} else {
				VORPD(c(eSign), v, r.x)
			}
			if tanh {
				VADDPD(r.x, r.x, r.x)
			}
			expBody(s, r, c, name+"_done")
			VADDPD(c(ePoly+7), r.x, den) // 1 + e
			switch {
			case tanh:
				VMOVUPD(c(ePoly+7), num)
				VSUBPD(r.x, num, num) // 1 − e
				VDIVPD(den, num, num)
				// negate the lanes with v < 0 (ordered, so −0 keeps +0's result)
				if s.avx512 {
					VCMPPD(U8(0x11), c(eZero), v, K2)
					VPXORQ(c(eSign), num, K2, num)
				} else {
					VCMPPD(U8(0x11), c(eZero), v, sel)
					VANDPD(c(eSign), sel, sel)
					VXORPD(sel, num, num)
				}
			case s.avx512:
				// numerator 1 where v ≥ 0, e elsewhere
				VCMPPD(U8(0x1d), c(eZero), v, K2)
				VBLENDMPD(c(ePoly+7), r.x, K2, num)
				VDIVPD(den, num, num)
			default:
				VCMPPD(U8(0x1d), c(eZero), v, sel)
				VBLENDVPD(sel, c(ePoly+7), r.x, num)
				VDIVPD(den, num, num)
			}
			if s.avx512 {
				VCVTPD2PS(num, half)
			} else {
				VCVTPD2PSY(num, half)
			}
			VMOVUPS(half, Mem{Base: dp, Index: i, Scale: 4})
		})
}
