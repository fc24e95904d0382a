//go:build !noasm

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vecVariants lists the vector kernel sets this machine can run.
func vecVariants() []int {
	v := []int{vecGeneric}
	if d := detectVecISA(); d >= vecAVX2 {
		v = append(v, vecAVX2)
		if d >= vecAVX512 {
			v = append(v, vecAVX512)
		}
	}
	return v
}

var vecNames = [...]string{"generic", "avx2", "avx512"}

// useVec makes the kernels run the given set until restore is called.
func useVec(isa int) (restore func()) {
	old := vecISA
	vecISA = isa
	return func() { vecISA = old }
}

var vecLens = []int{0, 1, 2, 7, 15, 16, 17, 31, 33, 100, 513, 1000}

// vecSpecials are the values mixed into random test data.
var vecSpecials = []float32{
	0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.Float32frombits(0xffc00001), // NaN with the sign bit set
	math.Float32frombits(1), math.Float32frombits(0x807fffff), // denormals
	math.SmallestNonzeroFloat32 * 1000, math.MaxFloat32, -math.MaxFloat32, 1e-38, -1e-38,
}

// vecData returns n random values with a random scale, some of them
// special when specials.
func vecData(rng *rand.Rand, n int, specials bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch {
		case specials && rng.IntN(8) == 0:
			x[i] = vecSpecials[rng.IntN(len(vecSpecials))]
		default:
			x[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
		}
	}
	return x
}

// guarded copies x into a larger buffer at offset off with sentinels around
// it, so that writes outside x show up in check.
type guarded struct {
	buf    []float32
	off, n int
}

const guardLen = 40

var sentinel = math.Float32frombits(0x7fa5a5a5)

func guard(x []float32, off int) *guarded {
	g := &guarded{buf: make([]float32, off+len(x)+guardLen), off: off, n: len(x)}
	for i := range g.buf {
		g.buf[i] = sentinel
	}
	copy(g.s(), x)
	return g
}

func (g *guarded) s() []float32 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

func (g *guarded) check(t *testing.T, what string) {
	t.Helper()
	for i, v := range g.buf {
		if (i < g.off || i >= g.off+g.n) && math.Float32bits(v) != math.Float32bits(sentinel) {
			t.Fatalf("%s wrote outside its slice at %d", what, i-g.off)
		}
	}
}

// sameBits reports whether got and want are the same float32s, any NaN
// matching any NaN.
func sameBits(got, want []float32) (int, bool) {
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			return i, false
		}
	}
	return 0, true
}

// vecCase runs op with every kernel set on guarded copies of inputs (at
// slice offset off) and checks that all sets give the generic results bit
// for bit and write nothing outside the slices.
func vecCase(t *testing.T, name string, off int, inputs [][]float32, op func(s [][]float32)) {
	t.Helper()
	var want [][]float32
	for _, isa := range vecVariants() {
		gs := make([]*guarded, len(inputs))
		s := make([][]float32, len(inputs))
		for i, in := range inputs {
			gs[i] = guard(in, off)
			s[i] = gs[i].s()
		}
		restore := useVec(isa)
		op(s)
		restore()
		what := fmt.Sprintf("%s/%s/len=%d/off=%d", name, vecNames[isa], len(inputs[0]), off)
		for _, g := range gs {
			g.check(t, what)
		}
		if isa == vecGeneric {
			want = s
			continue
		}
		for k := range s {
			if i, ok := sameBits(s[k], want[k]); !ok {
				t.Fatalf("%s: operand %d at %d = %v (%#08x), generic gives %v (%#08x); inputs %v",
					what, k, i, s[k][i], math.Float32bits(s[k][i]), want[k][i], math.Float32bits(want[k][i]), inputValues(inputs, i))
			}
		}
	}
}

func inputValues(inputs [][]float32, i int) []float32 {
	var v []float32
	for _, in := range inputs {
		if i < len(in) {
			v = append(v, in[i])
		}
	}
	return v
}

