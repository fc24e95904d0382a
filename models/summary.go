package models

import (
	"fmt"
	"io"

	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

// Summary writes Keras 2.2's summary table of the model to w. A chain of
// layers (every Sequential, and a functional model without branches or
// merges) prints the 65-column layout, a functional chain with its
// InputLayer row; a graph prints the 98-column layout with the
// "Connected to" column. A nested model is one row with its class.
func (m *Model) Summary(w io.Writer) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	total, trainable := m.CountParams()
	if m.sequentialLike() {
		var rows []kerasfmt.SummaryRow
		for _, l := range m.ls {
			shape, shapes := m.layerOutputShapes(l)
			rows = append(rows, kerasfmt.SummaryRow{Name: l.LayerName(), Class: l.ClassName(), OutputShape: shape, OutputShapes: shapes, Params: countParams(l)})
		}
		return kerasfmt.WriteSummary(w, m.Name, rows, total, trainable)
	}
	inGraph := map[*layers.Node]bool{}
	for _, n := range m.nodes {
		inGraph[n] = true
	}
	var rows []kerasfmt.GraphRow
	for _, l := range m.ls {
		shape, shapes := m.layerOutputShapes(l)
		row := kerasfmt.GraphRow{Name: l.LayerName(), Class: l.ClassName(), OutputShape: shape, OutputShapes: shapes, Params: countParams(l)}
		for _, n := range nodesOf(l) {
			if !inGraph[n] {
				continue
			}
			for _, x := range n.Inputs {
				src, ti := x.Node()
				row.Connections = append(row.Connections, fmt.Sprintf("%s[%d][%d]", src.Layer.LayerName(), src.Index, ti))
			}
		}
		rows = append(rows, row)
	}
	return kerasfmt.WriteGraphSummary(w, m.Name, rows, total, trainable)
}

// sequentialLike is Keras 2.2's test: no depth holds two nodes and no node
// has several inputs.
func (m *Model) sequentialLike() bool {
	if m.class == "Sequential" {
		return true
	}
	for _, n := range m.nodes {
		if len(n.Inputs) > 1 {
			return false
		}
	}
	// A chain's nodes each feed exactly the next one (through any of
	// their outputs).
	uses := map[*layers.Node]int{}
	for _, n := range m.nodes {
		for _, x := range n.Inputs {
			src, _ := x.Node()
			uses[src]++
		}
	}
	for _, n := range m.nodes {
		if uses[n] > 1 {
			return false
		}
	}
	return len(m.inputs) == 1 && len(m.outputs) == 1
}

// layerOutputShapes is the layer's output shape, or nil ("multiple") when
// its nodes in this model have different shapes; for a layer with several
// outputs, shapes lists them (Keras prints the list).
func (m *Model) layerOutputShapes(l layers.Layer) (shape []int, shapes [][]int) {
	var first []*layers.KerasTensor
	for i, n := range nodesOf(l) {
		outs := nodeOutputs(n)
		if i == 0 {
			first = outs
			continue
		}
		if len(outs) != len(first) {
			return nil, nil
		}
		for k, t := range outs {
			if !tensor.EqualShape(t.Shape(), first[k].Shape()) {
				return nil, nil
			}
		}
	}
	if first == nil {
		return l.OutputShape(), nil
	}
	if len(first) > 1 {
		for _, t := range first {
			shapes = append(shapes, t.Shape())
		}
	}
	return first[0].Shape(), shapes
}

func nodesOf(l layers.Layer) []*layers.Node {
	if nl, ok := l.(interface{ Nodes() []*layers.Node }); ok {
		return nl.Nodes()
	}
	return nil
}

func countParams(l layers.Layer) int {
	n := 0
	for _, w := range l.Weights() {
		n += w.Var.Value.Size()
	}
	return n
}
