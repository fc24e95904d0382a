package examples

import (
	"fmt"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/applications"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
)

// TransferLearning returns the model of the book's
// transfer_learning_in_keras (chapter 10): Keras's VGG19 without its top,
// for 224×224 colour images, every layer frozen, nested in a Sequential
// model and followed by Flatten (named "flattened"), Dropout(0.5)
// ("dropout") and a softmax Dense of classes units ("predictions"),
// compiled with Adam and categorical cross-entropy. The book trains two
// classes (hot dog, not hot dog): 20,074,562 weights, of which 50,178
// train.
//
// The book starts from VGG19's ImageNet weights, which cannot be
// downloaded here: the base starts from Keras's random initialization
// (load the published vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5
// into the base with LoadKerasWeights to start where the book does).
func TransferLearning(classes int) (*models.Sequential, error) {
	if classes < 2 {
		return nil, fmt.Errorf("examples.TransferLearning: need at least 2 classes, got %d", classes)
	}
	base, err := applications.VGG19(false, applications.Options{InputShape: []int{224, 224, 3}})
	if err != nil {
		return nil, fmt.Errorf("examples.TransferLearning: %w", err)
	}
	base.SetTrainable(false)
	m := models.NewSequential(
		base,
		&layers.Flatten{Base: layers.Base{Name: "flattened"}},
		&layers.Dropout{Rate: 0.5, Base: layers.Base{Name: "dropout"}},
		&layers.Dense{Units: classes, Activation: activations.Softmax, Base: layers.Base{Name: "predictions"}},
	)
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		return nil, fmt.Errorf("examples.TransferLearning: %w", err)
	}
	return m, nil
}
