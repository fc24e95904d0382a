package models_test

import (
	"fmt"
	"os"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// A graph with two branches from one input, merged: Keras's functional
// API. The summary takes Keras 2.2's graph layout.
func ExampleNewModel() {
	in := layers.Apply(layers.Named("features", &layers.Input{Shape: []int{4}}))
	wide := layers.Apply(layers.Named("wide", &layers.Dense{Units: 8, Activation: activations.ReLU}), in)
	deep := layers.Apply(layers.Named("deep", &layers.Dense{Units: 8, Activation: activations.Tanh}), in)
	both := layers.Apply(layers.Named("both", &layers.Concatenate{}), wide, deep)
	out := layers.Apply(layers.Named("price", &layers.Dense{Units: 1}), both)
	m, err := models.NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{out})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Name = "wide_and_deep"
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		fmt.Println(err)
		return
	}
	x, y := tensor.New(16, 4), tensor.New(16, 1)
	if _, err := m.TrainOnBatch(x, y); err != nil {
		fmt.Println(err)
		return
	}
	total, trainable := m.CountParams()
	fmt.Println(total, trainable, m.MetricNames())
	// Output: 97 97 [loss]
}

// A layer applied to two inputs shares its weights.
func ExampleModel_Summary() {
	a := layers.Apply(layers.Named("a", &layers.Input{Shape: []int{3}}))
	b := layers.Apply(layers.Named("b", &layers.Input{Shape: []int{3}}))
	shared := layers.Named("shared", &layers.Dense{Units: 2})
	diff := layers.Apply(layers.Named("diff", &layers.Subtract{}), layers.Apply(shared, a), layers.Apply(shared, b))
	m, err := models.NewModel([]*layers.KerasTensor{a, b}, []*layers.KerasTensor{diff})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Name = "siamese"
	if err := m.Summary(trimmed{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Model: "siamese"
	// __________________________________________________________________________________________________
	// Layer (type)                    Output Shape         Param #     Connected to
	// ==================================================================================================
	// a (InputLayer)                  (None, 3)            0
	// __________________________________________________________________________________________________
	// b (InputLayer)                  (None, 3)            0
	// __________________________________________________________________________________________________
	// shared (Dense)                  (None, 2)            8           a[0][0]
	//                                                                  b[0][0]
	// __________________________________________________________________________________________________
	// diff (Subtract)                 (None, 2)            0           shared[0][0]
	//                                                                  shared[1][0]
	// ==================================================================================================
	// Total params: 8
	// Trainable params: 8
	// Non-trainable params: 0
	// __________________________________________________________________________________________________
}

// trimmed writes to stdout without trailing spaces, which godoc's output
// comparison would otherwise keep.
type trimmed struct{}

func (trimmed) Write(p []byte) (int, error) {
	_, err := os.Stdout.WriteString(trimLines(string(p)))
	return len(p), err
}
