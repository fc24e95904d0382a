// Command deep is the book's deep_net_in_keras: three ReLU layers with
// batch normalization, dropout and Adam on MNIST.
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
	xTrain := preprocessing.Scale(preprocessing.Flatten(train.X), 1.0/255)
	xValid := preprocessing.Scale(preprocessing.Flatten(valid.X), 1.0/255)
	yTrain, err := preprocessing.ToCategorical(train.Y, 10)
	if err != nil {
		log.Fatal(err)
	}
	yValid, err := preprocessing.ToCategorical(valid.Y, 10)
	if err != nil {
		log.Fatal(err)
	}

	model := models.NewSequential(
		&layers.Dense{Units: 64, Activation: activations.ReLU, InputDim: 784},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		log.Fatal(err)
	}
	_, err = model.Fit(context.Background(), xTrain, yTrain, models.FitConfig{
		BatchSize: 128, Epochs: 20, Verbose: 1, ValidationX: xValid, ValidationY: yValid,
	})
	if err != nil {
		log.Fatal(err)
	}
}
