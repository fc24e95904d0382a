package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/tensor"
)

// The merge layers of Keras's keras.layers.merge: they take a list of
// inputs (layers.Apply(l, a, b, …)) and implement MultiInput. Built on one
// input, with layers.Build, they return an error.
//
// The elementwise merges (Add, Subtract, Multiply, Average, Maximum,
// Minimum) need inputs of one shape: unlike Keras they do not broadcast.

// merge is what every merge layer shares: the checks of its input list.
type merge struct {
	class string
	// exactly is the required number of inputs, or 0 for 2 or more.
	exactly int
}

// noneShapes formats input shapes with their batch dimension, for errors.
func noneShapes(inputs [][]int) string {
	s := make([]string, len(inputs))
	for i, in := range inputs {
		s[i] = string(kerasfmt.AppendShape(nil, in))
	}
	return strings.Join(s, ", ")
}

// count checks the number of inputs.
func (m merge) count(name string, inputs [][]int) error {
	switch {
	case m.exactly > 0 && len(inputs) != m.exactly:
		return fmt.Errorf("layer %q (%s) takes exactly %d inputs, got %d", name, m.class, m.exactly, len(inputs))
	case len(inputs) < 2:
		return fmt.Errorf("layer %q (%s) takes a list of at least 2 inputs, got %d", name, m.class, len(inputs))
	}
	for _, in := range inputs {
		if err := checkShape(m.class, name, in); err != nil {
			return err
		}
	}
	return nil
}

// single is the error of Build: a merge layer takes a list of inputs.
func (m merge) single(name string, input []int) error {
	return fmt.Errorf("layer %q (%s) takes a list of inputs and was built on one input of shape %s: apply it to several tensors",
		name, m.class, kerasfmt.AppendShape(nil, input))
}

// unreachable is Call's panic: a merge layer is never built on one input.
func (m merge) unreachable(name string) string {
	return fmt.Sprintf("layers: %s %q called on one input: a merge layer takes a list of inputs (CallMulti)", m.class, name)
}

// elementwise is the build of the elementwise merges: every input has the
// first one's shape, which is the output's.
func (m merge) elementwise(b *Base, inputs [][]int) error {
	if err := m.count(b.Name, inputs); err != nil {
		return err
	}
	for _, in := range inputs[1:] {
		if !tensor.EqualShape(in, inputs[0]) {
			return fmt.Errorf("layer %q (%s): input shapes %s differ; %s merges inputs of one shape (it does not broadcast)",
				b.Name, m.class, noneShapes(inputs), m.class)
		}
	}
	b.SetOutputShape(inputs[0])
	return nil
}

// Add adds its inputs (2 or more, of one shape), as Keras's Add.
type Add struct {
	Base
}

var addMerge = merge{class: "Add"}

// ClassName implements Layer.
func (*Add) ClassName() string { return "Add" }

// Build implements Layer: it returns an error, Add takes a list of inputs.
func (l *Add) Build(input []int) error { return addMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Add) BuildMulti(inputs [][]int) error { return addMerge.elementwise(&l.Base, inputs) }

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Add) Call(*CallContext, *autograd.Var) *autograd.Var { panic(addMerge.unreachable(l.Name)) }

// CallMulti implements MultiInput.
func (l *Add) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var { return c.Tape.AddN(xs...) }

// Subtract subtracts its second input from its first (exactly 2, of one
// shape), as Keras's Subtract.
type Subtract struct {
	Base
}

var subtractMerge = merge{class: "Subtract", exactly: 2}

// ClassName implements Layer.
func (*Subtract) ClassName() string { return "Subtract" }

// Build implements Layer: it returns an error, Subtract takes two inputs.
func (l *Subtract) Build(input []int) error { return subtractMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Subtract) BuildMulti(inputs [][]int) error {
	return subtractMerge.elementwise(&l.Base, inputs)
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Subtract) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(subtractMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput.
func (l *Subtract) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	return c.Tape.Sub(xs[0], xs[1])
}

// Multiply multiplies its inputs elementwise (2 or more, of one shape), as
// Keras's Multiply.
type Multiply struct {
	Base
}

var multiplyMerge = merge{class: "Multiply"}

// ClassName implements Layer.
func (*Multiply) ClassName() string { return "Multiply" }

// Build implements Layer: it returns an error, Multiply takes a list of
// inputs.
func (l *Multiply) Build(input []int) error { return multiplyMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Multiply) BuildMulti(inputs [][]int) error {
	return multiplyMerge.elementwise(&l.Base, inputs)
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Multiply) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(multiplyMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput: the product, left to right.
func (l *Multiply) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	y := xs[0]
	for _, x := range xs[1:] {
		y = c.Tape.Mul(y, x)
	}
	return y
}

