// Command lenet is the book's lenet_in_keras: a LeNet-5-style convolutional
// net on MNIST images of 28×28×1.
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
)

func main() {
	train, valid, err := mnist.Load()
	if err != nil {
		log.Fatal(err)
	}
	xTrain := preprocessing.Scale(train.X.Reshape(-1, 28, 28, 1), 1.0/255)
	xValid := preprocessing.Scale(valid.X.Reshape(-1, 28, 28, 1), 1.0/255)
	yTrain, err := preprocessing.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yValid, err := preprocessing.ToCategorical(valid.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	model := models.NewSequential(
		&layers.Input{Shape: []int{28, 28, 1}},
		&layers.Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Activation: activations.ReLU},
		&layers.Conv2D{Filters: 64, KernelSize: [2]int{3, 3}, Activation: activations.ReLU},
		&layers.MaxPooling2D{PoolSize: [2]int{2, 2}},
		&layers.Dropout{Rate: 0.25},
		&layers.Flatten{},
		&layers.Dense{Units: 128, Activation: activations.ReLU},
		&layers.Dropout{Rate: 0.5},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		log.Fatal(err)
	}
	_, err = model.Fit(context.Background(), xTrain, yTrain, models.FitConfig{
		BatchSize: 128, Epochs: 10, Verbose: 1, ValidationX: xValid, ValidationY: yValid,
	})
	if err != nil {
		log.Fatal(err)
	}
}
