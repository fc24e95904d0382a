package layers_test

import (
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
)

// TestEveryLayer runs every layer class through layerTest.
func TestEveryLayer(t *testing.T) {
	for _, c := range []layerCase{
		{name: "Input", new: func() layers.Layer { return &layers.Input{Shape: []int{3, 2}} }, inputs: [][]int{{3, 2}}, batch: 2, want: []int{3, 2}},
		{name: "Dense", new: func() layers.Layer { return &layers.Dense{Units: 3, Activation: activations.Tanh} }, inputs: [][]int{{4}}, batch: 3, want: []int{3}},
		{name: "Dense 3-D", new: func() layers.Layer { return &layers.Dense{Units: 2, NoBias: true} }, inputs: [][]int{{3, 4}}, batch: 2, want: []int{3, 2}},
		{name: "Dense softmax", new: func() layers.Layer { return &layers.Dense{Units: 3, Activation: activations.Softmax} }, inputs: [][]int{{2}}, batch: 4, want: []int{3}},
		{name: "Activation sigmoid", new: func() layers.Layer { return &layers.Activation{Activation: activations.Sigmoid} }, inputs: [][]int{{5}}, batch: 2, want: []int{5}},
		{name: "Activation relu", new: func() layers.Layer { return &layers.Activation{Activation: activations.ReLU} }, inputs: [][]int{{2, 3}}, batch: 2, want: []int{2, 3}},
		{name: "Activation softmax", new: func() layers.Layer { return &layers.Activation{Activation: activations.Softmax} }, inputs: [][]int{{4}}, batch: 3, want: []int{4}},
		{name: "Dropout", new: func() layers.Layer { return &layers.Dropout{Rate: 0.4} }, inputs: [][]int{{6}}, batch: 4, want: []int{6}},
		{name: "BatchNormalization", new: func() layers.Layer { return &layers.BatchNormalization{Momentum: 0.9, Epsilon: 0.01} }, inputs: [][]int{{3}}, batch: 4, want: []int{3}},
		{name: "BatchNormalization 4-D", new: func() layers.Layer { return &layers.BatchNormalization{} }, inputs: [][]int{{2, 3, 2}}, batch: 2, want: []int{2, 3, 2}},
		{name: "Conv2D", new: func() layers.Layer {
			return &layers.Conv2D{Filters: 2, KernelSize: [2]int{3, 2}, Strides: [2]int{2, 1}, Padding: layers.Same, Activation: activations.Tanh}
		}, inputs: [][]int{{5, 4, 2}}, batch: 2, want: []int{3, 4, 2}},
		{name: "Conv2D valid", new: func() layers.Layer {
			return &layers.Conv2D{Filters: 3, KernelSize: [2]int{2, 2}, NoBias: true}
		}, inputs: [][]int{{3, 4, 1}}, batch: 2, want: []int{2, 3, 3}},
		{name: "Conv2DTranspose", new: func() layers.Layer {
			return &layers.Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: layers.Same, Activation: activations.Sigmoid}
		}, inputs: [][]int{{2, 3, 2}}, batch: 2, want: []int{4, 6, 2}},
		{name: "Conv2DTranspose valid", new: func() layers.Layer {
			return &layers.Conv2DTranspose{Filters: 1, KernelSize: [2]int{2, 3}}
		}, inputs: [][]int{{2, 2, 2}}, batch: 2, want: []int{3, 4, 1}},
		{name: "UpSampling2D", new: func() layers.Layer { return &layers.UpSampling2D{Size: [2]int{2, 3}} }, inputs: [][]int{{2, 2, 2}}, batch: 2, want: []int{4, 6, 2}},
		{name: "MaxPooling2D", new: func() layers.Layer { return &layers.MaxPooling2D{} }, inputs: [][]int{{4, 5, 2}}, batch: 2, want: []int{2, 2, 2}},
		{name: "MaxPooling2D same", new: func() layers.Layer {
			return &layers.MaxPooling2D{PoolSize: [2]int{3, 2}, Strides: [2]int{2, 1}, Padding: layers.Same}
		}, inputs: [][]int{{5, 3, 2}}, batch: 2, want: []int{3, 3, 2}},
		{name: "AveragePooling2D", new: func() layers.Layer {
			return &layers.AveragePooling2D{PoolSize: [2]int{2, 3}, Padding: layers.Same}
		}, inputs: [][]int{{5, 5, 2}}, batch: 2, want: []int{3, 2, 2}},
		{name: "GlobalAveragePooling2D", new: func() layers.Layer { return &layers.GlobalAveragePooling2D{} }, inputs: [][]int{{3, 4, 2}}, batch: 2, want: []int{2}},
		{name: "GlobalMaxPooling2D", new: func() layers.Layer { return &layers.GlobalMaxPooling2D{} }, inputs: [][]int{{3, 4, 2}}, batch: 2, want: []int{2}},
		{name: "Embedding", new: func() layers.Layer { return &layers.Embedding{InputDim: 7, OutputDim: 3, InputLength: 4} }, inputs: [][]int{{4}}, batch: 3, want: []int{4, 3}, ids: 7},
		{name: "Embedding 2-D ids", new: func() layers.Layer { return &layers.Embedding{InputDim: 5, OutputDim: 2} }, inputs: [][]int{{2, 3}}, batch: 2, want: []int{2, 3, 2}, ids: 5},
		{name: "SpatialDropout1D", new: func() layers.Layer { return &layers.SpatialDropout1D{Rate: 0.5} }, inputs: [][]int{{4, 3}}, batch: 3, want: []int{4, 3}},
		{name: "Conv1D same", new: func() layers.Layer {
			return &layers.Conv1D{Filters: 3, KernelSize: 3, Strides: 2, Padding: layers.Same, Activation: activations.Tanh}
		}, inputs: [][]int{{7, 2}}, batch: 2, want: []int{4, 3}},
		{name: "Conv1D valid", new: func() layers.Layer { return &layers.Conv1D{Filters: 2, KernelSize: 2, NoBias: true} }, inputs: [][]int{{5, 2}}, batch: 2, want: []int{4, 2}},
		{name: "Conv1D causal dilated", new: func() layers.Layer {
			return &layers.Conv1D{Filters: 2, KernelSize: 3, Padding: layers.Causal, DilationRate: 2, Activation: activations.Sigmoid}
		}, inputs: [][]int{{6, 2}}, batch: 2, want: []int{6, 2}},
		{name: "Conv1D causal strided", new: func() layers.Layer {
			return &layers.Conv1D{Filters: 2, KernelSize: 2, Strides: 2, Padding: layers.Causal}
		}, inputs: [][]int{{5, 3}}, batch: 2, want: []int{3, 2}},
		{name: "Conv1D valid dilated", new: func() layers.Layer { return &layers.Conv1D{Filters: 2, KernelSize: 2, DilationRate: 2} }, inputs: [][]int{{7, 2}}, batch: 2, want: []int{5, 2}},
		{name: "Conv1D same dilated", new: func() layers.Layer {
			return &layers.Conv1D{Filters: 2, KernelSize: 3, DilationRate: 2, Padding: layers.Same}
		}, inputs: [][]int{{5, 2}}, batch: 2, want: []int{5, 2}},
		{name: "MaxPooling1D", new: func() layers.Layer { return &layers.MaxPooling1D{} }, inputs: [][]int{{5, 2}}, batch: 2, want: []int{2, 2}},
		{name: "MaxPooling1D same", new: func() layers.Layer {
			return &layers.MaxPooling1D{PoolSize: 3, Strides: 2, Padding: layers.Same}
		}, inputs: [][]int{{5, 2}}, batch: 2, want: []int{3, 2}},
		{name: "AveragePooling1D", new: func() layers.Layer { return &layers.AveragePooling1D{PoolSize: 3, Padding: layers.Same} }, inputs: [][]int{{5, 2}}, batch: 2, want: []int{2, 2}},
		{name: "AveragePooling1D valid", new: func() layers.Layer { return &layers.AveragePooling1D{PoolSize: 2, Strides: 1} }, inputs: [][]int{{4, 3}}, batch: 2, want: []int{3, 3}},
		{name: "GlobalMaxPooling1D", new: func() layers.Layer { return &layers.GlobalMaxPooling1D{} }, inputs: [][]int{{4, 3}}, batch: 2, want: []int{3}},
		{name: "GlobalAveragePooling1D", new: func() layers.Layer { return &layers.GlobalAveragePooling1D{} }, inputs: [][]int{{4, 3}}, batch: 2, want: []int{3}},
		{name: "Flatten", new: func() layers.Layer { return &layers.Flatten{} }, inputs: [][]int{{3, 2, 2}}, batch: 2, want: []int{12}},
		{name: "Reshape", new: func() layers.Layer { return &layers.Reshape{TargetShape: []int{-1, 3}} }, inputs: [][]int{{3, 2, 2}}, batch: 2, want: []int{4, 3}},
	} {
		layerTest(t, c)
	}
}

