package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// forceWinograd makes every 3×3 stride-1 convolution with an output of at
// least 2×2 run as Winograd, with chunks of at most chunk floats, until
// the returned function restores the defaults.
func forceWinograd(chunk int) func() {
	c, f, k, d, t, bt := winoMinC, winoMinF, winoChunkFloats, winoDisabled, winoMinTiles, winoMinBackTiles
	winoMinC, winoMinF, winoDisabled, winoMinTiles, winoMinBackTiles = 1, 1, false, 1, 1
	if chunk > 0 {
		winoChunkFloats = chunk
	}
	return func() {
		winoMinC, winoMinF, winoChunkFloats, winoDisabled, winoMinTiles, winoMinBackTiles = c, f, k, d, t, bt
	}
}

// winoCases are 3×3 stride-1 convolutions: both paddings, odd and even
// sizes (partial tiles), one to several channels and samples.
var winoCases = []convCase{
	{2, 7, 6, 3, 3, 3, 4, [2]int{1, 1}, Valid},
	{2, 7, 6, 3, 3, 3, 4, [2]int{1, 1}, Same},
	{1, 4, 4, 2, 3, 3, 3, [2]int{1, 1}, Valid},
	{3, 5, 8, 5, 3, 3, 2, [2]int{1, 1}, Same},
	{1, 9, 9, 17, 3, 3, 19, [2]int{1, 1}, Same},
	{2, 6, 5, 1, 3, 3, 1, [2]int{1, 1}, Valid},
	// Strided kernels, space-to-depth: 11×11 stride 4 and 5×5 stride 2
	// (sizes where the rearranged image fits the output).
	{2, 24, 20, 1, 11, 11, 3, [2]int{4, 4}, Valid},
	{1, 12, 16, 2, 5, 5, 3, [2]int{2, 2}, Valid},
	// 5×5 kernels: four 3×3 blocks.
	{2, 8, 7, 3, 5, 5, 4, [2]int{1, 1}, Valid},
	{2, 7, 6, 2, 5, 5, 3, [2]int{1, 1}, Same},
	{1, 6, 9, 17, 5, 5, 18, [2]int{1, 1}, Same},
}

// eachTile runs f with F(4×4, 3×3) allowed (where it pays, see winoTile)
// and with F(2×2, 3×3) alone, and returns each run's tolerance factor: 1
// for F(2×2, 3×3), 10 with F(4×4, 3×3), whose error against direct
// convolution is about ten times larger (TestWinogradErrorBookShapes).
func eachTile(f func(name string, tol float64)) {
	defer func(t4 bool) { winoTile4 = t4 }(winoTile4)
	for _, t4 := range []bool{false, true} {
		winoTile4 = t4
		if t4 {
			f("F(4×4) ", 10)
		} else {
			f("F(2×2) ", 1)
		}
	}
}

func TestWinogradMatchesReference(t *testing.T) {
	eachTile(func(tile string, tol float64) {
		testWinogradMatchesReference(t, tile, tol)
	})
}

func testWinogradMatchesReference(t *testing.T, tile string, tol float64) {
	for _, chunk := range []int{0, 1} {
		restore := forceWinograd(chunk)
		rng := tensor.NewRNG(21)
		for _, cc := range winoCases {
			x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
			for _, act := range []Activation{Linear, ReLU} {
				tp := NewTape()
				got := tp.Conv2D(NewConst(x), NewConst(w), NewConst(b), cc.s, cc.pad, act)
				want := refConv2D(x, w, b.Data, cc.s, cc.pad)
				if act == ReLU {
					for i, v := range want.Data {
						want.Data[i] = max(v, 0)
					}
				}
				closeTensors(t, fmt.Sprintf("%sWinograd %v %v chunk %d", tile, cc, act, chunk), got.Value, want, tol*1e-5)
			}
		}
		restore()
	}
}

func TestGradWinograd(t *testing.T) {
	eachTile(func(tile string, _ float64) { testGradWinograd(t, tile) })
}

