package book

import (
	"fmt"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// LeNet settings from the book's lenet_in_keras notebook (chapter 10).
const (
	LeNetEpochs    = 10
	LeNetBatchSize = 128
)

// LeNetModel is the book's lenet_in_keras, compiled with categorical
// cross-entropy and Adam, its weights drawn with seed:
// Conv2D(32, 3×3, relu) → Conv2D(64, 3×3, relu) → MaxPooling2D(2×2) →
// Dropout(0.25) → Flatten → Dense(128, relu) → Dropout(0.5) →
// Dense(10, softmax), on 28×28×1 images.
func LeNetModel(seed uint64) (*models.Sequential, error) {
	m := models.NewSequential(
		&layers.Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{28, 28, 1}}},
		&layers.Conv2D{Filters: 64, KernelSize: [2]int{3, 3}, Activation: activations.ReLU},
		&layers.MaxPooling2D{PoolSize: [2]int{2, 2}},
		&layers.Dropout{Rate: 0.25},
		&layers.Flatten{},
		&layers.Dense{Units: 128, Activation: activations.ReLU},
		&layers.Dropout{Rate: 0.5},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	m.Seed = seed
	return m, m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy())
}

// MNISTImages returns MNIST preprocessed as the book's LeNet notebook does:
// images of shape (n, 28, 28, 1) scaled by 1/255, labels one-hot over 10
// classes. The test set is the validation set. With dataDir set, the four
// IDX files are read from it instead of the embedded copy.
func MNISTImages(dataDir string) (train, valid datasets.Split, err error) {
	if train, valid, err = loadMNIST(dataDir); err != nil {
		return train, valid, err
	}
	for _, s := range []*datasets.Split{&train, &valid} {
		x := preprocessing.Flatten(s.X)
		if x.Dim(1) != 28*28 {
			return train, valid, fmt.Errorf("LeNet takes 28×28 images, got samples of shape %s", tensor.ShapeString(s.X.Shape[1:]))
		}
		s.X = preprocessing.Scale(x.Reshape(x.Dim(0), 28, 28, 1), 1.0/255)
		if s.Y, err = preprocessing.ToCategorical(s.Y, 10); err != nil {
			return train, valid, err
		}
	}
	return train, valid, nil
}
