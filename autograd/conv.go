package autograd

import (
	"fmt"
	"sync"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// Convolutions on channels-last (NHWC) images, as Keras's Conv2D and
// Conv2DTranspose, by im2col + GEMM.
//
// A batch is processed in chunks of whole samples whose im2col matrix and
// output fit convChunkFloats (16 MB), which bounds the scratch memory while
// keeping the GEMMs large enough to split well over the workers. Every step — im2col, the GEMM, col2im, bias and
// activation — splits its work over rows or samples, never over a sum, and
// the weight gradient adds the chunks up in a fixed order that depends only
// on the shapes: results are bit-identical whatever GOMAXPROCS is.
//
// Conv2D's 3×3 stride-1 convolutions, its 5×5 stride-1 ones and strided
// ones that rearrange space-to-depth into 3×3 (AlexNet's 11×11 of stride
// 4) run as Winograd F(2×2, 3×3) instead where that pays: winograd.go,
// winograd5.go, winograd_s2d.go.

var (
	opConv2D          = register("conv2d", conv2DBackward)
	opConv2DTranspose = register("conv2d_transpose", conv2DTransposeBackward)
)

// Padding selects how a convolution or pooling window meets the borders of
// its input, as Keras's padding argument.
type Padding uint8

const (
	// Valid uses only windows that fit inside the input (no padding).
	Valid Padding = iota
	// Same pads the input (with zeros for convolutions, ignored by pooling)
	// so that the output has ceil(input/stride) positions, the extra
	// padding at the bottom and right, as TensorFlow does.
	Same
)

// String returns Keras's name for p: "valid" or "same".
func (p Padding) String() string {
	switch p {
	case Valid:
		return "valid"
	case Same:
		return "same"
	}
	return fmt.Sprintf("Padding(%d)", uint8(p))
}

// ConvOutputLength returns the number of positions of a window of size k
// with the given stride along an input axis of length in: Keras's
// conv_output_length (dilation 1). It is 0 when a valid window does not fit.
// stride must be positive.
func ConvOutputLength(in, k, stride int, pad Padding) int {
	if pad == Same {
		return (in + stride - 1) / stride
	}
	if in < k {
		return 0
	}
	return (in-k)/stride + 1
}

// DeconvOutputLength returns the output length of a transposed convolution
// along an axis of length in: Keras's deconv_output_length without output
// padding. stride must be positive.
func DeconvOutputLength(in, k, stride int, pad Padding) int {
	if pad == Same {
		return in * stride
	}
	return in*stride + max(k-stride, 0)
}

// convChunkFloats bounds the im2col matrix and output of one chunk of
// samples; a batch whose whole im2col matrix takes at most keepColsFloats
// keeps it from the forward pass to the backward. They are variables so
// that tests can force many chunks.
var (
	convChunkFloats = 1 << 22
	keepColsFloats  = 1 << 22
)

// convGeom describes a sliding window over a batch of NHWC images: a
// convolution, whose kernel (kh, kw, c, f) maps images (n, h, w, c) to
// (n, oh, ow, f), or a pooling (f == c).
type convGeom struct {
	n, h, w, c int
	kh, kw     int
	sh, sw     int
	padT, padL int
	oh, ow, f  int
}

// setPad sets TensorFlow's top and left padding for the output size: half
// the total, the odd one at the bottom and right. With valid padding the
// total is never positive.
func (g *convGeom) setPad() {
	g.padT = max((g.oh-1)*g.sh+g.kh-g.h, 0) / 2
	g.padL = max((g.ow-1)*g.sw+g.kw-g.w, 0) / 2
}

func (g *convGeom) k() int      { return g.kh * g.kw * g.c } // im2col row width
func (g *convGeom) inImg() int  { return g.h * g.w * g.c }   // floats per input sample
func (g *convGeom) outPix() int { return g.oh * g.ow }       // positions per sample

// pointwise reports whether the im2col matrix is the input itself.
func (g *convGeom) pointwise() bool { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 }

// chunk returns the number of samples processed together: their im2col
// matrix and their out floats of output fit convChunkFloats.
func (g *convGeom) chunk(out int) int {
	per := g.outPix()*g.k() + out
	return max(1, min(g.n, convChunkFloats/max(per, 1)))
}

// im2col writes rows [lo, hi) of the im2col matrix of the images in x (the
// chunk's first sample is x's first): row (s, oy, ox) holds the window at
// that output position, in kernel order (ky, kx, c), with zeros for
// padding.
//
// It goes a run of one output row at a time: a window that lies inside the
// image's width takes its kernel rows as runs of kw·c floats at a fixed
// step along the output row, copied in a loop without the per-window
// bookkeeping of im2colRow, which the windows that reach into the left or
// right padding keep. A few-channel first layer (LeNet's 3×3 over one
// channel, 9 floats a row) spent most of its forward pass here.
func (g *convGeom) im2col(cols, x []float32, lo, hi int) {
	K, ohw, img := g.k(), g.outPix(), g.inImg()
	for r := lo; r < hi; {
		s, p := r/ohw, r%ohw
		oy, ox0 := p/g.ow, p%g.ow
		n := min(hi-r, g.ow-ox0)
		g.im2colRun(cols[r*K:(r+n)*K], x[s*img:(s+1)*img], oy, ox0, n)
		r += n
	}
}

// im2colRun writes the im2col rows of output positions (oy, ox0) to
// (oy, ox0+n−1) of the image src into dst, n rows of K floats.
func (g *convGeom) im2colRun(dst, src []float32, oy, ox0, n int) {
	K, c, seg, rowLen := g.k(), g.c, g.kw*g.c, g.w*g.c
	// The positions [in0, in1) of the run whose windows lie inside the
	// image's width; the others go through im2colRow.
	in0, in1 := ox0, ox0+n
	for in0 < in1 && in0*g.sw-g.padL < 0 {
		in0++
	}
	for in1 > in0 && (in1-1)*g.sw-g.padL+g.kw > g.w {
		in1--
	}
	for ox := ox0; ox < ox0+n; ox++ {
		if ox < in0 || ox >= in1 {
			i := ox - ox0
			g.im2colRow(dst[i*K:(i+1)*K], src, oy*g.ow+ox)
		}
	}
	if in0 >= in1 {
		return
	}
	step := g.sw * c
	for ky := range g.kh {
		iy := oy*g.sh - g.padT + ky
		if iy < 0 || iy >= g.h {
			for ox := in0; ox < in1; ox++ {
				o := (ox-ox0)*K + ky*seg
				clear(dst[o : o+seg])
			}
			continue
		}
		row := src[iy*rowLen : (iy+1)*rowLen]
		b := (in0*g.sw - g.padL) * c
		o := (in0-ox0)*K + ky*seg
		if seg > 8 {
			for range in1 - in0 {
				copy(dst[o:o+seg], row[b:b+seg])
				b, o = b+step, o+K
			}
			continue
		}
		for range in1 - in0 {
			d, s := dst[o:o+seg:o+seg], row[b:b+seg:b+seg]
			for j := range d {
				d[j] = s[j]
			}
			b, o = b+step, o+K
		}
	}
}

// origin returns the input position of the top-left tap of output
// position p's window (negative or beyond the image in the padding) and
// whether all its columns lie inside the image.
func (g *convGeom) origin(p int) (iy0, ix0 int, inside bool) {
	oy, ox := p/g.ow, p%g.ow
	iy0, ix0 = oy*g.sh-g.padT, ox*g.sw-g.padL
	return iy0, ix0, ix0 >= 0 && ix0+g.kw <= g.w
}

// im2colRow writes into dst the window of the image src at output
// position p: one row of the im2col matrix.
func (g *convGeom) im2colRow(dst, src []float32, p int) {
	c, seg, rowLen := g.c, g.kw*g.c, g.w*g.c
	iy0, ix0, inside := g.origin(p)
	for ky := range g.kh {
		d := dst[ky*seg : (ky+1)*seg]
		iy := iy0 + ky
		if iy < 0 || iy >= g.h {
			clear(d)
			continue
		}
		row := src[iy*rowLen : (iy+1)*rowLen]
		if inside {
			copySmall(d, row[ix0*c:ix0*c+seg])
			continue
		}
		for kx := range g.kw {
			dd := d[kx*c : (kx+1)*c]
			if ix := ix0 + kx; ix < 0 || ix >= g.w {
				clear(dd)
			} else {
				copySmall(dd, row[ix*c:(ix+1)*c])
			}
		}
	}
}

// col2im adds the im2col-layout rows of cols back into the images of dx,
// samples [lo, hi) of the chunk: the adjoint of im2col.
func (g *convGeom) col2im(dx, cols []float32, lo, hi int) {
	K, ohw, img := g.k(), g.outPix(), g.inImg()
	for s := lo; s < hi; s++ {
		dst := dx[s*img : (s+1)*img]
		for p := range ohw {
			r := s*ohw + p
			g.col2imRow(dst, cols[r*K:(r+1)*K], p)
		}
	}
}

// col2imRow adds src, one im2col row at output position p, back into the
// image dst: the adjoint of im2colRow.
func (g *convGeom) col2imRow(dst, src []float32, p int) {
	c, seg, rowLen := g.c, g.kw*g.c, g.w*g.c
	iy0, ix0, inside := g.origin(p)
	for ky := range g.kh {
		iy := iy0 + ky
		if iy < 0 || iy >= g.h {
			continue
		}
		sv := src[ky*seg : (ky+1)*seg]
		row := dst[iy*rowLen : (iy+1)*rowLen]
		if inside {
			addTo(row[ix0*c:ix0*c+seg], sv)
			continue
		}
		for kx := range g.kw {
			if ix := ix0 + kx; ix >= 0 && ix < g.w {
				addTo(row[ix*c:(ix+1)*c], sv[kx*c:(kx+1)*c])
			}
		}
	}
}

// copySmall copies src into dst, avoiding memmove's call for a few values.
func copySmall(dst, src []float32) {
	if len(src) > 8 {
		copy(dst, src)
		return
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = v
	}
}

// addTo computes dst += src.
func addTo(dst, src []float32) {
	n := len(src)
	if n >= 16 {
		cpu.Add(dst[:n], dst[:n], src) // the same sums, in SIMD
		return
	}
	dst = dst[:n]
	for i := range n {
		dst[i] += src[i]
	}
}

// biasAct computes y = act(y + b) over rows [lo, hi) of a cols-wide matrix
// with the SIMD kernels. b may be nil.
func biasAct(y, b []float32, act Activation, cols, lo, hi int) {
	y = y[lo*cols : hi*cols]
	if b != nil {
		cpu.AddBias(y, b)
	}
	applyActivation(y, act, cols)
}

// biasBlock is the number of rows whose bias gradient is summed as one
// partial sum; the partial sums are then added in order. It is a constant,
// so the summation order does not depend on the number of workers.
const biasBlock = 64

func biasBlocks(rows int) int { return (rows + biasBlock - 1) / biasBlock }

// actGradBias computes, for the blocks [lo, hi) of biasBlock rows of a
// cols-wide output, dz = dy·act'(y) (into dz unless act is Linear, where dz
// is dy) and, when part is not nil, each block's column sums of dz into
// part.
func actGradBias(dz, dy, y, part []float32, act Activation, cols, lo, hi int) {
	rows := len(dy) / cols
	for blk := lo; blk < hi; blk++ {
		r0, r1 := blk*biasBlock*cols, min((blk+1)*biasBlock, rows)*cols
		var p []float32
		if part != nil {
			p = part[blk*cols : (blk+1)*cols : (blk+1)*cols]
			clear(p)
		}
		switch {
		case act == ReLU && p != nil:
			reluGrad(dz[r0:r1], dy[r0:r1], y[r0:r1])
			cpu.SumRows(p, dz[r0:r1]) // rows added in order, as before
			continue
		case act == ReLU:
			reluGrad(dz[r0:r1], dy[r0:r1], y[r0:r1])
			continue
		case act == Linear:
			dz = dy
		default:
			activationGrad(dz[r0:r1], dy[r0:r1], y[r0:r1], act, cols, false)
		}
		if p != nil {
			for r := r0; r < r1; r += cols {
				addTo(p, dz[r:r+cols])
			}
		}
	}
}

// reluGrad computes dz = dy where y > 0, else +0 (in SIMD).
func reluGrad(dz, dy, y []float32) { cpu.ReluGrad(dz, dy, y) }

// winJob carries one parallel step of a window op (convolution or pooling)
// to cpu.ParallelFor. Jobs are recycled with their method value, so that a
// step allocates nothing.
type winJob struct {
	kind    jobKind
	g       convGeom
	a, b, c []float32 // the step's operands, by kind
	d       []float32
	idx     []int32
	act     Activation
	cols    int // row width of jobBiasAct and jobActGrad
	fn      func(lo, hi int)
}

type jobKind uint8

const (
	jobIm2col jobKind = iota
	jobCol2im
	jobBiasAct
	jobActGrad
	jobMaxPool
	jobMaxPoolBack
	jobAvgPool
	jobAvgPoolBack
	jobUpSample
	jobUpSampleBack
	jobGlobalPool
	jobGlobalPoolBack
)

// freeList recycles parallel jobs (with their method values, which would
// allocate if made again).
type freeList[T any] struct {
	sync.Mutex
	free []*T
}

// get returns a recycled job, or nil.
func (l *freeList[T]) get() *T {
	l.Lock()
	defer l.Unlock()
	n := len(l.free)
	if n == 0 {
		return nil
	}
	j := l.free[n-1]
	l.free = l.free[:n-1]
	return j
}

func (l *freeList[T]) put(j *T) {
	l.Lock()
	l.free = append(l.free, j)
	l.Unlock()
}

var winJobs freeList[winJob]

func getJob(g convGeom) *winJob {
	j := winJobs.get()
	if j == nil {
		j = &winJob{}
		j.fn = j.run
	}
	j.g = g
	return j
}

func putJob(j *winJob) {
	j.a, j.b, j.c, j.d, j.idx = nil, nil, nil, nil, nil
	winJobs.put(j)
}

// parallel runs step kind over n items, each costing about cost floats of
// work, splitting only when a share is worth waking a worker for.
func (j *winJob) parallel(kind jobKind, n, cost int) {
	j.kind = kind
	if serialWindowOps {
		j.fn(0, n)
		return
	}
	cpu.ParallelFor(n, max(1, grainFloats/max(cost, 1)), j.fn)
}

// grainFloats is the least work, in floats touched, worth a parallel share;
// serialWindowOps runs every step on the calling goroutine (for tests that
// check that splitting the work does not change the results).
var (
	grainFloats     = 1 << 14
	serialWindowOps = false
)

func (j *winJob) run(lo, hi int) {
	g := &j.g
	switch j.kind {
	case jobIm2col:
		g.im2col(j.a, j.b, lo, hi)
	case jobCol2im:
		g.col2im(j.a, j.b, lo, hi)
	case jobBiasAct:
		biasAct(j.a, j.b, j.act, j.cols, lo, hi)
	case jobActGrad:
		actGradBias(j.a, j.b, j.c, j.d, j.act, j.cols, lo, hi)
	case jobMaxPool:
		g.maxPool(j.a, j.b, j.idx, lo, hi)
	case jobMaxPoolBack:
		g.maxPoolBack(j.a, j.b, j.idx, lo, hi)
	case jobAvgPool:
		g.avgPool(j.a, j.b, lo, hi)
	case jobAvgPoolBack:
		g.avgPoolBack(j.a, j.b, lo, hi)
	case jobUpSample:
		g.upSample(j.a, j.b, lo, hi)
	case jobUpSampleBack:
		g.upSampleBack(j.a, j.b, lo, hi)
	case jobGlobalPool:
		g.globalPool(j.a, j.b, j.idx, lo, hi)
	case jobGlobalPoolBack:
		g.globalPoolBack(j.a, j.b, j.idx, lo, hi)
	}
}

// dims4 returns a 4-D shape or panics.
func dims4(name, what string, v *Var) (a, b, c, d int) {
	s := v.Value.Shape
	if len(s) != 4 {
		panic(fmt.Sprintf("autograd: %s: %s of shape %v is not 4-D", name, what, s))
	}
	return s[0], s[1], s[2], s[3]
}

func checkStrides(name string, s [2]int) {
	if s[0] < 1 || s[1] < 1 {
		panic(fmt.Sprintf("autograd: %s: strides %v must be positive", name, s))
	}
}

// Conv2D returns act(conv(x, w) + b) for images x of shape (n, h, w, c)
// and a kernel w of shape (kh, kw, c, f), Keras's layout: the output has
// shape (n, oh, ow, f) with oh = ConvOutputLength(h, kh, strides[0],
// padding), and likewise ow. b (f values) may be nil for no bias. Like
// Dense, the backward pass needs only the output, so no pre-activation is
// kept.
func (tp *Tape) Conv2D(x, w, b *Var, strides [2]int, padding Padding, act Activation) *Var {
	checkStrides("Conv2D", strides)
	n, h, wd, c := dims4("Conv2D", "input", x)
	kh, kw, kc, f := dims4("Conv2D", "kernel", w)
	if kc != c {
		panic(fmt.Sprintf("autograd: Conv2D: kernel %v for input %v", w.Value.Shape, x.Value.Shape))
	}
	if b != nil && b.Value.Size() != f {
		panic(fmt.Sprintf("autograd: Conv2D: bias of shape %v for %d filters", b.Value.Shape, f))
	}
	g := convGeom{n: n, h: h, w: wd, c: c, kh: kh, kw: kw, sh: strides[0], sw: strides[1], f: f,
		oh: ConvOutputLength(h, kh, strides[0], padding), ow: ConvOutputLength(wd, kw, strides[1], padding)}
	if g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("autograd: Conv2D: kernel %dx%d does not fit input %v with %s padding", kh, kw, x.Value.Shape, padding))
	}
	g.setPad()
	var buf [8]int
	out, nd := tp.output(opConv2D, append(buf[:0], n, g.oh, g.ow, f), x, w, b)
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	K, ohw := g.k(), g.outPix()
	per := g.chunk(ohw * f)
	switch {
	case g.taps():
		tp.conv2DTaps(&g, nd, x, w, b, out, strides, act)
		return out
	case g.winograd():
		tp.conv2DWinograd(&g, nd, x, w, b, out, strides, act, per)
		return out
	case g.winograd5():
		tp.conv2DWinograd5(&g, nd, x, w, b, out, strides, act, per)
		return out
	}
	if d, ok := g.winogradS2D(); ok {
		tp.conv2DWinogradS2D(&g, &d, nd, x, w, b, out, strides, act, per)
		return out
	}
	// A small im2col matrix is kept whole for the weight gradient rather
	// than rebuilt chunk by chunk in the backward pass.
	keep := nd != nil && w.Grad != nil && !g.pointwise() && n*ohw*K <= keepColsFloats
	var cols *tensor.Tensor
	switch {
	case keep:
		cols = tp.Scratch(n * ohw * K)
	case !g.pointwise():
		cols = tp.Scratch(per * ohw * K)
	}
	j := getJob(g)
	for s0 := 0; s0 < n; s0 += per {
		s1 := min(s0+per, n)
		rows := (s1 - s0) * ohw
		a := x.Value.Data[s0*g.inImg() : s1*g.inImg()]
		if cols != nil {
			c := cols.Data
			if keep {
				c = c[s0*ohw*K:]
			}
			j.a, j.b = c, a
			j.parallel(jobIm2col, rows, K)
			a = c[:rows*K]
		}
		y := out.Value.Data[s0*ohw*f : s1*ohw*f]
		if act == Linear || act == ReLU {
			// The GEMM adds the bias and applies ReLU as it writes C.
			cpu.GemmBias(false, false, rows, f, K, 1, a, K, w.Value.Data, f, 0, y, f, bias, act == ReLU)
		} else {
			cpu.Gemm(false, false, rows, f, K, 1, a, K, w.Value.Data, f, 0, y, f)
			j.a, j.b, j.act, j.cols = y, bias, act, f
			j.parallel(jobBiasAct, rows, f)
		}
	}
	putJob(j)
	if nd != nil {
		tp.saveForBackward(nd, strides, act, cols, per*ohw, f, b != nil)
		nd.flag = keep
		if act == ReLU && sparseConvGrad {
			nd.idx = tp.IntScratch(sparseCap(per*ohw, f))
		}
	}
	return out
}

