package preprocessing

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestResizePIL compares the resizing of FlowFromDirectory with PIL's
// Image.resize (testdata/gen_resize.py) for every filter: bit for bit.
func TestResizePIL(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "resize.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		PIL   string    `json:"pil"`
		H     int       `json:"h"`
		W     int       `json:"w"`
		Image []float32 `json:"image"`
		Cases []struct {
			Filter string
			W, H   int
			Out    []float32
		}
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	var r resizer
	bad := 0
	for _, c := range fx.Cases {
		dst := make([]float32, c.W*c.H*3)
		if err := r.resizeRGB(dst, fx.Image, fx.W, fx.H, c.W, c.H, 3, Interpolation(c.Filter)); err != nil {
			t.Fatal(err)
		}
		for i := range dst {
			if dst[i] != c.Out[i] {
				bad++
				if bad < 10 {
					t.Errorf("%s to %d×%d: sample %d = %v, PIL %v", c.Filter, c.W, c.H, i, dst[i], c.Out[i])
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d samples differ", bad)
	}
	t.Logf("PIL %s: %d resizes, all samples identical", fx.PIL, len(fx.Cases))
	if err := r.resizeRGB(nil, nil, 1, 1, 2, 2, 3, "cubic"); err == nil {
		t.Error("unknown filter: no error")
	}
}

// BenchmarkResize500To224 resizes a 500×375 photograph to 224×224.
func BenchmarkResize500To224(b *testing.B) {
	src := make([]float32, 500*375*3)
	for i := range src {
		src[i] = float32(i % 251)
	}
	dst := make([]float32, 224*224*3)
	for _, in := range []Interpolation{InterpNearest, InterpBilinear} {
		b.Run(string(in), func(b *testing.B) {
			var r resizer
			b.ReportAllocs()
			for b.Loop() {
				if err := r.resizeRGB(dst, src, 500, 375, 224, 224, 3, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
