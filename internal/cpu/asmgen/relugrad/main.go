// Command relugrad generates the AVX-512 ReLU gradient of package cpu
// (internal/cpu/relugrad_amd64.s and its Go declarations): dz = dy where
// the output y is positive (as an int32, its bits > 0), else +0; and its
// sparse form, the nonzero entries of that dz with their positions.
//
// Run through go generate in internal/cpu:
//
//	go run -C asmgen ./relugrad -out ../relugrad_amd64.s -stubs ../relugrad_stub_amd64.go -pkg cpu
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!noasm")
	TEXT("reluGradAVX512", NOSPLIT, "func(dz, dy, y *float32, blocks int)")
	Doc("reluGradAVX512 sets dz[i] = dy[i] where y[i]'s bits as an int32 are positive, else +0, for blocks×16 values.")
	dz, dy, y := Load(Param("dz"), GP64()), Load(Param("dy"), GP64()), Load(Param("y"), GP64())
	n := Load(Param("blocks"), GP64())
	zero := ZMM()
	VPXORD(zero, zero, zero)
	TESTQ(n, n)
	JE(LabelRef("done"))
	Label("loop")
	yv, dv := ZMM(), ZMM()
	VMOVDQU32(Mem{Base: y}, yv)
	VPCMPGTD(zero, yv, K1)
	VMOVDQU32_Z(Mem{Base: dy}, K1, dv)
	VMOVDQU32(dv, Mem{Base: dz})
	ADDQ(U8(64), y)
	ADDQ(U8(64), dy)
	ADDQ(U8(64), dz)
	DECQ(n)
	JNE(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
	reluGradSparse()
	Generate()
}

// reluGradSparse emits reluGradSparseAVX512: the entries of dz = dy·relu'(y)
// whose dy is not ±0 and whose y is positive, compressed into idx (their
// positions, from base) and val (their dy), up to cap of them. A block of 16
// whose dy is all ±0 costs one test; y is read only where dy is not.
func reluGradSparse() {
	TEXT("reluGradSparseAVX512", NOSPLIT, "func(dy, y *float32, base int32, blocks int, idx *int32, val *float32, cap int) int")
	Doc("reluGradSparseAVX512 writes the positions (base+i) and values dy[i] of the i < blocks×16 where dy[i] is not ±0 and",
		"y[i]'s bits as an int32 are positive into idx and val, in order, and returns their number, or −1 (having written",
		"at most cap) when there are more than cap.")
	dy, y := Load(Param("dy"), GP64()), Load(Param("y"), GP64())
	n := Load(Param("blocks"), GP64())
	idx, val := Load(Param("idx"), GP64()), Load(Param("val"), GP64())
	capacity := Load(Param("cap"), GP64())
	b := Load(Param("base"), GP32())
	pos, sixteen, low31, zero := ZMM(), ZMM(), ZMM(), ZMM()
	VPBROADCASTD(b, pos)
	iota := GLOBL("reluGradSparse_iota", RODATA|NOPTR)
	for i := range 16 {
		DATA(4*i, U32(i))
	}
	VPADDD(iota.Offset(0), pos, pos) // pos = base + (0, 1, …, 15)
	s := GP32()
	MOVL(U32(16), s)
	VPBROADCASTD(s, sixteen)
	MOVL(U32(0x7fffffff), s)
	VPBROADCASTD(s, low31)
	VPXORD(zero, zero, zero)
	count := GP64()
	XORQ(count, count)
	TESTQ(n, n)
	JE(LabelRef("sparse_done"))
	Label("sparse_loop")
	VPTESTMD(Mem{Base: dy}, low31, K1) // K1: dy is not ±0
	KORTESTW(K1, K1)
	JNZ(LabelRef("sparse_found"))
	Label("sparse_next")
	VPADDD(sixteen, pos, pos)
	ADDQ(U8(64), dy)
	ADDQ(U8(64), y)
	DECQ(n)
	JNE(LabelRef("sparse_loop"))
	Label("sparse_done")
	Store(count, ReturnIndex(0))
	VZEROUPPER()
	RET()

	Label("sparse_found")
	yv, dv := ZMM(), ZMM()
	VMOVDQU32(Mem{Base: y}, yv)
	VPCMPGTD(zero, yv, K1, K2) // K2: also y > 0
	KORTESTW(K2, K2)
	JZ(LabelRef("sparse_next"))
	end := GP64()
	KMOVW(K2, end.As32())
	POPCNTL(end.As32(), end.As32()) // zero-extends into end
	ADDQ(count, end)
	CMPQ(end, capacity)
	JA(LabelRef("sparse_full"))
	VMOVDQU32(Mem{Base: dy}, dv)
	VCOMPRESSPS(dv, K2, Mem{Base: val, Index: count, Scale: 4})
	VPCOMPRESSD(pos, K2, Mem{Base: idx, Index: count, Scale: 4})
	MOVQ(end, count)
	JMP(LabelRef("sparse_next"))

	Label("sparse_full")
	MOVQ(I64(-1), count)
	Store(count, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