// Average averages its inputs (2 or more, of one shape), as Keras's
// Average: their sum, left to right, times 1/n.
type Average struct {
	Base
}

var averageMerge = merge{class: "Average"}

// ClassName implements Layer.
func (*Average) ClassName() string { return "Average" }

// Build implements Layer: it returns an error, Average takes a list of
// inputs.
func (l *Average) Build(input []int) error { return averageMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Average) BuildMulti(inputs [][]int) error {
	return averageMerge.elementwise(&l.Base, inputs)
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Average) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(averageMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput.
func (l *Average) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	return c.Tape.Scale(c.Tape.AddN(xs...), 1/float32(len(xs)))
}

// Maximum takes the elementwise maximum of its inputs (2 or more, of one
// shape), as Keras's Maximum. On a tie the gradient goes to the earlier
// input.
type Maximum struct {
	Base
}

var maximumMerge = merge{class: "Maximum"}

// ClassName implements Layer.
func (*Maximum) ClassName() string { return "Maximum" }

// Build implements Layer: it returns an error, Maximum takes a list of
// inputs.
func (l *Maximum) Build(input []int) error { return maximumMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Maximum) BuildMulti(inputs [][]int) error {
	return maximumMerge.elementwise(&l.Base, inputs)
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Maximum) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(maximumMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput.
func (l *Maximum) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	y := xs[0]
	for _, x := range xs[1:] {
		y = c.Tape.Maximum(y, x)
	}
	return y
}

// Minimum takes the elementwise minimum of its inputs (2 or more, of one
// shape), as Keras's Minimum. On a tie the gradient goes to the earlier
// input.
type Minimum struct {
	Base
}

var minimumMerge = merge{class: "Minimum"}

// ClassName implements Layer.
func (*Minimum) ClassName() string { return "Minimum" }

// Build implements Layer: it returns an error, Minimum takes a list of
// inputs.
func (l *Minimum) Build(input []int) error { return minimumMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Minimum) BuildMulti(inputs [][]int) error {
	return minimumMerge.elementwise(&l.Base, inputs)
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Minimum) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(minimumMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput.
func (l *Minimum) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	y := xs[0]
	for _, x := range xs[1:] {
		y = c.Tape.Minimum(y, x)
	}
	return y
}

// Concatenate joins its inputs (2 or more) along Axis, as Keras's
// Concatenate; they must agree on every other dimension.
type Concatenate struct {
	// Axis counts the batch dimension, as in Keras: 1 is the first axis
	// of a sample and −1 the last. 0 means Keras's default, −1: the batch
	// axis 0 is never a valid concatenation axis. The config writes it as
	// Keras does, −1 for the default.
	Axis int `json:"axis"`

	Base
	axis int // resolved, counting the batch: 1 … rank
}

var concatenateMerge = merge{class: "Concatenate"}

// ClassName implements Layer.
func (*Concatenate) ClassName() string { return "Concatenate" }

// MarshalJSON writes the config with Keras's axis: −1 for the default.
func (l *Concatenate) MarshalJSON() ([]byte, error) {
	type config Concatenate // the fields, without this method
	c := config(*l)
	if c.Axis == 0 {
		c.Axis = -1
	}
	return json.Marshal(&c)
}

// Build implements Layer: it returns an error, Concatenate takes a list of
// inputs.
func (l *Concatenate) Build(input []int) error { return concatenateMerge.single(l.Name, input) }

// AxisFor returns the axis (counting the batch as 0) that Concatenate
// joins inputs of the given rank (batch included) along, Axis 0 meaning
// −1; ok is false when the axis is out of range or the batch.
func (l *Concatenate) AxisFor(rank int) (ax int, ok bool) {
	ax = l.Axis
	if ax == 0 {
		ax = -1
	}
	if ax < 0 {
		ax += rank
	}
	return ax, ax >= 1 && ax < rank
}

// BuildMulti implements MultiInput.
func (l *Concatenate) BuildMulti(inputs [][]int) error {
	if err := concatenateMerge.count(l.Name, inputs); err != nil {
		return err
	}
	rank := len(inputs[0]) + 1 // with the batch
	ax, ok := l.AxisFor(rank)
	if !ok {
		return fmt.Errorf("layer %q (Concatenate): axis %d is out of range for inputs of shape %s (valid: 1 to %d, or -1 to %d; 0 means -1)",
			l.Name, l.Axis, kerasfmt.AppendShape(nil, inputs[0]), rank-1, -(rank - 1))
	}
	out := append([]int(nil), inputs[0]...)
	out[ax-1] = 0
	for _, in := range inputs {
		ok := len(in) == len(inputs[0])
		for i := 0; ok && i < len(in); i++ {
			ok = i == ax-1 || in[i] == inputs[0][i]
		}
		if !ok {
			return fmt.Errorf("layer %q (Concatenate): input shapes %s must match except along axis %d",
				l.Name, noneShapes(inputs), l.resolvedAxis())
		}
		out[ax-1] += in[ax-1]
	}
	l.axis = ax
	l.SetOutputShape(out)
	return nil
}

