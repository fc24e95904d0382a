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
	if rate < 0 || rate >= 1 {
		panic(fmt.Sprintf("autograd: Dropout: rate %v outside [0, 1)", rate))
	}
	if !training || rate == 0 {
		return x
	}
	out, nd := tp.output(opDropout, x.Value.Shape, x)
	mask := tp.Scratch(x.Value.Shape...)
	scale := 1 / (1 - rate)
	// An element survives when rng.Float32() ≥ rate. Float32 is the top 24
	// bits of a draw times 2⁻²⁴, so the test is exactly bits ≥ ⌈rate·2²⁴⌉,
	// done here without floats or branches.
	keepFrom := uint64(math.Ceil(float64(rate) * (1 << 24)))
	for i := range mask.Data {
		keep := (rng.Uint64() >> 40) - keepFrom // wraps around when dropped
		mask.Data[i] = scale * float32(1-(keep>>63))
	}
	cpu.Mul(out.Value.Data, x.Value.Data, mask.Data)
	if nd != nil {
		nd.aux[0] = mask
	}
	return out
}

func dropoutBackward(nd *node) {
	if x := nd.in[0]; x.Grad != nil {
		cpu.AddMul(x.Grad.Data, nd.out.Grad.Data, nd.aux[0].Data)
	}
}
