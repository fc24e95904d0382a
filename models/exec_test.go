package models

import (
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// TestTrainingRefusedWhileReading holds a reading call open (as a Predict in
// flight does) on a model nested in another: training either model is
// refused, and allowed again once the reader is done.
func TestTrainingRefusedWhileReading(t *testing.T) {
	inner := layers.NewInput(3)
	nested, err := NewModel([]*layers.KerasTensor{inner}, []*layers.KerasTensor{layers.Apply(&layers.Dense{Units: 2}, inner)})
	if err != nil {
		t.Fatal(err)
	}
	in := layers.NewInput(3)
	outer, err := NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{layers.Apply(nested, in)})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{nested, outer} {
		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
			t.Fatal(err)
		}
	}
	x, y := tensor.New(4, 3), tensor.New(4, 2)
	if err := nested.begin("predict", false); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{nested, outer} {
		if _, err := m.TrainOnBatch(x, y); err == nil || !strings.Contains(err.Error(), "predicting or evaluating in another call") {
			t.Errorf("TrainOnBatch on %s while its nested model predicts: %v", m.Name, err)
		}
	}
	if _, err := outer.Predict(x); err != nil {
		t.Errorf("a second reader was refused: %v", err)
	}
	nested.end(false)
	for _, m := range []*Model{nested, outer} {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Errorf("TrainOnBatch on %s after the reader ended: %v", m.Name, err)
		}
	}
}
