package layers_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

// refCell is an independent float64 implementation of Keras 2.2's
// recurrent cells (keras/layers/recurrent.py), written from the equations
// one step and one unit at a time, with no shared code with the fused op.
type refCell struct {
	cell       string // "simple", "lstm", "gru"
	units      int
	act, ract  func(float64) float64
	retSeq     bool
	back       bool
	resetAfter bool
	bias       bool
	// masks, when set, are the input dropout masks, (gates, b, d).
	masks []float64
	// seqMask, when set, is the sequence mask (b, t): at 0 the state stays.
	seqMask []float64
	// recMasks, when set, are the recurrent dropout masks, (gates, b, u).
	recMasks []float64
	// states appends the final h (b, u) and, for the LSTM, c (b, u) to
	// the output, as return_state returns them.
	states bool
}

func refTanh(x float64) float64    { return math.Tanh(x) }
func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func refHardSigmoid(x float64) float64 {
	return math.Max(0, math.Min(1, 0.2*x+0.5))
}

// forward runs the cell over x (b, t, d) with kernel w (d, g·u), recurrent
// kernel uk (u, g·u) and bias (g·u, or 2·g·u for reset_after), flattened.
func (c refCell) forward(b, t, d int, x, w, uk, bias []float64) []float64 {
	u := c.units
	g := map[string]int{"simple": 1, "lstm": 4, "gru": 3}[c.cell]
	gu := g * u
	var out []float64
	if c.retSeq {
		out = make([]float64, b*t*u)
	} else {
		out = make([]float64, b*u)
	}
	// xw(n, step, col) = x_step·W[:, col] + input bias.
	proj := func(n, step, col int) float64 {
		s := 0.0
		for k := 0; k < d; k++ {
			xv := x[(n*t+step)*d+k]
			if c.masks != nil {
				xv *= c.masks[((col/u)*b+n)*d+k]
			}
			s += xv * w[k*gu+col]
		}
		if c.bias {
			s += bias[col]
		}
		return s
	}
	// dotU(h, col) = h·U[:, col], h masked by its gate's recurrent mask.
	var n int
	dotU := func(h []float64, col int) float64 {
		s := 0.0
		for k := 0; k < u; k++ {
			hv := h[k]
			if c.recMasks != nil {
				hv *= c.recMasks[((col/u)*b+n)*u+k]
			}
			s += hv * uk[k*gu+col]
		}
		return s
	}
	hT, cT := make([]float64, b*u), make([]float64, b*u)
	for n = 0; n < b; n++ {
		h := make([]float64, u)
		cs := make([]float64, u)
		for s := 0; s < t; s++ {
			step := s
			if c.back {
				step = t - 1 - s
			}
			nh := make([]float64, u)
			if c.seqMask != nil && c.seqMask[n*t+step] == 0 {
				if c.retSeq {
					copy(out[(n*t+s)*u:], h)
				}
				continue // h and c carried over
			}
			switch c.cell {
			case "simple":
				for j := 0; j < u; j++ {
					nh[j] = c.act(proj(n, step, j) + dotU(h, j))
				}
			case "lstm":
				for j := 0; j < u; j++ {
					i := c.ract(proj(n, step, j) + dotU(h, j))
					f := c.ract(proj(n, step, u+j) + dotU(h, u+j))
					cc := c.act(proj(n, step, 2*u+j) + dotU(h, 2*u+j))
					o := c.ract(proj(n, step, 3*u+j) + dotU(h, 3*u+j))
					cs[j] = f*cs[j] + i*cc
					nh[j] = o * c.act(cs[j])
				}
			case "gru":
				z := make([]float64, u)
				r := make([]float64, u)
				rb := func(col int) float64 {
					if c.bias && c.resetAfter {
						return bias[gu+col]
					}
					return 0
				}
				for j := 0; j < u; j++ {
					z[j] = c.ract(proj(n, step, j) + dotU(h, j) + rb(j))
					r[j] = c.ract(proj(n, step, u+j) + dotU(h, u+j) + rb(u+j))
				}
				rh := make([]float64, u)
				for j := range rh {
					rh[j] = r[j] * h[j]
				}
				for j := 0; j < u; j++ {
					var rec float64
					if c.resetAfter {
						rec = r[j] * (dotU(h, 2*u+j) + rb(2*u+j))
					} else {
						rec = dotU(rh, 2*u+j)
					}
					hh := c.act(proj(n, step, 2*u+j) + rec)
					nh[j] = z[j]*h[j] + (1-z[j])*hh
				}
			}
			h = nh
			if c.retSeq {
				copy(out[(n*t+s)*u:], h)
			}
		}
		if !c.retSeq {
			copy(out[n*u:], h)
		}
		copy(hT[n*u:], h)
		copy(cT[n*u:], cs)
	}
	if c.states {
		out = append(out, hT...)
		if c.cell == "lstm" {
			out = append(out, cT...)
		}
	}
	return out
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

type refCase struct {
	name    string
	l       layers.Layer
	ref     refCell
	dropout float32 // the layer's; the call is in training mode when set
	recDrop float32 // likewise the layer's recurrent_dropout
	masked  bool    // called with refMask
}

// refMask is a sequence mask of (2, 5): the first sample padded at the
// start, the second at the end and in the middle.
var refMask = []float32{0, 0, 1, 1, 1, 1, 0, 1, 1, 0}

func refCases() []refCase {
	var cs []refCase
	for _, back := range []bool{false, true} {
		for _, seq := range []bool{false, true} {
			sfx := ""
			if back {
				sfx += "_backwards"
			}
			if seq {
				sfx += "_sequences"
			}
			cs = append(cs,
				refCase{"simple_rnn" + sfx, &layers.SimpleRNN{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "simple", units: 3, act: refTanh, retSeq: seq, back: back, bias: true}, 0, 0, false},
				refCase{"lstm" + sfx, &layers.LSTM{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, back: back, bias: true}, 0, 0, false},
				refCase{"lstm_sigmoid" + sfx, &layers.LSTM{Units: 3, RecurrentActivation: activations.Sigmoid, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "lstm", units: 3, act: refTanh, ract: refSigmoid, retSeq: seq, back: back, bias: true}, 0, 0, false},
				refCase{"gru" + sfx, &layers.GRU{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, back: back, bias: true}, 0, 0, false},
				refCase{"gru_reset_after" + sfx, &layers.GRU{Units: 3, ResetAfter: true, RecurrentActivation: activations.Sigmoid, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "gru", units: 3, act: refTanh, ract: refSigmoid, retSeq: seq, back: back, resetAfter: true, bias: true}, 0, 0, false},
			)
		}
	}
	cs = append(cs,
		refCase{"lstm_no_bias", &layers.LSTM{Units: 2, NoBias: true, RecurrentActivation: activations.Sigmoid},
			refCell{cell: "lstm", units: 2, act: refTanh, ract: refSigmoid}, 0, 0, false},
		refCase{"gru_reset_after_no_bias", &layers.GRU{Units: 2, NoBias: true, ResetAfter: true},
			refCell{cell: "gru", units: 2, act: refTanh, ract: refHardSigmoid, resetAfter: true}, 0, 0, false},
		refCase{"simple_rnn_relu", &layers.SimpleRNN{Units: 4, Activation: activations.ReLU, ReturnSequences: true},
			refCell{cell: "simple", units: 4, act: func(x float64) float64 { return math.Max(x, 0) }, retSeq: true, bias: true}, 0, 0, false},
		refCase{"simple_rnn_dropout", &layers.SimpleRNN{Units: 3, Dropout: 0.4, ReturnSequences: true},
			refCell{cell: "simple", units: 3, act: refTanh, retSeq: true, bias: true}, 0.4, 0, false},
		refCase{"lstm_dropout", &layers.LSTM{Units: 3, Dropout: 0.4, GoBackwards: true},
			refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, back: true, bias: true}, 0.4, 0, false},
		refCase{"gru_dropout", &layers.GRU{Units: 3, Dropout: 0.3, ReturnSequences: true},
			refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: true, bias: true}, 0.3, 0, false},
		refCase{"gru_reset_after_dropout", &layers.GRU{Units: 3, Dropout: 0.5, ResetAfter: true},
			refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, resetAfter: true, bias: true}, 0.5, 0, false},
	)
	for _, back := range []bool{false, true} {
		for _, seq := range []bool{false, true} {
			sfx := "_masked"
			if back {
				sfx += "_backwards"
			}
			if seq {
				sfx += "_sequences"
			}
			cs = append(cs,
				refCase{"simple_rnn" + sfx, &layers.SimpleRNN{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "simple", units: 3, act: refTanh, retSeq: seq, back: back, bias: true}, 0, 0, true},
				refCase{"lstm" + sfx, &layers.LSTM{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, back: back, bias: true}, 0, 0, true},
				refCase{"gru" + sfx, &layers.GRU{Units: 3, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, back: back, bias: true}, 0, 0, true},
				refCase{"gru_reset_after" + sfx, &layers.GRU{Units: 3, ResetAfter: true, ReturnSequences: seq, GoBackwards: back},
					refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, back: back, resetAfter: true, bias: true}, 0, 0, true},
			)
		}
	}
	for _, drop := range []float32{0, 0.3} {
		sfx := "_recurrent_dropout"
		if drop > 0 {
			sfx += "_dropout"
		}
		cs = append(cs,
			refCase{name: "simple_rnn" + sfx, l: &layers.SimpleRNN{Units: 3, Dropout: drop, RecurrentDropout: 0.4, ReturnSequences: true},
				ref: refCell{cell: "simple", units: 3, act: refTanh, retSeq: true, bias: true}, dropout: drop, recDrop: 0.4},
			refCase{name: "lstm" + sfx, l: &layers.LSTM{Units: 3, Dropout: drop, RecurrentDropout: 0.4, GoBackwards: true},
				ref: refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, back: true, bias: true}, dropout: drop, recDrop: 0.4},
			refCase{name: "gru" + sfx, l: &layers.GRU{Units: 3, Dropout: drop, RecurrentDropout: 0.4, ReturnSequences: true},
				ref: refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: true, bias: true}, dropout: drop, recDrop: 0.4},
			refCase{name: "gru_reset_after" + sfx, l: &layers.GRU{Units: 3, Dropout: drop, RecurrentDropout: 0.4, ResetAfter: true},
				ref: refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, resetAfter: true, bias: true}, dropout: drop, recDrop: 0.4},
		)
	}
	cs = append(cs,
		refCase{name: "gru_masked_recurrent_dropout", l: &layers.GRU{Units: 3, RecurrentDropout: 0.3, ReturnSequences: true},
			ref: refCell{cell: "gru", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: true, bias: true}, recDrop: 0.3, masked: true},
		refCase{"lstm_masked_dropout", &layers.LSTM{Units: 3, Dropout: 0.3, ReturnSequences: true},
			refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: true, bias: true}, 0.3, 0, true},
	)
	return cs
}

