package preprocessing

import (
	"fmt"
	"math"
)

// Interpolation is the resampling filter FlowFromDirectory resizes images
// to the target size with: Keras's load_img interpolation, which is PIL's
// Image.resize filter. The zero value means InterpNearest, Keras's default.
type Interpolation string

// The filters of PIL's Image.resize that Keras's load_img names. They are
// PIL 9's algorithms: "nearest" takes the source pixel under each target
// pixel's centre (floor((x+0.5)·in/out), accumulated in float64 as PIL
// does); the others are PIL's two-pass convolution (horizontal, then
// vertical) with the filter widened by the scale factor when shrinking (so
// that it antialiases), in PIL's 8-bit fixed-point arithmetic, giving
// PIL's output bit for bit on the same 8-bit input. An image smaller than
// the target is enlarged by the same filter.
const (
	InterpNearest  Interpolation = "nearest"
	InterpBilinear Interpolation = "bilinear"
	InterpBicubic  Interpolation = "bicubic"
	InterpLanczos  Interpolation = "lanczos"
	InterpBox      Interpolation = "box"
	InterpHamming  Interpolation = "hamming"
)

type resampleFilter struct {
	f       func(float64) float64
	support float64
}

func (in Interpolation) filter() (resampleFilter, error) {
	switch in {
	case "", InterpNearest:
		return resampleFilter{}, nil
	case InterpBilinear:
		return resampleFilter{bilinearFilter, 1}, nil
	case InterpBicubic:
		return resampleFilter{bicubicFilter, 2}, nil
	case InterpLanczos:
		return resampleFilter{lanczosFilter, 3}, nil
	case InterpBox:
		return resampleFilter{boxFilter, 0.5}, nil
	case InterpHamming:
		return resampleFilter{hammingFilter, 1}, nil
	}
	return resampleFilter{}, fmt.Errorf("preprocessing: interpolation %q: want one of nearest, bilinear, bicubic, lanczos, box, hamming", in)
}

func boxFilter(x float64) float64 {
	if x > -0.5 && x <= 0.5 {
		return 1
	}
	return 0
}

func bilinearFilter(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

func hammingFilter(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return 1
	}
	if x >= 1 {
		return 0
	}
	x *= math.Pi
	return math.Sin(x) / x * (float64(float32(0.54)) + float64(float64(float32(0.46))*math.Cos(x)))
}

