package autograd

import (
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// TestNewOpsStepAllocatesNothing checks that, once warm, a forward and
// backward pass through the shape, gather, merge, dot and dropout ops
// allocates nothing: their scratch, index lists and input lists all come
// from the tape's arenas.
func TestNewOpsStepAllocatesNothing(t *testing.T) {
	rng := tensor.NewRNG(70)
	table := NewParam(randn(rng, 10, 4))
	ids := randomIDs(rng, 10, 3, 5)
	a, b := NewParam(randn(rng, 3, 5, 4)), NewParam(randn(rng, 3, 5, 4))
	c := NewParam(randn(rng, 3, 2, 4))
	drop := tensor.NewRNG(71)
	noise := []int{3, 1, 4}
	tp := NewTape()
	step := func() {
		tp.Reset()
		e := tp.Gather(table, ids) // (3, 5, 4)
		e = tp.DropoutNoise(e, 0.25, noise, drop, true)
		m := tp.AddN(tp.Maximum(e, a), tp.Minimum(e, b), a, b) // four inputs
		cat := tp.Concat(1, m, c, e, c, a)                     // (3, 19, 4), five inputs
		parts := tp.Split(cat, -2, 6, 13)
		d3 := tp.BatchDot(parts[0], parts[1], [2]int{2, 2}, true) // (3, 6, 13)
		v := tp.Slice(parts[1], 1, 0, 1)                          // (3, 1, 4)
		v = tp.Reshape(v, 3, 4)
		d2 := tp.BatchDot(v, tp.L2Normalize(v, 0), [2]int{1, 1}, false)
		s := tp.ScatterAdd(table, ids, e)
		l := tp.AddN(tp.Mean(d3), tp.Mean(d2), tp.Mean(tp.Mul(s, s)))
		tp.Backward(l)
	}
	step()
	if a := alloctest.PerRun(20, step); a != 0 {
		t.Errorf("a step allocates %v times, want 0", a)
	}
}