// TestRecurrentMatchesReference checks the fused recurrent op against
// refCell: the forward outputs, and the gradients of L = Σ y·R with respect
// to the input and every weight against float64 central differences of the
// reference.
func TestRecurrentMatchesReference(t *testing.T) {
	for _, c := range refCases() {
		t.Run(c.name, func(t *testing.T) { checkReference(t, c, false) })
	}
}

// TestRecurrentStatesMatchReference is TestRecurrentMatchesReference with
// return_state: the output and the final states against refCell's, and
// the gradients of L = Σ y·R + Σ h·R_h (+ Σ c·R_c), each state's share
// flowing back through the op's backpropagation through time.
func TestRecurrentStatesMatchReference(t *testing.T) {
	for _, c := range refCases() {
		switch l := c.l.(type) {
		case *layers.SimpleRNN:
			l.ReturnState = true
		case *layers.LSTM:
			l.ReturnState = true
		case *layers.GRU:
			l.ReturnState = true
		}
		c.ref.states = true
		t.Run(c.name, func(t *testing.T) { checkReference(t, c, true) })
	}
}

// checkReference checks one case against refCell; with states, the layer
// returns them (return_state) and they are checked too.
func checkReference(t *testing.T, c refCase, states bool) {
	t.Helper()
	const b, steps, d = 2, 5, 3
	if err := layers.Build(c.l, []int{steps, d}); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(7)
	for _, w := range c.l.Weights() {
		rng.Normal(w.Var.Value, 0, 0.6)
	}
	x := randn(rng, b, steps, d)
	xv := autograd.NewParam(x)
	for _, w := range c.l.Weights() {
		w.Var.ZeroGrad()
	}
	tp := autograd.NewTape()
	var y *autograd.Var
	var r *tensor.Tensor
	// Twice on one tape, the second time on the first's scratch
	// (which must not leak into the result).
	for range 2 {
		tp.Reset()
		xv.ZeroGrad()
		for _, w := range c.l.Weights() {
			w.Var.ZeroGrad()
		}
		ctx := &layers.CallContext{Tape: tp, RNG: tensor.NewRNG(1), Training: c.dropout > 0 || c.recDrop > 0}
		var m *tensor.Tensor
		if c.masked {
			m = tensor.New(b, steps)
			copy(m.Data, refMask)
			c.ref.seqMask = to64(refMask)
		}
		switch {
		case states:
			y, r = callStates(t, c.l, ctx, xv, m)
		case c.masked:
			y = c.l.(layers.SequenceMasker).CallMasked(ctx, xv, m)
		default:
			y = c.l.Call(ctx, xv)
		}
		if !states {
			r = randn(tensor.NewRNG(9), y.Value.Shape...)
			tp.BackwardFrom(y, r)
		}
	}
	// The masks as the op draws them (autograd.RNNOptions.Dropout):
	// the input masks, then the recurrent ones.
	g := map[string]int{"simple": 1, "lstm": 4, "gru": 3}[c.ref.cell]
	mr := tensor.NewRNG(1)
	if c.dropout > 0 {
		c.ref.masks = make([]float64, g*b*d)
		for i := range c.ref.masks {
			if mr.Float32() >= c.dropout {
				c.ref.masks[i] = 1 / (1 - float64(c.dropout))
			}
		}
	}
	if c.recDrop > 0 {
		c.ref.recMasks = make([]float64, g*b*c.ref.units)
		for i := range c.ref.recMasks {
			if mr.Float32() >= c.recDrop {
				c.ref.recMasks[i] = 1 / (1 - float64(c.recDrop))
			}
		}
	}

	args := [][]float64{to64(x.Data)}
	for _, w := range c.l.Weights() {
		args = append(args, to64(w.Var.Value.Data))
	}
	call := func() []float64 {
		var bias []float64
		if len(args) > 3 {
			bias = args[3]
		}
		return c.ref.forward(b, steps, d, args[0], args[1], args[2], bias)
	}
	grads := []*tensor.Tensor{xv.Grad}
	names := []string{"input"}
	for _, w := range c.l.Weights() {
		grads = append(grads, w.Var.Grad)
		names = append(names, w.Name)
	}
	checkForwardAndGrads(t, y.Value.Data, r.Data, call, args, grads, func(ai int) string { return names[ai] })
}

