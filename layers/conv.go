package layers

import (
	"fmt"
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// Padding is a convolution's or pooling's padding, Keras's padding
// argument. The zero value means Valid.
type Padding string

const (
	// Valid uses only windows that fit inside the input.
	Valid Padding = "valid"
	// Same pads the input so that the output has ceil(input/stride)
	// positions along each axis (zeros for convolutions; pooling ignores the
	// padded positions), with the odd one at the bottom and right, as
	// TensorFlow does.
	Same Padding = "same"
)

// kind returns the autograd padding for p.
func (p Padding) kind() (autograd.Padding, error) {
	switch Padding(strings.ToLower(string(p))) {
	case "", Valid:
		return autograd.Valid, nil
	case Same:
		return autograd.Same, nil
	}
	return 0, fmt.Errorf("unknown padding %q (valid: valid, same)", string(p))
}

// images checks that a window layer's input is a batch of images
// (height, width, channels).
func images(class, name string, input []int) error {
	if err := checkShape(class, name, input); err != nil {
		return err
	}
	if len(input) != 3 {
		return fmt.Errorf("layer %q (%s): expects images of shape (height, width, channels), got input shape %s",
			name, class, tensor.ShapeString(input))
	}
	return nil
}

// pair returns v with zeros replaced by def, or an error naming what when a
// value is negative.
func pair(class, name, what string, v, def [2]int) ([2]int, error) {
	for i := range v {
		switch {
		case v[i] < 0:
			return v, fmt.Errorf("layer %q (%s): %s must be positive, got %v", name, class, what, v)
		case v[i] == 0:
			v[i] = def[i]
		}
	}
	return v, nil
}

// convSettings checks the settings that Conv2D and Conv2DTranspose share.
func convSettings(class, name string, filters int, kernel, strides [2]int, padding Padding, act activations.Name) (
	[2]int, autograd.Padding, autograd.Activation, error) {
	if filters <= 0 {
		return strides, 0, 0, fmt.Errorf("layer %q (%s): filters must be positive, got %d", name, class, filters)
	}
	if kernel[0] <= 0 || kernel[1] <= 0 {
		return strides, 0, 0, fmt.Errorf("layer %q (%s): kernel size must be positive, got %v", name, class, kernel)
	}
	strides, err := pair(class, name, "strides", strides, [2]int{1, 1})
	if err != nil {
		return strides, 0, 0, err
	}
	pad, err := padding.kind()
	if err != nil {
		return strides, 0, 0, fmt.Errorf("layer %q (%s): %w", name, class, err)
	}
	a, err := act.Kind()
	if err != nil {
		return strides, 0, 0, fmt.Errorf("layer %q (%s): %w", name, class, err)
	}
	return strides, pad, a, nil
}

// Conv2D is a 2-D convolution over channels-last images, as Keras's Conv2D:
// output = activation(conv(input, kernel) + bias). The kernel has Keras's
// layout (kernel height, kernel width, input channels, filters). An input
// of shape (h, w, c) gives (oh, ow, filters), with oh = ⌈(h − kh + 1)/sh⌉
// for valid padding and ⌈h/sh⌉ for same padding (likewise ow).
type Conv2D struct {
	// Filters is the number of output channels (required).
	Filters int `json:"filters"`
	// KernelSize is the window's (height, width) (required).
	KernelSize [2]int `json:"kernel_size"`
	// Strides is the step between windows; zeros mean 1.
	Strides [2]int `json:"strides"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`
	// Activation defaults to linear.
	Activation activations.Name `json:"activation,omitempty"`
	// NoBias drops the bias (Keras's use_bias=False).
	NoBias bool `json:"no_bias,omitempty"`
	// KernelInitializer defaults to GlorotUniform, BiasInitializer to Zeros.
	KernelInitializer initializers.Initializer `json:"-"`
	BiasInitializer   initializers.Initializer `json:"-"`

	Base
	kernel, bias *autograd.Var
	act          autograd.Activation
	pad          autograd.Padding
	strides      [2]int
}

// ClassName implements Layer.
func (*Conv2D) ClassName() string { return "Conv2D" }

// Build implements Layer.
func (l *Conv2D) Build(input []int) error {
	if err := images(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	strides, pad, act, err := convSettings(l.ClassName(), l.Name, l.Filters, l.KernelSize, l.Strides, l.Padding, l.Activation)
	if err != nil {
		return err
	}
	k := l.KernelSize
	oh := autograd.ConvOutputLength(input[0], k[0], strides[0], pad)
	ow := autograd.ConvOutputLength(input[1], k[1], strides[1], pad)
	if oh < 1 || ow < 1 {
		return fmt.Errorf("layer %q (Conv2D): kernel size %v is larger than the input %s with valid padding",
			l.Name, k, tensor.ShapeString(input))
	}
	l.SetOutputShape([]int{oh, ow, l.Filters})
	l.act, l.pad, l.strides = act, pad, strides
	l.kernel = l.AddWeight("kernel", []int{k[0], k[1], input[2], l.Filters},
		orDefault(l.KernelInitializer, initializers.GlorotUniform{}), true)
	l.bias = nil
	if !l.NoBias {
		l.bias = l.AddWeight("bias", []int{l.Filters}, orDefault(l.BiasInitializer, initializers.Zeros{}), true)
	}
	return nil
}

// Call implements Layer.
func (l *Conv2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Conv2D(x, l.kernel, l.bias, l.strides, l.pad, l.act)
}

// Conv2DTranspose is a transposed 2-D convolution (sometimes called a
// deconvolution) over channels-last images, as Keras's Conv2DTranspose: it
// maps the output of a Conv2D with the same settings back to the shape of
// that Conv2D's input. The kernel has Keras's layout (kernel height, kernel
// width, filters, input channels). An input of shape (h, w, c) gives
// (oh, ow, filters) with oh = h·sh + max(kh − sh, 0) for valid padding and
// h·sh for same padding (likewise ow).
type Conv2DTranspose struct {
	// Filters is the number of output channels (required).
	Filters int `json:"filters"`
	// KernelSize is the window's (height, width) (required).
	KernelSize [2]int `json:"kernel_size"`
	// Strides is the step between windows; zeros mean 1.
	Strides [2]int `json:"strides"`
	// Padding defaults to Valid.
	Padding Padding `json:"padding,omitempty"`
	// Activation defaults to linear.
	Activation activations.Name `json:"activation,omitempty"`
	// NoBias drops the bias (Keras's use_bias=False).
	NoBias bool `json:"no_bias,omitempty"`
	// KernelInitializer defaults to GlorotUniform, BiasInitializer to Zeros.
	KernelInitializer initializers.Initializer `json:"-"`
	BiasInitializer   initializers.Initializer `json:"-"`

	Base
	kernel, bias *autograd.Var
	act          autograd.Activation
	pad          autograd.Padding
	strides      [2]int
}

// ClassName implements Layer.
func (*Conv2DTranspose) ClassName() string { return "Conv2DTranspose" }

// Build implements Layer.
func (l *Conv2DTranspose) Build(input []int) error {
	if err := images(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	strides, pad, act, err := convSettings(l.ClassName(), l.Name, l.Filters, l.KernelSize, l.Strides, l.Padding, l.Activation)
	if err != nil {
		return err
	}
	k := l.KernelSize
	oh := autograd.DeconvOutputLength(input[0], k[0], strides[0], pad)
	ow := autograd.DeconvOutputLength(input[1], k[1], strides[1], pad)
	l.SetOutputShape([]int{oh, ow, l.Filters})
	l.act, l.pad, l.strides = act, pad, strides
	// Keras's fans for this layout count the filters as the fan-in.
	l.kernel = l.AddWeight("kernel", []int{k[0], k[1], l.Filters, input[2]},
		orDefault(l.KernelInitializer, initializers.GlorotUniform{}), true)
	l.bias = nil
	if !l.NoBias {
		l.bias = l.AddWeight("bias", []int{l.Filters}, orDefault(l.BiasInitializer, initializers.Zeros{}), true)
	}
	return nil
}

// Call implements Layer.
func (l *Conv2DTranspose) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.Conv2DTranspose(x, l.kernel, l.bias, l.strides, l.pad, l.act)
}

// UpSampling2D repeats the rows and columns of channels-last images, as
// Keras's UpSampling2D with nearest-neighbour interpolation: an input of
// shape (h, w, c) gives (h·Size[0], w·Size[1], c).
type UpSampling2D struct {
	// Size is the (rows, columns) repeat factor; zeros mean 2.
	Size [2]int `json:"size"`
	// Interpolation must be "nearest" (the default, also when empty).
	Interpolation string `json:"interpolation,omitempty"`

	Base
	size [2]int
}

// ClassName implements Layer.
func (*UpSampling2D) ClassName() string { return "UpSampling2D" }

// Build implements Layer.
func (l *UpSampling2D) Build(input []int) error {
	if err := images(l.ClassName(), l.Name, input); err != nil {
		return err
	}
	if ip := strings.ToLower(l.Interpolation); ip != "" && ip != "nearest" {
		return fmt.Errorf("layer %q (UpSampling2D): interpolation %q is not supported (valid: nearest)", l.Name, l.Interpolation)
	}
	size, err := pair(l.ClassName(), l.Name, "size", l.Size, [2]int{2, 2})
	if err != nil {
		return err
	}
	l.SetOutputShape([]int{input[0] * size[0], input[1] * size[1], input[2]})
	l.size = size
	return nil
}

// Call implements Layer.
func (l *UpSampling2D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	return c.Tape.UpSampling2D(x, l.size)
}
