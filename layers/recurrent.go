package layers

import (
	"fmt"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// HardSigmoid names Keras's hard_sigmoid, clip(0.2x + 0.5, 0, 1): Keras
// 2.2's default recurrent activation. Only the recurrent layers take it.
const HardSigmoid activations.Name = "hard_sigmoid"

// SimpleRNN is Keras's fully connected recurrent layer:
// h_t = activation(x_t·kernel + h_{t−1}·recurrent_kernel + bias), from a
// zero initial state, over inputs of shape (steps, features).
type SimpleRNN struct {
	// Units is the size of the state (required).
	Units int `json:"units"`
	// Activation defaults to tanh.
	Activation activations.Name `json:"activation,omitempty"`
	// NoBias drops the bias (Keras's use_bias=False).
	NoBias bool `json:"no_bias,omitempty"`
	// KernelInitializer defaults to GlorotUniform, RecurrentInitializer
	// to Orthogonal, BiasInitializer to Zeros.
	KernelInitializer    initializers.Initializer `json:"-"`
	RecurrentInitializer initializers.Initializer `json:"-"`
	BiasInitializer      initializers.Initializer `json:"-"`
	// Dropout drops inputs and RecurrentDropout the previous state in
	// training, one mask per gate and sequence, as Keras 2.2 does (see
	// autograd.RNNOptions.Dropout and RecurrentDropout).
	Dropout          float32 `json:"dropout,omitempty"`
	RecurrentDropout float32 `json:"recurrent_dropout,omitempty"`
	// ReturnSequences returns every step's output, (steps, units), rather
	// than the last one.
	ReturnSequences bool `json:"return_sequences,omitempty"`
	// GoBackwards processes the sequence last step first; the returned
	// sequence is in the order processed, as in Keras.
	GoBackwards bool `json:"go_backwards,omitempty"`
	// ReturnState makes the layer return its final state too (Keras's
	// return_state): [output, h], applied with ApplyMulti.
	ReturnState bool `json:"return_state,omitempty"`

	Base
	rnn recurrent
}

// LSTM is Keras's long short-term memory layer (Hochreiter 1997), with
// gates i, f, c, o in that order in the kernels' columns.
type LSTM struct {
	Units int `json:"units"`
	// Activation defaults to tanh, RecurrentActivation to hard_sigmoid
	// (Keras 2.2); "sigmoid" is selectable.
	Activation          activations.Name `json:"activation,omitempty"`
	RecurrentActivation activations.Name `json:"recurrent_activation,omitempty"`
	NoBias              bool             `json:"no_bias,omitempty"`
	// NoUnitForgetBias turns off Keras's unit_forget_bias (on by default):
	// the forget gate's bias starts at 1.
	NoUnitForgetBias     bool                     `json:"no_unit_forget_bias,omitempty"`
	KernelInitializer    initializers.Initializer `json:"-"`
	RecurrentInitializer initializers.Initializer `json:"-"`
	BiasInitializer      initializers.Initializer `json:"-"`
	Dropout              float32                  `json:"dropout,omitempty"`
	RecurrentDropout     float32                  `json:"recurrent_dropout,omitempty"`
	ReturnSequences      bool                     `json:"return_sequences,omitempty"`
	GoBackwards          bool                     `json:"go_backwards,omitempty"`
	// ReturnState returns [output, h, c]: the final hidden and cell
	// states too (Keras's return_state), applied with ApplyMulti.
	ReturnState bool `json:"return_state,omitempty"`

	Base
	rnn recurrent
}

// GRU is Keras's gated recurrent unit (Cho 2014), with gates z, r, h in
// that order in the kernels' columns. By default it is Keras 2.2's form
// (reset gate before the recurrent product, one bias); ResetAfter selects
// the TF2/cuDNN form, whose bias is 2×(3·units): input then recurrent.
type GRU struct {
	Units                int                      `json:"units"`
	Activation           activations.Name         `json:"activation,omitempty"`
	RecurrentActivation  activations.Name         `json:"recurrent_activation,omitempty"`
	NoBias               bool                     `json:"no_bias,omitempty"`
	KernelInitializer    initializers.Initializer `json:"-"`
	RecurrentInitializer initializers.Initializer `json:"-"`
	BiasInitializer      initializers.Initializer `json:"-"`
	Dropout              float32                  `json:"dropout,omitempty"`
	RecurrentDropout     float32                  `json:"recurrent_dropout,omitempty"`
	ReturnSequences      bool                     `json:"return_sequences,omitempty"`
	GoBackwards          bool                     `json:"go_backwards,omitempty"`
	ResetAfter           bool                     `json:"reset_after,omitempty"`
	// ReturnState returns [output, h] (Keras's return_state), applied
	// with ApplyMulti.
	ReturnState bool `json:"return_state,omitempty"`

	Base
	rnn recurrent
}

// recurrent is the built state shared by the recurrent layers.
type recurrent struct {
	kernel, rec, bias *autograd.Var
	opts              autograd.RNNOptions
	dropout           float32
	recDropout        float32
	returnState       bool
}

// recurrentArgs is what buildRecurrent needs of a layer's config.
type recurrentArgs struct {
	class                      string
	units                      int
	act, ract                  activations.Name
	noBias                     bool
	kernelInit, recInit, bInit initializers.Initializer
	dropout, recDropout        float32
	opts                       autograd.RNNOptions
	unitForgetBias             bool
	returnState                bool
}

func rnnActivation(n, def activations.Name) (autograd.RNNActivation, error) {
	if n == "" {
		n = def
	}
	switch n {
	case activations.Linear:
		return autograd.RNNLinear, nil
	case activations.Tanh:
		return autograd.RNNTanh, nil
	case activations.Sigmoid:
		return autograd.RNNSigmoid, nil
	case HardSigmoid:
		return autograd.RNNHardSigmoid, nil
	case activations.ReLU:
		return autograd.RNNReLU, nil
	}
	return 0, fmt.Errorf("unknown activation %q for a recurrent layer (valid: linear, tanh, sigmoid, hard_sigmoid, relu)", string(n))
}

func (r *recurrent) build(b *Base, a recurrentArgs, input []int) error {
	where := fmt.Sprintf("layer %q (%s)", b.Name, a.class)
	if len(input) != 2 {
		return fmt.Errorf("%s: input shape %s is not (steps, features)", where, tensor.ShapeString(input))
	}
	if err := checkShape(a.class, b.Name, input); err != nil {
		return err
	}
	if a.units <= 0 {
		return fmt.Errorf("%s: units must be positive, got %d", where, a.units)
	}
	if !(a.dropout >= 0 && a.dropout < 1) {
		return fmt.Errorf("%s: dropout must be in [0, 1), got %v", where, a.dropout)
	}
	if !(a.recDropout >= 0 && a.recDropout < 1) {
		return fmt.Errorf("%s: recurrent_dropout must be in [0, 1), got %v", where, a.recDropout)
	}
	var err error
	o := a.opts
	if o.Activation, err = rnnActivation(a.act, activations.Tanh); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if o.RecurrentActivation, err = rnnActivation(a.ract, HardSigmoid); err != nil {
		return fmt.Errorf("%s: recurrent_activation: %w", where, err)
	}
	r.opts = o
	r.dropout, r.recDropout, r.returnState = a.dropout, a.recDropout, a.returnState
	out := []int{a.units}
	if o.ReturnSequences {
		out = []int{input[0], a.units}
	}
	switch {
	case !a.returnState:
		b.SetOutputShape(out)
	case o.Cell == autograd.LSTMCell:
		b.SetOutputShapes(out, []int{a.units}, []int{a.units})
	default:
		b.SetOutputShapes(out, []int{a.units})
	}
	gu := gatesOf(o.Cell) * a.units
	r.kernel = b.AddWeight("kernel", []int{input[1], gu}, orDefault(a.kernelInit, initializers.GlorotUniform{}), true)
	r.rec = b.AddWeight("recurrent_kernel", []int{a.units, gu}, orDefault(a.recInit, initializers.Orthogonal{}), true)
	r.bias = nil
	if !a.noBias {
		init := orDefault(a.bInit, initializers.Zeros{})
		if a.unitForgetBias {
			init = unitForgetBias{init, a.units}
		}
		shape := []int{gu}
		if o.Cell == autograd.GRUCell && o.ResetAfter {
			shape = []int{2, gu}
		}
		r.bias = b.AddWeight("bias", shape, init, true)
	}
	return nil
}

func gatesOf(c autograd.RNNCell) int {
	switch c {
	case autograd.LSTMCell:
		return 4
	case autograd.GRUCell:
		return 3
	}
	return 1
}

// SequenceMasker is implemented by the layers that take Keras's sequence
// mask (SimpleRNN, LSTM, GRU, Bidirectional): mask is (batch, steps), 0 at
// the padded steps, whose state the layer carries over unchanged (see
// autograd.RNNOptions.Mask). A nil mask is Call.
type SequenceMasker interface {
	Layer
	CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var
}

// CallMasked implements SequenceMasker.
func (l *SimpleRNN) CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	return l.rnn.callMasked(c, x, mask)
}

