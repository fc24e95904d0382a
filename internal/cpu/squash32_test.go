package cpu

import (
	"math"
	"testing"
)

// ulpDiff returns how many float32 steps got is from want (both finite).
func ulpDiff(got, want float32) int64 {
	ord := func(v float32) int64 {
		b := int64(math.Float32bits(v))
		if b&0x80000000 != 0 {
			return -(b &^ 0x80000000)
		}
		return b
	}
	d := ord(got) - ord(want)
	if d < 0 {
		d = -d
	}
	return d
}

// TestSquashF32Accuracy compares SigmoidF32 and TanhF32 (the kernels in use
// and the Go code) with float64 math's values rounded to float32, on every
// 61st float32 of magnitude 1e-30 to 90 of both signs (about 35 million
// arguments) and on special values.
func TestSquashF32Accuracy(t *testing.T) {
	lo, hi := math.Float32bits(1e-30), math.Float32bits(90)
	var xs []float32
	for b := lo; b <= hi; b += 61 {
		v := math.Float32frombits(b)
		xs = append(xs, v, -v)
	}
	if testing.Short() {
		xs = xs[:len(xs)/16]
	}
	sig, th := make([]float32, len(xs)), make([]float32, len(xs))
	var worstS, worstT int64
	var atS, atT float32
	for _, generic := range []bool{false, true} {
		if generic {
			sigmoidF32Generic(sig, xs)
			tanhF32Generic(th, xs)
		} else {
			SigmoidF32(sig, xs)
			TanhF32(th, xs)
		}
		for i, v := range xs {
			ws := float32(1 / (1 + math.Exp(-float64(v))))
			if v < -87 {
				// clamped: 1.6e-38 where the true value is smaller
				if sig[i] < 0 || sig[i] > 1.7e-38 {
					t.Fatalf("SigmoidF32(%v) = %v", v, sig[i])
				}
			} else if d := ulpDiff(sig[i], ws); d > worstS {
				worstS, atS = d, v
			}
			if d := ulpDiff(th[i], float32(math.Tanh(float64(v)))); d > worstT {
				worstT, atT = d, v
			}
		}
	}
	t.Logf("max error over %d arguments: SigmoidF32 %d ulp (at %v), TanhF32 %d ulp (at %v)", len(xs), worstS, atS, worstT, atT)
	if worstS > 3 || worstT > 3 {
		t.Errorf("SigmoidF32 off by %d ulp at %v, TanhF32 by %d at %v; want at most 3", worstS, atS, worstT, atT)
	}
	inf := float32(math.Inf(1))
	for _, c := range []struct{ x, s, t float32 }{
		{0, 0.5, 0}, {inf, 1, 1}, {-inf, 0, -1}, {100, 1, 1}, {-100, 0, -1},
		{float32(math.Copysign(0, -1)), 0.5, float32(math.Copysign(0, -1))},
		{math.Float32frombits(1), 0.5, math.Float32frombits(1)},
	} {
		s, th := []float32{0}, []float32{0}
		SigmoidF32(s, []float32{c.x})
		TanhF32(th, []float32{c.x})
		if c.x == -inf || c.x == -100 {
			if s[0] < 0 || s[0] > 1.7e-38 {
				t.Errorf("SigmoidF32(%v) = %v, want below 1.7e-38", c.x, s[0])
			}
		} else if math.Float32bits(s[0]) != math.Float32bits(c.s) {
			t.Errorf("SigmoidF32(%v) = %v, want %v", c.x, s[0], c.s)
		}
		if math.Float32bits(th[0]) != math.Float32bits(c.t) {
			t.Errorf("TanhF32(%v) = %v, want %v", c.x, th[0], c.t)
		}
	}
	nan := []float32{float32(math.NaN())}
	SigmoidF32(nan, nan)
	if nan[0] == nan[0] {
		t.Errorf("SigmoidF32(NaN) = %v", nan[0])
	}
	TanhF32(nan, nan)
	if nan[0] == nan[0] {
		t.Errorf("TanhF32(NaN) = %v", nan[0])
	}
}

// BenchmarkSquash compares the float32 gate functions with Sigmoid and
// ExpTanh (float64 exponential) on 4096 values.
func BenchmarkSquash(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%200-100) * 0.05
	}
	y := make([]float32, len(x))
	for _, c := range []struct {
		name string
		f    func(dst, x []float32)
	}{{"Sigmoid", Sigmoid}, {"SigmoidF32", SigmoidF32}, {"ExpTanh", ExpTanh}, {"TanhF32", TanhF32}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				c.f(y, x)
			}
		})
	}
}