// callStates runs a layer with return_state through CallOutputs, with the
// mask m when non-nil, and backpropagates L = Σ_k Σ y_k·R_k from its
// outputs y_k. It returns the outputs and the R_k concatenated, in the
// layer's order, as refCell with states returns its values.
func callStates(t *testing.T, l layers.Layer, ctx *layers.CallContext, x *autograd.Var, m *tensor.Tensor) (*autograd.Var, *tensor.Tensor) {
	t.Helper()
	n := layers.NumOutputs(l)
	if n < 2 {
		t.Fatalf("%s with return_state has %d outputs", l.ClassName(), n)
	}
	outs := make([]*autograd.Var, n)
	l.(layers.MultiOutput).CallOutputs(ctx, x, m, outs)
	tp := ctx.Tape
	shapes := layers.OutputShapes(l)
	var all, rs []float32
	var loss *autograd.Var
	rng := tensor.NewRNG(9)
	for k, o := range outs {
		if want := append([]int{x.Value.Shape[0]}, shapes[k]...); !tensor.EqualShape(o.Value.Shape, want) {
			t.Fatalf("output %d has shape %v, want %v", k, o.Value.Shape, want)
		}
		r := randn(rng, o.Value.Shape...)
		all = append(all, o.Value.Data...)
		rs = append(rs, r.Data...)
		term := tp.Sum(tp.Mul(o, tp.Const(r)))
		if loss == nil {
			loss = term
		} else {
			loss = tp.Add(loss, term)
		}
	}
	tp.Backward(loss)
	y := autograd.NewConst(tensor.FromSlice(all, len(all)))
	return y, tensor.FromSlice(rs, len(rs))
}

