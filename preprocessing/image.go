package preprocessing

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/tensor"
)

// FillMode says how ImageDataGenerator fills the points that an affine
// transform maps from outside the input image, with the semantics of
// scipy.ndimage's boundary modes of the same name (which Keras passes its
// fill_mode to). For an input row a b c d:
//
//	FillNearest   a a a a | a b c d | d d d d
//	FillConstant  k k k k | a b c d | k k k k   (k = Cval)
//	FillReflect   d c b a | a b c d | d c b a   (half-sample symmetric)
//	FillWrap      scipy's "wrap" (not its "grid-wrap"): periodic with
//	              period n−1, not n, the first and last samples standing
//	              at the same place (which of the two a point gets is
//	              what scipy 1.10's code computes)
type FillMode string

// The fill modes of Keras's ImageDataGenerator. The zero value means
// FillNearest, Keras's default.
const (
	FillNearest  FillMode = "nearest"
	FillConstant FillMode = "constant"
	FillReflect  FillMode = "reflect"
	FillWrap     FillMode = "wrap"
)

// ImageDataGenerator is Keras 2.2's keras.preprocessing.image.
// ImageDataGenerator: real-time data augmentation (random rotations, shifts,
// shears, zooms and flips) and rescaling of images, which it yields in
// batches through Flow (in-memory arrays) and FlowFromDirectory (image
// files, one folder per class), both Datasets that stream.
//
// Zero values mean Keras's defaults: no augmentation, no rescaling,
// FillNearest, channels_last. Images are (height, width, channels) arrays.
//
// For each image, as Keras's iterators do, the generator draws the random
// parameters (GetRandomTransform), applies the affine transform and the
// flips (ApplyTransform) and then rescales (Standardize), in that order: a
// Cval is in the units of the image before Rescale.
//
// The featurewise and samplewise normalizations, ZCA whitening, channel and
// brightness shifts and preprocessing_function of Keras are not provided.
type ImageDataGenerator struct {
	// RotationRange is Keras's rotation_range: the rotation angle θ is
	// drawn uniformly in [−RotationRange, RotationRange] degrees.
	RotationRange float64
	// WidthShiftRange is Keras's width_shift_range for a float: the
	// horizontal shift is drawn uniformly in [−r, r], a fraction of the
	// width when r < 1, pixels when r ≥ 1.
	WidthShiftRange float64
	// HeightShiftRange is the same for the vertical shift (height_shift_range).
	HeightShiftRange float64
	// WidthShiftChoices, when not empty, replaces WidthShiftRange with
	// Keras's array-like (and int) form of width_shift_range: the shift is
	// an element drawn from the list, with a random sign, times the width
	// if every element is below 1. Keras's int n is the list 0, 1, …, n−1
	// (numpy.random.choice(n)).
	WidthShiftChoices []float64
	// HeightShiftChoices is the same for the vertical shift.
	HeightShiftChoices []float64
	// ShearRange is Keras's shear_range: the shear angle is drawn uniformly
	// in [−ShearRange, ShearRange] degrees.
	ShearRange float64
	// ZoomRange is Keras's zoom_range given as [lower, upper]: the zooms
	// along the two axes (zx, zy) are drawn independently and uniformly in
	// it; a zoom above 1 shows more of the image, smaller (zooms out).
	// The zero value, like [1, 1], means no zoom.
	ZoomRange [2]float64
	// Zoom is Keras's zoom_range given as one float z, meaning
	// [1−z, 1+z]. Set at most one of Zoom and ZoomRange.
	Zoom float64
	// HorizontalFlip flips half of the images left to right.
	HorizontalFlip bool
	// VerticalFlip flips half of the images upside down.
	VerticalFlip bool
	// FillMode fills the points mapped from outside the image (the zero
	// value is FillNearest).
	FillMode FillMode
	// Cval is the value of those points for FillConstant.
	Cval float64
	// Rescale multiplies every image after the transforms (Keras's
	// rescale; 0 means none, as Keras's None and 0 do).
	Rescale float64
	// DataFormat is Keras's data_format: "" or "channels_last" (the only
	// one supported).
	DataFormat string
	// ValidationSplit is Keras's validation_split: the fraction of the
	// images that FlowOptions.Subset SubsetValidation takes (the first
	// ones of each class folder in FlowFromDirectory, the first rows in
	// Flow), SubsetTraining taking the rest. 0 means none; otherwise it
	// must lie strictly between 0 and 1.
	ValidationSplit float64
}

