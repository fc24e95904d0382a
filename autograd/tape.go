// Package autograd is neurona's reverse-mode automatic differentiation: a
// tape records each operation as it runs forward, and Backward replays the
// tape in reverse, accumulating gradients.
//
// Each op family lives in its own file with its forward and backward side by
// side. A Tape owns an arena of scratch tensors that it hands out in the
// same order on every step; Reset rewinds the arena, so once a training step
// has run once, running it again allocates nothing on the heap.
package autograd

import (
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// Var is a value in a computation and, when it takes part in
// differentiation, the gradient of the loss with respect to it.
type Var struct {
	Value *tensor.Tensor
	// Grad has Value's shape, or is nil when no gradient flows to this Var.
	Grad *tensor.Tensor
}

// NewParam returns a Var for a trainable value, with a zero gradient.
func NewParam(v *tensor.Tensor) *Var {
	return &Var{Value: v, Grad: tensor.New(v.Shape...)}
}

// NewConst returns a Var that takes no gradient.
func NewConst(v *tensor.Tensor) *Var { return &Var{Value: v} }

// ZeroGrad sets v's gradient to zero, if it has one.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.Grad.Zero()
	}
}

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape }

// op identifies an operation on the tape: its index in ops.
type op uint16

// opInfo is what the tape knows of a registered op.
type opInfo struct {
	name     string
	backward func(n *node)
}

// ops holds every registered op, indexed by op.
var ops []opInfo

// register adds an op with its backward function and returns its id. Op
// files call it at package level next to their forward code:
//
//	var opConv2D = register("conv2d", conv2DBackward)
//
// A name registered twice panics.
func register(name string, backward func(n *node)) op {
	for _, o := range ops {
		if o.name == name {
			panic("autograd: op registered twice: " + name)
		}
	}
	if len(ops) > int(^op(0)) {
		panic("autograd: too many ops")
	}
	ops = append(ops, opInfo{name: name, backward: backward})
	return op(len(ops) - 1)
}

// String returns the op's registered name.
func (o op) String() string { return ops[o].name }

// node is one recorded operation: its output, its inputs, the scratch it
// saved for the backward pass and the parameters that backward needs.
type node struct {
	op   op
	nin  uint8 // inputs held in in; 0 when they are in more
	act  Activation
	flag bool
	out  *Var
	// in holds up to three inputs inline; an op with more keeps them all
	// in more, a slice from the tape's arena. Read them with inputs.
	in   [3]*Var
	more []*Var
	aux  [3]*tensor.Tensor
	f    [2]float32 // real-valued parameters (a scale, an epsilon)
	ints [4]int     // integer parameters: strides, window sizes, axes
	idx  []int32    // integer scratch (argmax indices, ids), from the tape's arena
	sync BatchSync  // a synchronized batch normalization's reductions
}

// inputs returns the node's inputs in the order the op received them.
func (n *node) inputs() []*Var {
	if n.more != nil {
		return n.more
	}
	return n.in[:n.nin]
}

// Tape records operations for reverse-mode differentiation and owns their
// scratch memory.
//
// A Tape is used by one goroutine at a time. The tensors it returns are valid
// until the next Reset.
type Tape struct {
	nodes []node
	// noGrad disables recording: ops only compute values.
	noGrad bool

	bufs    []*tensor.Tensor // scratch tensors, handed out in order
	nextBuf int
	views   []*tensor.Tensor // tensor headers that view other storage
	nextVw  int
	vars    []*Var
	nextVar int
	ints    [][]int32 // integer scratch, handed out in order
	nextInt int
	lists   [][]*Var // lists of Vars: inputs of wide nodes, Split's results
	nextLst int

	split *BatchSplit // the batch's place in one split across processes; nil when whole
}

// NewTape returns an empty tape that records operations.
func NewTape() *Tape { return &Tape{} }

// Reset forgets the recorded operations and rewinds the scratch arena. The
// Vars and tensors handed out since the last Reset must no longer be used.
func (tp *Tape) Reset() {
	clear(tp.nodes) // drop references
	tp.nodes = tp.nodes[:0]
	tp.nextBuf, tp.nextVw, tp.nextVar, tp.nextInt = 0, 0, 0, 0
	for _, l := range tp.lists[:tp.nextLst] {
		clear(l) // drop references
	}
	tp.nextLst = 0
}

// SetNoGrad turns recording off (inference) or back on (training). Ops run
// with recording off never create gradients.
func (tp *Tape) SetNoGrad(off bool) { tp.noGrad = off }

// NoGrad reports whether recording is off.
func (tp *Tape) NoGrad() bool { return tp.noGrad }

// Len returns the number of recorded operations.
func (tp *Tape) Len() int { return len(tp.nodes) }

// Scratch returns a tensor of the given shape from the tape's arena. Its
// contents are unspecified.
func (tp *Tape) Scratch(shape ...int) *tensor.Tensor {
	if tp.nextBuf < len(tp.bufs) {
		t := tp.bufs[tp.nextBuf]
		tp.nextBuf++
		t.Resize(shape...)
		return t
	}
	t := tensor.New(shape...)
	tp.bufs = append(tp.bufs, t)
	tp.nextBuf++
	return t
}

