package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// pool1D is the configuration and build that MaxPooling1D and
// AveragePooling1D share. They run on the 2-D pooling kernels, the
// sequence as a one-row image.
type pool1D struct {
	pool, strides [2]int
	pad           autograd.Padding
	out           int
}

func (p *pool1D) build(b *Base, class, name string, poolSize, strides int, padding Padding, input []int) error {
	if err := sequences(class, name, input); err != nil {
		return err
	}
	if poolSize < 0 || strides < 0 {
		return fmt.Errorf("layer %q (%s): pool size and strides must be positive, got %d and %d", name, class, poolSize, strides)
	}
	if poolSize == 0 {
		poolSize = 2
	}
	if strides == 0 {
		strides = poolSize
	}
	pad, err := padding.kind()
	if err != nil {
		return fmt.Errorf("layer %q (%s): %w", name, class, err)
	}
	out := autograd.ConvOutputLength(input[0], poolSize, strides, pad)
	if out < 1 {
		return fmt.Errorf("layer %q (%s): pool size %d is larger than the input %s with valid padding",
			name, class, poolSize, tensor.ShapeString(input))
	}
	b.SetOutputShape([]int{out, input[1]})
	p.pool, p.strides, p.pad, p.out = [2]int{1, poolSize}, [2]int{1, strides}, pad, out
	return nil
}

// asImages views sequences (n, steps, c) as one-row images (n, 1, steps, c).
func asImages(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	s := x.Value.Shape
	return tp.Reshape(x, s[0], 1, s[1], s[2])
}

// MaxPooling1D takes the maximum of each window of sequences, channel by
// channel, as Keras's MaxPooling1D: (steps, c) gives (osteps, c) with
// osteps = ⌊(steps − PoolSize)/Strides⌋ + 1 for valid padding and
// ⌈steps/Strides⌉ for same padding.
type MaxPooling1D struct {
	// PoolSize is the window's length; 0 means 2.
	PoolSize int `json:"pool_size,omitempty"`
	// Strides is the step between windows; 0 means PoolSize.
	Strides int `json:"strides,omitempty"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`

	Base
	p pool1D
}

// ClassName implements Layer.
func (*MaxPooling1D) ClassName() string { return "MaxPooling1D" }

// Build implements Layer.
func (l *MaxPooling1D) Build(input []int) error {
	return l.p.build(&l.Base, l.ClassName(), l.Name, l.PoolSize, l.Strides, l.Padding, input)
}

// Call implements Layer.
func (l *MaxPooling1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	y := c.Tape.MaxPool2D(asImages(c.Tape, x), l.p.pool, l.p.strides, l.p.pad)
	return c.Tape.Reshape(y, x.Value.Shape[0], l.p.out, x.Value.Shape[2])
}

// AveragePooling1D takes the mean of each window of sequences, channel by
// channel, as Keras's AveragePooling1D; with same padding the mean is over
// the steps inside the sequence. Shapes are as MaxPooling1D's.
type AveragePooling1D struct {
	// PoolSize is the window's length; 0 means 2.
	PoolSize int `json:"pool_size,omitempty"`
	// Strides is the step between windows; 0 means PoolSize.
	Strides int `json:"strides,omitempty"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`

	Base
	p pool1D
}

// ClassName implements Layer.
func (*AveragePooling1D) ClassName() string { return "AveragePooling1D" }

// Build implements Layer.
func (l *AveragePooling1D) Build(input []int) error {
	return l.p.build(&l.Base, l.ClassName(), l.Name, l.PoolSize, l.Strides, l.Padding, input)
}

// Call implements Layer.
func (l *AveragePooling1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	y := c.Tape.AvgPool2D(asImages(c.Tape, x), l.p.pool, l.p.strides, l.p.pad)
	return c.Tape.Reshape(y, x.Value.Shape[0], l.p.out, x.Value.Shape[2])
}

// GlobalMaxPooling1D takes the maximum of each channel of sequences over
// all steps, as Keras's GlobalMaxPooling1D: (steps, c) gives (c).
type GlobalMaxPooling1D struct {
	Base
}

// ClassName implements Layer.
func (*GlobalMaxPooling1D) ClassName() string { return "GlobalMaxPooling1D" }

// Build implements Layer.
func (l *GlobalMaxPooling1D) Build(input []int) error {
	if err := sequences(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.SetOutputShape([]int{input[1]})
	return nil
}

// Call implements Layer.
func (l *GlobalMaxPooling1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.GlobalMaxPool2D(asImages(c.Tape, x))
}

// GlobalAveragePooling1D averages each channel of sequences over all
// steps, as Keras's GlobalAveragePooling1D: (steps, c) gives (c).
type GlobalAveragePooling1D struct {
	Base
}

// ClassName implements Layer.
func (*GlobalAveragePooling1D) ClassName() string { return "GlobalAveragePooling1D" }

// Build implements Layer.
func (l *GlobalAveragePooling1D) Build(input []int) error {
	if err := sequences(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.SetOutputShape([]int{input[1]})
	return nil
}

// Call implements Layer.
func (l *GlobalAveragePooling1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.GlobalAvgPool2D(asImages(c.Tape, x))
}

// CallMasked implements SequenceMasker, as Keras 2.2.3's
// GlobalAveragePooling1D (supports_masking; the sum of inputs*mask over
// the steps divided by the mask's sum): each channel's mean over the
// unmasked steps. A row whose steps are all masked gives 0 here, where
// Keras divides 0 by 0 (NaN). A nil mask is Call.
func (l *GlobalAveragePooling1D) CallMasked(c *CallContext, x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	if mask == nil {
		return l.Call(c, x)
	}
	b, steps, ch := x.Value.Dim(0), x.Value.Dim(1), x.Value.Dim(2)
	w := c.Tape.Scratch(b, steps, 1)
	for i := range b {
		m := mask.Data[i*steps : (i+1)*steps]
		var n float32
		for _, v := range m {
			n += v
		}
		row := w.Data[i*steps : (i+1)*steps]
		for j, v := range m {
			if n > 0 {
				row[j] = v / n
			} else {
				row[j] = 0
			}
		}
	}
	// (b, steps, 1)·(b, steps, ch) over the steps: (b, 1, ch).
	y := c.Tape.BatchDot(c.Tape.Const(w), x, [2]int{1, 1}, false)
	return c.Tape.Reshape(y, b, ch)
}