func testGradWinograd(t *testing.T, tile string) {
	for _, chunk := range []int{0, 1, -1} {
		restore := forceWinograd(max(chunk, 0))
		if chunk < 0 {
			winoMinBackTiles = 1 << 30 // the backward pass of im2col
		}
		rng := tensor.NewRNG(22)
		acts := []Activation{Tanh, Linear, ReLU}
		for i, cc := range winoCases {
			x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
			act := acts[i%len(acts)]
			if act == ReLU && cc.c*cc.kh*cc.kw > 100 {
				// Long sums put outputs near the kink, which finite
				// differences straddle.
				act = Tanh
			}
			if act == ReLU {
				// Keep the outputs away from the kink.
				x = awayFromZero(rng, cc.n, cc.h, cc.w, cc.c)
			}
			gradCheck(t, fmt.Sprintf("%sWinograd %v %v chunk %d", tile, cc, act, chunk), []*tensor.Tensor{x, w, b}, func(tp *Tape, in []*Var) *Var {
				return tp.Conv2D(in[0], in[1], in[2], cc.s, cc.pad, act)
			})
		}
		// Frozen kernel (input gradient alone) and constant input (weight
		// gradient alone).
		cc := winoCases[1]
		x, w := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, 3, 3, cc.c, cc.f)
		gradCheckConst(t, "Winograd frozen kernel", []*tensor.Tensor{x, w}, 1, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2D(in[0], in[1], nil, cc.s, cc.pad, Tanh)
		})
		gradCheckConst(t, "Winograd constant input", []*tensor.Tensor{w, x}, 1, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2D(in[1], in[0], nil, cc.s, cc.pad, Tanh)
		})
		restore()
	}
}

// TestWinogradMatchesIm2col compares the Winograd forward pass and
// gradients with those of im2col + GEMM on a shape above the thresholds.
func TestWinogradMatchesIm2col(t *testing.T) {
	eachTile(func(tile string, tol float64) { testWinogradMatchesIm2col(t, tile, tol) })
}

func testWinogradMatchesIm2col(t *testing.T, tile string, tol float64) {
	rng := tensor.NewRNG(23)
	x, w, b := randn(rng, 3, 11, 10, 24), randn(rng, 3, 3, 24, 32), randn(rng, 32)
	seed := randn(rng, 3, 11, 10, 32)
	w5 := randn(rng, 5, 5, 24, 32)
	run := func(pad Padding) []*tensor.Tensor {
		xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
		x5, wv5, b5 := NewParam(x), NewParam(w5), NewParam(b)
		tp5 := NewTape()
		y5 := tp5.Conv2D(x5, wv5, b5, [2]int{1, 1}, pad, ReLU)
		tp5.BackwardFrom(y5, randnSeeded(24, y5.Value.Shape...))
		tp := NewTape()
		y := tp.Conv2D(xv, wv, bv, [2]int{1, 1}, pad, Tanh)
		s := seed
		if pad == Valid {
			s = tensor.New(y.Value.Shape...)
			copy(s.Data, seed.Data)
		}
		tp.BackwardFrom(y, s)
		return []*tensor.Tensor{y.Value, xv.Grad, wv.Grad, bv.Grad, y5.Value, x5.Grad, wv5.Grad, b5.Grad}
	}
	for _, pad := range []Padding{Valid, Same} {
		if !(&convGeom{n: 3, kh: 3, kw: 3, sh: 1, sw: 1, c: 24, f: 32, oh: 9, ow: 8}).winograd() ||
			!(&convGeom{n: 3, kh: 5, kw: 5, sh: 1, sw: 1, c: 24, f: 32, oh: 7, ow: 6}).winograd5() {
			t.Fatal("the shapes do not take the Winograd path")
		}
		wino := run(pad)
		winoDisabled = true
		ref := run(pad)
		winoDisabled = false
		for i := range wino {
			closeWino(t, fmt.Sprintf("%s%s tensor %d", tile, pad, i), wino[i], ref[i], tol)
		}
	}
}

