package cpu

import (
	"fmt"
	"math"
)

// The tile transforms of Winograd's F(2×2, 3×3) convolution (see package
// autograd), vectorized over the channels of channels-last images: the
// channels of a pixel are contiguous, and every transform is the same
// linear combination of pixels for each channel.

// WinoInput computes the 16 elements of V = Bᵀ d B, for each of c
// channels, of the 4×4 tile d whose pixel (i, j) starts at src[i·rs+j·ps],
// and writes element e at v[e·vs:e·vs+c].
//
//	Bᵀ = | 1  0 −1  0 |
//	     | 0  1  1  0 |
//	     | 0 −1  1  0 |
//	     | 0  1  0 −1 |
func WinoInput(src []float32, rs, ps int, v []float32, vs, c int) {
	if c <= 0 {
		return
	}
	if rs < 0 || ps < 0 || vs < 0 || len(src) < 3*rs+3*ps+c || len(v) < 15*vs+c {
		panic(fmt.Sprintf("cpu: WinoInput: %d and %d floats for strides %d, %d, %d and %d channels", len(src), len(v), rs, ps, vs, c))
	}
	done := 0
	if winoAsm && c >= 16 {
		done = c &^ 15
		winoInputAVX512(&src[0], rs, ps, &v[0], vs, done/16)
	}
	winoInputGeneric(src, rs, ps, v, vs, done, c)
}

// WinoOutput computes the 2×2 outputs Aᵀ M A, for each of f filters, of
// the products whose element e is m[e·ms:e·ms+f], and writes output (i, j)
// at y[i·rs+j·ps:]: with bias added (nil for none) and ReLU applied, as
// AddBias and Relu do, or, with acc, added to y (bias and relu unused).
//
//	Aᵀ = | 1  1  1  0 |
//	     | 0  1 −1 −1 |
func WinoOutput(m []float32, ms int, y []float32, rs, ps, f int, bias []float32, relu, acc bool) {
	if f <= 0 {
		return
	}
	if ms < 0 || rs < 0 || ps < 0 || len(m) < 15*ms+f || len(y) < rs+ps+f || (bias != nil && len(bias) < f) {
		panic(fmt.Sprintf("cpu: WinoOutput: %d and %d floats for strides %d, %d, %d and %d filters", len(m), len(y), ms, rs, ps, f))
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
		winoOutputAVX512(&m[0], ms, &y[0], rs, ps, done/16, bp, flags)
	}
	winoOutputGeneric(m, ms, y, rs, ps, done, f, bias, relu, acc)
}

// winoInputGeneric is WinoInput for channels [c0, c), the reference of
// the assembly (same operations in the same order).
func winoInputGeneric(src []float32, rs, ps int, v []float32, vs, c0, c int) {
	for ch := c0; ch < c; ch++ {
		var d [4][4]float32
		for i := range 4 {
			for j := range 4 {
				d[i][j] = src[i*rs+j*ps+ch]
			}
		}
		var t [4][4]float32
		for j := range 4 {
			t[0][j] = d[0][j] - d[2][j]
			t[1][j] = d[1][j] + d[2][j]
			t[2][j] = d[2][j] - d[1][j]
			t[3][j] = d[1][j] - d[3][j]
		}
		for i := range 4 {
			o := 4*i*vs + ch
			v[o] = t[i][0] - t[i][2]
			v[o+vs] = t[i][1] + t[i][2]
			v[o+2*vs] = t[i][2] - t[i][1]
			v[o+3*vs] = t[i][1] - t[i][3]
		}
	}
}

// winoOutputGeneric is WinoOutput for filters [f0, f), the reference of
// the assembly.
func winoOutputGeneric(m []float32, ms int, y []float32, rs, ps, f0, f int, bias []float32, relu, acc bool) {
	for fo := f0; fo < f; fo++ {
		var x [4][4]float32
		for i := range 4 {
			for j := range 4 {
				x[i][j] = m[(4*i+j)*ms+fo]
			}
		}
		var s [2][4]float32
		for j := range 4 {
			s[0][j] = x[0][j] + x[1][j] + x[2][j]
			s[1][j] = x[1][j] - x[2][j] - x[3][j]
		}
		for i := range 2 {
			out := [2]float32{s[i][0] + s[i][1] + s[i][2], s[i][1] - s[i][2] - s[i][3]}
			for j := range 2 {
				o := i*rs + j*ps + fo
				switch {
				case acc:
					y[o] += out[j]
				default:
					v := out[j]
					if bias != nil {
						v += bias[fo]
					}
					if relu {
						v = reluOne(v)
					}
					y[o] = v
				}
			}
		}
	}
}

// reluOne is Relu for one value.
func reluOne(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b & uint32(int32(^b)>>31))
}

// WinoFilter computes the 16 elements of U = G g Gᵀ for n 3×3 kernels g
// whose tap (a, b) is w[(3a+b)·ws + k] for kernel k < n, and writes
// element e at u[e·us + k]. With a Keras kernel (3, 3, c, f), ws = us =
// c·f and n = c·f give the c × f matrices U_e.
//
//	G = | 1   0   0 |
//	    | ½   ½   ½ |
//	    | ½  −½   ½ |
//	    | 0   0   1 |
func WinoFilter(w []float32, ws int, u []float32, us, n int) {
	if n <= 0 {
		return
	}
	if ws < 0 || us < 0 || len(w) < 8*ws+n || len(u) < 15*us+n {
		panic(fmt.Sprintf("cpu: WinoFilter: %d and %d floats for strides %d, %d and %d kernels", len(w), len(u), ws, us, n))
	}
	done := 0
	if winoAsm && n >= 16 {
		done = n &^ 15
		winoFilterAVX512(&w[0], ws, &u[0], us, done/16)
	}
	winoFilterGeneric(w, ws, u, us, done, n)
}

