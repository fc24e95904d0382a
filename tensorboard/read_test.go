package tensorboard

import (
	"os"
	"testing"
)

// TestEachScalar reads back the scalars a Writer wrote, skipping its
// histograms, and refuses a truncated file.
func TestEachScalar(t *testing.T) {
	w, err := NewWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(3) {
		if err := w.Scalar("epoch_loss", step, 0.5/float64(step+1)); err != nil {
			t.Fatal(err)
		}
		if err := w.Histogram("dense/kernel", step, []float32{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	if err := EachScalar(b, func(step int64, tag string, v float64) {
		if tag != "epoch_loss" || step != int64(len(got)) {
			t.Errorf("scalar %d: step %d tag %q", len(got), step, tag)
		}
		got = append(got, v)
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d scalars, want 3: %v", len(got), got)
	}
	for i, v := range got {
		if want := float64(float32(0.5 / float64(i+1))); v != want {
			t.Errorf("scalar %d = %v, want %v", i, v, want)
		}
	}
	if err := EachScalar(b[:len(b)-3], func(int64, string, float64) {}); err == nil {
		t.Error("a truncated file: no error")
	}
}
