package autograd

import (
	"fmt"

	"github.com/neurona/neurona/internal/cpu"
)

// A direct 1-D convolution over channels-last sequences (n, steps, c), for
// what Conv2D's kernels do not cover: dilated kernels and explicit (causal)
// padding, as Keras's Conv1D. It is im2col + one GEMM; the im2col matrix is
// kept for the backward pass, which reuses it for the input gradient.

var opConv1D = register("conv1d", conv1DBackward)

// conv1DGeom is a 1-D window: n sequences of steps×c, a kernel of k taps
// dil apart, stride, padL/padR zeros on each side, os output steps.
type conv1DGeom struct {
	n, steps, c, k, f     int
	stride, dil, padL, os int
}

// Conv1DOutputLength returns the output steps of a kernel of k taps
// spaced dil apart with the given stride over steps input steps padded by
// pad zeros in all; it is 0 when the kernel does not fit.
func Conv1DOutputLength(steps, k, stride, dil, pad int) int {
	e := (k-1)*dil + 1
	if steps+pad < e {
		return 0
	}
	return (steps+pad-e)/stride + 1
}

func (g *conv1DGeom) im2col(cols, x []float32) {
	K := g.k * g.c
	for s := range g.n {
		xs := x[s*g.steps*g.c : (s+1)*g.steps*g.c]
		for o := range g.os {
			row := cols[(s*g.os+o)*K : (s*g.os+o+1)*K]
			t0 := o*g.stride - g.padL
			for j := range g.k {
				dst := row[j*g.c : (j+1)*g.c]
				if t := t0 + j*g.dil; t >= 0 && t < g.steps {
					copy(dst, xs[t*g.c:(t+1)*g.c])
				} else {
					clear(dst)
				}
			}
		}
	}
}

func (g *conv1DGeom) col2im(dx, cols []float32) {
	K := g.k * g.c
	for s := range g.n {
		xs := dx[s*g.steps*g.c : (s+1)*g.steps*g.c]
		for o := range g.os {
			row := cols[(s*g.os+o)*K : (s*g.os+o+1)*K]
			t0 := o*g.stride - g.padL
			for j := range g.k {
				if t := t0 + j*g.dil; t >= 0 && t < g.steps {
					addTo(xs[t*g.c:(t+1)*g.c], row[j*g.c:(j+1)*g.c])
				}
			}
		}
	}
}

// Conv1D returns act(conv(x, w) + b) for sequences x of shape (n, steps, c)
// and a kernel w of shape (k, c, f), Keras's layout, with taps dil steps
// apart, the given stride, and padL and padR zeros before and after each
// sequence: shape (n, os, f) with os = Conv1DOutputLength(steps, k, stride,
// dil, padL+padR). b (f values) may be nil. Keras's causal padding is
// padL = (k−1)·dil, padR = 0.
func (tp *Tape) Conv1D(x, w, b *Var, stride, dil, padL, padR int, act Activation) *Var {
	xs, ws := x.Value.Shape, w.Value.Shape
	if len(xs) != 3 || len(ws) != 3 || ws[1] != xs[2] {
		panic(fmt.Sprintf("autograd: Conv1D: kernel %v for input %v", ws, xs))
	}
	if stride < 1 || dil < 1 || padL < 0 || padR < 0 {
		panic(fmt.Sprintf("autograd: Conv1D: stride %d, dilation %d, padding %d+%d", stride, dil, padL, padR))
	}
	g := conv1DGeom{n: xs[0], steps: xs[1], c: xs[2], k: ws[0], f: ws[2], stride: stride, dil: dil, padL: padL}
	g.os = Conv1DOutputLength(g.steps, g.k, stride, dil, padL+padR)
	if g.os < 1 {
		panic(fmt.Sprintf("autograd: Conv1D: kernel %v does not fit input %v", ws, xs))
	}
	if b != nil && b.Value.Size() != g.f {
		panic(fmt.Sprintf("autograd: Conv1D: bias of shape %v for %d filters", b.Value.Shape, g.f))
	}
	var buf [8]int
	out, nd := tp.output(opConv1D, append(buf[:0], g.n, g.os, g.f), x, w, b)
	K, rows := g.k*g.c, g.n*g.os
	cols := tp.Scratch(rows * K)
	g.im2col(cols.Data, x.Value.Data)
	var bias []float32
	if b != nil {
		bias = b.Value.Data
	}
	y := out.Value.Data
	if act == Linear || act == ReLU {
		cpu.GemmBias(false, false, rows, g.f, K, 1, cols.Data, K, w.Value.Data, g.f, 0, y, g.f, bias, act == ReLU)
	} else {
		cpu.GemmBias(false, false, rows, g.f, K, 1, cols.Data, K, w.Value.Data, g.f, 0, y, g.f, bias, false)
		applyActivation(y, act, g.f)
	}
	if nd != nil {
		nd.ints = [4]int{stride, dil, padL, padR}
		nd.act = act
		nd.aux[0] = cols
		if act != Linear {
			nd.aux[1] = tp.Scratch(rows * g.f)
		}
	}
	return out
}

func conv1DBackward(nd *node) {
	x, w, b := nd.in[0], nd.in[1], nd.in[2]
	xs, ws := x.Value.Shape, w.Value.Shape
	g := conv1DGeom{n: xs[0], steps: xs[1], c: xs[2], k: ws[0], f: ws[2],
		stride: nd.ints[0], dil: nd.ints[1], padL: nd.ints[2], os: nd.out.Value.Shape[1]}
	K, rows, f := g.k*g.c, g.n*g.os, g.f
	dz := nd.out.Grad.Data
	if nd.act != Linear {
		activationGrad(nd.aux[1].Data, dz, nd.out.Value.Data, nd.act, f, false)
		dz = nd.aux[1].Data
	}
	if b != nil && b.Grad != nil {
		db := b.Grad.Data
		for r := range rows {
			addTo(db, dz[r*f:(r+1)*f])
		}
	}
	cols := nd.aux[0].Data
	if w.Grad != nil {
		cpu.Gemm(true, false, K, f, rows, 1, cols, K, dz, f, 1, w.Grad.Data, f)
	}
	if x.Grad != nil {
		cpu.Gemm(false, true, rows, K, f, 1, dz, f, w.Value.Data, f, 0, cols, K)
		g.col2im(x.Grad.Data, cols)
	}
}
