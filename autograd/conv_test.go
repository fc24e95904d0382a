package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// kerasConvLength is Keras's conv_output_length (dilation 1), written out
// independently of ConvOutputLength.
func kerasConvLength(in, k, stride int, pad Padding) int {
	out := in
	if pad == Valid {
		out = in - k + 1
	}
	return (out + stride - 1) / stride
}

// kerasDeconvLength is Keras's deconv_output_length without output padding.
func kerasDeconvLength(in, k, stride int, pad Padding) int {
	in *= stride
	if pad == Valid {
		in += max(k-stride, 0)
	}
	return in
}

// tfPadBefore is TensorFlow's padding before the input of a window op with
// out positions over in: half of the total, rounded down.
func tfPadBefore(in, out, k, stride int) int {
	return max((out-1)*stride+k-in, 0) / 2
}

// refConv2D is a direct float64 convolution with TensorFlow's padding.
func refConv2D(x, w *tensor.Tensor, b []float32, s [2]int, pad Padding) *tensor.Tensor {
	n, h, wd, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	kh, kw, f := w.Shape[0], w.Shape[1], w.Shape[3]
	oh, ow := kerasConvLength(h, kh, s[0], pad), kerasConvLength(wd, kw, s[1], pad)
	pt, pl := tfPadBefore(h, oh, kh, s[0]), tfPadBefore(wd, ow, kw, s[1])
	y := tensor.New(n, oh, ow, f)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for fo := range f {
					var acc float64
					if b != nil {
						acc = float64(b[fo])
					}
					for ky := range kh {
						for kx := range kw {
							iy, ix := oy*s[0]-pt+ky, ox*s[1]-pl+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							for ci := range c {
								acc += float64(x.At(i, iy, ix, ci)) * float64(w.At(ky, kx, ci, fo))
							}
						}
					}
					y.Set(float32(acc), i, oy, ox, fo)
				}
			}
		}
	}
	return y
}

// refConv2DTranspose scatters each input pixel through the kernel (kh, kw,
// f, c) into an output of Keras's deconv size, with the padding TensorFlow's
// conv2d_transpose uses: that of the forward convolution it transposes.
func refConv2DTranspose(x, w *tensor.Tensor, b []float32, s [2]int, pad Padding) *tensor.Tensor {
	n, h, wd, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	kh, kw, f := w.Shape[0], w.Shape[1], w.Shape[2]
	oh, ow := kerasDeconvLength(h, kh, s[0], pad), kerasDeconvLength(wd, kw, s[1], pad)
	pt, pl := tfPadBefore(oh, h, kh, s[0]), tfPadBefore(ow, wd, kw, s[1])
	acc := make([]float64, n*oh*ow*f)
	for i := range n {
		for iy := range h {
			for ix := range wd {
				for ky := range kh {
					for kx := range kw {
						oy, ox := iy*s[0]-pt+ky, ix*s[1]-pl+kx
						if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
							continue
						}
						for fo := range f {
							for ci := range c {
								acc[((i*oh+oy)*ow+ox)*f+fo] += float64(x.At(i, iy, ix, ci)) * float64(w.At(ky, kx, fo, ci))
							}
						}
					}
				}
			}
		}
	}
	y := tensor.New(n, oh, ow, f)
	for i, v := range acc {
		if b != nil {
			v += float64(b[i%f])
		}
		y.Data[i] = float32(v)
	}
	return y
}

func closeTensors(t *testing.T, name string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !tensor.SameShape(got, want) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape, want.Shape)
	}
	for i, v := range want.Data {
		if d := math.Abs(float64(got.Data[i]) - float64(v)); d > tol*(1+math.Abs(float64(v))) {
			t.Fatalf("%s: [%d] = %v, want %v", name, i, got.Data[i], v)
		}
	}
}

type convCase struct {
	n, h, w, c, kh, kw, f int
	s                     [2]int
	pad                   Padding
}

