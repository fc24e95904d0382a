// Command functional trains a two-branch model with the functional API on
// MNIST: each digit and its mirror image go through one shared Dense layer
// (the same weights for both), and the two results are concatenated before
// the softmax output.
package main

import (
	"context"
	"log"
	"os"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

func main() {
	train, valid, err := mnist.Load()
	if err != nil {
		log.Fatal(err)
	}
	x := preprocessing.Scale(preprocessing.Flatten(train.X), 1.0/255)
	xValid := preprocessing.Scale(preprocessing.Flatten(valid.X), 1.0/255)
	y, err := preprocessing.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yValid, err := preprocessing.ToCategorical(valid.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	image := layers.Apply(layers.Named("image", &layers.Input{Shape: []int{784}}))
	mirror := layers.Apply(layers.Named("mirror", &layers.Input{Shape: []int{784}}))
	shared := &layers.Dense{Units: 64, Activation: activations.ReLU} // applied twice: one set of weights
	both := layers.Apply(&layers.Concatenate{}, layers.Apply(shared, image), layers.Apply(shared, mirror))
	h := layers.Apply(&layers.Dropout{Rate: 0.2}, layers.Apply(&layers.BatchNormalization{}, both))
	out := layers.Apply(&layers.Dense{Units: 10, Activation: activations.Softmax}, h)
	model, err := models.NewModel([]*layers.KerasTensor{image, mirror}, []*layers.KerasTensor{out})
	if err != nil {
		log.Fatal(err)
	}
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		log.Fatal(err)
	}
	_, err = model.FitMulti(context.Background(), []*tensor.Tensor{x, mirrored(x)}, []*tensor.Tensor{y}, models.FitConfig{
		BatchSize: 128, Epochs: 5, Verbose: 1,
		ValidationXs: []*tensor.Tensor{xValid, mirrored(xValid)}, ValidationYs: []*tensor.Tensor{yValid},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// mirrored flips each 28×28 image left to right.
func mirrored(x *tensor.Tensor) *tensor.Tensor {
	m := x.Clone()
	for r := 0; r < x.Rows(); r++ {
		img := m.Data[r*784 : (r+1)*784]
		for row := 0; row < 28; row++ {
			line := img[row*28 : (row+1)*28]
			for i, j := 0, 27; i < j; i, j = i+1, j-1 {
				line[i], line[j] = line[j], line[i]
			}
		}
	}
	return m
}
