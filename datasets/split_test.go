package datasets

import (
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestSplitHead(t *testing.T) {
	s := Split{X: tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2), Y: tensor.FromSlice([]float32{7, 8, 9}, 3)}
	h := s.Head(2)
	if h.Len() != 2 || h.X.Data[3] != 4 || h.Y.Rows() != 2 || h.Y.Data[1] != 8 || len(h.X.Data) != 4 {
		t.Errorf("Head(2) = %v, %v", h.X, h.Y)
	}
	if all := s.Head(10); all.Len() != 3 {
		t.Errorf("Head(10) has %d rows, want all 3", all.Len())
	}
	if noY := (Split{X: s.X}).Head(1); noY.Y != nil || noY.Len() != 1 {
		t.Errorf("Head of a split without Y: %v", noY)
	}
}

func TestSplitSlice(t *testing.T) {
	s := Split{X: tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2), Y: tensor.FromSlice([]float32{7, 8, 9}, 3)}
	tail := s.Slice(1, 3)
	if tail.Len() != 2 || tail.X.Data[0] != 3 || tail.Y.Data[1] != 9 || tail.X.Shape[1] != 2 {
		t.Errorf("Slice(1, 3) = %v, %v", tail.X, tail.Y)
	}
	if e := s.Slice(3, 3); e.Len() != 0 {
		t.Errorf("Slice(3, 3) has %d rows", e.Len())
	}
}
