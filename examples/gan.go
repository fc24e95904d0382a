package examples

import (
	"fmt"
	"sort"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/applications"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
)

// The GAN of generative_adversarial_network.ipynb (Deep Learning
// Illustrated, chapter 12), written with the functional API. Its layers
// take Keras's automatic names from the process-wide counters, so build
// the discriminator first and the generator second, as the notebook does,
// for the notebook's names (the generator's first Dense is dense_2).

// GANDiscriminator returns the notebook's build_discriminator(depth=64,
// p=0.4): four 5×5 ReLU convolutions with dropout, a Flatten and a
// sigmoid unit, on 28×28×1 images.
func GANDiscriminator() (*models.Model, error) {
	return BuildDiscriminator(64, 0.4)
}

// BuildDiscriminator is the notebook's build_discriminator(depth, p).
func BuildDiscriminator(depth int, p float32) (*models.Model, error) {
	image := layers.NewInput(28, 28, 1)
	x := image
	for i, s := range []int{2, 2, 2, 1} {
		x = layers.Apply(&layers.Conv2D{Filters: depth << i, KernelSize: [2]int{5, 5}, Strides: [2]int{s, s},
			Padding: layers.Same, Activation: activations.ReLU}, x)
		x = layers.Apply(&layers.Dropout{Rate: p}, x)
	}
	x = layers.Apply(&layers.Flatten{}, x)
	prob := layers.Apply(&layers.Dense{Units: 1, Activation: activations.Sigmoid}, x)
	return models.NewModel([]*layers.KerasTensor{image}, []*layers.KerasTensor{prob})
}

// CompileDiscriminator compiles a discriminator as the notebook does:
// binary cross-entropy, RMSprop(lr=0.0008, decay=6e-8, clipvalue=1.0) and
// accuracy.
func CompileDiscriminator(d *models.Model) error {
	opt := &optimizers.RMSprop{LR: 0.0008, Decay: 6e-8, ClipValue: 1.0}
	return d.Compile(losses.BinaryCrossentropy{}, opt, metrics.Accuracy())
}

// GANGenerator returns the notebook's build_generator(latent_dim=32,
// depth=64, p=0.4): from a 32-dimensional noise vector to a 28×28×1 image
// through a 7×7×64 map, two upsamplings and transposed convolutions with
// batch normalization.
func GANGenerator() (*models.Model, error) {
	return BuildGenerator(32, 64, 0.4)
}

// BuildGenerator is the notebook's build_generator(latent_dim, depth, p).
func BuildGenerator(latentDim, depth int, p float32) (*models.Model, error) {
	noise := layers.NewInput(latentDim)
	bnRelu := func(x *layers.KerasTensor) *layers.KerasTensor {
		x = layers.Apply(&layers.BatchNormalization{Momentum: 0.9}, x)
		return layers.Apply(&layers.Activation{Activation: activations.ReLU}, x)
	}
	deconv := func(filters int, x *layers.KerasTensor) *layers.KerasTensor {
		return layers.Apply(&layers.Conv2DTranspose{Filters: filters, KernelSize: [2]int{5, 5}, Padding: layers.Same}, x)
	}
	x := layers.Apply(&layers.Dense{Units: depth * 7 * 7}, noise)
	x = bnRelu(x)
	x = layers.Apply(&layers.Reshape{TargetShape: []int{7, 7, depth}}, x)
	x = layers.Apply(&layers.Dropout{Rate: p}, x)

	x = layers.Apply(&layers.UpSampling2D{}, x)
	x = bnRelu(deconv(depth/2, x))
	x = layers.Apply(&layers.UpSampling2D{}, x)
	x = bnRelu(deconv(depth/4, x))
	x = bnRelu(deconv(depth/8, x))

	image := layers.Apply(&layers.Conv2D{Filters: 1, KernelSize: [2]int{5, 5}, Padding: layers.Same,
		Activation: activations.Sigmoid}, x)
	return models.NewModel([]*layers.KerasTensor{noise}, []*layers.KerasTensor{image})
}

