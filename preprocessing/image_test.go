package preprocessing

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

type affineFixture struct {
	Scipy  string `json:"scipy"`
	Images map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float32 `json:"data"`
	} `json:"images"`
	Cases []struct {
		Image  string `json:"image"`
		Params struct {
			Theta, Tx, Ty, Shear, Zx, Zy float64
			FlipH                        bool `json:"flip_horizontal"`
			FlipV                        bool `json:"flip_vertical"`
		} `json:"params"`
		Cval    map[string]float64   `json:"cval"`
		Outputs map[string][]float32 `json:"outputs"`
		Matrix  *[3][3]float64       `json:"matrix"`
	} `json:"cases"`
}

// TestApplyTransformScipy compares ApplyTransform with Keras's
// apply_transform as testdata/gen_affine.py runs it with
// scipy.ndimage.affine_transform, for every fill mode.
func TestApplyTransformScipy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "affine.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx affineFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	if len(fx.Cases) == 0 {
		t.Fatal("no cases")
	}
	worst := map[string]float64{}
	var worstMat float64
	for ci, c := range fx.Cases {
		im := fx.Images[c.Image]
		x := tensor.FromSlice(im.Data, im.Shape...)
		p := TransformParams{Theta: c.Params.Theta, Tx: c.Params.Tx, Ty: c.Params.Ty,
			Shear: c.Params.Shear, Zx: c.Params.Zx, Zy: c.Params.Zy,
			FlipHorizontal: c.Params.FlipH, FlipVertical: c.Params.FlipV}
		m, ok := TransformMatrix(p, im.Shape[0], im.Shape[1])
		if ok != (c.Matrix != nil) {
			t.Fatalf("case %d: affine part %v, Keras's %v", ci, ok, c.Matrix != nil)
		}
		if ok {
			for i := range 3 {
				for j := range 3 {
					worstMat = max(worstMat, math.Abs(m[i][j]-c.Matrix[i][j]))
				}
			}
		}
		for _, mode := range []FillMode{FillNearest, FillConstant, FillReflect, FillWrap} {
			want := c.Outputs[string(mode)]
			g := &ImageDataGenerator{FillMode: mode, Cval: c.Cval[string(mode)]}
			got, err := g.ApplyTransform(x, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Data) != len(want) {
				t.Fatalf("case %d %s: %d values, want %d", ci, mode, len(got.Data), len(want))
			}
			for k := range want {
				d := math.Abs(float64(got.Data[k] - want[k]))
				tol := 1e-4 * max(1, math.Abs(float64(want[k])))
				if d > tol {
					t.Errorf("case %d (%+v) %s: value %d = %v, scipy %v", ci, p, mode, k, got.Data[k], want[k])
				}
				worst[string(mode)] = max(worst[string(mode)], d)
			}
		}
	}
	if worstMat > 1e-12 {
		t.Errorf("matrices differ from Keras's by up to %g", worstMat)
	}
	t.Logf("scipy %s, %d cases: matrix max |Δ| %.3g; output max |Δ| by mode: %v", fx.Scipy, len(fx.Cases), worstMat, worst)
}

func TestApplyTransformFlipsAndIdentity(t *testing.T) {
	x := tensor.FromSlice([]float32{
		1, 2, 3,
		4, 5, 6,
	}, 2, 3, 1)
	g := &ImageDataGenerator{}
	id := TransformParams{Zx: 1, Zy: 1}
	if !id.Identity() {
		t.Fatal("identity not recognized")
	}
	for _, c := range []struct {
		p    TransformParams
		want []float32
	}{
		{id, []float32{1, 2, 3, 4, 5, 6}},
		{TransformParams{Zx: 1, Zy: 1, FlipHorizontal: true}, []float32{3, 2, 1, 6, 5, 4}},
		{TransformParams{Zx: 1, Zy: 1, FlipVertical: true}, []float32{4, 5, 6, 1, 2, 3}},
		{TransformParams{Zx: 1, Zy: 1, FlipHorizontal: true, FlipVertical: true}, []float32{6, 5, 4, 3, 2, 1}},
	} {
		got, err := g.ApplyTransform(x, c.p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.want {
			if got.Data[i] != c.want[i] {
				t.Fatalf("%+v: got %v, want %v", c.p, got.Data, c.want)
			}
		}
	}
	// A shift of whole pixels moves the image (here one row down, so the
	// first row repeats with FillNearest).
	got, err := g.ApplyTransform(x, TransformParams{Tx: -1, Zx: 1, Zy: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 2, 3, 1, 2, 3}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("shift: got %v, want %v", got.Data, want)
		}
	}
}

