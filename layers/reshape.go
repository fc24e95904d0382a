package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// maxReshapeDims bounds the dimensions of a reshaped batch so that Call can
// build the shape on the stack.
const maxReshapeDims = 8

// Flatten flattens each sample to one dimension, as Keras's Flatten: an
// input of shape (h, w, c) gives (h·w·c). The output shares the input's
// storage.
type Flatten struct {
	Base
}

// ClassName implements Layer.
func (*Flatten) ClassName() string { return "Flatten" }

// Build implements Layer.
func (l *Flatten) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	n := 1
	for _, d := range input {
		n *= d
	}
	l.SetOutputShape([]int{n})
	return nil
}

// Call implements Layer.
func (l *Flatten) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Reshape(x, x.Value.Shape[0], l.OutputShape()[0])
}

// Reshape gives each sample a new shape with the same number of values, as
// Keras's Reshape. One dimension of TargetShape may be −1: it is inferred.
// The output shares the input's storage.
type Reshape struct {
	// TargetShape is the new shape of a sample, without the batch
	// dimension (required).
	TargetShape []int `json:"target_shape"`

	Base
}

// ClassName implements Layer.
func (*Reshape) ClassName() string { return "Reshape" }

// Build implements Layer.
func (l *Reshape) Build(input []int) error {
	if err := checkShape(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	target := l.TargetShape
	if len(target) == 0 || len(target) >= maxReshapeDims {
		return fmt.Errorf("layer %q (Reshape): target shape must have 1 to %d dimensions, got %d",
			l.Name, maxReshapeDims-1, len(target))
	}
	size := 1
	for _, d := range input {
		size *= d
	}
	out := append([]int(nil), target...)
	infer, known := -1, 1
	for i, d := range target {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d == -1:
			return fmt.Errorf("layer %q (Reshape): target shape %s has more than one -1", l.Name, tensor.ShapeString(target))
		case d <= 0:
			return fmt.Errorf("layer %q (Reshape): target shape %s has a non-positive dimension", l.Name, tensor.ShapeString(target))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if size%known != 0 {
			return fmt.Errorf("layer %q (Reshape): cannot reshape input %s (%d values) into %s: %d is not a multiple of %d",
				l.Name, tensor.ShapeString(input), size, tensor.ShapeString(target), size, known)
		}
		out[infer] = size / known
	} else if known != size {
		return fmt.Errorf("layer %q (Reshape): cannot reshape input %s (%d values) into %s (%d values)",
			l.Name, tensor.ShapeString(input), size, tensor.ShapeString(target), known)
	}
	l.SetOutputShape(out)
	return nil
}

// Call implements Layer.
func (l *Reshape) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	var buf [maxReshapeDims]int
	shape := append(append(buf[:0], x.Value.Shape[0]), l.OutputShape()...)
	return c.Tape.Reshape(x, shape...)
}
