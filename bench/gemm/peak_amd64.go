package main

//go:generate go run -C ../../internal/cpu/asmgen ./fmapeak -out ../../../bench/gemm/fmapeak_amd64.s -stubs ../../../bench/gemm/fmapeak_stub_amd64.go -pkg main

import xcpu "golang.org/x/sys/cpu"

const hasFMALoops = true

func hasAVX512() bool { return xcpu.X86.HasAVX512F }
