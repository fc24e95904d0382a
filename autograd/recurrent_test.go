package autograd

import (
	"math"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
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
		x, w, uk, bias := rnnParams(tensor.NewRNG(1), 0.3, o, b, ts, d, u)
		tp := NewTape()
		step := func() {
			tp.Reset()
			y := tp.RNN(x, w, uk, bias, o)
			tp.Backward(tp.Sum(y))
		}
		step()
		if a := alloctest.PerRun(5, step); a != 0 {
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
		// The speed comparison's nets (bench/sentiment): sigmoid gates, as
		// PyTorch's, and the book's input dropout.
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(1)},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, Dropout: 0.2, RNG: tensor.NewRNG(1)},
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

// TestRNNChunks checks the backward pass's chunks of steps: the gradients
// with chunks of 1, 2 and 3 steps (the last one partial) match those of one
// chunk over all 7 steps, which the layers' tests check against a float64
// reference, within float32 rounding (only the order of the sums over
// steps differs), for every cell with masks, dropout and go_backwards.
func TestRNNChunks(t *testing.T) {
	const b, ts, d, u = 3, 7, 5, 6
	for i, o := range []RNNOptions{
		{Cell: SimpleRNNCell, Activation: RNNTanh, ReturnSequences: true},
		{Cell: SimpleRNNCell, Activation: RNNTanh, Dropout: 0.3},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, GoBackwards: true},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, Dropout: 0.3, ReturnSequences: true},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, Mask: halfMask(b, ts), GoBackwards: true, Dropout: 0.2},
		{Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, RecurrentDropout: 0.3, Dropout: 0.2},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, Dropout: 0.3, GoBackwards: true, Mask: halfMask(b, ts)},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, RecurrentDropout: 0.3},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNSigmoid, ResetAfter: true, ReturnSequences: true, Dropout: 0.2},
		{Cell: GRUCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid, ResetAfter: true, Mask: halfMask(b, ts), RecurrentDropout: 0.2},
	} {
		g := o.Cell.gates()
		grads := func(chunk int) [][]float32 {
			defer func(old int) { rnnChunkFloats = old }(rnnChunkFloats)
			rnnChunkFloats = chunk * b * g * u
			if r := newRNNDims(o.Cell, o.ResetAfter, b, ts, d, u, o.Dropout > 0, o.Mask != nil, o.RecurrentDropout > 0); r.kc != min(chunk, ts) {
				t.Fatalf("case %d: chunks of %d steps, want %d", i, r.kc, chunk)
			}
			x, w, uk, bias := rnnParams(tensor.NewRNG(5), 0.4, o, b, ts, d, u)
			oc := o
			if o.Dropout > 0 || o.RecurrentDropout > 0 {
				oc.RNG = tensor.NewRNG(9)
			}
			tp := NewTape()
			y := tp.RNN(x, w, uk, bias, oc)
			tp.BackwardFrom(y, randnLike(tensor.NewRNG(6), y.Value))
			return [][]float32{x.Grad.Data, w.Grad.Data, uk.Grad.Data, bias.Grad.Data}
		}
		want := grads(ts)
		for _, chunk := range []int{1, 2, 3} {
			got := grads(chunk)
			for k := range want {
				for j, v := range want[k] {
					if diff := math.Abs(float64(got[k][j] - v)); diff > 1e-5*(1+math.Abs(float64(v))) {
						t.Fatalf("case %d (%v), chunks of %d: gradient %d [%d] = %v, one chunk gives %v", i, o.Cell, chunk, k, j, got[k][j], v)
					}
				}
			}
		}
	}
}

func randnLike(rng *tensor.RNG, like *tensor.Tensor) *tensor.Tensor {
	r := tensor.New(like.Shape...)
	rng.Normal(r, 0, 1)
	return r
}

// rnnParams draws an input (b, ts, d) and a recurrent layer's kernel,
// recurrent kernel and bias (two rows for the reset-after GRU) for o, with
// u units, from N(0, std²).
func rnnParams(rng *tensor.RNG, std float32, o RNNOptions, b, ts, d, u int) (x, w, uk, bias *Var) {
	g := o.Cell.gates()
	rnd := func(shape ...int) *Var {
		v := tensor.New(shape...)
		rng.Normal(v, 0, std)
		return NewParam(v)
	}
	x, w, uk = rnd(b, ts, d), rnd(d, g*u), rnd(u, g*u)
	if o.ResetAfter {
		return x, w, uk, rnd(2, g*u)
	}
	return x, w, uk, rnd(g * u)
}