// TestEveryMergeLayer runs every merge layer through layerTest, with 2 and
// 3 inputs where the layer takes more than 2.
func TestEveryMergeLayer(t *testing.T) {
	for _, c := range []layerCase{
		{name: "Concatenate", new: func() layers.Layer { return &layers.Concatenate{} }, inputs: [][]int{{3}, {2}}, batch: 2, want: []int{5}},
		{name: "Concatenate 3", new: func() layers.Layer { return &layers.Concatenate{} }, inputs: [][]int{{2, 1}, {2, 3}, {2, 2}}, batch: 2, want: []int{2, 6}},
		{name: "Concatenate axis 1", new: func() layers.Layer { return &layers.Concatenate{Axis: 1} }, inputs: [][]int{{1, 3}, {2, 3}}, batch: 2, want: []int{3, 3}},
		{name: "Concatenate axis -2", new: func() layers.Layer { return &layers.Concatenate{Axis: -2} }, inputs: [][]int{{2, 1, 2}, {2, 2, 2}, {2, 1, 2}}, batch: 2, want: []int{2, 4, 2}},
		{name: "Add", new: func() layers.Layer { return &layers.Add{} }, inputs: [][]int{{3}, {3}}, batch: 2, want: []int{3}},
		{name: "Add 3", new: func() layers.Layer { return &layers.Add{} }, inputs: [][]int{{2, 2}, {2, 2}, {2, 2}}, batch: 2, want: []int{2, 2}},
		{name: "Subtract", new: func() layers.Layer { return &layers.Subtract{} }, inputs: [][]int{{4}, {4}}, batch: 2, want: []int{4}},
		{name: "Multiply", new: func() layers.Layer { return &layers.Multiply{} }, inputs: [][]int{{3}, {3}}, batch: 2, want: []int{3}},
		{name: "Multiply 3", new: func() layers.Layer { return &layers.Multiply{} }, inputs: [][]int{{3}, {3}, {3}}, batch: 2, want: []int{3}},
		{name: "Average", new: func() layers.Layer { return &layers.Average{} }, inputs: [][]int{{3}, {3}}, batch: 2, want: []int{3}},
		{name: "Average 3", new: func() layers.Layer { return &layers.Average{} }, inputs: [][]int{{2, 3}, {2, 3}, {2, 3}}, batch: 2, want: []int{2, 3}},
		{name: "Maximum", new: func() layers.Layer { return &layers.Maximum{} }, inputs: [][]int{{4}, {4}}, batch: 2, want: []int{4}},
		{name: "Maximum 3", new: func() layers.Layer { return &layers.Maximum{} }, inputs: [][]int{{4}, {4}, {4}}, batch: 3, want: []int{4}},
		{name: "Minimum", new: func() layers.Layer { return &layers.Minimum{} }, inputs: [][]int{{4}, {4}}, batch: 2, want: []int{4}},
		{name: "Minimum 3", new: func() layers.Layer { return &layers.Minimum{} }, inputs: [][]int{{4}, {4}, {4}}, batch: 3, want: []int{4}},
		{name: "Dot vectors", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{1, 1}} }, inputs: [][]int{{4}, {4}}, batch: 3, want: []int{1}},
		{name: "Dot vectors -1 normalize", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{-1, -1}, Normalize: true} }, inputs: [][]int{{4}, {4}}, batch: 3, want: []int{1}},
		{name: "Dot (2, 2)", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{2, 2}} }, inputs: [][]int{{3, 4}, {2, 4}}, batch: 2, want: []int{3, 2}},
		{name: "Dot (1, 1)", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{1, 1}} }, inputs: [][]int{{4, 3}, {4, 2}}, batch: 2, want: []int{3, 2}},
		{name: "Dot (1, 2) normalize", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{1, 2}, Normalize: true} }, inputs: [][]int{{4, 3}, {2, 4}}, batch: 2, want: []int{3, 2}},
		{name: "Dot (-1, 1)", new: func() layers.Layer { return &layers.Dot{Axes: layers.DotAxes{-1, 1}} }, inputs: [][]int{{3, 4}, {4, 2}}, batch: 2, want: []int{3, 2}},
	} {
		layerTest(t, c)
	}
}
