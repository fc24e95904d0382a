package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// 5×5 stride-1 convolutions (AlexNet's second layer) as four 3×3 Winograd
// F(2×2, 3×3) convolutions: the kernel, zero-padded to 6×6, is cut into
// the 3×3 blocks w_ab (a, b ∈ {0, 1}), and
//
//	conv5(x, w)(oy, ox) = Σ_ab conv3(x, w_ab)(oy + 3a, ox + 3b),
//
// each a 3×3 convolution of the same input whose window starts 3a rows and
// 3b columns further (its padding less by as much; taps beyond the image
// or the kernel are zeros). With F(2×2, 3×3) that is 4·16 = 64 products
// per 2×2 output tile and channel pair where direct convolution takes 100:
// 1.56 times fewer; with F(4×4, 3×3), 4·36 = 144 per 4×4 tile where direct
// convolution takes 400: 2.8 times fewer.
// The four are added in a fixed order, the first writing the output with
// the bias, so the results stay bit-identical whatever GOMAXPROCS is.

// convWinograd5 marks, in a Conv2D node's ints[2], a 5×5 convolution run
// as four Winograd convolutions forward and backward.
const convWinograd5 = 2

// winograd5 reports whether the convolution g runs as four Winograd 3×3
// convolutions: a 5×5 kernel of stride 1, with the channel, filter, size
// and tile thresholds of winograd.
func (g *convGeom) winograd5() bool {
	return !winoDisabled && !wino5Disabled && g.kh == 5 && g.kw == 5 && g.sh == 1 && g.sw == 1 &&
		g.c >= winoMinC && g.f >= winoMinF && g.oh >= 2 && g.ow >= 2 &&
		g.n*((g.oh+1)/2)*((g.ow+1)/2) >= winoMinTiles
}

// wino5Disabled turns the 5×5 path off alone (tests, benchmarks).
var wino5Disabled = false

// wino5Sub returns the geometry of block ab's 3×3 convolution for n
// samples.
func (g *convGeom) wino5Sub(n, ab int) winoGeom {
	a, b := ab/2, ab%2
	return newWinoGeom(n, g.h, g.w, g.c, g.oh, g.ow, g.f, g.padT-3*a, g.padL-3*b, g.winoM())
}

// wino5SubGrad returns the geometry of the input gradient of block ab's
// 3×3 convolution for n samples.
func (g *convGeom) wino5SubGrad(n, ab int) winoGeom {
	a, b := ab/2, ab%2
	return newWinoGeom(n, g.oh, g.ow, g.f, g.h, g.w, g.c, 2-(g.padT-3*a), 2-(g.padL-3*b), g.winoMdx())
}

// wino5Block writes block ab of the 5×5 kernel w (5, 5, c, f) into blk, a
// 3×3 kernel (3, 3, c, f), with zeros beyond the 5×5 taps.
func wino5Block(blk, w []float32, cf, ab int) {
	a, b := ab/2, ab%2
	for ky := range 3 {
		for kx := range 3 {
			d := blk[(ky*3+kx)*cf : (ky*3+kx+1)*cf]
			if y, x := 3*a+ky, 3*b+kx; y < 5 && x < 5 {
				copy(d, w[(y*5+x)*cf:])
			} else {
				clear(d)
			}
		}
	}
}

// wino5AddBlock adds the 3×3 kernel gradient blk of block ab into the
// 5×5 kernel gradient dw, dropping the taps beyond the kernel.
func wino5AddBlock(dw, blk []float32, cf, ab int) {
	a, b := ab/2, ab%2
	for ky := range 3 {
		for kx := range 3 {
			if y, x := 3*a+ky, 3*b+kx; y < 5 && x < 5 {
				d := dw[(y*5+x)*cf : (y*5+x+1)*cf]
				cpu.Add(d, d, blk[(ky*3+kx)*cf:(ky*3+kx+1)*cf])
			}
		}
	}
}

// wino5Back returns the parts of a 5×5 Winograd Conv2D's scratch buffer:
// the four blocks' transformed kernels, a 3×3 kernel buffer, then room for
// the flipped kernels' (with dx) and the weight gradient's products (with
// dw), four of each.
func wino5Back(cols []float32, ue, c, f int, dx, dw bool) (u, blk, ut, du []float32) {
	u, cols = cols[:4*ue], cols[4*ue:]
	blk, cols = cols[:9*c*f], cols[9*c*f:]
	if dx {
		ut, cols = cols[:4*ue], cols[4*ue:]
	}
	if dw {
		du = cols[:4*ue]
	}
	return u, blk, ut, du
}