// TestRecurrentParams checks Keras's parameter counts and weight shapes.
func TestRecurrentParams(t *testing.T) {
	for _, c := range []struct {
		l    layers.Layer
		want int
	}{
		{&layers.GRU{Units: 256}, 246528},
		{&layers.LSTM{Units: 256}, 328704},
		{&layers.GRU{Units: 256, ResetAfter: true}, 3 * (64*256 + 256*256 + 2*256)},
		{&layers.SimpleRNN{Units: 256}, 64*256 + 256*256 + 256},
	} {
		if err := layers.Build(c.l, []int{100, 64}); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, w := range c.l.Weights() {
			n += w.Var.Value.Size()
		}
		if n != c.want {
			t.Errorf("%s: %d parameters, Keras has %d", c.l.ClassName(), n, c.want)
		}
	}
}

// TestRecurrentInit checks the orthogonal recurrent kernel and the LSTM's
// unit forget bias.
func TestRecurrentInit(t *testing.T) {
	l := &layers.LSTM{Units: 4}
	if err := layers.Build(l, []int{3, 5}); err != nil {
		t.Fatal(err)
	}
	layers.Initialize(l, tensor.NewRNG(1))
	u := l.Weights()[1].Var.Value // 4×16, orthonormal rows
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			var s float64
			for k := 0; k < 16; k++ {
				s += float64(u.Data[i*16+k]) * float64(u.Data[j*16+k])
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(s-want) > 1e-5 {
				t.Errorf("recurrent kernel rows %d·%d = %v, want %v", i, j, s, want)
			}
		}
	}
	bias := l.Weights()[2].Var.Value.Data
	for j, v := range bias {
		want := float32(0)
		if j >= 4 && j < 8 {
			want = 1
		}
		if v != want {
			t.Errorf("bias[%d] = %v, want %v", j, v, want)
		}
	}
}

func TestRecurrentErrors(t *testing.T) {
	for _, c := range []struct {
		l     layers.Layer
		input []int
		want  string
	}{
		{&layers.LSTM{Base: layers.Base{Name: "lstm_x"}, Units: 4, Dropout: 1}, []int{3, 2}, `layer "lstm_x" (LSTM): dropout must be in [0, 1)`},
		{&layers.GRU{Base: layers.Base{Name: "g"}, Units: 4, RecurrentDropout: -0.2}, []int{3, 2}, `layer "g" (GRU): recurrent_dropout must be in [0, 1)`},
		{&layers.SimpleRNN{Base: layers.Base{Name: "s"}, Units: 4}, []int{3}, `layer "s" (SimpleRNN): input shape`},
		{&layers.LSTM{Base: layers.Base{Name: "l"}, Units: 4, RecurrentActivation: "softmax"}, []int{3, 2}, `unknown activation "softmax"`},
		{&layers.GRU{Base: layers.Base{Name: "g"}, Units: 0}, []int{3, 2}, "units must be positive"},
	} {
		err := layers.Build(c.l, c.input)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.l.ClassName(), err, c.want)
		}
	}
}

