package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// A convolution over small, padded maps as GEMMs over the batch, one per
// output position and kernel row, that skip the padding.
//
// With same padding on a small map, much of every window lies in the
// padding: the book's GAN discriminator ends with Conv2D(512, 5×5) on 4×4
// maps, where 51% of the taps multiply zeros (12.25 of 25 on average), and
// its Conv2D(256, 5×5, stride 2) from 7×7 to 4×4, where 36% do. im2col and
// Winograd multiply those zeros. Here, for output position (oy, ox) and
// kernel row ky, the taps that fall inside the image are a run kx0..kx1 of
// one input row, and in the channels-last layout that run is contiguous:
// for image s it is X[s, iy, ix0:ix1, :], at a fixed distance from one
// image to the next. So
//
//	Y[:, oy, ox, :] += X[:, iy, ix0:ix1, :] · W[ky, kx0:kx1, :, :]
//
// is one GEMM with the batch as its rows, read in place (lda = h·w·c,
// ldc = oh·ow·f), no im2col matrix and no padding. The backward pass runs
// the same loops: dW[ky, kx0:kx1] += X[…]ᵀ·dz[:, oy, ox, :] and
// dX[…] += dz[:, oy, ox, :]·W[ky, kx0:kx1]ᵀ, with Wᵀ packed once per pass
// (cpu.PackedB.Cols) and each position's dz once for its kernel rows. Each element's sum runs in a
// fixed order (kernel rows in turn, then the GEMM's own order), so the
// results do not depend on the number of workers.
//
// It pays where the GEMMs are few and wide: taps() asks for at most
// tapsMaxCalls of them, a reduction of at least tapsMinK, a batch of at
// least tapsMinBatch and at least a fifth of the taps in the padding.

// convTaps marks, in a Conv2D node's ints[2], a convolution run by tap
// rows (conv2DTaps).
const convTaps = 4

// The conditions under which taps() chooses this path; variables so that
// tests can force it on small shapes.
var (
	tapsDisabled = false
	tapsMaxCalls = 128
	tapsMinK     = 64
	tapsMinBatch = 16
)

// tapRange returns the kernel taps [k0, k1) of output position o whose
// input o·stride + k − pad lies in [0, size).
func tapRange(o, stride, pad, k, size int) (k0, k1 int) {
	base := o*stride - pad
	return max(0, -base), min(k, size-base)
}

// tapPos is output position (oy, ox) in the tap-row loops: the kernel
// rows [ky0, ky1) whose taps reach the image, the k floats of each row's
// run of taps inside it, and the position's offset in an output image.
type tapPos struct {
	ky0, ky1, kx0, k, out int
	oy, ix                int // the output row, the run's first input column
}

func (g *convGeom) tapPos(oy, ox int) tapPos {
	ky0, ky1 := tapRange(oy, g.sh, g.padT, g.kh, g.h)
	kx0, kx1 := tapRange(ox, g.sw, g.padL, g.kw, g.w)
	return tapPos{ky0: ky0, ky1: ky1, kx0: kx0, k: (kx1 - kx0) * g.c, out: (oy*g.ow + ox) * g.f,
		oy: oy, ix: ox*g.sw + kx0 - g.padL}
}

// in returns the offset in an input image of kernel row ky's run of taps.
func (t *tapPos) in(g *convGeom, ky int) int { return ((t.oy*g.sh+ky-g.padT)*g.w + t.ix) * g.c }

// kernelRow returns the first row of the kernel (as a K×f matrix) that
// kernel row ky's run of taps multiplies.
func (t *tapPos) kernelRow(g *convGeom, ky int) int { return (ky*g.kw + t.kx0) * g.c }

// taps reports whether the convolution g runs by tap rows: enough of its
// taps in the padding, few and wide enough GEMMs.
func (g *convGeom) taps() bool {
	if tapsDisabled || g.n < tapsMinBatch {
		return false
	}
	sumY, sumX, minY, minX := 0, 0, g.kh, g.kw
	for oy := range g.oh {
		k0, k1 := tapRange(oy, g.sh, g.padT, g.kh, g.h)
		sumY += max(0, k1-k0)
		minY = min(minY, k1-k0)
	}
	for ox := range g.ow {
		k0, k1 := tapRange(ox, g.sw, g.padL, g.kw, g.w)
		sumX += max(0, k1-k0)
		minX = min(minX, k1-k0)
	}
	calls := sumY * g.ow
	useful, all := sumY*sumX, g.oh*g.ow*g.kh*g.kw
	return minY > 0 && minX > 0 && calls <= tapsMaxCalls && minX*g.c >= tapsMinK && 5*useful <= 4*all
}

