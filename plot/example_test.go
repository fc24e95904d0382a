package plot_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/neurona/neurona/plot"
)

// A Keras CSVLogger file becomes series; BestEpoch finds where validation
// loss bottomed out, and LearningCurves would draw them with that epoch
// marked.
func ExampleReadHistoryCSV() {
	history := `epoch,loss,val_loss
0,90.1,80.4
1,40.2,38.9
2,25.3,27.3
3,20.7,28.8
`
	series, err := plot.ReadHistoryCSV(strings.NewReader(history))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range series {
		epoch, v := plot.BestEpoch(s)
		fmt.Printf("%s: %d epochs, best epoch %d: %v\n", s.Name, len(s.Values), epoch, v)
	}
	// plot.LearningCurves("curves.png", "Boston housing", series, "val_loss")

	// Output:
	// loss: 4 epochs, best epoch 4: 20.7
	// val_loss: 4 epochs, best epoch 3: 27.3
}
