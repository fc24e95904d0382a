package cpu

import (
	"math"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
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

// TestVecNotFused checks that a product and a sum round separately, as
// they do in the assembly kernels, however the compiler may fuse (arm64,
// GOAMD64=v3): a·x is not a float32, and fusing would leave its rounding
// error behind.
func TestVecNotFused(t *testing.T) {
	a := float32(1 + 1.0/4096) // a·a = 1 + 2⁻¹¹ + 2⁻²⁴ rounds to 1 + 2⁻¹¹
	p := a * a
	for _, n := range []int{1, 5, 40} {
		x, dst := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], dst[i] = a, -p
		}
		Axpy(dst, x, a)
		AddMul(dst, x, x)
		for i, v := range dst {
			if v != p {
				t.Fatalf("n=%d: dst[%d] = %g, want %g: a product was fused", n, i, v, p)
			}
		}
	}
	if d := Dot([]float32{a, 1}, []float32{a, -p}); d != 0 {
		t.Errorf("Dot = %g, want 0: a product was fused", d)
	}
}

// TestSumSquaresOrder checks SumSquares's documented order, Sum's.
func TestSumSquaresOrder(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 100, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i))) * float32(math.Pow(10, float64(i%13-6)))
		}
		var s [32]float64
		for i, v := range x {
			sq := float64(v) * float64(v)
			s[i%32] += sq
		}
		for w := 16; w > 0; w /= 2 {
			for j := range w {
				s[j] += s[j+w]
			}
		}
		if got := SumSquares(x); got != s[0] {
			t.Errorf("n=%d: SumSquares = %v, want %v", n, got, s[0])
		}
	}
	if got := SumSquares([]float32{3, 4}); got != 25 {
		t.Errorf("SumSquares(3, 4) = %v, want 25", got)
	}
}

// TestSumOrder checks Sum's documented order: 32 float64 partial sums,
// added pairwise.
func TestSumOrder(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 100, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(float64(i))) * float32(math.Pow(10, float64(i%13-6)))
		}
		var s [32]float64
		for i, v := range x {
			s[i%32] += float64(v)
		}
		for w := 16; w > 0; w /= 2 {
			for j := range w {
				s[j] += s[j+w]
			}
		}
		if got := Sum(x); got != float32(s[0]) {
			t.Errorf("n=%d: Sum = %v, want %v", n, got, float32(s[0]))
		}
	}
}

// TestVecDegenerate checks empty operands and partial rows.
func TestVecDegenerate(t *testing.T) {
	x := []float32{1, 2, 3}
	AddBias(x, nil) // must return, not loop
	SumRows(nil, x)
	AddBias(x, []float32{1, 1, 1, 1}) // no whole row
	SumRows(make([]float32, 4), x)
	AddBias(x, []float32{10, 20}) // one row and a partial one
	if x[0] != 11 || x[1] != 22 || x[2] != 3 {
		t.Errorf("AddBias = %v", x)
	}
	for _, f := range []func(){
		func() { Axpy(nil, nil, 1) }, func() { Scale(nil, 2) }, func() { Add(nil, nil, nil) },
		func() { Relu(nil, nil) }, func() { ReluBackward(nil, nil, nil) }, func() { AdamUpdate(nil, nil, nil, nil, 0.9, 0.999, 1, 1) },
	} {
		f()
	}
}

func TestVecNoAllocs(t *testing.T) {
	const n = 100
	a, b, c, d := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	allocs := alloctest.PerRun(10, func() {
		Axpy(a, b, 2)
		Scale(a, 0.5)
		Add(a, b, c)
		Sub(a, b, c)
		Mul(a, b, c)
		AddMul(a, b, c)
		AddBias(a, b[:10])
		SumRows(a[:10], b)
		Relu(a, b)
		ReluBackward(a, b, c)
		AdamUpdate(a, b, c, d, 0.9, 0.999, 1e-3, 1e-7)
		_ = Sum(a) + Dot(a, b)
	})
	if allocs != 0 {
		t.Errorf("vector kernels allocate %v times per call set", allocs)
	}
}