// CallMasked implements SequenceMasker.
func (l *LSTM) CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	return l.rnn.callMasked(c, x, mask)
}

// CallMasked implements SequenceMasker.
func (l *GRU) CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	return l.rnn.callMasked(c, x, mask)
}

func (r *recurrent) call(c *CallContext, x *autograd.Var) *autograd.Var {
	return r.callMasked(c, x, nil)
}

func (r *recurrent) callMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	return c.Tape.RNN(x, r.kernel, r.rec, r.bias, r.callOptions(c, mask))
}

func (r *recurrent) callOptions(c *CallContext, mask *tensor.Tensor) autograd.RNNOptions {
	o := r.opts
	o.Mask = mask
	if c.Training && (r.dropout > 0 || r.recDropout > 0) {
		o.Dropout, o.RecurrentDropout, o.RNG = r.dropout, r.recDropout, c.RNG
	}
	return o
}

// states runs the layer and returns its output and final states (cs nil
// but for the LSTM).
func (r *recurrent) states(c *CallContext, x *autograd.Var, mask *tensor.Tensor) (out, h, cs *autograd.Var) {
	return c.Tape.RNNStates(x, r.kernel, r.rec, r.bias, r.callOptions(c, mask))
}

// callOutputs implements MultiOutput: [output] or, with return_state,
// [output, h] and for the LSTM [output, h, c].
func (r *recurrent) callOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var) {
	if !r.returnState {
		dst[0] = r.callMasked(c, x, mask)
		return
	}
	out, h, cs := r.states(c, x, mask)
	dst[0], dst[1] = out, h
	if cs != nil {
		dst[2] = cs
	}
}

