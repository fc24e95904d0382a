package layers

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// InputChecker is implemented by layers that accept only some input
// values, such as Embedding's integer ids. Models call CheckInput on each
// batch given to a layer fed directly by one of their inputs, before
// running it, and return its error.
type InputChecker interface {
	Layer
	CheckInput(x *tensor.Tensor) error
}

// Embedding maps integer ids to rows of a trainable table, as Keras's
// Embedding: an input of shape (steps,) holding ids in [0, InputDim), as
// float32 values, gives (steps, OutputDim). The forward pass gathers rows;
// the backward pass adds each output row's gradient into its row of the
// table's gradient.
type Embedding struct {
	// InputDim is the vocabulary size: ids are in [0, InputDim) (required).
	InputDim int `json:"input_dim"`
	// OutputDim is the length of each row (required).
	OutputDim int `json:"output_dim"`
	// InputLength, when set, declares the input shape (InputLength,), as
	// Keras's input_length.
	InputLength int `json:"input_length,omitempty"`
	// MaskZero marks id 0 as padding (Keras's mask_zero): the layer then
	// gives the model a mask, (batch, steps), 1 where the id is not 0,
	// which the recurrent layers read (see MaskProducer).
	MaskZero bool `json:"mask_zero,omitempty"`
	// EmbeddingsInitializer defaults to RandomUniform(−0.05, 0.05).
	EmbeddingsInitializer initializers.Initializer `json:"-"`

	Base
	table *autograd.Var
}

// ClassName implements Layer.
func (*Embedding) ClassName() string { return "Embedding" }

// InputSpec implements Layer: InputShape, or (InputLength,) when set.
func (l *Embedding) InputSpec() []int {
	if l.InputShape == nil && l.InputLength > 0 {
		return []int{l.InputLength}
	}
	return l.Base.InputSpec()
}

// Build implements Layer.
func (l *Embedding) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if l.InputDim <= 0 || l.OutputDim <= 0 {
		return fmt.Errorf("layer %q (Embedding): input_dim and output_dim must be positive, got %d and %d", l.Name, l.InputDim, l.OutputDim)
	}
	if l.InputLength < 0 {
		return fmt.Errorf("layer %q (Embedding): input_length must be positive, got %d", l.Name, l.InputLength)
	}
	if l.InputLength > 0 && input[0] != l.InputLength {
		return fmt.Errorf("layer %q (Embedding): input_length is %d, but the input shape %s has %d steps",
			l.Name, l.InputLength, tensor.ShapeString(input), input[0])
	}
	l.SetOutputShape(append(append([]int(nil), input...), l.OutputDim))
	l.table = l.AddWeight("embeddings", []int{l.InputDim, l.OutputDim},
		orDefault(l.EmbeddingsInitializer, initializers.RandomUniform{Minval: -0.05, Maxval: 0.05}), true)
	return nil
}

// CheckInput implements InputChecker: every id must be an integer in
// [0, InputDim).
func (l *Embedding) CheckInput(x *tensor.Tensor) error {
	for i, v := range x.Data {
		if v >= 0 && v < float32(l.InputDim) && v == float32(math.Trunc(float64(v))) {
			continue
		}
		rs := max(x.RowSize(), 1)
		what := "not an integer"
		if !(v >= 0 && v < float32(l.InputDim)) {
			what = fmt.Sprintf("outside [0, %d)", l.InputDim)
		}
		return fmt.Errorf("layer %q (Embedding): id %v at row %d, column %d is %s", l.Name, v, i/rs, i%rs, what)
	}
	return nil
}

// Call implements Layer.
func (l *Embedding) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Gather(l.table, x.Value)
}

// SpatialDropout1D drops whole channels of sequences in training, the same
// channels at every step, as Keras's SpatialDropout1D: Dropout with noise
// shape (batch, 1, channels). At inference it is the identity.
type SpatialDropout1D struct {
	Rate float32 `json:"rate"`

	Base
}

// ClassName implements Layer.
func (*SpatialDropout1D) ClassName() string { return "SpatialDropout1D" }

// Build implements Layer.
func (l *SpatialDropout1D) Build(input []int) error {
	if err := sequences(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if !(l.Rate >= 0 && l.Rate < 1) {
		return fmt.Errorf("layer %q (SpatialDropout1D): rate must be in [0, 1), got %v", l.Name, l.Rate)
	}
	l.SetOutputShape(input)
	return nil
}

// Call implements Layer.
func (l *SpatialDropout1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	noise := [3]int{s[0], 1, s[2]}
	return c.Tape.DropoutNoise(x, l.Rate, noise[:], c.RNG, c.Training)
}
