//go:build !noasm

package cpu

//go:generate go run -C asmgen ./winograd -out ../winograd_amd64.s -stubs ../winograd_stub_amd64.go -pkg cpu

import xcpu "golang.org/x/sys/cpu"

// winoAsm selects the AVX-512 tile transforms; tests switch it off to
// check them against the portable ones.
var winoAsm = xcpu.X86.HasAVX512F

func transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if xcpu.X86.HasAVX {
		transposeInto(dst, ldd, src, lds, rows, cols)
		return
	}
	transposeGeneric(dst, ldd, src, lds, rows, cols)
}
