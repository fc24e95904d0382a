package datasets_test

import (
	"fmt"
	"log"

	"github.com/neurona/neurona/datasets"
)

func ExampleBostonHousing() {
	train, test, err := datasets.BostonHousing()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.X.Shape, train.Y.Shape, test.X.Shape, test.Y.Shape)
	fmt.Println(train.Y.Data[:5])
	// Output:
	// [404 13] [404] [102 13] [102]
	// [15.2 42.3 50 21.1 17.7]
}
