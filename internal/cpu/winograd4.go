package cpu

import "fmt"

// The tile transforms of Winograd's F(4×4, 3×3) convolution (Lavin and
// Gray, 2015; interpolation points 0, ±1, ±2 and ∞), vectorized over the
// channels of channels-last images as the F(2×2, 3×3) ones are. A 6×6
// input tile gives a 4×4 output tile through 36 elementwise products:
//
//	     | 4  0 −5  0  1  0 |              | ¼    0    0  |
//	     | 0 −4 −4  1  1  0 |              | −⅙  −⅙   −⅙  |
//	Bᵀ = | 0  4 −4 −1  1  0 |          G = | −⅙   ⅙   −⅙  |
//	     | 0 −2 −1  2  1  0 |              | 1⁄24 1⁄12 ⅙  |
//	     | 0  2 −1 −2  1  0 |              | 1⁄24 −1⁄12 ⅙ |
//	     | 0  4  0 −5  0  1 |              | 0    0    1  |
//
//	     | 1  1  1  1  1  0 |
//	Aᵀ = | 0  1 −1  2 −2  0 |
//	     | 0  1  1  4  4  0 |
//	     | 0  1 −1  8 −8  1 |
//
// The input, output and output-gradient transforms multiply only by
// powers of two, which is exact, so a fused multiply-add and a multiply
// followed by an add give the same bits: the assembly (FMAs) and the
// portable code below agree bit for bit. Each 2-D transform runs the 1-D
// transform over the rows of the tile first, then over its columns, with
// the intermediate rows kept in the destination (or, for the output
// transform, in the products, which it overwrites).
//
// The kernel transforms (G's constants are not powers of two) round each
// product before adding it, in the assembly as in the portable code.

// Wino4Elems is the number of elements of a transformed F(4×4, 3×3) tile.
const Wino4Elems = 36

// wino4In is the 1-D input transform Bᵀ d of six values.
func wino4In(d0, d1, d2, d3, d4, d5 float32) (o0, o1, o2, o3, o4, o5 float32) {
	p := d4 - d2
	o0 = 4*(d0-d2) + p
	o1 = (d3 + d4) - 4*(d1+d2)
	o2 = (d4 - d3) + 4*(d1-d2)
	s := d3 - d1
	o3 = p + 2*s
	o4 = p - 2*s
	o5 = 4*(d1-d3) + (d5 - d3)
	return
}

// wino4Out is the 1-D output transform Aᵀ m of six values.
func wino4Out(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b := m1+m2, m1-m2
	c, d := m3+m4, m3-m4
	y0 = (m0 + a) + c
	y1 = b + 2*d
	y2 = a + 4*c
	y3 = (b + 8*d) + m5
	return
}

// wino4Adj is the 1-D adjoint of the output transform, A d of four values.
func wino4Adj(d0, d1, d2, d3 float32) (z0, z1, z2, z3, z4, z5 float32) {
	p, q := d0+d2, d1+d3
	r, s := d0+4*d2, 2*(d1+4*d3)
	return d0, p + q, p - q, r + s, r - s, d3
}

// WinoInput4 computes the 36 elements of V = Bᵀ d B, for each of c
// channels, of the 6×6 tile d whose pixel (i, j) starts at src[i·rs+j·ps],
// and writes element e at v[e·vs:e·vs+c].
func WinoInput4(src []float32, rs, ps int, v []float32, vs, c int) {
	if c <= 0 {
		return
	}
	if rs < 0 || ps < 0 || vs < 0 || len(src) < 5*rs+5*ps+c || len(v) < 35*vs+c {
		panic(fmt.Sprintf("cpu: WinoInput4: %d and %d floats for strides %d, %d, %d and %d channels", len(src), len(v), rs, ps, vs, c))
	}
	done := 0
	if winoAsm && c >= 16 {
		done = c &^ 15
		wino4InputAVX512(&src[0], rs, ps, &v[0], vs, done/16)
	}
	winoInput4Generic(src, rs, ps, v, vs, done, c)
}

// winoInput4Generic is WinoInput4 for channels [c0, c), the reference of
// the assembly.
func winoInput4Generic(src []float32, rs, ps int, v []float32, vs, c0, c int) {
	for ch := c0; ch < c; ch++ {
		for i := range 6 {
			r := src[i*rs+ch:]
			o := 6*i*vs + ch
			v[o], v[o+vs], v[o+2*vs], v[o+3*vs], v[o+4*vs], v[o+5*vs] =
				wino4In(r[0], r[ps], r[2*ps], r[3*ps], r[4*ps], r[5*ps])
		}
		for j := range 6 {
			o := j*vs + ch
			s := 6 * vs
			v[o], v[o+s], v[o+2*s], v[o+3*s], v[o+4*s], v[o+5*s] =
				wino4In(v[o], v[o+s], v[o+2*s], v[o+3*s], v[o+4*s], v[o+5*s])
		}
	}
}

