// Package applications holds Keras's keras.applications architectures with
// Keras's layer names, so that Keras's published weight files load into
// them by name with models.(*Model).LoadKerasWeights.
package applications

import (
	"fmt"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

// Options are VGG19's optional arguments; the zero value is Keras's
// defaults.
type Options struct {
	// InputShape is (height, width, channels); nil means (224, 224, 3).
	// Without the top, any size of at least 32×32 works; with it, the
	// published weights need 224×224.
	InputShape []int
	// Classes is the number of outputs of the top; 0 means 1000.
	Classes int
	// Pooling, without the top, is "" (the last block's 4-D output),
	// "avg" or "max" (a global pooling to a vector), as Keras's pooling.
	Pooling string
}

// VGG19 returns Keras's VGG19 (keras.applications.VGG19, weights=None):
// five blocks of 3×3 same-padded ReLU convolutions (2, 2, 4, 4 and 4 of
// 64, 128, 256, 512 and 512 filters), each ending in a 2×2 max pooling,
// named block1_conv1 … block5_conv4 and block1_pool … block5_pool; with
// includeTop, then flatten, fc1 and fc2 (4096 ReLU units) and predictions
// (Classes, softmax). The model is named "vgg19" and its input
// "input_1". Without the top it has 20,024,384 weights, with it
// 143,667,240.
//
// Keras's published weights (vgg19_weights_tf_dim_ordering_tf_kernels.h5,
// or …_notop.h5 without the top) load with m.LoadKerasWeights(path);
// inputs are then preprocessed as Keras's "caffe" mode: BGR channels with
// the ImageNet means (103.939, 116.779, 123.68) subtracted.
func VGG19(includeTop bool, opts ...Options) (*models.Model, error) {
	return vgg19(includeTop, false, opts...)
}

// vgg19 builds VGG19; shapeOnly builds its layers without allocating their
// weights (for counting them).
func vgg19(includeTop, shapeOnly bool, opts ...Options) (*models.Model, error) {
	var o Options
	if len(opts) > 1 {
		return nil, fmt.Errorf("VGG19: got %d Options, want at most one", len(opts))
	}
	if len(opts) == 1 {
		o = opts[0]
	}
	return vgg("vgg19", []block{{2, 64}, {2, 128}, {4, 256}, {4, 512}, {4, 512}}, []int{4096, 4096}, includeTop, shapeOnly, o)
}

// block is one VGG block: convs convolutions of filters filters.
type block struct{ convs, filters int }

// vgg builds a VGG network of the given blocks and, with includeTop, fully
// connected layers of the given units before the predictions.
func vgg(name string, blocks []block, fc []int, includeTop, shapeOnly bool, o Options) (*models.Model, error) {
	shape := o.InputShape
	if shape == nil {
		shape = []int{224, 224, 3}
	}
	if len(shape) != 3 {
		return nil, fmt.Errorf("%s: input shape %v is not (height, width, channels)", name, shape)
	}
	classes := o.Classes
	if classes == 0 {
		classes = 1000
	}
	if classes < 0 {
		return nil, fmt.Errorf("%s: classes must be positive, got %d", name, classes)
	}
	switch o.Pooling {
	case "", "avg", "max":
	default:
		return nil, fmt.Errorf("%s: pooling %q is not valid (valid: \"\", avg, max)", name, o.Pooling)
	}
	apply := func(l layers.Layer, x *layers.KerasTensor) *layers.KerasTensor {
		if shapeOnly {
			layers.SetShapeOnly(l)
		}
		return layers.Apply(l, x)
	}
	in := layers.Apply(layers.Named("input_1", &layers.Input{Shape: shape}))
	x := in
	for b, bl := range blocks {
		for c := 1; c <= bl.convs; c++ {
			x = apply(layers.Named(fmt.Sprintf("block%d_conv%d", b+1, c), &layers.Conv2D{
				Filters: bl.filters, KernelSize: [2]int{3, 3}, Padding: layers.Same, Activation: activations.ReLU}), x)
		}
		x = apply(layers.Named(fmt.Sprintf("block%d_pool", b+1), &layers.MaxPooling2D{PoolSize: [2]int{2, 2}, Strides: [2]int{2, 2}}), x)
	}
	switch {
	case includeTop:
		x = apply(layers.Named("flatten", &layers.Flatten{}), x)
		for i, units := range fc {
			x = apply(layers.Named(fmt.Sprintf("fc%d", i+1), &layers.Dense{Units: units, Activation: activations.ReLU}), x)
		}
		x = apply(layers.Named("predictions", &layers.Dense{Units: classes, Activation: activations.Softmax}), x)
	case o.Pooling == "avg":
		x = apply(layers.Named("global_average_pooling2d_1", &layers.GlobalAveragePooling2D{}), x)
	case o.Pooling == "max":
		x = apply(layers.Named("global_max_pooling2d_1", &layers.GlobalMaxPooling2D{}), x)
	}
	m, err := models.NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{x})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m.Name = name
	return m, nil
}
