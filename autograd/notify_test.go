package autograd

import (
	"testing"

	"github.com/neurona/neurona/tensor"
)

// TestBackwardNotify checks that every watched weight is reported once,
// that its gradient is final when reported, and that the gradients equal
// those of Backward.
func TestBackwardNotify(t *testing.T) {
	rng := tensor.NewRNG(1)
	mk := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	w1, w2, unused := NewParam(mk(3, 4)), NewParam(mk(4, 2)), NewParam(mk(2))
	x := mk(5, 3)
	run := func(tp *Tape, notify bool) (g1, g2 []float32, order []int) {
		for _, p := range []*Var{w1, w2, unused} {
			p.ZeroGrad()
		}
		tp.Reset()
		h := tp.MatMul(tp.Const(x), w1)
		h = tp.Add(h, h) // w1's product read twice
		y := tp.MatMul(h, w2)
		loss := tp.Mean(tp.Mul(y, y))
		if !notify {
			tp.Backward(loss)
		} else {
			w := NewGradWatch([]*Var{w1, w2, unused})
			snap := map[int][]float32{}
			tp.BackwardNotify(loss, w, func(k int) {
				order = append(order, k)
				snap[k] = append([]float32(nil), []*Var{w1, w2, unused}[k].Grad.Data...)
			})
			// a reported gradient does not change afterwards
			for k, s := range snap {
				for i, v := range []*Var{w1, w2, unused}[k].Grad.Data {
					if v != s[i] {
						t.Fatalf("weight %d changed after it was reported", k)
					}
				}
			}
		}
		return append([]float32(nil), w1.Grad.Data...), append([]float32(nil), w2.Grad.Data...), order
	}
	a1, a2, _ := run(NewTape(), false)
	b1, b2, order := run(NewTape(), true)
	if len(order) != 3 || order[0] != 2 || order[1] != 1 || order[2] != 0 {
		t.Fatalf("order %v, want [2 1 0] (unused first, then w2, then w1)", order)
	}
	for i := range a1 {
		if a1[i] != b1[i] {
			t.Fatalf("w1 grad %d: %v vs %v", i, a1[i], b1[i])
		}
	}
	for i := range a2 {
		if a2[i] != b2[i] {
			t.Fatalf("w2 grad %d: %v vs %v", i, a2[i], b2[i])
		}
	}
}