// TestEveryRecurrentLayer runs the recurrent layers through layerTest.
func TestEveryRecurrentLayer(t *testing.T) {
	for _, c := range []layerCase{
		{name: "SimpleRNN", new: func() layers.Layer { return &layers.SimpleRNN{Units: 3} }, inputs: [][]int{{4, 2}}, batch: 2, want: []int{3}},
		{name: "SimpleRNN sequences backwards", new: func() layers.Layer {
			return &layers.SimpleRNN{Units: 2, ReturnSequences: true, GoBackwards: true}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "LSTM", new: func() layers.Layer { return &layers.LSTM{Units: 3} }, inputs: [][]int{{4, 2}}, batch: 2, want: []int{3}},
		{name: "LSTM sigmoid sequences backwards", new: func() layers.Layer {
			return &layers.LSTM{Units: 2, RecurrentActivation: activations.Sigmoid, ReturnSequences: true, GoBackwards: true}
		}, inputs: [][]int{{3, 3}}, batch: 2, want: []int{3, 2}},
		{name: "GRU", new: func() layers.Layer { return &layers.GRU{Units: 3} }, inputs: [][]int{{4, 2}}, batch: 2, want: []int{3}},
		{name: "GRU reset_after sequences", new: func() layers.Layer {
			return &layers.GRU{Units: 2, ResetAfter: true, ReturnSequences: true}
		}, inputs: [][]int{{3, 2}}, batch: 3, want: []int{3, 2}},
		{name: "SimpleRNN dropout", new: func() layers.Layer { return &layers.SimpleRNN{Units: 3, Dropout: 0.3} }, inputs: [][]int{{4, 3}}, batch: 2, want: []int{3}},
		{name: "LSTM dropout", new: func() layers.Layer {
			return &layers.LSTM{Units: 2, Dropout: 0.3, RecurrentActivation: activations.Sigmoid, ReturnSequences: true}
		}, inputs: [][]int{{3, 3}}, batch: 2, want: []int{3, 2}},
		{name: "GRU dropout", new: func() layers.Layer {
			return &layers.GRU{Units: 2, Dropout: 0.3, RecurrentActivation: activations.Sigmoid, GoBackwards: true}
		}, inputs: [][]int{{3, 3}}, batch: 2, want: []int{2}},
		{name: "LSTM recurrent_dropout", new: func() layers.Layer {
			return &layers.LSTM{Units: 2, Dropout: 0.2, RecurrentDropout: 0.3, RecurrentActivation: activations.Sigmoid}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
		{name: "GRU reset_after recurrent_dropout", new: func() layers.Layer {
			return &layers.GRU{Units: 2, RecurrentDropout: 0.3, ResetAfter: true, RecurrentActivation: activations.Sigmoid, ReturnSequences: true}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "SimpleRNN recurrent_dropout", new: func() layers.Layer { return &layers.SimpleRNN{Units: 2, RecurrentDropout: 0.3} }, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
		{name: "GRU reset_after backwards no bias", new: func() layers.Layer {
			return &layers.GRU{Units: 2, ResetAfter: true, GoBackwards: true, NoBias: true, RecurrentActivation: activations.Sigmoid}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
		{name: "LSTM return_state", new: func() layers.Layer {
			return &layers.LSTM{Units: 3, ReturnState: true, RecurrentActivation: activations.Sigmoid}
		}, inputs: [][]int{{4, 2}}, batch: 2, want: []int{3}},
		{name: "GRU return_state sequences dropout", new: func() layers.Layer {
			return &layers.GRU{Units: 2, ReturnState: true, ReturnSequences: true, Dropout: 0.3, RecurrentActivation: activations.Sigmoid}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "SimpleRNN return_state backwards", new: func() layers.Layer {
			return &layers.SimpleRNN{Units: 2, ReturnState: true, GoBackwards: true}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
	} {
		layerTest(t, c)
	}
}

// TestRecurrentLargeMatchesReference repeats the reference check at sizes
// where the GEMMs take their blocked, strided paths: the forward pass in
// full, the gradients on a random sample of entries.
func TestRecurrentLargeMatchesReference(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const b, steps, d, u = 5, 6, 19, 37
	for _, c := range []refCase{
		{"simple_rnn", &layers.SimpleRNN{Units: u, ReturnSequences: true}, refCell{cell: "simple", units: u, act: refTanh, retSeq: true, bias: true}, 0, 0, false},
		{"lstm_backwards", &layers.LSTM{Units: u, GoBackwards: true}, refCell{cell: "lstm", units: u, act: refTanh, ract: refHardSigmoid, back: true, bias: true}, 0, 0, false},
		{"gru", &layers.GRU{Units: u, ReturnSequences: true}, refCell{cell: "gru", units: u, act: refTanh, ract: refHardSigmoid, retSeq: true, bias: true}, 0, 0, false},
		{"gru_reset_after", &layers.GRU{Units: u, ResetAfter: true, GoBackwards: true, RecurrentActivation: activations.Sigmoid},
			refCell{cell: "gru", units: u, act: refTanh, ract: refSigmoid, back: true, resetAfter: true, bias: true}, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := layers.Build(c.l, []int{steps, d}); err != nil {
				t.Fatal(err)
			}
			rng := tensor.NewRNG(8)
			for _, w := range c.l.Weights() {
				rng.Normal(w.Var.Value, 0, 0.3)
			}
			x := randn(rng, b, steps, d)
			xv := autograd.NewParam(x)
			for _, w := range c.l.Weights() {
				w.Var.ZeroGrad()
			}
			tp := autograd.NewTape()
			y := c.l.Call(&layers.CallContext{Tape: tp, RNG: tensor.NewRNG(1)}, xv)
			r := randn(tensor.NewRNG(9), y.Value.Shape...)
			tp.BackwardFrom(y, r)
			args := [][]float64{to64(x.Data)}
			grads := []*tensor.Tensor{xv.Grad}
			for _, w := range c.l.Weights() {
				args = append(args, to64(w.Var.Value.Data))
				grads = append(grads, w.Var.Grad)
			}
			call := func() []float64 { return c.ref.forward(b, steps, d, args[0], args[1], args[2], args[3]) }
			for i, v := range call() {
				if math.Abs(float64(y.Value.Data[i])-v) > 2e-5 {
					t.Fatalf("output[%d] = %v, reference %v", i, y.Value.Data[i], v)
				}
			}
			loss := func() float64 {
				s := 0.0
				for i, v := range call() {
					s += v * float64(r.Data[i])
				}
				return s
			}
			pick := tensor.NewRNG(4)
			for ai, a := range args {
				perm := make([]int, len(a))
				pick.Perm(perm)
				for _, j := range perm[:min(25, len(a))] {
					o := a[j]
					a[j] = o + 1e-6
					lp := loss()
					a[j] = o - 1e-6
					lm := loss()
					a[j] = o
					num := (lp - lm) / 2e-6
					if got := float64(grads[ai].Data[j]); math.Abs(got-num) > 2e-4+2e-4*math.Abs(num) {
						t.Errorf("argument %d [%d]: op %.7g, reference %.7g", ai, j, got, num)
					}
				}
			}
		})
	}
}

// TestBidirectionalMatchesReference checks Bidirectional against two
// refCells, the backward one's sequence reversed back, merged.
func TestBidirectionalMatchesReference(t *testing.T) {
	const b, steps, d = 2, 4, 3
	for _, mode := range []layers.MergeMode{"", layers.MergeSum, layers.MergeMul, layers.MergeAve, "masked"} {
		masked := mode == "masked"
		if masked {
			mode = ""
		}
		for _, seq := range []bool{false, true} {
			for _, inner := range []struct {
				l   layers.Layer
				ref refCell
			}{
				{&layers.LSTM{Units: 3, ReturnSequences: seq}, refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, bias: true}},
				{&layers.GRU{Units: 2, ReturnSequences: seq}, refCell{cell: "gru", units: 2, act: refTanh, ract: refHardSigmoid, retSeq: seq, bias: true}},
				{&layers.SimpleRNN{Units: 2, ReturnSequences: seq}, refCell{cell: "simple", units: 2, act: refTanh, retSeq: seq, bias: true}},
			} {
				name := fmt.Sprintf("%s_%s_seq%v_masked%v", inner.l.ClassName(), mode, seq, masked)
				t.Run(name, func(t *testing.T) {
					l := &layers.Bidirectional{Layer: inner.l, MergeMode: mode, Base: layers.Base{Name: "bidirectional_1"}}
					if err := layers.Build(l, []int{steps, d}); err != nil {
						t.Fatal(err)
					}
					rng := tensor.NewRNG(3)
					for _, w := range l.Weights() {
						rng.Normal(w.Var.Value, 0, 0.6)
					}
					x := randn(rng, b, steps, d)
					xv := autograd.NewParam(x)
					tp := autograd.NewTape()
					ctx := &layers.CallContext{Tape: tp, RNG: tensor.NewRNG(1)}
					var y *autograd.Var
					ref := inner.ref
					if masked {
						m := tensor.New(b, steps)
						copy(m.Data, refMask[:b*steps])
						ref.seqMask = to64(m.Data)
						y = l.CallMasked(ctx, xv, m)
					} else {
						y = l.Call(ctx, xv)
					}
					r := randn(tensor.NewRNG(9), y.Value.Shape...)
					tp.BackwardFrom(y, r)
					args := [][]float64{to64(x.Data)}
					grads := []*tensor.Tensor{xv.Grad}
					for _, w := range l.Weights() {
						args = append(args, to64(w.Var.Value.Data))
						grads = append(grads, w.Var.Grad)
					}
					u := inner.ref.units
					call := func() []float64 {
						fc, bc := ref, ref
						bc.back = true
						yf := fc.forward(b, steps, d, args[0], args[1], args[2], args[3])
						yb := bc.forward(b, steps, d, args[0], args[4], args[5], args[6])
						if seq {
							yb = reverseSteps(yb, b, steps, u)
						}
						var out []float64
						for i := 0; i < len(yf); i += u {
							switch mode {
							case "":
								out = append(append(out, yf[i:i+u]...), yb[i:i+u]...)
							default:
								for j := i; j < i+u; j++ {
									v := map[layers.MergeMode]float64{
										layers.MergeSum: yf[j] + yb[j], layers.MergeMul: yf[j] * yb[j], layers.MergeAve: (yf[j] + yb[j]) / 2,
									}[mode]
									out = append(out, v)
								}
							}
						}
						return out
					}
					checkForwardAndGrads(t, y.Value.Data, r.Data, call, args, grads, func(ai int) string { return fmt.Sprintf("argument %d", ai) })
				})
			}
		}
	}
}

func TestBidirectionalWeights(t *testing.T) {
	l := &layers.Bidirectional{Layer: &layers.LSTM{Units: 64}, Base: layers.Base{Name: "bidirectional_2"}}
	if err := layers.Build(l, []int{200, 64}); err != nil {
		t.Fatal(err)
	}
	var names []string
	n := 0
	for _, w := range l.Weights() {
		names = append(names, w.Name)
		n += w.Var.Value.Size()
	}
	want := "bidirectional_2/forward_lstm_2/kernel bidirectional_2/forward_lstm_2/recurrent_kernel bidirectional_2/forward_lstm_2/bias " +
		"bidirectional_2/backward_lstm_2/kernel bidirectional_2/backward_lstm_2/recurrent_kernel bidirectional_2/backward_lstm_2/bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("weights %s, want %s", got, want)
	}
	if n != 2*4*(64*64+64*64+64) {
		t.Errorf("%d parameters, want %d", n, 2*4*(64*64+64*64+64))
	}
	if !tensor.EqualShape(l.OutputShape(), []int{128}) {
		t.Errorf("output shape %v, want [128]", l.OutputShape())
	}
	bad := &layers.Bidirectional{Layer: &layers.Dense{Units: 2}}
	if err := layers.Build(bad, []int{3, 2}); err == nil || !strings.Contains(err.Error(), "cannot wrap Dense") {
		t.Errorf("wrapping Dense: %v", err)
	}
}

// TestEveryBidirectionalLayer runs Bidirectional through layerTest.
func TestEveryBidirectionalLayer(t *testing.T) {
	for _, c := range []layerCase{
		// sigmoid: the finite differences' step (0.01) can straddle hard_sigmoid's
		// kinks; TestBidirectionalMatchesReference checks hard_sigmoid exactly.
		{name: "Bidirectional LSTM", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.LSTM{Units: 2, RecurrentActivation: activations.Sigmoid}}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{4}},
		{name: "Bidirectional GRU sequences sum", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.GRU{Units: 2, ReturnSequences: true}, MergeMode: layers.MergeSum}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "Bidirectional SimpleRNN sequences ave", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.SimpleRNN{Units: 2, ReturnSequences: true}, MergeMode: layers.MergeAve}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "Bidirectional LSTM dropout sequences", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.LSTM{Units: 2, Dropout: 0.2, ReturnSequences: true, RecurrentActivation: activations.Sigmoid}}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 4}},
		{name: "Bidirectional GRU reset_after mul", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.GRU{Units: 2, ResetAfter: true}, MergeMode: layers.MergeMul}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
		{name: "Bidirectional LSTM sequences merge none", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnSequences: true, RecurrentActivation: activations.Sigmoid}, MergeMode: layers.MergeNone}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "Bidirectional LSTM return_state", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.LSTM{Units: 2, ReturnState: true, RecurrentActivation: activations.Sigmoid}}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{4}},
		{name: "Bidirectional GRU return_state merge none", new: func() layers.Layer {
			return &layers.Bidirectional{Layer: &layers.GRU{Units: 2, ReturnState: true, RecurrentActivation: activations.Sigmoid}, MergeMode: layers.MergeNone}
		}, inputs: [][]int{{3, 2}}, batch: 2, want: []int{2}},
	} {
		layerTest(t, c)
	}
}

