package cpu

import (
	"math"
	"testing"
)

func TestReluAndBackward(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	x := []float32{-2, -0.5, negZero, 0, 1e-30, 0.5, 3, float32(math.Inf(1)), float32(math.Inf(-1))}
	y := make([]float32, len(x))
	Relu(y, x)
	for i, v := range x {
		want := float32(0)
		if v > 0 {
			want = v
		}
		if y[i] != want || math.Signbit(float64(y[i])) {
			t.Errorf("Relu(%v) = %v, want %v", v, y[i], want)
		}
	}
	dy := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	dx := []float32{10, 10, 10, 10, 10, 10, 10, 10, 10}
	ReluBackward(dx, dy, x) // negative and zero y pass no gradient
	for i, v := range x {
		want := float32(10)
		if v > 0 {
			want += dy[i]
		}
		if dx[i] != want {
			t.Errorf("ReluBackward at y=%v: dx = %v, want %v", v, dx[i], want)
		}
	}
}

func TestVectorOps(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5}
	b := []float32{5, 4, 3, 2, 1}
	d := make([]float32, 5)
	Add(d, a, b)
	for _, v := range d {
		if v != 6 {
			t.Fatalf("Add = %v", d)
		}
	}
	if got := Dot(a, b); got != 35 {
		t.Errorf("Dot = %v, want 35", got)
	}
	if got := Sum(a); got != 15 {
		t.Errorf("Sum = %v", got)
	}
	Axpy(d, a, -1) // 6 - a
	for i, v := range d {
		if v != 6-a[i] {
			t.Fatalf("Axpy = %v", d)
		}
	}
	sums := make([]float32, 2)
	SumRows(sums, []float32{1, 2, 3, 4, 5, 6})
	if sums[0] != 9 || sums[1] != 12 {
		t.Errorf("SumRows = %v", sums)
	}
	x := []float32{1, 2, 3, 4}
	AddBias(x, []float32{10, 20})
	if x[0] != 11 || x[1] != 22 || x[2] != 13 || x[3] != 24 {
		t.Errorf("AddBias = %v", x)
	}
	s := make([]float32, 3)
	Sigmoid(s, []float32{0, 100, -100})
	if s[0] != 0.5 || s[1] != 1 || s[2] > 1e-40 || s[2] < 0 {
		t.Errorf("Sigmoid = %v", s)
	}
}

func TestAdamUpdateMatchesFloat64(t *testing.T) {
	p := []float32{0.5, -1, 2}
	g := []float32{0.1, -0.2, 0.3}
	m := []float32{0.01, 0, -0.02}
	v := []float32{0.001, 0, 0.002}
	want := make([]float64, 3)
	for i := range p {
		mi := 0.9*float64(m[i]) + 0.1*float64(g[i])
		vi := 0.999*float64(v[i]) + 0.001*float64(g[i])*float64(g[i])
		want[i] = float64(p[i]) - 0.01*mi/(math.Sqrt(vi)+1e-7)
	}
	AdamUpdate(p, g, m, v, 0.9, 0.999, 0.01, 1e-7)
	for i := range p {
		if math.Abs(float64(p[i])-want[i]) > 1e-6 {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
		}
	}
}
