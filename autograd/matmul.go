package autograd

import (
	"fmt"

	"github.com/neurona/neurona/internal/cpu"
)

var (
	opMatMul  = register("matmul", matMulBackward)
	opAddBias = register("bias_add", addBiasBackward)
	opDense   = register("dense", denseBackward)
)

func checkMatMul(name string, x, w *Var) (m, k, n int) {
	if w.Value.Dims() != 2 {
		panic(fmt.Sprintf("autograd: %s: weight of shape %v is not a matrix", name, w.Value.Shape))
	}
	m, k = matrix(x)
	if k != w.Value.Shape[0] {
		panic(fmt.Sprintf("autograd: %s: shapes %v and %v do not fit", name, x.Value.Shape, w.Value.Shape))
	}
	return m, k, w.Value.Shape[1]
}

// outShape is x's shape with the last dimension replaced by n, written into
// buf to avoid allocating.
func outShape(buf *[8]int, x *Var, n int) []int {
	s := append(buf[:0], x.Value.Shape...)
	s[len(s)-1] = n
	return s
}

// MatMul returns x·w, where w is k×n and x is (…, k): the product applies to
// the last dimension of x.
func (tp *Tape) MatMul(x, w *Var) *Var {
	m, k, n := checkMatMul("MatMul", x, w)
	var buf [8]int
	out, _ := tp.output(opMatMul, outShape(&buf, x, n), x, w)
	cpu.Gemm(false, false, m, n, k, 1, x.Value.Data, k, w.Value.Data, n, 0, out.Value.Data, n)
	return out
}

// matMulGrads accumulates dx += dy·wᵀ and dw += xᵀ·dy.
func matMulGrads(x, w *Var, dy []float32) {
	m, k := matrix(x)
	n := w.Value.Shape[1]
	if x.Grad != nil {
		cpu.Gemm(false, true, m, k, n, 1, dy, n, w.Value.Data, n, 1, x.Grad.Data, k)
	}
	if w.Grad != nil {
		cpu.Gemm(true, false, k, n, m, 1, x.Value.Data, k, dy, n, 1, w.Grad.Data, n)
	}
}

func matMulBackward(nd *node) { matMulGrads(nd.in[0], nd.in[1], nd.out.Grad.Data) }

// AddBias returns x + b, adding the vector b to every row of x's last
// dimension.
func (tp *Tape) AddBias(x, b *Var) *Var {
	_, cols := matrix(x)
	if b.Value.Size() != cols {
		panic(fmt.Sprintf("autograd: AddBias: bias of shape %v for input %v", b.Value.Shape, x.Value.Shape))
	}
	out, _ := tp.output(opAddBias, x.Value.Shape, x, b)
	copy(out.Value.Data, x.Value.Data)
	cpu.AddBias(out.Value.Data, b.Value.Data)
	return out
}

func addBiasBackward(n *node) {
	x, b, g := n.in[0], n.in[1], n.out.Grad.Data
	if x.Grad != nil {
		cpu.Axpy(x.Grad.Data, g, 1)
	}
	if b.Grad != nil {
		cpu.SumRows(b.Grad.Data, g)
	}
}

// Dense returns act(x·w + b), the fully connected layer's fused forward
// pass. b may be nil for no bias. The backward pass needs only the output,
// so no pre-activation is kept.
func (tp *Tape) Dense(x, w, b *Var, act Activation) *Var {
	m, k, n := checkMatMul("Dense", x, w)
	if b != nil && b.Value.Size() != n {
		panic(fmt.Sprintf("autograd: Dense: bias of shape %v for %d units", b.Value.Shape, n))
	}
	var buf [8]int
	out, nd := tp.output(opDense, outShape(&buf, x, n), x, w, b)
	y := out.Value.Data
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	// The GEMM adds the bias and applies ReLU as it writes each block.
	cpu.GemmBias(false, false, m, n, k, 1, x.Value.Data, k, w.Value.Data, n, 0, y, n, bias, act == ReLU)
	if act != ReLU {
		applyActivation(y, act, n)
	}
	if nd != nil {
		nd.act = act
		if act != Linear {
			nd.aux[0] = tp.Scratch(m, n) // dz, filled in backward
		}
	}
	return out
}

func denseBackward(nd *node) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	dz := nd.out.Grad.Data
	if nd.act != Linear {
		n := w.Value.Shape[1]
		activationGrad(nd.aux[0].Data, dz, nd.out.Value.Data, nd.act, n, false)
		dz = nd.aux[0].Data
	}
	if b != nil && b.Grad != nil {
		cpu.SumRows(b.Grad.Data, dz)
	}
	matMulGrads(x, w, dz)
}
