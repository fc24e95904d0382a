//go:build !noasm

package cpu

//go:generate go run -C asmgen ./maxpool -out ../maxpool_amd64.s -stubs ../maxpool_stub_amd64.go -pkg cpu

import xcpu "golang.org/x/sys/cpu"

// maxAsm selects the AVX-512 max-pooling kernels; tests switch it off.
var maxAsm = xcpu.X86.HasAVX512F

//go:generate go run -C asmgen ./relugrad -out ../relugrad_amd64.s -stubs ../relugrad_stub_amd64.go -pkg cpu
