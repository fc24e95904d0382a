package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// Strided convolutions (AlexNet's 11×11 of stride 4) as a 3×3 stride-1
// Winograd convolution of the images rearranged space-to-depth: with
// stride s, the s×s blocks of pixels become pixels of s²·c channels,
//
//	x'(Y, X, (dy·s+dx)·c + ci) = x(s·Y+dy, s·X+dx, ci),
//
// and a k×k kernel with 2s < k ≤ 3s, zero-padded to 3s×3s, becomes a 3×3
// kernel of s²·c input channels, w'(KY, KX, (dy·s+dx)·c+ci, fo) =
// w(s·KY+dy, s·KX+dx, ci, fo): output (oy, ox) reads x' rows oy … oy+2.
// For AlexNet's 224×224×3 input that is a 3×3 convolution of 56×56×48
// images: (3s)²/k² = 1.19 times the direct products, 2.25 times fewer with
// Winograd. Taken only where the rearranged image fits the output exactly
// (valid padding, sizes multiples of s, h/s − 2 = oh), as in AlexNet.

// convWinogradS2D marks, in a Conv2D node's ints[2], a strided
// convolution run space-to-depth; ints[3] holds the stride.
const convWinogradS2D = 3

// winogradS2D reports whether the convolution g runs space-to-depth as a
// Winograd convolution, and the geometry of that 3×3 convolution.
func (g *convGeom) winogradS2D() (convGeom, bool) {
	d, ok := g.s2dGeom()
	return d, ok && !winoDisabled && !winoS2DDisabled &&
		d.c >= winoMinC && d.f >= winoMinF && d.n*((d.oh+1)/2)*((d.ow+1)/2) >= winoMinTiles
}

// s2dGeom returns the 3×3 stride-1 convolution that the convolution g
// rearranges into, if it does.
func (g *convGeom) s2dGeom() (convGeom, bool) {
	s := g.sh
	if s < 2 || g.sw != s || g.kh != g.kw || g.kh <= 2*s || g.kh > 3*s ||
		g.padT != 0 || g.padL != 0 || g.h%s != 0 || g.w%s != 0 || g.h/s-2 != g.oh || g.w/s-2 != g.ow {
		return convGeom{}, false
	}
	return convGeom{n: g.n, h: g.h / s, w: g.w / s, c: g.c * s * s, kh: 3, kw: 3, sh: 1, sw: 1,
		oh: g.oh, ow: g.ow, f: g.f}, true
}

// winoS2DDisabled turns the space-to-depth path off alone.
var winoS2DDisabled = false

// s2dJob rearranges images between the two layouts, split over the rows
// of the rearranged images.
type s2dJob struct {
	g, d   convGeom // the strided convolution and the rearranged one
	x, xs  []float32
	toGrad bool // add xs (a gradient) back into x instead
	fn     func(lo, hi int)
}

var s2dJobs freeList[s2dJob]

// spaceToDepth writes x's images rearranged into xs (toGrad false), or
// adds the rearranged gradient xs into x's layout (toGrad true).
func spaceToDepth(g, d *convGeom, x, xs []float32, toGrad bool) {
	j := s2dJobs.get()
	if j == nil {
		j = &s2dJob{}
		j.fn = j.run
	}
	j.g, j.d, j.x, j.xs, j.toGrad = *g, *d, x, xs, toGrad
	rows := len(xs) / (d.w * d.c)
	if serialWindowOps {
		j.fn(0, rows)
	} else {
		cpu.ParallelFor(rows, max(1, grainFloats/(d.w*d.c)), j.fn)
	}
	j.x, j.xs = nil, nil
	s2dJobs.put(j)
}

func (j *s2dJob) run(lo, hi int) {
	g, d := &j.g, &j.d
	s, c := g.sh, g.c
	seg := s * c // one block row: s pixels of c channels
	for r := lo; r < hi; r++ {
		n, Y := r/d.h, r%d.h
		for X := range d.w {
			o := ((n*d.h+Y)*d.w + X) * d.c
			for dy := range s {
				i := ((n*g.h+s*Y+dy)*g.w + s*X) * c
				if j.toGrad {
					addTo(j.x[i:i+seg], j.xs[o+dy*seg:o+(dy+1)*seg])
				} else {
					copy(j.xs[o+dy*seg:o+(dy+1)*seg], j.x[i:i+seg])
				}
			}
		}
	}
}

// s2dKernel writes w' (3, 3, s²c, f) of the kernel w (k, k, c, f), or,
// with toGrad, adds the gradient w' back into w's layout.
func s2dKernel(g *convGeom, w, ws []float32, toGrad bool) {
	s, k, cf := g.sh, g.kh, g.c*g.f
	for KY := range 3 {
		for KX := range 3 {
			for dy := range s {
				for dx := range s {
					o := ((KY*3+KX)*s*s + dy*s + dx) * cf
					d := ws[o : o+cf]
					y, x := s*KY+dy, s*KX+dx
					inside := y < k && x < k
					switch {
					case toGrad && inside:
						i := (y*k + x) * cf
						cpu.Add(w[i:i+cf], w[i:i+cf], d)
					case toGrad:
					case inside:
						copy(d, w[(y*k+x)*cf:])
					default:
						clear(d)
					}
				}
			}
		}
	}
}

