// Command regression is the book's regression_in_keras: Boston housing
// prices from 13 unscaled features, with batch normalization and dropout.
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
)

func main() {
	train, valid, err := datasets.BostonHousing()
	if err != nil {
		log.Fatal(err)
	}

	model := models.NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 13},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 16, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	if err := model.Summary(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := model.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		log.Fatal(err)
	}
	_, err = model.Fit(context.Background(), train.X, train.Y, models.FitConfig{
		BatchSize: 8, Epochs: 32, Verbose: 1,
		ValidationX: valid.X, ValidationY: valid.Y,
	})
	if err != nil {
		log.Fatal(err)
	}

	pred, err := model.Predict(valid.X)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("validation row 42: predicted %.2f, true %.1f\n", pred.Data[42], valid.Y.Data[42])
}
