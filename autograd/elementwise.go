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
