package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// GemmBias must give exactly Gemm followed by AddBias (row by row, as the
// ld may exceed n) and Relu, for every kernel set and way of running the
// product, at edge sizes, with several slices of the reduction (k > kc on
// the tiny variants) and with negative zeros and NaNs in the bias.
func TestGemmBiasMatchesSeparatePasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []int{1, 2, 7, 15, 16, 17, 31, 33, 100, 513}
	idx := 0
	for _, m := range sizes {
		for _, n := range sizes {
			if (m == 513 && n == 513) || (testing.Short() && max(m, n) == 513) {
				continue
			}
			for _, k := range []int{1, 7, 45, 130} {
				for tr := 0; tr < 4; tr++ {
					idx++
					ab := gemmAlphaBeta[idx%len(gemmAlphaBeta)]
					g := newGemmCase(rng, tr&1 != 0, tr&2 != 0, m, n, k, []int{0, 3}[idx%2], ab.alpha, ab.beta, ab.nanC)
					bias := make([]float32, n+idx%3)
					for i := range bias {
						bias[i] = float32(rng.NormFloat64())
					}
					if n > 2 {
						bias[0], bias[1] = float32(math.Copysign(0, -1)), float32(math.NaN())
					}
					for _, v := range gemmVariants() {
						restore := useGemmVariant(v)
						for _, p := range gemmPolicies(v) {
							r := useGemmPolicy(p)
							for _, mode := range []struct {
								bias []float32
								relu bool
							}{{bias, false}, {nil, true}, {bias, true}} {
								want := append([]float32(nil), g.c...)
								Gemm(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc)
								for i := 0; i < m; i++ {
									row := want[i*g.ldc : i*g.ldc+n]
									if mode.bias != nil {
										AddBias(row, mode.bias[:n])
									}
									if mode.relu {
										Relu(row, row)
									}
								}
								got := append([]float32(nil), g.c...)
								GemmBias(g.transA, g.transB, m, n, k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, got, g.ldc, mode.bias, mode.relu)
								for i := range want {
									if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
										t.Fatalf("%s/%s %v bias=%v relu=%v: element %d = %v, want %v",
											v, p, g, mode.bias != nil, mode.relu, i, got[i], want[i])
									}
								}
							}
							r()
						}
						restore()
					}
				}
			}
		}
	}
}

func TestGemmBiasShortBiasPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || fmt.Sprint(r) == "" {
			t.Error("a bias shorter than n did not panic")
		}
	}()
	c := make([]float32, 4)
	GemmBias(false, false, 2, 2, 1, 1, []float32{1, 2}, 1, []float32{1, 2}, 2, 0, c, 2, []float32{1}, false)
}