func (cc convCase) String() string {
	return fmt.Sprintf("x(%d,%d,%d,%d) k%dx%d f%d s%v %s", cc.n, cc.h, cc.w, cc.c, cc.kh, cc.kw, cc.f, cc.s, cc.pad)
}

// convCases covers strides 1–3 (also unequal), both paddings, odd and even
// sizes, non-square kernels, pointwise kernels and batches above 1.
func convCases() []convCase {
	var cs []convCase
	for _, s := range [][2]int{{1, 1}, {2, 2}, {3, 3}, {1, 2}, {3, 1}} {
		for _, pad := range []Padding{Valid, Same} {
			cs = append(cs, convCase{2, 7, 6, 3, 3, 2, 4, s, pad})
		}
	}
	cs = append(cs,
		convCase{3, 5, 5, 2, 1, 1, 3, [2]int{1, 1}, Valid},
		convCase{1, 4, 5, 1, 2, 3, 2, [2]int{2, 1}, Same},
		convCase{2, 3, 3, 2, 3, 3, 2, [2]int{1, 1}, Valid}, // 1×1 output
		convCase{2, 4, 4, 2, 1, 1, 3, [2]int{2, 2}, Same},  // strided 1×1
		convCase{1, 5, 4, 2, 4, 4, 2, [2]int{3, 2}, Same},  // kernel larger than the stride
	)
	return cs
}

func TestConvOutputLengths(t *testing.T) {
	for in := 1; in <= 9; in++ {
		for k := 1; k <= 5; k++ {
			for s := 1; s <= 3; s++ {
				for _, p := range []Padding{Valid, Same} {
					want := max(kerasConvLength(in, k, s, p), 0)
					if got := ConvOutputLength(in, k, s, p); got != want {
						t.Errorf("ConvOutputLength(%d, %d, %d, %s) = %d, want %d", in, k, s, p, got, want)
					}
					if got, want := DeconvOutputLength(in, k, s, p), kerasDeconvLength(in, k, s, p); got != want {
						t.Errorf("DeconvOutputLength(%d, %d, %d, %s) = %d, want %d", in, k, s, p, got, want)
					}
				}
			}
		}
	}
}

func TestConv2DMatchesReference(t *testing.T) {
	rng := tensor.NewRNG(11)
	for _, cc := range convCases() {
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		tp := NewTape()
		got := tp.Conv2D(NewConst(x), NewConst(w), NewConst(b), cc.s, cc.pad, Linear)
		closeTensors(t, "Conv2D "+cc.String(), got.Value, refConv2D(x, w, b.Data, cc.s, cc.pad), 1e-5)
		tw := randn(rng, cc.kh, cc.kw, cc.f, cc.c)
		got = tp.Conv2DTranspose(NewConst(x), NewConst(tw), NewConst(b), cc.s, cc.pad, Linear)
		closeTensors(t, "Conv2DTranspose "+cc.String(), got.Value, refConv2DTranspose(x, tw, b.Data, cc.s, cc.pad), 1e-5)
	}
}

// TestConv2DTransposeKnownValues checks TensorFlow's placement of the
// output: ones through a 3×3 kernel of ones, strides 2, same padding, give
// row and column counts (1, 1, 2, 1).
func TestConv2DTransposeKnownValues(t *testing.T) {
	tp := NewTape()
	y := tp.Conv2DTranspose(NewConst(tensor.Full(1, 1, 2, 2, 1)), NewConst(tensor.Full(1, 3, 3, 1, 1)), nil, [2]int{2, 2}, Same, Linear)
	counts := []float32{1, 1, 2, 1}
	for i := range 4 {
		for j := range 4 {
			if got, want := y.Value.At(0, i, j, 0), counts[i]*counts[j]; got != want {
				t.Errorf("y[%d,%d] = %v, want %v", i, j, got, want)
			}
		}
	}
}