func TestApplyTransformErrors(t *testing.T) {
	x := tensor.New(4, 4, 3)
	for _, g := range []*ImageDataGenerator{
		{FillMode: "mirror"},
		{RotationRange: -1},
		{Zoom: 0.2, ZoomRange: [2]float64{0.5, 1}},
		{ZoomRange: [2]float64{2, 1}},
		{Rescale: math.NaN()},
		{DataFormat: "channels_first"},
	} {
		if _, err := g.ApplyTransform(x, TransformParams{Theta: 3, Zx: 1, Zy: 1}); err == nil {
			t.Errorf("%+v: no error", g)
		}
	}
	g := &ImageDataGenerator{}
	if _, err := g.ApplyTransform(tensor.New(4, 4), TransformParams{}); err == nil {
		t.Error("2-D image: no error")
	}
	if err := g.ApplyTransformTo(x, x, TransformParams{Theta: 1, Zx: 1, Zy: 1}); err == nil {
		t.Error("in place with an affine part: no error")
	}
	if err := g.ApplyTransformTo(x, x, TransformParams{Zx: 1, Zy: 1, FlipHorizontal: true}); err != nil {
		t.Errorf("in-place flip: %v", err)
	}
}

func TestGetRandomTransform(t *testing.T) {
	g := &ImageDataGenerator{RotationRange: 30, WidthShiftRange: 0.25, HeightShiftRange: 3,
		ShearRange: 10, Zoom: 0.2, HorizontalFlip: true}
	rng := tensor.NewRNG(7)
	var flips int
	const n = 2000
	for range n {
		p := g.GetRandomTransform(20, 40, rng)
		if math.Abs(p.Theta) > 30 || math.Abs(p.Ty) > 0.25*40 || math.Abs(p.Tx) > 3 ||
			math.Abs(p.Shear) > 10 || p.Zx < 0.8 || p.Zx > 1.2 || p.Zy < 0.8 || p.Zy > 1.2 || p.FlipVertical {
			t.Fatalf("out of range: %+v", p)
		}
		if p.FlipHorizontal {
			flips++
		}
	}
	if flips < n/2-150 || flips > n/2+150 {
		t.Errorf("%d horizontal flips of %d", flips, n)
	}
	// The same seed gives the same parameters.
	a := g.GetRandomTransform(20, 40, tensor.NewRNG(3))
	b := g.GetRandomTransform(20, 40, tensor.NewRNG(3))
	if a != b {
		t.Errorf("same seed, different parameters: %+v, %+v", a, b)
	}
	// Keras's int shift n draws from 0..n-1 with a random sign.
	g = &ImageDataGenerator{WidthShiftChoices: []float64{0, 1, 2}}
	seen := map[float64]bool{}
	for range 200 {
		p := g.GetRandomTransform(5, 5, rng)
		seen[p.Ty] = true
		if p.Tx != 0 {
			t.Fatal("height shift without a range")
		}
	}
	for _, v := range []float64{-2, -1, 0, 1, 2} {
		if !seen[v] {
			t.Errorf("shift %v never drawn: %v", v, seen)
		}
	}
	// No augmentation: the identity.
	if p := (&ImageDataGenerator{}).GetRandomTransform(5, 5, rng); !p.Identity() {
		t.Errorf("no augmentation gave %+v", p)
	}
}

