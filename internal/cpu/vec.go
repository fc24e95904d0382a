package cpu

import "math"

// The exported kernels check their arguments and call the lower-case
// implementation: an AVX-512 or AVX2 assembly kernel where the CPU has one
// (vec_amd64.go), else the portable *Generic function below, which is also
// the reference the assembly is tested against.
//
// Exactness: every assembly kernel does, lane by lane, the same IEEE
// float32 operations in the same order as its Go reference, so results are
// bit-identical on every machine, except that a NaN result, a NaN in both,
// may differ in sign and payload. The references write a rounding product as float32(a*b): the
// explicit conversion forbids the compiler to fuse it with the following
// addition into an FMA, which Go does on arm64 and with GOAMD64=v3, and
// which would round differently. Exp and Sigmoid run on the float64
// exponential Exp64 (exp.go), whose kernels match its Go reference
// bit for bit; Tanh has no assembly version. Where dst and an input
// overlap they must be the same slice.

// Axpy computes dst[i] += alpha·x[i] (the product rounded to float32, then
// the sum). x must be at least as long as dst.
func Axpy(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	switch {
	case len(dst) >= vecParallelMin:
		j := getVecJob(vecJobAxpy)
		j.p, j.g, j.f[0] = dst, x, alpha
		ParallelFor(len(dst), vecGrain, j.fn)
		putVecJob(j)
	case len(dst) > 0:
		axpy(dst, x, alpha)
	}
}

