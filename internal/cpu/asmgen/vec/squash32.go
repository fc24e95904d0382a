package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The float32 sigmoid and tanh of the recurrent gates (see SigmoidF32 and
// TanhF32 in package cpu's squash32.go): an exponential in float32
// arithmetic, a multiply and an add rounded apart (no FMA), lane by lane
// the operations of squash32Core and its callers in that order.

// sq32Table holds float32 constants, each repeated over a 64-byte row so
// that either vector width reads it as a memory operand.
var sq32Table Mem

const (
	sqLog2E = iota
	sqLn2Hi
	sqLn2Lo
	sqMin
	sqPoly // 7 rows: 1/8!, 1/7!, …, 1/2!
	sqOne  = sqPoly + 7
	sqTwo  = sqOne + 1
	sqZero = sqTwo + 1
	sqSign = sqZero + 1 // 0x80000000
	sqAbs  = sqSign + 1 // 0x7fffffff
	sqBias = sqAbs + 1  // int32 127
)

// The values must be package cpu's (squash32.go).
var sq32F = []float32{
	1.44269504088896340736, // log2 e
	0.693359375,            // ln 2, high part (9 bits)
	-2.12194440e-4,         // ln 2 − the high part
	-87,                    // the argument's floor
	1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5,
	1, 2, 0,
}

func sq32Consts() {
	sq32Table = GLOBL("sq32consts", RODATA|NOPTR)
	row := func(r int, bits uint32) {
		for l := 0; l < 16; l++ {
			DATA(64*r+4*l, U32(bits))
		}
	}
	for r, v := range sq32F {
		row(r, math.Float32bits(v))
	}
	row(sqSign, 0x80000000)
	row(sqAbs, 0x7fffffff)
	row(sqBias, 127)
}

func sqc(row int) Mem { return Mem{Base: R11, Disp: 64 * row} }

// or, and: bitwise operations on float32 vectors (on zmm, VORPS needs
// AVX512DQ; VPORD is AVX512F).
func (s *isa) or(a Op, b, dst VecPhysical) {
	if s.avx512 {
		VPORD(a, b, dst)
	} else {
		VORPS(a, b, dst)
	}
}

func (s *isa) and(a Op, b, dst VecPhysical) {
	if s.avx512 {
		VPANDD(a, b, dst)
	} else {
		VANDPS(a, b, dst)
	}
}

// sq32Core: from y = a (≤ 0, or NaN) it leaves scale = 2^n in sc and p =
// e^r − 1 in p, a = n·ln2 + r after clamping a at sqMin. t and q are
// scratch. a is clamped in place.
func sq32Core(s *isa, a, t, r, q, p, sc VecPhysical) {
	VMOVUPS(sqc(sqMin), t)
	VMAXPS(a, t, a) // min > a ? min : a; NaN stays
	VMULPS(sqc(sqLog2E), a, t)
	if s.avx512 {
		VRNDSCALEPS(U8(0), t, t)
	} else {
		VROUNDPS(U8(0), t, t)
	}
	VMULPS(sqc(sqLn2Hi), t, q)
	VSUBPS(q, a, r)
	VMULPS(sqc(sqLn2Lo), t, q)
	VSUBPS(q, r, r)
	VMULPS(sqc(sqPoly), r, q)
	VADDPS(sqc(sqPoly+1), q, q)
	for k := 2; k < 7; k++ {
		VMULPS(r, q, q)
		VADDPS(sqc(sqPoly+k), q, q)
	}
	VMULPS(r, r, p)
	VMULPS(q, p, p)
	VADDPS(p, r, p)
	VCVTPS2DQ(t, sc)
	VPADDD(sqc(sqBias), sc, sc)
	VPSLLD(U8(23), sc, sc)
}

// genSquash32 emits sigmoidF32<ISA> or tanhF32<ISA>(dst, x []float32).
func genSquash32(s *isa, tanh bool) {
	base, doc := "sigmoidF32", "sets dst[i] = 1/(1+e^−x[i]) in float32 arithmetic (see sigmoidF32Generic)."
	if tanh {
		base, doc = "tanhF32", "sets dst[i] = tanh(x[i]) in float32 arithmetic (see tanhF32Generic)."
	}
	name := header(s, base, "func(dst, x []float32)", doc)
	LEAQ(sq32Table, R11)
	unroll := 1
	if s.avx512 {
		unroll = 2
	}
	simple(s, name, unroll, []string{"dst", "x"}, nil, func(u int, at at, rr []GPPhysical) {
		o := 8 * u
		v, a, t, r, q, p, sc, w := s.v(o), s.v(o+1), s.v(o+2), s.v(o+3), s.v(o+4), s.v(o+5), s.v(o+6), s.v(o+7)
		s.load(at(rr[1], 0), v)
		s.or(sqc(sqSign), v, a) // a = −|v|
		if tanh {
			VADDPS(a, a, a) // −2|v|
		}
		sq32Core(s, a, t, r, q, p, sc)
		if tanh {
			// e^a − 1 = 2^n·p + (2^n − 1); tanh|v| = −t/(2+t), its sign v's
			VMULPS(sc, p, t)
			VSUBPS(sqc(sqOne), sc, w)
			VADDPS(w, t, t)
			VADDPS(sqc(sqTwo), t, w)
			VDIVPS(w, t, t)
			s.and(sqc(sqAbs), t, t)
			s.and(sqc(sqSign), v, w)
			s.or(w, t, t)
			s.store(t, at(rr[0], 0))
			return
		}
		// e = 2^n·(1+p); 1/(1+e) for v ≥ 0, e/(1+e) below
		VADDPS(sqc(sqOne), p, t)
		VMULPS(sc, t, t)
		VADDPS(sqc(sqOne), t, w)
		if s.avx512 {
			k := []OpmaskPhysical{K2, K3}[u]
			VCMPPS(U8(0x1d), sqc(sqZero), v, k) // v ≥ 0, ordered
			VBLENDMPS(sqc(sqOne), t, k, t)
		} else {
			VCMPPS(U8(0x1d), sqc(sqZero), v, q)
			VBLENDVPS(q, sqc(sqOne), t, t)
		}
		VDIVPS(w, t, t)
		s.store(t, at(rr[0], 0))
	})
}
