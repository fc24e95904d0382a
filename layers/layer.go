// Package layers holds Keras's layers as config structs.
//
// A layer's exported fields are its Keras arguments, and their zero values
// mean Keras's defaults: &layers.Dense{Units: 32, Activation:
// activations.ReLU}. Every layer embeds Base, which holds the arguments all
// Keras layers share (name, input_shape, trainable) and the built state, so
// a layer states only its own config, its Build and its Call.
//
// Building happens once: Build creates a layer's weights for an input
// shape (their values are drawn later, from the model's seed, by
// Initialize), and building a built layer again with the same shape keeps
// its weights, while another shape is an error that names the layer.
package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// Layer is the interface every layer satisfies. A layer type implements
// ClassName, Build and Call, and embeds Base for the rest.
type Layer interface {
	// ClassName returns the Keras class name, such as "Dense".
	ClassName() string
	// LayerName returns the layer's name; models assign Keras's per-class
	// names (dense_1, dense_2, …) to layers that have none.
	LayerName() string
	// SetLayerName sets the layer's name.
	SetLayerName(name string)
	// InputSpec returns the input shape the layer declares (without the
	// batch dimension), or nil when it declares none.
	InputSpec() []int
	// Build creates the layer's weights (with AddWeight) for inputs of the
	// given shape (without the batch dimension) and sets its output shape
	// (with SetOutputShape). Models call it through the package function
	// Build, which builds a layer only once.
	Build(input []int) error
	// OutputShape returns the output shape (without the batch dimension)
	// of a built layer.
	OutputShape() []int
	// Weights returns a built layer's weights: trainable ones first, in
	// Keras's order.
	Weights() []*Weight
	// Call runs the layer forward on a batch.
	Call(c *CallContext, x *autograd.Var) *autograd.Var

	base() *Base
}

// MultiInput is implemented by layers that take several inputs, such as the
// merge layers and models with several inputs.
type MultiInput interface {
	Layer
	// BuildMulti is Build for one input shape per input.
	BuildMulti(inputs [][]int) error
	// CallMulti is Call for one batch per input.
	CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var
}

// MultiOutput is implemented by the layers that may return several
// tensors, as a list in Keras: SimpleRNN, LSTM and GRU with return_state
// ([output, h] or, for the LSTM, [output, h, c]) and Bidirectional with
// return_state or merge_mode none. Whether a built layer does is
// NumOutputs(l) > 1; Call then returns its first output only, and in a
// graph such a layer is applied with ApplyMulti.
type MultiOutput interface {
	Layer
	// CallOutputs runs the layer on a batch, with Keras's sequence mask
	// when mask is non-nil (see SequenceMasker), and writes its outputs
	// into dst, which has NumOutputs(l) elements.
	CallOutputs(c *CallContext, x *autograd.Var, mask *tensor.Tensor, dst []*autograd.Var)
}

// OutputShapes returns the shapes of a built layer's outputs (without the
// batch dimension), one per output: OutputShape alone for a layer with one.
func OutputShapes(l Layer) [][]int {
	if o := l.base().outputs; len(o) > 1 {
		return o
	}
	return [][]int{l.OutputShape()}
}

// Built reports whether l has been built.
func Built(l Layer) bool { return l.base().built }

// NumOutputs returns the number of tensors a built layer returns.
func NumOutputs(l Layer) int {
	if o := l.base().outputs; len(o) > 1 {
		return len(o)
	}
	return 1
}

// Weight is one named weight tensor of a layer.
type Weight struct {
	// Name is the layer's name and the weight's, as "dense_1/kernel".
	Name string
	Var  *autograd.Var
	// Trainable is false for weights that no gradient updates (the moving
	// statistics of BatchNormalization). Whether a trainable weight trains
	// in a model also depends on its layer's and enclosing models'
	// Trainable setting when the model is compiled.
	Trainable bool
}

// CallContext is what a layer's Call needs besides its input.
type CallContext struct {
	Tape *autograd.Tape
	// Training selects training behaviour (batch statistics, dropout).
	Training bool
	// RNG draws dropout masks.
	RNG *tensor.RNG
	// Locals holds state that a layer keeps for this context only, keyed
	// by the layer: a nested model keeps its value slots here, so that
	// calls with separate contexts may run at the same time.
	Locals map[any]any
}

