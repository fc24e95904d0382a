package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// refPool2D is a direct max or average pooling with TensorFlow's padding:
// padded positions take no part.
func refPool2D(x *tensor.Tensor, pool, s [2]int, pad Padding, isMax bool) *tensor.Tensor {
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := kerasConvLength(h, pool[0], s[0], pad), kerasConvLength(w, pool[1], s[1], pad)
	pt, pl := tfPadBefore(h, oh, pool[0], s[0]), tfPadBefore(w, ow, pool[1], s[1])
	y := tensor.New(n, oh, ow, c)
	for i := range n {
		for oy := range oh {
			for ox := range ow {
				for ch := range c {
					best, sum, cnt := math.Inf(-1), 0.0, 0
					for ky := range pool[0] {
						for kx := range pool[1] {
							iy, ix := oy*s[0]-pt+ky, ox*s[1]-pl+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							v := float64(x.At(i, iy, ix, ch))
							best = math.Max(best, v)
							sum += v
							cnt++
						}
					}
					if isMax {
						y.Set(float32(best), i, oy, ox, ch)
					} else {
						y.Set(float32(sum/float64(cnt)), i, oy, ox, ch)
					}
				}
			}
		}
	}
	return y
}

// distinct returns a tensor of the given shape holding a random permutation
// of well-separated values, so that no maximum is tied or within finite
// differences' reach of another value.
func distinct(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	p := make([]int, len(t.Data))
	rng.Perm(p)
	for i, v := range p {
		t.Data[i] = float32(v)*0.05 - float32(len(p))*0.025
	}
	return t
}

type poolCase struct {
	n, h, w, c int
	pool, s    [2]int
	pad        Padding
}

func (pc poolCase) String() string {
	return fmt.Sprintf("x(%d,%d,%d,%d) pool%v s%v %s", pc.n, pc.h, pc.w, pc.c, pc.pool, pc.s, pc.pad)
}

func poolCases() []poolCase {
	var cs []poolCase
	for _, s := range [][2]int{{1, 1}, {2, 2}, {3, 3}, {2, 1}} {
		for _, pad := range []Padding{Valid, Same} {
			cs = append(cs, poolCase{2, 7, 6, 3, [2]int{2, 3}, s, pad})
		}
	}
	return append(cs,
		poolCase{2, 6, 6, 2, [2]int{2, 2}, [2]int{2, 2}, Valid}, // Keras's default
		poolCase{1, 5, 5, 2, [2]int{3, 3}, [2]int{1, 1}, Same},  // overlapping windows
		poolCase{2, 4, 5, 1, [2]int{1, 1}, [2]int{3, 2}, Valid}, // stride beyond the pool
	)
}

func TestPool2DMatchesReference(t *testing.T) {
	rng := tensor.NewRNG(21)
	for _, pc := range poolCases() {
		x := randn(rng, pc.n, pc.h, pc.w, pc.c)
		tp := NewTape()
		closeTensors(t, "MaxPool2D "+pc.String(), tp.MaxPool2D(NewConst(x), pc.pool, pc.s, pc.pad).Value,
			refPool2D(x, pc.pool, pc.s, pc.pad, true), 0)
		closeTensors(t, "AvgPool2D "+pc.String(), tp.AvgPool2D(NewConst(x), pc.pool, pc.s, pc.pad).Value,
			refPool2D(x, pc.pool, pc.s, pc.pad, false), 1e-6)
	}
	// Negative values and −Inf: the maximum is the true maximum.
	x := tensor.FromSlice([]float32{-3, -1, float32(math.Inf(-1)), -2}, 1, 2, 2, 1)
	if got := NewTape().MaxPool2D(NewConst(x), [2]int{2, 2}, [2]int{2, 2}, Valid).Value.Data[0]; got != -1 {
		t.Errorf("max of negatives = %v, want -1", got)
	}
}

func TestGradPool2D(t *testing.T) {
	rng := tensor.NewRNG(22)
	for _, pc := range poolCases() {
		x := distinct(rng, pc.n, pc.h, pc.w, pc.c)
		gradCheck(t, "MaxPool2D "+pc.String(), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
			return tp.MaxPool2D(in[0], pc.pool, pc.s, pc.pad)
		})
		gradCheck(t, "AvgPool2D "+pc.String(), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
			return tp.AvgPool2D(in[0], pc.pool, pc.s, pc.pad)
		})
	}
}

func TestGlobalPool2D(t *testing.T) {
	rng := tensor.NewRNG(23)
	x := distinct(rng, 3, 5, 4, 2)
	tp := NewTape()
	avg, mx := tp.GlobalAvgPool2D(NewConst(x)), tp.GlobalMaxPool2D(NewConst(x))
	if !tensor.EqualShape(avg.Value.Shape, []int{3, 2}) || !tensor.EqualShape(mx.Value.Shape, []int{3, 2}) {
		t.Fatalf("shapes %v and %v, want (3, 2)", avg.Value.Shape, mx.Value.Shape)
	}
	closeTensors(t, "GlobalAvgPool2D", avg.Value, refPool2D(x, [2]int{5, 4}, [2]int{1, 1}, Valid, false).Reshape(3, 2), 1e-6)
	closeTensors(t, "GlobalMaxPool2D", mx.Value, refPool2D(x, [2]int{5, 4}, [2]int{1, 1}, Valid, true).Reshape(3, 2), 0)
	gradCheck(t, "GlobalAvgPool2D", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var { return tp.GlobalAvgPool2D(in[0]) })
	gradCheck(t, "GlobalMaxPool2D", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var { return tp.GlobalMaxPool2D(in[0]) })
}

func TestUpSampling2D(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 1, 2, 3, 1)
	y := NewTape().UpSampling2D(NewConst(x), [2]int{2, 1})
	want := []float32{1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}
	if !tensor.EqualShape(y.Value.Shape, []int{1, 4, 3, 1}) {
		t.Fatalf("shape %v, want (1, 4, 3, 1)", y.Value.Shape)
	}
	for i, v := range want {
		if y.Value.Data[i] != v {
			t.Fatalf("UpSampling2D = %v, want %v", y.Value.Data, want)
		}
	}
	rng := tensor.NewRNG(24)
	for _, size := range [][2]int{{1, 1}, {2, 2}, {3, 2}, {1, 3}} {
		gradCheck(t, fmt.Sprintf("UpSampling2D %v", size), []*tensor.Tensor{randn(rng, 2, 3, 2, 3)}, func(tp *Tape, in []*Var) *Var {
			return tp.UpSampling2D(in[0], size)
		})
	}
}
