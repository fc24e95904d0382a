// Package models holds Keras's models: Model, a graph of layers built with
// the functional API, and Sequential, a chain of layers over the same
// engine. Both Compile, Fit, Evaluate, Predict, Summary, Save and Load.
package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/tensor"
)

// Model is a graph of layers from its inputs to its outputs, as Keras's
// functional Model:
//
//	in := layers.NewInput(784)
//	h := layers.Apply(&layers.Dense{Units: 64, Activation: activations.ReLU}, in)
//	out := layers.Apply(&layers.Dense{Units: 10, Activation: activations.Softmax}, h)
//	m, err := models.NewModel([]*layers.KerasTensor{in}, []*layers.KerasTensor{out})
//
// A Model is itself a layer: applied to symbolic tensors inside another
// model, it runs its whole graph there (a nested model), sharing its
// weights. A layer applied twice shares its weights, and its gradient sums
// both uses.
//
// Weights that have not been drawn yet are drawn from Seed when the model
// is first compiled, run or saved, in the order of Layers; a layer already
// drawn (shared with a model used before) keeps its weights.
//
// Predict, PredictMulti, Evaluate and EvaluateMulti are safe for
// concurrent use: each call works in scratch of its own, reused across
// calls. Training calls (Fit, TrainOnBatch, TestOnBatch, PredictOnBatch)
// and Compile, Save and SetWeights are not: a training call that would
// overlap another call on the model (or on a model nested in it) returns an
// error instead of corrupting it.
type Model struct {
	layers.Base
	// Seed seeds the initialization of weights not drawn yet.
	Seed uint64
	// Metadata holds the caller's own strings, saved with the model (the
	// neurona command keeps the data preprocessing there).
	Metadata map[string]string

	class   string // "Model", or "Sequential" for the chain
	inputs  []*layers.KerasTensor
	outputs []*layers.KerasTensor
	ls      []layers.Layer // Keras's order: by depth, then traversal
	nodes   []*layers.Node // the graph's nodes, inputs first (topological)
	plan    []step         // the nodes that compute, in order
	nSlots  int            // tensors in the graph, one value slot each
	slot    map[*layers.KerasTensor]int
	inSlot  []int // slot of each input
	outSlot []int // slot of each output
	// maskedOut names an output that carries a mask ("" for none):
	// training refuses it (see prepare).
	maskedOut string
	// ensure builds a lazily built model (Sequential); nil for graphs.
	ensure func() error
	seq    *Sequential // the Sequential this model is the engine of, if any

	group []*Model // this model and every model nested in it
	train *exec    // the training calls' scratch
	idle  struct { // the scratch of concurrent calls, reused
		sync.Mutex
		free []*exec
	}
	use     usage
	readyMu sync.Mutex

	trainer
}

// step is one node of the plan: a layer applied to slots of vals.
type step struct {
	layer layers.Layer
	multi layers.MultiInput // set when the layer takes several inputs
	in    []int
	// out is the slot of the step's first output; a layer with several
	// (layers.MultiOutput) writes them to out, out+1, …, nOut in all,
	// through multiOut.
	out      int
	nOut     int
	multiOut layers.MultiOutput
	args     []*autograd.Var // CallMulti's argument, reused
	// logits: the layer may run without its final activation, because its
	// output is a model output; useLogits: Compile chose to, because the
	// output's loss absorbs that activation.
	logits, useLogits bool
	// mask is how the step treats Keras's sequence mask (see layers'
	// MaskProducer); maskIn is its input's mask slot, or -1 without one.
	mask   maskKind
	maskIn int
	// maskOuts is how many of the step's outputs, from the first, carry
	// the mask with maskPass and maskConsumePass: 1, or 2 for a
	// Bidirectional with merge_mode none (its states carry none).
	maskOuts int
}

// readsMask reports whether the step's layer reads its input's mask.
func (s *step) readsMask() bool {
	return s.maskIn >= 0 && (s.mask == maskConsume || s.mask == maskConsumePass)
}

// maskKind is what a step does with masks.
type maskKind uint8

const (
	maskNone        maskKind = iota // no mask comes out
	maskProduce                     // the layer computes one (Embedding)
	maskPass                        // the input's mask comes out unchanged
	maskConsume                     // the layer reads it; none comes out
	maskConsumePass                 // the layer reads it and passes it on (sequences)
	maskMerge                       // a merge layer combines its inputs' masks (layers.MaskMerger)
	maskDrop                        // the layer takes masked inputs and gives no mask (Dot)
)

