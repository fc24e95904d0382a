package tensorboard

import (
	"errors"
	"math"
	"testing"
)

// A failed write is reported, sticks, and never panics.
func TestIOErrorSticks(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := w.f
	if err := f.Close(); err != nil { // pull the file from under the writer
		t.Fatal(err)
	}
	if err := w.Scalar("x", 1, 1); err != nil {
		t.Fatalf("buffered Scalar = %v, want nil", err)
	}
	err = w.Flush()
	if err == nil {
		t.Fatal("Flush to a closed file: no error")
	}
	if err2 := w.Scalar("x", 2, 1); !errors.Is(err2, err) {
		t.Errorf("Scalar after a failed Flush = %v, want %v", err2, err)
	}
	if err2 := w.Histogram("h", 2, []float32{1}); err2 == nil {
		t.Error("Histogram after a failed Flush: no error")
	}
	if err2 := w.Close(); err2 == nil {
		t.Error("Close after a failed Flush: no error")
	}
}

func TestDefaultLimits(t *testing.T) {
	l := defaultLimits()
	// 774 positive limits 1e-12·1.1^k below 1e20, DBL_MAX, their negatives, 0.
	if len(l) != 2*775+1 {
		t.Errorf("%d default limits, want 1551", len(l))
	}
	if l[0] != -math.MaxFloat64 || l[len(l)/2] != 0 || l[len(l)/2+1] != 1e-12 || l[len(l)-1] != math.MaxFloat64 {
		t.Errorf("default limits start %v, middle %v %v, end %v", l[0], l[len(l)/2], l[len(l)/2+1], l[len(l)-1])
	}
}
