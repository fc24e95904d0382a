package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The F(4×4, 3×3) matrices in float64, written from Lavin and Gray's
// paper, for the references below.
var (
	ref4BT = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	ref4AT = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

func fill4(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestWino4TransformsMatchGeneric checks the F(4×4, 3×3) assembly
// transforms against the portable ones, bit for bit, with channel counts
// that take full vectors and a tail, strided layouts and every flag; and
// the portable ones against the matrices in float64.
func TestWino4TransformsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	orig := winoAsm
	defer func() { winoAsm = orig }()
	for _, c := range []int{1, 15, 16, 17, 48, 70} {
		rs, ps, vs := 7*c+3, c+1, 2*c+5
		src := fill4(rng, 5*rs+5*ps+c)
		run := func(asm bool) []float32 {
			winoAsm = asm && orig
			v := make([]float32, 35*vs+c)
			WinoInput4(src, rs, ps, v, vs, c)
			return v
		}
		va := run(true)
		same(t, "WinoInput4", c, va, run(false))
		// V = Bᵀ d B for the last channel.
		ch := c - 1
		for i := range 6 {
			for j := range 6 {
				var want float64
				for a := range 6 {
					for b := range 6 {
						want += ref4BT[i][a] * float64(src[a*rs+b*ps+ch]) * ref4BT[j][b]
					}
				}
				if got := float64(va[(6*i+j)*vs+ch]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("c=%d: V[%d][%d] = %v, want %v", c, i, j, got, want)
				}
			}
		}

		m0, bias := fill4(rng, 35*vs+c), fill4(rng, c)
		for _, fl := range []struct{ bias, relu, acc bool }{{false, false, false}, {true, false, false}, {true, true, false}, {false, true, false}, {false, false, true}} {
			y0 := fill4(rng, 3*rs+3*ps+c)
			run := func(asm bool) []float32 {
				winoAsm = asm && orig
				y := append([]float32(nil), y0...)
				m := append([]float32(nil), m0...)
				var b []float32
				if fl.bias {
					b = bias
				}
				WinoOutput4(m, vs, y, rs, ps, c, b, fl.relu, fl.acc)
				return y
			}
			ya := run(true)
			same(t, "WinoOutput4", c, ya, run(false))
			for i := range 4 {
				for j := range 4 {
					var want float64
					for a := range 6 {
						for b := range 6 {
							want += ref4AT[i][a] * float64(m0[(6*a+b)*vs+ch]) * ref4AT[j][b]
						}
					}
					o := i*rs + j*ps + ch
					switch {
					case fl.acc:
						want += float64(y0[o])
					default:
						if fl.bias {
							want += float64(bias[ch])
						}
						if fl.relu {
							want = max(want, 0)
						}
					}
					if got := float64(ya[o]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("c=%d %+v: Y[%d][%d] = %v, want %v", c, fl, i, j, got, want)
					}
				}
			}
		}

		dy, z0 := fill4(rng, 3*rs+3*ps+c), fill4(rng, 35*vs+c)
		runA := func(asm bool) []float32 {
			winoAsm = asm && orig
			z := append([]float32(nil), z0...)
			WinoOutputAdjoint4(dy, rs, ps, z, vs, c)
			return z
		}
		za := runA(true)
		same(t, "WinoOutputAdjoint4", c, za, runA(false))
		for a := range 6 {
			for b := range 6 {
				var want float64
				for i := range 4 {
					for j := range 4 {
						want += ref4AT[i][a] * float64(dy[i*rs+j*ps+ch]) * ref4AT[j][b]
					}
				}
				if got := float64(za[(6*a+b)*vs+ch]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("c=%d: Z[%d][%d] = %v, want %v", c, a, b, got, want)
				}
			}
		}
	}
}

// TestWino4ComputesConvolution checks that the three forward transforms
// together compute the 4×4 valid correlation of a 6×6 tile with a 3×3
// kernel, against the direct sum in float64, and that the two kernel
// transforms are adjoint: <G g Gᵀ, dU> = <g, Gᵀ dU G>.
func TestWino4ComputesConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 20 {
		d, g := fill4(rng, 36), fill4(rng, 9)
		v := make([]float32, 36)
		WinoInput4(d, 6, 1, v, 1, 1)
		u := make([]float32, 36)
		WinoFilter4(g, 1, u, 1, 1)
		m := make([]float32, 36)
		for e := range m {
			m[e] = u[e] * v[e]
		}
		y := make([]float32, 16)
		WinoOutput4(m, 1, y, 4, 1, 1, nil, false, false)
		for i := range 4 {
			for j := range 4 {
				var want float64
				for a := range 3 {
					for b := range 3 {
						want += float64(d[(i+a)*6+j+b]) * float64(g[3*a+b])
					}
				}
				if math.Abs(float64(y[4*i+j])-want) > 2e-5*(1+math.Abs(want)) {
					t.Fatalf("trial %d: y[%d][%d] = %v, want %v", trial, i, j, y[4*i+j], want)
				}
			}
		}
		du, w0 := fill4(rng, 36), fill4(rng, 9)
		w := append([]float32(nil), w0...)
		WinoFilterAdjoint4(append([]float32(nil), du...), 1, w, 1, 1)
		var lhs, rhs float64
		for e := range 36 {
			lhs += float64(u[e]) * float64(du[e])
		}
		for k := range 9 {
			rhs += float64(g[k]) * float64(w[k]-w0[k])
		}
		if math.Abs(lhs-rhs) > 1e-5*(1+math.Abs(lhs)) {
			t.Fatalf("trial %d: <U, dU> = %v, <g, dg> = %v", trial, lhs, rhs)
		}
	}
}

