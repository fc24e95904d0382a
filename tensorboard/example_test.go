package tensorboard_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/neurona/neurona/tensorboard"
)

// Log two epochs of training as Keras's TensorBoard callback does, then view
// them with: tensorboard --logdir <logdir>
func Example() {
	logdir, err := os.MkdirTemp(os.TempDir(), "neurona-tensorboard-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	train, validation, err := tensorboard.NewRunWriters(logdir)
	if err != nil {
		log.Fatal(err)
	}
	weights := []float32{-0.3, 0.1, 0.2, 0.05}
	for epoch := range int64(2) {
		train.Scalar("epoch_loss", epoch, 1/float64(epoch+1))
		validation.Scalar("epoch_loss", epoch, 1.2/float64(epoch+1))
		train.Histogram("dense/kernel", epoch, weights)
	}
	if err := train.Close(); err != nil {
		log.Fatal(err)
	}
	if err := validation.Close(); err != nil {
		log.Fatal(err)
	}

	runs, _ := filepath.Glob(filepath.Join(logdir, "*", "events.out.tfevents.*"))
	for _, r := range runs {
		rel, _ := filepath.Rel(logdir, filepath.Dir(r))
		fmt.Println(rel)
	}
	// Output:
	// train
	// validation
}
