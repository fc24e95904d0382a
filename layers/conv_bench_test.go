package layers

import (
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// BenchmarkLeNetLayers times each window layer of the book's LeNet-5 on a
// batch of 128, forward alone (inference) and forward + backward
// (training).
func BenchmarkLeNetLayers(b *testing.B) {
	for _, c := range []struct {
		name  string
		l     Layer
		in    []int
		first bool // the model's first layer: its input takes no gradient
	}{
		{"conv2d_1", &Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Activation: activations.ReLU}, []int{28, 28, 1}, true},
		{"conv2d_2", &Conv2D{Filters: 64, KernelSize: [2]int{3, 3}, Activation: activations.ReLU}, []int{26, 26, 32}, false},
		{"max_pooling2d_1", &MaxPooling2D{}, []int{24, 24, 64}, false},
		{"flatten_1", &Flatten{}, []int{12, 12, 64}, false},
	} {
		c.l.SetLayerName(c.name)
		rng := tensor.NewRNG(1)
		if err := buildInit(c.l, c.in, rng); err != nil {
			b.Fatal(err)
		}
		xt := tensor.New(append([]int{128}, c.in...)...)
		rng.Uniform(xt, 0, 1)
		x := autograd.NewParam(xt)
		if c.first {
			x = autograd.NewConst(xt)
		}
		seed := tensor.New(append([]int{128}, c.l.OutputShape()...)...)
		rng.Normal(seed, 0, 1)
		cc := &CallContext{Tape: autograd.NewTape(), RNG: rng}
		b.Run(c.name+"/forward", func(b *testing.B) {
			cc.Tape.SetNoGrad(true)
			defer cc.Tape.SetNoGrad(false)
			for b.Loop() {
				cc.Tape.Reset()
				c.l.Call(cc, x)
			}
		})
		b.Run(c.name+"/forward+backward", func(b *testing.B) {
			cc.Training = true
			for b.Loop() {
				cc.Tape.Reset()
				cc.Tape.BackwardFrom(c.l.Call(cc, x), seed)
			}
		})
	}
}