func TestGradConv2D(t *testing.T) {
	rng := tensor.NewRNG(12)
	acts := []Activation{Tanh, Linear, Sigmoid}
	for i, cc := range convCases() {
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		act := acts[i%len(acts)]
		gradCheck(t, "Conv2D "+cc.String()+" "+act.String(), []*tensor.Tensor{x, w, b}, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2D(in[0], in[1], in[2], cc.s, cc.pad, act)
		})
		tw := randn(rng, cc.kh, cc.kw, cc.f, cc.c)
		gradCheck(t, "Conv2DTranspose "+cc.String()+" "+act.String(), []*tensor.Tensor{x, tw, b}, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2DTranspose(in[0], in[1], in[2], cc.s, cc.pad, act)
		})
	}
	x, w := randn(rng, 2, 5, 4, 2), randn(rng, 2, 3, 2, 3)
	gradCheck(t, "Conv2D no bias", []*tensor.Tensor{x, w}, func(tp *Tape, in []*Var) *Var {
		return tp.Conv2D(in[0], in[1], nil, [2]int{1, 2}, Same, Tanh)
	})
	gradCheck(t, "Conv2DTranspose no bias", []*tensor.Tensor{x, randn(rng, 2, 3, 3, 2)}, func(tp *Tape, in []*Var) *Var {
		return tp.Conv2DTranspose(in[0], in[1], nil, [2]int{2, 1}, Valid, Tanh)
	})
}

// TestGradConv2DChunks runs the gradient checks with a tiny chunk, so that
// a batch takes several chunks (and the weight gradient adds them up), with
// the im2col matrix kept from the forward pass and rebuilt.
func TestGradConv2DChunks(t *testing.T) {
	defer func(c, k int) { convChunkFloats, keepColsFloats = c, k }(convChunkFloats, keepColsFloats)
	convChunkFloats = 1
	for _, keep := range []int{0, 1 << 30} {
		keepColsFloats = keep
		rng := tensor.NewRNG(13)
		x, w, b := randn(rng, 3, 6, 5, 2), randn(rng, 3, 2, 2, 3), randn(rng, 3)
		name := fmt.Sprintf("chunked, keep %d", keep)
		gradCheck(t, "Conv2D "+name, []*tensor.Tensor{x, w, b}, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2D(in[0], in[1], in[2], [2]int{2, 1}, Same, Sigmoid)
		})
		gradCheck(t, "Conv2DTranspose "+name, []*tensor.Tensor{x, randn(rng, 3, 2, 3, 2), b}, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2DTranspose(in[0], in[1], in[2], [2]int{2, 3}, Same, Tanh)
		})
	}
}

// TestConv2DFusedReLU checks the fused bias + ReLU against Conv2D followed
// by a separate activation, values and gradients, in one chunk and in
// many, with the im2col matrix kept and rebuilt.
func TestConv2DFusedReLU(t *testing.T) {
	defer func(c, k int) { convChunkFloats, keepColsFloats = c, k }(convChunkFloats, keepColsFloats)
	rng := tensor.NewRNG(14)
	x, w, b := randn(rng, 3, 6, 7, 3), randn(rng, 3, 3, 3, 4), randn(rng, 4)
	seed := randn(rng, 3, 6, 7, 4)
	run := func(fused bool) []*tensor.Tensor {
		xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
		tp := NewTape()
		var y *Var
		if fused {
			y = tp.Conv2D(xv, wv, bv, [2]int{1, 1}, Same, ReLU)
		} else {
			y = tp.Relu(tp.Conv2D(xv, wv, bv, [2]int{1, 1}, Same, Linear))
		}
		tp.BackwardFrom(y, seed)
		return []*tensor.Tensor{y.Value, xv.Grad, wv.Grad, bv.Grad}
	}
	for _, chunk := range []int{1, 1 << 20} {
		for _, keep := range []int{0, 1 << 30} {
			convChunkFloats, keepColsFloats = chunk, keep
			f, c := run(true), run(false)
			for i := range f {
				closeTensors(t, fmt.Sprintf("fused ReLU, chunk %d, keep %d, tensor %d", chunk, keep, i), f[i], c[i], 1e-6)
			}
		}
	}
}

