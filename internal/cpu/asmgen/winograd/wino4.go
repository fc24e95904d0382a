package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The F(4×4, 3×3) transforms, in the operation order of winograd4.go's
// portable versions (wino4In, wino4Out, wino4Adj): their constants are
// powers of two, so the FMAs here round as the portable multiply-adds do.

// elem returns base + k·s for k < 6 (s in bytes), through a temporary for
// k = 3 and 5.
func elem(base, s Register, k int) Mem {
	switch k {
	case 0:
		return Mem{Base: base}
	case 1:
		return Mem{Base: base, Index: s, Scale: 1}
	case 2:
		return Mem{Base: base, Index: s, Scale: 2}
	case 4:
		return Mem{Base: base, Index: s, Scale: 4}
	}
	t := GP64()
	LEAQ(Mem{Base: base, Index: s, Scale: uint8(k - 1)}, t)
	return Mem{Base: t, Index: s, Scale: 1}
}

// broadcast returns a vector of the float32 with the given bits.
func broadcast(bits uint32) VecVirtual {
	v, g := ZMM(), GP32()
	MOVL(U32(bits), g)
	VPBROADCASTD(g, v)
	return v
}

// in1D emits wino4In: Bᵀ d of six vectors.
func in1D(d [6]VecVirtual, two, four VecVirtual) [6]VecVirtual {
	p, o0 := ZMM(), ZMM()
	VSUBPS(d[2], d[4], p)    // p = d4 − d2
	VSUBPS(d[2], d[0], o0)   // d0 − d2
	VFMADD213PS(p, four, o0) // o0 = 4(d0 − d2) + p
	a, o1 := ZMM(), ZMM()
	VADDPS(d[4], d[3], a)     // d3 + d4
	VADDPS(d[2], d[1], o1)    // d1 + d2
	VFNMADD213PS(a, four, o1) // o1 = (d3 + d4) − 4(d1 + d2)
	b, o2 := ZMM(), ZMM()
	VSUBPS(d[3], d[4], b)    // d4 − d3
	VSUBPS(d[2], d[1], o2)   // d1 − d2
	VFMADD213PS(b, four, o2) // o2 = (d4 − d3) + 4(d1 − d2)
	s, o3 := ZMM(), ZMM()
	VSUBPS(d[1], d[3], s) // s = d3 − d1
	VMOVAPS(s, o3)
	VFMADD213PS(p, two, o3) // o3 = p + 2s
	VFNMADD213PS(p, two, s) // o4 = p − 2s
	w, o5 := ZMM(), ZMM()
	VSUBPS(d[3], d[5], w)    // d5 − d3
	VSUBPS(d[3], d[1], o5)   // d1 − d3
	VFMADD213PS(w, four, o5) // o5 = 4(d1 − d3) + (d5 − d3)
	return [6]VecVirtual{o0, o1, o2, o3, s, o5}
}

// out1D emits wino4Out: Aᵀ m of six vectors.
func out1D(m [6]VecVirtual, two, four, eight VecVirtual) [4]VecVirtual {
	a, b, c, d := ZMM(), ZMM(), ZMM(), ZMM()
	VADDPS(m[2], m[1], a)
	VSUBPS(m[2], m[1], b)
	VADDPS(m[4], m[3], c)
	VSUBPS(m[4], m[3], d)
	y0, y1 := ZMM(), ZMM()
	VADDPS(a, m[0], y0)
	VADDPS(c, y0, y0) // y0 = (m0 + a) + c
	VMOVAPS(d, y1)
	VFMADD213PS(b, two, y1)  // y1 = b + 2d
	VFMADD213PS(a, four, c)  // y2 = a + 4c
	VFMADD213PS(b, eight, d) // b + 8d
	VADDPS(m[5], d, d)       // y3 = (b + 8d) + m5
	return [4]VecVirtual{y0, y1, c, d}
}

