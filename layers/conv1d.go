package layers

import (
	"fmt"
	"strings"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// Causal is Conv1D's causal padding: the input is padded on the left with
// (KernelSize − 1)·DilationRate zeros, so that output step t sees only
// input steps ≤ t, and the output has as many steps as the input (stride
// 1).
const Causal Padding = "causal"

// sequences checks that a 1-D window layer's input is a batch of
// sequences (steps, channels).
func sequences(class, name string, input []int) error {
	if err := checkShape(class, name, input); err != nil {
		return err
	}
	if len(input) != 2 {
		return fmt.Errorf("layer %q (%s): expects sequences of shape (steps, channels), got input shape %s",
			name, class, tensor.ShapeString(input))
	}
	return nil
}

// Conv1D is a 1-D (temporal) convolution over sequences, as Keras's
// Conv1D: output = activation(conv(input, kernel) + bias). The kernel has
// Keras's layout (kernel size, input channels, filters). An input of shape
// (steps, c) gives (osteps, filters) with, for a dilated kernel of extent
// e = (KernelSize − 1)·DilationRate + 1, osteps = ⌈(steps − e + 1)/Strides⌉
// for valid padding, ⌈steps/Strides⌉ for same padding and ⌈steps/Strides⌉
// for causal padding.
//
// Without dilation and with valid or same padding it runs on Conv2D's
// im2col + GEMM kernels (the sequence as a one-row image and a 1×k
// kernel); dilated or causal convolutions run on autograd.Conv1D, a direct
// 1-D im2col + GEMM.
type Conv1D struct {
	// Filters is the number of output channels (required).
	Filters int `json:"filters"`
	// KernelSize is the window's length (required).
	KernelSize int `json:"kernel_size"`
	// Strides is the step between windows; 0 means 1.
	Strides int `json:"strides,omitempty"`
	// Padding is Valid (the default), Same or Causal.
	Padding Padding `json:"padding,omitempty"`
	// DilationRate spaces the kernel's taps; 0 means 1. As in Keras, a
	// dilation above 1 needs Strides 1.
	DilationRate int `json:"dilation_rate,omitempty"`
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
	direct       bool   // autograd.Conv1D rather than Conv2D
	padL, padR   int    // the direct op's padding
	stride, dil  int    // resolved settings
	steps        [2]int // input and output steps
}

// ClassName implements Layer.
func (*Conv1D) ClassName() string { return "Conv1D" }

// Build implements Layer.
func (l *Conv1D) Build(input []int) error {
	class := l.ClassName()
	if err := sequences(class, l.Name, input); err != nil {
		return err
	}
	if l.Filters <= 0 {
		return fmt.Errorf("layer %q (Conv1D): filters must be positive, got %d", l.Name, l.Filters)
	}
	if l.KernelSize <= 0 {
		return fmt.Errorf("layer %q (Conv1D): kernel size must be positive, got %d", l.Name, l.KernelSize)
	}
	if l.Strides < 0 || l.DilationRate < 0 {
		return fmt.Errorf("layer %q (Conv1D): strides and dilation rate must be positive, got %d and %d", l.Name, l.Strides, l.DilationRate)
	}
	stride, dil := max(l.Strides, 1), max(l.DilationRate, 1)
	if stride > 1 && dil > 1 {
		return fmt.Errorf("layer %q (Conv1D): strides %d with dilation rate %d: a dilation above 1 needs strides 1, as in Keras", l.Name, stride, dil)
	}
	act, err := l.Activation.Kind()
	if err != nil {
		return fmt.Errorf("layer %q (Conv1D): %w", l.Name, err)
	}
	k, steps := l.KernelSize, input[0]
	extent := (k-1)*dil + 1
	var out int
	l.direct = dil > 1
	switch Padding(strings.ToLower(string(l.Padding))) {
	case "", Valid:
		l.pad, l.padL, l.padR = autograd.Valid, 0, 0
		out = autograd.ConvOutputLength(steps, extent, stride, autograd.Valid)
	case Same:
		l.pad = autograd.Same
		out = (steps + stride - 1) / stride
		total := max((out-1)*stride+extent-steps, 0)
		l.padL, l.padR = total/2, total-total/2
	case Causal:
		l.direct = true
		l.pad, l.padL = autograd.Valid, extent-1
		out = autograd.ConvOutputLength(steps+l.padL, extent, stride, autograd.Valid)
		l.padR = 0
	default:
		return fmt.Errorf("layer %q (Conv1D): unknown padding %q (valid: valid, same, causal)", l.Name, string(l.Padding))
	}
	if out < 1 {
		return fmt.Errorf("layer %q (Conv1D): kernel size %d (dilation %d) is larger than the input %s with valid padding",
			l.Name, k, dil, tensor.ShapeString(input))
	}
	l.SetOutputShape([]int{out, l.Filters})
	l.act, l.stride, l.dil, l.steps = act, stride, dil, [2]int{steps, out}
	l.kernel = l.AddWeight("kernel", []int{k, input[1], l.Filters},
		orDefault(l.KernelInitializer, initializers.GlorotUniform{}), true)
	l.bias = nil
	if !l.NoBias {
		l.bias = l.AddWeight("bias", []int{l.Filters}, orDefault(l.BiasInitializer, initializers.Zeros{}), true)
	}
	return nil
}

// Call implements Layer.
func (l *Conv1D) Call(c *CallContext, x *autograd.Var) *autograd.Var {
	tp := c.Tape
	if l.direct {
		return tp.Conv1D(x, l.kernel, l.bias, l.stride, l.dil, l.padL, l.padR, l.act)
	}
	s := x.Value.Shape
	img := tp.Reshape(x, s[0], 1, s[1], s[2])
	ks := l.kernel.Value.Shape
	k := tp.Reshape(l.kernel, 1, ks[0], ks[1], ks[2])
	y := tp.Conv2D(img, k, l.bias, [2]int{1, l.stride}, l.pad, l.act)
	return tp.Reshape(y, s[0], l.steps[1], l.Filters)
}