// WinoOutput4 computes the 4×4 outputs Aᵀ M A, for each of f filters, of
// the products whose element e is m[e·ms:e·ms+f], and writes output (i, j)
// at y[i·rs+j·ps:]: with bias added (nil for none) and ReLU applied, as
// AddBias and Relu do, or, with acc, added to y (bias and relu unused).
// The products are overwritten.
func WinoOutput4(m []float32, ms int, y []float32, rs, ps, f int, bias []float32, relu, acc bool) {
	if f <= 0 {
		return
	}
	if ms < 0 || rs < 0 || ps < 0 || len(m) < 35*ms+f || len(y) < 3*rs+3*ps+f || (bias != nil && len(bias) < f) {
		panic(fmt.Sprintf("cpu: WinoOutput4: %d and %d floats for strides %d, %d, %d and %d filters", len(m), len(y), ms, rs, ps, f))
	}
	if acc {
		bias, relu = nil, false
	}
	done := 0
	if winoAsm && f >= 16 {
		done = f &^ 15
		flags := 0
		var bp *float32
		if bias != nil {
			flags |= 1
			bp = &bias[0]
		}
		if relu {
			flags |= 2
		}
		if acc {
			flags |= 4
		}
		wino4OutputAVX512(&m[0], ms, &y[0], rs, ps, done/16, bp, flags)
	}
	winoOutput4Generic(m, ms, y, rs, ps, done, f, bias, relu, acc)
}

// winoOutput4Generic is WinoOutput4 for filters [f0, f), the reference of
// the assembly.
func winoOutput4Generic(m []float32, ms int, y []float32, rs, ps, f0, f int, bias []float32, relu, acc bool) {
	for fo := f0; fo < f; fo++ {
		for i := range 6 {
			o := 6*i*ms + fo
			m[o], m[o+ms], m[o+2*ms], m[o+3*ms] =
				wino4Out(m[o], m[o+ms], m[o+2*ms], m[o+3*ms], m[o+4*ms], m[o+5*ms])
		}
		for k := range 4 {
			o, s := k*ms+fo, 6*ms
			var out [4]float32
			out[0], out[1], out[2], out[3] = wino4Out(m[o], m[o+s], m[o+2*s], m[o+3*s], m[o+4*s], m[o+5*s])
			for i, v := range out {
				p := i*rs + k*ps + fo
				if acc {
					y[p] += v
					continue
				}
				if bias != nil {
					v += bias[fo]
				}
				if relu {
					v = reluOne(v)
				}
				y[p] = v
			}
		}
	}
}

// WinoOutputAdjoint4 computes the 36 elements of Z = A dY Aᵀ, the adjoint
// of WinoOutput4's transform, for each of f filters of the 4×4 tile dY
// whose element (i, j) starts at y[i·rs+j·ps], and writes element e at
// z[e·zs:e·zs+f].
func WinoOutputAdjoint4(y []float32, rs, ps int, z []float32, zs, f int) {
	if f <= 0 {
		return
	}
	if rs < 0 || ps < 0 || zs < 0 || len(y) < 3*rs+3*ps+f || len(z) < 35*zs+f {
		panic(fmt.Sprintf("cpu: WinoOutputAdjoint4: %d and %d floats for strides %d, %d, %d and %d filters", len(y), len(z), rs, ps, zs, f))
	}
	done := 0
	if winoAsm && f >= 16 {
		done = f &^ 15
		wino4OutputAdjointAVX512(&y[0], rs, ps, &z[0], zs, done/16)
	}
	winoOutputAdjoint4Generic(y, rs, ps, z, zs, done, f)
}

func winoOutputAdjoint4Generic(y []float32, rs, ps int, z []float32, zs, f0, f int) {
	for fo := f0; fo < f; fo++ {
		for i := range 4 {
			r := y[i*rs+fo:]
			o := 6*i*zs + fo
			z[o], z[o+zs], z[o+2*zs], z[o+3*zs], z[o+4*zs], z[o+5*zs] = wino4Adj(r[0], r[ps], r[2*ps], r[3*ps])
		}
		for k := range 6 {
			o, s := k*zs+fo, 6*zs
			z[o], z[o+s], z[o+2*s], z[o+3*s], z[o+4*s], z[o+5*s] = wino4Adj(z[o], z[o+s], z[o+2*s], z[o+3*s])
		}
	}
}

