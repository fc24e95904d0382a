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
	eRows     = eMaxExp + 1
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
}

// genExp64 emits exp64<ISA>(dst, x []float64) int: e^x on whole vectors
// (8 lanes on AVX-512, 4 on AVX2+FMA) up to the tail or to the first
// vector with a lane off the fast path (x NaN, infinite or above the
// overflow bound, or 2^n not a normal number), returning the elements done.
// Per lane it is exp64Generic's fast path, instruction for instruction.
func genExp64(s *isa) {
	name := "exp64" + s.name
	TEXT(name, NOSPLIT, "func(dst, x []float64) int")
	Pragma("noescape")
	Doc(name+" computes dst[i] = e^x[i] over whole vectors of x, stopping at the tail",
		"or before the first vector with a lane off the fast path; it returns the count done.")
	dp, xp, n, i := RDI, RSI, RCX, RDX
	Load(Param("dst").Base(), dp)
	Load(Param("x").Base(), xp)
	Load(Param("x").Len(), n)
	LEAQ(expTable, R8)
	c := func(row int) Mem { return Mem{Base: R8, Disp: 64 * row} }
	XORQ(i, i)
	lanes := 8
	full := 0xff
	var x, t, nf, p, sc VecPhysical
	var k, b, m1, m2 VecPhysical
	if s.avx512 {
		x, t, nf, p, sc = Z0, Z1, Z3, Z7, Z8
		k, b, m1, m2 = Y2, Y4, Y5, Y6
	} else {
		lanes, full = 4, 0xf
		x, t, nf, p, sc = Y0, Y1, Y3, Y7, Y8
		k, b, m1, m2 = X2, X4, X5, X6
	}
	Label(name + "_loop")
	MOVQ(n, RAX)
	SUBQ(i, RAX)
	CMPQ(RAX, U32(lanes))
	JL(LabelRef(name + "_done"))
	at := Mem{Base: xp, Index: i, Scale: 8}
	VMOVUPD(at, x)
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
	CMPL(EBX, U32(full))
	JNE(LabelRef(name + "_done"))
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
	VMOVUPD(x, Mem{Base: dp, Index: i, Scale: 8})
	ADDQ(U32(lanes), i)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	Store(i, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
