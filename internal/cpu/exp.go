package cpu

import (
	"math"
	"runtime"

	xcpu "golang.org/x/sys/cpu"
)

// Exp64 and the kernels built on it compute e^x by the method of Go's
// amd64 math.Exp (Shibata, "Efficient evaluation methods of elementary
// functions suitable for SIMD computation", ISC 2010): x = n·ln2 + r with
// n = round(x·log2 e), then e^(r/16) by a Taylor polynomial, squared four
// times, scaled by 2^n. exp64Generic does it in Go with explicit FMAs, in
// the order of that assembly's FMA path, so on amd64 CPUs with FMA it
// returns exactly what math.Exp returns (a test checks this), and the
// same on every other machine. The assembly kernels do the same
// operations on 8 (AVX-512) or 4 (AVX2+FMA) lanes at a time.

const (
	expLog2E    = 1.4426950408889634073599246810018920
	expLn2U     = 0.69314718055966295651160180568695068359375
	expLn2L     = 0.28235290563031577122588448175013436025525412068e-12
	expOverflow = 7.09782712893384e+02
)

// expPoly holds the Taylor coefficients 1/8! … 1/3!, 1/2, 1 in the order
// they enter the Horner scheme.
var expPoly = [8]float64{
	2.4801587301587301587e-5, 1.9841269841269841270e-4, 1.3888888888888888889e-3,
	8.3333333333333333333e-3, 4.1666666666666666667e-2, 1.6666666666666666667e-1,
	0.5, 1.0,
}

// exp64Generic returns e^x. Every product and sum is rounded on its own
// (the float64 conversions forbid the compiler to fuse them) except the
// explicit FMAs.
func exp64Generic(x float64) float64 {
	switch {
	case x != x || x > math.MaxFloat64: // NaN, +Inf
		return x
	case x < -math.MaxFloat64: // -Inf
		return 0
	case x > expOverflow:
		return math.Inf(1)
	}
	t := math.RoundToEven(float64(x * expLog2E))
	if t < math.MinInt32 {
		return 0 // the assembly's conversion overflows into an underflow
	}
	k := int32(t)
	n := float64(k)
	r := math.FMA(-n, expLn2U, x)
	r = math.FMA(-n, expLn2L, r)
	r = float64(r * 0.0625)
	p := expPoly[0]
	for _, c := range expPoly[1:] {
		p = math.FMA(p, r, c)
	}
	y := float64(r * p)
	y = float64(y * float64(y+2))
	y = float64(y * float64(y+2))
	y = float64(y * float64(y+2))
	y = math.FMA(y, float64(y+2), 1)
	biased := k + 0x3ff
	switch {
	case biased <= 0:
		if biased < -52 {
			return 0
		}
		y = float64(y * math.Float64frombits(uint64(biased+0x3fe)<<52))
		return float64(y * math.Float64frombits(1<<52))
	case biased >= 0x7ff:
		return math.Inf(1)
	}
	return float64(y * math.Float64frombits(uint64(biased)<<52))
}

// expScalar computes the elements the kernels leave to Go: exp64Generic,
// except on amd64 CPUs without FMA (over ten years old), where math.FMA
// runs in software and math.Exp is the faster way to its own result. Only
// there do the kernels' and math.Exp's exponentials differ; those CPUs have
// no exp64 kernel either.
var expScalar = exp64Generic

func init() {
	if runtime.GOARCH == "amd64" && !xcpu.X86.HasFMA {
		expScalar = math.Exp
	}
}

// Exp64 sets dst[i] = e^x[i] (see exp64Generic). x must be at least as
// long as dst.
func Exp64(dst, x []float64) {
	x = x[:len(dst)]
	for i := 0; i < len(x); {
		// The kernel stops before the first vector with a lane outside
		// its fast path (NaN, infinities, overflow, underflow) and at the
		// tail; the Go code takes one vector's worth from there.
		i += exp64(dst[i:], x[i:])
		for end := min(i+8, len(x)); i < end; i++ {
			dst[i] = expScalar(x[i])
		}
	}
}