// The constants of G in float32.
const (
	wino4Q   = float32(0.25)
	wino4M6  = float32(-1.0 / 6)
	wino4C6  = float32(1.0 / 6)
	wino4C12 = float32(1.0 / 12)
	wino4C24 = float32(1.0 / 24)
)

// wino4G1 is the 1-D kernel transform G g of three values. Every product
// is rounded before it is added (no fused multiply-add), as in the
// assembly.
func wino4G1(g0, g1, g2 float32) (u0, u1, u2, u3, u4, u5 float32) {
	u0 = float32(g0 * wino4Q)
	s := g0 + g2
	u1 = float32((s + g1) * wino4M6)
	u2 = float32((s - g1) * wino4M6)
	t := float32(g0*wino4C24) + float32(g2*wino4C6)
	h := float32(g1 * wino4C12)
	return u0, u1, u2, t + h, t - h, g2
}

// wino4GT1 is the 1-D adjoint Gᵀ x of six values.
func wino4GT1(x0, x1, x2, x3, x4, x5 float32) (o0, o1, o2 float32) {
	p, q := x1+x2, x1-x2
	r, s := x3+x4, x3-x4
	pm := float32(p * wino4M6)
	o0 = (float32(x0*wino4Q) + pm) + float32(r*wino4C24)
	o1 = float32(q*wino4M6) + float32(s*wino4C12)
	o2 = (pm + float32(r*wino4C6)) + x5
	return
}

// WinoFilter4 computes the 36 elements of U = G g Gᵀ for n 3×3 kernels g
// whose tap (a, b) is w[(3a+b)·ws + k] for kernel k < n, and writes
// element e at u[e·us + k]: the rows of g first, then the columns.
func WinoFilter4(w []float32, ws int, u []float32, us, n int) {
	if n <= 0 {
		return
	}
	if ws < 0 || us < 0 || len(w) < 8*ws+n || len(u) < 35*us+n {
		panic(fmt.Sprintf("cpu: WinoFilter4: %d and %d floats for strides %d, %d and %d kernels", len(w), len(u), ws, us, n))
	}
	done := 0
	if winoAsm && n >= 16 {
		done = n &^ 15
		wino4FilterAVX512(&w[0], ws, &u[0], us, done/16)
	}
	winoFilter4Generic(w, ws, u, us, done, n)
}

func winoFilter4Generic(w []float32, ws int, u []float32, us, k0, n int) {
	for k := k0; k < n; k++ {
		for a := range 3 {
			o := 6*a*us + k
			u[o], u[o+us], u[o+2*us], u[o+3*us], u[o+4*us], u[o+5*us] =
				wino4G1(w[3*a*ws+k], w[(3*a+1)*ws+k], w[(3*a+2)*ws+k])
		}
		for j := range 6 {
			o, s := j*us+k, 6*us
			u[o], u[o+s], u[o+2*s], u[o+3*s], u[o+4*s], u[o+5*s] = wino4G1(u[o], u[o+s], u[o+2*s])
		}
	}
}

// WinoFilterAdjoint4 adds Gᵀ dU G, the adjoint of WinoFilter4's
// transform, for n kernels whose element e is u[e·us + k], to the 3×3
// kernels whose tap (a, b) is w[(3a+b)·ws + k], k < n: a Winograd weight
// gradient. The rows of dU go first, their results overwriting u.
func WinoFilterAdjoint4(u []float32, us int, w []float32, ws, n int) {
	if n <= 0 {
		return
	}
	if ws < 0 || us < 0 || len(w) < 8*ws+n || len(u) < 35*us+n {
		panic(fmt.Sprintf("cpu: WinoFilterAdjoint4: %d and %d floats for strides %d, %d and %d kernels", len(u), len(w), us, ws, n))
	}
	done := 0
	if winoAsm && n >= 16 {
		done = n &^ 15
		wino4FilterAdjointAVX512(&u[0], us, &w[0], ws, done/16)
	}
	winoFilterAdjoint4Generic(u, us, w, ws, done, n)
}

func winoFilterAdjoint4Generic(u []float32, us int, w []float32, ws, k0, n int) {
	for k := k0; k < n; k++ {
		for i := range 6 {
			o := 6*i*us + k
			u[o], u[o+us], u[o+2*us] = wino4GT1(u[o], u[o+us], u[o+2*us], u[o+3*us], u[o+4*us], u[o+5*us])
		}
		for b := range 3 {
			o, s := b*us+k, 6*us
			o0, o1, o2 := wino4GT1(u[o], u[o+s], u[o+2*s], u[o+3*s], u[o+4*s], u[o+5*s])
			w[b*ws+k] += o0
			w[(3+b)*ws+k] += o1
			w[(6+b)*ws+k] += o2
		}
	}
}
