package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
)

// The long elementwise kernels split over the pool; every element must come
// out as the serial reference computes it, whatever the split.
func TestParallelVecMatchesSerial(t *testing.T) {
	if Workers() < 2 {
		t.Log("one worker: the parallel paths run serially")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	randVec := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for _, n := range []int{vecParallelMin - 1, vecParallelMin, vecParallelMin + 7, 3*vecGrain + 5, 100_003} {
		x, y := randVec(n), randVec(n)
		got, want := append([]float32(nil), y...), append([]float32(nil), y...)
		Axpy(got, x, -0.37)
		axpyGeneric(want, x, -0.37)
		sameBitsN(t, "Axpy", n, got, want)

		p, m := randVec(n), randVec(n)
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(math.Abs(rng.NormFloat64()))
		}
		p2, m2, v2 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		AdamUpdate(p, x, m, v, 0.9, 0.999, 1e-3, 1e-7)
		adamGeneric(p2, x, m2, v2, 0.9, 1-float32(0.9), 0.999, 1-float32(0.999), 1e-3, 1e-7)
		sameBitsN(t, "AdamUpdate p", n, p, p2)
		sameBitsN(t, "AdamUpdate m", n, m, m2)
		sameBitsN(t, "AdamUpdate v", n, v, v2)
	}
}

func sameBitsN(t *testing.T, name string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n=%d: element %d = %v, want %v", name, n, i, got[i], want[i])
		}
	}
}

func TestParallelVecNoAllocs(t *testing.T) {
	const n = 1 << 17
	a, b, c, d := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	Axpy(a, b, 1) // warm the job free list
	allocs := alloctest.PerRun(10, func() {
		Axpy(a, b, 2)
		AdamUpdate(a, b, c, d, 0.9, 0.999, 1e-3, 1e-7)
	})
	if allocs != 0 {
		t.Errorf("parallel vector kernels allocate %v times per call set", allocs)
	}
}
