package models_test

import (
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// TestMaskZeroPrePadding: with Embedding(mask_zero=True), a sequence with
// leading zero padding gives the same output as the unpadded sequence, for
// an LSTM, a Bidirectional GRU and a GlobalAveragePooling1D, each sharing the same weights.
func TestMaskZeroPrePadding(t *testing.T) {
	for _, rnn := range []func() layers.Layer{
		func() layers.Layer { return &layers.LSTM{Units: 5} },
		func() layers.Layer { return &layers.Bidirectional{Layer: &layers.GRU{Units: 4}} },
		// Keras 2.2.3's masked GlobalAveragePooling1D: the mean over the
		// unmasked steps.
		func() layers.Layer { return &layers.GlobalAveragePooling1D{} },
	} {
		layers.ResetNames()
		build := func(steps int) *models.Sequential {
			m := models.NewSequential(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true, InputLength: steps}, rnn(), &layers.Dense{Units: 2})
			m.Seed = 7
			if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.1}); err != nil {
				t.Fatal(err)
			}
			return m
		}
		short, long := build(3), build(6)
		ws, err := short.GetWeights()
		if err != nil {
			t.Fatal(err)
		}
		if err := long.SetWeights(ws); err != nil {
			t.Fatal(err)
		}
		a, err := short.PredictOnBatch(tensor.FromSlice([]float32{4, 2, 9}, 1, 3))
		if err != nil {
			t.Fatal(err)
		}
		a = a.Clone()
		b, err := long.PredictOnBatch(tensor.FromSlice([]float32{0, 0, 0, 4, 2, 9}, 1, 6))
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Data {
			if math.Abs(float64(a.Data[i]-b.Data[i])) > 1e-6 {
				t.Errorf("%T: padded output %v, unpadded %v", rnn(), b.Data, a.Data)
				break
			}
		}
	}
}

// TestMaskOnUnmaskableLayer: a mask reaching Conv1D is an error naming it.
func TestMaskOnUnmaskableLayer(t *testing.T) {
	layers.ResetNames()
	m := models.NewSequential(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true, InputLength: 6},
		&layers.Conv1D{Filters: 2, KernelSize: 3}, &layers.Flatten{}, &layers.Dense{Units: 1})
	err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.1})
	if err == nil || !strings.Contains(err.Error(), "layer conv1d_1 (Conv1D) does not support masking") {
		t.Fatalf("got %v", err)
	}
}

// TestMaskZeroSaveLoad: Save and Load keep mask_zero, and the loaded model
// still ignores the padding (same output as the saved one on padded ids).
func TestMaskZeroSaveLoad(t *testing.T) {
	layers.ResetNames()
	m := models.NewSequential(&layers.Embedding{InputDim: 10, OutputDim: 3, MaskZero: true, InputLength: 5}, &layers.LSTM{Units: 4}, &layers.Dense{Units: 1})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{LR: 0.1}); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice([]float32{0, 0, 3, 1, 7}, 1, 5)
	a, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	a = a.Clone()
	path := t.TempDir() + "/m.neurona"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := l.Layers()[0].(*layers.Embedding); !ok || !e.MaskZero {
		t.Fatalf("loaded first layer %#v, want an Embedding with MaskZero", l.Layers()[0])
	}
	b, err := l.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	if a.Data[0] != b.Data[0] {
		t.Errorf("loaded model gives %v, saved %v", b.Data, a.Data)
	}
}
