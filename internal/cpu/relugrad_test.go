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

// TestReluGradSparse checks ReluGradSparse, assembly and portable, against
// ReluGrad: the same entries, in order, on sparse gradients with ±0, NaN
// and infinite values, and −1 once there are more entries than room.
func TestReluGradSparse(t *testing.T) {
	ys := []float32{1, -1, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), -float32(math.NaN()), 1e-45, -1e-45, 2.5}
	orig := maxAsm
	defer func() { maxAsm = orig }()
	for _, n := range []int{0, 1, 15, 16, 37, 100, 1000} {
		y, dy := make([]float32, n), make([]float32, n)
		for i := range y {
			y[i] = ys[(i*7)%len(ys)]
			switch {
			case i%13 == 5:
				dy[i] = float32(math.Copysign(0, -1))
			case i%11 == 2 || i%37 == 36:
				dy[i] = float32(i) - 40.5
			case i%97 == 50:
				dy[i] = float32(math.NaN())
			}
		}
		dz := make([]float32, n)
		ReluGrad(dz, dy, y)
		var wantIdx []int32
		var wantVal []float32
		for i, v := range dz {
			if math.Float32bits(v)&0x7fffffff != 0 {
				wantIdx, wantVal = append(wantIdx, int32(i)), append(wantVal, v)
			}
		}
		for _, asm := range []bool{true, false} {
			maxAsm = asm && orig
			for _, room := range []int{len(wantIdx) + 3, len(wantIdx), len(wantIdx) - 1} {
				if room < 0 {
					continue
				}
				idx, val := make([]int32, room), make([]float32, room)
				got := ReluGradSparse(idx, val, dy, y)
				if room < len(wantIdx) {
					if got != -1 {
						t.Fatalf("n=%d asm=%v room %d: %d entries, want -1 (there are %d)", n, asm, room, got, len(wantIdx))
					}
					continue
				}
				if got != len(wantIdx) {
					t.Fatalf("n=%d asm=%v room %d: %d entries, want %d", n, asm, room, got, len(wantIdx))
				}
				for e := range got {
					if idx[e] != wantIdx[e] || math.Float32bits(val[e]) != math.Float32bits(wantVal[e]) {
						t.Fatalf("n=%d asm=%v: entry %d is (%d, %v), want (%d, %v)", n, asm, e, idx[e], val[e], wantIdx[e], wantVal[e])
					}
				}
			}
		}
	}
}
