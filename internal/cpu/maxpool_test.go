package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxIntoMatchesGeneric checks the assembly against the portable code,
// bit for bit, on values with ties, signed zeros, infinities and NaNs.
func TestMaxIntoMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, -1}
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			if rng.IntN(4) == 0 {
				s[i] = special[rng.IntN(len(special))]
			} else {
				s[i] = float32(rng.IntN(5) - 2)
			}
		}
		return s
	}
	orig := maxAsm
	defer func() { maxAsm = orig }()
	for _, n := range []int{1, 15, 16, 17, 64, 100} {
		m0, x := fill(n), fill(n)
		at0 := make([]int32, n)
		for i := range at0 {
			at0[i] = int32(-i)
		}
		run := func(asm, arg bool) ([]float32, []int32) {
			maxAsm = asm && orig
			m, at := append([]float32(nil), m0...), append([]int32(nil), at0...)
			if arg {
				ArgmaxInto(m, at, x, 1000)
				m2, at2 := make([]float32, n), make([]int32, n)
				ArgmaxInit(m2, at2, x, 77)
				for i := range x {
					if math.Float32bits(m2[i]) != math.Float32bits(x[i]) || at2[i] != 77+int32(i) {
						t.Fatalf("ArgmaxInit, %d: [%d] = %v, %d", n, i, m2[i], at2[i])
					}
				}
			} else {
				MaxInto(m, x)
			}
			return m, at
		}
		for _, arg := range []bool{false, true} {
			ma, aa := run(true, arg)
			mg, ag := run(false, arg)
			same(t, "MaxInto", n, ma, mg)
			for i := range aa {
				if aa[i] != ag[i] {
					t.Fatalf("ArgmaxInto, %d: at[%d] = %d (assembly), %d (portable)", n, i, aa[i], ag[i])
				}
			}
			for i := range mg {
				want := m0[i]
				if OrderKey(math.Float32bits(x[i])) > OrderKey(math.Float32bits(m0[i])) {
					want = x[i]
				}
				if math.Float32bits(mg[i]) != math.Float32bits(want) {
					t.Fatalf("%d: m[%d] = %v, want %v", n, i, mg[i], want)
				}
			}
		}
	}
}
