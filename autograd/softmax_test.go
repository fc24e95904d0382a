package autograd

import (
	"math"
	"testing"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// softmaxExp blocks rows (or splits long rows) for the vector exponential;
// the values and sums must be those of a plain row-by-row loop.
func TestSoftmaxExpMatchesRowLoop(t *testing.T) {
	rng := tensor.NewRNG(4)
	for _, shape := range [][2]int{{1, 1}, {3, 7}, {128, 10}, {60, 9}, {2, 512}, {3, 513}, {2, 1200}} {
		rows, cols := shape[0], shape[1]
		zt := tensor.New(rows, cols)
		rng.Normal(zt, 0, 20)
		z := zt.Data
		p := make([]float32, len(z))
		sums := make([]float64, rows)
		maxes := make([]float32, rows)
		softmaxExp(p, z, rows, cols, maxOf, func(r int, m float32, s float64) { maxes[r], sums[r] = m, s })
		one := make([]float64, 1)
		for r := 0; r < rows; r++ {
			zr := z[r*cols : (r+1)*cols]
			m := maxOf(zr)
			var s float64
			for j, v := range zr {
				one[0] = float64(v - m)
				cpu.Exp64(one, one)
				if got := p[r*cols+j]; math.Float32bits(got) != math.Float32bits(float32(one[0])) {
					t.Fatalf("%dx%d: row %d col %d: %v, want %v", rows, cols, r, j, got, float32(one[0]))
				}
				s += one[0]
			}
			if maxes[r] != m || math.Float64bits(sums[r]) != math.Float64bits(s) {
				t.Fatalf("%dx%d: row %d: max %v sum %v, want %v %v", rows, cols, r, maxes[r], sums[r], m, s)
			}
		}
		// In place, as the Softmax activation runs it.
		q := append([]float32(nil), z...)
		softmaxExp(q, q, rows, cols, maxOf, func(int, float32, float64) {})
		for i := range q {
			if math.Float32bits(q[i]) != math.Float32bits(p[i]) {
				t.Fatalf("%dx%d: in place differs at %d", rows, cols, i)
			}
		}
	}
}
