package img

import (
	"image"
	"image/color"
	"math/bits"
	"sync"
)

// bufPools recycle the large 8-bit buffers (decoded images, the resize's
// intermediate image and result) between calls, so that loading a
// directory of photographs does not allocate a fresh megabyte or two per
// image. Pool i holds buffers of capacity 1<<i.
var bufPools [64]sync.Pool

// getBuf returns a byte slice of length n, recycled when one is at hand.
// Its contents are arbitrary.
func getBuf(n int) []uint8 {
	i := bits.Len(uint(n - 1))
	if n <= 0 {
		i = 0
	}
	if p, ok := bufPools[i].Get().(*[]uint8); ok {
		return (*p)[:n]
	}
	return make([]uint8, n, 1<<i)
}

// putBuf hands b, which getBuf returned, back to its pool.
func putBuf(b []uint8) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 {
		return // not one of getBuf's
	}
	bufPools[bits.Len(uint(c))-1].Put(&b)
}

// release returns m's samples to the pool; m must not be used afterwards.
func (m *rgb8) release() {
	if m.pooled {
		putBuf(m.pix)
		m.pix, m.pooled = nil, false
	}
}

// libjpeg's YCbCr to RGB tables (jdcolor.c, SCALEBITS = 16), so that JPEGs
// decode to the RGB values PIL gets from libjpeg.
var crR, cbB, crG, cbG [256]int32

func init() {
	const scaleBits = 16
	const oneHalf = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	for i := range 256 {
		x := int32(i) - 128
		crR[i] = (fix(1.40200)*x + oneHalf) >> scaleBits
		cbB[i] = (fix(1.77200)*x + oneHalf) >> scaleBits
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + oneHalf
	}
}

// rangeLimit clips a colour-transform result v to 0..255 when indexed by
// (v + 512) & 1023, as libjpeg's range_limit table does (the results of the
// transform lie in -227..481).
var rangeLimit [1024]uint8

func init() {
	for i := range rangeLimit {
		rangeLimit[i] = uint8(min(max(i-512, 0), 255))
	}
}

func clamp8(v int32) uint8 {
	return rangeLimit[(v+512)&1023]
}

// yccRow converts one row of full-resolution Y, Cb and Cr samples to RGB
// as libjpeg's ycc_rgb_convert does.
func yccRow(out, y, cb, cr []uint8) {
	out = out[:3*len(y)]
	cb, cr = cb[:len(y)], cr[:len(y)]
	for x, yv := range y {
		yy := int32(yv)
		b, r := cb[x], cr[x]
		o := out[3*x : 3*x+3]
		o[0] = clamp8(yy + crR[r])
		o[1] = clamp8(yy + (cbG[b]+crG[r])>>16)
		o[2] = clamp8(yy + cbB[b])
	}
}

// toRGB8 converts any decoded image to 8-bit RGB, with fast paths for the
// types that image/jpeg and image/png return.
func toRGB8(im image.Image) *rgb8 {
	b := im.Bounds()
	w, h := b.Dx(), b.Dy()
	m := &rgb8{w: w, h: h, pix: getBuf(w * h * 3), pooled: true}
	switch s := im.(type) {
	case *image.YCbCr:
		if b.Min == (image.Point{}) {
			fromYCbCr(m, s)
			return m
		}
	case *image.Gray:
		for y := range h {
			row := s.Pix[(y)*s.Stride : y*s.Stride+w]
			out := m.pix[y*w*3 : (y+1)*w*3]
			for x, v := range row {
				out[3*x], out[3*x+1], out[3*x+2] = v, v, v
			}
		}
		return m
	case *image.NRGBA:
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			out := m.pix[y*w*3 : (y+1)*w*3]
			for x := range w {
				out[3*x], out[3*x+1], out[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
		return m
	case *image.Paletted:
		var pal [256][3]uint8
		for i, c := range s.Palette {
			if i >= 256 {
				break
			}
			if n, ok := c.(color.NRGBA); ok {
				// image/png's entries with transparency: keep their colour
				// even where fully transparent, as PIL does.
				pal[i] = [3]uint8{n.R, n.G, n.B}
				continue
			}
			n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
			pal[i] = [3]uint8{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
		}
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			out := m.pix[y*w*3 : (y+1)*w*3]
			for x, v := range row {
				p := &pal[v]
				out[3*x], out[3*x+1], out[3*x+2] = p[0], p[1], p[2]
			}
		}
		return m
	case *image.CMYK:
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			out := m.pix[y*w*3 : (y+1)*w*3]
			for x := range w {
				out[3*x], out[3*x+1], out[3*x+2] = color.CMYKToRGB(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
			}
		}
		return m
	}
	// Everything else (RGBA, RGBA64, NRGBA64, Gray16, ...), through the
	// straight-alpha 16-bit model: the alpha is dropped, the high byte kept.
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n := color.NRGBA64Model.Convert(im.At(x, y)).(color.NRGBA64)
			m.pix[i], m.pix[i+1], m.pix[i+2] = uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8)
			i += 3
		}
	}
	return m
}