func TestRandomTransformAndStandardize(t *testing.T) {
	x := tensor.New(6, 5, 3)
	for i := range x.Data {
		x.Data[i] = float32(i % 251)
	}
	g := &ImageDataGenerator{RotationRange: 40, Zoom: 0.3, FillMode: FillReflect, Rescale: 1.0 / 255}
	a, err := g.RandomTransform(x, tensor.NewRNG(11))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.RandomTransform(x, tensor.NewRNG(11))
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatal("same seed, different images")
		}
	}
	g.Standardize(a)
	for i := range a.Data {
		if math.Abs(float64(a.Data[i]*255-b.Data[i])) > 1e-3 {
			t.Fatalf("rescale: %v vs %v", a.Data[i], b.Data[i])
		}
	}
}

// FuzzApplyTransform feeds arbitrary parameters (NaN, infinities, huge
// shifts, zero zooms) to the affine transform: it must never panic and must
// write only values of the image or Cval combinations (finite here).
func FuzzApplyTransform(f *testing.F) {
	f.Add(17.3, 1.5, -2.0, 10.0, 1.2, 0.8, uint8(0), 3, 4)
	f.Add(math.NaN(), 0.0, 0.0, 0.0, 1.0, 1.0, uint8(1), 1, 1)
	f.Add(1e300, -1e300, 1e18, 89.9, 0.0, 1e-300, uint8(2), 2, 7)
	f.Add(0.0, 0.0, 0.0, 90.0, math.Inf(1), 1.0, uint8(3), 5, 1)
	x := tensor.New(9, 9, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) + 1
	}
	f.Fuzz(func(t *testing.T, theta, tx, ty, shear, zx, zy float64, mode uint8, h, w int) {
		if h < 1 || w < 1 || h > 9 || w > 9 {
			return
		}
		img := tensor.FromSlice(x.Data[:h*w*2], h, w, 2)
		modes := []FillMode{FillNearest, FillConstant, FillReflect, FillWrap}
		g := &ImageDataGenerator{FillMode: modes[int(mode)%4], Cval: 3}
		out, err := g.ApplyTransform(img, TransformParams{Theta: theta, Tx: tx, Ty: ty, Shear: shear, Zx: zx, Zy: zy, FlipHorizontal: mode&4 != 0})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Data {
			// Bilinear weights are convex: outputs lie within the
			// image's range (1..7), as Cval (3) does.
			if !(v >= 1-1e-4 && v <= 7+1e-4) {
				t.Fatalf("value %v", v)
			}
		}
	})
}

// BenchmarkApplyTransform224 is A11's augmentation (rotation up to 30°,
// horizontal flip, reflect) of one 224×224 RGB image.
func BenchmarkApplyTransform224(b *testing.B) {
	x := tensor.New(224, 224, 3)
	for i := range x.Data {
		x.Data[i] = float32(i % 255)
	}
	dst := tensor.New(224, 224, 3)
	g := &ImageDataGenerator{RotationRange: 30, HorizontalFlip: true, FillMode: FillReflect}
	p := TransformParams{Theta: 21, Zx: 1, Zy: 1, FlipHorizontal: true}
	b.SetBytes(int64(4 * len(x.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := g.ApplyTransformTo(dst, x, p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestApplyTransformToAllocates(t *testing.T) {
	x, dst := tensor.New(8, 8, 3), tensor.New(8, 8, 3)
	g := &ImageDataGenerator{FillMode: FillReflect, RotationRange: 10}
	p := TransformParams{Theta: 3, Shear: 4, Zx: 1.1, Zy: 0.9, FlipVertical: true}
	if a := alloctest.PerRun(50, func() {
		if err := g.ApplyTransformTo(dst, x, p); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocations", a)
	}
}
