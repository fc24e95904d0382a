// Package book defines the networks of Deep Learning Illustrated (Krohn,
// 2019) in Go, with their data, for the benchmarks. The neurona command
// trains the same networks from examples/specs; a test checks that both
// describe the same models.
package book

import (
	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
)

// Example is one of the book's networks with its data and settings.
type Example struct {
	Name      string
	Epochs    int
	BatchSize int
	// Model returns the compiled network with weights drawn from seed.
	Model func(seed uint64) (*models.Sequential, error)
	// Data returns the training and validation data, preprocessed as in
	// the notebook. dataDir, when not empty, names a directory of IDX files
	// to use instead of the embedded data, for the MNIST examples.
	Data func(dataDir string) (train, valid datasets.Split, err error)
}

// Examples lists the book's networks in the book's order.
var Examples = []Example{
	{
		Name:   "shallow",
		Epochs: 200, BatchSize: 128,
		Model: ShallowModel, Data: MNIST,
	},
	{
		Name:   "intermediate",
		Epochs: 20, BatchSize: 128,
		Model: IntermediateModel, Data: MNIST,
	},
	{
		Name:   "deep",
		Epochs: 20, BatchSize: 128,
		Model: DeepModel, Data: MNIST,
	},
	{
		Name:   "learning-speed",
		Epochs: 200, BatchSize: 1,
		Model: LearningSpeedModel, Data: LearningSpeedData,
	},
	{
		Name:   "lenet",
		Epochs: LeNetEpochs, BatchSize: LeNetBatchSize,
		Model: LeNetModel, Data: MNISTImages,
	},
	{
		Name:   "regression",
		Epochs: RegressionEpochs, BatchSize: RegressionBatchSize,
		Model: RegressionModel, Data: Boston,
	},
}

// Lookup returns the example called name.
func Lookup(name string) (Example, bool) {
	for _, e := range Examples {
		if e.Name == name {
			return e, true
		}
	}
	return Example{}, false
}

// Names returns the examples' names.
func Names() []string {
	var names []string
	for _, e := range Examples {
		names = append(names, e.Name)
	}
	return names
}

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
	return m, m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{})
}

// Boston returns Keras's Boston housing split, unscaled, as the notebook
// uses it. dataDir is ignored.
func Boston(string) (train, valid datasets.Split, err error) { return datasets.BostonHousing() }

// ShallowModel is the book's shallow_net_in_keras.
func ShallowModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(
		&layers.Dense{Units: 64, Activation: activations.Sigmoid, Base: layers.Base{InputShape: []int{784}}},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	m.Seed = seed
	return m, m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.01}, metrics.Accuracy())
}

// IntermediateModel is the book's intermediate_net_in_keras.
func IntermediateModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(
		&layers.Dense{Units: 64, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{784}}},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	m.Seed = seed
	return m, m.Compile(losses.CategoricalCrossentropy{}, &optimizers.SGD{LR: 0.1}, metrics.Accuracy())
}

// DeepModel is the book's deep_net_in_keras.
func DeepModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(
		&layers.Dense{Units: 64, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{784}}},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	m.Seed = seed
	return m, m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy())
}

// MNIST returns MNIST preprocessed as the book's notebooks do: images
// flattened to 784 values scaled by 1/255, labels one-hot over 10 classes.
// The test set is the validation set. With dataDir set, the four IDX files
// are read from it instead of the embedded copy.
func MNIST(dataDir string) (train, valid datasets.Split, err error) {
	if train, valid, err = loadMNIST(dataDir); err != nil {
		return train, valid, err
	}
	for _, s := range []*datasets.Split{&train, &valid} {
		s.X = preprocessing.Scale(preprocessing.Flatten(s.X), 1.0/255)
		if s.Y, err = preprocessing.ToCategorical(s.Y, 10); err != nil {
			return train, valid, err
		}
	}
	return train, valid, nil
}

// loadMNIST reads the four IDX files from dataDir, or the embedded copy
// when dataDir is empty.
func loadMNIST(dataDir string) (train, valid datasets.Split, err error) {
	if dataDir != "" {
		return datasets.LoadIDXDir(dataDir)
	}
	return mnist.Load()
}

// LearningSpeedModel is the book's measuring_speed_of_learning network: an
// input layer and five more hidden layers of 30 sigmoid units, and a
// softmax output, trained with SGD at lr 0.01.
func LearningSpeedModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(&layers.Dense{Units: 30, Activation: activations.Sigmoid, Base: layers.Base{InputShape: []int{784}}})
	for range 5 {
		m.Add(&layers.Dense{Units: 30, Activation: activations.Sigmoid})
	}
	m.Add(&layers.Dense{Units: 10, Activation: activations.Softmax})
	m.Seed = seed
	return m, m.Compile(losses.CategoricalCrossentropy{}, &optimizers.SGD{LR: 0.01}, metrics.Accuracy())
}

// LearningSpeedData is the first 1,000 MNIST training images, preprocessed
// as in MNIST, with the first 1,000 test images for validation.
func LearningSpeedData(dataDir string) (train, valid datasets.Split, err error) {
	train, valid, err = MNIST(dataDir)
	if err != nil {
		return train, valid, err
	}
	return train.Head(1000), valid.Head(1000), nil
}
