package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinoTransformsMatchGeneric checks the assembly tile transforms
// against the portable ones, bit for bit, with channel counts that take
// full vectors and a tail, strided layouts, and every flag.
func TestWinoTransformsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	orig := winoAsm
	defer func() { winoAsm = orig }()
	for _, c := range []int{1, 15, 16, 17, 48, 70} {
		rs, ps, vs := 5*c+3, c+1, 2*c+5
		src := fill(3*rs + 3*ps + c)
		run := func(asm bool) []float32 {
			winoAsm = asm && orig
			v := make([]float32, 15*vs+c)
			WinoInput(src, rs, ps, v, vs, c)
			return v
		}
		asm, gen := run(true), run(false)
		same(t, "WinoInput", c, asm, gen)
		m, bias := fill(15*vs+c), fill(c)
		for _, fl := range []struct{ bias, relu, acc bool }{{false, false, false}, {true, false, false}, {true, true, false}, {false, true, false}, {false, false, true}} {
			y0 := fill(rs + ps + c)
			run := func(asm bool) []float32 {
				winoAsm = asm && orig
				y := append([]float32(nil), y0...)
				var b []float32
				if fl.bias {
					b = bias
				}
				WinoOutput(m, vs, y, rs, ps, c, b, fl.relu, fl.acc)
				return y
			}
			asm, gen := run(true), run(false)
			same(t, "WinoOutput", c, asm, gen)
		}
	}
}

func TestWinoFilterMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	orig := winoAsm
	defer func() { winoAsm = orig }()
	for _, n := range []int{1, 16, 35, 64} {
		ws, us := n+7, n+3
		w := make([]float32, 8*ws+n)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		run := func(asm bool) []float32 {
			winoAsm = asm && orig
			u := make([]float32, 15*us+n)
			WinoFilter(w, ws, u, us, n)
			return u
		}
		asm, gen := run(true), run(false)
		same(t, "WinoFilter", n, asm, gen)
		// Against G g Gᵀ in float64, for kernel 0.
		G := [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
		for i := range 4 {
			for j := range 4 {
				var want float64
				for a := range 3 {
					for b := range 3 {
						want += G[i][a] * float64(w[(3*a+b)*ws]) * G[j][b]
					}
				}
				if got := float64(asm[(4*i+j)*us]); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
					t.Fatalf("n=%d: U[%d][%d] = %v, want %v", n, i, j, got, want)
				}
			}
		}
	}
}

// TestWinoAdjointsMatchGeneric checks the adjoint transforms' assembly
// against the portable code, bit for bit, and each adjoint against its
// transform: <T x, y> = <x, Tᵀ y>.
func TestWinoAdjointsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	orig := winoAsm
	defer func() { winoAsm = orig }()
	for _, n := range []int{1, 16, 35, 64} {
		rs, ps, zs := 3*n+1, n+2, n+5
		y, z0 := fill(rs+ps+n), fill(15*zs+n)
		run := func(asm bool) []float32 {
			winoAsm = asm && orig
			z := append([]float32(nil), z0...)
			WinoOutputAdjoint(y, rs, ps, z, zs, n)
			return z
		}
		za := run(true)
		same(t, "WinoOutputAdjoint", n, za, run(false))
		// <Aᵀ M A, dY> = <M, A dY Aᵀ> for the first filter.
		m := fill(15*zs + n)
		out := make([]float32, rs+ps+n)
		WinoOutput(m, zs, out, rs, ps, n, nil, false, false)
		var lhs, rhs float64
		for i := range 2 {
			for j := range 2 {
				lhs += float64(out[i*rs+j*ps]) * float64(y[i*rs+j*ps])
			}
		}
		for e := range 16 {
			rhs += float64(m[e*zs]) * float64(za[e*zs])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Fatalf("n=%d: <Y, dY> = %v, <M, Z> = %v", n, lhs, rhs)
		}

		ws, us := n+3, n+7
		u, w0 := fill(15*us+n), fill(8*ws+n)
		runF := func(asm bool) []float32 {
			winoAsm = asm && orig
			w := append([]float32(nil), w0...)
			WinoFilterAdjoint(u, us, w, ws, n)
			return w
		}
		wa := runF(true)
		same(t, "WinoFilterAdjoint", n, wa, runF(false))
		// <G g Gᵀ, dU> = <g, Gᵀ dU G> for the first kernel.
		g := fill(8*ws + n)
		ug := make([]float32, 15*us+n)
		WinoFilter(g, ws, ug, us, n)
		lhs, rhs = 0, 0
		for e := range 16 {
			lhs += float64(ug[e*us]) * float64(u[e*us])
		}
		for k := range 9 {
			rhs += float64(g[k*ws]) * float64(wa[k*ws]-w0[k*ws])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Fatalf("n=%d: <U, dU> = %v, <g, dg> = %v", n, lhs, rhs)
		}
	}
}

func TestTranspose(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {8, 8}, {13, 21}, {64, 40}} {
		rows, cols := sz[0], sz[1]
		src := make([]float32, rows*(cols+2))
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, cols*(rows+1))
		Transpose(dst, rows+1, src, cols+2, rows, cols)
		for i := range rows {
			for p := range cols {
				if dst[p*(rows+1)+i] != src[i*(cols+2)+p] {
					t.Fatalf("%d×%d: dst[%d][%d] = %v, want %v", rows, cols, p, i, dst[p*(rows+1)+i], src[i*(cols+2)+p])
				}
			}
		}
	}
}

func same(t *testing.T, name string, c int, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s, %d channels: [%d] = %v (assembly), %v (portable)", name, c, i, a[i], b[i])
		}
	}
}

// TestWinoInputKnown checks the input transform on a tile of ones with one
// channel: Bᵀ 1 B has 4 at the centre elements' pattern below.
func TestWinoTransformsKnown(t *testing.T) {
	// The transforms of a tile whose only nonzero pixel is (1, 1):
	// V = Bᵀ d B with d = e₁e₁ᵀ is the outer product of B's row 1,
	// (0, 1, −1, 1), with itself.
	src := make([]float32, 16)
	src[5] = 1
	v := make([]float32, 16)
	WinoInput(src, 4, 1, v, 1, 1)
	col := []float32{0, 1, -1, 1}
	for i := range 4 {
		for j := range 4 {
			if v[4*i+j] != col[i]*col[j] {
				t.Fatalf("V[%d][%d] = %v, want %v", i, j, v[4*i+j], col[i]*col[j])
			}
		}
	}
	// Aᵀ M A of M = all ones: Aᵀ 1 A = (row sums of Aᵀ)ᵀ (row sums): (3, −1).
	m := make([]float32, 16)
	for i := range m {
		m[i] = 1
	}
	y := make([]float32, 4)
	WinoOutput(m, 1, y, 2, 1, 1, nil, false, false)
	if want := []float32{9, -3, -3, 1}; y[0] != want[0] || y[1] != want[1] || y[2] != want[2] || y[3] != want[3] {
		t.Fatalf("Aᵀ 1 A = %v, want %v", y, want)
	}
}