// conv2DTaps computes the Conv2D g into out by tap rows.
func (tp *Tape) conv2DTaps(g *convGeom, nd *node, x, w, b, out *Var, strides [2]int, act Activation) {
	xs, ws, y := x.Value.Data, w.Value.Data, out.Value.Data
	img, ohw, f := g.inImg(), g.outPix(), g.f
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	fused := act == Linear || act == ReLU // the last GEMM adds the bias and applies ReLU
	for oy := range g.oh {
		for ox := range g.ow {
			t := g.tapPos(oy, ox)
			for ky := t.ky0; ky < t.ky1; ky++ {
				beta := float32(1)
				if ky == t.ky0 {
					beta = 0
				}
				var bs []float32
				relu := false
				if ky == t.ky1-1 && fused {
					bs, relu = bias, act == ReLU
				}
				cpu.GemmBias(false, false, g.n, f, t.k, 1, xs[t.in(g, ky):], img,
					ws[t.kernelRow(g, ky)*f:], f, beta, y[t.out:], ohw*f, bs, relu)
			}
		}
	}
	if !fused {
		j := getJob(*g)
		j.a, j.b, j.act, j.cols = y, bias, act, f
		j.parallel(jobBiasAct, len(y)/f, f)
		putJob(j)
	}
	if nd != nil {
		// The backward pass packs Wᵀ once (for the input gradient) and
		// each position's dz once (for the kernel gradient).
		var packs *tensor.Tensor
		if n := tapsPackLen(g, x.Grad != nil, w.Grad != nil); n > 0 {
			packs = tp.Scratch(n)
		}
		tp.saveForBackward(nd, strides, act, packs, g.n*ohw, f, b != nil)
		nd.flag = false
		nd.ints[2] = convTaps
	}
}

// tapsPackLen returns the floats of the backward pass's packed operands:
// Wᵀ (f × K) when the input takes a gradient, one position's dz (n × f)
// when the kernel does.
func tapsPackLen(g *convGeom, dx, dw bool) int {
	n := 0
	if dx {
		n += cpu.PackedBLen(g.f, g.k())
	}
	if dw {
		n += cpu.PackedBLen(g.n, g.f)
	}
	return n
}

// conv2DBackwardTaps is the backward pass of conv2DTaps.
func conv2DBackwardTaps(nd *node, g *convGeom) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	img, ohw, f, K := g.inImg(), g.outPix(), g.f, g.k()
	j := getJob(*g)
	dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data, nd.out.Value.Data, biasGrad(b), nd.act, f)
	putJob(j)
	xs, ws := x.Value.Data, w.Value.Data
	var packs []float32
	if nd.aux[0] != nil {
		packs = nd.aux[0].Data
	}
	// Wᵀ packed once: each input-gradient GEMM takes its block of columns.
	var wt cpu.PackedB
	if x.Grad != nil {
		n := cpu.PackedBLen(f, K)
		wt, packs = cpu.PackB(packs[:n], true, f, K, ws, f), packs[n:]
	}
	for oy := range g.oh {
		for ox := range g.ow {
			t := g.tapPos(oy, ox)
			zo, k := t.out, t.k
			// This position's dz, packed once for its kernel rows.
			var pz cpu.PackedB
			if w.Grad != nil {
				pz = cpu.PackB(packs, false, g.n, f, dz[zo:], ohw*f)
			}
			for ky := t.ky0; ky < t.ky1; ky++ {
				xo, wo := t.in(g, ky), t.kernelRow(g, ky)
				if w.Grad != nil {
					cpu.GemmPacked(true, k, 1, xs[xo:], img, pz, 1, w.Grad.Data[wo*f:], f)
				}
				if x.Grad != nil {
					if blk, ok := wt.Cols(wo, wo+k); ok {
						cpu.GemmPacked(false, g.n, 1, dz[zo:], ohw*f, blk, 1, x.Grad.Data[xo:], img)
					} else {
						cpu.Gemm(false, true, g.n, k, f, 1, dz[zo:], ohw*f, ws[wo*f:], f, 1, x.Grad.Data[xo:], img)
					}
				}
			}
		}
	}
}