// IntScratch returns n int32s from the tape's integer arena, as Scratch
// does for floats: valid until the next Reset, contents unspecified.
func (tp *Tape) IntScratch(n int) []int32 {
	if tp.nextInt == len(tp.ints) {
		tp.ints = append(tp.ints, nil)
	}
	s := tp.ints[tp.nextInt]
	if cap(s) < n {
		s = make([]int32, n)
	}
	s = s[:n]
	tp.ints[tp.nextInt] = s
	tp.nextInt++
	return s
}

// varList returns a list of n Vars from the tape's arena, all nil.
func (tp *Tape) varList(n int) []*Var {
	if tp.nextLst == len(tp.lists) {
		tp.lists = append(tp.lists, nil)
	}
	l := tp.lists[tp.nextLst]
	if cap(l) < n {
		l = make([]*Var, n)
	}
	l = l[:n]
	tp.lists[tp.nextLst] = l
	tp.nextLst++
	return l
}

// zeros returns a zeroed scratch tensor.
func (tp *Tape) zeros(shape ...int) *tensor.Tensor {
	t := tp.Scratch(shape...)
	t.Zero()
	return t
}

// View returns a tensor header, from the tape's arena, over data with the
// given shape. It shares data rather than copying it.
func (tp *Tape) View(data []float32, shape ...int) *tensor.Tensor {
	var t *tensor.Tensor
	if tp.nextVw < len(tp.views) {
		t = tp.views[tp.nextVw]
	} else {
		t = &tensor.Tensor{}
		tp.views = append(tp.views, t)
	}
	tp.nextVw++
	t.SetView(data, shape...)
	return t
}

// newVar returns a Var from the arena holding value, with a zeroed gradient
// when grad is true.
func (tp *Tape) newVar(value *tensor.Tensor, grad bool) *Var {
	var v *Var
	if tp.nextVar < len(tp.vars) {
		v = tp.vars[tp.nextVar]
	} else {
		v = &Var{}
		tp.vars = append(tp.vars, v)
	}
	tp.nextVar++
	v.Value = value
	v.Grad = nil
	if grad {
		v.Grad = tp.zeros(value.Shape...)
	}
	return v
}

// Const wraps t as a Var that takes no gradient, from the tape's arena.
func (tp *Tape) Const(t *tensor.Tensor) *Var { return tp.newVar(t, false) }

// needsGrad reports whether an op on these inputs must be recorded.
func (tp *Tape) needsGrad(in ...*Var) bool {
	if tp.noGrad {
		return false
	}
	for _, v := range in {
		if v != nil && v.Grad != nil {
			return true
		}
	}
	return false
}

// output returns a new result Var of the given shape for an op on inputs,
// recording a node for it when a gradient must flow. The node is returned
// (nil when not recorded) so the op can save what its backward needs.
func (tp *Tape) output(o op, shape []int, in ...*Var) (*Var, *node) {
	rec := tp.needsGrad(in...)
	out := tp.newVar(tp.Scratch(shape...), rec)
	if !rec {
		return out, nil
	}
	tp.nodes = append(tp.nodes, node{op: o, out: out})
	n := &tp.nodes[len(tp.nodes)-1]
	if len(in) <= len(n.in) {
		n.nin = uint8(copy(n.in[:], in))
	} else {
		n.more = tp.varList(len(in))
		copy(n.more, in)
	}
	return out, n
}

// Backward computes the gradient of the scalar loss with respect to every Var
// that takes one, accumulating into their Grad tensors. Parameter gradients
// add up across calls, so zero them between steps.
func (tp *Tape) Backward(loss *Var) {
	if loss.Value.Size() != 1 {
		panic(fmt.Sprintf("autograd: Backward of a non-scalar of shape %v", loss.Value.Shape))
	}
	if loss.Grad == nil {
		return // nothing recorded leads to it
	}
	loss.Grad.Data[0] = 1
	tp.replay()
}

// BackwardFrom seeds v's gradient with seed (same shape) and propagates it
// back through the tape: a vector–Jacobian product.
func (tp *Tape) BackwardFrom(v *Var, seed *tensor.Tensor) {
	if v.Grad == nil {
		return
	}
	v.Grad.CopyFrom(seed)
	tp.replay()
}

func (tp *Tape) replay() {
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := &tp.nodes[i]
		ops[n.op].backward(n)
	}
}

func checkSameShape(name string, a, b *Var) {
	if !tensor.SameShape(a.Value, b.Value) {
		panic(fmt.Sprintf("autograd: %s: shapes %v and %v differ", name, a.Value.Shape, b.Value.Shape))
	}
}

// matrix returns the row and column counts of v seen as a 2-D matrix whose
// columns are its last dimension.
func matrix(v *Var) (rows, cols int) {
	s := v.Value.Shape
	if len(s) == 0 {
		return 1, 1
	}
	cols = s[len(s)-1]
	if cols == 0 {
		return 0, 0
	}
	return len(v.Value.Data) / cols, cols
}
