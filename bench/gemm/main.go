// Command gemm measures neurona's GEMM and the machine's float32 FMA peak.
//
//	go run ./bench/gemm -peak            # FMA peak of one core and of all cores
//	GOMAXPROCS=1 go run ./bench/gemm     # Gemm GFLOP/s, 1 thread
//
// Gemm's worker pool has GOMAXPROCS workers, so the thread count is set with
// the GOMAXPROCS environment variable. Each figure is the best of -reps
// timed runs of at least -min seconds each (the machines are shared and
// noisy; the best run is the least disturbed one). compare.sh runs this
// next to numpy and PyTorch.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/neurona/neurona/internal/cpu"
)

func main() {
	peak := flag.Bool("peak", false, "measure the FMA peak instead of Gemm")
	shapes := flag.String("shapes", "square,train", "comma-separated groups: square, train, big (2048³)")
	reps := flag.Int("reps", 5, "timed runs per figure")
	minTime := flag.Duration("min", 200*time.Millisecond, "minimum duration of one timed run")
	flag.Parse()
	if *peak {
		measurePeak(*reps)
		return
	}
	fmt.Printf("neurona Gemm (%s kernels), GOMAXPROCS=%d\n", cpu.GemmKernel(), runtime.GOMAXPROCS(0))
	for _, g := range strings.Split(*shapes, ",") {
		for _, s := range groups[g] {
			fmt.Printf("%-22s %8.1f GFLOP/s\n", s.name, benchGemm(s, *reps, *minTime))
		}
	}
}

type shape struct {
	name           string
	transA, transB bool
	m, n, k        int
}

var groups = map[string][]shape{
	"square": {{"NN 1024³", false, false, 1024, 1024, 1024}},
	"big":    {{"NN 2048³", false, false, 2048, 2048, 2048}},
	// The shapes of a 784-64-64-10 MLP at batch 128 and a 13-32-16-1 one at
	// batch 8: forward x·W, and backward dW = xᵀ·dy, dx = dy·Wᵀ.
	"train": {
		{"fwd 128x784·784x64", false, false, 128, 64, 784},
		{"dW  784x128·128x64 TN", true, false, 784, 64, 128},
		{"dx  128x64·64x784 NT", false, true, 128, 784, 64},
		{"fwd 128x64·64x64", false, false, 128, 64, 64},
		{"fwd 8x13·13x32", false, false, 8, 32, 13},
		{"dW  13x8·8x32 TN", true, false, 13, 32, 8},
		{"dx  8x32·32x13 NT", false, true, 8, 13, 32},
		{"fwd 8x32·32x16", false, false, 8, 16, 32},
	},
}

func benchGemm(s shape, reps int, minTime time.Duration) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b, c := fill(s.m*s.k), fill(s.k*s.n), fill(s.m*s.n)
	lda, ldb := s.k, s.n
	if s.transA {
		lda = s.m
	}
	if s.transB {
		ldb = s.k
	}
	run := func() {
		cpu.Gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n)
	}
	run()
	best := 0.0
	for r := 0; r < reps; r++ {
		n := 0
		start := time.Now()
		for time.Since(start) < minTime {
			run()
			n++
		}
		gf := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(n) / time.Since(start).Seconds() / 1e9
		best = max(best, gf)
	}
	return best
}

func measurePeak(reps int) {
	if _, _, ok := cpu.FMALoop(false); !ok {
		fmt.Fprintln(os.Stderr, "gemm: the FMA peak loop needs amd64 with AVX2 and FMA")
		os.Exit(1)
	}
	const iters = 20_000_000
	for _, v := range []struct {
		name string
		zmm  bool
	}{{"zmm (AVX-512)", true}, {"ymm (AVX2)", false}} {
		loop, flops, ok := cpu.FMALoop(v.zmm)
		if !ok {
			continue
		}
		for _, threads := range []int{1, runtime.NumCPU()} {
			best := 0.0
			for r := 0; r < reps; r++ {
				var wg sync.WaitGroup
				start := time.Now()
				for t := 0; t < threads; t++ {
					wg.Add(1)
					go func() {
						runtime.LockOSThread()
						defer wg.Done()
						loop(iters)
					}()
				}
				wg.Wait()
				best = max(best, flops*iters*float64(threads)/time.Since(start).Seconds()/1e9)
			}
			fmt.Printf("fp32 FMA peak, %s, %d thread(s): %6.1f GFLOP/s\n", v.name, threads, best)
		}
	}
}
