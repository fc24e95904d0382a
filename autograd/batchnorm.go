package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/tensor"
)

const opBatchNorm op = 30

func init() { register(opBatchNorm, "batch_norm", batchNormBackward) }

// BatchNormParams are the non-trainable state and settings of a batch
// normalization: the moving statistics it updates in training and uses in
// inference.
type BatchNormParams struct {
	MovingMean, MovingVariance *tensor.Tensor
	Momentum, Epsilon          float32
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
	if training {
		clear(md)
		clear(iv)
		for r := 0; r < m; r++ {
			row := xs[r*n : (r+1)*n]
			for j, v := range row {
				md[j] += v
			}
		}
		inv := 1 / float32(m)
		for j := range md {
			md[j] *= inv
		}
		for r := 0; r < m; r++ {
			row := xs[r*n : (r+1)*n]
			for j, v := range row {
				d := v - md[j]
				iv[j] += d * d
			}
		}
		mom := p.Momentum
		mm, mv := p.MovingMean.Data, p.MovingVariance.Data
		corr := float32(1)
		if fm := float64(m); fm > 1+eps {
			corr = float32(fm / (fm - (1 + eps)))
		}
		for j := range iv {
			variance := iv[j] * inv
			mm[j] = mm[j]*mom + md[j]*(1-mom)
			mv[j] = mv[j]*mom + variance*corr*(1-mom)
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
		row, yr := xs[r*n:(r+1)*n], y[r*n:(r+1)*n]
		for j, v := range row {
			h := (v - md[j]) * iv[j]
			if xhat != nil {
				xhat.Data[r*n+j] = h
			}
			yr[j] = g[j]*h + b[j]
		}
	}
	if nd != nil {
		nd.aux[0], nd.aux[1] = xhat, invstd
		nd.aux[2] = tp.Scratch(2, n) // column sums for backward
		nd.flag = training
	}
	return out
}

func batchNormBackward(nd *node) {
	x, gamma, beta := nd.in[0], nd.in[1], nd.in[2]
	m, n := matrix(x)
	dy, xhat, iv := nd.out.Grad.Data, nd.aux[0].Data, nd.aux[1].Data
	g := gamma.Value.Data
	sums := nd.aux[2].Data
	sumDy, sumDyXhat := sums[:n], sums[n:]
	clear(sums)
	for r := 0; r < m; r++ {
		dr, hr := dy[r*n:(r+1)*n], xhat[r*n:(r+1)*n]
		for j, d := range dr {
			sumDy[j] += d
			sumDyXhat[j] += d * hr[j]
		}
	}
	if gamma.Grad != nil {
		gg := gamma.Grad.Data
		for j := range gg {
			gg[j] += sumDyXhat[j]
		}
	}
	if beta.Grad != nil {
		bg := beta.Grad.Data
		for j := range bg {
			bg[j] += sumDy[j]
		}
	}
	if x.Grad == nil {
		return
	}
	dx := x.Grad.Data
	if !nd.flag {
		// Inference: x̂ is affine in x.
		for r := 0; r < m; r++ {
			dr, xr := dy[r*n:(r+1)*n], dx[r*n:(r+1)*n]
			for j, d := range dr {
				xr[j] += d * g[j] * iv[j]
			}
		}
		return
	}
	// dx = γ·invstd/m · (m·dy − Σdy − x̂·Σ(dy·x̂))
	fm := float32(m)
	for r := 0; r < m; r++ {
		dr, hr, xr := dy[r*n:(r+1)*n], xhat[r*n:(r+1)*n], dx[r*n:(r+1)*n]
		for j, d := range dr {
			xr[j] += g[j] * iv[j] / fm * (fm*d - sumDy[j] - hr[j]*sumDyXhat[j])
		}
	}
}
