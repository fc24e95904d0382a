package spec

import (
	"bytes"
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/tensor"
)

// stateGraph reads an LSTM's final states by Keras's "layer[node][tensor]"
// references.
const stateGraph = `model:
  layers:
    - Input: {name: seq, shape: [5, 3]}
    - LSTM: {name: enc, units: 4, return_state: true}
    - Concatenate: {name: hc}
      inputs: ["enc[0][1]", "enc[0][2]"]
    - Dense: {name: out, units: 1}
  outputs: [out, "enc[0][2]"]
compile: {loss: mse, optimizer: adam}
`

// TestGraphSpecStates: a graph spec reaches a layer's second and third
// tensors, and builds the model the functional API builds.
func TestGraphSpecStates(t *testing.T) {
	s, err := Parse([]byte(stateGraph), "g.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Build(7)
	if err != nil {
		t.Fatal(err)
	}
	in := layers.NewInput(5, 3)
	ys := layers.ApplyMulti(&layers.LSTM{Units: 4, ReturnState: true, Base: layers.Base{Name: "enc"}}, in)
	y := layers.Apply(&layers.Dense{Units: 1, Base: layers.Base{Name: "out"}}, layers.Apply(&layers.Concatenate{Base: layers.Base{Name: "hc"}}, ys[1], ys[2]))
	g, err := models.NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{y, ys[2]})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := m.GetWeights()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetWeights(ws); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 5, 3)
	tensor.NewRNG(1).Normal(x, 0, 1)
	a, err := m.PredictMulti([]*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.PredictMulti([]*tensor.Tensor{x})
	if err != nil {
		t.Fatal(err)
	}
	for k := range a {
		if !tensor.EqualShape(a[k].Shape, b[k].Shape) {
			t.Fatalf("output %d: shape %v, the functional API's %v", k, a[k].Shape, b[k].Shape)
		}
		for i, v := range a[k].Data {
			if v != b[k].Data[i] {
				t.Fatalf("output %d [%d]: %v, the functional API's %v", k, i, v, b[k].Data[i])
			}
		}
	}
	var sum bytes.Buffer
	if err := m.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sum.String(), "enc[0][1]") || !strings.Contains(sum.String(), "enc[0][2]") {
		t.Errorf("summary:\n%s", sum.String())
	}
}

func TestGraphSpecStateErrors(t *testing.T) {
	for _, c := range []struct{ old, new, want string }{
		{`inputs: ["enc[0][1]", "enc[0][2]"]`, `inputs: ["enc[0][1]", "enc[0][3]"]`, `g.yaml:6: "enc[0][3]": layer "enc" (LSTM) returns 3 tensors, [0] to [2]`},
		{`outputs: [out, "enc[0][2]"]`, `outputs: [out, "hc[0][1]"]`, `g.yaml:8: "hc[0][1]": layer "hc" (Concatenate) returns one tensor, [0]`},
		{`outputs: [out, "enc[0][2]"]`, `outputs: [out, "enc[1][0]"]`, `layer "enc" has applications 0 to 0 only`},
	} {
		src := strings.Replace(stateGraph, c.old, c.new, 1)
		s, err := Parse([]byte(src), "g.yaml", "")
		if err == nil {
			_, err = s.Build(1)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.new, err, c.want)
		}
	}
}
