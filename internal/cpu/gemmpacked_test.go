package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// GemmPacked must give Gemm's results on the unpacked B bit for bit, with
// every kernel set and every way of running them, B transposed or not.
func TestGemmPackedMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {5, 7, 3}, {8, 16, 9}, {13, 33, 21}, {40, 64, 45}, {128, 1024, 256}, {300, 70, 600}, {17, 200, 1100},
	}
	for _, variant := range gemmVariants() {
		for _, policy := range gemmPolicies(variant) {
			restore := useGemmVariant(variant)
			restorePolicy := useGemmPolicy(policy)
			for _, sh := range shapes {
				for _, transA := range []bool{false, true} {
					for _, transB := range []bool{false, true} {
						for _, beta := range []float32{0, 1} {
							m, n, k := sh.m, sh.n, sh.k
							lda, ldb := k+3, n+5
							ar, br := m, k
							if transA {
								lda, ar = m+3, k
							}
							if transB {
								ldb, br = k+5, n
							}
							a, b := randSlice(rng, ar*lda), randSlice(rng, br*ldb)
							c0 := randSlice(rng, m*(n+2))
							want := append([]float32(nil), c0...)
							got := append([]float32(nil), c0...)
							Gemm(transA, transB, m, n, k, 0.75, a, lda, b, ldb, beta, want, n+2)
							buf := make([]float32, PackedBLen(k, n))
							pb := PackB(buf, transB, k, n, b, ldb)
							GemmPacked(transA, m, 0.75, a, lda, pb, beta, got, n+2)
							for i := range want {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("%s/%s m=%d n=%d k=%d transA=%v transB=%v beta=%v: C[%d] = %v, Gemm gives %v",
										variant, policy, m, n, k, transA, transB, beta, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
			restorePolicy()
			restore()
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func TestPackBChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short buffer", func() { PackB(make([]float32, 3), false, 2, 2, make([]float32, 4), 2) }},
		{"short B", func() { PackB(make([]float32, PackedBLen(2, 2)), false, 2, 2, make([]float32, 3), 2) }},
		{"k 0", func() { PackB(nil, false, 0, 2, nil, 2) }},
		{"unpacked", func() { GemmPacked(false, 1, 1, []float32{1}, 1, PackedB{}, 0, []float32{0}, 1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func ExamplePackB() {
	// B = [[1 2] [3 4]] packed once, used by two products.
	b := []float32{1, 2, 3, 4}
	pb := PackB(make([]float32, PackedBLen(2, 2)), false, 2, 2, b, 2)
	c := make([]float32, 2)
	for _, a := range [][]float32{{1, 0}, {1, 1}} {
		GemmPacked(false, 1, 1, a, 2, pb, 0, c, 2)
		fmt.Println(c)
	}
	// Output:
	// [1 2]
	// [4 6]
}

// TestPackedBColsMatchesGemm checks GemmPacked on column blocks of one
// packed B against Gemm on the same blocks, bit for bit, on every kernel
// set, and that Cols refuses the blocks it cannot share.
func TestPackedBColsMatchesGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, variant := range gemmVariants() {
		restore := useGemmVariant(variant)
		for _, transB := range []bool{false, true} {
			m, k, n := 37, 45, 200
			ldb := n + 3
			if transB {
				ldb = k + 3
			}
			rows := k
			if transB {
				rows = n
			}
			a, b := randSlice(rng, m*k), randSlice(rng, rows*ldb)
			pb := PackB(make([]float32, PackedBLen(k, n)), transB, k, n, b, ldb)
			shared := 0
			for _, blk := range [][2]int{{0, n}, {0, 64}, {32, 200}, {64, 161}, {96, 128}, {5, 100}, {192, 200}} {
				j0, j1 := blk[0], blk[1]
				v, ok := pb.Cols(j0, j1)
				if !ok {
					continue
				}
				shared++
				w := j1 - j0
				want, got := make([]float32, m*w), make([]float32, m*w)
				boff := j0
				if transB {
					boff = j0 * ldb
				}
				Gemm(false, transB, m, w, k, 1, a, k, b[boff:], ldb, 0, want, w)
				GemmPacked(false, m, 1, a, k, v, 0, got, w)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s transB=%v columns [%d, %d): C[%d] = %v, Gemm gives %v", variant, transB, j0, j1, i, got[i], want[i])
					}
				}
			}
			if _, ok := pb.Cols(5, 100); ok {
				t.Errorf("%s: Cols(5, 100) shares a block that does not start on a panel", variant)
			}
			if variant != "generic" && shared < 4 {
				t.Errorf("%s transB=%v: only %d blocks shared", variant, transB, shared)
			}
		}
		restore()
	}
}
