//go:build !noasm

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmVariants lists the Gemm implementations this machine can run, by name.
func gemmVariants() []string {
	v := []string{"generic"}
	if archAVX2OK() {
		v = append(v, "avx2", "avx2-tiny")
	}
	if archAVX512OK() {
		v = append(v, "avx512", "avx512-tiny")
	}
	return v
}

func archAVX2OK() bool   { a := detectGemmArch(); return a != nil }
func archAVX512OK() bool { a := detectGemmArch(); return a != nil && a.avx512 }

// useGemmVariant makes Gemm run the named implementation and returns a
// function that restores the previous one.
func useGemmVariant(name string) (restore func()) {
	old := gemmAsm
	switch name {
	case "generic":
		gemmAsm = nil
	case "avx2":
		gemmAsm = &archAVX2
	case "avx512":
		gemmAsm = &archAVX512
	default:
		a, ok := extraArches[name]
		if !ok {
			panic("unknown gemm variant " + name)
		}
		gemmAsm = a
	}
	return func() { gemmAsm = old }
}

func init() {
	// Variants with tiny blocking run every loop of the packed path (several
	// kc slices, nc slices and mc blocks) on small matrices.
	tiny512 := archAVX512
	tiny512.name, tiny512.kc, tiny512.mc, tiny512.nc, tiny512.colsM = "avx512-tiny", 20, 16, 64, 40
	tiny2 := archAVX2
	tiny2.name, tiny2.kc, tiny2.mc, tiny2.nc, tiny2.colsM = "avx2-tiny", 20, 12, 48, 30
	tiny512.bufs, tiny2.bufs = new(gemmBufs), new(gemmBufs)
	extraArches = map[string]*gemmArch{"avx512-tiny": &tiny512, "avx2-tiny": &tiny2}
}

var extraArches map[string]*gemmArch

// gemmPolicies lists the ways gemmFast can be forced to run, by name.
func gemmPolicies(variant string) []string {
	if variant == "generic" {
		return []string{"auto"}
	}
	return []string{"auto", "pack", "direct", "packA", "packB", "cols", "cols-direct"}
}

// useGemmPolicy forces a way to run gemmFast and returns a function that
// restores the automatic choice.
func useGemmPolicy(name string) (restore func()) {
	old := gemmForce
	f := &gemmForce
	f.set = name != "auto"
	switch name {
	case "pack":
		f.packA, f.packB, f.splitCols = true, true, false
	case "direct":
		f.packA, f.packB, f.splitCols = false, false, false
	case "packA":
		f.packA, f.packB, f.splitCols = true, false, false
	case "packB":
		f.packA, f.packB, f.splitCols = false, true, false
	case "cols":
		f.packA, f.packB, f.splitCols = true, true, true
	case "cols-direct":
		f.packA, f.packB, f.splitCols = false, false, true
	}
	return func() { gemmForce = old }
}

