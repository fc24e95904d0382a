package layers

import (
	"fmt"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// pool2D is the configuration and build that MaxPooling2D and
// AveragePooling2D share.
type pool2D struct {
	pool, strides [2]int
	pad           autograd.Padding
}

func (p *pool2D) build(b *Base, class, name string, poolSize, strides [2]int, padding Padding, input []int) error {
	if err := images(class, name, input); err != nil {
		return err
	}
	pool, err := pair(class, name, "pool size", poolSize, [2]int{2, 2})
	if err != nil {
		return err
	}
	if strides, err = pair(class, name, "strides", strides, pool); err != nil {
		return err
	}
	pad, err := padding.kind()
	if err != nil {
		return fmt.Errorf("layer %q (%s): %w", name, class, err)
	}
	oh := autograd.ConvOutputLength(input[0], pool[0], strides[0], pad)
	ow := autograd.ConvOutputLength(input[1], pool[1], strides[1], pad)
	if oh < 1 || ow < 1 {
		return fmt.Errorf("layer %q (%s): pool size %v is larger than the input %s with valid padding",
			name, class, pool, tensor.ShapeString(input))
	}
	b.SetOutputShape([]int{oh, ow, input[2]})
	p.pool, p.strides, p.pad = pool, strides, pad
	return nil
}

// MaxPooling2D takes the maximum of each window of channels-last images,
// channel by channel, as Keras's MaxPooling2D. An input of shape (h, w, c)
// gives (oh, ow, c), with the output size of a Conv2D of the same window.
type MaxPooling2D struct {
	// PoolSize is the window's (height, width); zeros mean 2.
	PoolSize [2]int `json:"pool_size"`
	// Strides is the step between windows; zeros mean PoolSize.
	Strides [2]int `json:"strides"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`

	Base
	p pool2D
}

// ClassName implements Layer.
func (*MaxPooling2D) ClassName() string { return "MaxPooling2D" }

// Build implements Layer.
func (l *MaxPooling2D) Build(input []int) error {
	return l.p.build(&l.Base, l.ClassName(), l.Name, l.PoolSize, l.Strides, l.Padding, input)
}

// Call implements Layer.
func (l *MaxPooling2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.MaxPool2D(x, l.p.pool, l.p.strides, l.p.pad)
}

// AveragePooling2D takes the mean of each window of channels-last images,
// channel by channel, as Keras's AveragePooling2D; with same padding the
// mean is over the positions inside the image. Shapes are as
// MaxPooling2D's.
type AveragePooling2D struct {
	// PoolSize is the window's (height, width); zeros mean 2.
	PoolSize [2]int `json:"pool_size"`
	// Strides is the step between windows; zeros mean PoolSize.
	Strides [2]int `json:"strides"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`

	Base
	p pool2D
}

// ClassName implements Layer.
func (*AveragePooling2D) ClassName() string { return "AveragePooling2D" }

// Build implements Layer.
func (l *AveragePooling2D) Build(input []int) error {
	return l.p.build(&l.Base, l.ClassName(), l.Name, l.PoolSize, l.Strides, l.Padding, input)
}

// Call implements Layer.
func (l *AveragePooling2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.AvgPool2D(x, l.p.pool, l.p.strides, l.p.pad)
}

// GlobalAveragePooling2D averages each channel of channels-last images over
// all positions, as Keras's GlobalAveragePooling2D: (h, w, c) gives (c).
type GlobalAveragePooling2D struct {
	Base
}

// ClassName implements Layer.
func (*GlobalAveragePooling2D) ClassName() string { return "GlobalAveragePooling2D" }

// Build implements Layer.
func (l *GlobalAveragePooling2D) Build(input []int) error {
	if err := images(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.SetOutputShape([]int{input[2]})
	return nil
}

// Call implements Layer.
func (l *GlobalAveragePooling2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.GlobalAvgPool2D(x)
}

// GlobalMaxPooling2D takes the maximum of each channel of channels-last
// images over all positions, as Keras's GlobalMaxPooling2D: (h, w, c)
// gives (c).
type GlobalMaxPooling2D struct {
	Base
}

// ClassName implements Layer.
func (*GlobalMaxPooling2D) ClassName() string { return "GlobalMaxPooling2D" }

// Build implements Layer.
func (l *GlobalMaxPooling2D) Build(input []int) error {
	if err := images(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	l.SetOutputShape([]int{input[2]})
	return nil
}

// Call implements Layer.
func (l *GlobalMaxPooling2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.GlobalMaxPool2D(x)
}
