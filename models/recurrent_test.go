package models_test

import (
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

// TestRecurrentSummary checks the recurrent rows of Keras 2.2's summaries
// (the book's A15–A18 after their Embedding and SpatialDropout1D).
func TestRecurrentSummary(t *testing.T) {
	layers.ResetNames()
	m := models.NewSequential(
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 64, Dropout: 0.2, ReturnSequences: true}, Base: layers.Base{InputShape: []int{200, 64}}},
		&layers.Bidirectional{Layer: &layers.LSTM{Units: 64, Dropout: 0.2}},
		&layers.Dense{Units: 1, Activation: activations.Sigmoid},
	)
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"bidirectional_1 (Bidirection (None, 200, 128)          66048",
		"bidirectional_2 (Bidirection (None, 128)               98816",
		"dense_1 (Dense)              (None, 1)                 129",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary has no row %q:\n%s", want, b.String())
		}
	}
	ws := m.Weights()
	if ws[0].Name != "bidirectional_1/forward_lstm_1/kernel" || ws[3].Name != "bidirectional_1/backward_lstm_1/kernel" ||
		ws[6].Name != "bidirectional_2/forward_lstm_2/kernel" {
		t.Errorf("weights named %s, %s, %s", ws[0].Name, ws[3].Name, ws[6].Name)
	}
	layers.ResetNames()
	for _, c := range []struct {
		l    layers.Layer
		want string
	}{
		{&layers.SimpleRNN{Units: 256, Dropout: 0.2, Base: layers.Base{InputShape: []int{100, 64}}}, "simple_rnn_1 (SimpleRNN)     (None, 256)               82176"},
		{&layers.LSTM{Units: 256, Dropout: 0.2, Base: layers.Base{InputShape: []int{100, 64}}}, "lstm_1 (LSTM)                (None, 256)               328704"},
		{&layers.GRU{Units: 256, Dropout: 0.2, Base: layers.Base{InputShape: []int{100, 64}}}, "gru_1 (GRU)                  (None, 256)               246528"},
		{&layers.Bidirectional{Layer: &layers.LSTM{Units: 256, Dropout: 0.2}, Base: layers.Base{InputShape: []int{200, 64}}}, "bidirectional_1 (Bidirection (None, 512)               657408"},
	} {
		layers.ResetNames()
		var b strings.Builder
		if err := models.NewSequential(c.l).Summary(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("summary has no row %q:\n%s", c.want, b.String())
		}
	}
}