// logitsMode selects which steps run without their final activation.
type logitsMode uint8

const (
	noLogits       logitsMode = iota
	compiledLogits            // the steps Compile chose (useLogits)
	outputLogits              // every output step that can (a nested model's CallLogits)
)

// NewModel returns the model from inputs to outputs (Keras's
// Model(inputs, outputs)). It checks the graph: every output must be
// reachable from the inputs, every input must be used, there is no cycle
// and layer names are unique; errors name the layer. An error met while
// the graph was built with layers.Apply is returned here.
func NewModel(inputs, outputs []*layers.KerasTensor) (*Model, error) {
	m := &Model{class: "Model"}
	if err := m.setGraph(inputs, outputs); err != nil {
		return nil, err
	}
	m.Name = layers.UniqueName("model")
	return m, nil
}

// setGraph checks and records the graph, Keras's Network.__init__.
func (m *Model) setGraph(inputs, outputs []*layers.KerasTensor) error {
	if len(inputs) == 0 || len(outputs) == 0 {
		return errors.New("model: at least one input and one output are required")
	}
	for _, t := range append(append([]*layers.KerasTensor(nil), inputs...), outputs...) {
		if t == nil {
			return errors.New("model: nil input or output tensor")
		}
		if t.Err() != nil {
			return fmt.Errorf("model: %w", t.Err())
		}
	}
	isInput := map[*layers.KerasTensor]bool{}
	for _, t := range inputs {
		n, _ := t.Node()
		if _, ok := n.Layer.(*layers.Input); !ok {
			return fmt.Errorf("model: input tensors must come from Input layers; %q is a %s", n.Layer.LayerName(), n.Layer.ClassName())
		}
		if isInput[t] {
			return fmt.Errorf("model: input %q is given twice", n.Layer.LayerName())
		}
		isInput[t] = true
	}

	// Keras's build_map: a depth-first walk from the outputs that records
	// each layer's first visit and the nodes in post-order.
	var (
		order      []*layers.Node // post-order: inputs before their users
		done       = map[*layers.Node]bool{}
		inProgress = map[*layers.Node]bool{}
		layerIndex = map[layers.Layer]int{}
		usedInput  = map[*layers.KerasTensor]bool{}
	)
	var walk func(t *layers.KerasTensor) error
	walk = func(t *layers.KerasTensor) error {
		n, _ := t.Node()
		if inProgress[n] {
			return fmt.Errorf("model: the graph has a cycle through layer %q", n.Layer.LayerName())
		}
		if done[n] {
			return nil
		}
		if _, ok := layerIndex[n.Layer]; !ok {
			layerIndex[n.Layer] = len(layerIndex)
		}
		if _, ok := n.Layer.(*layers.Input); ok {
			if !isInput[t] {
				return fmt.Errorf("model: graph disconnected: the output depends on input %q, which is not among the model's inputs", n.Layer.LayerName())
			}
			usedInput[t] = true
		}
		inProgress[n] = true
		for _, x := range n.Inputs {
			if err := walk(x); err != nil {
				return err
			}
		}
		delete(inProgress, n)
		done[n] = true
		order = append(order, n)
		return nil
	}
	for _, t := range outputs {
		if err := walk(t); err != nil {
			return err
		}
	}
	for _, t := range inputs {
		if !usedInput[t] {
			n, _ := t.Node()
			return fmt.Errorf("model: input %q is not used by any output", n.Layer.LayerName())
		}
	}

	// Depths: outputs' nodes at 0, each inbound node one deeper than its
	// deepest user; a layer takes its deepest node's depth.
	nodeDepth := map[*layers.Node]int{}
	layerDepth := map[layers.Layer]int{}
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		d := nodeDepth[n]
		d = max(d, layerDepth[n.Layer])
		layerDepth[n.Layer] = d
		nodeDepth[n] = d
		for _, x := range n.Inputs {
			in, _ := x.Node()
			nodeDepth[in] = max(nodeDepth[in], d+1)
		}
	}
	var ls []layers.Layer
	for l := range layerDepth {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool {
		if di, dj := layerDepth[ls[i]], layerDepth[ls[j]]; di != dj {
			return di > dj
		}
		return layerIndex[ls[i]] < layerIndex[ls[j]]
	})
	names := map[string]bool{}
	for _, l := range ls {
		if names[l.LayerName()] {
			return fmt.Errorf("model: two layers are named %q: layer names must be unique", l.LayerName())
		}
		names[l.LayerName()] = true
	}

	m.inputs = append([]*layers.KerasTensor(nil), inputs...)
	m.outputs = append([]*layers.KerasTensor(nil), outputs...)
	m.ls, m.nodes = ls, order
	m.slot = map[*layers.KerasTensor]int{}
	for _, n := range order {
		for _, t := range nodeOutputs(n) {
			m.slot[t] = len(m.slot)
		}
	}
	m.nSlots = len(m.slot)
	m.inSlot, m.outSlot = nil, nil
	for _, t := range inputs {
		m.inSlot = append(m.inSlot, m.slot[t])
	}
	for _, t := range outputs {
		m.outSlot = append(m.outSlot, m.slot[t])
	}
	uses := map[*layers.KerasTensor]int{}
	for _, n := range order {
		for _, x := range n.Inputs {
			uses[x]++
		}
	}
	m.plan = m.plan[:0]
	for _, n := range order {
		if _, ok := n.Layer.(*layers.Input); ok {
			continue
		}
		s := step{layer: n.Layer, out: m.slot[n.Output], nOut: len(nodeOutputs(n))}
		for _, x := range n.Inputs {
			s.in = append(s.in, m.slot[x])
		}
		if mi, ok := n.Layer.(layers.MultiInput); ok {
			s.multi = mi
		}
		if s.nOut > 1 {
			mo, ok := n.Layer.(layers.MultiOutput)
			if !ok || s.multi != nil {
				return fmt.Errorf("model: layer %q (%s) has %d outputs but cannot compute them", n.Layer.LayerName(), n.Layer.ClassName(), s.nOut)
			}
			s.multiOut = mo
		}
		if _, ok := n.Layer.(layers.LogitsLayer); ok && uses[n.Output] == 0 && len(s.in) == 1 {
			s.logits = true
		}
		m.plan = append(m.plan, s)
	}
	if err := m.planMasks(); err != nil {
		return err
	}
	m.group = m.group[:0]
	m.group = append(m.group, m)
	seen := map[*Model]bool{m: true}
	var sub func(ls []layers.Layer)
	sub = func(ls []layers.Layer) {
		for _, l := range ls {
			if g := graphOf(l); g != nil && !seen[g] {
				seen[g] = true
				m.group = append(m.group, g)
				sub(g.ls)
			}
		}
	}
	sub(m.ls)
	m.train = nil
	m.idle.Lock()
	m.idle.free = nil
	m.idle.Unlock()
	layers.AddModelNode(m, m.outputs[0].Shape())
	return nil
}

