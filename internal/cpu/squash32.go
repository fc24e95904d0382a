package cpu

import "math"

// SigmoidF32 and TanhF32 are the recurrent layers' gate functions: the
// sigmoid and tanh in float32 arithmetic, 2.5 times faster than Sigmoid and
// ExpTanh (BenchmarkSquash), whose exponential runs in float64 to match
// math.Exp. Both are built on one float32 exponential: a = n·ln2 + r with
// n = round(a·log2 e) (ln 2 in two parts, the first exact in its
// products), e^r − 1 by its Taylor polynomial to r⁸/8! (|r| ≤ ln2/2), and
// 2^n from the exponent bits. Every product and sum is rounded on its own
// (no FMA), so the AVX-512 and AVX2 kernels give the Go code's results bit
// for bit (a NaN's sign and payload aside). The argument of the
// exponential is clamped at −87 so that 2^n stays normal.
//
// Both are within 2 ulps of the float64 values rounded to float32 on
// every 61st float32 of magnitude 1e-30 to 90 (TestSquashF32Accuracy,
// which holds them to 3).

// The constants of the float32 exponential (the generator in
// asmgen/vec/squash32.go holds the same).
const (
	sq32Log2E = float32(1.44269504088896340736)
	sq32Ln2Hi = float32(0.693359375)
	sq32Ln2Lo = float32(-2.12194440e-4)
	sq32Min   = float32(-87)
)

var sq32Poly = [7]float32{1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5}

// squash32Core returns 2^n and p = e^r − 1 where max(a, −87) = n·ln2 + r,
// for a ≤ 0 not NaN.
func squash32Core(a float32) (scale, p float32) {
	if a < sq32Min {
		a = sq32Min
	}
	t := float32(math.RoundToEven(float64(a * sq32Log2E)))
	r := a - float32(t*sq32Ln2Hi)
	r = r - float32(t*sq32Ln2Lo)
	q := float32(sq32Poly[0] * r)
	q = q + sq32Poly[1]
	for _, c := range sq32Poly[2:] {
		q = float32(q*r) + c
	}
	p = r + float32(float32(r*r)*q)
	return math.Float32frombits(uint32(int32(t)+127) << 23), p
}

// SigmoidF32 sets dst[i] = 1/(1+e^−x[i]): with e = e^−|x| in float32,
// 1/(1+e) for x ≥ 0 and e/(1+e) below; in place too. Below x = −87 the
// result stays at 1.6e-38 (its true value is smaller); NaN stays NaN.
func SigmoidF32(dst, x []float32) {
	if x = x[:len(dst)]; len(dst) > 0 {
		sigmoidF32(dst, x)
	}
}

func sigmoidF32Generic(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v != v {
			dst[i] = v
			continue
		}
		scale, p := squash32Core(-abs32(v))
		e := float32(scale * float32(1+p))
		num := e
		if v >= 0 {
			num = 1
		}
		dst[i] = num / (1 + e)
	}
}

// TanhF32 sets dst[i] = tanh(x[i]) = sign(x)·(−t)/(2+t), t = e^−2|x| − 1
// computed as 2^n·p + (2^n − 1) from the exponential's parts, so that it
// keeps its relative accuracy as x goes to 0; in place too. NaN stays NaN.
func TanhF32(dst, x []float32) {
	if x = x[:len(dst)]; len(dst) > 0 {
		tanhF32(dst, x)
	}
}

func tanhF32Generic(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v != v {
			dst[i] = v
			continue
		}
		a := -abs32(v)
		scale, p := squash32Core(a + a)
		t := float32(scale*p) + float32(scale-1)
		r := t / (2 + t)
		dst[i] = math.Float32frombits(math.Float32bits(r)&0x7fffffff | math.Float32bits(v)&0x80000000)
	}
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ 0x80000000) }
