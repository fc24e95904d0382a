package mnist_test

import (
	"fmt"
	"log"

	"github.com/neurona/neurona/datasets/mnist"
)

func ExampleLoad() {
	train, test, err := mnist.Load()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.X.Shape, train.Y.Shape, test.X.Shape, test.Y.Shape)
	fmt.Println(train.Y.Data[:12], test.Y.Data[0])
	// Output:
	// [60000 28 28] [60000] [10000 28 28] [10000]
	// [5 0 4 1 9 2 1 3 1 4 3 5] 7
}