// convStepBits runs a LeNet-sized convolution, pooling and transposed
// convolution forward and backward and returns every result.
func convStepBits(t testing.TB) [][]float32 {
	rng := tensor.NewRNG(15)
	x := NewParam(randn(rng, 16, 26, 26, 8))
	w := NewParam(randn(rng, 3, 3, 8, 16))
	b := NewParam(randn(rng, 16))
	tw := NewParam(randn(rng, 2, 2, 4, 16))
	tp := NewTape()
	y := tp.Conv2D(x, w, b, [2]int{1, 1}, Valid, ReLU)
	p := tp.MaxPool2D(y, [2]int{2, 2}, [2]int{2, 2}, Valid)
	a := tp.AvgPool2D(p, [2]int{3, 3}, [2]int{2, 2}, Same)
	u := tp.UpSampling2D(a, [2]int{2, 2})
	z := tp.Conv2DTranspose(u, tw, nil, [2]int{2, 2}, Same, Tanh)
	g := tp.GlobalAvgPool2D(z)
	seed := randn(rng, g.Value.Shape...)
	tp.BackwardFrom(g, seed)
	return [][]float32{z.Value.Data, x.Grad.Data, w.Grad.Data, b.Grad.Data, tw.Grad.Data}
}

// TestWindowOpsSplitInvariant checks that splitting the window ops' work
// over workers does not change a bit of the results.
func TestWindowOpsSplitInvariant(t *testing.T) {
	defer func(g int) { grainFloats, serialWindowOps = g, false }(grainFloats)
	grainFloats = 1
	par := convStepBits(t)
	serialWindowOps = true
	ser := convStepBits(t)
	for i := range par {
		for j := range par[i] {
			if math.Float32bits(par[i][j]) != math.Float32bits(ser[i][j]) {
				t.Fatalf("result %d differs at %d: parallel %v, serial %v", i, j, par[i][j], ser[i][j])
			}
		}
	}
}

// TestConvStepAllocatesNothing checks that, once warm, a forward and
// backward pass through the window ops allocates nothing.
func TestConvStepAllocatesNothing(t *testing.T) {
	rng := tensor.NewRNG(16)
	x := NewConst(randn(rng, 8, 12, 12, 3))
	w, b := NewParam(randn(rng, 3, 3, 3, 8)), NewParam(randn(rng, 8))
	tw := NewParam(randn(rng, 3, 3, 2, 8))
	tp := NewTape()
	step := func() {
		tp.Reset()
		y := tp.Conv2D(x, w, b, [2]int{1, 1}, Same, ReLU)
		y = tp.MaxPool2D(y, [2]int{2, 2}, [2]int{2, 2}, Valid)
		y = tp.AvgPool2D(y, [2]int{2, 2}, [2]int{1, 1}, Same)
		y = tp.UpSampling2D(y, [2]int{2, 2})
		y = tp.Conv2DTranspose(y, tw, nil, [2]int{2, 2}, Valid, Linear)
		l := tp.Add(tp.Mean(tp.GlobalMaxPool2D(y)), tp.Mean(tp.GlobalAvgPool2D(y)))
		tp.Backward(l)
	}
	step()
	if a := alloctest.PerRun(20, step); a != 0 {
		t.Errorf("a step allocates %v times, want 0", a)
	}
}

