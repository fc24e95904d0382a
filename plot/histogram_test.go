package plot

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistogram(t *testing.T) {
	counts := []int{90, 10, 3, 2, 1, 1, 2, 4, 12, 131}
	var buf bytes.Buffer
	if err := WriteHistogram(&buf, "png", "activations", "sigmoid activation", 0, 1, counts); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != 768 || got.Y != 480 {
		t.Errorf("PNG size = %v, want 768x480", got)
	}
	path := filepath.Join(t.TempDir(), "h.svg")
	if err := Histogram(path, "activations", "tanh activation", -1, 1, counts); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("SVG file: %v", err)
	}
	// All zero counts still draw.
	if err := WriteHistogram(&buf, "svg", "", "x", 0, 1, make([]int, 5)); err != nil {
		t.Error(err)
	}
	for _, bad := range []struct {
		lo, hi float64
		counts []int
	}{{0, 1, nil}, {1, 1, counts}, {0, 1, []int{1, -1}}} {
		if err := WriteHistogram(&buf, "png", "", "x", bad.lo, bad.hi, bad.counts); err == nil {
			t.Errorf("WriteHistogram(%v, %v, %v) = nil, want an error", bad.lo, bad.hi, bad.counts)
		}
	}
	if err := Histogram("h.gif", "", "x", 0, 1, counts); err == nil {
		t.Error("a .gif path: want an error")
	}
}
