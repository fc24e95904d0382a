// Package layers holds Keras's layers as config structs.
//
// A layer's exported fields are its Keras arguments, and their zero values
// mean Keras's defaults: &layers.Dense{Units: 32, Activation:
// activations.ReLU}. A model builds each layer from the shape of its input
// (Keras's build), which creates the weights, then calls it on the tape
// (Keras's call).
package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// Layer is the interface every layer satisfies.
type Layer interface {
	// ClassName returns the Keras class name, such as "Dense".
	ClassName() string
	// LayerName returns the layer's name; the model assigns Keras's
	// per-type names (dense_1, dense_2, …) to layers that have none.
	LayerName() string
	// SetLayerName sets the layer's name.
	SetLayerName(name string)
	// InputSpec returns the input shape the layer declares (without the
	// batch dimension), or nil when it declares none.
	InputSpec() []int
	// Build creates the layer's weights for inputs of the given shape
	// (without the batch dimension), drawing initial values from rng.
	Build(input []int, rng *tensor.RNG) error
	// OutputShape returns the output shape (without the batch dimension)
	// of a built layer.
	OutputShape() []int
	// Weights returns a built layer's weights: trainable ones first, in
	// Keras's order.
	Weights() []*Weight
	// Call runs the layer forward on a batch.
	Call(c *CallContext, x *autograd.Var) *autograd.Var
}

// Weight is one named weight tensor of a layer.
type Weight struct {
	// Name is the layer's name and the weight's, as "dense_1/kernel".
	Name      string
	Var       *autograd.Var
	Trainable bool
}

// CallContext is what a layer's Call needs besides its input.
type CallContext struct {
	Tape *autograd.Tape
	// Training selects training behaviour (batch statistics, dropout).
	Training bool
	// RNG draws dropout masks.
	RNG *tensor.RNG
}

// built is the state every layer gains when it is built.
type built struct {
	isBuilt bool
	output  []int
	weights []*Weight
}

// OutputShape returns the output shape without the batch dimension.
func (b *built) OutputShape() []int { return b.output }

// Weights returns the layer's weights.
func (b *built) Weights() []*Weight { return b.weights }

func (b *built) addWeight(layer, name string, shape []int, init initializers.Initializer, trainable bool, rng *tensor.RNG) *autograd.Var {
	t := tensor.New(shape...)
	init.Init(t, rng)
	var v *autograd.Var
	if trainable {
		v = autograd.NewParam(t)
	} else {
		v = autograd.NewConst(t)
	}
	b.weights = append(b.weights, &Weight{Name: layer + "/" + name, Var: v, Trainable: trainable})
	return v
}

func (b *built) reset(output []int) {
	b.isBuilt = true
	b.output = append([]int(nil), output...)
	b.weights = nil
}

// declaredInput returns a layer's input shape from Keras's input_shape or
// input_dim arguments.
func declaredInput(shape []int, dim int) []int {
	if shape != nil {
		return append([]int(nil), shape...)
	}
	if dim > 0 {
		return []int{dim}
	}
	return nil
}

func checkShape(class, name string, input []int) error {
	if len(input) == 0 {
		return fmt.Errorf("layer %q (%s): input shape %s has no feature dimension", name, class, tensor.ShapeString(input))
	}
	for _, d := range input {
		if d <= 0 {
			return fmt.Errorf("layer %q (%s): input shape %s has a non-positive dimension", name, class, tensor.ShapeString(input))
		}
	}
	return nil
}

func orDefault(init, def initializers.Initializer) initializers.Initializer {
	if init == nil {
		return def
	}
	return init
}

// Input declares the shape of a model's inputs (without the batch
// dimension), as keras.Input does. It has no weights and no output of its
// own in a summary.
type Input struct {
	Shape []int  `json:"shape"`
	Name  string `json:"name,omitempty"`
	built
}

// ClassName implements Layer.
func (*Input) ClassName() string { return "InputLayer" }

// LayerName implements Layer.
func (l *Input) LayerName() string { return l.Name }

// SetLayerName implements Layer.
func (l *Input) SetLayerName(name string) { l.Name = name }

// InputSpec implements Layer.
func (l *Input) InputSpec() []int { return declaredInput(l.Shape, 0) }

// Build implements Layer.
func (l *Input) Build(input []int, _ *tensor.RNG) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.reset(input)
	return nil
}

// Call implements Layer.
func (l *Input) Call(_ *CallContext, x *autograd.Var) *autograd.Var { return x }