// TestEveryTimeDistributedLayer runs TimeDistributed through layerTest.
func TestEveryTimeDistributedLayer(t *testing.T) {
	for _, c := range []layerCase{
		{name: "TimeDistributed Dense", new: func() layers.Layer {
			return &layers.TimeDistributed{Layer: &layers.Dense{Units: 3, Activation: activations.Tanh}}
		}, inputs: [][]int{{4, 2}}, batch: 2, want: []int{4, 3}},
		{name: "TimeDistributed Conv2D", new: func() layers.Layer {
			return &layers.TimeDistributed{Layer: &layers.Conv2D{Filters: 2, KernelSize: [2]int{2, 2}}}
		}, inputs: [][]int{{3, 3, 3, 1}}, batch: 2, want: []int{3, 2, 2, 2}},
	} {
		layerTest(t, c)
	}
}

func TestTimeDistributedNames(t *testing.T) {
	l := &layers.TimeDistributed{Layer: &layers.Dense{Units: 5}, Base: layers.Base{Name: "time_distributed_3"}}
	if err := layers.Build(l, []int{7, 4}); err != nil {
		t.Fatal(err)
	}
	ws := l.Weights()
	if len(ws) != 2 || ws[0].Name != "time_distributed_3/dense_3/kernel" || ws[1].Name != "time_distributed_3/dense_3/bias" {
		t.Errorf("weights %s, %s", ws[0].Name, ws[1].Name)
	}
	if !tensor.EqualShape(l.OutputShape(), []int{7, 5}) {
		t.Errorf("output shape %v", l.OutputShape())
	}
	if err := layers.Build(&layers.TimeDistributed{Layer: &layers.Dense{Units: 2}}, []int{3}); err == nil || !strings.Contains(err.Error(), "no time axis") {
		t.Errorf("rank-1 input: %v", err)
	}
}

