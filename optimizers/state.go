package optimizers

import (
	"encoding/json"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/registry"
	"github.com/neurona/neurona/tensor"
)

// Stateful is implemented by optimizers whose state can be saved and
// restored, so that training resumes exactly where it stopped.
type Stateful interface {
	Optimizer
	// SlotNames names the per-variable state tensors ("m", "v", …).
	SlotNames() []string
	// Slots returns the slot tensors of one bound variable, in SlotNames
	// order, live: writing into them changes the optimizer's state. It
	// returns nil for a variable that was never bound, or when there are
	// no slots.
	Slots(v *autograd.Var) []*tensor.Tensor
	// SetIterations sets the number of updates applied so far.
	SetIterations(n int)
}

// SlotNames implements Stateful: "velocity" with momentum, none without.
func (o *SGD) SlotNames() []string {
	if o.Momentum == 0 {
		return nil
	}
	return []string{"velocity"}
}

// Slots implements Stateful.
func (o *SGD) Slots(v *autograd.Var) []*tensor.Tensor {
	return o.st.slotsOf(v, len(o.SlotNames()))
}

// SetIterations implements Stateful.
func (o *SGD) SetIterations(n int) { o.st.iter = n }

// SlotNames implements Stateful.
func (*Adam) SlotNames() []string { return []string{"m", "v"} }

// Slots implements Stateful.
func (o *Adam) Slots(v *autograd.Var) []*tensor.Tensor { return o.st.slotsOf(v, 2) }

// SetIterations implements Stateful.
func (o *Adam) SetIterations(n int) { o.st.iter = n }

// SlotNames implements Stateful.
func (*RMSprop) SlotNames() []string { return []string{"rms"} }

// Slots implements Stateful.
func (o *RMSprop) Slots(v *autograd.Var) []*tensor.Tensor { return o.st.slotsOf(v, 1) }

// SetIterations implements Stateful.
func (o *RMSprop) SetIterations(n int) { o.st.iter = n }

// classes maps class names and Keras's strings ("adam") to optimizers.
var classes = func() *registry.Registry[Optimizer] {
	r := registry.New[Optimizer]("optimizer").FoldCase()
	r.Register("SGD", func() Optimizer { return &SGD{} })
	r.Register("Adam", func() Optimizer { return &Adam{} })
	r.Register("RMSprop", func() Optimizer { return &RMSprop{} })
	r.Alias("sgd", "SGD")
	r.Alias("adam", "Adam")
	r.Alias("rmsprop", "RMSprop")
	r.KeyAlias("lr", "learning_rate")
	r.SetCheck(Validate)
	return r
}()

// Names returns the optimizer names Get accepts, sorted.
func Names() []string { return classes.Names() }

// Get returns a new optimizer by class name ("Adam") or Keras string
// ("adam"), in any case, configured from config (JSON, may be empty):
// {"learning_rate": 0.01, "momentum": 0.9}. Keras 2's "lr" is accepted for
// "learning_rate". The config is taken literally (missing keys mean
// Keras's defaults, present keys their value, 0 included) and validated:
// unknown names or fields and values out of range are errors that say
// what is valid.
func Get(name string, config json.RawMessage) (Optimizer, error) {
	return classes.New(name, config)
}