func (l *Concatenate) resolvedAxis() int {
	if l.Axis == 0 {
		return -1
	}
	return l.Axis
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Concatenate) Call(*CallContext, *autograd.Var) *autograd.Var {
	panic(concatenateMerge.unreachable(l.Name))
}

// CallMulti implements MultiInput.
func (l *Concatenate) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	return c.Tape.Concat(l.axis, xs...)
}

// DotAxes are the axes of Dot's two inputs along which it takes the dot
// product, counting the batch dimension as Keras does (1 is a sample's
// first axis, −1 its last). Keras's single integer axes=a is DotAxes{a, a};
// the config writes an integer when both are equal and reads an integer or
// a pair.
type DotAxes [2]int

// MarshalJSON writes an integer when both axes are equal, else a pair.
func (a DotAxes) MarshalJSON() ([]byte, error) {
	if a[0] == a[1] {
		return json.Marshal(a[0])
	}
	return json.Marshal([2]int(a))
}

// UnmarshalJSON reads Keras's axes: an integer or a list of two.
func (a *DotAxes) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		*a = DotAxes{n, n}
		return nil
	}
	var p []int
	if err := json.Unmarshal(b, &p); err != nil || len(p) != 2 {
		return errors.New("axes must be an integer or a list of two integers")
	}
	*a = DotAxes{p[0], p[1]}
	return nil
}

// Dot takes the dot product of its two inputs, sample by sample, along
// Axes, as Keras's Dot: two batches of vectors (n,)·(n,) give (1,), and
// two batches of matrices give their product over the chosen axes, as
// (n, k)·(m, k) with Axes {2, 2} gives (n, m). With Normalize the inputs
// are L2-normalized along those axes first, so the result is their cosine
// proximity. Inputs must both be vectors or both matrices.
type Dot struct {
	// Axes is required, as in Keras: 0 (the batch) is not a valid axis.
	Axes      DotAxes `json:"axes"`
	Normalize bool    `json:"normalize"`

	Base
	axes [2]int // resolved, counting the batch
}

var dotMerge = merge{class: "Dot", exactly: 2}

// ClassName implements Layer.
func (*Dot) ClassName() string { return "Dot" }

// Build implements Layer: it returns an error, Dot takes two inputs.
func (l *Dot) Build(input []int) error { return dotMerge.single(l.Name, input) }

// BuildMulti implements MultiInput.
func (l *Dot) BuildMulti(inputs [][]int) error {
	if err := dotMerge.count(l.Name, inputs); err != nil {
		return err
	}
	a, b := inputs[0], inputs[1]
	if len(a) != len(b) || len(a) > 2 {
		return fmt.Errorf("layer %q (Dot): input shapes %s: Dot takes two batches of vectors or two of matrices",
			l.Name, noneShapes(inputs))
	}
	rank := len(a) + 1
	var ax [2]int
	for i, v := range l.Axes {
		if v < 0 {
			v += rank
		}
		if v < 1 || v >= rank {
			return fmt.Errorf("layer %q (Dot): axes %v are out of range for inputs of shape %s (valid: 1 to %d, or -1 to %d; axis 0 is the batch)",
				l.Name, [2]int(l.Axes), noneShapes(inputs), rank-1, -(rank - 1))
		}
		ax[i] = v
	}
	if a[ax[0]-1] != b[ax[1]-1] {
		return fmt.Errorf("layer %q (Dot): input shapes %s differ along axes %v: %d ≠ %d",
			l.Name, noneShapes(inputs), [2]int(l.Axes), a[ax[0]-1], b[ax[1]-1])
	}
	// Keras: each shape without its dot axis, the second without its batch.
	var out []int
	for i, d := range a {
		if i != ax[0]-1 {
			out = append(out, d)
		}
	}
	for i, d := range b {
		if i != ax[1]-1 {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		out = []int{1}
	}
	l.axes = ax
	l.SetOutputShape(out)
	return nil
}

// Call implements Layer; it is never reached, as Build refuses one input.
func (l *Dot) Call(*CallContext, *autograd.Var) *autograd.Var { panic(dotMerge.unreachable(l.Name)) }

// CallMulti implements MultiInput.
func (l *Dot) CallMulti(c *CallContext, xs []*autograd.Var) *autograd.Var {
	return c.Tape.BatchDot(xs[0], xs[1], l.axes, l.Normalize)
}