func axpyGeneric(dst, x []float32, alpha float32) {
	x = x[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d := dst[i : i+4 : i+4]
		s := x[i : i+4 : i+4]
		d[0] += float32(alpha * s[0])
		d[1] += float32(alpha * s[1])
		d[2] += float32(alpha * s[2])
		d[3] += float32(alpha * s[3])
	}
	for ; i < len(dst); i++ {
		dst[i] += float32(alpha * x[i])
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
		s0 += float32(x[0] * y[0])
		s1 += float32(x[1] * y[1])
		s2 += float32(x[2] * y[2])
		s3 += float32(x[3] * y[3])
	}
	for ; i < len(a); i++ {
		s0 += float32(a[i] * b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// Scale computes x[i] *= alpha.
func Scale(x []float32, alpha float32) {
	if len(x) > 0 {
		scale(x, alpha)
	}
}

func scaleGeneric(x []float32, alpha float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// Sum returns Σ x[i], accumulated in float64: element i goes into partial
// sum i%32, and the 32 partial sums are added pairwise (s[j] += s[j+16],
// then s[j] += s[j+8], ...). The order is fixed, so the result is the same
// on every machine, and vectorizes.
func Sum(x []float32) float32 {
	var acc [32]float64
	n := len(x) &^ 31
	if n > 0 {
		sum32(x[:n], &acc)
	}
	for i, v := range x[n:] {
		acc[i] += float64(v)
	}
	for w := 16; w > 0; w /= 2 {
		for j := range w {
			acc[j] += acc[j+w]
		}
	}
	return float32(acc[0])
}

// SumSquares returns Σ x[i]², accumulated in float64 as Sum does: the
// square of element i goes into partial sum i%32 (each square rounded to
// float64 before the add), and the partial sums are added pairwise. The
// result is the same on every machine.
func SumSquares(x []float32) float64 {
	var acc [32]float64
	n := len(x) &^ 31
	if n > 0 {
		sumSq32(x[:n], &acc)
	}
	for i, v := range x[n:] {
		f := float64(v)
		acc[i] += float64(f * f)
	}
	for w := 16; w > 0; w /= 2 {
		for j := range w {
			acc[j] += acc[j+w]
		}
	}
	return acc[0]
}

// sumSq32Generic adds float64(x[i])² into acc[i%32] for i < len(x)&^31,
// in index order.
func sumSq32Generic(x []float32, acc *[32]float64) {
	for i := 0; i+32 <= len(x); i += 32 {
		for j, v := range x[i : i+32 : i+32] {
			f := float64(v)
			acc[j] += float64(f * f)
		}
	}
}

// sum32Generic adds x[i] into acc[i%32] for i < len(x)&^31, in index order.
func sum32Generic(x []float32, acc *[32]float64) {
	for i := 0; i+32 <= len(x); i += 32 {
		for j, v := range x[i : i+32 : i+32] {
			acc[j] += float64(v)
		}
	}
}

// Add computes dst[i] = a[i] + b[i].
func Add(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if len(dst) > 0 {
		add(dst, a, b)
	}
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// Sub computes dst[i] = a[i] - b[i].
func Sub(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if len(dst) > 0 {
		sub(dst, a, b)
	}
}

func subGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

// Mul computes dst[i] = a[i]·b[i].
func Mul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if len(dst) > 0 {
		mul(dst, a, b)
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

// AddMul computes dst[i] += a[i]·b[i] (the product rounded to float32, then
// the sum).
func AddMul(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if len(dst) > 0 {
		addMul(dst, a, b)
	}
}

func addMulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += float32(a[i] * b[i])
	}
}

// TanhGrad sets g[i] *= 1 − y[i]·y[i]: the gradient through y = tanh(x).
func TanhGrad(g, y []float32) {
	if y = y[:len(g)]; len(g) > 0 {
		tanhGrad(g, y)
	}
}

func tanhGradGeneric(g, y []float32) {
	y = y[:len(g)]
	for i, v := range y {
		g[i] *= float32(1 - float32(v*v))
	}
}

// SigmoidGrad sets g[i] *= y[i]·(1 − y[i]): the gradient through y =
// sigmoid(x).
func SigmoidGrad(g, y []float32) {
	if y = y[:len(g)]; len(g) > 0 {
		sigmoidGrad(g, y)
	}
}

func sigmoidGradGeneric(g, y []float32) {
	y = y[:len(g)]
	for i, v := range y {
		g[i] *= float32(v * float32(1-v))
	}
}

// HardSigmoid sets x[i] = min(max(0.2·x[i] + 0.5, 0), 1) in place, Keras's
// hard_sigmoid (the product rounded before the sum); a NaN stays NaN.
func HardSigmoid(x []float32) {
	if len(x) > 0 {
		hardSigmoid(x)
	}
}

func hardSigmoidGeneric(x []float32) {
	for i, v := range x {
		v = float32(0.2*v) + 0.5
		if v < 0 {
			v = 0
		} else if v > 1 {
			v = 1
		}
		x[i] = v
	}
}

// HardSigmoidGrad sets g[i] *= 0.2 where 0 < y[i] < 1 and g[i] = 0
// elsewhere: the gradient through y = hard_sigmoid(x).
func HardSigmoidGrad(g, y []float32) {
	if y = y[:len(g)]; len(g) > 0 {
		hardSigmoidGrad(g, y)
	}
}

func hardSigmoidGradGeneric(g, y []float32) {
	y = y[:len(g)]
	for i, v := range y {
		if v > 0 && v < 1 {
			g[i] *= 0.2
		} else {
			g[i] = 0
		}
	}
}

// OneMinus sets dst[i] = 1 − x[i].
func OneMinus(dst, x []float32) {
	if x = x[:len(dst)]; len(dst) > 0 {
		oneMinus(dst, x)
	}
}

func oneMinusGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = 1 - v
	}
}

// AddBias adds bias (length n) to each n-wide row of x; a partial last row
// is left alone.
func AddBias(x []float32, bias []float32) {
	if n := len(bias); n > 0 && len(x) >= n {
		addBias(x, len(x)/n, bias)
	}
}

// addBiasGeneric adds bias to the first rows len(bias)-wide rows of x.
func addBiasGeneric(x []float32, rows int, bias []float32) {
	n := len(bias)
	for r := range rows {
		row := x[r*n : r*n+n : r*n+n]
		for j, b := range bias {
			row[j] += b
		}
	}
}

// SumRows accumulates the n-wide rows of x into dst (length n): dst[j] += Σ_r x[r,j],
// adding the rows in order. A partial last row is ignored.
// Each column is summed down the rows by one worker, so the result does not
// depend on the number of workers: large inputs split their columns over
// the pool.
func SumRows(dst, x []float32) {
	n := len(dst)
	if n == 0 || len(x) < n {
		return
	}
	rows := len(x) / n
	if n < 2*sumRowsCols || rows*n < vecParallelMin*4 {
		sumRows(dst, x, rows, n)
		return
	}
	j := getVecJob(vecJobSumRows)
	j.p, j.g, j.rows = dst, x, rows
	ParallelFor(n, max(sumRowsCols, vecGrain/rows/sumRowsCols*sumRowsCols), j.fn)
	putVecJob(j)
}

// sumRowsCols is the columns the kernels sum at once (sumRowsBlock vectors
// of 16 in asmgen/vec).
const sumRowsCols = 128

// sumRowsGeneric adds rows rows of x, ld floats apart, into dst.
func sumRowsGeneric(dst, x []float32, rows, ld int) {
	n := len(dst)
	for r := range rows {
		row := x[r*ld : r*ld+n : r*ld+n]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// Relu computes dst[i] = max(x[i], 0): x[i] when its sign bit is clear,
// else +0 (so −0 gives +0, and NaN keeps or loses its value by its sign).
func Relu(dst, x []float32) {
	x = x[:len(dst)]
	if len(dst) > 0 {
		relu(dst, x)
	}
}

// reluGeneric is branch-free: the sign bit selects the value, so mixed
// signs cost no mispredicted branches.
func reluGeneric(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		b := math.Float32bits(v)
		keep := uint32(int32(^b) >> 31) // all ones when the sign bit is clear
		dst[i] = math.Float32frombits(b & keep)
	}
}

// ReluBackward computes dx[i] += dy[i] where y[i] > 0, and dx[i] += +0
// elsewhere (−0 and negative y, and NaN with the sign bit set, pass
// nothing).
func ReluBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	if len(dx) > 0 {
		reluBackward(dx, dy, y)
	}
}

// reluBackwardGeneric is branch-free.
func reluBackwardGeneric(dx, dy, y []float32) {
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
	var buf [expBlock]float64
	for i0 := 0; i0 < len(x); i0 += expBlock {
		e := buf[:min(expBlock, len(x)-i0)]
		for i := range e {
			e[i] = float64(x[i0+i])
		}
		Exp64(e, e)
		for i, v := range e {
			dst[i0+i] = float32(v)
		}
	}
}

// expBlock is how many exponentials Exp computes at a time.
const expBlock = 256

// Sigmoid computes dst[i] = 1/(1+exp(-x[i])) without overflow: with
// e = exp(-|x|) in float64 (Exp64's), 1/(1+e) for x ≥ 0 and e/(1+e)
// below, rounded to float32. The kernels do it on whole vectors, in
// place too; sigmoidScalar is their reference.
func Sigmoid(dst, x []float32) {
	x = x[:len(dst)]
	for i := 0; i < len(x); {
		i += sigmoid32(dst[i:], x[i:])
		for end := min(i+8, len(x)); i < end; i++ {
			dst[i] = sigmoidScalar(x[i])
		}
	}
}

func sigmoidScalar(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + expScalar(-float64(v))))
	}
	e := expScalar(float64(v))
	return float32(e / (1 + e))
}