// closeWino compares a Winograd result with im2col's: elementwise within
// 1e-4 for F(2×2, 3×3) alone (tol 1), and normwise, max |a − b| / max |b|,
// within tol·2e-5.
func closeWino(t *testing.T, name string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if tol == 1 {
		closeTensors(t, name, got, want, 1e-4)
	}
	var d, r float64
	for k, v := range want.Data {
		d, r = max(d, math.Abs(float64(got.Data[k]-v))), max(r, math.Abs(float64(v)))
	}
	if d > tol*2e-5*r {
		t.Errorf("%s: normwise error %.2e, bound %.0e", name, d/r, tol*2e-5)
	}
}

// randnSeeded returns normal values from a fresh generator.
func randnSeeded(seed uint64, shape ...int) *tensor.Tensor {
	return randn(tensor.NewRNG(seed), shape...)
}

// winoStepBits runs a Winograd convolution forward and backward with tiny
// chunks and returns every result.
func winoStepBits() [][]float32 {
	rng := tensor.NewRNG(24)
	x := NewParam(randn(rng, 4, 13, 12, 16))
	w, b := NewParam(randn(rng, 3, 3, 16, 20)), NewParam(randn(rng, 20))
	tp := NewTape()
	y := tp.Conv2D(x, w, b, [2]int{1, 1}, Same, ReLU)
	w5 := NewParam(randn(rng, 5, 5, 20, 24))
	y5 := tp.Conv2D(y, w5, nil, [2]int{1, 1}, Same, ReLU)
	z := tp.Conv2D(y5, NewParam(randn(rng, 3, 3, 24, 16)), nil, [2]int{1, 1}, Valid, Tanh)
	tp.BackwardFrom(z, randn(rng, z.Value.Shape...))
	// Space-to-depth: 11×11 stride 4.
	xa, wa := NewParam(randn(rng, 4, 32, 28, 3)), NewParam(randn(rng, 11, 11, 3, 16))
	tp2 := NewTape()
	ya := tp2.Conv2D(xa, wa, nil, [2]int{4, 4}, Valid, ReLU)
	tp2.BackwardFrom(ya, randn(rng, ya.Value.Shape...))
	return [][]float32{y.Value.Data, y5.Value.Data, z.Value.Data, x.Grad.Data, w.Grad.Data, b.Grad.Data, w5.Grad.Data,
		ya.Value.Data, xa.Grad.Data, wa.Grad.Data}
}

// TestWinogradSplitInvariant checks that splitting the Winograd chunks
// over workers does not change a bit of the results.
func TestWinogradSplitInvariant(t *testing.T) {
	defer func(g int) { grainFloats, serialWindowOps = g, false }(grainFloats)
	defer forceWinograd(16 * 8 * 40)()
	eachTile(func(tile string, _ float64) {
		grainFloats, serialWindowOps = 1, false
		par := winoStepBits()
		serialWindowOps = true
		ser := winoStepBits()
		for i := range par {
			for j := range par[i] {
				if math.Float32bits(par[i][j]) != math.Float32bits(ser[i][j]) {
					t.Fatalf("%sresult %d differs at %d: parallel %v, serial %v", tile, i, j, par[i][j], ser[i][j])
				}
			}
		}
	})
}

func TestWinogradStepAllocatesNothing(t *testing.T) {
	defer forceWinograd(16 * 8 * 40)()
	rng := tensor.NewRNG(25)
	x := NewParam(randn(rng, 4, 12, 12, 16))
	w, b := NewParam(randn(rng, 3, 3, 16, 32)), NewParam(randn(rng, 32))
	w5 := NewParam(randn(rng, 5, 5, 32, 16)) // the four-block 5×5 path, several chunks
	if !(&convGeom{n: 4, kh: 5, kw: 5, sh: 1, sw: 1, c: 32, f: 16, oh: 12, ow: 12}).winograd5() {
		t.Fatal("the 5×5 convolution would not take the Winograd path")
	}
	tp := NewTape()
	step := func() {
		tp.Reset()
		y := tp.Conv2D(x, w, b, [2]int{1, 1}, Same, ReLU)
		y = tp.Conv2D(y, w5, nil, [2]int{1, 1}, Same, ReLU)
		tp.Backward(tp.Mean(y))
	}
	step()
	if a := alloctest.PerRun(20, step); a != 0 {
		t.Errorf("a step allocates %v times, want 0", a)
	}
}