// recordedGeom rebuilds a convolution's geometry from its recorded shapes
// and strides: the padding follows from the sizes.
func recordedGeom(nd *node, img, kernel, conv *Var) convGeom {
	s := img.Value.Shape
	k := kernel.Value.Shape
	o := conv.Value.Shape
	g := convGeom{n: s[0], h: s[1], w: s[2], c: s[3], kh: k[0], kw: k[1], f: k[3],
		sh: nd.ints[0], sw: nd.ints[1], oh: o[1], ow: o[2]}
	g.setPad()
	return g
}

// actGradBias returns dz = dy·act'(y) for a chunk of the output, rows
// cols wide, computed into buf (dy itself for a linear activation), and
// adds the column sums of dz to the bias gradient db when it is not nil,
// by blocks of rows summed in parallel (into part) and then in order.
func (j *winJob) actGradBias(buf, part *tensor.Tensor, dy, y, db []float32, act Activation, cols int) []float32 {
	dz := dy
	if act != Linear {
		dz = buf.Data[:len(dy)]
	}
	if act == Linear && db == nil {
		return dz
	}
	blocks := biasBlocks(len(dy) / cols)
	j.a, j.b, j.c, j.d, j.act, j.cols = dz, dy, y, nil, act, cols
	if db != nil {
		j.d = part.Data[:blocks*cols]
	}
	j.parallel(jobActGrad, blocks, biasBlock*cols)
	if db != nil {
		for blk := range blocks {
			addTo(db, j.d[blk*cols:(blk+1)*cols])
		}
	}
	return dz
}

