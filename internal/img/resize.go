package img

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// precisionBits is the fixed-point precision of PIL's 8-bit resampling
// coefficients (Resample.c: 32 - 8 - 2).
const precisionBits = 32 - 8 - 2

// lanczosSupport is the Lanczos filter's a: the kernel is
// sinc(x)·sinc(x/a) on -a <= x < a.
const lanczosSupport = 3.0

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func lanczos(x float64) float64 {
	if -lanczosSupport <= x && x < lanczosSupport {
		return sinc(x) * sinc(x/lanczosSupport)
	}
	return 0
}

// coeffs are the integer filter weights of one resampling pass: output
// sample i reads input samples bounds[2i] ... bounds[2i]+bounds[2i+1]-1 with
// the weights k[i*ksize:].
type coeffs struct {
	ksize  int
	bounds []int
	k      []int32
}

// precompute returns the weights for resampling inSize samples to outSize,
// as PIL's precompute_coeffs and normalize_coeffs_8bpc compute them.
func precompute(inSize, outSize int) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := max(scale, 1)
	support := lanczosSupport * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{ksize: ksize, bounds: make([]int, 2*outSize), k: make([]int32, outSize*ksize)}
	kk := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		ww := 0.0
		for x := range xmax {
			w := lanczos((float64(x+xmin) - center + 0.5) * ss)
			kk[x] = w
			ww += w
		}
		k := c.k[xx*ksize : (xx+1)*ksize]
		for x := range xmax {
			v := kk[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.bounds[2*xx], c.bounds[2*xx+1] = xmin, xmax
	}
	return c
}

// clip8 turns a fixed-point sum into a sample, as PIL's clip8 does.
func clip8(v int32) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255<<precisionBits {
		return 255
	}
	return uint8(v >> precisionBits)
}

// Resize returns src resized to w×h with PIL's Lanczos (ANTIALIAS) filter,
// as the package documentation describes. It works, as PIL does for 8-bit
// images, on 8-bit samples: src's samples are rounded to integers and
// clipped to 0..255 first (Decode's samples already are), and the result's
// samples are integers in 0..255. Both downscaling and upscaling work; the
// aspect ratio is not kept. Resize panics when w or h is not positive or
// src is empty or its Pix does not hold W×H×3 samples.
func Resize(src *Image, w, h int) *Image {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("img: Resize to invalid size %d×%d", w, h))
	}
	if src.W <= 0 || src.H <= 0 || len(src.Pix) != src.W*src.H*3 {
		panic(fmt.Sprintf("img: Resize of a %d×%d image with %d samples", src.W, src.H, len(src.Pix)))
	}
	m := &rgb8{w: src.W, h: src.H, pix: getBuf(len(src.Pix)), pooled: true}
	for i, v := range src.Pix {
		switch {
		case v >= 255:
			m.pix[i] = 255
		case v > 0:
			m.pix[i] = uint8(v + 0.5)
		default: // also NaN
			m.pix[i] = 0
		}
	}
	out := resize8(m, w, h)
	m.release()
	defer out.release()
	return out.float()
}

// resize8 is Resize on 8-bit images: PIL's ImagingResampleInner, a
// horizontal pass over the source rows that the vertical pass reads,
// rounded and clipped to 8 bits, then the vertical pass. The result's
// samples come from bufPool: release it when done.
func resize8(src *rgb8, w, h int) *rgb8 {
	out := &rgb8{w: w, h: h, pix: getBuf(w * h * 3), pooled: true}
	needH, needV := w != src.w, h != src.h
	switch {
	case !needH && !needV:
		copy(out.pix, src.pix)
	case !needV:
		horizontal(out, src, 0, cachedCoeffs(src.w, w))
	case !needH:
		vertical(out, src, 0, cachedCoeffs(src.h, h))
	default:
		cv := cachedCoeffs(src.h, h)
		// Only the source rows the vertical pass reads.
		first := cv.bounds[0]
		last := cv.bounds[2*h-2] + cv.bounds[2*h-1]
		tmp := &rgb8{w: w, h: last - first, pix: getBuf(w * (last - first) * 3), pooled: true}
		horizontal(tmp, src, first, cachedCoeffs(src.w, w))
		vertical(out, tmp, first, cv)
		tmp.release()
	}
	return out
}