// winoErrBound bounds the normwise relative error of Winograd F(2×2, 3×3)
// against a direct convolution in float64, max |y − ref| / max |ref| over
// the sampled outputs, on the book's shapes with normal inputs and
// kernels: forward, input gradient and weight gradient. F(4×4, 3×3)'s
// transforms have larger constants (up to 5 in Bᵀ, 8 in Aᵀ, 1/24 in G)
// and its error is about ten times larger: its bound is wino4ErrBound.
const (
	winoErrBound  = 1e-5
	wino4ErrBound = 4e-5
)

// TestWinogradErrorBookShapes measures the error of the Winograd forward
// pass and input gradient against direct convolution computed in float64,
// on one sample of each of the book's convolutions that take a Winograd
// path (3×3, 5×5 in four blocks, 11×11 stride 4 space-to-depth), at random positions (all filters; at least 16, more for small kernels), beside the
// error of im2col + GEMM in float32 on the same positions.
func TestWinogradErrorBookShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes")
	}
	eachTile(func(tile string, tol float64) {
		bound := winoErrBound
		if tol > 1 {
			bound = wino4ErrBound
		}
		testWinogradErrorBookShapes(t, tile, bound)
	})
}

func testWinogradErrorBookShapes(t *testing.T, tile string, bound float64) {
	// One sample has fewer tiles than the batch: take the Winograd path
	// by the kernel and channels alone.
	defer func(t, bt int) { winoMinTiles, winoMinBackTiles = t, bt }(winoMinTiles, winoMinBackTiles)
	winoMinTiles, winoMinBackTiles = 1, 1
	for _, bc := range bookConvs {
		g := convGeom{n: 1, h: bc.h, w: bc.w, c: bc.c, kh: bc.k, kw: bc.k, sh: bc.s, sw: bc.s, f: bc.f, oh: bc.oh(), ow: bc.ow()}
		g.setPad()
		if _, s2d := g.winogradS2D(); !g.winograd() && !g.winograd5() && !s2d {
			continue
		}
		k, st := bc.k, bc.s
		rng := tensor.NewRNG(31)
		x, w := randn(rng, 1, bc.h, bc.w, bc.c), randn(rng, k, k, bc.c, bc.f)
		dy := randn(rng, 1, g.oh, g.ow, bc.f)
		run := func() (y, dx, dw *tensor.Tensor) {
			xv, wv := NewParam(x), NewParam(w)
			tp := NewTape()
			out := tp.Conv2D(xv, wv, nil, [2]int{st, st}, Valid, Linear)
			tp.BackwardFrom(out, dy)
			return out.Value, xv.Grad, wv.Grad
		}
		yw, dxw, dww := run()
		winoDisabled = true
		yd, dxd, dwd := run()
		winoDisabled = false
		// Sampled positions, and the float64 references there.
		c, f := bc.c, bc.f
		xd, wd, dyd := x.Data, w.Data, dy.Data
		var ew, ed, egw, egd, ry, rg float64
		for range max(16, (1<<24)/(k*k*c*f)) {
			oy, ox := rng.Intn(g.oh), rng.Intn(g.ow)
			iy, ix := rng.Intn(g.h), rng.Intn(g.w)
			for fo := range f {
				var acc float64
				for ky := range k {
					for kx := range k {
						xs := xd[((oy*st+ky)*g.w+ox*st+kx)*c:][:c]
						ws := wd[(ky*k+kx)*c*f+fo:]
						for ci, v := range xs {
							acc += float64(v) * float64(ws[ci*f])
						}
					}
				}
				o := (oy*g.ow+ox)*f + fo
				ry = max(ry, math.Abs(acc))
				ew = max(ew, math.Abs(float64(yw.Data[o])-acc))
				ed = max(ed, math.Abs(float64(yd.Data[o])-acc))
			}
			for ci := range c {
				var acc float64
				for ky := range k {
					for kx := range k {
						py, px := iy-ky, ix-kx
						if py < 0 || px < 0 || py%st != 0 || px%st != 0 {
							continue
						}
						if py, px = py/st, px/st; py >= g.oh || px >= g.ow {
							continue
						}
						ds := dyd[(py*g.ow+px)*f:][:f]
						ws := wd[((ky*k+kx)*c+ci)*f:][:f]
						for fo, v := range ds {
							acc += float64(v) * float64(ws[fo])
						}
					}
				}
				o := (iy*g.w+ix)*c + ci
				rg = max(rg, math.Abs(acc))
				egw = max(egw, math.Abs(float64(dxw.Data[o])-acc))
				egd = max(egd, math.Abs(float64(dxd.Data[o])-acc))
			}
		}
		// The weight gradient at 64 random taps.
		var eww, ewd, rw float64
		for range 64 {
			ky, kx, ci, fo := rng.Intn(k), rng.Intn(k), rng.Intn(c), rng.Intn(f)
			var acc float64
			for oy := range g.oh {
				for ox := range g.ow {
					acc += float64(xd[((oy*st+ky)*g.w+ox*st+kx)*c+ci]) * float64(dyd[(oy*g.ow+ox)*f+fo])
				}
			}
			o := ((ky*k+kx)*c+ci)*f + fo
			rw = max(rw, math.Abs(acc))
			eww = max(eww, math.Abs(float64(dww.Data[o])-acc))
			ewd = max(ewd, math.Abs(float64(dwd.Data[o])-acc))
		}
		t.Logf("%s%-28s tiles %d/%d Winograd (im2col): forward %.1e (%.1e), input gradient %.1e (%.1e), weight gradient %.1e (%.1e)",
			tile, bc, g.winoM(), g.winoMdx(), ew/ry, ed/ry, egw/rg, egd/rg, eww/rw, ewd/rw)
		if ew/ry > bound || egw/rg > bound || eww/rw > bound {
			t.Errorf("%s%s: Winograd relative error %.2e (forward), %.2e (input gradient), %.2e (weight gradient), bound %.0e", tile, bc, ew/ry, egw/rg, eww/rw, bound)
		}
	}
}

