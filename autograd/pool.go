package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/internal/cpu"
)

// Pooling and upsampling of channels-last (NHWC) images, as Keras's
// MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
// GlobalMaxPooling2D and UpSampling2D. Each is a single pass over its
// input; max pooling keeps the index of each maximum for the backward pass.
// Work is split over output rows (forward) and samples (backward), so
// results do not depend on GOMAXPROCS.

var (
	opMaxPool2D       = register("max_pool2d", maxPool2DBackward)
	opAvgPool2D       = register("avg_pool2d", avgPool2DBackward)
	opGlobalAvgPool2D = register("global_avg_pool2d", globalPool2DBackward)
	opGlobalMaxPool2D = register("global_max_pool2d", globalPool2DBackward)
	opUpSampling2D    = register("up_sampling2d", upSampling2DBackward)
)

// orderKey maps a float32 to an int32 with the same order (−0 just below
// +0, NaN above +Inf), so that maxima are found with integer compares,
// which compile to conditional moves rather than unpredictable branches.
func orderKey(v float32) int32 { return bitsKey(math.Float32bits(v)) }

// poolGeom returns the geometry of a pooling window over x.
func poolGeom(name string, x *Var, pool, strides [2]int, padding Padding) convGeom {
	n, h, w, c := dims4(name, "input", x)
	if pool[0] < 1 || pool[1] < 1 {
		panic(fmt.Sprintf("autograd: %s: pool size %v must be positive", name, pool))
	}
	checkStrides(name, strides)
	g := convGeom{n: n, h: h, w: w, c: c, kh: pool[0], kw: pool[1], sh: strides[0], sw: strides[1], f: c,
		oh: ConvOutputLength(h, pool[0], strides[0], padding), ow: ConvOutputLength(w, pool[1], strides[1], padding)}
	if g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("autograd: %s: pool %v does not fit input %v with %s padding", name, pool, x.Value.Shape, padding))
	}
	g.setPad()
	return g
}

// window returns the input rows [y0, y1) and columns [x0, x1) that output
// position (oy, ox) covers, padding excluded.
func (g *convGeom) window(oy, ox int) (y0, y1, x0, x1 int) {
	ty, tx := oy*g.sh-g.padT, ox*g.sw-g.padL
	return max(ty, 0), min(ty+g.kh, g.h), max(tx, 0), min(tx+g.kw, g.w)
}

// MaxPool2D returns the maximum of each pool-sized window of the images x
// (n, h, w, c), moved by strides: shape (n, oh, ow, c) with oh =
// ConvOutputLength(h, pool[0], strides[0], padding). Same padding ignores
// the padded positions.
func (tp *Tape) MaxPool2D(x *Var, pool, strides [2]int, padding Padding) *Var {
	g := poolGeom("MaxPool2D", x, pool, strides, padding)
	var buf [8]int
	out, nd := tp.output(opMaxPool2D, append(buf[:0], g.n, g.oh, g.ow, g.c), x)
	j := getJob(g)
	j.a, j.b = out.Value.Data, x.Value.Data
	if nd != nil {
		nd.idx = tp.IntScratch(len(out.Value.Data))
		j.idx = nd.idx
	}
	j.parallel(jobMaxPool, g.n*g.oh, g.ow*g.c*g.kh*g.kw)
	putJob(j)
	return out
}

func (g *convGeom) maxPool(y, x []float32, idx []int32, lo, hi int) {
	c := g.c
	for r := lo; r < hi; r++ {
		s, oy := r/g.oh, r%g.oh
		base := s * g.inImg()
		for ox := range g.ow {
			y0, y1, x0, x1 := g.window(oy, ox)
			o := (r*g.ow + ox) * c
			yo := y[o : o+c : o+c]
			// The first position of the window starts the maxima; each
			// other position replaces those it exceeds, branch-free.
			first := base + (y0*g.w+x0)*c
			var io []int32
			if idx != nil {
				io = idx[o : o+c : o+c]
				cpu.ArgmaxInit(yo, io, x[first:first+c], int32(first))
			} else {
				copy(yo, x[first:first+c])
			}
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					at := base + (iy*g.w+ix)*c
					if at == first {
						continue
					}
					xs := x[at : at+c : at+c]
					if io == nil {
						maxInto(yo, xs)
					} else {
						argmaxInto(yo, io, xs, int32(at))
					}
				}
			}
		}
	}
}

// maxInto sets m[i] = x[i] where x[i] is greater, by orderKey (in SIMD).
func maxInto(m, x []float32) { cpu.MaxInto(m, x) }

// argmaxInto is maxInto that also records, in at, the index base+i of each
// new maximum.
func argmaxInto(m []float32, at []int32, x []float32, base int32) { cpu.ArgmaxInto(m, at, x, base) }

// bitsKey is orderKey on a float32's bits.
func bitsKey(b uint32) int32 {
	k := int32(b)
	return k ^ (k >> 31 & 0x7fffffff)
}