func bicubicFilter(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	// The conversions keep the compiler from fusing multiply-adds (on
	// arm64), which PIL's x86 build does not do.
	if x < 1 {
		return float64(float64(float64((a+2)*x)-(a+3))*x*x) + 1
	}
	if x < 2 {
		p := float64((x-5)*x) + 8
		return (float64(p*x) - 4) * a
	}
	return 0
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

func lanczosFilter(x float64) float64 {
	if -3 <= x && x < 3 {
		return sinc(x) * sinc(x/3)
	}
	return 0
}

// precisionBits is PIL's PRECISION_BITS for 8-bit images.
const precisionBits = 32 - 8 - 2

// resizer holds the scratch of resizeRGB, reused between images.
type resizer struct {
	kh, kv    []int32   // fixed-point coefficients
	bh, bv    []int     // (first, count) per output pixel
	pre       []float64 // coefficients before fixed point
	tmp       []uint8   // the horizontal pass's output
	nearestIx []int
}

// coeffs is PIL's precompute_coeffs followed by normalize_coeffs_8bpc.
func (r *resizer) coeffs(inSize, outSize int, f resampleFilter, kk []int32, bounds []int) ([]int32, []int, int) {
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := max(scale, 1)
	support := f.support * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	if cap(r.pre) < outSize*ksize {
		r.pre = make([]float64, outSize*ksize)
	}
	pre := r.pre[:outSize*ksize]
	clear(pre)
	bounds = grow(bounds, 2*outSize)
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		ww := 0.0
		ss := 1 / filterscale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		k := pre[xx*ksize : (xx+1)*ksize]
		for x := range xmax {
			w := f.f((float64(x+xmin) - center + 0.5) * ss)
			k[x] = w
			ww += w
		}
		if ww != 0 {
			for x := range xmax {
				k[x] /= ww
			}
		}
		bounds[2*xx], bounds[2*xx+1] = xmin, xmax
	}
	kk = grow(kk, len(pre))
	for i, v := range pre {
		if v < 0 {
			kk[i] = int32(-0.5 + v*(1<<precisionBits))
		} else {
			kk[i] = int32(0.5 + v*(1<<precisionBits))
		}
	}
	return kk, bounds, ksize
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// resizeRGB resizes src (sh rows of sw pixels of c 8-bit samples held as
// float32, 0..255) to dh×dw into dst (as float32) as PIL's Image.resize
// does with filter interp. A same-size image is copied.
func (r *resizer) resizeRGB(dst, src []float32, sw, sh, dw, dh, c int, interp Interpolation) error {
	f, err := interp.filter()
	if err != nil {
		return err
	}
	if sw == dw && sh == dh {
		copy(dst, src[:sw*sh*c])
		return nil
	}
	if f.f == nil {
		r.nearest(dst, src, sw, sh, dw, dh, c)
		return nil
	}
	needH, needV := dw != sw, dh != sh
	var kh, kv []int32
	var bh, bv []int
	var ksh, ksv int
	r.kh, r.bh, ksh = r.coeffs(sw, dw, f, r.kh, r.bh)
	kh, bh = r.kh, r.bh
	r.kv, r.bv, ksv = r.coeffs(sh, dh, f, r.kv, r.bv)
	kv, bv = r.kv, r.bv
	first := bv[0]
	last := bv[2*dh-2] + bv[2*dh-1]
	// The horizontal pass (PIL's ImagingResampleHorizontal_8bpc) over the
	// rows the vertical pass reads, into 8-bit samples.
	var mid []uint8
	midW, midOff := sw, 0
	if needH {
		rows := last - first
		mid = grow(r.tmp, rows*dw*c)
		r.tmp = mid
		for yy := range rows {
			in := src[(yy+first)*sw*c:]
			out := mid[yy*dw*c : (yy+1)*dw*c]
			for xx := range dw {
				xmin, xmax := bh[2*xx], bh[2*xx+1]
				k := kh[xx*ksh : xx*ksh+xmax]
				for ch := range c {
					ss := int32(1 << (precisionBits - 1))
					for x, kx := range k {
						ss += int32(in[(x+xmin)*c+ch]) * kx
					}
					out[xx*c+ch] = clip8(ss)
				}
			}
		}
		midW, midOff = dw, first
	} else {
		mid = grow(r.tmp, sh*sw*c)
		r.tmp = mid
		for i, v := range src[:sh*sw*c] {
			mid[i] = uint8(v)
		}
	}
	if !needV {
		for i, v := range mid[:dh*dw*c] {
			dst[i] = float32(v)
		}
		return nil
	}
	// The vertical pass (ImagingResampleVertical_8bpc).
	for yy := range dh {
		ymin, ymax := bv[2*yy]-midOff, bv[2*yy+1]
		k := kv[yy*ksv : yy*ksv+ymax]
		out := dst[yy*dw*c : (yy+1)*dw*c]
		for xx := range midW {
			for ch := range c {
				ss := int32(1 << (precisionBits - 1))
				for y, ky := range k {
					ss += int32(mid[((y+ymin)*midW+xx)*c+ch]) * ky
				}
				out[xx*c+ch] = float32(clip8(ss))
			}
		}
	}
	return nil
}

// nearest is PIL's nearest-neighbour resize (ImagingScaleAffine): the
// source index of target pixel x is int(x0), x0 = 0.5·s, 0.5·s + s, …
// accumulated in float64, s = in/out.
func (r *resizer) nearest(dst, src []float32, sw, sh, dw, dh, c int) {
	r.nearestIx = grow(r.nearestIx, dw)
	ax := float64(float32(sw)) / float64(dw)
	xo := ax * 0.5
	for x := range dw {
		r.nearestIx[x] = min(int(xo), sw-1)
		xo += ax
	}
	ay := float64(float32(sh)) / float64(dh)
	yo := ay * 0.5
	for y := range dh {
		yi := min(int(yo), sh-1)
		yo += ay
		in := src[yi*sw*c : (yi+1)*sw*c]
		out := dst[y*dw*c : (y+1)*dw*c]
		for x, xi := range r.nearestIx {
			copy(out[x*c:(x+1)*c], in[xi*c:(xi+1)*c])
		}
	}
}
