// Command fmapeak generates internal/cpu/fmapeak_amd64.s: loops of
// independent FMAs that measure a core's peak float32 FMA rate
// (cpu.FMAPeak, cpu.FMALoop; bench/gemm -peak times them on every core).
//
//	go run -C internal/cpu/asmgen ./fmapeak -out ../fmapeak_amd64.s -stubs ../fmapeak_stub_amd64.go -pkg cpu
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// chains is the number of independent accumulators: more than FMA latency
// × FMA ports, so the loop is bound by throughput.
const chains = 24

func main() {
	zmms := []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	ymms := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	gen("fmaLoopZMM", zmms, chains, 16)
	gen("fmaLoopYMM", ymms, 12, 8)
	Generate()
}

func gen(name string, regs []VecPhysical, n, lanes int) {
	TEXT(name, NOSPLIT, "func(iters int)")
	Doc(fmt.Sprintf("%s runs iters iterations of %d independent VFMADD231PS on %d-lane registers (%d flops each).", name, n, lanes, 2*n*lanes))
	iters := Load(Param("iters"), RCX)
	x, y := regs[len(regs)-2], regs[len(regs)-1]
	VXORPS(x, x, x)
	VXORPS(y, y, y)
	for i := 0; i < n; i++ {
		VXORPS(regs[i], regs[i], regs[i])
	}
	Label(name + "_loop")
	for i := 0; i < n; i++ {
		VFMADD231PS(x, y, regs[i])
	}
	DECQ(iters)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}
