package autograd

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

var opDropout = register("dropout", dropoutBackward)

// Dropout zeroes each element of x with probability rate and scales the
// survivors by 1/(1−rate) (inverted dropout), drawing from rng. Outside
// training, or with rate 0, it returns x itself.
func (tp *Tape) Dropout(x *Var, rate float32, rng *tensor.RNG, training bool) *Var {
	return tp.DropoutNoise(x, rate, nil, rng, training)
}

// DropoutNoise is Dropout with one draw per element of a noise of shape
// noiseShape, broadcast over x: noiseShape has x's rank, and each of its
// dimensions is x's or 1. SpatialDropout1D, for instance, drops whole
// channels of (B, T, C) inputs with noise shape (B, 1, C). A nil
// noiseShape, or x's own shape, is plain Dropout, with the same draws.
//
// In a split batch (SetBatchSplit) the draws are the whole batch's: a
// noise whose first dimension is x's is drawn row by row, the part
// skipping the other parts' rows; one of first dimension 1 on more rows
// is shared by every row, the same in every part. On a part of one row
// the first reading holds.
func (tp *Tape) DropoutNoise(x *Var, rate float32, noiseShape []int, rng *tensor.RNG, training bool) *Var {
	if rate < 0 || rate >= 1 {
		panic(fmt.Sprintf("autograd: Dropout: rate %v outside [0, 1)", rate))
	}
	s := x.Value.Shape
	if noiseShape == nil {
		noiseShape = s
	} else {
		checkNoiseShape(s, noiseShape)
	}
	if !training || rate == 0 {
		return x
	}
	out, nd := tp.output(opDropout, s, x)
	mask := tp.Scratch(noiseShape...)
	scale := 1 / (1 - rate)
	// An element survives when rng.Float32() ≥ rate. Float32 is the top 24
	// bits of a draw times 2⁻²⁴, so the test is exactly bits ≥ ⌈rate·2²⁴⌉,
	// done here without floats or branches.
	keepFrom := uint64(math.Ceil(float64(rate) * (1 << 24)))
	// In a split batch, the draws are the whole batch's (SetBatchSplit),
	// unless the noise is broadcast over the rows.
	var skipBefore, skipAfter int
	if len(noiseShape) > 0 && noiseShape[0] == s[0] && s[0] > 0 {
		skipBefore, skipAfter = tp.splitDraws(s[0], len(mask.Data)/s[0])
	}
	rng.Skip(skipBefore)
	rng.DropMask(mask.Data, keepFrom, scale)
	rng.Skip(skipAfter)
	broadcastMul(out.Value.Data, x.Value.Data, mask, s, false)
	if nd != nil {
		nd.aux[0] = mask
	}
	return out
}

func checkNoiseShape(s, noise []int) {
	ok := len(noise) == len(s) && len(s) <= maxBroadcastDims
	for i := 0; ok && i < len(s); i++ {
		ok = noise[i] == s[i] || noise[i] == 1
	}
	if !ok {
		// Printing a copy keeps the callers' noise shapes on their stacks.
		panic(fmt.Sprintf("autograd: DropoutNoise: noise shape %v does not broadcast to input %v", append([]int(nil), noise...), s))
	}
}

func dropoutBackward(nd *node) {
	if x := nd.in[0]; x.Grad != nil {
		broadcastMul(x.Grad.Data, nd.out.Grad.Data, nd.aux[0], x.Value.Shape, true)
	}
}

// maxBroadcastDims bounds the rank of a broadcast noise.
const maxBroadcastDims = 8

// broadcastMul sets y = x ⊙ m, or adds x ⊙ m to y when accumulate is set,
// where x has shape s and m's shape is s with some dimensions 1, broadcast.
func broadcastMul(y, x []float32, m *tensor.Tensor, s []int, accumulate bool) {
	if len(m.Data) == len(x) { // nothing broadcast
		if accumulate {
			cpu.AddMul(y, x, m.Data)
		} else {
			cpu.Mul(y, x, m.Data)
		}
		return
	}
	if len(x) == 0 {
		return
	}
	// Walk x's rows (its last dimension) with an odometer over the other
	// dimensions, keeping the matching offset into m.
	r := len(s)
	last, mLast := s[r-1], m.Shape[r-1]
	var stride, at [maxBroadcastDims]int // m's strides, 0 where broadcast
	st := mLast
	for d := r - 2; d >= 0; d-- {
		if m.Shape[d] != 1 {
			stride[d] = st
		}
		st *= m.Shape[d]
	}
	off := 0
	for row := 0; row < len(x)/last; row++ {
		xs, ys := x[row*last:(row+1)*last], y[row*last:(row+1)*last]
		switch {
		case mLast == last && accumulate:
			cpu.AddMul(ys, xs, m.Data[off:off+last])
		case mLast == last:
			cpu.Mul(ys, xs, m.Data[off:off+last])
		case accumulate:
			cpu.Axpy(ys, xs, m.Data[off])
		default:
			v := m.Data[off]
			for i, e := range xs {
				ys[i] = e * v
			}
		}
		for d := r - 2; d >= 0; d-- { // next row
			at[d]++
			off += stride[d]
			if at[d] < s[d] {
				break
			}
			off -= at[d] * stride[d]
			at[d] = 0
		}
	}
}