// TransformParams are the parameters of one image's transform, with the
// names of the dictionary Keras's get_random_transform returns. As in
// Keras, Tx is the shift along the rows (height) and Ty along the columns
// (width), in pixels, and Zx and Zy scale the row and the column
// coordinate.
type TransformParams struct {
	Theta          float64 // rotation, degrees
	Tx, Ty         float64 // shifts along the height and the width, pixels
	Shear          float64 // shear angle, degrees
	Zx, Zy         float64 // zooms along the height and the width (1: none)
	FlipHorizontal bool
	FlipVertical   bool
}

// Identity reports whether p leaves an image unchanged.
func (p TransformParams) Identity() bool {
	return !p.affine() && !p.FlipHorizontal && !p.FlipVertical
}

// affine reports whether p has an affine part (Keras skips
// scipy.ndimage.affine_transform when it has none).
func (p TransformParams) affine() bool {
	return p.Theta != 0 || p.Tx != 0 || p.Ty != 0 || p.Shear != 0 || p.Zx != 1 || p.Zy != 1
}

// Validate checks the generator's settings. Flow and FlowFromDirectory call
// it; the transform methods return its error too.
func (g *ImageDataGenerator) Validate() error {
	for _, c := range [...]struct {
		name string
		v    float64
	}{{"RotationRange", g.RotationRange}, {"WidthShiftRange", g.WidthShiftRange},
		{"HeightShiftRange", g.HeightShiftRange}, {"ShearRange", g.ShearRange}, {"Zoom", g.Zoom}} {
		if err := checkFinite(c.name, -1, c.v); err != nil {
			return err
		}
		if c.v < 0 {
			return fmt.Errorf("preprocessing: ImageDataGenerator: %s %v is negative", c.name, c.v)
		}
	}
	for i, v := range g.WidthShiftChoices {
		if err := checkFinite("WidthShiftChoices", i, v); err != nil {
			return err
		}
	}
	for i, v := range g.HeightShiftChoices {
		if err := checkFinite("HeightShiftChoices", i, v); err != nil {
			return err
		}
	}
	for i, v := range g.ZoomRange {
		if err := checkFinite("ZoomRange", i, v); err != nil {
			return err
		}
	}
	if err := checkFinite("Cval", -1, g.Cval); err != nil {
		return err
	}
	if err := checkFinite("Rescale", -1, g.Rescale); err != nil {
		return err
	}
	if err := checkFinite("ValidationSplit", -1, g.ValidationSplit); err != nil {
		return err
	}
	if g.ValidationSplit != 0 && !(g.ValidationSplit > 0 && g.ValidationSplit < 1) {
		return fmt.Errorf("preprocessing: ImageDataGenerator: ValidationSplit %v: want a fraction strictly between 0 and 1", g.ValidationSplit)
	}
	if g.Zoom != 0 && g.ZoomRange != [2]float64{} {
		return fmt.Errorf("preprocessing: ImageDataGenerator: both Zoom (%v) and ZoomRange (%v) are set", g.Zoom, g.ZoomRange)
	}
	if g.ZoomRange[0] > g.ZoomRange[1] {
		return fmt.Errorf("preprocessing: ImageDataGenerator: ZoomRange %v: lower bound above upper", g.ZoomRange)
	}
	if _, err := g.fillMode(); err != nil {
		return err
	}
	switch g.DataFormat {
	case "", "channels_last":
	case "channels_first":
		return fmt.Errorf("preprocessing: ImageDataGenerator: DataFormat channels_first is not supported (use channels_last)")
	default:
		return fmt.Errorf("preprocessing: ImageDataGenerator: DataFormat %q: want channels_last", g.DataFormat)
	}
	return nil
}