func maxPool2DBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	s := x.Value.Shape
	o := nd.out.Value.Shape
	g := convGeom{n: s[0], h: s[1], w: s[2], c: s[3], oh: o[1], ow: o[2]}
	j := getJob(g)
	j.a, j.b, j.idx = x.Grad.Data, nd.out.Grad.Data, nd.idx
	j.parallel(jobMaxPoolBack, g.n, g.outPix()*g.c)
	putJob(j)
}

// maxPoolBack adds each output gradient to its maximum's input, samples
// [lo, hi). The indices are absolute.
func (g *convGeom) maxPoolBack(dx, dy []float32, idx []int32, lo, hi int) {
	per := g.outPix() * g.c
	for i := lo * per; i < hi*per; i++ {
		dx[idx[i]] += dy[i]
	}
}

// AvgPool2D returns the mean of each pool-sized window of the images x
// (n, h, w, c), moved by strides; the shape is as MaxPool2D's. Same padding
// averages over the positions inside the image only, as TensorFlow does.
func (tp *Tape) AvgPool2D(x *Var, pool, strides [2]int, padding Padding) *Var {
	g := poolGeom("AvgPool2D", x, pool, strides, padding)
	var buf [8]int
	out, nd := tp.output(opAvgPool2D, append(buf[:0], g.n, g.oh, g.ow, g.c), x)
	j := getJob(g)
	j.a, j.b = out.Value.Data, x.Value.Data
	j.parallel(jobAvgPool, g.n*g.oh, g.ow*g.c*g.kh*g.kw)
	putJob(j)
	if nd != nil {
		nd.ints = [4]int{pool[0], pool[1], strides[0], strides[1]}
	}
	return out
}

func (g *convGeom) avgPool(y, x []float32, lo, hi int) {
	c := g.c
	for r := lo; r < hi; r++ {
		s, oy := r/g.oh, r%g.oh
		base := s * g.inImg()
		for ox := range g.ow {
			y0, y1, x0, x1 := g.window(oy, ox)
			o := (r*g.ow + ox) * c
			yo := y[o : o+c : o+c]
			clear(yo)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					i := base + (iy*g.w+ix)*c
					addTo(yo, x[i:i+c])
				}
			}
			inv := 1 / float32((y1-y0)*(x1-x0))
			for ch := range yo {
				yo[ch] *= inv
			}
		}
	}
}

func avgPool2DBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	geo := nd.ints
	s := x.Value.Shape
	o := nd.out.Value.Shape
	g := convGeom{n: s[0], h: s[1], w: s[2], c: s[3], f: s[3], oh: o[1], ow: o[2],
		kh: geo[0], kw: geo[1], sh: geo[2], sw: geo[3]}
	g.setPad()
	j := getJob(g)
	j.a, j.b = x.Grad.Data, nd.out.Grad.Data
	j.parallel(jobAvgPoolBack, g.n, g.outPix()*g.c*g.kh*g.kw)
	putJob(j)
}

// avgPoolBack spreads each output gradient evenly over its window, samples
// [lo, hi).
func (g *convGeom) avgPoolBack(dx, dy []float32, lo, hi int) {
	c := g.c
	for s := lo; s < hi; s++ {
		base := s * g.inImg()
		for oy := range g.oh {
			for ox := range g.ow {
				y0, y1, x0, x1 := g.window(oy, ox)
				o := ((s*g.oh+oy)*g.ow + ox) * c
				d := dy[o : o+c]
				inv := 1 / float32((y1-y0)*(x1-x0))
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						i := base + (iy*g.w+ix)*c
						dst := dx[i : i+c]
						for ch, v := range d {
							dst[ch] += v * inv
						}
					}
				}
			}
		}
	}
}

// GlobalAvgPool2D returns the mean of each channel of the images x
// (n, h, w, c) over all positions: shape (n, c).
func (tp *Tape) GlobalAvgPool2D(x *Var) *Var { return tp.globalPool2D(x, opGlobalAvgPool2D) }

// GlobalMaxPool2D returns the maximum of each channel of the images x
// (n, h, w, c) over all positions: shape (n, c).
func (tp *Tape) GlobalMaxPool2D(x *Var) *Var { return tp.globalPool2D(x, opGlobalMaxPool2D) }

func (tp *Tape) globalPool2D(x *Var, o op) *Var {
	n, h, w, c := dims4(o.String(), "input", x)
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("autograd: %s: empty images %v", o, x.Value.Shape))
	}
	g := convGeom{n: n, h: h, w: w, c: c, f: c, oh: 1, ow: 1}
	var buf [8]int
	out, nd := tp.output(o, append(buf[:0], n, c), x)
	j := getJob(g)
	j.a, j.b = out.Value.Data, x.Value.Data
	if o == opGlobalMaxPool2D {
		j.idx = tp.IntScratch(n * c)
		if nd != nil {
			nd.idx = j.idx
			nd.flag = true // max: route through the indices
		}
	}
	j.parallel(jobGlobalPool, n, g.inImg())
	putJob(j)
	return out
}

