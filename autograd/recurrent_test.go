package autograd

import (
	"testing"

	"github.com/neurona/neurona/tensor"
)

// TestRNNAllocs checks that a forward and backward pass of every cell
// allocates nothing once the tape is warm.
func TestRNNAllocs(t *testing.T) {
	const b, ts, d, u = 8, 12, 24, 40
	for _, o := range []RNNOptions{
		{Cell: SimpleRNNCell, Activation: RNNTanh, ReturnSequences: true},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, GoBackwards: true},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, ResetAfter: true, ReturnSequences: true},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(3)},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(3)},
	} {
		g := o.Cell.gates()
		rng := tensor.NewRNG(1)
		rnd := func(shape ...int) *Var {
			x := tensor.New(shape...)
			rng.Normal(x, 0, 0.3)
			return NewParam(x)
		}
		x, w, uk := rnd(b, ts, d), rnd(d, g*u), rnd(u, g*u)
		bias := rnd(g * u)
		if o.ResetAfter {
			bias = rnd(2, g*u)
		}
		tp := NewTape()
		step := func() {
			tp.Reset()
			y := tp.RNN(x, w, uk, bias, o)
			tp.Backward(tp.Sum(y))
		}
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%v: %v allocations per step once warm, want 0", o.Cell, a)
		}
	}
}
