package layers

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/registry"
)

// TimeDistributed is Keras's wrapper that applies Layer to every time step
// of its input (steps, …) independently, with one set of weights: the
// batch and the steps are folded into one batch of batch·steps samples.
// An unnamed Layer takes its class's name with the wrapper's number
// (dense_2 inside time_distributed_2); its weights are named
// time_distributed_2/dense_2/kernel and so on.
type TimeDistributed struct {
	Layer Layer `json:"layer"`

	Base
}

type timeDistributedConfig struct {
	Layer *Config `json:"layer"`
	Base
}

// MarshalJSON writes the wrapped layer as its class and config.
func (l *TimeDistributed) MarshalJSON() ([]byte, error) {
	inner, err := wrappedConfig(l.Layer)
	if err != nil {
		return nil, err
	}
	return json.Marshal(timeDistributedConfig{Layer: inner, Base: Base{Name: l.Name, InputShape: l.InputShape, Frozen: l.Frozen}})
}

// UnmarshalJSON reads what MarshalJSON writes, refusing unknown fields.
func (l *TimeDistributed) UnmarshalJSON(b []byte) error {
	var c timeDistributedConfig
	if err := registry.Decode(&c, b); err != nil {
		return err
	}
	inner, err := unwrapConfig(c.Layer)
	if err != nil {
		return err
	}
	l.Layer = inner
	l.Name, l.InputShape, l.Frozen = c.Name, c.InputShape, c.Frozen
	return nil
}

// ClassName implements Layer.
func (*TimeDistributed) ClassName() string { return "TimeDistributed" }

// Build implements Layer.
func (l *TimeDistributed) Build(input []int) error {
	where := fmt.Sprintf("layer %q (TimeDistributed)", l.Name)
	if l.Layer == nil {
		return fmt.Errorf("%s: no layer to wrap", where)
	}
	if _, ok := l.Layer.(MultiInput); ok {
		return fmt.Errorf("%s: cannot wrap %s, which takes several inputs", where, l.Layer.ClassName())
	}
	if len(input) < 2 {
		return fmt.Errorf("%s: input shape %v has no time axis", where, input)
	}
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if l.Layer.LayerName() == "" {
		num := "1"
		if i := strings.LastIndexByte(l.Name, '_'); i >= 0 && i+1 < len(l.Name) {
			num = l.Name[i+1:]
		}
		l.Layer.SetLayerName(NamePrefix(l.Layer.ClassName()) + "_" + num)
	}
	inner := l.Layer.base()
	if l.shapeOnly {
		inner.shapeOnly = true
	}
	if err := Build(l.Layer, input[1:]); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if n := NumOutputs(l.Layer); n > 1 {
		return fmt.Errorf("%s: cannot wrap %s, which returns %d tensors (%s)", where, l.Layer.ClassName(), n, multiOutputWhy(l.Layer))
	}
	l.SetOutputShape(append([]int{input[0]}, l.Layer.OutputShape()...))
	for _, w := range inner.weights {
		if !strings.HasPrefix(w.Name, l.Name+"/") {
			w.Name = l.Name + "/" + w.Name
		}
	}
	l.weights = append(l.weights, inner.weights...)
	l.shapes = append(l.shapes, inner.shapes...)
	l.pending = append(l.pending, inner.pending...)
	inner.pending = nil
	return nil
}

// Call implements Layer.
func (l *TimeDistributed) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	var buf [8]int
	folded := append(buf[:0], s[0]*s[1])
	folded = append(folded, s[2:]...)
	y := l.Layer.Call(c, c.Tape.Reshape(x, folded...))
	var ob [8]int
	back := append(ob[:0], s[0], s[1])
	back = append(back, y.Value.Shape[1:]...)
	return c.Tape.Reshape(y, back...)
}
