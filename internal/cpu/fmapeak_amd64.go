package cpu

//go:generate go run -C asmgen ./fmapeak -out ../fmapeak_amd64.s -stubs ../fmapeak_stub_amd64.go -pkg cpu

import (
	"runtime"
	"time"

	xcpu "golang.org/x/sys/cpu"
)

// FMAPeak measures the float32 FMA peak of the calling goroutine's core in
// GFLOP/s: loops of independent VFMADD231PS on the widest registers the
// machine has (zmm with AVX-512, ymm with AVX2+FMA), run for about d and
// timed in rounds of a few milliseconds, the best round reported. It locks
// the goroutine to its thread while it runs. It returns 0 without FMA.
//
// It is the denominator of the "%peak" figures of the GEMM and convolution
// benchmarks (bench/gemm -peak runs the same loops).
func FMAPeak(d time.Duration) float64 {
	loop, flops := fmaLoopYMM, 192.0
	switch {
	case xcpu.X86.HasAVX512F:
		loop, flops = fmaLoopZMM, 768
	case xcpu.X86.HasAVX2 && xcpu.X86.HasFMA:
	default:
		return 0
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const iters = 200_000 // about 1.3 ms at 117 GFLOP/s
	best := 0.0
	for start := time.Now(); ; {
		t := time.Now()
		loop(iters)
		best = max(best, flops*iters/time.Since(t).Seconds()/1e9)
		if time.Since(start) >= d {
			return best
		}
	}
}

// FMALoop returns the peak loop on zmm registers (AVX-512) or on ymm
// (AVX2), and the FLOPs of one of its iterations, for programs that time
// it themselves (bench/gemm -peak, on every core at once); ok is false
// when the machine lacks the instructions.
func FMALoop(zmm bool) (loop func(iters int), flops float64, ok bool) {
	if zmm {
		return fmaLoopZMM, 768, xcpu.X86.HasAVX512F
	}
	return fmaLoopYMM, 192, xcpu.X86.HasAVX2 && xcpu.X86.HasFMA
}
