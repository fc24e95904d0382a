package autograd

var opSum = register("sum", sumBackward)

// Sum returns the sum of all elements of x as a scalar.
func (tp *Tape) Sum(x *Var) *Var { return tp.sumScaled(x, 1) }

// Mean returns the mean of all elements of x as a scalar.
func (tp *Tape) Mean(x *Var) *Var {
	n := len(x.Value.Data)
	if n == 0 {
		return tp.sumScaled(x, 0)
	}
	return tp.sumScaled(x, 1/float32(n))
}

// sumScaled returns s·Σx, summed in float64.
func (tp *Tape) sumScaled(x *Var, s float32) *Var {
	out, n := tp.output(opSum, nil, x)
	var acc float64
	for _, v := range x.Value.Data {
		acc += float64(v)
	}
	out.Value.Data[0] = float32(acc * float64(s))
	if n != nil {
		n.f[0] = s
	}
	return out
}

func sumBackward(n *node) {
	x := n.in[0]
	if x.Grad == nil {
		return
	}
	g := n.out.Grad.Data[0] * n.f[0]
	dx := x.Grad.Data
	for i := range dx {
		dx[i] += g
	}
}

// Reshape returns x with a new shape of the same size; one dimension may be
// −1. The result shares x's storage.
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	var buf [8]int
	s := buf[:0]
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 && infer < 0 {
			infer = i
		} else {
			known *= d
		}
		s = append(s, d)
	}
	if infer >= 0 && known > 0 {
		s[infer] = len(x.Value.Data) / known
	}
	rec := tp.needsGrad(x)
	out := tp.newVar(tp.View(x.Value.Data, s...), false) // panics on a size mismatch
	if rec {
		// The gradient is a view of x's too: what reaches out lands in x,
		// with no copy and no node to replay.
		out.Grad = tp.View(x.Grad.Data, s...)
	}
	return out
}