// winoFilterGeneric is WinoFilter for kernels [k0, n), the reference of
// the assembly.
func winoFilterGeneric(w []float32, ws int, u []float32, us, k0, n int) {
	for k := k0; k < n; k++ {
		var t [4][3]float32
		for b := range 3 {
			g0, g1, g2 := w[b*ws+k], w[(3+b)*ws+k], w[(6+b)*ws+k]
			t[0][b], t[1][b], t[2][b], t[3][b] = g0, (g0+g1+g2)*0.5, (g0-g1+g2)*0.5, g2
		}
		for i := range 4 {
			o := 4*i*us + k
			u[o] = t[i][0]
			u[o+us] = (t[i][0] + t[i][1] + t[i][2]) * 0.5
			u[o+2*us] = (t[i][0] - t[i][1] + t[i][2]) * 0.5
			u[o+3*us] = t[i][2]
		}
	}
}

// Transpose sets dst[p·ldd+i] = src[i·lds+p] for i < rows and p < cols.
func Transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ldd < rows || lds < cols || len(src) < (rows-1)*lds+cols || len(dst) < (cols-1)*ldd+rows {
		panic(fmt.Sprintf("cpu: Transpose: %d×%d from %d floats (stride %d) into %d (stride %d)", rows, cols, len(src), lds, len(dst), ldd))
	}
	transpose(dst, ldd, src, lds, rows, cols)
}

// transposeGeneric is the portable Transpose.
func transposeGeneric(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for i := range rows {
		row := src[i*lds : i*lds+cols]
		for p, v := range row {
			dst[p*ldd+i] = v
		}
	}
}

// WinoOutputAdjoint computes the 16 elements of Z = A dY Aᵀ, the adjoint
// of WinoOutput's transform, for each of f filters of the 2×2 tile dY
// whose element (i, j) starts at y[i·rs+j·ps], and writes element e at
// z[e·zs:e·zs+f]: the output gradient's part in a Winograd weight
// gradient.
func WinoOutputAdjoint(y []float32, rs, ps int, z []float32, zs, f int) {
	if f <= 0 {
		return
	}
	if rs < 0 || ps < 0 || zs < 0 || len(y) < rs+ps+f || len(z) < 15*zs+f {
		panic(fmt.Sprintf("cpu: WinoOutputAdjoint: %d and %d floats for strides %d, %d, %d and %d filters", len(y), len(z), rs, ps, zs, f))
	}
	done := 0
	if winoAsm && f >= 16 {
		done = f &^ 15
		winoOutputAdjointAVX512(&y[0], rs, ps, &z[0], zs, done/16)
	}
	winoOutputAdjointGeneric(y, rs, ps, z, zs, done, f)
}

func winoOutputAdjointGeneric(y []float32, rs, ps int, z []float32, zs, f0, f int) {
	for fo := f0; fo < f; fo++ {
		d00, d01, d10, d11 := y[fo], y[ps+fo], y[rs+fo], y[rs+ps+fo]
		r := [4][2]float32{{d00, d01}, {d00 + d10, d01 + d11}, {d00 - d10, d01 - d11}, {-d10, -d11}}
		for i := range 4 {
			o := 4*i*zs + fo
			z[o] = r[i][0]
			z[o+zs] = r[i][0] + r[i][1]
			z[o+2*zs] = r[i][0] - r[i][1]
			z[o+3*zs] = -r[i][1]
		}
	}
}

// WinoFilterAdjoint adds Gᵀ dU G, the adjoint of WinoFilter's transform,
// for n kernels whose element e is u[e·us + k], to the 3×3 kernels whose
// tap (a, b) is w[(3a+b)·ws + k], k < n: a Winograd weight gradient.
func WinoFilterAdjoint(u []float32, us int, w []float32, ws, n int) {
	if n <= 0 {
		return
	}
	if ws < 0 || us < 0 || len(w) < 8*ws+n || len(u) < 15*us+n {
		panic(fmt.Sprintf("cpu: WinoFilterAdjoint: %d and %d floats for strides %d, %d and %d kernels", len(u), len(w), us, ws, n))
	}
	done := 0
	if winoAsm && n >= 16 {
		done = n &^ 15
		winoFilterAdjointAVX512(&u[0], us, &w[0], ws, done/16)
	}
	winoFilterAdjointGeneric(u, us, w, ws, done, n)
}

func winoFilterAdjointGeneric(u []float32, us int, w []float32, ws, k0, n int) {
	for k := k0; k < n; k++ {
		var r [3][4]float32
		for j := range 4 {
			x0, x1, x2, x3 := u[j*us+k], u[(4+j)*us+k], u[(8+j)*us+k], u[(12+j)*us+k]
			p, q := (x1+x2)*0.5, (x1-x2)*0.5
			r[0][j], r[1][j], r[2][j] = x0+p, q, p+x3
		}
		for a := range 3 {
			p, q := (r[a][1]+r[a][2])*0.5, (r[a][1]-r[a][2])*0.5
			w[3*a*ws+k] += r[a][0] + p
			w[(3*a+1)*ws+k] += q
			w[(3*a+2)*ws+k] += p + r[a][3]
		}
	}
}
