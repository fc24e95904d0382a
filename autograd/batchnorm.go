package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

var opBatchNorm = register("batch_norm", batchNormBackward)

// BatchNormParams are the non-trainable state and settings of a batch
// normalization: the moving statistics it updates in training and uses in
// inference.
type BatchNormParams struct {
	MovingMean, MovingVariance *tensor.Tensor
	Momentum, Epsilon          float32
	// Synchronized takes the training statistics over the whole of a
	// batch split across processes (SetBatchSplit), as Keras's
	// synchronized=True: every part normalizes with the same mean and
	// variance and moves the moving statistics alike. Otherwise each part
	// uses its own rows' statistics.
	Synchronized bool
}

// BatchNorm normalizes x over every dimension but the last (the features),
// then scales by gamma and shifts by beta: y = gamma·x̂ + beta.
//
// In training x̂ uses the batch's mean and (biased) variance, and the moving
// statistics move toward them: moving = moving·momentum + batch·(1−momentum),
// with the variance corrected by m/(m−(1+ε)) for m rows, as Keras 2 does.
// In inference x̂ uses the moving statistics and nothing is updated.
func (tp *Tape) BatchNorm(x, gamma, beta *Var, p BatchNormParams, training bool) *Var {
	m, n := matrix(x)
	if gamma.Value.Size() != n || beta.Value.Size() != n || p.MovingMean.Size() != n || p.MovingVariance.Size() != n {
		panic(fmt.Sprintf("autograd: BatchNorm: parameters do not fit input %v", x.Value.Shape))
	}
	out, nd := tp.output(opBatchNorm, x.Value.Shape, x, gamma, beta)
	xs, y := x.Value.Data, out.Value.Data
	g, b := gamma.Value.Data, beta.Value.Data
	mean := tp.Scratch(n)
	invstd := tp.Scratch(n)
	md, iv := mean.Data, invstd.Data
	eps := float64(p.Epsilon)
	tmp := tp.Scratch(n).Data
	// The loops below run row by row through the SIMD kernels; each column
	// sees the same operations in the same order as a scalar loop.
	var sync BatchSync
	empty := tp.emptyPart()
	rows := m // the rows the statistics are over
	if training {
		sync = tp.batchSync(p.Synchronized)
		clear(md)
		clear(iv)
		cpu.SumRows(md, xs[:m*n])
		if sync != nil {
			// The column sums and row counts of every part, summed; then
			// the squared deviations from the whole batch's mean likewise.
			buf := tp.Scratch(n + 1).Data
			copy(buf, md)
			buf[n] = float32(m)
			if empty {
				clear(buf)
			}
			sync.AllReduceSum(buf)
			copy(md, buf[:n])
			rows = int(buf[n])
		}
		inv := 1 / float32(rows)
		cpu.Scale(md, inv)
		for r := 0; r < m; r++ {
			cpu.Sub(tmp, xs[r*n:(r+1)*n], md)
			cpu.AddMul(iv, tmp, tmp)
		}
		if sync != nil {
			if empty {
				clear(iv)
			}
			sync.AllReduceSum(iv)
		}
		mom := p.Momentum
		mm, mv := p.MovingMean.Data, p.MovingVariance.Data
		corr := float32(1)
		if fm := float64(rows); fm > 1+eps {
			corr = float32(fm / (fm - (1 + eps)))
		}
		// An empty part's stand-in rows, normalized by themselves, must
		// not move its statistics.
		move := sync != nil || !empty
		for j := range iv {
			variance := iv[j] * inv
			if move {
				mm[j] = mm[j]*mom + md[j]*(1-mom)
				mv[j] = mv[j]*mom + variance*corr*(1-mom)
			}
			iv[j] = float32(1 / math.Sqrt(float64(variance)+eps))
		}
	} else {
		copy(md, p.MovingMean.Data)
		for j, v := range p.MovingVariance.Data {
			iv[j] = float32(1 / math.Sqrt(float64(v)+eps))
		}
	}
	var xhat *tensor.Tensor
	if nd != nil {
		xhat = tp.Scratch(m, n)
	}
	for r := 0; r < m; r++ {
		h := tmp
		if xhat != nil {
			h = xhat.Data[r*n : (r+1)*n]
		}
		yr := y[r*n : (r+1)*n]
		cpu.Sub(h, xs[r*n:(r+1)*n], md) // x − mean
		cpu.Mul(h, h, iv)               // x̂
		cpu.Mul(yr, g, h)               // γ·x̂
		cpu.Add(yr, yr, b)              // + β
	}
	if nd != nil {
		nd.aux[0], nd.aux[1] = xhat, invstd
		nd.aux[2] = tp.Scratch(5, n) // column sums and row scratch for backward
		nd.flag = training
		nd.sync = sync
		if sync != nil && !empty { // this part's share of the rows
			nd.f[0] = float32(m) / float32(rows)
		}
	}
	return out
}