// s2dScratch returns the size of a space-to-depth Conv2D's scratch: the
// Winograd kernels and products (winoScratch), the rearranged kernel, the
// rearranged images and, with dx, their gradient.
func s2dScratch(d *convGeom, dx, dw bool) int {
	img := d.n * d.inImg()
	n := winoScratch(d.winoKernels(), dx, dw) + 9*d.c*d.f + img
	if dx {
		n += img
	}
	return n
}

// s2dBack returns the parts of a space-to-depth Conv2D's scratch.
func s2dBack(cols []float32, d *convGeom, dx, dw bool) (u, ut, du, ws, xs, dxs []float32) {
	n := winoScratch(d.winoKernels(), dx, dw)
	u, ut, du = winoBack(cols[:n], d.winoKernels(), dx, dw)
	cols = cols[n:]
	ws, cols = cols[:9*d.c*d.f], cols[9*d.c*d.f:]
	img := d.n * d.inImg()
	xs = cols[:img]
	if dx {
		dxs = cols[img : 2*img]
	}
	return u, ut, du, ws, xs, dxs
}

// conv2DWinogradS2D computes the strided Conv2D g, rearranged as d, into
// out and, when recording, keeps what the backward pass needs.
func (tp *Tape) conv2DWinogradS2D(g, d *convGeom, nd *node, x, w, b, out *Var, strides [2]int, act Activation, per int) {
	back := nd != nil && d.winogradBackward()
	var cols *tensor.Tensor
	if back {
		cols = tp.Scratch(s2dScratch(d, x.Grad != nil, w.Grad != nil))
	} else {
		cols = tp.Scratch(s2dScratch(d, false, false))
	}
	u, _, _, ws, xs, _ := s2dBack(cols.Data, d, back && x.Grad != nil, back && w.Grad != nil)
	spaceToDepth(g, d, x.Value.Data, xs, false)
	s2dKernel(g, w.Value.Data, ws, false)
	winoTransformFilter(u, ws, d.c, d.f, d.winoM())
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	y := out.Value.Data
	winoConv(d.forwardWino(d.n), xs, u, y, bias, act == ReLU, false)
	if act != Linear && act != ReLU {
		j := getJob(*g)
		j.a, j.b, j.act, j.cols = y, nil, act, g.f
		j.parallel(jobBiasAct, len(y)/g.f, g.f)
		putJob(j)
	}
	switch {
	case back:
		tp.saveForBackward(nd, strides, act, cols, per*g.outPix(), g.f, b != nil)
		nd.flag = false
		nd.ints[2] = convWinogradS2D
	case nd != nil:
		tp.saveForBackward(nd, strides, act, tp.Scratch(per*g.outPix()*g.k()), per*g.outPix(), g.f, b != nil)
		nd.flag = false
	}
}

// conv2DBackwardWinogradS2D is the backward pass of a space-to-depth
// Conv2D: conv2DBackwardWinograd on the rearranged convolution, the input
// gradient rearranged back and the kernel gradient folded back.
func conv2DBackwardWinogradS2D(nd *node, g *convGeom, per int) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	d, _ := g.s2dGeom()
	c, f, ohw := d.c, d.f, g.outPix()
	u, ut, du, ws, xs, dxs := s2dBack(nd.aux[0].Data, &d, x.Grad != nil, w.Grad != nil)
	if ut != nil {
		winoFlipFilter(ut, u, ws, c, f, d.winoM(), d.winoMdx()) // ws still holds the forward pass's kernel
	}
	img := d.inImg()
	j := getJob(*g)
	for s0 := 0; s0 < g.n; s0 += per {
		s1 := min(s0+per, g.n)
		lo, hi := s0*ohw*f, s1*ohw*f
		dz := j.actGradBias(nd.aux[1], nd.aux[2], nd.out.Grad.Data[lo:hi], nd.out.Value.Data[lo:hi], biasGrad(b), nd.act, f)
		if du != nil {
			winoWeightGrad(d.forwardWino(s1-s0), xs[s0*img:s1*img], dz, du, s0 == 0)
		}
		if ut != nil {
			dc := dxs[s0*img : s1*img]
			clear(dc)
			winoConv(d.inputGradWino(s1-s0), dz, ut, dc, nil, false, true)
			gc, dd := *g, d
			gc.n, dd.n = s1-s0, s1-s0
			spaceToDepth(&gc, &dd, x.Grad.Data[s0*g.inImg():s1*g.inImg()], dc, true)
		}
	}
	putJob(j)
	if du != nil {
		clear(ws)
		winoFilterGrad(ws, du, c, f, d.winoM())
		s2dKernel(g, w.Grad.Data, ws, true)
	}
}
