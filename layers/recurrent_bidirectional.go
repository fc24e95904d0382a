package layers

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/registry"
	"github.com/neurona/neurona/tensor"
)

// MergeMode says how Bidirectional combines its two directions' outputs.
type MergeMode string

// The merge modes (Keras's merge_mode). The zero value is MergeConcat.
const (
	MergeConcat MergeMode = "concat"
	MergeSum    MergeMode = "sum"
	MergeMul    MergeMode = "mul"
	MergeAve    MergeMode = "ave"
	// MergeNone returns the two directions' outputs as two tensors,
	// [forward, backward] (Keras's merge_mode=None, null in its JSON).
	MergeNone MergeMode = "none"
)

// Bidirectional is Keras's bidirectional wrapper of a recurrent layer
// (SimpleRNN, LSTM or GRU): a forward copy of Layer and a copy that runs
// the other way (go_backwards flipped), named forward_NAME and
// backward_NAME, their outputs merged (the backward copy's sequence put
// back in the input's time order first, as Keras does). Its weights are
// the forward copy's, then the backward copy's.
//
// An unnamed Layer takes its name from the wrapper's number, as Keras's
// counters give it in the book's models: lstm_2 inside bidirectional_2.
//
// With MergeNone, or a Layer with ReturnState, the wrapper returns several
// tensors (see MultiOutput), in Keras's order: the merged output, or the
// forward and backward outputs, then the forward layer's final states,
// then the backward layer's ([output, h_fw, c_fw, h_bw, c_bw] for an LSTM
// with return_state).
type Bidirectional struct {
	Layer Layer `json:"layer"`
	// MergeMode defaults to concat.
	MergeMode MergeMode `json:"merge_mode,omitempty"`

	Base
	states   bool // the wrapped layer returns its states
	fwd, bwd Layer
}

// bidirectionalConfig is Bidirectional's serialized form, the wrapped
// layer as a {class_name, config} object.
type bidirectionalConfig struct {
	Layer     *Config   `json:"layer"`
	MergeMode MergeMode `json:"merge_mode,omitempty"`
	Base
}