// checkFinite is Validate's error for a NaN or infinite setting (element i
// of it when i ≥ 0).
func checkFinite(name string, i int, v float64) error {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return nil
	}
	if i >= 0 {
		return fmt.Errorf("preprocessing: ImageDataGenerator: %s[%d] is %v", name, i, v)
	}
	return fmt.Errorf("preprocessing: ImageDataGenerator: %s is %v", name, v)
}

// fillMode returns the fill mode, "" meaning FillNearest.
func (g *ImageDataGenerator) fillMode() (FillMode, error) {
	switch g.FillMode {
	case "":
		return FillNearest, nil
	case FillNearest, FillConstant, FillReflect, FillWrap:
		return g.FillMode, nil
	}
	return "", fmt.Errorf("preprocessing: ImageDataGenerator: FillMode %q: want one of nearest, constant, reflect, wrap", g.FillMode)
}

// zoomRange returns the zoom interval, [1, 1] for none.
func (g *ImageDataGenerator) zoomRange() [2]float64 {
	switch {
	case g.Zoom != 0:
		return [2]float64{1 - g.Zoom, 1 + g.Zoom}
	case g.ZoomRange == [2]float64{}:
		return [2]float64{1, 1}
	}
	return g.ZoomRange
}

// uniform is numpy.random.uniform(lo, hi): lo + (hi−lo)·U[0, 1).
func uniform(rng *tensor.RNG, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// shift draws one shift as Keras's get_random_transform does; size is the
// image's extent along the shift.
func shift(rng *tensor.RNG, r float64, choices []float64, size int) float64 {
	if len(choices) > 0 {
		v := choices[rng.Intn(len(choices))]
		if rng.Intn(2) == 0 {
			v = -v
		}
		mx := choices[0]
		for _, c := range choices {
			mx = max(mx, c)
		}
		if mx < 1 {
			v *= float64(size)
		}
		return v
	}
	if r == 0 {
		return 0
	}
	v := uniform(rng, -r, r)
	if r < 1 {
		v *= float64(size)
	}
	return v
}

// GetRandomTransform draws the parameters of a random transform of an image
// of height h and width w from rng, as Keras's get_random_transform does
// (same distributions, drawn in the same order: θ, the height shift, the
// width shift, the shear, the two zooms, then the two flips, which are
// always drawn). The numbers are tensor.RNG's, not numpy's.
func (g *ImageDataGenerator) GetRandomTransform(h, w int, rng *tensor.RNG) TransformParams {
	p := TransformParams{Zx: 1, Zy: 1}
	if g.RotationRange != 0 {
		p.Theta = uniform(rng, -g.RotationRange, g.RotationRange)
	}
	p.Tx = shift(rng, g.HeightShiftRange, g.HeightShiftChoices, h)
	p.Ty = shift(rng, g.WidthShiftRange, g.WidthShiftChoices, w)
	if g.ShearRange != 0 {
		p.Shear = uniform(rng, -g.ShearRange, g.ShearRange)
	}
	if z := g.zoomRange(); z != [2]float64{1, 1} {
		p.Zx = uniform(rng, z[0], z[1])
		p.Zy = uniform(rng, z[0], z[1])
	}
	p.FlipHorizontal = rng.Float64() < 0.5 && g.HorizontalFlip
	p.FlipVertical = rng.Float64() < 0.5 && g.VerticalFlip
	return p
}

// mat3 is a 3×3 matrix of homogeneous 2-D coordinates (row, column).
type mat3 [3][3]float64

func (a mat3) mul(b mat3) mat3 {
	var c mat3
	for i := range 3 {
		for j := range 3 {
			// The conversions keep the compiler from fusing the products
			// and sums (FMA on arm64), so that results are numpy's
			// everywhere.
			c[i][j] = float64(a[i][0]*b[0][j]) + float64(a[i][1]*b[1][j]) + float64(a[i][2]*b[2][j])
		}
	}
	return c
}

func deg2rad(d float64) float64 { return d * (math.Pi / 180) }

// TransformMatrix returns the matrix that Keras's apply_affine_transform
// builds for p and an image of height h and width w: rotation · shift ·
// shear · zoom, moved to the image's centre (Keras's
// transform_matrix_offset_center, whose centre is (h/2 + 0.5, w/2 + 0.5)).
// It maps an output pixel's (row, column, 1) to the input coordinates
// sampled there. ok is false when p has no affine part (Keras then leaves
// the image as it is).
func TransformMatrix(p TransformParams, h, w int) (m [3][3]float64, ok bool) {
	var t mat3
	have := false
	apply := func(b mat3) {
		if have {
			t = t.mul(b)
		} else {
			t, have = b, true
		}
	}
	if p.Theta != 0 {
		th := deg2rad(p.Theta)
		c, s := math.Cos(th), math.Sin(th)
		apply(mat3{{c, -s, 0}, {s, c, 0}, {0, 0, 1}})
	}
	if p.Tx != 0 || p.Ty != 0 {
		apply(mat3{{1, 0, p.Tx}, {0, 1, p.Ty}, {0, 0, 1}})
	}
	if p.Shear != 0 {
		sh := deg2rad(p.Shear)
		apply(mat3{{1, -math.Sin(sh), 0}, {0, math.Cos(sh), 0}, {0, 0, 1}})
	}
	if p.Zx != 1 || p.Zy != 1 {
		apply(mat3{{p.Zx, 0, 0}, {0, p.Zy, 0}, {0, 0, 1}})
	}
	if !have {
		return mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, false
	}
	ox, oy := float64(h)/2+0.5, float64(w)/2+0.5
	offset := mat3{{1, 0, ox}, {0, 1, oy}, {0, 0, 1}}
	reset := mat3{{1, 0, -ox}, {0, 1, -oy}, {0, 0, 1}}
	return offset.mul(t).mul(reset), true
}

// ApplyTransform returns x (an image of shape (h, w, c)) transformed by p
// as Keras's apply_transform does: the affine transform with order-1
// (bilinear) interpolation and the generator's FillMode and Cval, then the
// horizontal and the vertical flip. It does not rescale (see Standardize).
// Degenerate parameters (NaN, infinities, or ones that map a point beyond
// 2^50 pixels away) give that point Cval, in every fill mode.
func (g *ImageDataGenerator) ApplyTransform(x *tensor.Tensor, p TransformParams) (*tensor.Tensor, error) {
	if x == nil || x.Dims() != 3 {
		return nil, fmt.Errorf("preprocessing: ApplyTransform: want an image of shape (h, w, c), got %s", shapeOf(x))
	}
	dst := tensor.New(x.Shape...)
	if err := g.ApplyTransformTo(dst, x, p); err != nil {
		return nil, err
	}
	return dst, nil
}

// ApplyTransformTo is ApplyTransform writing into dst, which must have x's
// shape and must not share x's data unless p has no affine part. It
// allocates nothing.
func (g *ImageDataGenerator) ApplyTransformTo(dst, x *tensor.Tensor, p TransformParams) error {
	if x == nil || x.Dims() != 3 {
		return fmt.Errorf("preprocessing: ApplyTransform: want an image of shape (h, w, c), got %s", shapeOf(x))
	}
	if dst == nil || !tensor.SameShape(dst, x) {
		return fmt.Errorf("preprocessing: ApplyTransform: destination of shape %s for an image of shape %s", shapeOf(dst), shapeOf(x))
	}
	if err := g.Validate(); err != nil {
		return err
	}
	mode, _ := g.fillMode()
	if p.affine() && len(x.Data) > 0 && len(dst.Data) > 0 && &dst.Data[0] == &x.Data[0] {
		return fmt.Errorf("preprocessing: ApplyTransform: the destination is the image itself")
	}
	transformImage(dst.Data, x.Data, x.Shape[0], x.Shape[1], x.Shape[2], p, mode, g.Cval)
	return nil
}

// RandomTransform returns x (h, w, c) transformed by parameters drawn from
// rng (Keras's random_transform: GetRandomTransform then ApplyTransform).
func (g *ImageDataGenerator) RandomTransform(x *tensor.Tensor, rng *tensor.RNG) (*tensor.Tensor, error) {
	if x == nil || x.Dims() != 3 {
		return nil, fmt.Errorf("preprocessing: RandomTransform: want an image of shape (h, w, c), got %s", shapeOf(x))
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g.ApplyTransform(x, g.GetRandomTransform(x.Shape[0], x.Shape[1], rng))
}

// Standardize applies the generator's normalization to x in place: Keras's
// standardize, of which only rescale is provided (x *= Rescale when it is
// not 0).
func (g *ImageDataGenerator) Standardize(x *tensor.Tensor) {
	if x != nil {
		g.standardize(x.Data)
	}
}

func (g *ImageDataGenerator) standardize(x []float32) {
	if g.Rescale == 0 {
		return
	}
	s := float32(g.Rescale)
	for i := range x {
		x[i] *= s
	}
}

func shapeOf(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return tensor.ShapeString(t.Shape)
}

// transformImage writes src (h×w×c, channels last) transformed by p into
// dst: the affine part, if any, then the flips. dst may be src when p has
// no affine part.
func transformImage(dst, src []float32, h, w, c int, p TransformParams, mode FillMode, cval float64) {
	if m, ok := TransformMatrix(p, h, w); ok {
		affine(dst, src, h, w, c, m, mode, cval)
	} else if len(dst) > 0 && &dst[0] != &src[0] {
		copy(dst, src[:h*w*c])
	}
	if p.FlipHorizontal {
		for r := range h {
			row := dst[r*w*c : (r+1)*w*c]
			for a, b := 0, w-1; a < b; a, b = a+1, b-1 {
				for k := range c {
					row[a*c+k], row[b*c+k] = row[b*c+k], row[a*c+k]
				}
			}
		}
	}
	if p.FlipVertical {
		rs := w * c
		for a, b := 0, h-1; a < b; a, b = a+1, b-1 {
			ra, rb := dst[a*rs:(a+1)*rs], dst[b*rs:(b+1)*rs]
			for k := range ra {
				ra[k], rb[k] = rb[k], ra[k]
			}
		}
	}
}

// maxCoord bounds the input coordinates the interpolation takes as they
// are; beyond it (and for NaN) a point gets Cval whatever the fill mode.
// Only degenerate parameters (zooms or shifts of 10^15) reach it.
const maxCoord = 1 << 50

// affine is scipy.ndimage.affine_transform(order=1, prefilter irrelevant)
// of each channel of src by matrix m (output (row, col, 1) → input
// coordinates), with scipy's boundary handling for mode (its
// map_coordinate and the mirror extension of the taps for "constant" and
// "wrap"), and its arithmetic: float64 coordinates and weights, the four
// taps summed in scipy's order, the result rounded to float32.
func affine(dst, src []float32, h, w, c int, m mat3, mode FillMode, cval float64) {
	cv := float32(cval)
	for r := range h {
		fr := float64(r)
		for col := range w {
			fc := float64(col)
			// scipy < 1.16's order of the sums (later ones start from the
			// offset): the rounding decides points on the image's edge.
			// (No fused multiply-adds: see mat3.mul.)
			ir := float64(fr*m[0][0]) + float64(fc*m[0][1]) + m[0][2]
			ic := float64(fr*m[1][0]) + float64(fc*m[1][1]) + m[1][2]
			out := dst[(r*w+col)*c : (r*w+col+1)*c]
			r0, r1, wr0, wr1, okr := taps(ir, h, mode)
			if !okr {
				fill(out, cv)
				continue
			}
			c0, c1, wc0, wc1, okc := taps(ic, w, mode)
			if !okc {
				fill(out, cv)
				continue
			}
			p00 := src[(r0*w+c0)*c:]
			p01 := src[(r0*w+c1)*c:]
			p10 := src[(r1*w+c0)*c:]
			p11 := src[(r1*w+c1)*c:]
			for k := range out {
				t := float64(float64(p00[k]) * wr0 * wc0)
				t += float64(float64(p01[k]) * wr0 * wc1)
				t += float64(float64(p10[k]) * wr1 * wc0)
				t += float64(float64(p11[k]) * wr1 * wc1)
				out[k] = float32(t)
			}
		}
	}
}

func fill(out []float32, v float32) {
	for k := range out {
		out[k] = v
	}
}

// taps returns the two input indices along an axis of n samples that
// order-1 interpolation at coordinate x reads, and their weights, as
// scipy.ndimage's NI_GeometricTransform computes them; ok is false when
// the point takes the constant value.
func taps(x float64, n int, mode FillMode) (i0, i1 int, w0, w1 float64, ok bool) {
	if x >= 0 && x < float64(n-1) {
		// Inside: what follows reduces to this for every mode.
		i0 = int(x)
		w0 = 1 - (x - float64(i0))
		return i0, i0 + 1, w0, 1 - w0, true
	}
	if !(x > -maxCoord && x < maxCoord) {
		return 0, 0, 0, 0, false
	}
	if mode != FillNearest {
		x = mapCoordinate(x, n, mode)
	}
	if !(x > -1 || mode == FillNearest) {
		return 0, 0, 0, 0, false
	}
	fl := math.Floor(x)
	start := int(fl)
	if start < 0 || start+1 >= n {
		sm := mode // scipy's _get_spline_boundary_mode
		if mode == FillConstant || mode == FillWrap {
			sm = fillMirror
		}
		i0 = int(mapCoordinate(float64(start), n, sm))
		i1 = int(mapCoordinate(float64(start+1), n, sm))
	} else {
		i0, i1 = start, start+1
	}
	w0 = 1 - (x - fl)
	w1 = 1 - w0
	return i0, i1, w0, w1, true
}

// fillMirror is scipy's "mirror" (d c b | a b c d | c b a), used inside
// taps only: scipy extends the interpolation taps of "constant" and "wrap"
// that way.
const fillMirror FillMode = "mirror"

// mapCoordinate is scipy.ndimage's map_coordinate (ni_interpolation.c): it
// maps a coordinate outside [0, n−1] back inside by the boundary mode, or
// to −1 for "constant". Conversions truncate toward zero, as C's do.
func mapCoordinate(in float64, n int, mode FillMode) float64 {
	ln := float64(n)
	if in < 0 {
		switch mode {
		case fillMirror:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2*n - 2)
			in = sz2*float64(int64(-in/sz2)) + in
			if in <= 1-ln {
				in += sz2
			} else {
				in = -in
			}
		case FillReflect:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2 * n)
			if in < -sz2 {
				in = sz2*float64(int64(-in/sz2)) + in
			}
			if in < -ln {
				in += sz2
			} else {
				if in > -1e-15 {
					in = 1e-15
				} else {
					in = -in
				}
				in--
			}
		case FillWrap:
			if n <= 1 {
				return 0
			}
			sz := float64(n - 1)
			in += sz * float64(int64(-in/sz)+1)
		case FillNearest:
			in = 0
		case FillConstant:
			in = -1
		}
	} else if in > ln-1 {
		switch mode {
		case fillMirror:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2*n - 2)
			in -= sz2 * float64(int64(in/sz2))
			if in >= ln {
				in = sz2 - in
			}
		case FillReflect:
			if n <= 1 {
				return 0
			}
			sz2 := float64(2 * n)
			in -= sz2 * float64(int64(in/sz2))
			if in >= ln {
				in = sz2 - in - 1
			}
		case FillWrap:
			if n <= 1 {
				return 0
			}
			sz := float64(n - 1)
			in -= sz * float64(int64(in/sz))
		case FillNearest:
			in = ln - 1
		case FillConstant:
			in = -1
		}
	}
	return in
}
