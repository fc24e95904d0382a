package layers

import (
	"fmt"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
)

// Dense is a fully connected layer: output = activation(input·kernel + bias).
// It applies to the last dimension of its input.
type Dense struct {
	// Units is the number of outputs (required).
	Units int `json:"units"`
	// Activation defaults to linear.
	Activation activations.Name `json:"activation,omitempty"`
	// NoBias drops the bias (Keras's use_bias=False).
	NoBias bool `json:"no_bias,omitempty"`
	// KernelInitializer defaults to GlorotUniform, BiasInitializer to Zeros.
	// They are not part of the saved configuration: a saved model carries
	// its weights.
	KernelInitializer initializers.Initializer `json:"-"`
	BiasInitializer   initializers.Initializer `json:"-"`

	InputDim int `json:"input_dim,omitempty"`

	Base
	kernel, bias *autograd.Var
	act          autograd.Activation
}

// ClassName implements Layer.
func (*Dense) ClassName() string { return "Dense" }

// InputSpec implements Layer.
func (l *Dense) InputSpec() []int { return declaredInput(l.InputShape, l.InputDim) }

// Build implements Layer.
func (l *Dense) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if l.Units <= 0 {
		return fmt.Errorf("layer %q (Dense): units must be positive, got %d", l.Name, l.Units)
	}
	act, err := l.Activation.Kind()
	if err != nil {
		return fmt.Errorf("layer %q (Dense): %w", l.Name, err)
	}
	out := append([]int(nil), input...)
	out[len(out)-1] = l.Units
	l.SetOutputShape(out)
	l.act = act
	l.kernel = l.AddWeight("kernel", []int{input[len(input)-1], l.Units},
		orDefault(l.KernelInitializer, initializers.GlorotUniform{}), true)
	l.bias = nil
	if !l.NoBias {
		l.bias = l.AddWeight("bias", []int{l.Units}, orDefault(l.BiasInitializer, initializers.Zeros{}), true)
	}
	return nil
}

// Call implements Layer.
func (l *Dense) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Dense(x, l.kernel, l.bias, l.act)
}

// Activation applies an activation function.
type Activation struct {
	Activation activations.Name `json:"activation"`

	Base
	act autograd.Activation
}

// ClassName implements Layer.
func (*Activation) ClassName() string { return "Activation" }

// Build implements Layer.
func (l *Activation) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	act, err := l.Activation.Kind()
	if err != nil {
		return fmt.Errorf("layer %q (Activation): %w", l.Name, err)
	}
	l.SetOutputShape(input)
	l.act = act
	return nil
}

// Call implements Layer.
func (l *Activation) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	if l.act == autograd.Linear {
		return x
	}
	return c.Tape.Activate(x, l.act)
}

// Dropout sets a fraction Rate of its inputs to 0 in training and scales the
// rest by 1/(1−Rate) (inverted dropout). At inference it is the identity.
type Dropout struct {
	Rate float32 `json:"rate"`

	Base
}

// ClassName implements Layer.
func (*Dropout) ClassName() string { return "Dropout" }

// Build implements Layer.
func (l *Dropout) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if !(l.Rate >= 0 && l.Rate < 1) {
		return fmt.Errorf("layer %q (Dropout): rate must be in [0, 1), got %v", l.Name, l.Rate)
	}
	l.SetOutputShape(input)
	return nil
}

// Call implements Layer.
func (l *Dropout) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Dropout(x, l.Rate, c.RNG, c.Training)
}

// LogitsLayer is implemented by layers that end in an activation, so that a
// model can hand their pre-activation output to a loss that applies the
// activation itself (a fused softmax + cross-entropy).
type LogitsLayer interface {
	Layer
	// FinalActivation returns the activation of a built layer.
	FinalActivation() autograd.Activation
	// CallLogits runs the layer without its final activation.
	CallLogits(c *CallContext, x *autograd.Var) *autograd.Var
}

// FinalActivation implements LogitsLayer.
func (l *Dense) FinalActivation() autograd.Activation { return l.act }

// CallLogits implements LogitsLayer.
func (l *Dense) CallLogits(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Dense(x, l.kernel, l.bias, autograd.Linear)
}

// FinalActivation implements LogitsLayer.
func (l *Activation) FinalActivation() autograd.Activation { return l.act }

// CallLogits implements LogitsLayer.
func (l *Activation) CallLogits(_ *CallContext, x *autograd.Var) *autograd.Var { return x }