// run computes the graph on the input Vars in st and leaves every node's
// result there. Steps from..to-1 run; mode says which run without their
// final activation. Callers run [0, n) in one or more calls.
func (m *Model) run(st *graphState, c *layers.CallContext, from, to int, mode logitsMode) {
	for i := from; i < to; i++ {
		s := &m.plan[i]
		var out *autograd.Var
		switch {
		case mode == compiledLogits && s.useLogits, mode == outputLogits && s.logits:
			out = s.layer.(layers.LogitsLayer).CallLogits(c, st.vals[s.in[0]])
		case s.multiOut != nil:
			var mask *tensor.Tensor
			if s.readsMask() {
				mask = st.masks[s.maskIn]
			}
			s.multiOut.CallOutputs(c, st.vals[s.in[0]], mask, st.vals[s.out:s.out+s.nOut])
			out = st.vals[s.out]
		case s.multi != nil:
			args := st.args[i]
			for j, k := range s.in {
				args[j] = st.vals[k]
			}
			out = s.multi.CallMulti(c, args)
		case s.readsMask():
			out = s.layer.(layers.SequenceMasker).CallMasked(c, st.vals[s.in[0]], st.masks[s.maskIn])
		default:
			out = s.layer.Call(c, st.vals[s.in[0]])
		}
		st.vals[s.out] = out
		switch s.mask {
		case maskProduce:
			st.masks[s.out] = st.produceMask(s, st.vals[s.in[0]].Value)
		case maskPass, maskConsumePass:
			for k := range s.maskOuts {
				st.masks[s.out+k] = st.masks[s.maskIn]
			}
		case maskMerge:
			st.masks[s.out] = st.mergeMask(i, s, out.Value)
		}
	}
}