// fromYCbCr converts a YCbCr image whose bounds start at (0, 0). Chroma
// subsampled 2× horizontally (4:2:0, 4:2:2) is upsampled with libjpeg's
// triangular "fancy" filter (jdsample.c), other ratios by replication, as
// libjpeg does; then libjpeg's colour transform is applied.
func fromYCbCr(m *rgb8, s *image.YCbCr) {
	w, h := m.w, m.h
	var hshift, vshift int
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hshift = 1
	case image.YCbCrSubsampleRatio420:
		hshift, vshift = 1, 1
	case image.YCbCrSubsampleRatio440:
		vshift = 1
	case image.YCbCrSubsampleRatio411:
		hshift = 2
	case image.YCbCrSubsampleRatio410:
		hshift, vshift = 2, 1
	}
	cw := (w + 1<<hshift - 1) >> hshift
	ch := (h + 1<<vshift - 1) >> vshift
	n := max(w, 2*cw) // fancyRow writes 2·cw samples, one more than w when w is odd
	up := getBuf(2 * n)
	cbUp, crUp := up[:n], up[n:]
	// libjpeg (turbo) upsamples 2× horizontally with its triangle filter
	// when the chroma rows are more than 2 samples wide.
	fancy := hshift == 1 && cw > 2
	var cbs, crs []int32 // chroma rows weighted for the fancy filter
	if fancy {
		sums := make([]int32, 2*cw)
		cbs, crs = sums[:cw:cw], sums[cw:]
	}
	for y := range h {
		cy := y >> vshift
		cb := s.Cb[cy*s.CStride : cy*s.CStride+cw]
		cr := s.Cr[cy*s.CStride : cy*s.CStride+cw]
		switch {
		case fancy && vshift == 1:
			// 3/4 of the nearer chroma row, 1/4 of the further one.
			far := cy - 1
			if y&1 == 1 {
				far = cy + 1
			}
			far = min(max(far, 0), ch-1)
			fcb := s.Cb[far*s.CStride : far*s.CStride+cw]
			fcr := s.Cr[far*s.CStride : far*s.CStride+cw]
			for i := range cbs {
				cbs[i] = 3*int32(cb[i]) + int32(fcb[i])
				crs[i] = 3*int32(cr[i]) + int32(fcr[i])
			}
			fancyRow(cbUp, cbs, 8, 7, 4)
			fancyRow(crUp, crs, 8, 7, 4)
		case fancy:
			for i := range cbs {
				cbs[i], crs[i] = int32(cb[i]), int32(cr[i])
			}
			fancyRow(cbUp, cbs, 1, 2, 2)
			fancyRow(crUp, crs, 1, 2, 2)
		default:
			for x := range w {
				cbUp[x], crUp[x] = cb[x>>hshift], cr[x>>hshift]
			}
		}
		yccRow(m.pix[y*w*3:(y+1)*w*3], s.Y[y*s.YStride:y*s.YStride+w], cbUp[:w], crUp[:w])
	}
	putBuf(up)
}

// fancyRow upsamples one row of chroma 2× horizontally with libjpeg's
// triangle filter: output 2i is (3·s[i] + s[i-1] + even) >> shift and output
// 2i+1 is (3·s[i] + s[i+1] + odd) >> shift, the edges taking 4·s[i]. The
// sums s are already weighted vertically (for 4:2:0), hence the shift of 4
// there and of 2 for 4:2:2.
func fancyRow(dst []uint8, s []int32, even, odd int32, shift uint) {
	n := len(s)
	dst[0] = uint8((s[0]*4 + even) >> shift)
	for i := range n - 1 {
		if i > 0 {
			dst[2*i] = uint8((s[i]*3 + s[i-1] + even) >> shift)
		}
		dst[2*i+1] = uint8((s[i]*3 + s[i+1] + odd) >> shift)
	}
	dst[2*n-2] = uint8((s[n-1]*3 + s[n-2] + even) >> shift)
	dst[2*n-1] = uint8((s[n-1]*4 + odd) >> shift)
}