// globalPool averages (idx == nil) or takes the maximum of each channel,
// samples [lo, hi).
func (g *convGeom) globalPool(y, x []float32, idx []int32, lo, hi int) {
	c, pix := g.c, g.h*g.w
	for s := lo; s < hi; s++ {
		base := s * g.inImg()
		yo := y[s*c : (s+1)*c]
		if idx == nil {
			clear(yo)
			for p := range pix {
				addTo(yo, x[base+p*c:base+(p+1)*c])
			}
			inv := 1 / float32(pix)
			for ch := range yo {
				yo[ch] *= inv
			}
			continue
		}
		io := idx[s*c : (s+1)*c]
		cpu.ArgmaxInit(yo, io, x[base:base+c], int32(base))
		for p := 1; p < pix; p++ {
			argmaxInto(yo, io, x[base+p*c:base+(p+1)*c], int32(base+p*c))
		}
	}
}

func globalPool2DBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	s := x.Value.Shape
	g := convGeom{n: s[0], h: s[1], w: s[2], c: s[3], oh: 1, ow: 1}
	j := getJob(g)
	j.a, j.b = x.Grad.Data, nd.out.Grad.Data
	if nd.flag {
		j.idx = nd.idx
	}
	j.parallel(jobGlobalPoolBack, g.n, g.inImg())
	putJob(j)
}

func (g *convGeom) globalPoolBack(dx, dy []float32, idx []int32, lo, hi int) {
	c, pix := g.c, g.h*g.w
	if idx != nil {
		for i := lo * c; i < hi*c; i++ {
			dx[idx[i]] += dy[i]
		}
		return
	}
	inv := 1 / float32(pix)
	for s := lo; s < hi; s++ {
		d := dy[s*c : (s+1)*c]
		for p := range pix {
			dst := dx[(s*pix+p)*c : (s*pix+p+1)*c]
			for ch, v := range d {
				dst[ch] += v * inv
			}
		}
	}
}

// UpSampling2D repeats each row of the images x (n, h, w, c) size[0] times
// and each column size[1] times (nearest neighbour): shape
// (n, h·size[0], w·size[1], c).
func (tp *Tape) UpSampling2D(x *Var, size [2]int) *Var {
	n, h, w, c := dims4("UpSampling2D", "input", x)
	if size[0] < 1 || size[1] < 1 {
		panic(fmt.Sprintf("autograd: UpSampling2D: size %v must be positive", size))
	}
	g := convGeom{n: n, h: h, w: w, c: c, f: c, kh: size[0], kw: size[1], oh: h * size[0], ow: w * size[1]}
	var buf [8]int
	out, _ := tp.output(opUpSampling2D, append(buf[:0], n, g.oh, g.ow, c), x)
	j := getJob(g)
	j.a, j.b = out.Value.Data, x.Value.Data
	j.parallel(jobUpSample, n*g.oh, g.ow*c)
	putJob(j)
	return out
}

// upSample writes output rows [lo, hi) (over samples and rows).
func (g *convGeom) upSample(y, x []float32, lo, hi int) {
	c := g.c
	for r := lo; r < hi; r++ {
		s, oy := r/g.oh, r%g.oh
		src := x[(s*g.h+oy/g.kh)*g.w*c:]
		dst := y[r*g.ow*c : (r+1)*g.ow*c]
		for ox := range g.ow {
			i := (ox / g.kw) * c
			copySmall(dst[ox*c:(ox+1)*c], src[i:i+c])
		}
	}
}

func upSampling2DBackward(nd *node) {
	x := nd.in[0]
	if x.Grad == nil {
		return
	}
	s := x.Value.Shape
	o := nd.out.Value.Shape
	g := convGeom{n: s[0], h: s[1], w: s[2], c: s[3], f: s[3], kh: o[1] / s[1], kw: o[2] / s[2], oh: o[1], ow: o[2]}
	j := getJob(g)
	j.a, j.b = x.Grad.Data, nd.out.Grad.Data
	j.parallel(jobUpSampleBack, g.n, g.outPix()*g.c)
	putJob(j)
}

// upSampleBack sums each block of output gradients into its input, samples
// [lo, hi).
func (g *convGeom) upSampleBack(dx, dy []float32, lo, hi int) {
	c := g.c
	for s := lo; s < hi; s++ {
		for oy := range g.oh {
			src := dy[(s*g.oh+oy)*g.ow*c:]
			dst := dx[(s*g.h+oy/g.kh)*g.w*c:]
			for ox := range g.ow {
				i := (ox / g.kw) * c
				addTo(dst[i:i+c], src[ox*c:(ox+1)*c])
			}
		}
	}
}
