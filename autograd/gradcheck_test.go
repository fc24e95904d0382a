package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// gradCheck compares the tape's vector–Jacobian product of f at inputs with
// central finite differences of L = Σ f(inputs)·R for a fixed random R,
// computed with L accumulated in float64.
func gradCheck(t *testing.T, name string, inputs []*tensor.Tensor, f func(tp *Tape, in []*Var) *Var) {
	t.Helper()
	gradCheckConst(t, name, inputs, 0, f)
}

// gradCheckConst is gradCheck where the last nConst inputs are constants
// (targets) that take no gradient and are not checked.
func gradCheckConst(t *testing.T, name string, inputs []*tensor.Tensor, nConst int, f func(tp *Tape, in []*Var) *Var) {
	t.Helper()
	const eps = 1e-2
	rng := tensor.NewRNG(99)
	vars := make([]*Var, len(inputs))
	for i, x := range inputs {
		if i < len(inputs)-nConst {
			vars[i] = NewParam(x)
		} else {
			vars[i] = NewConst(x)
		}
	}
	tp := NewTape()
	out := f(tp, vars)
	seed := tensor.New(out.Value.Shape...)
	rng.Normal(seed, 0, 1)
	tp.BackwardFrom(out, seed)

	loss := func() float64 {
		tp := NewTape()
		tp.SetNoGrad(true)
		consts := make([]*Var, len(inputs))
		for i, x := range inputs {
			consts[i] = NewConst(x)
		}
		y := f(tp, consts)
		var s float64
		for i, v := range y.Value.Data {
			s += float64(v) * float64(seed.Data[i])
		}
		return s
	}
	for i, x := range inputs[:len(inputs)-nConst] {
		for j := range x.Data {
			orig := x.Data[j]
			x.Data[j] = orig + eps
			lp := loss()
			x.Data[j] = orig - eps
			lm := loss()
			x.Data[j] = orig
			num := (lp - lm) / (2 * eps)
			got := float64(vars[i].Grad.Data[j])
			if math.Abs(got-num) > 3e-3+2e-2*math.Abs(num) {
				t.Errorf("%s: d/d input %d [%d]: tape %.6g, finite differences %.6g", name, i, j, got, num)
			}
		}
	}
}

func randn(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	rng.Normal(t, 0, 1)
	return t
}

// awayFromZero returns normal values with |v| ≥ 0.2, so kinks (ReLU, |x|)
// are not straddled by the finite differences.
func awayFromZero(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	t := randn(rng, shape...)
	for i, v := range t.Data {
		if v >= 0 {
			t.Data[i] = v + 0.2
		} else {
			t.Data[i] = v - 0.2
		}
	}
	return t
}

func TestGradElementwise(t *testing.T) {
	rng := tensor.NewRNG(1)
	a, b := randn(rng, 3, 4), randn(rng, 3, 4)
	gradCheck(t, "Add", []*tensor.Tensor{a, b}, func(tp *Tape, in []*Var) *Var { return tp.Add(in[0], in[1]) })
	gradCheck(t, "Sub", []*tensor.Tensor{a, b}, func(tp *Tape, in []*Var) *Var { return tp.Sub(in[0], in[1]) })
	gradCheck(t, "Mul", []*tensor.Tensor{a, b}, func(tp *Tape, in []*Var) *Var { return tp.Mul(in[0], in[1]) })
	gradCheck(t, "Scale", []*tensor.Tensor{a}, func(tp *Tape, in []*Var) *Var { return tp.Scale(in[0], -2.5) })
	gradCheck(t, "Abs", []*tensor.Tensor{awayFromZero(rng, 3, 4)}, func(tp *Tape, in []*Var) *Var { return tp.Abs(in[0]) })
	gradCheck(t, "Mul(x,x)", []*tensor.Tensor{a}, func(tp *Tape, in []*Var) *Var { return tp.Mul(in[0], in[0]) })
}

func TestGradActivations(t *testing.T) {
	rng := tensor.NewRNG(2)
	for _, act := range []Activation{Linear, ReLU, Sigmoid, Tanh, Softmax} {
		x := awayFromZero(rng, 4, 5)
		gradCheck(t, act.String(), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var { return tp.Activate(in[0], act) })
	}
}