// adj1D emits wino4Adj: A d of four vectors.
func adj1D(d [4]VecVirtual, four VecVirtual) [6]VecVirtual {
	p, q := ZMM(), ZMM()
	VADDPS(d[2], d[0], p)
	VADDPS(d[3], d[1], q)
	z1, z2 := ZMM(), ZMM()
	VADDPS(q, p, z1)
	VSUBPS(q, p, z2)
	r, s := ZMM(), ZMM()
	VMOVAPS(d[2], r)
	VFMADD213PS(d[0], four, r) // r = d0 + 4d2
	VMOVAPS(d[3], s)
	VFMADD213PS(d[1], four, s) // d1 + 4d3
	VADDPS(s, s, s)            // s = 2(d1 + 4d3)
	z3, z4 := ZMM(), ZMM()
	VADDPS(s, r, z3)
	VSUBPS(s, r, z4)
	return [6]VecVirtual{d[0], z1, z2, z3, z4, d[3]}
}

func genInput4() {
	TEXT("wino4InputAVX512", NOSPLIT, "func(src *float32, rs, ps int, v *float32, vs int, blocks int)")
	Doc("wino4InputAVX512 computes V = Bᵀ d B of F(4×4, 3×3) for blocks×16 channels of the 6×6 tile",
		"whose pixel (i, j) starts at src + i·rs + j·ps (strides in floats) and writes element e of V at",
		"v + e·vs, rows first, then columns in place.")
	src, rs, ps := Load(Param("src"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	v, vs, n := Load(Param("v"), GP64()), Load(Param("vs"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	SHLQ(U8(2), vs)
	vs6 := GP64()
	LEAQ(Mem{Base: vs, Index: vs, Scale: 2}, vs6)
	SHLQ(U8(1), vs6)
	two, four := broadcast(0x40000000), broadcast(0x40800000)
	TESTQ(n, n)
	JE(LabelRef("in4_done"))
	Label("in4_loop")
	p, q := GP64(), GP64()
	MOVQ(src, p)
	MOVQ(v, q)
	for i := range 6 {
		var d [6]VecVirtual
		for j := range 6 {
			d[j] = ZMM()
			VMOVUPS(elem(p, ps, j), d[j])
		}
		o := in1D(d, two, four)
		for j := range 6 {
			VMOVUPS(o[j], elem(q, vs, j))
		}
		if i < 5 {
			ADDQ(rs, p)
			ADDQ(vs6, q)
		}
	}
	MOVQ(v, q)
	for j := range 6 {
		var d [6]VecVirtual
		for i := range 6 {
			d[i] = ZMM()
			VMOVUPS(elem(q, vs6, i), d[i])
		}
		o := in1D(d, two, four)
		for i := range 6 {
			VMOVUPS(o[i], elem(q, vs6, i))
		}
		if j < 5 {
			ADDQ(vs, q)
		}
	}
	ADDQ(U8(64), src)
	ADDQ(U8(64), v)
	DECQ(n)
	JNE(LabelRef("in4_loop"))
	Label("in4_done")
	VZEROUPPER()
	RET()
}

func genOutput4() {
	TEXT("wino4OutputAVX512", NOSPLIT, "func(m *float32, ms int, y *float32, rs, ps int, blocks int, bias *float32, flags int)")
	Doc("wino4OutputAVX512 computes the 4×4 outputs Aᵀ M A of F(4×4, 3×3) for blocks×16 filters,",
		"element e of M at m + e·ms (overwritten: rows first, in place), output (i, j) at",
		"y + i·rs + j·ps (strides in floats). flags: 1 adds bias, 2 applies ReLU (+0 where the sign",
		"bit is set), 4 adds into y instead (bias and ReLU ignored).")
	m, ms := Load(Param("m"), GP64()), Load(Param("ms"), GP64())
	y, rs, ps := Load(Param("y"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	n, bias, flags := Load(Param("blocks"), GP64()), Load(Param("bias"), GP64()), Load(Param("flags"), GP64())
	SHLQ(U8(2), ms)
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	ms6 := GP64()
	LEAQ(Mem{Base: ms, Index: ms, Scale: 2}, ms6)
	SHLQ(U8(1), ms6)
	two, four, eight := broadcast(0x40000000), broadcast(0x40800000), broadcast(0x41000000)
	TESTQ(n, n)
	JE(LabelRef("out4_done"))
	Label("out4_loop")
	q := GP64()
	MOVQ(m, q)
	for i := range 6 {
		var x [6]VecVirtual
		for j := range 6 {
			x[j] = ZMM()
			VMOVUPS(elem(q, ms, j), x[j])
		}
		o := out1D(x, two, four, eight)
		for j := range 4 {
			VMOVUPS(o[j], elem(q, ms, j))
		}
		if i < 5 {
			ADDQ(ms6, q)
		}
	}
	bv := ZMM()
	TESTQ(U32(1), flags)
	JE(LabelRef("out4_nobias"))
	VMOVUPS(Mem{Base: bias}, bv)
	ADDQ(U8(64), bias)
	Label("out4_nobias")
	MOVQ(m, q)
	yk := GP64()
	MOVQ(y, yk)
	for k := range 4 {
		var x [6]VecVirtual
		for i := range 6 {
			x[i] = ZMM()
			VMOVUPS(elem(q, ms6, i), x[i])
		}
		out := out1D(x, two, four, eight)
		dst := func(i int) Mem { return elem(yk, rs, i) }
		lw, lnb, ls, ln := fmt.Sprintf("out4_w%d", k), fmt.Sprintf("out4_nb%d", k), fmt.Sprintf("out4_s%d", k), fmt.Sprintf("out4_n%d", k)
		TESTQ(U32(4), flags)
		JE(LabelRef(lw))
		for i := range 4 {
			VADDPS(dst(i), out[i], out[i])
			VMOVUPS(out[i], dst(i))
		}
		JMP(LabelRef(ln))
		Label(lw)
		TESTQ(U32(1), flags)
		JE(LabelRef(lnb))
		for i := range 4 {
			VADDPS(bv, out[i], out[i])
		}
		Label(lnb)
		TESTQ(U32(2), flags)
		JE(LabelRef(ls))
		for i := range 4 {
			sign := ZMM()
			VPSRAD(U8(31), out[i], sign)
			VPANDND(out[i], sign, out[i])
		}
		Label(ls)
		for i := range 4 {
			VMOVUPS(out[i], dst(i))
		}
		Label(ln)
		if k < 3 {
			ADDQ(ms, q)
			ADDQ(ps, yk)
		}
	}
	ADDQ(U8(64), m)
	ADDQ(U8(64), y)
	DECQ(n)
	JNE(LabelRef("out4_loop"))
	Label("out4_done")
	VZEROUPPER()
	RET()
}

func genOutputAdjoint4() {
	TEXT("wino4OutputAdjointAVX512", NOSPLIT, "func(y *float32, rs, ps int, z *float32, zs int, blocks int)")
	Doc("wino4OutputAdjointAVX512 computes Z = A dY Aᵀ of F(4×4, 3×3) for blocks×16 filters of the",
		"4×4 tile dY whose element (i, j) is at y + i·rs + j·ps, and writes element e of Z at z + e·zs",
		"(strides in floats), rows first, then columns in place.")
	y, rs, ps := Load(Param("y"), GP64()), Load(Param("rs"), GP64()), Load(Param("ps"), GP64())
	z, zs, n := Load(Param("z"), GP64()), Load(Param("zs"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), ps)
	SHLQ(U8(2), zs)
	zs6 := GP64()
	LEAQ(Mem{Base: zs, Index: zs, Scale: 2}, zs6)
	SHLQ(U8(1), zs6)
	four := broadcast(0x40800000)
	TESTQ(n, n)
	JE(LabelRef("adj4_done"))
	Label("adj4_loop")
	p, q := GP64(), GP64()
	MOVQ(y, p)
	MOVQ(z, q)
	for i := range 4 {
		var d [4]VecVirtual
		for j := range 4 {
			d[j] = ZMM()
			VMOVUPS(elem(p, ps, j), d[j])
		}
		o := adj1D(d, four)
		for j := range 6 {
			VMOVUPS(o[j], elem(q, zs, j))
		}
		if i < 3 {
			ADDQ(rs, p)
			ADDQ(zs6, q)
		}
	}
	MOVQ(z, q)
	for k := range 6 {
		var d [4]VecVirtual
		for i := range 4 {
			d[i] = ZMM()
			VMOVUPS(elem(q, zs6, i), d[i])
		}
		o := adj1D(d, four)
		for i := range 6 {
			VMOVUPS(o[i], elem(q, zs6, i))
		}
		if k < 5 {
			ADDQ(zs, q)
		}
	}
	ADDQ(U8(64), y)
	ADDQ(U8(64), z)
	DECQ(n)
	JNE(LabelRef("adj4_loop"))
	Label("adj4_done")
	VZEROUPPER()
	RET()
}

// The kernel transforms' constants: ¼, −⅙, ⅙, 1⁄12, 1⁄24 as float32.
type gConsts struct{ q, m6, c6, c12, c24 VecVirtual }

func gConstants() gConsts {
	return gConsts{
		q:   broadcast(0x3e800000),
		m6:  broadcast(0xbe2aaaab),
		c6:  broadcast(0x3e2aaaab),
		c12: broadcast(0x3daaaaab),
		c24: broadcast(0x3d2aaaab),
	}
}

// g1D emits wino4G1: G g of three vectors, each product rounded.
func g1D(g [3]VecVirtual, k gConsts) [6]VecVirtual {
	u0, s, u1, u2 := ZMM(), ZMM(), ZMM(), ZMM()
	VMULPS(k.q, g[0], u0)
	VADDPS(g[2], g[0], s)
	VADDPS(g[1], s, u1)
	VMULPS(k.m6, u1, u1)
	VSUBPS(g[1], s, u2)
	VMULPS(k.m6, u2, u2)
	t, t2, h := ZMM(), ZMM(), ZMM()
	VMULPS(k.c24, g[0], t)
	VMULPS(k.c6, g[2], t2)
	VADDPS(t2, t, t)
	VMULPS(k.c12, g[1], h)
	u3, u4 := ZMM(), ZMM()
	VADDPS(h, t, u3)
	VSUBPS(h, t, u4)
	return [6]VecVirtual{u0, u1, u2, u3, u4, g[2]}
}

// gt1D emits wino4GT1: Gᵀ x of six vectors.
func gt1D(x [6]VecVirtual, k gConsts) [3]VecVirtual {
	p, q, r, s := ZMM(), ZMM(), ZMM(), ZMM()
	VADDPS(x[2], x[1], p)
	VSUBPS(x[2], x[1], q)
	VADDPS(x[4], x[3], r)
	VSUBPS(x[4], x[3], s)
	pm, o0, t := ZMM(), ZMM(), ZMM()
	VMULPS(k.m6, p, pm)
	VMULPS(k.q, x[0], o0)
	VADDPS(pm, o0, o0)
	VMULPS(k.c24, r, t)
	VADDPS(t, o0, o0)
	o1, t1 := ZMM(), ZMM()
	VMULPS(k.m6, q, o1)
	VMULPS(k.c12, s, t1)
	VADDPS(t1, o1, o1)
	o2 := ZMM()
	VMULPS(k.c6, r, o2)
	VADDPS(o2, pm, o2)
	VADDPS(x[5], o2, o2)
	return [3]VecVirtual{o0, o1, o2}
}

func genFilter4() {
	TEXT("wino4FilterAVX512", NOSPLIT, "func(w *float32, ws int, u *float32, us int, blocks int)")
	Doc("wino4FilterAVX512 computes U = G g Gᵀ of F(4×4, 3×3) for blocks×16 kernels, tap (a, b) of g",
		"at w + (3a+b)·ws, element e of U written at u + e·us (strides in floats): rows, then columns",
		"in place.")
	w, ws := Load(Param("w"), GP64()), Load(Param("ws"), GP64())
	u, us, n := Load(Param("u"), GP64()), Load(Param("us"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), ws)
	SHLQ(U8(2), us)
	us6, ws3 := GP64(), GP64()
	LEAQ(Mem{Base: us, Index: us, Scale: 2}, us6)
	SHLQ(U8(1), us6)
	LEAQ(Mem{Base: ws, Index: ws, Scale: 2}, ws3)
	k := gConstants()
	TESTQ(n, n)
	JE(LabelRef("filt4_done"))
	Label("filt4_loop")
	p, q := GP64(), GP64()
	MOVQ(w, p)
	MOVQ(u, q)
	for a := range 3 {
		var g [3]VecVirtual
		for b := range 3 {
			g[b] = ZMM()
			VMOVUPS(elem(p, ws, b), g[b])
		}
		o := g1D(g, k)
		for j := range 6 {
			VMOVUPS(o[j], elem(q, us, j))
		}
		if a < 2 {
			ADDQ(ws3, p)
			ADDQ(us6, q)
		}
	}
	MOVQ(u, q)
	for j := range 6 {
		var g [3]VecVirtual
		for a := range 3 {
			g[a] = ZMM()
			VMOVUPS(elem(q, us6, a), g[a])
		}
		o := g1D(g, k)
		for i := range 6 {
			VMOVUPS(o[i], elem(q, us6, i))
		}
		if j < 5 {
			ADDQ(us, q)
		}
	}
	ADDQ(U8(64), w)
	ADDQ(U8(64), u)
	DECQ(n)
	JNE(LabelRef("filt4_loop"))
	Label("filt4_done")
	VZEROUPPER()
	RET()
}

func genFilterAdjoint4() {
	TEXT("wino4FilterAdjointAVX512", NOSPLIT, "func(u *float32, us int, w *float32, ws int, blocks int)")
	Doc("wino4FilterAdjointAVX512 adds Gᵀ dU G of F(4×4, 3×3), for blocks×16 kernels whose element e is",
		"at u + e·us (overwritten: rows first, in place), to the 3×3 kernels whose tap (a, b) is at",
		"w + (3a+b)·ws (strides in floats).")
	u, us := Load(Param("u"), GP64()), Load(Param("us"), GP64())
	w, ws, n := Load(Param("w"), GP64()), Load(Param("ws"), GP64()), Load(Param("blocks"), GP64())
	SHLQ(U8(2), ws)
	SHLQ(U8(2), us)
	us6, ws3 := GP64(), GP64()
	LEAQ(Mem{Base: us, Index: us, Scale: 2}, us6)
	SHLQ(U8(1), us6)
	LEAQ(Mem{Base: ws, Index: ws, Scale: 2}, ws3)
	k := gConstants()
	TESTQ(n, n)
	JE(LabelRef("fadj4_done"))
	Label("fadj4_loop")
	q := GP64()
	MOVQ(u, q)
	for i := range 6 {
		var x [6]VecVirtual
		for j := range 6 {
			x[j] = ZMM()
			VMOVUPS(elem(q, us, j), x[j])
		}
		o := gt1D(x, k)
		for b := range 3 {
			VMOVUPS(o[b], elem(q, us, b))
		}
		if i < 5 {
			ADDQ(us6, q)
		}
	}
	MOVQ(u, q)
	p := GP64()
	MOVQ(w, p)
	for b := range 3 {
		var x [6]VecVirtual
		for i := range 6 {
			x[i] = ZMM()
			VMOVUPS(elem(q, us6, i), x[i])
		}
		o := gt1D(x, k)
		// Taps (a, b), a < 3: w + b·ws + a·3ws.
		for a := range 3 {
			dst := elem(p, ws3, a)
			VADDPS(dst, o[a], o[a])
			VMOVUPS(o[a], elem(p, ws3, a))
		}
		if b < 2 {
			ADDQ(us, q)
			ADDQ(ws, p)
		}
	}
	ADDQ(U8(64), w)
	ADDQ(U8(64), u)
	DECQ(n)
	JNE(LabelRef("fadj4_loop"))
	Label("fadj4_done")
	VZEROUPPER()
	RET()
}
