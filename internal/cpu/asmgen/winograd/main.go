// Command winograd generates the AVX-512 tile transforms of Winograd's
// F(2×2, 3×3) and F(4×4, 3×3) convolutions (internal/cpu/winograd_amd64.s and its Go
// declarations), 16 channels per vector, in the operation order of the
// portable versions in internal/cpu/winograd.go, so that both give the same
// bits.
//
// Run through go generate in internal/cpu:
//
//	go run -C asmgen ./winograd -out ../winograd_amd64.s -stubs ../winograd_stub_amd64.go -pkg cpu
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	genInput()
	genOutput()
	genFilter()
	genOutputAdjoint()
	genFilterAdjoint()
	genInput4()
	genOutput4()
	genOutputAdjoint4()
	genFilter4()
	genFilterAdjoint4()
	Generate()
}

// rowPtrs returns the four row pointers base + i·rs, i < 4 (rs in bytes).
func rowPtrs(base, rs Register) [4]Register {
	var r [4]Register
	for i := range 4 {
		r[i] = GP64()
		if i == 0 {
			MOVQ(base, r[i])
		} else {
			LEAQ(Mem{Base: r[i-1], Index: rs, Scale: 1}, r[i])
		}
	}
	return r
}

// at returns element j of row r with element stride s and s3 = 3s.
func at(r, s, s3 Register, j int) Mem {
	switch j {
	case 0:
		return Mem{Base: r}
	case 1:
		return Mem{Base: r, Index: s, Scale: 1}
	case 2:
		return Mem{Base: r, Index: s, Scale: 2}
	}
	return Mem{Base: r, Index: s3, Scale: 1}
}

