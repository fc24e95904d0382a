package cpu

import "math"

// Axpy computes dst[i] += alpha·x[i]. x must be at least as long as dst.
func Axpy(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d := dst[i : i+4 : i+4]
		s := x[i : i+4 : i+4]
		d[0] += alpha * s[0]
		d[1] += alpha * s[1]
		d[2] += alpha * s[2]
		d[3] += alpha * s[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += alpha * x[i]
	}
}

// Dot returns Σ a[i]·b[i]. b must be at least as long as a. It sums in four
// interleaved partial sums, combined in a fixed order.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Scale computes x[i] *= alpha.
func Scale(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// Sum returns Σ x[i], accumulated in float64.
func Sum(x []float32) float32 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}

// Add computes dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Sub computes dst[i] = a[i] - b[i].
func Sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

// Mul computes dst[i] = a[i]·b[i].
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// AddMul computes dst[i] += a[i]·b[i].
func AddMul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += a[i] * b[i]
	}
}

// AddBias adds bias (length n) to each n-wide row of x.
func AddBias(x []float32, bias []float32) {
	n := len(bias)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n : r+n]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// SumRows accumulates the n-wide rows of x into dst (length n): dst[j] += Σ_r x[r,j].
func SumRows(dst, x []float32) {
	n := len(dst)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n : r+n]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// Relu computes dst[i] = max(x[i], 0). It is branch-free: the sign bit
// selects the value, so mixed signs cost no mispredicted branches.
func Relu(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		b := math.Float32bits(v)
		keep := uint32(int32(^b) >> 31) // all ones when the sign bit is clear
		dst[i] = math.Float32frombits(b & keep)
	}
}

// ReluBackward computes dx[i] += dy[i] where y[i] > 0, branch-free.
func ReluBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, v := range y {
		// (bits−1)>>31 is all ones for +0, bits>>31 for negative values
		// (and −0).
		b := int32(math.Float32bits(v))
		off := uint32((b-1)>>31 | b>>31)
		dx[i] += math.Float32frombits(math.Float32bits(dy[i]) &^ off)
	}
}

// Exp computes dst[i] = exp(x[i]).
func Exp(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// Sigmoid computes dst[i] = 1/(1+exp(-x[i])) without overflow.
func Sigmoid(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		if v >= 0 {
			dst[i] = float32(1 / (1 + math.Exp(-float64(v))))
		} else {
			e := math.Exp(float64(v))
			dst[i] = float32(e / (1 + e))
		}
	}
}

// Tanh computes dst[i] = tanh(x[i]).
func Tanh(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// AdamUpdate applies one Adam step in place: m = b1·m + (1−b1)·g,
// v = b2·v + (1−b2)·g², p −= lrT·m/(√v + eps).
func AdamUpdate(p, g, m, v []float32, b1, b2, lrT, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= lrT * mi / (float32(math.Sqrt(float64(vi))) + eps)
	}
}
