package preprocessing_test

import (
	"fmt"
	"log"

	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// Flow streams in-memory images in shuffled, augmented batches. The
// result is a Dataset (Len and Batch) that models.FitDataset trains on;
// the order and the transforms are fixed by the seed, whatever the number
// of workers.
func ExampleImageDataGenerator_Flow() {
	// Ten 8×8 RGB images, image i filled with the value 10·i, labelled i.
	x := tensor.New(10, 8, 8, 3)
	y := tensor.New(10, 1)
	for i := range 10 {
		row := x.Row(i)
		for k := range row {
			row[k] = float32(10 * i)
		}
		y.Data[i] = float32(i)
	}
	gen := &preprocessing.ImageDataGenerator{
		RotationRange:  20,
		Zoom:           0.1,
		HorizontalFlip: true,
		Rescale:        1.0 / 255,
	}
	batches, err := gen.Flow(x, y, preprocessing.FlowOptions{BatchSize: 4, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer batches.Close()
	fmt.Println("batches per pass:", batches.Len())
	for pass := range 2 {
		for i := range batches.Len() {
			xs, ys, err := batches.Batch(pass, i)
			if err != nil {
				log.Fatal(err)
			}
			// A constant image stays constant under rotation and zoom
			// (FillNearest), so each image's first pixel tells its label.
			fmt.Printf("pass %d batch %d: %v labels %v, first pixels", pass, i, xs[0].Shape, ys[0].Data)
			for r := range xs[0].Shape[0] {
				fmt.Printf(" %.3f", xs[0].Row(r)[0])
			}
			fmt.Println()
		}
	}
	// Output:
	// batches per pass: 3
	// pass 0 batch 0: [4 8 8 3] labels [3 1 5 8], first pixels 0.118 0.039 0.196 0.314
	// pass 0 batch 1: [4 8 8 3] labels [9 6 2 4], first pixels 0.353 0.235 0.078 0.157
	// pass 0 batch 2: [2 8 8 3] labels [7 0], first pixels 0.275 0.000
	// pass 1 batch 0: [4 8 8 3] labels [0 8 5 1], first pixels 0.000 0.314 0.196 0.039
	// pass 1 batch 1: [4 8 8 3] labels [2 3 9 7], first pixels 0.078 0.118 0.353 0.275
	// pass 1 batch 2: [2 8 8 3] labels [4 6], first pixels 0.157 0.235
}
