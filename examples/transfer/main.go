// Command transfer trains the model of the book's
// transfer_learning_in_keras (chapter 10): Keras's VGG19 without its top,
// frozen, then Flatten, Dropout(0.5) and a softmax Dense, fed by
// ImageDataGenerator streams with the notebook's augmentation (rotations
// up to 30°, horizontal flips, reflected borders) and trained with
// FitDataset, 15 steps of 32 images per epoch as the notebook does.
//
// The book starts from VGG19's ImageNet weights
// (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5), which cannot be
// downloaded here: without --weights the frozen base keeps Keras's random
// initialization, so the net learns only what a linear read-out of random
// convolutional features allows. Give --weights the published file to
// start where the book does.
//
// The data are either a directory in Keras's layout (--train and --valid,
// one subfolder per class, as the notebook's hot-dog-not-hot-dog/train and
// test) or the Oxford 17 Flowers photographs (--flowers, a directory of
// image_NNNN.jpg files, the last 10% held out for validation).
//
//	go run ./examples/transfer --flowers DIR --epochs 2
//	go run ./examples/transfer --train hot-dog/train --valid hot-dog/test --weights vgg19_notop.h5
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/preprocessing"
)

type options struct {
	train, valid, flowers, weights string
	epochs, steps, validSteps      int
	batch, workers                 int
	seed                           uint64
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("transfer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.train, "train", "", "training images in Keras's layout (one subfolder per class)")
	fs.StringVar(&o.valid, "valid", "", "validation images in Keras's layout (with --train)")
	fs.StringVar(&o.flowers, "flowers", "", "a directory of the Oxford 17 Flowers image_NNNN.jpg files instead")
	fs.StringVar(&o.weights, "weights", "", "Keras's VGG19 notop weights (.h5); without it the base is random, as ImageNet's weights cannot be had here")
	fs.IntVar(&o.epochs, "epochs", 16, "epochs")
	fs.IntVar(&o.steps, "steps", 15, "batches per epoch (steps_per_epoch)")
	fs.IntVar(&o.validSteps, "validation-steps", 15, "validation batches per epoch (validation_steps)")
	fs.IntVar(&o.batch, "batch-size", 32, "images per batch")
	fs.IntVar(&o.workers, "workers", 0, "goroutines decoding and augmenting images (0: GOMAXPROCS); the results do not depend on it")
	fs.Uint64Var(&o.seed, "seed", 42, "seed of the order, the augmentation, the weights and dropout")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: transfer (--flowers DIR | --train DIR --valid DIR) [flags]

Trains chapter 10's transfer-learning model: a frozen VGG19 base (Keras's
layer names), Flatten, Dropout(0.5), Dense(classes, softmax), on augmented
image streams. The book's ImageNet weights cannot be downloaded here: give
--weights vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 if you have the
file, else the frozen base stays random.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || (o.flowers == "") == (o.train == "") || (o.train == "") != (o.valid == "") {
		fmt.Fprintln(stderr, "transfer: give --flowers DIR, or --train DIR and --valid DIR")
		fs.Usage()
		return 2
	}
	if err := train(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "transfer:", err)
		return 1
	}
	return 0
}

// dataset is what a flow gives FitDataset, with Close to stop its workers.
type dataset interface {
	models.Dataset
	Close() error
}

func train(ctx context.Context, o options, stdout, stderr io.Writer) error {
	// The notebook's generators: augmentation for training, rescaling only
	// for validation.
	augment := &preprocessing.ImageDataGenerator{Rescale: 1.0 / 255, RotationRange: 30, HorizontalFlip: true, FillMode: preprocessing.FillReflect}
	plain := &preprocessing.ImageDataGenerator{Rescale: 1.0 / 255}
	flow := preprocessing.FlowOptions{TargetSize: [2]int{224, 224}, BatchSize: o.batch, Seed: o.seed, Workers: o.workers}
	var trainDS, validDS dataset
	classes := 0
	if o.flowers != "" {
		all, err := datasets.Flowers17(datasets.Flowers17Options{Dir: o.flowers, Seed: uint32(o.seed), Progress: stderr})
		if err != nil {
			return err
		}
		// Flowers17 has scaled the pixels by 1/255 already.
		augment.Rescale, plain.Rescale = 0, 0
		at := all.Len() - max(all.Len()/10, 1) // the last 10%, as validation_split 0.1
		tr, va := all.Slice(0, at), all.Slice(at, all.Len())
		t, err := augment.Flow(tr.X, tr.Y, flow)
		if err != nil {
			return err
		}
		trainDS = t
		vflow := flow
		vflow.NoShuffle = true
		v, err := plain.Flow(va.X, va.Y, vflow)
		if err != nil {
			return err
		}
		validDS = v
		classes = datasets.Flowers17Classes
	} else {
		t, err := augment.FlowFromDirectory(o.train, flow)
		if err != nil {
			return err
		}
		trainDS = t
		v, err := plain.FlowFromDirectory(o.valid, flow)
		if err != nil {
			return err
		}
		validDS = v
		if t.NumClasses() != v.NumClasses() {
			return fmt.Errorf("%s has %d classes, %s %d", o.train, t.NumClasses(), o.valid, v.NumClasses())
		}
		classes = t.NumClasses()
		fmt.Fprintf(stdout, "Found %d images belonging to %d classes.\nFound %d images belonging to %d classes.\n", t.Samples(), classes, v.Samples(), v.NumClasses())
	}
	defer trainDS.Close()
	defer validDS.Close()
	m, err := examples.TransferLearning(classes)
	if err != nil {
		return err
	}
	if o.weights != "" {
		base, ok := m.Layers()[0].(*models.Model)
		if !ok {
			return errors.New("the model's first layer is not the VGG19 base")
		}
		if err := base.LoadKerasWeights(o.weights); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stderr, "transfer: no --weights: the frozen VGG19 base keeps random weights (ImageNet's cannot be downloaded here)")
	}
	m.Seed = o.seed
	if err := m.Summary(stdout); err != nil {
		return err
	}
	_, err = m.FitDataset(ctx, trainDS, models.FitConfig{Epochs: o.epochs, StepsPerEpoch: o.steps,
		ValidationData: validDS, ValidationSteps: o.validSteps, Verbose: 1, Output: stdout, Seed: o.seed})
	return err
}
