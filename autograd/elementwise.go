package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
)

var (
	opAdd   = register("add", addBackward)
	opSub   = register("sub", subBackward)
	opMul   = register("mul", mulBackward)
	opScale = register("scale", scaleBackward)
	opAbs   = register("abs", absBackward)
	opAddN  = register("add_n", addNBackward)
	opMax   = register("maximum", maxMinBackward)
	opMin   = register("minimum", maxMinBackward)
)

// Add returns a + b (same shapes).
func (tp *Tape) Add(a, b *Var) *Var {
	checkSameShape("Add", a, b)
	out, _ := tp.output(opAdd, a.Value.Shape, a, b)
	cpu.Add(out.Value.Data, a.Value.Data, b.Value.Data)
	return out
}

func addBackward(n *node) {
	g := n.out.Grad.Data
	for _, in := range n.in[:2] {
		if in.Grad != nil {
			cpu.Axpy(in.Grad.Data, g, 1)
		}
	}
}

// Sub returns a − b (same shapes).
func (tp *Tape) Sub(a, b *Var) *Var {
	checkSameShape("Sub", a, b)
	out, _ := tp.output(opSub, a.Value.Shape, a, b)
	cpu.Sub(out.Value.Data, a.Value.Data, b.Value.Data)
	return out
}

func subBackward(n *node) {
	g := n.out.Grad.Data
	if a := n.in[0]; a.Grad != nil {
		cpu.Axpy(a.Grad.Data, g, 1)
	}
	if b := n.in[1]; b.Grad != nil {
		cpu.Axpy(b.Grad.Data, g, -1)
	}
}

// Mul returns the elementwise product a ⊙ b (same shapes).
func (tp *Tape) Mul(a, b *Var) *Var {
	checkSameShape("Mul", a, b)
	out, _ := tp.output(opMul, a.Value.Shape, a, b)
	cpu.Mul(out.Value.Data, a.Value.Data, b.Value.Data)
	return out
}

func mulBackward(n *node) {
	a, b, g := n.in[0], n.in[1], n.out.Grad.Data
	if a.Grad != nil {
		cpu.AddMul(a.Grad.Data, g, b.Value.Data)
	}
	if b.Grad != nil {
		cpu.AddMul(b.Grad.Data, g, a.Value.Data)
	}
}

// Scale returns s·x.
func (tp *Tape) Scale(x *Var, s float32) *Var {
	out, n := tp.output(opScale, x.Value.Shape, x)
	y := out.Value.Data
	copy(y, x.Value.Data)
	cpu.Scale(y, s)
	if n != nil {
		n.f[0] = s
	}
	return out
}

func scaleBackward(n *node) {
	if x := n.in[0]; x.Grad != nil {
		cpu.Axpy(x.Grad.Data, n.out.Grad.Data, n.f[0])
	}
}

// Abs returns |x|. Its derivative at 0 is taken as 0.
func (tp *Tape) Abs(x *Var) *Var {
	out, _ := tp.output(opAbs, x.Value.Shape, x)
	y := out.Value.Data
	for i, v := range x.Value.Data {
		if v < 0 {
			v = -v
		}
		y[i] = v
	}
	return out
}

func absBackward(n *node) {
	x := n.in[0]
	if x.Grad == nil {
		return
	}
	dx, g := x.Grad.Data, n.out.Grad.Data
	for i, v := range x.Value.Data {
		switch {
		case v > 0:
			dx[i] += g[i]
		case v < 0:
			dx[i] -= g[i]
		}
	}
}

// AddN returns the sum of xs (one or more, all of one shape), added left to
// right: Keras's Add merge over any number of inputs.
func (tp *Tape) AddN(xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("autograd: AddN: no inputs")
	}
	for _, x := range xs[1:] {
		checkSameShape("AddN", xs[0], x)
	}
	out, _ := tp.output(opAddN, xs[0].Value.Shape, xs...)
	y := out.Value.Data
	copy(y, xs[0].Value.Data)
	for _, x := range xs[1:] {
		cpu.Add(y, y, x.Value.Data)
	}
	return out
}

func addNBackward(n *node) {
	g := n.out.Grad.Data
	for _, in := range n.inputs() {
		if in.Grad != nil {
			cpu.Axpy(in.Grad.Data, g, 1)
		}
	}
}

// Maximum returns the elementwise maximum of a and b (same shapes). The
// gradient goes to the larger input; on a tie, or where either is NaN, the
// result and the gradient are a's.
func (tp *Tape) Maximum(a, b *Var) *Var { return tp.maxMin("Maximum", opMax, a, b) }

// Minimum returns the elementwise minimum of a and b (same shapes). The
// gradient goes to the smaller input; on a tie, or where either is NaN,
// the result and the gradient are a's.
func (tp *Tape) Minimum(a, b *Var) *Var { return tp.maxMin("Minimum", opMin, a, b) }

func (tp *Tape) maxMin(name string, o op, a, b *Var) *Var {
	checkSameShape(name, a, b)
	out, nd := tp.output(o, a.Value.Shape, a, b)
	isMax := o == opMax
	y, bv := out.Value.Data, b.Value.Data
	for i, v := range a.Value.Data {
		if !takesA(v, bv[i], isMax) {
			v = bv[i]
		}
		y[i] = v
	}
	if nd != nil {
		nd.flag = isMax
	}
	return out
}

// takesA reports whether max(a, b) (min when isMax is false) is taken to
// be a: unless b is strictly larger (smaller).
func takesA(a, b float32, isMax bool) bool {
	if isMax {
		return !(b > a)
	}
	return !(b < a)
}

func maxMinBackward(nd *node) {
	a, b, g := nd.in[0], nd.in[1], nd.out.Grad.Data
	bv := b.Value.Data
	for i, v := range a.Value.Data {
		if takesA(v, bv[i], nd.flag) {
			if a.Grad != nil {
				a.Grad.Data[i] += g[i]
			}
		} else if b.Grad != nil {
			b.Grad.Data[i] += g[i]
		}
	}
}