// TestBidirectionalOutputsMatchReference checks Bidirectional's several
// outputs against refCell: merge_mode none ([forward, backward], the
// backward sequence in the input's time order) and return_state (the
// forward layer's final states, then the backward one's), forward and
// backward, with and without a mask.
func TestBidirectionalOutputsMatchReference(t *testing.T) {
	const b, steps, d = 2, 4, 3
	for _, mode := range []layers.MergeMode{layers.MergeNone, "", layers.MergeSum} {
		for _, states := range []bool{false, true} {
			if mode != layers.MergeNone && !states {
				continue // one output: TestBidirectionalMatchesReference
			}
			for _, seq := range []bool{false, true} {
				for _, masked := range []bool{false, true} {
					for _, inner := range []struct {
						l   func() layers.Layer
						ref refCell
					}{
						{func() layers.Layer { return &layers.LSTM{Units: 3, ReturnSequences: seq, ReturnState: states} },
							refCell{cell: "lstm", units: 3, act: refTanh, ract: refHardSigmoid, retSeq: seq, bias: true, states: states}},
						{func() layers.Layer { return &layers.GRU{Units: 2, ReturnSequences: seq, ReturnState: states} },
							refCell{cell: "gru", units: 2, act: refTanh, ract: refHardSigmoid, retSeq: seq, bias: true, states: states}},
					} {
						name := fmt.Sprintf("%s_%q_states%v_seq%v_masked%v", inner.ref.cell, mode, states, seq, masked)
						t.Run(name, func(t *testing.T) {
							checkBidirectionalOutputs(t, inner.l(), inner.ref, mode, masked, b, steps, d)
						})
					}
				}
			}
		}
	}
}