// biasGrad returns b's gradient, or nil.
func biasGrad(b *Var) []float32 {
	if b == nil || b.Grad == nil {
		return nil
	}
	return b.Grad.Data
}

// saveForBackward keeps what a convolution's backward pass needs: the
// strides, the activation, the im2col buffer and the scratch for dz and the
// bias partial sums, sized for a chunk of rows outputs of cols values.
func (tp *Tape) saveForBackward(nd *node, strides [2]int, act Activation, cols *tensor.Tensor, rows, width int, bias bool) {
	nd.ints[0], nd.ints[1] = strides[0], strides[1]
	nd.act = act
	nd.aux[0] = cols
	if act != Linear {
		nd.aux[1] = tp.Scratch(rows * width)
	}
	if bias {
		nd.aux[2] = tp.Scratch(biasBlocks(rows) * width)
	}
}

func conv2DBackward(nd *node) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	g := recordedGeom(nd, x, w, nd.out)
	K, ohw, f := g.k(), g.outPix(), g.f
	per := g.chunk(ohw * f)
	switch nd.ints[2] {
	case convWinograd:
		conv2DBackwardWinograd(nd, &g, per)
		return
	case convWinograd5:
		conv2DBackwardWinograd5(nd, &g, per)
		return
	case convWinogradS2D:
		conv2DBackwardWinogradS2D(nd, &g, per)
		return
	case convTaps:
		conv2DBackwardTaps(nd, &g)
		return
	}
	cols := nd.aux[0]
	j := getJob(g)
	for s0 := 0; s0 < g.n; s0 += per {
		s1 := min(s0+per, g.n)
		rows := (s1 - s0) * ohw
		lo, hi := s0*ohw*f, s1*ohw*f
		xs := x.Value.Data[s0*g.inImg() : s1*g.inImg()]
		if nd.idx != nil {
			var kept, dx, dw []float32
			if nd.flag {
				kept = cols.Data[s0*ohw*K : s1*ohw*K]
			}
			if x.Grad != nil {
				dx = x.Grad.Data[s0*g.inImg() : s1*g.inImg()]
			}
			if w.Grad != nil {
				dw = w.Grad.Data
			}
			if g.sparseBackward(nd, rows, nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], xs, kept, w.Value.Data, dx, dw, biasGrad(b)) {
				continue
			}
		}
		dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], biasGrad(b), nd.act, f)
		var c []float32
		if cols != nil {
			c = cols.Data
			if nd.flag { // kept from the forward pass
				c = c[s0*ohw*K:]
			}
		}
		if w.Grad != nil {
			a := xs
			if c != nil {
				if !nd.flag {
					j.a, j.b = c, xs
					j.parallel(jobIm2col, rows, K)
				}
				a = c[:rows*K]
			}
			cpu.Gemm(true, false, K, f, rows, 1, a, K, dz, f, 1, w.Grad.Data, f)
		}
		if x.Grad != nil {
			dx := x.Grad.Data[s0*g.inImg() : s1*g.inImg()]
			if c == nil {
				cpu.Gemm(false, true, rows, K, f, 1, dz, f, w.Value.Data, f, 1, dx, K)
				continue
			}
			cpu.Gemm(false, true, rows, K, f, 1, dz, f, w.Value.Data, f, 0, c, K)
			j.a, j.b = dx, c
			j.parallel(jobCol2im, s1-s0, ohw*K)
		}
	}
	putJob(j)
}

