package cpu

import (
	"math"
	"testing"
)

func TestReluGrad(t *testing.T) {
	ys := []float32{1, -1, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), 1e-45, -1e-45}
	orig := maxAsm
	defer func() { maxAsm = orig }()
	for _, n := range []int{1, 16, 37} {
		y, dy := make([]float32, n), make([]float32, n)
		for i := range y {
			y[i] = ys[i%len(ys)]
			dy[i] = float32(i) - 3.5
			if i%7 == 3 {
				dy[i] = float32(math.Copysign(0, -1))
			}
		}
		for _, asm := range []bool{true, false} {
			maxAsm = asm && orig
			dz := make([]float32, n)
			for i := range dz {
				dz[i] = 99
			}
			ReluGrad(dz, dy, y)
			for i := range y {
				want := float32(0)
				if int32(math.Float32bits(y[i])) > 0 {
					want = dy[i]
				}
				if math.Float32bits(dz[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d asm=%v: dz[%d] = %v for y %v, dy %v; want %v", n, asm, i, dz[i], y[i], dy[i], want)
				}
			}
		}
	}
}
