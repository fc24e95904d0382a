package autograd

import (
	"math"
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
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, ResetAfter: true, Mask: halfMask(b, ts)},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, RecurrentDropout: 0.3, Dropout: 0.1, RNG: tensor.NewRNG(4)},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, RecurrentDropout: 0.3, RNG: tensor.NewRNG(4)},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, ReturnSequences: true, Mask: halfMask(b, ts)},
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

// BenchmarkRNN times a forward and backward pass at the book's IMDB shapes
// (batch 128, 100 steps, 64 features, 256 units).
func BenchmarkRNN(b *testing.B) {
	const bs, ts, d, u = 128, 100, 64, 256
	for _, o := range []RNNOptions{
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid},
		{Cell: SimpleRNNCell, Activation: RNNTanh},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(1)},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(1)},
	} {
		name := o.Cell.String()
		if o.RecurrentActivation == RNNSigmoid {
			name += "_sigmoid"
		}
		if o.Dropout > 0 {
			name += "_dropout"
		}
		b.Run(name, func(b *testing.B) {
			g := o.Cell.gates()
			rng := tensor.NewRNG(1)
			rnd := func(shape ...int) *Var {
				x := tensor.New(shape...)
				rng.Normal(x, 0, 0.1)
				return NewParam(x)
			}
			x, w, uk, bias := rnd(bs, ts, d), rnd(d, g*u), rnd(u, g*u), rnd(g*u)
			tp := NewTape()
			for i := 0; i < b.N; i++ {
				tp.Reset()
				y := tp.RNN(x, w, uk, bias, o)
				tp.Backward(tp.Sum(y))
			}
		})
	}
}

func TestRNNTanh(t *testing.T) {
	var xs []float32
	for x := float32(-20); x <= 20; x += 0.01 {
		xs = append(xs, x)
	}
	xs = append(xs, 0, 1e-8, -1e-8, float32(math.Inf(1)), float32(math.Inf(-1)))
	y := append([]float32(nil), xs...)
	rnnTanh(y)
	for i, x := range xs {
		want := math.Tanh(float64(x))
		// TanhF32 is within 2 ulps of the rounded value: 2.5 ulps, 1.5e-7,
		// of the exact one just below 1.
		if math.Abs(float64(y[i])-want) > 1.5e-7 || (x != 0 && math.Abs(float64(y[i])-want) > 2e-7*math.Abs(want)+1e-30 && math.Abs(want) < 1e-3) {
			t.Errorf("tanh(%v) = %v, want %v", x, y[i], want)
		}
	}
}

// halfMask masks the first half of every other sample's steps.
func halfMask(b, ts int) *tensor.Tensor {
	m := tensor.New(b, ts)
	for i := range b {
		for t := range ts {
			if i%2 == 1 || t >= ts/2 {
				m.Data[i*ts+t] = 1
			}
		}
	}
	return m
}