func genInput() {
	TEXT("winoInputAVX512", NOSPLIT, "func(src *float32, rs, ps int, v *float32, vs int, blocks int)")
	Doc("winoInputAVX512 computes V = Bᵀ d B for blocks×16 channels of the 4×4 tile whose pixel (i, j)",
		"starts at src + i·rs + j·ps (strides in floats) and writes element e of V at v + e·vs.")
	src, rs, ps := Load(Param("src"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	v, vs, n := Load(Param("v"), GP64()), Load(Param("vs"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	SHLQ(U8(2), vs)
	ps3, vs3 := GP64(), GP64()
	LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
	LEAQ(Mem{Base: vs, Index: vs, Scale: 2}, vs3)
	vs4 := GP64()
	MOVQ(vs, vs4)
	SHLQ(U8(2), vs4)
	r := rowPtrs(src, rs)
	TESTQ(n, n)
	JE(LabelRef("in_done"))
	Label("in_loop")
	var d [4][4]VecVirtual
	for i := range 4 {
		for j := range 4 {
			d[i][j] = ZMM()
			VMOVUPS(at(r[i], ps, ps3, j), d[i][j])
		}
	}
	// t = Bᵀ d: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3.
	var t [4][4]VecVirtual
	for j := range 4 {
		for i := range 4 {
			t[i][j] = ZMM()
		}
		VSUBPS(d[2][j], d[0][j], t[0][j])
		VADDPS(d[2][j], d[1][j], t[1][j])
		VSUBPS(d[1][j], d[2][j], t[2][j])
		VSUBPS(d[3][j], d[1][j], t[3][j])
	}
	o := GP64()
	MOVQ(v, o)
	for i := range 4 {
		// row i of V = t B: t0 − t2, t1 + t2, t2 − t1, t1 − t3.
		x := [4]VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
		VSUBPS(t[i][2], t[i][0], x[0])
		VADDPS(t[i][2], t[i][1], x[1])
		VSUBPS(t[i][1], t[i][2], x[2])
		VSUBPS(t[i][3], t[i][1], x[3])
		for j := range 4 {
			VMOVUPS(x[j], at(o, vs, vs3, j))
		}
		if i < 3 {
			ADDQ(vs4, o)
		}
	}
	for i := range 4 {
		ADDQ(U8(64), r[i])
	}
	ADDQ(U8(64), v)
	DECQ(n)
	JNE(LabelRef("in_loop"))
	Label("in_done")
	VZEROUPPER()
	RET()
}

func genOutput() {
	TEXT("winoOutputAVX512", NOSPLIT, "func(m *float32, ms int, y *float32, rs, ps int, blocks int, bias *float32, flags int)")
	Doc("winoOutputAVX512 computes the 2×2 outputs Aᵀ M A for blocks×16 filters, element e of M at",
		"m + e·ms, output (i, j) at y + i·rs + j·ps (strides in floats). flags: 1 adds bias, 2 applies",
		"ReLU (+0 where the sign bit is set), 4 adds into y instead (bias and ReLU ignored).")
	m, ms := Load(Param("m"), GP64()), Load(Param("ms"), GP64())
	y, rs, ps := Load(Param("y"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	n, bias, flags := Load(Param("blocks"), GP64()), Load(Param("bias"), GP64()), Load(Param("flags"), GP64())
	SHLQ(U8(2), ms)
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	ms3 := GP64()
	LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms3)
	ms4 := GP64()
	MOVQ(ms, ms4)
	SHLQ(U8(2), ms4)
	y1 := GP64()
	LEAQ(Mem{Base: y, Index: rs, Scale: 1}, y1)
	TESTQ(n, n)
	JE(LabelRef("out_done"))
	Label("out_loop")
	o := GP64()
	MOVQ(m, o)
	var x [4][4]VecVirtual
	for i := range 4 {
		for j := range 4 {
			x[i][j] = ZMM()
			VMOVUPS(at(o, ms, ms3, j), x[i][j])
		}
		if i < 3 {
			ADDQ(ms4, o)
		}
	}
	// s = Aᵀ M: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3.
	var s [2][4]VecVirtual
	for j := range 4 {
		s[0][j], s[1][j] = ZMM(), ZMM()
		VADDPS(x[1][j], x[0][j], s[0][j])
		VADDPS(x[2][j], s[0][j], s[0][j])
		VSUBPS(x[2][j], x[1][j], s[1][j])
		VSUBPS(x[3][j], s[1][j], s[1][j])
	}
	// Y = s A: y0 = s0 + s1 + s2, y1 = s1 − s2 − s3.
	var out [2][2]VecVirtual
	for i := range 2 {
		out[i][0], out[i][1] = ZMM(), ZMM()
		VADDPS(s[i][1], s[i][0], out[i][0])
		VADDPS(s[i][2], out[i][0], out[i][0])
		VSUBPS(s[i][2], s[i][1], out[i][1])
		VSUBPS(s[i][3], out[i][1], out[i][1])
	}
	dst := func(i, j int) Mem {
		b := y
		if i == 1 {
			b = y1
		}
		if j == 0 {
			return Mem{Base: b}
		}
		return Mem{Base: b, Index: ps, Scale: 1}
	}
	TESTQ(U32(4), flags)
	JE(LabelRef("out_write"))
	for i := range 2 {
		for j := range 2 {
			VADDPS(dst(i, j), out[i][j], out[i][j])
			VMOVUPS(out[i][j], dst(i, j))
		}
	}
	JMP(LabelRef("out_next"))
	Label("out_write")
	TESTQ(U32(1), flags)
	JE(LabelRef("out_nobias"))
	bv := ZMM()
	VMOVUPS(Mem{Base: bias}, bv)
	for i := range 2 {
		for j := range 2 {
			VADDPS(bv, out[i][j], out[i][j])
		}
	}
	ADDQ(U8(64), bias)
	Label("out_nobias")
	TESTQ(U32(2), flags)
	JE(LabelRef("out_store"))
	for i := range 2 {
		for j := range 2 {
			sign := ZMM()
			VPSRAD(U8(31), out[i][j], sign)
			VPANDND(out[i][j], sign, out[i][j])
		}
	}
	Label("out_store")
	for i := range 2 {
		for j := range 2 {
			VMOVUPS(out[i][j], dst(i, j))
		}
	}
	Label("out_next")
	ADDQ(U8(64), m)
	ADDQ(U8(64), y)
	ADDQ(U8(64), y1)
	DECQ(n)
	JNE(LabelRef("out_loop"))
	Label("out_done")
	VZEROUPPER()
	RET()
}

func genFilter() {
	TEXT("winoFilterAVX512", NOSPLIT, "func(w *float32, ws int, u *float32, us int, blocks int)")
	Doc("winoFilterAVX512 computes U = G g Gᵀ for blocks×16 kernels, tap (a, b) of g at w + (3a+b)·ws",
		"and element e of U written at u + e·us (strides in floats).")
	w, ws := Load(Param("w"), GP64()), Load(Param("ws"), GP64())
	u, us, n := Load(Param("u"), GP64()), Load(Param("us"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), ws)
	SHLQ(U8(2), us)
	ws3, us3 := GP64(), GP64()
	LEAQ(Mem{Base: ws, Index: ws, Scale: 2}, ws3)
	LEAQ(Mem{Base: us, Index: us, Scale: 2}, us3)
	us4 := GP64()
	MOVQ(us, us4)
	SHLQ(U8(2), us4)
	w4, w8 := GP64(), GP64()
	LEAQ(Mem{Base: w, Index: ws, Scale: 4}, w4)
	LEAQ(Mem{Base: w4, Index: ws, Scale: 4}, w8)
	half := ZMM()
	hp := GP32()
	MOVL(U32(0x3f000000), hp) // 0.5
	VPBROADCASTD(hp, half)
	TESTQ(n, n)
	JE(LabelRef("filt_done"))
	Label("filt_loop")
	tap := func(k int) Mem {
		switch k {
		case 8:
			return Mem{Base: w8}
		}
		b := w
		if k >= 4 {
			b = w4
		}
		return at(b, ws, ws3, k%4)
	}
	var g [3][3]VecVirtual
	for a := range 3 {
		for b := range 3 {
			g[a][b] = ZMM()
			VMOVUPS(tap(3*a+b), g[a][b])
		}
	}
	// t = G g: g0, (g0 + g1 + g2)·½, (g0 − g1 + g2)·½, g2, column by column.
	var t [4][3]VecVirtual
	for b := range 3 {
		t[0][b], t[3][b] = g[0][b], g[2][b]
		t[1][b], t[2][b] = ZMM(), ZMM()
		VADDPS(g[1][b], g[0][b], t[1][b])
		VADDPS(g[2][b], t[1][b], t[1][b])
		VMULPS(half, t[1][b], t[1][b])
		VSUBPS(g[1][b], g[0][b], t[2][b])
		VADDPS(g[2][b], t[2][b], t[2][b])
		VMULPS(half, t[2][b], t[2][b])
	}
	o := GP64()
	MOVQ(u, o)
	for i := range 4 {
		x1, x2 := ZMM(), ZMM()
		VADDPS(t[i][1], t[i][0], x1)
		VADDPS(t[i][2], x1, x1)
		VMULPS(half, x1, x1)
		VSUBPS(t[i][1], t[i][0], x2)
		VADDPS(t[i][2], x2, x2)
		VMULPS(half, x2, x2)
		VMOVUPS(t[i][0], at(o, us, us3, 0))
		VMOVUPS(x1, at(o, us, us3, 1))
		VMOVUPS(x2, at(o, us, us3, 2))
		VMOVUPS(t[i][2], at(o, us, us3, 3))
		if i < 3 {
			ADDQ(us4, o)
		}
	}
	ADDQ(U8(64), w)
	ADDQ(U8(64), w4)
	ADDQ(U8(64), w8)
	ADDQ(U8(64), u)
	DECQ(n)
	JNE(LabelRef("filt_loop"))
	Label("filt_done")
	VZEROUPPER()
	RET()
}

// negate sets dst = −src by flipping the sign bit (exact, as Go's −x).
func negate(sign, src, dst VecVirtual) { VXORPS(sign, src, dst) }

func genOutputAdjoint() {
	TEXT("winoOutputAdjointAVX512", NOSPLIT, "func(y *float32, rs, ps int, z *float32, zs int, blocks int)")
	Doc("winoOutputAdjointAVX512 computes Z = A dY Aᵀ for blocks×16 filters of the 2×2 tile dY whose",
		"element (i, j) is at y + i·rs + j·ps, and writes element e of Z at z + e·zs (strides in floats).")
	y, rs, ps := Load(Param("y"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	z, zs, n := Load(Param("z"), GP64()), Load(Param("zs"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	SHLQ(U8(2), zs)
	zs3, zs4 := GP64(), GP64()
	LEAQ(Mem{Base: zs, Index: zs, Scale: 2}, zs3)
	MOVQ(zs, zs4)
	SHLQ(U8(2), zs4)
	y1 := GP64()
	LEAQ(Mem{Base: y, Index: rs, Scale: 1}, y1)
	sign := ZMM()
	sp := GP32()
	MOVL(U32(0x80000000), sp)
	VPBROADCASTD(sp, sign)
	TESTQ(n, n)
	JE(LabelRef("oadj_done"))
	Label("oadj_loop")
	var d [2][2]VecVirtual
	for i := range 2 {
		b := y
		if i == 1 {
			b = y1
		}
		d[i][0], d[i][1] = ZMM(), ZMM()
		VMOVUPS(Mem{Base: b}, d[i][0])
		VMOVUPS(Mem{Base: b, Index: ps, Scale: 1}, d[i][1])
	}
	// r = A dY: d0, d0 + d1, d0 − d1, −d1, column by column.
	var r [4][2]VecVirtual
	for j := range 2 {
		r[0][j] = d[0][j]
		r[1][j], r[2][j], r[3][j] = ZMM(), ZMM(), ZMM()
		VADDPS(d[1][j], d[0][j], r[1][j])
		VSUBPS(d[1][j], d[0][j], r[2][j])
		negate(sign, d[1][j], r[3][j])
	}
	o := GP64()
	MOVQ(z, o)
	for i := range 4 {
		x1, x2, x3 := ZMM(), ZMM(), ZMM()
		VADDPS(r[i][1], r[i][0], x1)
		VSUBPS(r[i][1], r[i][0], x2)
		negate(sign, r[i][1], x3)
		VMOVUPS(r[i][0], at(o, zs, zs3, 0))
		VMOVUPS(x1, at(o, zs, zs3, 1))
		VMOVUPS(x2, at(o, zs, zs3, 2))
		VMOVUPS(x3, at(o, zs, zs3, 3))
		if i < 3 {
			ADDQ(zs4, o)
		}
	}
	ADDQ(U8(64), y)
	ADDQ(U8(64), y1)
	ADDQ(U8(64), z)
	DECQ(n)
	JNE(LabelRef("oadj_loop"))
	Label("oadj_done")
	VZEROUPPER()
	RET()
}

func genFilterAdjoint() {
	TEXT("winoFilterAdjointAVX512", NOSPLIT, "func(u *float32, us int, w *float32, ws int, blocks int)")
	Doc("winoFilterAdjointAVX512 adds Gᵀ dU G, for blocks×16 kernels whose element e is at u + e·us,",
		"to the 3×3 kernels whose tap (a, b) is at w + (3a+b)·ws (strides in floats).")
	u, us := Load(Param("u"), GP64()), Load(Param("us"), GP64())
	w, ws, n := Load(Param("w"), GP64()), Load(Param("ws"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), ws)
	SHLQ(U8(2), us)
	ws3, us3 := GP64(), GP64()
	LEAQ(Mem{Base: ws, Index: ws, Scale: 2}, ws3)
	LEAQ(Mem{Base: us, Index: us, Scale: 2}, us3)
	us4 := GP64()
	MOVQ(us, us4)
	SHLQ(U8(2), us4)
	w4, w8 := GP64(), GP64()
	LEAQ(Mem{Base: w, Index: ws, Scale: 4}, w4)
	LEAQ(Mem{Base: w4, Index: ws, Scale: 4}, w8)
	half := ZMM()
	hp := GP32()
	MOVL(U32(0x3f000000), hp) // 0.5
	VPBROADCASTD(hp, half)
	TESTQ(n, n)
	JE(LabelRef("fadj_done"))
	Label("fadj_loop")
	o := GP64()
	MOVQ(u, o)
	var x [4][4]VecVirtual
	for i := range 4 {
		for j := range 4 {
			x[i][j] = ZMM()
			VMOVUPS(at(o, us, us3, j), x[i][j])
		}
		if i < 3 {
			ADDQ(us4, o)
		}
	}
	// r = Gᵀ dU: u0 + (u1 + u2)·½, (u1 − u2)·½, (u1 + u2)·½ + u3, column by column.
	var r [3][4]VecVirtual
	for j := range 4 {
		p, q := ZMM(), ZMM()
		VADDPS(x[2][j], x[1][j], p)
		VMULPS(half, p, p)
		VSUBPS(x[2][j], x[1][j], q)
		VMULPS(half, q, q)
		r[0][j], r[1][j], r[2][j] = ZMM(), q, ZMM()
		VADDPS(p, x[0][j], r[0][j])
		VADDPS(x[3][j], p, r[2][j])
	}
	tap := func(k int) Mem {
		if k == 8 {
			return Mem{Base: w8}
		}
		b := w
		if k >= 4 {
			b = w4
		}
		return at(b, ws, ws3, k%4)
	}
	for a := range 3 {
		p, q := ZMM(), ZMM()
		VADDPS(r[a][2], r[a][1], p)
		VMULPS(half, p, p)
		VSUBPS(r[a][2], r[a][1], q)
		VMULPS(half, q, q)
		g0, g2 := ZMM(), ZMM()
		VADDPS(p, r[a][0], g0)
		VADDPS(r[a][3], p, g2)
		for b, v := range []VecVirtual{g0, q, g2} {
			VADDPS(tap(3*a+b), v, v)
			VMOVUPS(v, tap(3*a+b))
		}
	}
	ADDQ(U8(64), w)
	ADDQ(U8(64), w4)
	ADDQ(U8(64), w8)
	ADDQ(U8(64), u)
	DECQ(n)
	JNE(LabelRef("fadj_loop"))
	Label("fadj_done")
	VZEROUPPER()
	RET()
}