func TestVecKernelsMatchGeneric(t *testing.T) {
	if len(vecVariants()) == 1 {
		t.Skip("no AVX2 on this machine")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphas := []float32{0, -1, 0.37, float32(math.Inf(1)), float32(math.NaN())}
	for _, n := range vecLens {
		for _, off := range []int{0, 1, 3} {
			for _, specials := range []bool{false, true} {
				d := func() []float32 { return vecData(rng, n, specials) }
				alpha := float32(rng.NormFloat64())
				if specials {
					alpha = alphas[rng.IntN(len(alphas))]
				}
				vecCase(t, "Axpy", off, [][]float32{d(), d()}, func(s [][]float32) { Axpy(s[0], s[1], alpha) })
				vecCase(t, "Scale", off, [][]float32{d()}, func(s [][]float32) { Scale(s[0], alpha) })
				vecCase(t, "Add", off, [][]float32{d(), d(), d()}, func(s [][]float32) { Add(s[0], s[1], s[2]) })
				vecCase(t, "Sub", off, [][]float32{d(), d(), d()}, func(s [][]float32) { Sub(s[0], s[1], s[2]) })
				vecCase(t, "Mul", off, [][]float32{d(), d(), d()}, func(s [][]float32) { Mul(s[0], s[1], s[2]) })
				vecCase(t, "AddMul", off, [][]float32{d(), d(), d()}, func(s [][]float32) { AddMul(s[0], s[1], s[2]) })
				vecCase(t, "Relu", off, [][]float32{d(), d()}, func(s [][]float32) { Relu(s[0], s[1]) })
				vecCase(t, "ReluInPlace", off, [][]float32{d()}, func(s [][]float32) { Relu(s[0], s[0]) })
				vecCase(t, "Sigmoid", off, [][]float32{d(), d()}, func(s [][]float32) { Sigmoid(s[0], s[1]) })
				vecCase(t, "SigmoidInPlace", off, [][]float32{d()}, func(s [][]float32) { Sigmoid(s[0], s[0]) })
				vecCase(t, "ExpTanh", off, [][]float32{d(), d()}, func(s [][]float32) { ExpTanh(s[0], s[1]) })
				vecCase(t, "ExpTanhInPlace", off, [][]float32{d()}, func(s [][]float32) { ExpTanh(s[0], s[0]) })
				vecCase(t, "SigmoidF32", off, [][]float32{d(), d()}, func(s [][]float32) { SigmoidF32(s[0], s[1]) })
				vecCase(t, "SigmoidF32InPlace", off, [][]float32{d()}, func(s [][]float32) { SigmoidF32(s[0], s[0]) })
				vecCase(t, "TanhF32", off, [][]float32{d(), d()}, func(s [][]float32) { TanhF32(s[0], s[1]) })
				vecCase(t, "TanhF32InPlace", off, [][]float32{d()}, func(s [][]float32) { TanhF32(s[0], s[0]) })
				vecCase(t, "TanhGrad", off, [][]float32{d(), d()}, func(s [][]float32) { TanhGrad(s[0], s[1]) })
				vecCase(t, "SigmoidGrad", off, [][]float32{d(), d()}, func(s [][]float32) { SigmoidGrad(s[0], s[1]) })
				vecCase(t, "OneMinus", off, [][]float32{d(), d()}, func(s [][]float32) { OneMinus(s[0], s[1]) })
				vecCase(t, "HardSigmoid", off, [][]float32{d()}, func(s [][]float32) { HardSigmoid(s[0]) })
				vecCase(t, "HardSigmoidGrad", off, [][]float32{d(), gateOutputs(rng, n)}, func(s [][]float32) { HardSigmoidGrad(s[0], s[1]) })
				vecCase(t, "ReluBackward", off, [][]float32{d(), d(), d()}, func(s [][]float32) { ReluBackward(s[0], s[1], s[2]) })
				vecCase(t, "Sum", off, [][]float32{d(), {0}}, func(s [][]float32) { s[1][0] = Sum(s[0]) })
				vecCase(t, "SumSquares", off, [][]float32{d(), {0, 0}}, func(s [][]float32) {
					v := SumSquares(s[0])
					if math.IsNaN(v) { // the payload is not specified
						v = math.NaN()
					}
					b := math.Float64bits(v)
					s[1][0], s[1][1] = math.Float32frombits(uint32(b>>32)), math.Float32frombits(uint32(b))
				})
				b1, b2, lr, eps := float32(0.9), float32(0.999), float32(1e-3), float32(1e-7)
				if specials {
					b1, b2, lr, eps = rng.Float32(), rng.Float32(), float32(rng.NormFloat64()), rng.Float32()*1e-3
				}
				vecCase(t, "AdamUpdate", off, [][]float32{d(), d(), d(), d()}, func(s [][]float32) {
					AdamUpdate(s[0], s[1], s[2], s[3], b1, b2, lr, eps)
				})
				if n == 0 {
					continue
				}
				for _, rows := range []int{1, 2, 5, 37} {
					if rows == 37 && n > 64 {
						continue // 37 rows exercise AddBias's widening of narrow rows
					}
					x := vecData(rng, n*rows+rng.IntN(n), specials) // and a partial row
					vecCase(t, fmt.Sprintf("AddBias/rows=%d", rows), off, [][]float32{x, d()}, func(s [][]float32) { AddBias(s[0], s[1]) })
					vecCase(t, fmt.Sprintf("SumRows/rows=%d", rows), off, [][]float32{d(), x}, func(s [][]float32) { SumRows(s[0], s[1]) })
				}
			}
		}
	}
}

// gateOutputs returns n values as a gate's outputs have them, many exactly
// 0 or 1 (hard_sigmoid's flat parts), NaN among them.
func gateOutputs(rng *rand.Rand, n int) []float32 {
	y := make([]float32, n)
	for i := range y {
		switch rng.IntN(5) {
		case 0:
			y[i] = 0
		case 1:
			y[i] = 1
		case 2:
			y[i] = vecSpecials[rng.IntN(len(vecSpecials))]
		default:
			y[i] = rng.Float32()*1.2 - 0.1
		}
	}
	return y
}

// TestAdamUpdateRealistic runs many Adam steps on one parameter vector with
// each kernel set: the trajectories must stay bit-identical.
func TestAdamUpdateRealistic(t *testing.T) {
	const n, steps = 1000, 20
	rng := rand.New(rand.NewPCG(3, 4))
	grads := make([][]float32, steps)
	for i := range grads {
		grads[i] = make([]float32, n)
		for j := range grads[i] {
			grads[i][j] = float32(rng.NormFloat64() * 1e-2)
		}
	}
	var want []float32
	for _, isa := range vecVariants() {
		restore := useVec(isa)
		p, m, v := make([]float32, n), make([]float32, n), make([]float32, n)
		for j := range p {
			p[j] = float32(j%17) / 17
		}
		for i, g := range grads {
			lrT := float32(1e-3 * math.Sqrt(1-math.Pow(0.999, float64(i+1))) / (1 - math.Pow(0.9, float64(i+1))))
			AdamUpdate(p, g, m, v, 0.9, 0.999, lrT, 1e-7)
		}
		restore()
		if want == nil {
			want = p
		} else if i, ok := sameBits(p, want); !ok {
			t.Fatalf("%s: p[%d] = %v, generic gives %v", vecNames[isa], i, p[i], want[i])
		}
	}
}

// BenchmarkVec runs each kernel at the size of a 64×64 map and of the deep
// MNIST net's parameter count, with each kernel set.
func BenchmarkVec(b *testing.B) {
	for _, n := range []int{64 * 64, 59000} {
		rng := rand.New(rand.NewPCG(5, 6))
		x, y, z, w := vecData(rng, n, false), vecData(rng, n, false), vecData(rng, n, false), vecData(rng, n, false)
		for i := range w {
			w[i] = float32(math.Abs(float64(w[i])))
		}
		ops := []struct {
			name string
			f    func()
		}{
			{"AdamUpdate", func() { AdamUpdate(x, y, z, w, 0.9, 0.999, 1e-3, 1e-7) }},
			{"Relu", func() { Relu(y, x) }},
			{"ReluBackward", func() { ReluBackward(z, y, x) }},
			{"Axpy", func() { Axpy(y, x, 1e-3) }},
			{"Scale", func() { Scale(y, 1) }},
			{"Add", func() { Add(z, x, y) }},
			{"Mul", func() { Mul(z, x, y) }},
			{"AddMul", func() { AddMul(z, x, y) }},
			{"AddBias128", func() { AddBias(z, x[:128]) }},
			{"AddBias10", func() { AddBias(z, x[:10]) }},
			{"SumRows128", func() { SumRows(y[:128], z) }},
			{"SumRows10", func() { SumRows(y[:10], z) }},
			{"Sum", func() { Sum(x) }},
		}
		for _, op := range ops {
			for _, isa := range vecVariants() {
				b.Run(fmt.Sprintf("%s/n=%d/%s", op.name, n, vecNames[isa]), func(b *testing.B) {
					defer useVec(isa)()
					b.SetBytes(int64(4 * n))
					for b.Loop() {
						op.f()
					}
				})
			}
		}
	}
}

// Each exp64 kernel equals exp64Generic on every input, at every length and
// offset (vector, tail and special-lane paths).
func TestExp64KernelsMatchGeneric(t *testing.T) {
	xs := expInputs()
	for _, isa := range vecVariants() {
		restore := useVec(isa)
		dst := make([]float64, len(xs))
		for _, n := range vecLens {
			for _, off := range []int{0, 1, 3} {
				if off+n > len(xs) {
					continue
				}
				d, x := dst[:n], xs[off:off+n]
				Exp64(d, x)
				for i, v := range x {
					if want := expScalar(v); math.Float64bits(d[i]) != math.Float64bits(want) && !(want != want && d[i] != d[i]) {
						t.Fatalf("%s: n=%d off=%d: exp(%v) = %v, want %v", vecNames[isa], n, off, v, d[i], want)
					}
				}
			}
		}
		Exp64(dst, xs)
		for i, v := range xs {
			if want := expScalar(v); math.Float64bits(dst[i]) != math.Float64bits(want) && !(want != want && dst[i] != dst[i]) {
				t.Fatalf("%s: exp(%v) = %v, want %v", vecNames[isa], v, dst[i], want)
			}
		}
		restore()
	}
}

// TestSumRowsStridedAndParallel checks the kernels' row stride (a column
// range of wider rows) against the Go code, and that SumRows' split of a
// large input over the pool's workers gives the serial sum bit for bit.
func TestSumRowsStridedAndParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, isa := range vecVariants() {
		restore := useVec(isa)
		for _, c := range []struct{ n, rows, ld int }{{1, 1, 1}, {17, 5, 40}, {128, 3, 1024}, {300, 7, 301}, {1000, 300, 1000}, {1024, 512, 1024}} {
			x := vecData(rng, (c.rows-1)*c.ld+c.n, false)
			init := vecData(rng, c.n, false)
			got, want := append([]float32(nil), init...), append([]float32(nil), init...)
			sumRows(got, x, c.rows, c.ld)
			sumRowsGeneric(want, x, c.rows, c.ld)
			if i, ok := sameBits(got, want); !ok {
				t.Fatalf("%s: sumRows n=%d rows=%d ld=%d: [%d] = %v, Go gives %v", vecNames[isa], c.n, c.rows, c.ld, i, got[i], want[i])
			}
			if c.ld == c.n {
				par := append([]float32(nil), init...)
				SumRows(par, x)
				if i, ok := sameBits(par, want); !ok {
					t.Fatalf("%s: SumRows n=%d rows=%d: [%d] = %v, serial %v", vecNames[isa], c.n, c.rows, i, par[i], want[i])
				}
			}
		}
		restore()
	}
}

// BenchmarkSumRows sums the gate gradients of the book's LSTM (4·256
// columns) over a backward chunk of 4 steps of 128 samples and over all
// 100 steps, with the serial kernel and with SumRows' column split.
func BenchmarkSumRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 1024
	for _, rows := range []int{512, 12800} {
		x, dst := vecData(rng, rows*n, false), make([]float32, n)
		b.Run(fmt.Sprintf("rows=%d/serial", rows), func(b *testing.B) {
			b.SetBytes(int64(4 * rows * n))
			for b.Loop() {
				sumRows(dst, x, rows, n)
			}
		})
		b.Run(fmt.Sprintf("rows=%d/SumRows", rows), func(b *testing.B) {
			b.SetBytes(int64(4 * rows * n))
			for b.Loop() {
				SumRows(dst, x)
			}
		})
	}
}
