package preprocessing_test

import (
	"fmt"
	"log"

	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

func ExampleToCategorical() {
	y := tensor.FromSlice([]float32{0, 2, 1}, 3)
	onehot, err := preprocessing.ToCategorical(y, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(onehot)
	// Output:
	// Tensor(3, 3)[1 0 0 0 0 1 0 1 0]
}

func ExampleStandardizer() {
	train := tensor.FromSlice([]float32{1, 100, 3, 300}, 2, 2)
	test := tensor.FromSlice([]float32{2, 500}, 1, 2)

	var s preprocessing.Standardizer
	if err := s.Fit(train); err != nil { // statistics from the training data only
		log.Fatal(err)
	}
	xs, err := s.Transform(test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Mean, s.Std, xs.Data)
	// Output:
	// [2 200] [1 100] [0 3]
}

func ExampleFlatten() {
	images := tensor.New(60, 28, 28)
	fmt.Println(preprocessing.Flatten(images).Shape)
	// Output:
	// [60 784]
}