// ExpTanh computes dst[i] = tanh(x[i]) as sign(x)·(1−e)/(1+e), e =
// exp(−2|x|) in float64 (Exp64's), rounded to float32: faster than Tanh's
// math.Tanh, and what the recurrent layers use. 1−e cancels as |x| goes to
// 0: the result is within a float32 ulp of tanh down to |x| = 1e-10, and
// 2e-5 off (relative) at 1e-12, where tanh(x) ≈ x anyway.
// The kernels do it on whole vectors, in place too; expTanhScalar is
// their reference.
func ExpTanh(dst, x []float32) {
	x = x[:len(dst)]
	for i := 0; i < len(x); {
		i += tanh32(dst[i:], x[i:])
		for end := min(i+8, len(x)); i < end; i++ {
			dst[i] = expTanhScalar(x[i])
		}
	}
}

func expTanhScalar(v float32) float32 {
	a := float64(v)
	if a < 0 {
		a = -a
	}
	e := expScalar(-2 * a)
	t := (1 - e) / (1 + e)
	if v < 0 {
		t = -t
	}
	return float32(t)
}

// Tanh computes dst[i] = tanh(x[i]).
func Tanh(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}

// AdamUpdate applies one Adam step in place: m = b1·m + (1−b1)·g,
// v = b2·v + (1−b2)·g², p −= lrT·m/(√v + eps). Each product, the square
// root and the quotient are rounded to float32 in that order (see
// adamGeneric), with no fused multiply-add, so the result is the same on
// every machine.
func AdamUpdate(p, g, m, v []float32, b1, b2, lrT, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	switch {
	case len(p) >= vecParallelMin:
		j := getVecJob(vecJobAdam)
		j.p, j.g, j.m, j.v = p, g, m, v
		j.f = [6]float32{b1, 1 - b1, b2, 1 - b2, lrT, eps}
		ParallelFor(len(p), vecGrain, j.fn)
		putVecJob(j)
	case len(p) > 0:
		adam(p, g, m, v, b1, 1-b1, b2, 1-b2, lrT, eps)
	}
}

// adamGeneric is AdamUpdate with c1 = 1−b1 and c2 = 1−b2. The square root
// of a float32 is computed exactly rounded (SQRTSS), as VSQRTPS does.
func adamGeneric(p, g, m, v []float32, b1, c1, b2, c2, lrT, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, gi := range g {
		mi := float32(b1*m[i]) + float32(c1*gi)
		vi := float32(b2*v[i]) + float32(float32(c2*gi)*gi)
		m[i], v[i] = mi, vi
		p[i] -= float32(lrT*mi) / (float32(math.Sqrt(float64(vi))) + eps)
	}
}
