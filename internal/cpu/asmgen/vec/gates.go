package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The recurrent layers' gate kernels: Keras's hard_sigmoid and the
// derivatives of tanh, sigmoid and hard_sigmoid through their outputs.
// Each rounds every product and difference to float32 in the order of its
// Go reference in vec.go.

// gateTable holds the float32 constants 0.2, 0.5 and 1.
var gateTable Mem

const (
	gPointTwo = iota
	gHalf
	gOne
)

func gateConsts() {
	gateTable = GLOBL("gateconsts", RODATA|NOPTR)
	for i, v := range []float32{0.2, 0.5, 1} {
		DATA(4*i, U32(math.Float32bits(v)))
	}
}

func broadcast(row int, dst VecPhysical) { VBROADCASTSS(gateTable.Offset(4*row), dst) }

// genTanhGrad emits tanhGrad: g[i] *= 1 − y[i]·y[i].
func genTanhGrad(s *isa) {
	name := header(s, "tanhGrad", "func(g, y []float32)", "sets g[i] *= 1 − y[i]·y[i], tanh's derivative through its output.")
	one := s.c(0)
	simple(s, name, 4, []string{"g", "y"}, func() { broadcast(gOne, one) }, func(u int, at at, r []GPPhysical) {
		t, d := s.v(2*u), s.v(2*u+1)
		s.load(at(r[1], 0), t)
		VMULPS(t, t, t)
		VSUBPS(t, one, t)
		s.load(at(r[0], 0), d)
		VMULPS(t, d, d)
		s.store(d, at(r[0], 0))
	})
}

// genSigmoidGrad emits sigmoidGrad: g[i] *= y[i]·(1 − y[i]).
func genSigmoidGrad(s *isa) {
	name := header(s, "sigmoidGrad", "func(g, y []float32)", "sets g[i] *= y[i]·(1 − y[i]), the sigmoid's derivative through its output.")
	one := s.c(0)
	simple(s, name, 4, []string{"g", "y"}, func() { broadcast(gOne, one) }, func(u int, at at, r []GPPhysical) {
		y, t, d := s.v(3*u), s.v(3*u+1), s.v(3*u+2)
		s.load(at(r[1], 0), y)
		VSUBPS(y, one, t)
		VMULPS(t, y, t)
		s.load(at(r[0], 0), d)
		VMULPS(t, d, d)
		s.store(d, at(r[0], 0))
	})
}

// genHardSigmoid emits hardSigmoid: x[i] = min(max(0.2·x[i] + 0.5, 0), 1)
// in place. MAXPS and MINPS return their second source when either is
// NaN, so with x there a NaN stays NaN, as in Go's comparisons.
func genHardSigmoid(s *isa) {
	name := header(s, "hardSigmoid", "func(x []float32)", "sets x[i] = min(max(0.2·x[i] + 0.5, 0), 1), Keras's hard_sigmoid; NaN stays NaN.")
	k, h, one, zero := s.c(0), s.c(1), s.c(2), s.c(3)
	simple(s, name, 4, []string{"x"}, func() {
		broadcast(gPointTwo, k)
		broadcast(gHalf, h)
		broadcast(gOne, one)
		VXORPS(zero, zero, zero)
	}, func(u int, at at, r []GPPhysical) {
		t := s.v(u)
		s.load(at(r[0], 0), t)
		VMULPS(k, t, t)
		VADDPS(h, t, t)
		VMAXPS(t, zero, t) // zero > t ? zero : t
		VMINPS(t, one, t)  // one < t ? one : t
		s.store(t, at(r[0], 0))
	})
}

// genHardSigmoidGrad emits hardSigmoidGrad: g[i] *= 0.2 where 0 < y[i] < 1,
// g[i] = +0 elsewhere (NaN y included).
func genHardSigmoidGrad(s *isa) {
	name := header(s, "hardSigmoidGrad", "func(g, y []float32)",
		"sets g[i] *= 0.2 where 0 < y[i] < 1 and g[i] = 0 elsewhere, hard_sigmoid's derivative through its output.")
	k, one, zero := s.c(0), s.c(1), s.c(2)
	simple(s, name, 2, []string{"g", "y"}, func() {
		broadcast(gPointTwo, k)
		broadcast(gOne, one)
		VXORPS(zero, zero, zero)
	}, func(u int, at at, r []GPPhysical) {
		y, d, m := s.v(3*u), s.v(3*u+1), s.v(3*u+2)
		s.load(at(r[1], 0), y)
		s.load(at(r[0], 0), d)
		if s.avx512 {
			k1, k2 := []OpmaskPhysical{K2, K4}[u], []OpmaskPhysical{K3, K5}[u]
			VCMPPS(U8(0x1e), zero, y, k1) // y > 0, ordered
			VCMPPS(U8(0x11), one, y, k2)  // y < 1, ordered
			KANDW(k1, k2, k1)
			VMULPS_Z(k, d, k1, d)
		} else {
			VCMPPS(U8(0x1e), zero, y, m)
			VCMPPS(U8(0x11), one, y, y)
			VANDPS(m, y, m)
			VMULPS(k, d, d)
			VANDPS(m, d, d)
		}
		s.store(d, at(r[0], 0))
	})
}

// genOneMinus emits oneMinus: dst[i] = 1 − x[i] (the GRU's 1 − z).
func genOneMinus(s *isa) {
	name := header(s, "oneMinus", "func(dst, x []float32)", "sets dst[i] = 1 − x[i].")
	one := s.c(0)
	simple(s, name, 4, []string{"dst", "x"}, func() { broadcast(gOne, one) }, func(u int, at at, r []GPPhysical) {
		t := s.v(u)
		VSUBPS(s.src(at(r[1], 0), t), one, t)
		s.store(t, at(r[0], 0))
	})
}