// coeffCache keeps the filter weights of the last few distinct
// (input, output) sizes: a data set of photographs resized to one size has
// only a handful of them. It holds at most maxCachedCoeffs entries.
var (
	coeffCache  sync.Map // [2]int{in, out} -> *coeffs, never modified
	coeffCached atomic.Int32
)

const maxCachedCoeffs = 256

func cachedCoeffs(in, out int) *coeffs {
	key := [2]int{in, out}
	if c, ok := coeffCache.Load(key); ok {
		return c.(*coeffs)
	}
	c := precompute(in, out)
	if coeffCached.Add(1) <= maxCachedCoeffs {
		coeffCache.Store(key, &c)
	}
	return &c
}

// horizontal resamples rows first, first+1, ... of src along x into the
// rows of dst. The red and green sums share one 64-bit multiply-add (two
// 32-bit lanes; each lane's sum fits in 32 bits, as PIL's int32 sums do, so
// the lanes separate exactly): two multiply-adds per tap instead of three.
func horizontal(dst, src *rgb8, first int, c *coeffs) {
	rg := make([]int64, src.w)
	bl := make([]int64, src.w)
	for yy := range dst.h {
		in := src.pix[(yy+first)*src.w*3 : (yy+first+1)*src.w*3]
		for x := range rg {
			p := in[3*x : 3*x+3]
			rg[x] = int64(p[0]) | int64(p[1])<<32
			bl[x] = int64(p[2])
		}
		hrow(dst.pix[yy*dst.w*3:(yy+1)*dst.w*3], rg, bl, c)
	}
}

// hrow computes one output row of the horizontal pass from the packed
// red-green lanes rg and the blue samples bl of an input row. It is a
// function of its own so that the compiler keeps its loop in registers.
func hrow(out []uint8, rg, bl []int64, c *coeffs) {
	ksize := c.ksize
	for xx := range len(out) / 3 {
		xmin, n := c.bounds[2*xx], c.bounds[2*xx+1]
		k := c.k[xx*ksize : xx*ksize+n]
		prg := rg[xmin : xmin+n]
		pb := bl[xmin : xmin+n]
		s01, s2 := dot2(prg, pb, k)
		s0 := int32(s01)
		s1 := int32((s01 - int64(s0)) >> 32)
		o := out[3*xx : 3*xx+3]
		o[0], o[1], o[2] = clip8(s0), clip8(s1), clip8(int32(s2))
	}
}

// dot2 returns the two weighted sums of one output pixel (red and green in
// the lanes of the first), rounding offsets included. It stays a call of
// its own: inlined, its accumulators spill to the stack.
//
//go:noinline
func dot2(rg, bl []int64, k []int32) (s01, s2 int64) {
	const half = 1 << (precisionBits - 1)
	rg, bl = rg[:len(k)], bl[:len(k)]
	s01, s2 = half+half<<32, half
	for x, kv := range k {
		s01 += rg[x] * int64(kv)
		s2 += bl[x] * int64(kv)
	}
	return s01, s2
}

// vertical resamples the columns of src into dst, row by row of dst so that
// the inner loop runs along contiguous memory. Row 0 of src is row first of
// the image that c's bounds address.
func vertical(dst, src *rgb8, first int, c *coeffs) {
	const half = 1 << (precisionBits - 1)
	stride := src.w * 3
	acc := make([]int32, stride)
	for yy := range dst.h {
		ymin, n := c.bounds[2*yy]-first, c.bounds[2*yy+1]
		k := c.k[yy*c.ksize : yy*c.ksize+n]
		for i := range acc {
			acc[i] = half
		}
		for y, kv := range k {
			row := src.pix[(ymin+y)*stride : (ymin+y+1)*stride]
			a := acc[:len(row)]
			for i, v := range row {
				a[i] += int32(v) * kv
			}
		}
		out := dst.pix[yy*stride : (yy+1)*stride]
		for i, v := range acc {
			out[i] = clip8(v)
		}
	}
}
