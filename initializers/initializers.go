// Package initializers fills new weights, with Keras's initializers and
// their definitions and defaults.
package initializers

import (
	"math"

	"github.com/neurona/neurona/tensor"
)

// An Initializer fills a new weight tensor, drawing from rng.
type Initializer interface {
	Init(t *tensor.Tensor, rng *tensor.RNG)
}

// Fans returns the fan-in and fan-out of a weight shape as Keras computes
// them: a Dense kernel (in, out) has fans in and out; a convolution kernel
// (…, in, out) multiplies both by its receptive field.
func Fans(shape []int) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	}
	receptive := 1
	for _, d := range shape[:len(shape)-2] {
		receptive *= d
	}
	return shape[len(shape)-2] * receptive, shape[len(shape)-1] * receptive
}

// truncatedStddevFactor is the standard deviation of a unit normal truncated
// to [−2, 2]; Keras divides by it so the truncated draws have the intended
// variance.
const truncatedStddevFactor = 0.87962566103423978

// GlorotUniform draws from U(−l, l) with l = √(6/(fan_in+fan_out)). It is
// Keras's default kernel initializer.
type GlorotUniform struct{}

// Init implements Initializer.
func (GlorotUniform) Init(t *tensor.Tensor, rng *tensor.RNG) {
	in, out := Fans(t.Shape)
	l := float32(math.Sqrt(6 / float64(in+out)))
	rng.Uniform(t, -l, l)
}

// GlorotNormal draws from a normal truncated at two standard deviations,
// with standard deviation √(2/(fan_in+fan_out)) after truncation.
type GlorotNormal struct{}

// Init implements Initializer.
func (GlorotNormal) Init(t *tensor.Tensor, rng *tensor.RNG) {
	in, out := Fans(t.Shape)
	rng.TruncatedNormal(t, 0, float32(math.Sqrt(2/float64(in+out))/truncatedStddevFactor))
}

// HeUniform draws from U(−l, l) with l = √(6/fan_in).
type HeUniform struct{}

// Init implements Initializer.
func (HeUniform) Init(t *tensor.Tensor, rng *tensor.RNG) {
	in, _ := Fans(t.Shape)
	l := float32(math.Sqrt(6 / float64(in)))
	rng.Uniform(t, -l, l)
}

// HeNormal draws from a normal truncated at two standard deviations, with
// standard deviation √(2/fan_in) after truncation.
type HeNormal struct{}

// Init implements Initializer.
func (HeNormal) Init(t *tensor.Tensor, rng *tensor.RNG) {
	in, _ := Fans(t.Shape)
	rng.TruncatedNormal(t, 0, float32(math.Sqrt(2/float64(in))/truncatedStddevFactor))
}

// RandomNormal draws from N(Mean, Stddev²). A zero Stddev means Keras's
// default, 0.05.
type RandomNormal struct{ Mean, Stddev float32 }

// Init implements Initializer.
func (r RandomNormal) Init(t *tensor.Tensor, rng *tensor.RNG) {
	s := r.Stddev
	if s == 0 {
		s = 0.05
	}
	rng.Normal(t, r.Mean, s)
}

// RandomUniform draws from U(Minval, Maxval). Zero bounds mean Keras's
// defaults, −0.05 and 0.05.
type RandomUniform struct{ Minval, Maxval float32 }

// Init implements Initializer.
func (r RandomUniform) Init(t *tensor.Tensor, rng *tensor.RNG) {
	lo, hi := r.Minval, r.Maxval
	if lo == 0 && hi == 0 {
		lo, hi = -0.05, 0.05
	}
	rng.Uniform(t, lo, hi)
}

// Zeros fills with 0. It is Keras's default bias initializer.
type Zeros struct{}

// Init implements Initializer.
func (Zeros) Init(t *tensor.Tensor, _ *tensor.RNG) { t.Zero() }

// Ones fills with 1.
type Ones struct{}

// Init implements Initializer.
func (Ones) Init(t *tensor.Tensor, _ *tensor.RNG) { t.Fill(1) }

// Constant fills with Value.
type Constant struct{ Value float32 }

// Init implements Initializer.
func (c Constant) Init(t *tensor.Tensor, _ *tensor.RNG) { t.Fill(c.Value) }

// Orthogonal draws a random orthogonal matrix, as Keras's Orthogonal: the
// weight is seen as a (product of all but the last dimension) × (last
// dimension) matrix, filled with the Q factor of a QR decomposition of a
// standard normal matrix (of its transpose when it is wide), with the
// signs of R's diagonal folded in so that the draw is uniform over
// orthogonal matrices, times Gain. Its rows (or columns, whichever are
// fewer) are orthonormal. A zero Gain means Keras's default, 1. (Keras
// 2.2.0 takes the factor from an SVD instead; neither matches Keras's
// values, which come from NumPy's generator.)
type Orthogonal struct{ Gain float32 }

// Init implements Initializer.
func (o Orthogonal) Init(t *tensor.Tensor, rng *tensor.RNG) {
	gain := float64(o.Gain)
	if gain == 0 {
		gain = 1
	}
	if len(t.Data) == 0 {
		return
	}
	cols := 1
	if len(t.Shape) > 0 {
		cols = t.Shape[len(t.Shape)-1]
	}
	rows := len(t.Data) / cols
	// q holds the vectors to orthonormalize, one per row: the columns of
	// a tall matrix, the rows of a wide one.
	m, l := cols, rows // m vectors of length l
	if rows < cols {
		m, l = rows, cols
	}
	q := make([]float64, m*l)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	// Modified Gram–Schmidt: R's diagonal comes out positive, which is the
	// sign correction of a Householder QR.
	for i := range m {
		v := q[i*l : (i+1)*l]
		for j := range i {
			u := q[j*l : (j+1)*l]
			var d float64
			for k := range l {
				d += u[k] * v[k]
			}
			for k := range l {
				v[k] -= d * u[k]
			}
		}
		var s float64
		for _, x := range v {
			s += x * x
		}
		s = 1 / math.Sqrt(s)
		for k := range v {
			v[k] *= s
		}
	}
	for r := range rows {
		for c := range cols {
			var x float64
			if rows >= cols {
				x = q[c*l+r] // column c of the tall matrix
			} else {
				x = q[r*l+c]
			}
			t.Data[r*cols+c] = float32(gain * x)
		}
	}
}