// CallOutputs implements MultiOutput.
func (l *SimpleRNN) CallOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var) {
	l.rnn.callOutputs(c, x, mask, dst)
}

// CallOutputs implements MultiOutput.
func (l *LSTM) CallOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var) {
	l.rnn.callOutputs(c, x, mask, dst)
}

// CallOutputs implements MultiOutput.
func (l *GRU) CallOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var) {
	l.rnn.callOutputs(c, x, mask, dst)
}

// ClassName implements Layer.
func (*SimpleRNN) ClassName() string { return "SimpleRNN" }

// Build implements Layer.
func (l *SimpleRNN) Build(input []int) error {
	return l.rnn.build(&l.Base, recurrentArgs{
		class: l.ClassName(), units: l.Units, act: l.Activation, noBias: l.NoBias,
		kernelInit: l.KernelInitializer, recInit: l.RecurrentInitializer, bInit: l.BiasInitializer,
		dropout: l.Dropout, recDropout: l.RecurrentDropout, returnState: l.ReturnState,
		opts: autograd.RNNOptions{Cell: autograd.SimpleRNNCell, ReturnSequences: l.ReturnSequences, GoBackwards: l.GoBackwards},
	}, input)
}

// Call implements Layer.
func (l *SimpleRNN) Call(c *CallContext, x *autograd.Var) *autograd.Var { return l.rnn.call(c, x) }

// ClassName implements Layer.
func (*LSTM) ClassName() string { return "LSTM" }

// Build implements Layer.
func (l *LSTM) Build(input []int) error {
	return l.rnn.build(&l.Base, recurrentArgs{
		class: l.ClassName(), units: l.Units, act: l.Activation, ract: l.RecurrentActivation, noBias: l.NoBias,
		kernelInit: l.KernelInitializer, recInit: l.RecurrentInitializer, bInit: l.BiasInitializer,
		dropout: l.Dropout, recDropout: l.RecurrentDropout, unitForgetBias: !l.NoUnitForgetBias, returnState: l.ReturnState,
		opts: autograd.RNNOptions{Cell: autograd.LSTMCell, ReturnSequences: l.ReturnSequences, GoBackwards: l.GoBackwards},
	}, input)
}

// Call implements Layer.
func (l *LSTM) Call(c *CallContext, x *autograd.Var) *autograd.Var { return l.rnn.call(c, x) }

// ClassName implements Layer.
func (*GRU) ClassName() string { return "GRU" }

// Build implements Layer.
func (l *GRU) Build(input []int) error {
	return l.rnn.build(&l.Base, recurrentArgs{
		class: l.ClassName(), units: l.Units, act: l.Activation, ract: l.RecurrentActivation, noBias: l.NoBias,
		kernelInit: l.KernelInitializer, recInit: l.RecurrentInitializer, bInit: l.BiasInitializer,
		dropout: l.Dropout, recDropout: l.RecurrentDropout, returnState: l.ReturnState,
		opts: autograd.RNNOptions{Cell: autograd.GRUCell, ReturnSequences: l.ReturnSequences, GoBackwards: l.GoBackwards,
			ResetAfter: l.ResetAfter},
	}, input)
}

// Call implements Layer.
func (l *GRU) Call(c *CallContext, x *autograd.Var) *autograd.Var { return l.rnn.call(c, x) }

// unitForgetBias is Keras's unit_forget_bias: the inner initializer, then
// ones over the forget gate's block (the second of four).
type unitForgetBias struct {
	inner initializers.Initializer
	units int
}

func (i unitForgetBias) Init(t *tensor.Tensor, rng *tensor.RNG) {
	i.inner.Init(t, rng)
	for j := i.units; j < 2*i.units && j < len(t.Data); j++ {
		t.Data[j] = 1
	}
}
