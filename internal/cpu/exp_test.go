package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	xcpu "golang.org/x/sys/cpu"
)

// expInputs returns random and edge-case arguments: the whole finite range,
// softmax's usual (-30, 0], and the borders of overflow and underflow.
func expInputs() []float64 {
	rng := rand.New(rand.NewPCG(7, 8))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 1e-300, -1e-300,
		expOverflow, math.Nextafter(expOverflow, 1), math.Nextafter(expOverflow, 0), 709.7, 710, -708, -708.4, -708.5,
		-709, -720, -744, -745, -745.2, -746, -1000, -1e9, -3e9, -1e300, math.MaxFloat64, -math.MaxFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Ln2, -math.Ln2, 88.7, -87.3, 1e-20}
	for i := 0; i < 200000; i++ {
		switch i % 4 {
		case 0:
			xs = append(xs, -30*rng.Float64())
		case 1:
			xs = append(xs, 1500*rng.Float64()-750)
		case 2:
			xs = append(xs, rng.NormFloat64())
		default:
			xs = append(xs, float64(float32(rng.NormFloat64()*10)))
		}
	}
	return xs
}

// On amd64 with FMA, math.Exp runs the assembly whose FMA path
// exp64Generic transcribes: they must agree bit for bit.
func TestExp64GenericMatchesMathExp(t *testing.T) {
	if !xcpu.X86.HasFMA || !xcpu.X86.HasAVX {
		t.Skip("math.Exp is another algorithm on this machine")
	}
	for _, x := range expInputs() {
		got, want := exp64Generic(x), math.Exp(x)
		if math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
			t.Fatalf("exp64Generic(%v) = %v, math.Exp = %v", x, got, want)
		}
	}
}

// Exp64 (the assembly where there is one) must equal exp64Generic on every
// input, at every length and offset, so the vector and tail paths are all
// exercised.
func TestExp64MatchesGeneric(t *testing.T) {
	xs := expInputs()
	dst := make([]float64, len(xs))
	for _, n := range []int{0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 33, 100, len(xs)} {
		for _, off := range []int{0, 1, 5} {
			x := xs[off : off+n]
			d := dst[:n]
			Exp64(d, x)
			for i, v := range x {
				want := expScalar(v)
				if math.Float64bits(d[i]) != math.Float64bits(want) && !(d[i] != d[i] && want != want) {
					t.Fatalf("n=%d off=%d: Exp64(%v) = %v, want %v", n, off, v, d[i], want)
				}
			}
		}
	}
}

// expBenchInput is a softmax-like batch: 128 rows of 10 shifted logits.
func expBenchInput() (dst, x []float64) {
	x = make([]float64, 1280)
	for i := range x {
		x[i] = -float64(i%10) * 0.7
	}
	return make([]float64, len(x)), x
}

func BenchmarkExp64(b *testing.B) {
	dst, x := expBenchInput()
	b.SetBytes(8 * int64(len(x)))
	for i := 0; i < b.N; i++ {
		Exp64(dst, x)
	}
}

func BenchmarkMathExp(b *testing.B) {
	dst, x := expBenchInput()
	b.SetBytes(8 * int64(len(x)))
	for i := 0; i < b.N; i++ {
		for j, v := range x {
			dst[j] = math.Exp(v)
		}
	}
}

// Exp and Sigmoid run on Exp64 in blocks; element by element they must
// give what the plain formulas give with exp64Generic, in place too.
func TestExpSigmoidFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 7, expBlock - 1, expBlock, expBlock + 1, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 30)
		}
		if n > 3 {
			x[0], x[1], x[2] = float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1))
		}
		e, s := make([]float32, n), append([]float32(nil), x...)
		Exp(e, x)
		Sigmoid(s, s)
		for i, v := range x {
			we := float32(expScalar(float64(v)))
			var ws float32
			if v >= 0 {
				ws = float32(1 / (1 + expScalar(-float64(v))))
			} else {
				ee := expScalar(float64(v))
				ws = float32(ee / (1 + ee))
			}
			if math.Float32bits(e[i]) != math.Float32bits(we) && !(we != we && e[i] != e[i]) {
				t.Fatalf("n=%d: Exp(%v) = %v, want %v", n, v, e[i], we)
			}
			if math.Float32bits(s[i]) != math.Float32bits(ws) && !(ws != ws && s[i] != s[i]) {
				t.Fatalf("n=%d: Sigmoid(%v) = %v, want %v", n, v, s[i], ws)
			}
		}
	}
}