// TestWinogradS2DMatchesIm2col compares the space-to-depth Winograd path
// of an AlexNet-like 11×11 stride-4 convolution (and a 5×5 stride-2 one)
// with im2col + GEMM, forward and gradients.
func TestWinogradS2DMatchesIm2col(t *testing.T) {
	eachTile(func(tile string, tol float64) { testWinogradS2DMatchesIm2col(t, tile, tol) })
}

func testWinogradS2DMatchesIm2col(t *testing.T, tile string, tol float64) {
	defer func(bt int) { winoMinBackTiles = bt }(winoMinBackTiles)
	winoMinBackTiles = 1
	for _, cc := range []convCase{
		{4, 32, 28, 3, 11, 11, 32, [2]int{4, 4}, Valid},
		{3, 18, 14, 5, 5, 5, 24, [2]int{2, 2}, Valid},
	} {
		g := convGeom{n: cc.n, h: cc.h, w: cc.w, c: cc.c, kh: cc.kh, kw: cc.kw, sh: cc.s[0], sw: cc.s[1], f: cc.f,
			oh: ConvOutputLength(cc.h, cc.kh, cc.s[0], Valid), ow: ConvOutputLength(cc.w, cc.kw, cc.s[1], Valid)}
		g.setPad()
		if _, ok := g.winogradS2D(); !ok {
			t.Fatalf("%v does not take the space-to-depth path", cc)
		}
		rng := tensor.NewRNG(26)
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		seed := randn(rng, cc.n, g.oh, g.ow, cc.f)
		run := func() []*tensor.Tensor {
			xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
			tp := NewTape()
			y := tp.Conv2D(xv, wv, bv, cc.s, Valid, ReLU)
			tp.BackwardFrom(y, seed)
			return []*tensor.Tensor{y.Value, xv.Grad, wv.Grad, bv.Grad}
		}
		wino := run()
		winoDisabled = true
		ref := run()
		winoDisabled = false
		for i := range wino {
			closeWino(t, fmt.Sprintf("%s%v tensor %d", tile, cc, i), wino[i], ref[i], tol)
		}
	}
}