// nodeOutputs returns a node's output tensors (Outputs, or Output for a
// node made without them).
func nodeOutputs(n *layers.Node) []*layers.KerasTensor {
	if len(n.Outputs) > 0 {
		return n.Outputs
	}
	return []*layers.KerasTensor{n.Output}
}

// planMasks decides, step by step, where Keras's masks go: from an
// Embedding with mask_zero through the layers that pass masks on and the
// merge layers that combine them (layers.MaskMerger) to the recurrent
// layers and pooling that read them. A layer that receives a mask and
// cannot take one is an error naming it, as Keras raises.
func (m *Model) planMasks() error {
	has := map[int]bool{}
	for i := range m.plan {
		s := &m.plan[i]
		s.mask, s.maskIn, s.maskOuts = maskNone, -1, 1
		masked := false
		for _, k := range s.in {
			if has[k] {
				masked = true
			}
		}
		if g := graphOf(s.layer); g != nil && masked {
			return fmt.Errorf("model: nested %s %q receives a masked input (from an Embedding with mask_zero): masks do not pass into nested models; apply its layers in this graph instead", g.class, g.Name)
		}
		if mm, ok := s.layer.(layers.MaskMerger); ok && masked {
			s.mask = maskDrop
			if mm.MergesMasks() {
				if len(s.layer.OutputShape()) < 2 {
					return fmt.Errorf("model: layer %s (%s) merges masked inputs into an output of shape %s, which has no steps for a mask", s.layer.LayerName(), s.layer.ClassName(), noneShape(s.layer.OutputShape()))
				}
				s.mask = maskMerge
				has[s.out] = true
			}
			continue
		}
		if masked {
			if s.multi != nil || len(s.in) != 1 {
				return fmt.Errorf("model: layer %s (%s) does not support masking (it takes several inputs, one of them masked)", s.layer.LayerName(), s.layer.ClassName())
			}
			s.maskIn = s.in[0]
			if p, ok := s.layer.(layers.MaskPasser); ok && p.PassesMask() {
				s.mask = maskPass
			} else if _, ok := s.layer.(layers.SequenceMasker); ok {
				s.mask = maskConsume
				// return_sequences: the output keeps the steps, and so
				// do both of merge_mode none's; the states (1-D) do not.
				if len(s.layer.OutputShape()) == 2 {
					s.mask = maskConsumePass
					if b, ok := s.layer.(*layers.Bidirectional); ok && b.MergeMode == layers.MergeNone {
						s.maskOuts = 2
					}
				}
			} else {
				return fmt.Errorf("model: layer %s (%s) does not support masking, but its input is masked (by an Embedding with mask_zero)", s.layer.LayerName(), s.layer.ClassName())
			}
		}
		if p, ok := s.layer.(layers.MaskProducer); ok && p.ProducesMask() {
			if masked {
				return fmt.Errorf("model: layer %s (%s) makes a mask but its input is masked already", s.layer.LayerName(), s.layer.ClassName())
			}
			if len(s.in) != 1 || s.multi != nil {
				return fmt.Errorf("model: layer %s (%s) makes a mask from one input only", s.layer.LayerName(), s.layer.ClassName())
			}
			s.mask = maskProduce
		}
		if s.mask != maskNone && s.mask != maskConsume {
			for k := range s.maskOuts {
				has[s.out+k] = true
			}
		}
	}
	m.maskedOut = ""
	for i, k := range m.outSlot {
		if has[k] {
			n, _ := m.outputs[i].Node()
			m.maskedOut = n.Layer.LayerName()
			break
		}
	}
	return nil
}

// ready builds a lazily built model and draws the weights not drawn yet.
func (m *Model) ready() error {
	m.readyMu.Lock()
	defer m.readyMu.Unlock()
	if m.ensure != nil {
		if err := m.ensure(); err != nil {
			return err
		}
	}
	if m.plan == nil && m.nodes == nil {
		return errors.New("the model has no graph")
	}
	if !allInitialized(m.ls) {
		initAll(m.ls, tensor.NewRNG(m.Seed))
	}
	return nil
}

func allInitialized(ls []layers.Layer) bool {
	for _, l := range ls {
		if g := graphOf(l); g != nil {
			if !allInitialized(g.ls) {
				return false
			}
		} else if !layers.Initialized(l) {
			return false
		}
	}
	return true
}

