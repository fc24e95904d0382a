package models

import (
	"errors"
	"fmt"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

// Sequential is a linear stack of layers, as keras.Sequential: a Model
// whose graph is the chain of its layers, over the same engine.
//
// A Sequential builds its layers (creating their weights) once the input
// shape is known: from the first layer's InputShape/InputDim or from a
// layers.Input added first. Weights are drawn from the RNG seeded by Seed.
// Its concurrency rules are Model's.
type Sequential struct {
	*Model

	stack []layers.Layer
	built bool
}

// NewSequential returns a model with the given layers.
func NewSequential(ls ...layers.Layer) *Sequential {
	m := &Sequential{Model: &Model{class: "Sequential"}}
	m.Name = layers.UniqueName("sequential")
	m.ensure, m.seq = m.Build, m
	for _, l := range ls {
		m.Add(l)
	}
	return m
}

// Add appends a layer. A layer without a name gets Keras's per-class name
// (dense_1, batch_normalization_1, …). Shapes are checked when the model is
// built, by Build, Compile, Summary, Fit or Predict; layers built before
// keep their weights.
func (m *Sequential) Add(l layers.Layer) {
	layers.AutoName(l)
	m.stack = append(m.stack, l)
	m.built = false
}

// Layers returns the model's layers, an Input layer excluded.
func (m *Sequential) Layers() []layers.Layer {
	var ls []layers.Layer
	for _, l := range m.stack {
		if _, ok := l.(*layers.Input); !ok {
			ls = append(ls, l)
		}
	}
	return ls
}

// Layer returns the layer with the given name.
func (m *Sequential) Layer(name string) (layers.Layer, error) {
	for _, l := range m.stack {
		if l.LayerName() == name {
			return l, nil
		}
	}
	return nil, fmt.Errorf("model %q has no layer %q", m.Name, name)
}

// ErrNoInputShape is returned when a model's input shape is unknown.
var ErrNoInputShape = errors.New("the model's input shape is unknown: give the first layer an InputShape or InputDim, or add a layers.Input first")

// Build builds the layers for the declared input shape, creating their
// weights: the chain's graph from an Input to the last layer. It does
// nothing if the model is already built.
func (m *Sequential) Build() error {
	if m.built {
		return nil
	}
	if len(m.stack) == 0 {
		return errors.New("the model has no layers")
	}
	first := m.stack[0]
	shape := first.InputSpec()
	if shape == nil {
		return ErrNoInputShape
	}
	names := map[string]bool{}
	for _, l := range m.stack {
		if names[l.LayerName()] {
			return fmt.Errorf("two layers are named %q: layer names must be unique", l.LayerName())
		}
		names[l.LayerName()] = true
	}
	in, ok := first.(*layers.Input)
	rest := m.stack
	if ok {
		rest = m.stack[1:]
	} else {
		// Keras's Sequential makes its own input layer, named after the
		// first layer; it uses no name counter.
		in = &layers.Input{Shape: shape}
		in.SetLayerName(first.LayerName() + "_input")
	}
	x := layers.Apply(in)
	prev := in.LayerName()
	for _, l := range rest {
		if decl := l.InputSpec(); l != first && decl != nil && !tensor.EqualShape(decl, x.Shape()) && x.Err() == nil {
			return fmt.Errorf("layer %q (%s) declares input shape %s but receives %s from layer %q",
				l.LayerName(), l.ClassName(), noneShape(decl), noneShape(x.Shape()), prev)
		}
		x = layers.Apply(l, x)
		if x.Err() != nil && layers.Built(l) && layers.NumOutputs(l) > 1 {
			return fmt.Errorf("layer %q (%s) returns %d tensors (return_state, or Bidirectional's merge_mode none): the layers of a Sequential model have one output each, as in Keras; use the functional API (models.NewModel, with layers.ApplyMulti)",
				l.LayerName(), l.ClassName(), layers.NumOutputs(l))
		}
		if x.Err() != nil {
			return x.Err()
		}
		prev = l.LayerName()
	}
	if err := m.setGraph([]*layers.KerasTensor{layers.Apply(in)}, []*layers.KerasTensor{x}); err != nil {
		return err
	}
	// The summary and the weights list the layers in the order they were
	// added, as Keras's Sequential does.
	m.ls = m.Layers()
	if !allInitialized(m.ls) {
		initAll(m.ls, tensor.NewRNG(m.Seed))
	}
	m.built = true
	m.metrics = nil // Compile's per-output state is redone for the new graph
	return nil
}

// InputShape returns the input shape without the batch dimension, or nil
// before the model is built.
func (m *Sequential) InputShape() []int {
	if !m.built {
		return nil
	}
	return m.Model.InputShape()
}

// OutputShape returns the output shape without the batch dimension, or nil
// before the model is built.
func (m *Sequential) OutputShape() []int {
	if !m.built {
		return nil
	}
	return m.Model.OutputShape()
}
