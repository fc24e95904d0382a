package examples

import (
	"bytes"
	"strings"
	"testing"
)

// The transfer-learning model has the counts A11 computes: 20,074,562
// weights, the 50,178 of "predictions" trainable, VGG19 nested as one
// layer.
func TestTransferLearning(t *testing.T) {
	m, err := TransferLearning(2)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"vgg19 (Model)                (None, 7, 7, 512)         20024384",
		"flattened (Flatten)          (None, 25088)             0",
		"predictions (Dense)          (None, 2)                 50178",
		"Total params: 20,074,562", "Trainable params: 50,178", "Non-trainable params: 20,024,384",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	n := 0
	for _, w := range m.TrainableWeights() {
		n += w.Var.Value.Size()
	}
	if n != 50178 {
		t.Errorf("trainable weights hold %d values, want 50178", n)
	}
	if _, err := TransferLearning(1); err == nil {
		t.Error("TransferLearning(1) gave no error")
	}
}
