// Command maxpool generates the AVX-512 kernels of max pooling
// (internal/cpu/maxpool_amd64.s and its Go declarations): a running
// maximum over the positions of a window, 16 channels per vector, compared
// by the order key of package cpu's MaxInto (−0 below +0, NaN above +Inf)
// with integer compares, as the portable code does.
//
// Run through go generate in internal/cpu:
//
//	go run -C asmgen ./maxpool -out ../maxpool_amd64.s -stubs ../maxpool_stub_amd64.go -pkg cpu
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	gen(false)
	gen(true)
	genInit()
	Generate()
}

// key sets dst to the order key of the float bits in src: src ^ ((src >> 31) & 0x7fffffff).
func key(src, low31, dst VecVirtual) {
	VPSRAD(U8(31), src, dst)
	VPANDD(low31, dst, dst)
	VPXORD(src, dst, dst)
}

func gen(arg bool) {
	name, sig := "maxIntoAVX512", "func(m *float32, x *float32, blocks int)"
	doc := "maxIntoAVX512 sets m[i] = x[i] where x[i] is greater by the order key, for blocks×16 values."
	if arg {
		name, sig = "argmaxIntoAVX512", "func(m *float32, at *int32, x *float32, base int32, blocks int)"
		doc = "argmaxIntoAVX512 is maxIntoAVX512 that also sets at[i] = base+i where x[i] is greater."
	}
	TEXT(name, NOSPLIT, sig)
	Doc(doc)
	m, x := Load(Param("m"), GP64()), Load(Param("x"), GP64())
	var at Register
	idx, sixteen := ZMM(), ZMM()
	if arg {
		at = Load(Param("at"), GP64())
		b := Load(Param("base"), GP32())
		VPBROADCASTD(b, idx)
		// idx = base + (0, 1, …, 15)
		iota := GLOBL(name+"_iota", RODATA|NOPTR)
		for i := range 16 {
			DATA(4*i, U32(i))
		}
		VPADDD(iota.Offset(0), idx, idx)
		s := GP32()
		MOVL(U32(16), s)
		VPBROADCASTD(s, sixteen)
	}
	n := Load(Param("blocks"), GP64())
	low31 := ZMM()
	l := GP32()
	MOVL(U32(0x7fffffff), l)
	VPBROADCASTD(l, low31)
	TESTQ(n, n)
	JE(LabelRef(name + "_done"))
	Label(name + "_loop")
	xv, mv, kx, km := ZMM(), ZMM(), ZMM(), ZMM()
	VMOVUPS(Mem{Base: x}, xv)
	VMOVUPS(Mem{Base: m}, mv)
	key(xv, low31, kx)
	key(mv, low31, km)
	VPCMPGTD(km, kx, K1)
	VMOVUPS(xv, K1, Mem{Base: m})
	if arg {
		VMOVDQU32(idx, K1, Mem{Base: at})
		VPADDD(sixteen, idx, idx)
		ADDQ(U8(64), at)
	}
	ADDQ(U8(64), x)
	ADDQ(U8(64), m)
	DECQ(n)
	JNE(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func genInit() {
	TEXT("argmaxInitAVX512", NOSPLIT, "func(m *float32, at *int32, x *float32, base int32, blocks int)")
	Doc("argmaxInitAVX512 sets m[i] = x[i] and at[i] = base+i for blocks×16 values: the first position of a window.")
	m, x, at := Load(Param("m"), GP64()), Load(Param("x"), GP64()), Load(Param("at"), GP64())
	idx, sixteen := ZMM(), ZMM()
	b := Load(Param("base"), GP32())
	VPBROADCASTD(b, idx)
	VPADDD(NewDataAddr(Symbol{Name: "argmaxIntoAVX512_iota", Static: true}, 0), idx, idx)
	s := GP32()
	MOVL(U32(16), s)
	VPBROADCASTD(s, sixteen)
	n := Load(Param("blocks"), GP64())
	TESTQ(n, n)
	JE(LabelRef("init_done"))
	Label("init_loop")
	xv := ZMM()
	VMOVUPS(Mem{Base: x}, xv)
	VMOVUPS(xv, Mem{Base: m})
	VMOVDQU32(idx, Mem{Base: at})
	VPADDD(sixteen, idx, idx)
	ADDQ(U8(64), at)
	ADDQ(U8(64), x)
	ADDQ(U8(64), m)
	DECQ(n)
	JNE(LabelRef("init_loop"))
	Label("init_done")
	VZEROUPPER()
	RET()
}