func batchNormBackward(nd *node) {
	x, gamma, beta := nd.in[0], nd.in[1], nd.in[2]
	m, n := matrix(x)
	dy, xhat, iv := nd.out.Grad.Data, nd.aux[0].Data, nd.aux[1].Data
	g := gamma.Value.Data
	work := nd.aux[2].Data
	sumDy, sumDyXhat, coef, t, u := work[:n], work[n:2*n], work[2*n:3*n], work[3*n:4*n], work[4*n:]
	clear(sumDy)
	clear(sumDyXhat)
	cpu.SumRows(sumDy, dy[:m*n])
	for r := 0; r < m; r++ {
		cpu.AddMul(sumDyXhat, dy[r*n:(r+1)*n], xhat[r*n:(r+1)*n])
	}
	if gamma.Grad != nil {
		cpu.Add(gamma.Grad.Data, gamma.Grad.Data, sumDyXhat)
	}
	if beta.Grad != nil {
		cpu.Add(beta.Grad.Data, beta.Grad.Data, sumDy)
	}
	if x.Grad == nil {
		return
	}
	dx := x.Grad.Data
	if !nd.flag {
		// Inference: x̂ is affine in x: dx += dy·γ·invstd.
		for r := 0; r < m; r++ {
			cpu.Mul(t, dy[r*n:(r+1)*n], g)
			cpu.AddMul(dx[r*n:(r+1)*n], t, iv)
		}
		return
	}
	if nd.sync != nil {
		// Σdy and Σ(dy·x̂) over the whole batch: each part's sums of the
		// gradient of its own mean loss, weighted by its share of the
		// rows (the weight its gradients get in the data-parallel mean),
		// summed over the parts. With them, the formula below with this
		// part's m gives the gradient of its own mean loss through the
		// whole batch's statistics.
		share := nd.f[0]        // 0 for an empty part
		both := work[2*n : 4*n] // coef and t, not in use yet
		for j := range n {
			both[j], both[n+j] = share*sumDy[j], share*sumDyXhat[j]
		}
		nd.sync.AllReduceSum(both)
		copy(sumDy, both[:n])
		copy(sumDyXhat, both[n:])
	}
	// dx = γ·invstd/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), evaluated left to right
	// as ((γ·invstd)/m) · (((m·dy) − Σdy) − x̂·Σ(dy·x̂)).
	fm := float32(m)
	for j := range coef {
		coef[j] = g[j] * iv[j] / fm
	}
	for r := 0; r < m; r++ {
		copy(t, dy[r*n:(r+1)*n])
		cpu.Scale(t, fm)
		cpu.Sub(t, t, sumDy)
		cpu.Mul(u, xhat[r*n:(r+1)*n], sumDyXhat)
		cpu.Sub(t, t, u)
		cpu.AddMul(dx[r*n:(r+1)*n], coef, t)
	}
}