func checkBidirectionalOutputs(t *testing.T, inner layers.Layer, ref refCell, mode layers.MergeMode, masked bool, b, steps, d int) {
	l := &layers.Bidirectional{Layer: inner, MergeMode: mode, Base: layers.Base{Name: "bidirectional_1"}}
	if err := layers.Build(l, []int{steps, d}); err != nil {
		t.Fatal(err)
	}
	nStates := 0
	if ref.states {
		nStates = map[string]int{"lstm": 2, "gru": 1}[ref.cell]
	}
	nSeq := 1
	if mode == layers.MergeNone {
		nSeq = 2
	}
	if got := layers.NumOutputs(l); got != nSeq+2*nStates {
		t.Fatalf("%d outputs, want %d", got, nSeq+2*nStates)
	}
	rng := tensor.NewRNG(3)
	for _, w := range l.Weights() {
		rng.Normal(w.Var.Value, 0, 0.6)
	}
	x := randn(rng, b, steps, d)
	xv := autograd.NewParam(x)
	ctx := &layers.CallContext{Tape: autograd.NewTape(), RNG: tensor.NewRNG(1)}
	var m *tensor.Tensor
	if masked {
		m = tensor.New(b, steps)
		copy(m.Data, refMask[:b*steps])
		ref.seqMask = to64(m.Data)
	}
	y, r := callStates(t, l, ctx, xv, m)
	args := [][]float64{to64(x.Data)}
	grads := []*tensor.Tensor{xv.Grad}
	for _, w := range l.Weights() {
		args = append(args, to64(w.Var.Value.Data))
		grads = append(grads, w.Var.Grad)
	}
	u := ref.units
	outLen := b * u
	if ref.retSeq {
		outLen = b * steps * u
	}
	call := func() []float64 {
		fc, bc := ref, ref
		bc.back = true
		yf := fc.forward(b, steps, d, args[0], args[1], args[2], args[3])
		yb := bc.forward(b, steps, d, args[0], args[4], args[5], args[6])
		of, ob := yf[:outLen], yb[:outLen]
		if ref.retSeq {
			ob = reverseSteps(ob, b, steps, u)
		}
		var out []float64
		switch mode {
		case layers.MergeNone:
			out = append(append(out, of...), ob...)
		case "":
			for i := 0; i < outLen; i += u {
				out = append(append(out, of[i:i+u]...), ob[i:i+u]...)
			}
		case layers.MergeSum:
			for i := range of {
				out = append(out, of[i]+ob[i])
			}
		}
		return append(append(out, yf[outLen:]...), yb[outLen:]...)
	}
	checkForwardAndGrads(t, y.Value.Data, r.Data, call, args, grads, func(ai int) string { return fmt.Sprintf("argument %d", ai) })
}

// reverseSteps returns the (b, steps, u) sequence y with its steps
// reversed: a backward layer's outputs in the input's time order.
func reverseSteps(y []float64, b, steps, u int) []float64 {
	rev := make([]float64, len(y))
	for n := 0; n < b; n++ {
		for s := 0; s < steps; s++ {
			copy(rev[(n*steps+s)*u:(n*steps+s+1)*u], y[(n*steps+steps-1-s)*u:])
		}
	}
	return rev
}

// checkForwardAndGrads checks an op against a float64 reference: its
// outputs y against call() within 1e-5, and the gradients grads[ai] of
// L = Σ y·r with respect to each of the reference's arguments args[ai]
// (named by name) against central differences of call() with step 1e-6.
func checkForwardAndGrads(t *testing.T, y, r []float32, call func() []float64, args [][]float64, grads []*tensor.Tensor, name func(int) string) {
	t.Helper()
	want := call()
	if len(want) != len(y) {
		t.Fatalf("output has %d values, the reference %d", len(y), len(want))
	}
	for i, v := range want {
		if math.Abs(float64(y[i])-v) > 1e-5 {
			t.Fatalf("output[%d] = %v, reference %v", i, y[i], v)
		}
	}
	loss := func() float64 {
		s := 0.0
		for i, v := range call() {
			s += v * float64(r[i])
		}
		return s
	}
	const eps = 1e-6
	for ai, a := range args {
		for j := range a {
			o := a[j]
			a[j] = o + eps
			lp := loss()
			a[j] = o - eps
			lm := loss()
			a[j] = o
			num := (lp - lm) / (2 * eps)
			if got := float64(grads[ai].Data[j]); math.Abs(got-num) > 1e-4+1e-4*math.Abs(num) {
				t.Errorf("dL/d %s[%d]: op %.7g, reference %.7g", name(ai), j, got, num)
			}
		}
	}
}