// MarshalJSON writes the wrapped layer as its class and config.
func (l *Bidirectional) MarshalJSON() ([]byte, error) {
	inner, err := wrappedConfig(l.Layer)
	if err != nil {
		return nil, err
	}
	return json.Marshal(bidirectionalConfig{Layer: inner, MergeMode: l.MergeMode, Base: Base{Name: l.Name, InputShape: l.InputShape, Frozen: l.Frozen}})
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown fields.
func (l *Bidirectional) UnmarshalJSON(b []byte) error {
	var c bidirectionalConfig
	if err := registry.Decode(&c, b); err != nil {
		return err
	}
	inner, err := unwrapConfig(c.Layer)
	if err != nil {
		return err
	}
	l.Layer, l.MergeMode = inner, c.MergeMode
	l.Name, l.InputShape, l.Frozen = c.Name, c.InputShape, c.Frozen
	return nil
}

// wrappedConfig is the config of a wrapper's inner layer (nil for none).
func wrappedConfig(l Layer) (*Config, error) {
	if l == nil {
		return nil, nil
	}
	c, err := ConfigOf(l)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// unwrapConfig is a wrapper's inner layer from its config (nil for none).
func unwrapConfig(c *Config) (Layer, error) {
	if c == nil {
		return nil, nil
	}
	l, err := FromConfig(*c)
	if err != nil {
		return nil, fmt.Errorf("field \"layer\": %w", err)
	}
	return l, nil
}

// ClassName implements Layer.
func (*Bidirectional) ClassName() string { return "Bidirectional" }

// InputSpec implements Layer: the wrapped layer's declared input.
func (l *Bidirectional) InputSpec() []int {
	if s := l.Base.InputSpec(); s != nil {
		return s
	}
	if l.Layer != nil {
		return l.Layer.InputSpec()
	}
	return nil
}

// copyRecurrent returns an unbuilt copy of a recurrent layer named name,
// going the other way when flip is set.
func copyRecurrent(l Layer, name string, flip bool) Layer {
	switch v := l.(type) {
	case *SimpleRNN:
		c := *v
		c.Base, c.rnn = Base{Name: name}, recurrent{}
		c.GoBackwards = c.GoBackwards != flip
		return &c
	case *LSTM:
		c := *v
		c.Base, c.rnn = Base{Name: name}, recurrent{}
		c.GoBackwards = c.GoBackwards != flip
		return &c
	case *GRU:
		c := *v
		c.Base, c.rnn = Base{Name: name}, recurrent{}
		c.GoBackwards = c.GoBackwards != flip
		return &c
	}
	return nil
}

func recurrentOf(l Layer) *recurrent {
	switch v := l.(type) {
	case *SimpleRNN:
		return &v.rnn
	case *LSTM:
		return &v.rnn
	case *GRU:
		return &v.rnn
	}
	return nil
}

// innerName is the wrapped layer's name: its own, or its class's snake
// name with the wrapper's number.
func (l *Bidirectional) innerName() string {
	if n := l.Layer.LayerName(); n != "" {
		return n
	}
	num := "1"
	if i := strings.LastIndexByte(l.Name, '_'); i >= 0 && i+1 < len(l.Name) {
		num = l.Name[i+1:]
	}
	return NamePrefix(l.Layer.ClassName()) + "_" + num
}

// Build implements Layer.
func (l *Bidirectional) Build(input []int) error {
	where := fmt.Sprintf("layer %q (Bidirectional)", l.Name)
	if l.Layer == nil {
		return fmt.Errorf("%s: no layer to wrap", where)
	}
	name := l.innerName()
	fwd := copyRecurrent(l.Layer, "forward_"+name, false)
	bwd := copyRecurrent(l.Layer, "backward_"+name, true)
	if fwd == nil {
		return fmt.Errorf("%s: cannot wrap %s (only SimpleRNN, LSTM and GRU)", where, l.Layer.ClassName())
	}
	switch l.MergeMode {
	case "", MergeConcat, MergeSum, MergeMul, MergeAve, MergeNone:
	default:
		return fmt.Errorf("%s: unknown merge_mode %q (valid: concat, sum, mul, ave, none)", where, string(l.MergeMode))
	}
	if l.shapeOnly {
		SetShapeOnly(fwd)
		SetShapeOnly(bwd)
	}
	for _, c := range []Layer{fwd, bwd} {
		if err := Build(c, input); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	recurrentOf(bwd).opts.InputOrder = true
	out := append([]int(nil), fwd.OutputShape()...)
	if l.MergeMode == "" || l.MergeMode == MergeConcat {
		out[len(out)-1] *= 2
	}
	shapes := [][]int{out}
	if l.MergeMode == MergeNone {
		shapes = append(shapes, out)
	}
	l.states = recurrentOf(fwd).returnState
	if l.states {
		shapes = append(shapes, OutputShapes(fwd)[1:]...)
		shapes = append(shapes, OutputShapes(bwd)[1:]...)
	}
	l.SetOutputShapes(shapes...)
	for _, c := range []Layer{fwd, bwd} {
		cb := c.base()
		for _, w := range cb.weights {
			w.Name = l.Name + "/" + w.Name
		}
		l.weights = append(l.weights, cb.weights...)
		l.shapes = append(l.shapes, cb.shapes...)
		l.pending = append(l.pending, cb.pending...)
		cb.pending = nil
	}
	l.fwd, l.bwd = fwd, bwd
	return nil
}

// Forward and Backward return the built wrapper's two copies.
func (l *Bidirectional) Forward() Layer  { return l.fwd }
func (l *Bidirectional) Backward() Layer { return l.bwd }

// Call implements Layer.
func (l *Bidirectional) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return l.CallMasked(c, x, nil)
}

// CallMasked implements SequenceMasker: both directions skip the masked
// steps. It returns the first output only (the forward one with
// MergeNone); CallOutputs returns them all.
func (l *Bidirectional) CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	yf := l.fwd.(SequenceMasker).CallMasked(c, x, mask)
	if l.MergeMode == MergeNone {
		return yf
	}
	yb := l.bwd.(SequenceMasker).CallMasked(c, x, mask)
	return l.merge(c.Tape, yf, yb)
}

// CallOutputs implements MultiOutput.
func (l *Bidirectional) CallOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var) {
	rf, rb := recurrentOf(l.fwd), recurrentOf(l.bwd)
	var yf, yb, hf, cf, hb, cb *autograd.Var
	if l.states {
		yf, hf, cf = rf.states(c, x, mask)
		yb, hb, cb = rb.states(c, x, mask)
	} else {
		yf, yb = rf.callMasked(c, x, mask), rb.callMasked(c, x, mask)
	}
	k := 1
	if l.MergeMode == MergeNone {
		dst[0], dst[1] = yf, yb
		k = 2
	} else {
		dst[0] = l.merge(c.Tape, yf, yb)
	}
	if !l.states {
		return
	}
	for _, s := range [4]*autograd.Var{hf, cf, hb, cb} {
		if s != nil {
			dst[k] = s
			k++
		}
	}
}

// merge combines the two directions' outputs by MergeMode (not MergeNone).
func (l *Bidirectional) merge(tp *autograd.Tape, yf, yb *autograd.Var) *autograd.Var {
	switch l.MergeMode {
	case MergeSum:
		return tp.Add(yf, yb)
	case MergeMul:
		return tp.Mul(yf, yb)
	case MergeAve:
		return tp.Scale(tp.Add(yf, yb), 0.5)
	}
	return tp.Concat(-1, yf, yb)
}
