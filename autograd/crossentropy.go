package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

var (
	opSoftmaxCE     = register("softmax_cross_entropy", softmaxCEBackward)
	opSigmoidBCE    = register("sigmoid_binary_cross_entropy", sigmoidBCEBackward)
	opCategoricalCE = register("categorical_cross_entropy", categoricalCEBackward)
	opBinaryCE      = register("binary_cross_entropy", binaryCEBackward)
)

// checkTargets validates targets for a rows×cols prediction: the same shape,
// or with sparse set, one class index per row.
func checkTargets(name string, pred, target *Var, sparse bool) (rows, cols int) {
	rows, cols = matrix(pred)
	if sparse {
		if target.Value.Size() != rows {
			panic(fmt.Sprintf("autograd: %s: %d sparse labels for %d rows", name, target.Value.Size(), rows))
		}
		return rows, cols
	}
	if target.Value.Size() != rows*cols {
		panic(fmt.Sprintf("autograd: %s: targets %v for predictions %v", name, target.Value.Shape, pred.Value.Shape))
	}
	return rows, cols
}

// SoftmaxCrossEntropy returns the mean over rows of −Σⱼ yⱼ·log softmax(z)ⱼ
// for logits z, computed stably through log-sum-exp, so logits of ±1000
// give finite losses and gradients. With sparse set, target holds one class
// index per row instead of a distribution. It also returns the softmax
// probabilities, which it computes anyway (valid until the tape's Reset).
//
// Targets take no gradient.
func (tp *Tape) SoftmaxCrossEntropy(logits, target *Var, sparse bool) (loss *Var, probs *tensor.Tensor) {
	rows, cols := checkTargets("SoftmaxCrossEntropy", logits, target, sparse)
	out, nd := tp.output(opSoftmaxCE, nil, logits)
	probs = tp.Scratch(logits.Value.Shape...)
	z, p, y := logits.Value.Data, probs.Data, target.Value.Data
	var total float64
	softmaxExp(p, z, rows, cols, maxOf, func(r int, m float32, s float64) {
		zr, pr := z[r*cols:(r+1)*cols], p[r*cols:(r+1)*cols]
		lse := float64(m) + math.Log(s)
		inv := 1 / s
		for j := range pr {
			pr[j] = float32(float64(pr[j]) * inv)
		}
		if sparse {
			k := classIndex(y[r], cols)
			total += lse - float64(zr[k])
			return
		}
		yr := y[r*cols : (r+1)*cols]
		for j, t := range yr {
			if t != 0 {
				total += float64(t) * (lse - float64(zr[j]))
			}
		}
	})
	out.Value.Data[0] = float32(total / float64(max(rows, 1)))
	if nd != nil {
		nd.in[1], nd.nin = target, 2
		nd.aux[0] = probs
		nd.flag = sparse
	}
	return out, probs
}