// wino5Scratch returns the size of wino5Back's buffer, for ue floats of
// transformed kernels per block.
func wino5Scratch(ue, c, f int, dx, dw bool) int {
	n := 4*ue + 9*c*f
	if dx {
		n += 4 * ue
	}
	if dw {
		n += 4 * ue
	}
	return n
}

// conv2DWinograd5 computes the 5×5 Conv2D g into out as four Winograd
// convolutions and, when recording, keeps what the backward pass needs, as
// conv2DWinograd does.
func (tp *Tape) conv2DWinograd5(g *convGeom, nd *node, x, w, b, out *Var, strides [2]int, act Activation, per int) {
	c, f := g.c, g.f
	cf, u16, m := c*f, g.winoKernels(), g.winoM()
	back := nd != nil && g.winogradBackward()
	var cols *tensor.Tensor
	if back {
		cols = tp.Scratch(wino5Scratch(u16, c, f, x.Grad != nil, w.Grad != nil))
	} else {
		cols = tp.Scratch(wino5Scratch(u16, c, f, false, false))
	}
	u, blk, _, _ := wino5Back(cols.Data, u16, c, f, false, false)
	for ab := range 4 {
		wino5Block(blk, w.Value.Data, cf, ab)
		winoTransformFilter(u[ab*u16:(ab+1)*u16], blk, c, f, m)
	}
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	y := out.Value.Data
	for ab := range 4 {
		if ab == 0 {
			winoConv(g.wino5Sub(g.n, ab), x.Value.Data, u[:u16], y, bias, false, false)
		} else {
			winoConv(g.wino5Sub(g.n, ab), x.Value.Data, u[ab*u16:(ab+1)*u16], y, nil, false, true)
		}
	}
	if act != Linear {
		j := getJob(*g)
		j.a, j.b, j.act, j.cols = y, nil, act, f
		j.parallel(jobBiasAct, len(y)/f, f)
		putJob(j)
	}
	switch {
	case back:
		tp.saveForBackward(nd, strides, act, cols, per*g.outPix(), f, b != nil)
		nd.flag = false
		nd.ints[2] = convWinograd5
	case nd != nil:
		tp.saveForBackward(nd, strides, act, tp.Scratch(per*g.outPix()*g.k()), per*g.outPix(), f, b != nil)
		nd.flag = false
	}
}

// conv2DBackwardWinograd5 is the backward pass of a 5×5 Winograd Conv2D:
// conv2DBackwardWinograd for each block, the input gradients added in
// block order, each block's kernel gradient added into the 5×5 one.
func conv2DBackwardWinograd5(nd *node, g *convGeom, per int) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	c, f, ohw := g.c, g.f, g.outPix()
	cf, u16, m := c*f, g.winoKernels(), g.winoM()
	u, blk, ut, du := wino5Back(nd.aux[0].Data, u16, c, f, x.Grad != nil, w.Grad != nil)
	if ut != nil {
		for ab := range 4 {
			wino5Block(blk, w.Value.Data, cf, ab)
			winoFlipFilter(ut[ab*u16:(ab+1)*u16], u[ab*u16:(ab+1)*u16], blk, c, f, m, g.winoMdx())
		}
	}
	j := getJob(*g)
	for s0 := 0; s0 < g.n; s0 += per {
		s1 := min(s0+per, g.n)
		lo, hi := s0*ohw*f, s1*ohw*f
		dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], biasGrad(b), nd.act, f)
		xs := x.Value.Data[s0*g.inImg() : s1*g.inImg()]
		if du != nil {
			var gs [4]winoGeom
			for ab := range gs {
				gs[ab] = g.wino5Sub(s1-s0, ab)
			}
			winoWeightGrads(gs[:], xs, dz, du, u16, s0 == 0)
		}
		if ut != nil {
			for ab := range 4 {
				winoConv(g.wino5SubGrad(s1-s0, ab), dz, ut[ab*u16:(ab+1)*u16], x.Grad.Data[s0*g.inImg():s1*g.inImg()], nil, false, true)
			}
		}
	}
	putJob(j)
	if du != nil {
		for ab := range 4 {
			clear(blk)
			winoFilterGrad(blk, du[ab*u16:(ab+1)*u16], c, f, m)
			wino5AddBlock(w.Grad.Data, blk, cf, ab)
		}
	}
}
