package img

import (
	"image"
	"image/color"
	"sync"
)

// bufPool recycles the large 8-bit buffers (decoded images, the resize's
// intermediate image) between calls, so that loading a directory of photos
// does not allocate a fresh megabyte or two per image.
var bufPool sync.Pool

// getBuf returns a byte slice of length n, recycled when one is at hand.
func getBuf(n int) []uint8 {
	if p, ok := bufPool.Get().(*[]uint8); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

// putBuf hands b back to the pool.
func putBuf(b []uint8) {
	bufPool.Put(&b)
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

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ycc writes the RGB of one pixel as libjpeg's ycc_rgb_convert does.
func ycc(dst []uint8, y, cb, cr uint8) {
	yy := int32(y)
	dst[0] = clamp8(yy + crR[cr])
	dst[1] = clamp8(yy + (cbG[cb]+crG[cr])>>16)
	dst[2] = clamp8(yy + cbB[cb])
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
			if i < 256 {
				n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
				pal[i] = [3]uint8{uint8(n.R >> 8), uint8(n.G >> 8), uint8(n.B >> 8)}
			}
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
	cw := (w + 1) / 2
	var vshift int
	fancy := cw > 2
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		vshift = 1
	case image.YCbCrSubsampleRatio422:
	default:
		fancy = false
	}
	if !fancy {
		for y := range h {
			out := m.pix[y*w*3 : (y+1)*w*3]
			yrow := s.Y[y*s.YStride : y*s.YStride+w]
			for x, yv := range yrow {
				ci := s.COffset(x, y)
				ycc(out[3*x:3*x+3], yv, s.Cb[ci], s.Cr[ci])
			}
		}
		return
	}
	ch := (h + vshift) >> vshift
	// colsum holds, per chroma column, 3×(nearer row) + (further row) for
	// 4:2:0, or 4×(the row) for 4:2:2, for Cb and then Cr.
	sums := make([]int32, 2*cw)
	cbs, crs := sums[:cw], sums[cw:]
	up := getBuf(2 * 2 * cw)
	cbUp, crUp := up[:2*cw], up[2*cw:]
	for y := range h {
		cy := y >> vshift
		if vshift == 1 {
			far := cy - 1
			if y&1 == 1 {
				far = cy + 1
			}
			far = min(max(far, 0), ch-1)
			n0, n1 := cy*s.CStride, far*s.CStride
			for i := range cw {
				cbs[i] = 3*int32(s.Cb[n0+i]) + int32(s.Cb[n1+i])
				crs[i] = 3*int32(s.Cr[n0+i]) + int32(s.Cr[n1+i])
			}
			fancyRow(cbUp, cbs, 8, 7, 4)
			fancyRow(crUp, crs, 8, 7, 4)
		} else {
			n0 := cy * s.CStride
			for i := range cw {
				cbs[i] = int32(s.Cb[n0+i])
				crs[i] = int32(s.Cr[n0+i])
			}
			fancyRow(cbUp, cbs, 1, 2, 2)
			fancyRow(crUp, crs, 1, 2, 2)
		}
		out := m.pix[y*w*3 : (y+1)*w*3]
		yrow := s.Y[y*s.YStride : y*s.YStride+w]
		for x, yv := range yrow {
			ycc(out[3*x:3*x+3], yv, cbUp[x], crUp[x])
		}
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
