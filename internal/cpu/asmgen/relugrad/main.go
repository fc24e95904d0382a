// Command relugrad generates the AVX-512 ReLU gradient of package cpu
// (internal/cpu/relugrad_amd64.s and its Go declarations): dz = dy where
// the output y is positive (as an int32, its bits > 0), else +0.
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
	Generate()
}
