package layers

import (
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/tensor"
)

// KerasTensor is a symbolic tensor of the functional API: the output of a
// layer applied to other symbolic tensors, with its shape (without the
// batch dimension). It carries the first error met while the graph was
// built, so that layers can be chained without checking each step:
// models.NewModel reports it.
type KerasTensor struct {
	shape []int
	node  *Node
	index int
	err   error
}

// Shape returns the tensor's shape without the batch dimension.
func (t *KerasTensor) Shape() []int { return t.shape }

// Err returns the error met while building the graph up to this tensor.
func (t *KerasTensor) Err() error { return t.err }

// Node returns the node that produced the tensor, and the index of the
// tensor among that node's outputs (Keras's _keras_history).
func (t *KerasTensor) Node() (*Node, int) { return t.node, t.index }

// Node is one application of a layer to symbolic inputs (Keras's Node).
type Node struct {
	// Layer is the applied layer.
	Layer Layer
	// Inputs are the symbolic tensors it was applied to (none for an
	// Input layer's node).
	Inputs []*KerasTensor
	// Output is the symbolic result: the first of Outputs.
	Output *KerasTensor
	// Outputs are every symbolic result, in the layer's order: one, or
	// several for a MultiOutput layer (the output and the states of an
	// LSTM with return_state).
	Outputs []*KerasTensor
	// Index is the node's position among the layer's nodes, as Keras
	// numbers them in "layer[node][tensor]".
	Index int
}

// Apply applies l to the symbolic tensors xs and returns the symbolic
// result, building l for their shapes the first time (Keras's
// layer(x)). A layer applied twice shares its weights. Errors (a shape
// the layer refuses, a shared layer given another shape) are carried by
// the result and reported by models.NewModel, naming the layer.
//
// An Input layer is applied to nothing: Apply(input) returns its tensor.
// A layer that returns several tensors (an LSTM with return_state) is
// applied with ApplyMulti; Apply's result is then an error.
func Apply(l Layer, xs ...*KerasTensor) *KerasTensor {
	n := apply(l, xs)
	if n.Outputs == nil {
		return n.Output
	}
	if len(n.Outputs) > 1 {
		return &KerasTensor{err: fmt.Errorf("layer %q (%s) returns %d tensors (%s): apply it with layers.ApplyMulti, which returns them all",
			l.LayerName(), l.ClassName(), len(n.Outputs), multiOutputWhy(l))}
	}
	return n.Outputs[0]
}

// ApplyMulti is Apply for a layer that returns several tensors, as
// Keras's out, h, c = LSTM(units, return_state=True)(x): it returns every
// output, in the layer's order (see MultiOutput), or one for other layers.
// On an error, each returned tensor carries it.
func ApplyMulti(l Layer, xs ...*KerasTensor) []*KerasTensor {
	n := apply(l, xs)
	if n.Outputs == nil {
		return []*KerasTensor{n.Output}
	}
	return append([]*KerasTensor(nil), n.Outputs...)
}

// multiOutputWhy names the setting that gives a layer several outputs.
func multiOutputWhy(l Layer) string {
	if b, ok := l.(*Bidirectional); ok && b.MergeMode == MergeNone {
		return "merge_mode none"
	}
	return "return_state"
}

// apply is Apply: a node on success, or, on an error, a node whose Output
// carries it and whose Outputs is nil.
func apply(l Layer, xs []*KerasTensor) *Node {
	fail := func(err error) *Node {
		return &Node{Output: &KerasTensor{err: err}}
	}
	for _, x := range xs {
		if x == nil {
			return fail(fmt.Errorf("layer %q (%s): applied to a nil tensor", l.LayerName(), l.ClassName()))
		}
		if x.err != nil {
			return fail(x.err)
		}
	}
	AutoName(l)
	b := l.base()
	if in, ok := l.(*Input); ok {
		if len(xs) != 0 {
			return fail(fmt.Errorf("layer %q (InputLayer): an Input is not applied to tensors", l.LayerName()))
		}
		if len(b.nodes) > 0 {
			return b.nodes[0]
		}
		shape := in.InputSpec()
		if shape == nil {
			return fail(fmt.Errorf("layer %q (InputLayer): no shape", l.LayerName()))
		}
		if err := Build(l, shape); err != nil {
			return fail(err)
		}
		return newNode(l, nil)
	}
	if len(xs) == 0 {
		return fail(fmt.Errorf("layer %q (%s): applied to no tensors", l.LayerName(), l.ClassName()))
	}
	shapes := make([][]int, len(xs))
	for i, x := range xs {
		shapes[i] = x.shape
	}
	var err error
	if m, ok := l.(MultiInput); ok {
		err = BuildMulti(m, shapes)
	} else if len(xs) != 1 {
		err = fmt.Errorf("layer %q (%s) takes one input, got %d", l.LayerName(), l.ClassName(), len(xs))
	} else {
		if decl := l.InputSpec(); decl != nil && !tensor.EqualShape(decl, shapes[0]) {
			err = fmt.Errorf("layer %q (%s) declares input shape %s but receives %s", l.LayerName(), l.ClassName(),
				kerasfmt.AppendShape(nil, decl), kerasfmt.AppendShape(nil, shapes[0]))
		} else {
			err = Build(l, shapes[0])
		}
	}
	if err != nil {
		return fail(err)
	}
	return newNode(l, xs)
}

