package autograd

import (
	"testing"

	"github.com/neurona/neurona/tensor"
)

// apart returns a + d with |d| ≥ 0.2 of random sign, so that finite
// differences never swap which of the two is larger.
func apart(rng *tensor.RNG, a *tensor.Tensor) *tensor.Tensor {
	b := awayFromZero(rng, a.Shape...)
	for i := range b.Data {
		b.Data[i] += a.Data[i]
	}
	return b
}

func TestGradMergeOps(t *testing.T) {
	rng := tensor.NewRNG(30)
	a := randn(rng, 3, 4)
	b, c, d := apart(rng, a), randn(rng, 3, 4), randn(rng, 3, 4)
	gradCheck(t, "Maximum", []*tensor.Tensor{a, b}, func(tp *Tape, in []*Var) *Var { return tp.Maximum(in[0], in[1]) })
	gradCheck(t, "Minimum", []*tensor.Tensor{a, b}, func(tp *Tape, in []*Var) *Var { return tp.Minimum(in[0], in[1]) })
	gradCheck(t, "AddN", []*tensor.Tensor{a, b, c, d}, func(tp *Tape, in []*Var) *Var { return tp.AddN(in...) })
	gradCheck(t, "AddN one", []*tensor.Tensor{a}, func(tp *Tape, in []*Var) *Var { return tp.AddN(in[0]) })
	gradCheck(t, "Average", []*tensor.Tensor{a, b, c}, func(tp *Tape, in []*Var) *Var {
		return tp.Scale(tp.AddN(in[0], in[1], in[2], in[0]), 0.25)
	})
}

func TestMaximumMinimumValuesAndTies(t *testing.T) {
	a := NewParam(tensor.FromSlice([]float32{1, -2, 3, 0}, 4))
	b := NewParam(tensor.FromSlice([]float32{2, -3, 3, 0}, 4))
	for _, isMax := range []bool{true, false} {
		a.ZeroGrad()
		b.ZeroGrad()
		tp := NewTape()
		var y *Var
		if isMax {
			y = tp.Maximum(a, b)
		} else {
			y = tp.Minimum(a, b)
		}
		tp.Backward(tp.Sum(y))
		for i, av := range a.Value.Data {
			bv := b.Value.Data[i]
			want, toA := av, true
			if (isMax && bv > av) || (!isMax && bv < av) {
				want, toA = bv, false
			}
			if y.Value.Data[i] != want {
				t.Errorf("max=%v: [%d] = %v, want %v", isMax, i, y.Value.Data[i], want)
			}
			ga, gb := a.Grad.Data[i], b.Grad.Data[i]
			if toA && (ga != 1 || gb != 0) || !toA && (ga != 0 || gb != 1) {
				t.Errorf("max=%v: [%d] gradients a %v, b %v; want it all to %s", isMax, i, ga, gb, map[bool]string{true: "a", false: "b"}[toA])
			}
		}
		// Elements 2 and 3 are ties: both go to a.
		if a.Grad.Data[2] != 1 || a.Grad.Data[3] != 1 {
			t.Errorf("max=%v: ties gave a the gradients %v", isMax, a.Grad.Data[2:])
		}
	}
}

func TestMergePanics(t *testing.T) {
	tp := NewTape()
	x, y := NewConst(tensor.New(2, 3)), NewConst(tensor.New(3, 2))
	mustPanic(t, "Maximum: shapes [2 3] and [3 2] differ", func() { tp.Maximum(x, y) })
	mustPanic(t, "Minimum: shapes", func() { tp.Minimum(x, y) })
	mustPanic(t, "AddN: shapes", func() { tp.AddN(x, x, y) })
	mustPanic(t, "AddN: no inputs", func() { tp.AddN() })
}
