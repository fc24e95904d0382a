package models_test

import (
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

// branchySummary is written out by hand from Keras 2.2's print_summary
// rules for a graph: 98 columns with stops 32, 53, 65 and 98; before each
// field after the first the line's last character becomes a space; fields
// are cut at their stop (the long name, and its connection in the last
// column); a merge's extra inputs go on continuation rows; layers in
// Keras's depth order. Trailing spaces are trimmed here and in the output.
const branchySummary = `Model: "branchy"
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to
==================================================================================================
in (InputLayer)                 (None, 8)            0
__________________________________________________________________________________________________
left (Dense)                    (None, 4)            36          in[0][0]
__________________________________________________________________________________________________
a_rather_long_layer_name_here ( (None, 3)            27          in[0][0]
__________________________________________________________________________________________________
merged (Concatenate)            (None, 7)            0           left[0][0]
                                                                 a_rather_long_layer_name_here[0][
__________________________________________________________________________________________________
out (Dense)                     (None, 1)            8           merged[0][0]
==================================================================================================
Total params: 71
Trainable params: 71
Non-trainable params: 0
__________________________________________________________________________________________________
`

func TestGraphSummaryLayout(t *testing.T) {
	in := layers.Apply(layers.Named("in", &layers.Input{Shape: []int{8}}))
	left := layers.Apply(layers.Named("left", &layers.Dense{Units: 4}), in)
	right := layers.Apply(layers.Named("a_rather_long_layer_name_here", &layers.Dense{Units: 3}), in)
	merged := layers.Apply(layers.Named("merged", &layers.Concatenate{}), left, right)
	out := layers.Apply(layers.Named("out", &layers.Dense{Units: 1}), merged)
	m, err := models.NewModel(ins(in), ins(out))
	if err != nil {
		t.Fatal(err)
	}
	m.Name = "branchy"
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if got := trimLines(b.String()); got != branchySummary {
		t.Errorf("summary:\n%s\nwant:\n%s", got, branchySummary)
	}
}

// TestChainSummaryLayout: a functional chain prints Keras's 65-column
// layout with its InputLayer row, and a nested model is one row.
func TestChainSummaryLayout(t *testing.T) {
	inner := layers.Apply(layers.Named("inner_in", &layers.Input{Shape: []int{3}}))
	nested, err := models.NewModel(ins(inner), ins(layers.Apply(layers.Named("inner_dense", &layers.Dense{Units: 2}), inner)))
	if err != nil {
		t.Fatal(err)
	}
	nested.Name = "sub"
	in := layers.Apply(layers.Named("x", &layers.Input{Shape: []int{5}}))
	h := layers.Apply(layers.Named("d", &layers.Dense{Units: 3}), in)
	m, err := models.NewModel(ins(in), ins(layers.Apply(nested, h)))
	if err != nil {
		t.Fatal(err)
	}
	m.Name = "chain"
	nested.SetTrainable(false)
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	want := `Model: "chain"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
x (InputLayer)               (None, 5)                 0
_________________________________________________________________
d (Dense)                    (None, 3)                 18
_________________________________________________________________
sub (Model)                  (None, 2)                 8
=================================================================
Total params: 26
Trainable params: 18
Non-trainable params: 8
`
	if got := trimLines(b.String()); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