// maxOf returns the largest element of a non-empty row (NaN if any is).
func maxOf(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// classIndex converts a label stored as float32 to a class index. Labels
// are validated by the caller's data checks; out-of-range ones are clamped
// here so a bad label cannot index out of bounds.
func classIndex(v float32, cols int) int {
	k := int(v)
	if k < 0 {
		return 0
	}
	if k >= cols {
		return cols - 1
	}
	return k
}

func softmaxCEBackward(nd *node) {
	z := nd.in[0]
	if z.Grad == nil {
		return
	}
	rows, cols := matrix(z)
	g := nd.out.Grad.Data[0] / float32(max(rows, 1))
	p, y, dz := nd.aux[0].Data, nd.in[1].Value.Data, z.Grad.Data
	// dL/dz = (softmax(z)·Σy − y)/rows; Σy = 1 for one-hot or sparse targets.
	for r := 0; r < rows; r++ {
		pr, dr := p[r*cols:(r+1)*cols], dz[r*cols:(r+1)*cols]
		if nd.flag {
			k := classIndex(y[r], cols)
			for j, v := range pr {
				dr[j] += g * v
			}
			dr[k] -= g
			continue
		}
		yr := y[r*cols : (r+1)*cols]
		var sy float32
		for _, t := range yr {
			sy += t
		}
		for j, v := range pr {
			dr[j] += g * (v*sy - yr[j])
		}
	}
}

// SigmoidBinaryCrossEntropy returns the mean of
// −(y·log σ(z) + (1−y)·log(1−σ(z))) over all elements, computed stably as
// max(z,0) − z·y + log(1+e^−|z|). It also returns σ(z).
func (tp *Tape) SigmoidBinaryCrossEntropy(logits, target *Var) (loss *Var, probs *tensor.Tensor) {
	checkTargets("SigmoidBinaryCrossEntropy", logits, target, false)
	out, nd := tp.output(opSigmoidBCE, nil, logits)
	probs = tp.Scratch(logits.Value.Shape...)
	z, p, y := logits.Value.Data, probs.Data, target.Value.Data
	var total float64
	var buf [expBuf]float64
	for i0 := 0; i0 < len(z); i0 += expBuf {
		zs := z[i0:min(i0+expBuf, len(z))]
		e := buf[:len(zs)]
		for i, v := range zs {
			e[i] = -math.Abs(float64(v))
		}
		cpu.Exp64(e, e) // e^−|z|
		for i, v := range zs {
			zf := float64(v)
			total += math.Max(zf, 0) - zf*float64(y[i0+i]) + math.Log1p(e[i])
			if zf >= 0 {
				p[i0+i] = float32(1 / (1 + e[i]))
			} else {
				p[i0+i] = float32(e[i] / (1 + e[i]))
			}
		}
	}
	out.Value.Data[0] = float32(total / float64(max(len(z), 1)))
	if nd != nil {
		nd.in[1], nd.nin = target, 2
		nd.aux[0] = probs
	}
	return out, probs
}

func sigmoidBCEBackward(nd *node) {
	z := nd.in[0]
	if z.Grad == nil {
		return
	}
	p, y, dz := nd.aux[0].Data, nd.in[1].Value.Data, z.Grad.Data
	g := nd.out.Grad.Data[0] / float32(max(len(p), 1))
	for i, v := range p {
		dz[i] += g * (v - y[i])
	}
}

// CategoricalCrossEntropy returns Keras's categorical cross-entropy of
// probabilities p (not logits): each row is divided by its sum, clipped to
// [eps, 1−eps], and the loss is the mean over rows of −Σⱼ yⱼ·log pⱼ. With
// sparse set, target holds one class index per row.
func (tp *Tape) CategoricalCrossEntropy(p, target *Var, eps float32, sparse bool) *Var {
	rows, cols := checkTargets("CategoricalCrossEntropy", p, target, sparse)
	out, nd := tp.output(opCategoricalCE, nil, p)
	x, y := p.Value.Data, target.Value.Data
	var total float64
	for r := 0; r < rows; r++ {
		xr := x[r*cols : (r+1)*cols]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		for j, v := range xr {
			t := targetAt(y, r, j, cols, sparse)
			if t == 0 {
				continue
			}
			q := clip(float64(v)/s, float64(eps))
			total -= float64(t) * math.Log(q)
		}
	}
	out.Value.Data[0] = float32(total / float64(max(rows, 1)))
	if nd != nil {
		nd.in[1], nd.nin = target, 2
		nd.f[0] = eps
		nd.flag = sparse
	}
	return out
}

func targetAt(y []float32, r, j, cols int, sparse bool) float32 {
	if !sparse {
		return y[r*cols+j]
	}
	if classIndex(y[r], cols) == j {
		return 1
	}
	return 0
}

func clip(q, eps float64) float64 { return min(max(q, eps), 1-eps) }

func categoricalCEBackward(nd *node) {
	p := nd.in[0]
	if p.Grad == nil {
		return
	}
	rows, cols := matrix(p)
	x, y, dx := p.Value.Data, nd.in[1].Value.Data, p.Grad.Data
	eps := float64(nd.f[0])
	g := float64(nd.out.Grad.Data[0]) / float64(max(rows, 1))
	for r := 0; r < rows; r++ {
		xr, dr := x[r*cols:(r+1)*cols], dx[r*cols:(r+1)*cols]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		// With q = p/s: dL/dq_j = −y_j/q_j where q_j is inside the clip
		// range (0 where clipped); dL/dp_k = (dL/dq_k − Σ_j dL/dq_j·q_j)/s.
		var dot float64
		for j, v := range xr {
			q := float64(v) / s
			if t := targetAt(y, r, j, cols, nd.flag); t != 0 && q > eps && q < 1-eps {
				dot += -float64(t) / q * q
			}
		}
		for k, v := range xr {
			q := float64(v) / s
			var dq float64
			if t := targetAt(y, r, k, cols, nd.flag); t != 0 && q > eps && q < 1-eps {
				dq = -float64(t) / q
			}
			dr[k] += float32(g * (dq - dot) / s)
		}
	}
}

// BinaryCrossEntropy returns Keras's binary cross-entropy of probabilities
// p: p is clipped to [eps, 1−eps] and the loss is the mean over all
// elements of −(y·log p + (1−y)·log(1−p)).
func (tp *Tape) BinaryCrossEntropy(p, target *Var, eps float32) *Var {
	checkTargets("BinaryCrossEntropy", p, target, false)
	out, nd := tp.output(opBinaryCE, nil, p)
	x, y := p.Value.Data, target.Value.Data
	e := float64(eps)
	var total float64
	for i, v := range x {
		q := clip(float64(v), e)
		t := float64(y[i])
		total -= t*math.Log(q) + (1-t)*math.Log(1-q)
	}
	out.Value.Data[0] = float32(total / float64(max(len(x), 1)))
	if nd != nil {
		nd.in[1], nd.nin = target, 2
		nd.f[0] = eps
	}
	return out
}

func binaryCEBackward(nd *node) {
	p := nd.in[0]
	if p.Grad == nil {
		return
	}
	x, y, dx := p.Value.Data, nd.in[1].Value.Data, p.Grad.Data
	e := float64(nd.f[0])
	g := float64(nd.out.Grad.Data[0]) / float64(max(len(x), 1))
	for i, v := range x {
		q := float64(v)
		if q <= e || q >= 1-e {
			continue // clipped: no gradient
		}
		t := float64(y[i])
		dx[i] += float32(g * (-t/q + (1-t)/(1-q)))
	}
}
