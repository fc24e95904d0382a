package optimizers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// Stateful is implemented by optimizers whose state can be saved and
// restored, so that training resumes exactly where it stopped.
type Stateful interface {
	Optimizer
	// SlotNames names the per-parameter state tensors ("m", "v", …).
	SlotNames() []string
	// Slots returns the state tensors for params, creating zero ones if
	// needed: Slots(params)[s][i] is slot s of parameter i.
	Slots(params []*autograd.Var) [][]*tensor.Tensor
	// SetIterations sets the number of updates applied so far.
	SetIterations(n int)
}

// SlotNames implements Stateful.
func (o *SGD) SlotNames() []string {
	if o.Momentum == 0 {
		return nil
	}
	return []string{"velocity"}
}

// Slots implements Stateful.
func (o *SGD) Slots(params []*autograd.Var) [][]*tensor.Tensor {
	if o.Momentum == 0 {
		return nil
	}
	return [][]*tensor.Tensor{slots(&o.velocity, params)}
}

// SetIterations implements Stateful.
func (o *SGD) SetIterations(n int) { o.iter = n }

// SlotNames implements Stateful.
func (*Adam) SlotNames() []string { return []string{"m", "v"} }

// Slots implements Stateful.
func (o *Adam) Slots(params []*autograd.Var) [][]*tensor.Tensor {
	return [][]*tensor.Tensor{slots(&o.m, params), slots(&o.v, params)}
}

// SetIterations implements Stateful.
func (o *Adam) SetIterations(n int) { o.iter = n }

// SlotNames implements Stateful.
func (*RMSprop) SlotNames() []string { return []string{"rms"} }

// Slots implements Stateful.
func (o *RMSprop) Slots(params []*autograd.Var) [][]*tensor.Tensor {
	return [][]*tensor.Tensor{slots(&o.acc, params)}
}

// SetIterations implements Stateful.
func (o *RMSprop) SetIterations(n int) { o.iter = n }

var classes = map[string]func() Optimizer{
	"SGD":     func() Optimizer { return &SGD{} },
	"Adam":    func() Optimizer { return &Adam{} },
	"RMSprop": func() Optimizer { return &RMSprop{} },
}

// Names returns the optimizer names Get accepts, sorted.
func Names() []string {
	var names []string
	for n := range classes {
		names = append(names, n, strings.ToLower(n))
	}
	sort.Strings(names)
	return names
}

// Get returns a new optimizer by class name ("Adam") or Keras string
// ("adam"), configured from config (JSON, may be empty):
// {"learning_rate": 0.01, "momentum": 0.9}.
func Get(name string, config json.RawMessage) (Optimizer, error) {
	var newOpt func() Optimizer
	for c, f := range classes {
		if strings.EqualFold(c, strings.TrimSpace(name)) {
			newOpt = f
		}
	}
	if newOpt == nil {
		return nil, fmt.Errorf("unknown optimizer %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	o := newOpt()
	if c := bytes.TrimSpace(config); len(c) > 0 && string(c) != "null" {
		dec := json.NewDecoder(bytes.NewReader(c))
		dec.DisallowUnknownFields()
		if err := dec.Decode(o); err != nil {
			return nil, fmt.Errorf("optimizer %s: %w (valid: %s)", o.Name(), err, strings.Join(fieldNames(o), ", "))
		}
	}
	return o, nil
}

func fieldNames(o Optimizer) []string {
	t := reflect.TypeOf(o).Elem()
	var names []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}
