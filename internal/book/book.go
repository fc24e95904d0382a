// Package book defines the networks of Deep Learning Illustrated (Krohn,
// 2019) once, for the neurona command and the benchmarks.
package book

import (
	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
)

// Regression settings from the book's regression_in_keras notebook.
const (
	RegressionEpochs    = 32
	RegressionBatchSize = 8
)

// RegressionModel returns the book's Boston housing regression network,
// compiled with MSE and Adam, its weights drawn with seed:
// Dense(32, relu) → BatchNormalization → Dense(16, relu) →
// BatchNormalization → Dropout(0.2) → Dense(1).
func RegressionModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 13},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 16, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	m.Seed = seed
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		return nil, err
	}
	return m, nil
}