// TestWino4OutputAdjoint checks <Aᵀ M A, dY> = <M, A dY Aᵀ>.
func TestWino4OutputAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, f := range []int{1, 16, 33} {
		m0, dy := fill4(rng, 36*f), fill4(rng, 16*f)
		m := append([]float32(nil), m0...)
		y := make([]float32, 16*f)
		WinoOutput4(m, f, y, 4*f, f, f, nil, false, false)
		z := make([]float32, 36*f)
		WinoOutputAdjoint4(dy, 4*f, f, z, f, f)
		for fo := range f {
			var lhs, rhs float64
			for k := range 16 {
				lhs += float64(y[k*f+fo]) * float64(dy[k*f+fo])
			}
			for e := range 36 {
				rhs += float64(m0[e*f+fo]) * float64(z[e*f+fo])
			}
			if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
				t.Fatalf("f=%d, filter %d: <Y, dY> = %v, <M, Z> = %v", f, fo, lhs, rhs)
			}
		}
	}
}

// TestWino4FilterMatchesGeneric checks the F(4×4, 3×3) kernel transform
// and its adjoint, assembly against portable code bit for bit, and the
// transform against G g Gᵀ in float64.
func TestWino4FilterMatchesGeneric(t *testing.T) {
	G := [6][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	rng := rand.New(rand.NewPCG(13, 14))
	orig := winoAsm
	defer func() { winoAsm = orig }()
	for _, n := range []int{1, 16, 35, 64} {
		ws, us := n+7, n+3
		w := fill4(rng, 8*ws+n)
		run := func(asm bool) []float32 {
			winoAsm = asm && orig
			u := make([]float32, 35*us+n)
			WinoFilter4(w, ws, u, us, n)
			return u
		}
		ua := run(true)
		same(t, "WinoFilter4", n, ua, run(false))
		k := n - 1
		for i := range 6 {
			for j := range 6 {
				var want float64
				for a := range 3 {
					for b := range 3 {
						want += G[i][a] * float64(w[(3*a+b)*ws+k]) * G[j][b]
					}
				}
				if got := float64(ua[(6*i+j)*us+k]); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
					t.Fatalf("n=%d: U[%d][%d] = %v, want %v", n, i, j, got, want)
				}
			}
		}
		du, w0 := fill4(rng, 35*us+n), fill4(rng, 8*ws+n)
		runA := func(asm bool) []float32 {
			winoAsm = asm && orig
			w := append([]float32(nil), w0...)
			WinoFilterAdjoint4(append([]float32(nil), du...), us, w, ws, n)
			return w
		}
		wa := runA(true)
		same(t, "WinoFilterAdjoint4", n, wa, runA(false))
		for a := range 3 {
			for b := range 3 {
				var want float64
				for i := range 6 {
					for j := range 6 {
						want += G[i][a] * float64(du[(6*i+j)*us+k]) * G[j][b]
					}
				}
				want += float64(w0[(3*a+b)*ws+k])
				if got := float64(wa[(3*a+b)*ws+k]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("n=%d: dg[%d][%d] = %v, want %v", n, a, b, got, want)
				}
			}
		}
	}
}