// Base is embedded by every layer. Its exported fields are the arguments
// every Keras layer takes; the rest is the state a layer gains when built
// and the graph nodes it takes part in.
type Base struct {
	// Name is the layer's name; empty means Keras's automatic per-class
	// name, given by the model (or by Apply).
	Name string `json:"name,omitempty"`
	// InputShape declares the input shape without the batch dimension
	// (Keras's input_shape), for a model's first layer.
	InputShape []int `json:"input_shape,omitempty"`
	// Frozen excludes the layer's weights from training in models compiled
	// while it is set (Keras's trainable=False). Use SetTrainable.
	Frozen bool `json:"frozen,omitempty"`

	built   bool
	input   [][]int
	output  []int
	outputs [][]int // every output's shape, for a layer with several
	weights []*Weight
	shapes  [][]int // each weight's shape, also for a shape-only layer
	pending []pendingInit
	nodes   []*Node // the nodes where this layer was applied, in order
	// shapeOnly layers record their weights' shapes without storage, so
	// that an untrusted config's sizes can be checked before anything is
	// allocated; sizeErr is the first weight whose size is out of range.
	shapeOnly bool
	sizeErr   error
}

// MaxElements bounds the number of values of one weight, and of one
// sample of a layer's output: a config that asks for more (a Dense with
// 10⁹ units) is refused when the layer is built, before any allocation.
// It is 2³¹ − 1, the most a Go slice of float32 indexes safely on every
// platform and far beyond any model of the book.
const MaxElements = 1<<31 - 1

// SetShapeOnly makes l, before it is built, record its weights' shapes
// (WeightShapes) without allocating them. Models use it to check an
// untrusted config against the weights a file actually holds before
// building the model for real; a shape-only layer cannot run.
func SetShapeOnly(l Layer) { l.base().shapeOnly = true }

// WeightShapes returns the shapes of a built layer's weights, in Weights
// order (also for a shape-only layer).
func WeightShapes(l Layer) [][]int { return l.base().shapes }

// elements returns the number of values of shape, or an error when a
// dimension is not positive or the count exceeds MaxElements.
func elements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d <= 0 {
			return 0, fmt.Errorf("shape %s has a non-positive dimension", tensor.ShapeString(shape))
		}
		if n > MaxElements/d {
			return 0, fmt.Errorf("shape %s has more than %d values", tensor.ShapeString(shape), MaxElements)
		}
		n *= d
	}
	return n, nil
}

type pendingInit struct {
	t    *tensor.Tensor
	init initializers.Initializer
}

func (b *Base) base() *Base { return b }

// LayerName returns the layer's name.
func (b *Base) LayerName() string { return b.Name }

// SetLayerName sets the layer's name.
func (b *Base) SetLayerName(name string) { b.Name = name }

// InputSpec returns the declared input shape (InputShape), or nil.
func (b *Base) InputSpec() []int {
	if b.InputShape == nil {
		return nil
	}
	return append([]int(nil), b.InputShape...)
}

// Trainable reports whether the layer's weights train (Keras's trainable).
func (b *Base) Trainable() bool { return !b.Frozen }

// SetTrainable sets Keras's trainable flag. As in Keras, it takes effect
// for a model when the model is next compiled.
func (b *Base) SetTrainable(on bool) { b.Frozen = !on }

// Built reports whether the layer has been built.
func (b *Base) Built() bool { return b.built }

// OutputShape returns the output shape without the batch dimension.
func (b *Base) OutputShape() []int { return b.output }

// Weights returns the layer's weights.
func (b *Base) Weights() []*Weight { return b.weights }

// SetOutputShape records a building layer's output shape (without the
// batch dimension).
func (b *Base) SetOutputShape(shape []int) { b.output = append([]int(nil), shape...) }

// SetOutputShapes records the output shapes of a building layer that
// returns several tensors (see MultiOutput); the first is OutputShape.
func (b *Base) SetOutputShapes(shapes ...[]int) {
	b.SetOutputShape(shapes[0])
	b.outputs = nil
	if len(shapes) > 1 {
		b.outputs = make([][]int, len(shapes))
		for i, s := range shapes {
			b.outputs[i] = append([]int(nil), s...)
		}
	}
}

// AddWeight creates a weight of the building layer, named
// "layername/name", with the given shape. Its values are drawn from init
// when the layer is initialized (see Initialize), from the model's seed.
func (b *Base) AddWeight(name string, shape []int, init initializers.Initializer, trainable bool) *autograd.Var {
	b.shapes = append(b.shapes, append([]int(nil), shape...))
	var t *tensor.Tensor
	if _, err := elements(shape); err != nil {
		if b.sizeErr == nil {
			b.sizeErr = fmt.Errorf("weight %q: %w", name, err)
		}
		t = tensor.New(0)
	} else if b.shapeOnly {
		t = tensor.New(0)
	} else {
		t = tensor.New(shape...)
	}
	var v *autograd.Var
	if trainable {
		v = autograd.NewParam(t)
	} else {
		v = autograd.NewConst(t)
	}
	b.weights = append(b.weights, &Weight{Name: b.Name + "/" + name, Var: v, Trainable: trainable})
	b.pending = append(b.pending, pendingInit{t, init})
	return v
}