func TestGradReductions(t *testing.T) {
	rng := tensor.NewRNG(3)
	x := randn(rng, 2, 3, 2)
	gradCheck(t, "Sum", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var { return tp.Sum(in[0]) })
	gradCheck(t, "Mean", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var { return tp.Mean(in[0]) })
	gradCheck(t, "Reshape", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
		return tp.Sigmoid(tp.Reshape(in[0], -1, 4))
	})
	// A reshape's gradient is a view of its input's: x used directly, and
	// twice through reshapes, one of them of a reshape.
	gradCheck(t, "Reshape shared", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
		r := tp.Reshape(in[0], 3, 4)
		rr := tp.Reshape(r, 12)
		return tp.Add(tp.Sum(tp.Mul(tp.Reshape(tp.Sigmoid(r), 2, 3, 2), in[0])), tp.Sum(tp.Mul(rr, rr)))
	})
}

func TestGradMatMulBiasDense(t *testing.T) {
	rng := tensor.NewRNG(4)
	x, w, b := randn(rng, 5, 3), randn(rng, 3, 4), randn(rng, 4)
	gradCheck(t, "MatMul", []*tensor.Tensor{x, w}, func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1]) })
	gradCheck(t, "MatMul 3-D", []*tensor.Tensor{randn(rng, 2, 2, 3), w}, func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1]) })
	gradCheck(t, "AddBias", []*tensor.Tensor{randn(rng, 5, 4), b}, func(tp *Tape, in []*Var) *Var { return tp.AddBias(in[0], in[1]) })
	for _, act := range []Activation{Linear, ReLU, Sigmoid, Tanh, Softmax} {
		gradCheck(t, "Dense "+act.String(), []*tensor.Tensor{x, w, b}, func(tp *Tape, in []*Var) *Var {
			return tp.Dense(in[0], in[1], in[2], act)
		})
	}
	gradCheck(t, "Dense no bias", []*tensor.Tensor{x, w}, func(tp *Tape, in []*Var) *Var {
		return tp.Dense(in[0], in[1], nil, Tanh)
	})
}

func bnParams(n int) BatchNormParams {
	return BatchNormParams{
		MovingMean: tensor.New(n), MovingVariance: tensor.Full(1, n),
		Momentum: 0.99, Epsilon: 1e-3,
	}
}

func TestGradBatchNorm(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, rows := range []int{2, 3, 8} {
		x, g, b := randn(rng, rows, 4), randn(rng, 4), randn(rng, 4)
		for _, training := range []bool{true, false} {
			p := bnParams(4)
			rng.Uniform(p.MovingVariance, 0.5, 2)
			gradCheck(t, fmt.Sprintf("BatchNorm rows=%d training=%v", rows, training), []*tensor.Tensor{x, g, b},
				func(tp *Tape, in []*Var) *Var { return tp.BatchNorm(in[0], in[1], in[2], p, training) })
		}
	}
	// Channels-last 4-D input: statistics over every dimension but the last.
	x := randn(rng, 2, 3, 2, 3)
	p := bnParams(3)
	gradCheck(t, "BatchNorm 4-D", []*tensor.Tensor{x, randn(rng, 3), randn(rng, 3)},
		func(tp *Tape, in []*Var) *Var { return tp.BatchNorm(in[0], in[1], in[2], p, true) })
}

func TestGradDropout(t *testing.T) {
	rng := tensor.NewRNG(6)
	x := randn(rng, 6, 5)
	gradCheck(t, "Dropout", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
		return tp.Dropout(in[0], 0.4, tensor.NewRNG(7), true) // same mask every call
	})
}

func TestGradComposite(t *testing.T) {
	// A small network with a mean squared error, through every op family.
	rng := tensor.NewRNG(8)
	x, w1, b1 := randn(rng, 6, 3), randn(rng, 3, 5), randn(rng, 5)
	g, be, w2, y := randn(rng, 5), randn(rng, 5), randn(rng, 5, 2), randn(rng, 6, 2)
	p := bnParams(5)
	gradCheck(t, "MLP", []*tensor.Tensor{x, w1, b1, g, be, w2, y}, func(tp *Tape, in []*Var) *Var {
		h := tp.Dense(in[0], in[1], in[2], Tanh)
		h = tp.BatchNorm(h, in[3], in[4], p, true)
		o := tp.MatMul(h, in[5])
		d := tp.Sub(o, in[6])
		return tp.Mean(tp.Mul(d, d))
	})
}
