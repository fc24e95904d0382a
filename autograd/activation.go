package autograd

import (
	"github.com/neurona/neurona/internal/cpu"
)

// Activation selects an elementwise (or, for Softmax, row-wise) function that
// ops such as Dense apply to their output.
type Activation uint8

// The activations the fused ops know. Their derivatives are all computed
// from the output alone, so the pre-activation need not be kept.
const (
	Linear Activation = iota
	ReLU
	Sigmoid
	Tanh
	Softmax
)

var activationNames = [...]string{"linear", "relu", "sigmoid", "tanh", "softmax"}

func (a Activation) String() string {
	if int(a) < len(activationNames) {
		return activationNames[a]
	}
	return "Activation(?)"
}

// applyActivation computes y = act(y) in place over a rows×cols matrix.
func applyActivation(y []float32, act Activation, cols int) {
	switch act {
	case Linear:
	case ReLU:
		cpu.Relu(y, y)
	case Sigmoid:
		cpu.Sigmoid(y, y)
	case Tanh:
		cpu.Tanh(y, y)
	case Softmax:
		if cols > 0 {
			softmaxExp(y, y, len(y)/cols, cols, firstMax, func(r int, _ float32, s float64) {
				inv := float32(1 / s)
				yr := y[r*cols : (r+1)*cols]
				for i := range yr {
					yr[i] *= inv
				}
			})
		}
	default:
		panic("autograd: unknown activation")
	}
}

// firstMax returns the largest element of a non-empty row, skipping NaNs
// after the first element.
func firstMax(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// activationGrad computes dz = dy·act'(·), given the activation's output y,
// over a rows×cols matrix. When accumulate is true it adds into dz.
func activationGrad(dz, dy, y []float32, act Activation, cols int, accumulate bool) {
	if !accumulate {
		clear(dz)
	}
	switch act {
	case Linear:
		cpu.Axpy(dz, dy, 1)
	case ReLU:
		cpu.ReluBackward(dz, dy, y)
	case Sigmoid:
		for i, v := range y {
			dz[i] += dy[i] * v * (1 - v)
		}
	case Tanh:
		for i, v := range y {
			dz[i] += dy[i] * (1 - v*v)
		}
	case Softmax:
		// dz = y ⊙ (dy − ⟨dy, y⟩) row by row.
		for r := 0; r+cols <= len(y); r += cols {
			yr, dyr, dzr := y[r:r+cols], dy[r:r+cols], dz[r:r+cols]
			dot := cpu.Dot(dyr, yr)
			for i, v := range yr {
				dzr[i] += v * (dyr[i] - dot)
			}
		}
	default:
		panic("autograd: unknown activation")
	}
}

var opActivation = register("activation", activationBackward)

// Activate returns act(x). Softmax applies over the last dimension.
func (tp *Tape) Activate(x *Var, act Activation) *Var {
	out, n := tp.output(opActivation, x.Value.Shape, x)
	copy(out.Value.Data, x.Value.Data)
	_, cols := matrix(x)
	applyActivation(out.Value.Data, act, cols)
	if n != nil {
		n.act = act
	}
	return out
}

func activationBackward(n *node) {
	x := n.in[0]
	if x.Grad == nil {
		return
	}
	_, cols := matrix(x)
	activationGrad(x.Grad.Data, n.out.Grad.Data, n.out.Value.Data, n.act, cols, true)
}

// Relu returns max(x, 0).
func (tp *Tape) Relu(x *Var) *Var { return tp.Activate(x, ReLU) }

// Sigmoid returns 1/(1+exp(−x)).
func (tp *Tape) Sigmoid(x *Var) *Var { return tp.Activate(x, Sigmoid) }

// Tanh returns tanh(x).
func (tp *Tape) Tanh(x *Var) *Var { return tp.Activate(x, Tanh) }

// Softmax returns the softmax of x over its last dimension.
func (tp *Tape) Softmax(x *Var) *Var { return tp.Activate(x, Softmax) }