// Nodes returns the graph nodes at which the layer was applied, in order.
func (b *Base) Nodes() []*Node { return b.nodes }

// Build builds l for inputs of the given shape unless it is built: a built
// layer keeps its weights when the shape is the same and gets an error
// naming it when the shape differs. Weights are created but not drawn;
// Initialize draws them.
func Build(l Layer, input []int) error {
	return build(l, [][]int{input}, func() error { return l.Build(input) })
}

// BuildMulti is Build for a layer with several inputs.
func BuildMulti(l MultiInput, inputs [][]int) error {
	return build(l, inputs, func() error { return l.BuildMulti(inputs) })
}

func build(l Layer, inputs [][]int, do func() error) error {
	b := l.base()
	if b.built {
		if !sameShapes(b.input, inputs) {
			return fmt.Errorf("layer %q (%s) was built for input shape %s and cannot take %s",
				b.Name, l.ClassName(), shapesString(b.input), shapesString(inputs))
		}
		return nil
	}
	b.weights, b.pending, b.output, b.outputs, b.shapes, b.sizeErr = nil, nil, nil, nil, nil, nil
	err := do()
	if err == nil {
		err = b.sizeErr
		if err == nil && b.output != nil {
			if _, e := elements(b.output); e != nil {
				err = fmt.Errorf("output: %w", e)
			}
		}
		for _, o := range b.outputs {
			if _, e := elements(o); err == nil && e != nil {
				err = fmt.Errorf("output: %w", e)
			}
		}
		if err != nil {
			err = fmt.Errorf("layer %q (%s): %w", b.Name, l.ClassName(), err)
		}
	}
	if err != nil {
		b.weights, b.pending, b.output, b.outputs, b.shapes = nil, nil, nil, nil, nil
		return err
	}
	b.built = true
	b.input = make([][]int, len(inputs))
	for i, s := range inputs {
		b.input[i] = append([]int(nil), s...)
	}
	return nil
}

// Initialize draws the values of the weights of l that have not been drawn
// yet, from rng, in the order they were created. Already drawn weights are
// kept: a layer shared between models is initialized once.
func Initialize(l Layer, rng *tensor.RNG) {
	b := l.base()
	for _, p := range b.pending {
		p.init.Init(p.t, rng)
	}
	b.pending = nil
}

// Initialized reports whether every weight of l has been drawn.
func Initialized(l Layer) bool { return len(l.base().pending) == 0 }

// GetWeights returns copies of the values of l's weights, in Weights order,
// as Keras's get_weights.
func GetWeights(l Layer) []*tensor.Tensor {
	ws := l.Weights()
	out := make([]*tensor.Tensor, len(ws))
	for i, w := range ws {
		out[i] = w.Var.Value.Clone()
	}
	return out
}

// SetWeights copies values into l's weights, in Weights order, as Keras's
// set_weights; the count and every shape must match.
func SetWeights(l Layer, values []*tensor.Tensor) error {
	ws := l.Weights()
	if len(values) != len(ws) {
		return fmt.Errorf("layer %q: set weights: got %d arrays, the layer has %d weights", l.LayerName(), len(values), len(ws))
	}
	for i, w := range ws {
		if !tensor.SameShape(values[i], w.Var.Value) {
			return fmt.Errorf("layer %q: set weights: weight %q has shape %s, got %s", l.LayerName(), w.Name,
				tensor.ShapeString(w.Var.Value.Shape), tensor.ShapeString(values[i].Shape))
		}
	}
	for i, w := range ws {
		w.Var.Value.CopyFrom(values[i])
	}
	l.base().pending = nil
	return nil
}

func sameShapes(a, b [][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !tensor.EqualShape(a[i], b[i]) {
			return false
		}
	}
	return true
}

func shapesString(s [][]int) string {
	if len(s) == 1 {
		return tensor.ShapeString(s[0])
	}
	out := "["
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += tensor.ShapeString(x)
	}
	return out + "]"
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
// dimension), as keras.layers.InputLayer does. It has no weights. NewInput
// returns the symbolic tensor of a new Input, for functional models.
type Input struct {
	Shape []int `json:"shape"`

	Base
}

// ClassName implements Layer.
func (*Input) ClassName() string { return "InputLayer" }

// InputSpec implements Layer.
func (l *Input) InputSpec() []int { return declaredInput(l.Shape, 0) }

// Build implements Layer.
func (l *Input) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.SetOutputShape(input)
	return nil
}

// Call implements Layer.
func (l *Input) Call(_ *CallContext, x *autograd.Var) *autograd.Var { return x }