func BenchmarkConv2D(b *testing.B) {
	cases := []struct {
		name          string
		n, h, w, c, f int
		k             int
	}{
		{"lenet1_128x28x28x1_32", 128, 28, 28, 1, 32, 3},
		{"lenet2_128x26x26x32_64", 128, 26, 26, 32, 64, 3},
	}
	for _, cc := range cases {
		rng := tensor.NewRNG(1)
		x := NewParam(randn(rng, cc.n, cc.h, cc.w, cc.c))
		if cc.c == 1 {
			x = NewConst(x.Value)
		}
		w, bias := NewParam(randn(rng, cc.k, cc.k, cc.c, cc.f)), NewParam(randn(rng, cc.f))
		tp := NewTape()
		oh, ow := cc.h-cc.k+1, cc.w-cc.k+1
		flops := 2 * float64(cc.n*oh*ow*cc.f*cc.k*cc.k*cc.c)
		b.Run(cc.name+"/forward", func(b *testing.B) {
			tp.SetNoGrad(true)
			defer tp.SetNoGrad(false)
			for b.Loop() {
				tp.Reset()
				tp.Conv2D(x, w, bias, [2]int{1, 1}, Valid, ReLU)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(cc.name+"/forward+backward", func(b *testing.B) {
			seed := randn(rng, cc.n, oh, ow, cc.f)
			for b.Loop() {
				tp.Reset()
				y := tp.Conv2D(x, w, bias, [2]int{1, 1}, Valid, ReLU)
				tp.BackwardFrom(y, seed)
			}
			passes := 2.0
			if x.Grad != nil {
				passes = 3
			}
			b.ReportMetric(passes*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkMaxPool2D(b *testing.B) {
	rng := tensor.NewRNG(1)
	x := NewParam(randn(rng, 128, 24, 24, 64))
	seed := randn(rng, 128, 12, 12, 64)
	tp := NewTape()
	b.Run("lenet_128x24x24x64/forward", func(b *testing.B) {
		tp.SetNoGrad(true)
		defer tp.SetNoGrad(false)
		for b.Loop() {
			tp.Reset()
			tp.MaxPool2D(x, [2]int{2, 2}, [2]int{2, 2}, Valid)
		}
	})
	b.Run("lenet_128x24x24x64/forward+backward", func(b *testing.B) {
		for b.Loop() {
			tp.Reset()
			y := tp.MaxPool2D(x, [2]int{2, 2}, [2]int{2, 2}, Valid)
			tp.BackwardFrom(y, seed)
		}
	})
}

// TestIm2colRuns checks im2col, which copies windows a run of an output
// row at a time, against im2colRow for each window, on geometries with
// padding on every side, strides, one to many channels and kernel rows
// wider than 8 floats, over ranges of rows that start and end inside
// output rows.
func TestIm2colRuns(t *testing.T) {
	rng := tensor.NewRNG(11)
	for i, cc := range []struct {
		n, h, w, c, kh, kw, sh, sw int
		pad                        Padding
	}{
		{2, 28, 28, 1, 3, 3, 1, 1, Valid},
		{2, 7, 9, 1, 3, 3, 1, 1, Same},
		{2, 9, 7, 3, 3, 3, 2, 2, Same},
		{1, 12, 13, 3, 5, 4, 1, 3, Same},
		{2, 11, 11, 3, 11, 11, 4, 4, Valid},
		{1, 6, 6, 5, 5, 5, 1, 1, Same},
		{2, 5, 8, 2, 1, 3, 1, 2, Valid},
		{1, 4, 4, 1, 5, 5, 1, 1, Same}, // every window reaches past both sides
	} {
		g := convGeom{n: cc.n, h: cc.h, w: cc.w, c: cc.c, kh: cc.kh, kw: cc.kw, sh: cc.sh, sw: cc.sw,
			oh: ConvOutputLength(cc.h, cc.kh, cc.sh, cc.pad), ow: ConvOutputLength(cc.w, cc.kw, cc.sw, cc.pad)}
		g.setPad()
		x := randn(rng, cc.n, cc.h, cc.w, cc.c).Data
		K, rows := g.k(), cc.n*g.outPix()
		want := make([]float32, rows*K)
		for r := range rows {
			s := r / g.outPix()
			g.im2colRow(want[r*K:(r+1)*K], x[s*g.inImg():(s+1)*g.inImg()], r%g.outPix())
		}
		for _, split := range []int{rows, 1, 5, g.ow + 1} {
			got := make([]float32, rows*K)
			for i := range got {
				got[i] = float32(math.NaN()) // every entry must be written
			}
			for lo := 0; lo < rows; lo += split {
				g.im2col(got, x, lo, min(lo+split, rows))
			}
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("case %d, ranges of %d rows: entry %d (row %d) = %v, im2colRow gives %v", i, split, j, j/K, got[j], want[j])
				}
			}
		}
	}
}