// initAll draws the weights not drawn yet, layer by layer, nested models'
// layers in their order.
func initAll(ls []layers.Layer, rng *tensor.RNG) {
	for _, l := range ls {
		if g := graphOf(l); g != nil {
			initAll(g.ls, rng)
			continue
		}
		if !layers.Initialized(l) {
			layers.Initialize(l, rng)
		}
	}
}

// graphOf returns the Model behind a layer that is a model, or nil.
func graphOf(l layers.Layer) *Model {
	if g, ok := l.(interface{ graph() *Model }); ok {
		return g.graph()
	}
	return nil
}

func (m *Model) graph() *Model { return m }

// ClassName implements layers.Layer: "Model", or "Sequential".
func (m *Model) ClassName() string { return m.class }

// Inputs returns the model's symbolic inputs.
func (m *Model) Inputs() []*layers.KerasTensor { return m.inputs }

// Outputs returns the model's symbolic outputs.
func (m *Model) Outputs() []*layers.KerasTensor { return m.outputs }

// Layers returns the model's layers in Keras's order (by depth from the
// inputs, then in traversal order), Input layers included for a graph.
func (m *Model) Layers() []layers.Layer {
	if m.ensure != nil && m.ensure() != nil {
		return nil
	}
	return append([]layers.Layer(nil), m.ls...)
}

// Layer returns the layer with the given name.
func (m *Model) Layer(name string) (layers.Layer, error) {
	for _, l := range m.Layers() {
		if l.LayerName() == name {
			return l, nil
		}
	}
	var names []string
	for _, l := range m.ls {
		names = append(names, l.LayerName())
	}
	return nil, fmt.Errorf("model %q has no layer %q (layers: %s)", m.Name, name, strings.Join(names, ", "))
}

// InputShape returns the first input's shape without the batch dimension,
// or nil before the model is built.
func (m *Model) InputShape() []int {
	if len(m.inputs) == 0 {
		return nil
	}
	return m.inputs[0].Shape()
}

// InputSpec implements layers.Layer: the first input's shape.
func (m *Model) InputSpec() []int { return m.InputShape() }

// OutputShape returns the first output's shape without the batch
// dimension, or nil before the model is built.
func (m *Model) OutputShape() []int {
	if len(m.outputs) == 0 {
		return nil
	}
	return m.outputs[0].Shape()
}

// Weights returns every weight of every layer, in layer order, each once.
func (m *Model) Weights() []*layers.Weight {
	var ws []*layers.Weight
	seen := map[*layers.Weight]bool{}
	for _, l := range m.ls {
		for _, w := range l.Weights() {
			if !seen[w] {
				seen[w] = true
				ws = append(ws, w)
			}
		}
	}
	return ws
}

// TrainableWeights returns the weights that training updates: those of
// trainable layers, inside trainable nested models, each once. Compile
// fixes this set for training.
func (m *Model) TrainableWeights() []*layers.Weight {
	var ws []*layers.Weight
	seen := map[*layers.Weight]bool{}
	var collect func(ls []layers.Layer)
	collect = func(ls []layers.Layer) {
		for _, l := range ls {
			if f, ok := l.(interface{ Trainable() bool }); ok && !f.Trainable() {
				continue
			}
			if g := graphOf(l); g != nil {
				collect(g.ls)
				continue
			}
			for _, w := range l.Weights() {
				if w.Trainable && !seen[w] {
					seen[w] = true
					ws = append(ws, w)
				}
			}
		}
	}
	collect(m.ls)
	return ws
}

// CountParams returns the number of weights, in total and trainable now.
func (m *Model) CountParams() (total, trainable int) {
	for _, w := range m.Weights() {
		total += w.Var.Value.Size()
	}
	for _, w := range m.TrainableWeights() {
		trainable += w.Var.Value.Size()
	}
	return total, trainable
}

// GetWeights returns copies of every weight's value, in Weights order, as
// Keras's get_weights.
func (m *Model) GetWeights() ([]*tensor.Tensor, error) {
	if err := m.ready(); err != nil {
		return nil, fmt.Errorf("get weights: %w", err)
	}
	ws := m.Weights()
	out := make([]*tensor.Tensor, len(ws))
	for i, w := range ws {
		out[i] = w.Var.Value.Clone()
	}
	return out, nil
}

