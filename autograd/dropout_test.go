package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestDropoutNoiseOfFullShapeIsDropout(t *testing.T) {
	x := NewConst(randn(tensor.NewRNG(60), 4, 3, 5))
	tp := NewTape()
	want := tp.Dropout(x, 0.3, tensor.NewRNG(61), true)
	for _, noise := range [][]int{nil, {4, 3, 5}} {
		got := tp.DropoutNoise(x, 0.3, noise, tensor.NewRNG(61), true)
		for i, v := range got.Value.Data {
			if math.Float32bits(v) != math.Float32bits(want.Value.Data[i]) {
				t.Fatalf("noise %v: [%d] = %v, Dropout gives %v", noise, i, v, want.Value.Data[i])
			}
		}
	}
}

func TestDropoutNoiseBroadcasts(t *testing.T) {
	rng := tensor.NewRNG(62)
	x := NewConst(randn(rng, 3, 4, 5))
	for _, noise := range [][]int{{3, 1, 5}, {3, 4, 1}, {1, 4, 1}, {1, 1, 1}, {3, 1, 1}} {
		tp := NewTape()
		y := tp.DropoutNoise(x, 0.5, noise, tensor.NewRNG(63), true)
		// The mask is what Dropout draws for ones of the noise shape.
		mask := tp.Dropout(NewConst(tensor.Full(1, noise...)), 0.5, tensor.NewRNG(63), true).Value
		kept := 0
		forEachIndex(x.Shape(), func(idx []int) {
			m := make([]int, len(idx))
			for d, i := range idx {
				if noise[d] != 1 {
					m[d] = i
				}
			}
			mv := mask.At(m...)
			if got, w := y.Value.At(idx...), x.Value.At(idx...)*mv; got != w {
				t.Fatalf("noise %v: at %v got %v, want %v·%v", noise, idx, got, x.Value.At(idx...), mv)
			}
			if mv != 0 {
				kept++
			}
		})
		if kept == 0 && mask.Size() > 3 {
			t.Errorf("noise %v: every element dropped", noise)
		}
	}
}

func TestGradDropoutNoise(t *testing.T) {
	rng := tensor.NewRNG(64)
	x := randn(rng, 3, 4, 5)
	for _, noise := range [][]int{{3, 1, 5}, {3, 4, 1}, {1, 4, 1}} {
		gradCheck(t, fmt.Sprintf("DropoutNoise %v", noise), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
			return tp.DropoutNoise(in[0], 0.4, noise, tensor.NewRNG(65), true) // same mask every call
		})
	}
}

func TestDropoutNoisePanics(t *testing.T) {
	tp := NewTape()
	x := NewConst(tensor.New(2, 3, 4))
	rng := tensor.NewRNG(1)
	mustPanic(t, "noise shape [2 3] does not broadcast to input [2 3 4]", func() { tp.DropoutNoise(x, 0.5, []int{2, 3}, rng, true) })
	mustPanic(t, "noise shape [2 2 4] does not broadcast", func() { tp.DropoutNoise(x, 0.5, []int{2, 2, 4}, rng, true) })
	mustPanic(t, "rate 1 outside [0, 1)", func() { tp.DropoutNoise(x, 1, []int{2, 1, 4}, rng, true) })
	if y := tp.DropoutNoise(x, 0.5, []int{2, 1, 4}, rng, false); y != x {
		t.Error("DropoutNoise outside training is not the identity")
	}
}