// Conv2DTranspose returns act(convᵀ(x, w) + b), the transposed convolution
// (the input gradient of Conv2D), for images x of shape (n, h, w, c) and a
// kernel w of shape (kh, kw, f, c), Keras's layout: the output has shape
// (n, oh, ow, f) with oh = DeconvOutputLength(h, kh, strides[0], padding),
// and likewise ow. b (f values) may be nil.
func (tp *Tape) Conv2DTranspose(x, w, b *Var, strides [2]int, padding Padding, act Activation) *Var {
	checkStrides("Conv2DTranspose", strides)
	n, h, wd, c := dims4("Conv2DTranspose", "input", x)
	kh, kw, f, kc := dims4("Conv2DTranspose", "kernel", w)
	if kc != c {
		panic(fmt.Sprintf("autograd: Conv2DTranspose: kernel %v for input %v", w.Value.Shape, x.Value.Shape))
	}
	if b != nil && b.Value.Size() != f {
		panic(fmt.Sprintf("autograd: Conv2DTranspose: bias of shape %v for %d filters", b.Value.Shape, f))
	}
	// The geometry of the convolution that this transposes: from the
	// output (oh, ow, f) to the input (h, w, c).
	g := convGeom{n: n, h: DeconvOutputLength(h, kh, strides[0], padding), w: DeconvOutputLength(wd, kw, strides[1], padding),
		c: f, kh: kh, kw: kw, sh: strides[0], sw: strides[1], oh: h, ow: wd, f: c}
	g.setPad()
	var buf [8]int
	out, nd := tp.output(opConv2DTranspose, append(buf[:0], n, g.h, g.w, f), x, w, b)
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	K, ohw := g.k(), g.outPix()
	per := g.chunk(g.inImg())
	var cols *tensor.Tensor
	if !g.pointwise() {
		cols = tp.Scratch(per * ohw * K)
	}
	j := getJob(g)
	for s0 := 0; s0 < n; s0 += per {
		s1 := min(s0+per, n)
		rows := (s1 - s0) * ohw
		xs := x.Value.Data[s0*ohw*c : s1*ohw*c]
		y := out.Value.Data[s0*g.inImg() : s1*g.inImg()]
		if cols == nil {
			cpu.Gemm(false, true, rows, K, c, 1, xs, c, w.Value.Data, c, 0, y, K)
		} else {
			cpu.Gemm(false, true, rows, K, c, 1, xs, c, w.Value.Data, c, 0, cols.Data, K)
			clear(y)
			j.a, j.b = y, cols.Data
			j.parallel(jobCol2im, s1-s0, ohw*K)
		}
		if bias != nil || act != Linear {
			j.a, j.b, j.act, j.cols = y, bias, act, f
			j.parallel(jobBiasAct, len(y)/f, f)
		}
	}
	putJob(j)
	if nd != nil {
		tp.saveForBackward(nd, strides, act, cols, per*g.h*g.w, f, b != nil)
	}
	return out
}

func conv2DTransposeBackward(nd *node) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	g := recordedGeom(nd, nd.out, w, x)
	K, ohw, c := g.k(), g.outPix(), g.f
	per := g.chunk(g.inImg())
	cols := nd.aux[0]
	j := getJob(g)
	for s0 := 0; s0 < g.n; s0 += per {
		s1 := min(s0+per, g.n)
		rows := (s1 - s0) * ohw
		lo, hi := s0*g.inImg(), s1*g.inImg()
		dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], biasGrad(b), nd.act, g.c)
		if w.Grad == nil && x.Grad == nil {
			continue
		}
		a := dz
		if cols != nil {
			j.a, j.b = cols.Data, dz
			j.parallel(jobIm2col, rows, K)
			a = cols.Data[:rows*K]
		}
		xs := x.Value.Data[s0*ohw*c : s1*ohw*c]
		if w.Grad != nil {
			cpu.Gemm(true, false, K, c, rows, 1, a, K, xs, c, 1, w.Grad.Data, c)
		}
		if x.Grad != nil {
			cpu.Gemm(false, false, rows, c, K, 1, a, K, w.Value.Data, c, 1, x.Grad.Data[s0*ohw*c:s1*ohw*c], c)
		}
	}
	putJob(j)
}