// SetWeights copies values into the weights, in Weights order, as Keras's
// set_weights; the count and every shape must match.
func (m *Model) SetWeights(values []*tensor.Tensor) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("set weights: %w", err)
	}
	ws := m.Weights()
	if len(values) != len(ws) {
		return fmt.Errorf("set weights: got %d arrays, model %q has %d weights", len(values), m.Name, len(ws))
	}
	for i, w := range ws {
		if !tensor.SameShape(values[i], w.Var.Value) {
			return fmt.Errorf("set weights: weight %q has shape %s, got %s", w.Name,
				tensor.ShapeString(w.Var.Value.Shape), tensor.ShapeString(values[i].Shape))
		}
	}
	for i, w := range ws {
		w.Var.Value.CopyFrom(values[i])
	}
	return nil
}

// Build implements layers.Layer for a model applied to one input: the
// shape must be the model's input shape.
func (m *Model) Build(input []int) error { return m.BuildMulti([][]int{input}) }

// BuildMulti implements layers.MultiInput: the shapes must be the model's
// input shapes.
func (m *Model) BuildMulti(inputs [][]int) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("model %q: %w", m.Name, err)
	}
	if len(inputs) != len(m.inputs) {
		return fmt.Errorf("model %q takes %d inputs, got %d", m.Name, len(m.inputs), len(inputs))
	}
	for i, s := range inputs {
		if !tensor.EqualShape(s, m.inputs[i].Shape()) {
			return fmt.Errorf("model %q: input %d has shape %s, the model expects %s", m.Name, i+1,
				noneShape(s), noneShape(m.inputs[i].Shape()))
		}
	}
	if len(m.outputs) != 1 {
		return fmt.Errorf("model %q has %d outputs: a nested model must have one", m.Name, len(m.outputs))
	}
	m.SetOutputShape(m.outputs[0].Shape())
	return nil
}

// Call implements layers.Layer: the model's graph on one input batch.
func (m *Model) Call(c *layers.CallContext, x *autograd.Var) *autograd.Var {
	st := m.stateIn(c)
	st.vals[m.inSlot[0]] = x
	m.run(st, c, 0, len(m.plan), noLogits)
	return st.vals[m.outSlot[0]]
}

// CallMulti implements layers.MultiInput.
func (m *Model) CallMulti(c *layers.CallContext, xs []*autograd.Var) *autograd.Var {
	st := m.stateIn(c)
	for i, x := range xs {
		st.vals[m.inSlot[i]] = x
	}
	m.run(st, c, 0, len(m.plan), noLogits)
	return st.vals[m.outSlot[0]]
}

// FinalActivation implements layers.LogitsLayer: the activation of the
// layer that computes the model's output, when a fused loss may absorb it.
func (m *Model) FinalActivation() autograd.Activation {
	if len(m.plan) == 0 || len(m.outputs) != 1 {
		return autograd.Linear
	}
	last := &m.plan[len(m.plan)-1]
	if !last.logits || last.out != m.outSlot[0] {
		return autograd.Linear
	}
	return last.layer.(layers.LogitsLayer).FinalActivation()
}

// CallLogits implements layers.LogitsLayer.
func (m *Model) CallLogits(c *layers.CallContext, x *autograd.Var) *autograd.Var {
	st := m.stateIn(c)
	st.vals[m.inSlot[0]] = x
	m.run(st, c, 0, len(m.plan), outputLogits)
	return st.vals[m.outSlot[0]]
}

// WeightTensors returns the weights for callbacks: live values and the
// gradients of the last batch.
func (m *Model) WeightTensors() []callbacks.Weight {
	var ws []callbacks.Weight
	train := map[*layers.Weight]bool{}
	for _, w := range m.TrainableWeights() {
		train[w] = true
	}
	var walk func(ls []layers.Layer)
	walk = func(ls []layers.Layer) {
		for _, l := range ls {
			if g := graphOf(l); g != nil {
				walk(g.ls)
				continue
			}
			for _, w := range l.Weights() {
				ws = append(ws, callbacks.Weight{Layer: l.LayerName(), Name: w.Name, Value: w.Var.Value, Grad: w.Var.Grad, Trainable: train[w]})
			}
		}
	}
	walk(m.ls)
	return ws
}

// noneShape formats a shape with the batch dimension, as (None, 13).
func noneShape(shape []int) string {
	return string(kerasfmt.AppendShape(nil, shape))
}