// BenchmarkGemmKernel measures the micro-kernels alone on packed operands
// that stay in L1: the ceiling of the packed path.
func BenchmarkGemmKernel(b *testing.B) {
	for _, v := range []string{"avx512", "avx2"} {
		if (v == "avx512" && !archAVX512OK()) || !archAVX2OK() {
			continue
		}
		g := archAVX512
		if v == "avx2" {
			g = archAVX2
		}
		for _, kc := range []int{64, 256} {
			b.Run(fmt.Sprintf("%s/kc=%d", v, kc), func(b *testing.B) {
				a := make([]float32, kc*g.mr)
				bb := make([]float32, kc*g.nr)
				c := make([]float32, g.mr*g.nr)
				for i := range a {
					a[i] = 1
				}
				for i := range bb {
					bb[i] = 1
				}
				for b.Loop() {
					g.kernel(false, kc, &a[0], g.mr, &bb[0], g.nr, &c[0], g.nr, 1, 1, g.mr, g.nr, nil, 0)
				}
				b.ReportMetric(gemmFlops(g.mr, g.nr, kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmPolicy runs shapes under every forced way of running
// gemmFast, to tune gemmFast's automatic choices.
func BenchmarkGemmPolicy(b *testing.B) {
	for _, s := range []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"NN1024", false, false, 1024, 1024, 1024},
		{"NN256", false, false, 256, 256, 256},
		{"NN512", false, false, 512, 512, 512},
		{"NN2048", false, false, 2048, 2048, 2048},
		{"TN1024", true, false, 1024, 1024, 1024},
		{"NT1024", false, true, 1024, 1024, 1024},
		{"NN_2000x2000x64", false, false, 2000, 2000, 64},
		{"NN_64x64x20000", false, false, 64, 64, 20000},
		{"fwd_128x784x64", false, false, 128, 64, 784},
		{"dW_TN_784x128x64", true, false, 784, 64, 128},
		{"dx_NT_128x64x784", false, true, 128, 784, 64},
		{"fwd_128x64x64", false, false, 128, 64, 64},
		{"fwd_8x13x32", false, false, 8, 32, 13},
		{"fwd_8x784x128", false, false, 8, 128, 784},
		// The book's LSTM at IMDB's shapes (batch 128, 100 steps, 64 → 256
		// units): the all-steps dU and dW, the input projection and dx.
		{"lstm_dU_TN_256x1024x12800", true, false, 256, 1024, 12800},
		{"lstm_dW_TN_64x1024x12800", true, false, 64, 1024, 12800},
		{"lstm_proj_NN_12800x1024x64", false, false, 12800, 1024, 64},
		{"lstm_dx_NT_12800x64x1024", false, true, 12800, 64, 1024},
		{"lstm_step_NN_128x1024x256", false, false, 128, 1024, 256},
		{"lstm_stepback_NT_128x256x1024", false, true, 128, 256, 1024},
		// The backward pass's products over a chunk of 4 steps (512 rows
		// of dz): dU, dW (one gate's, as with dropout) and dx.
		{"lstm_chunk_dU_TN_256x1024x512", true, false, 256, 1024, 512},
		{"lstm_chunk_dWgate_TN_64x256x512", true, false, 64, 256, 512},
		{"lstm_chunk_dx_NT_512x64x1024", false, true, 512, 64, 1024},
		{"conv1d_fwd_NN_9154x256x192", false, false, 9154, 256, 192},
	} {
		for _, p := range gemmPolicies("avx512") {
			b.Run(s.name+"/"+p, func(b *testing.B) {
				defer useGemmPolicy(p)()
				benchGemm(b, s.transA, s.transB, s.m, s.n, s.k)
			})
		}
	}
}

// TestGemmAVX2MatchesAVX512 checks the claim in docs/design.md: both kernel
// sets sum each element in the same order, so a training gives the same
// bits on AVX2 and AVX-512 machines.
func TestGemmAVX2MatchesAVX512(t *testing.T) {
	if !archAVX512OK() {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, sz := range [][3]int{{8, 32, 13}, {128, 64, 784}, {784, 64, 128}, {33, 17, 1031}, {100, 100, 100}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			a, b := make([]float32, m*k), make([]float32, k*n)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			run := func(variant string) []float32 {
				defer useGemmVariant(variant)()
				c := make([]float32, m*n)
				Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, n)
				return c
			}
			c512, c2 := run("avx512"), run("avx2")
			for i := range c512 {
				if math.Float32bits(c512[i]) != math.Float32bits(c2[i]) {
					t.Fatalf("%v trans %v: element %d: avx512 %v, avx2 %v", sz, tr, i, c512[i], c2[i])
				}
			}
		}
	}
}

// BenchmarkGemmPackedPolicy measures the recurrent layers' per-step
// products on a B packed once (PackB), as they run them: the LSTM's h·U
// (128×1024×256) and dz·Uᵀ (128×256×1024), and the GRU's (768 columns).
func BenchmarkGemmPackedPolicy(b *testing.B) {
	for _, s := range []struct {
		name    string
		m, n, k int
	}{
		{"lstm_hU_128x1024x256", 128, 1024, 256},
		{"lstm_dzUt_128x256x1024", 128, 256, 1024},
		{"gru_hU_128x768x256", 128, 768, 256},
		{"gru_dzUt_128x256x768", 128, 256, 768},
	} {
		for _, p := range gemmPolicies("avx512") {
			b.Run(s.name+"/"+p, func(b *testing.B) {
				defer useGemmPolicy(p)()
				rng := rand.New(rand.NewPCG(9, 10))
				a, bm, c := randSlice(rng, s.m*s.k), randSlice(rng, s.k*s.n), randSlice(rng, s.m*s.n)
				pb := PackB(make([]float32, PackedBLen(s.k, s.n)), false, s.k, s.n, bm, s.n)
				for b.Loop() {
					GemmPacked(false, s.m, 1, a, s.k, pb, 0, c, s.n)
				}
				b.ReportMetric(gemmFlops(s.m, s.n, s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