// GAN builds the notebook's discriminator, compiled, and then its
// generator, in the notebook's order.
func GAN() (discriminator, generator *models.Model, err error) {
	d, err := GANDiscriminator()
	if err != nil {
		return nil, nil, err
	}
	if err := CompileDiscriminator(d); err != nil {
		return nil, nil, err
	}
	g, err := GANGenerator()
	if err != nil {
		return nil, nil, err
	}
	return d, g, nil
}

// GANAdversarial builds the notebook's adversarial model: z = Input(32),
// pred = d(g(z)), with d frozen (d.SetTrainable(false)), so that only the
// generator learns through it. Call it after d was compiled, as the
// notebook does: d keeps training through its own TrainOnBatch. The model
// is compiled with binary cross-entropy, RMSprop(lr=0.0004, decay=3e-8,
// clipvalue=1.0) and accuracy.
func GANAdversarial(d, g *models.Model) (*models.Model, error) {
	return GANAdversarialWith(d, g, &optimizers.RMSprop{LR: 0.0004, Decay: 3e-8, ClipValue: 1.0}, metrics.Accuracy())
}

// GANAdversarialWith is GANAdversarial with another optimizer and metric
// (the awkward GAN's binary_accuracy, or the notebook's commented Adam).
func GANAdversarialWith(d, g *models.Model, opt optimizers.Optimizer, metric metrics.Metric) (*models.Model, error) {
	if d == nil || g == nil {
		return nil, fmt.Errorf("examples.GANAdversarial: needs a discriminator and a generator (got d=%v, g=%v)", d != nil, g != nil)
	}
	d.SetTrainable(false)
	z := layers.NewInput(g.InputShape()...)
	pred := layers.Apply(d, layers.Apply(g, z))
	a, err := models.NewModel([]*layers.KerasTensor{z}, []*layers.KerasTensor{pred})
	if err != nil {
		return nil, fmt.Errorf("examples.GANAdversarial: %w", err)
	}
	if err := a.Compile(losses.BinaryCrossentropy{}, opt, metric); err != nil {
		return nil, fmt.Errorf("examples.GANAdversarial: compile: %w", err)
	}
	return a, nil
}

// summaryOnly holds the book examples written in Go rather than as specs:
// their models are built and summarized, but they do not train yet.
var summaryOnly = map[string]struct {
	about string
	build func() ([]*models.Model, error)
}{
	"gan": {
		about: "Chapter 12's GAN on Quick, Draw! apples: the discriminator (4,311,553 params), the generator (183,713 params) and the adversarial model joining them (only the generator trainable). 'neurona run gan' trains it.",
		build: func() ([]*models.Model, error) {
			d, g, err := GAN()
			if err != nil {
				return nil, err
			}
			a, err := GANAdversarial(d, g)
			if err != nil {
				return nil, err
			}
			return []*models.Model{d, g, a}, nil
		},
	},
	"vgg19": {
		about: "Keras's VGG19 application without its top (applications.VGG19), the base of chapter 10's transfer learning: 20,024,384 params, Keras's layer names.",
		build: func() ([]*models.Model, error) {
			m, err := applications.VGG19(false)
			return []*models.Model{m}, err
		},
	},
	"transfer-learning": {
		about: "Chapter 10's transfer learning: a frozen VGG19 base, Flatten, Dropout and a 2-class softmax (20,074,562 params, 50,178 trainable); ImageNet's weights cannot be had here, so the base starts random. 'go run ./examples/transfer' trains it on augmented image streams.",
		build: func() ([]*models.Model, error) {
			m, err := TransferLearning(2)
			if err != nil {
				return nil, err
			}
			return []*models.Model{m.Model}, nil
		},
	},
}

// SummaryOnlyNames lists the book examples whose models 'neurona summary
// NAME' prints but that do not train yet (they have no spec), sorted.
func SummaryOnlyNames() []string {
	var names []string
	for n := range summaryOnly {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SummaryOnlyAbout says what a summary-only example is, or "" for another
// name.
func SummaryOnlyAbout(name string) string { return summaryOnly[name].about }

// SummaryOnlyModels builds the models of a summary-only example, in the
// notebook's order. It reports whether name is one.
func SummaryOnlyModels(name string) ([]*models.Model, bool, error) {
	e, ok := summaryOnly[name]
	if !ok {
		return nil, false, nil
	}
	ms, err := e.build()
	return ms, true, err
}