func newNode(l Layer, xs []*KerasTensor) *Node {
	b := l.base()
	n := &Node{Layer: l, Inputs: append([]*KerasTensor(nil), xs...), Index: len(b.nodes)}
	for i, s := range OutputShapes(l) {
		n.Outputs = append(n.Outputs, &KerasTensor{shape: append([]int(nil), s...), node: n, index: i})
	}
	n.Output = n.Outputs[0]
	b.nodes = append(b.nodes, n)
	return n
}

// AddModelNode gives a model its own first node, as Keras's Network does
// when it is created: the node that links the model's inputs to its
// outputs inside it. Applying the model to tensors then records node 1,
// 2, …, which is how Keras numbers a nested model's connections
// ("model_1[1][0]"). It is for model types (package models).
func AddModelNode(l Layer, outputShape []int) {
	b := l.base()
	if len(b.nodes) > 0 {
		return
	}
	n := &Node{Layer: l, Index: 0}
	n.Output = &KerasTensor{shape: append([]int(nil), outputShape...), node: n}
	n.Outputs = []*KerasTensor{n.Output}
	b.nodes = append(b.nodes, n)
}

// NewInput returns the symbolic tensor of a new Input layer with the given
// shape (without the batch dimension), as keras.Input(shape).
func NewInput(shape ...int) *KerasTensor {
	return Apply(&Input{Shape: append([]int(nil), shape...)})
}

// Named sets l's name and returns l, for naming a layer inside an
// expression: layers.Apply(layers.Named("conv_1", &layers.Conv1D{...}), x).
func Named[L Layer](name string, l L) L {
	l.SetLayerName(name)
	return l
}

// names holds Keras's per-class counters for automatic names. As in Keras
// they are global to the process: the second model built in a program
// continues the first one's numbering.
var names = struct {
	sync.Mutex
	count map[string]int
}{count: map[string]int{}}

// AutoName gives l Keras's automatic name (dense_1, conv2d_3, …) if it has
// none, from the process-wide per-class counter.
func AutoName(l Layer) {
	if l.LayerName() != "" {
		return
	}
	l.SetLayerName(UniqueName(NamePrefix(l.ClassName())))
}

// UniqueName returns prefix_N with the next N of prefix's counter.
func UniqueName(prefix string) string {
	names.Lock()
	defer names.Unlock()
	names.count[prefix]++
	return fmt.Sprintf("%s_%d", prefix, names.count[prefix])
}

// KeepNames records the automatic name counters and returns a function
// that puts them back, for code that builds a model only to look at it (a
// size check) and must not use up names.
func KeepNames() (restore func()) {
	names.Lock()
	saved := make(map[string]int, len(names.count))
	for k, v := range names.count {
		saved[k] = v
	}
	names.Unlock()
	return func() {
		names.Lock()
		names.count = saved
		names.Unlock()
	}
}

// ResetNames restarts every automatic name counter, as Keras's
// backend.clear_session does.
func ResetNames() {
	names.Lock()
	defer names.Unlock()
	clear(names.count)
}

// NamePrefix returns Keras's automatic-name prefix for a class:
// BatchNormalization → batch_normalization, Conv2D → conv2d, InputLayer →
// input.
func NamePrefix(class string) string {
	if class == "InputLayer" {
		return "input"
	}
	var b strings.Builder
	rs := []rune(class)
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && !unicode.IsDigit(rs[i-1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
