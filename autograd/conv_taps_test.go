package autograd

import (
	"fmt"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// tapsCases are same-padded convolutions on small maps, where the tap-row
// path applies: the GAN discriminator's last two layers in miniature
// (5×5 on 4×4; 5×5 stride 2 from 7×7), a 3×3 on 3×5, unequal strides and
// a non-square kernel.
var tapsCases = []convCase{
	{3, 4, 4, 6, 5, 5, 7, [2]int{1, 1}, Same},
	{2, 7, 7, 3, 5, 5, 4, [2]int{2, 2}, Same},
	{2, 3, 5, 4, 3, 3, 5, [2]int{1, 1}, Same},
	{2, 5, 6, 2, 4, 3, 3, [2]int{1, 2}, Same},
}

// forceTaps lowers taps()'s thresholds so that small test shapes take the
// path, and returns the function that restores them.
func forceTaps() func() {
	c, k, bt := tapsMaxCalls, tapsMinK, tapsMinBatch
	tapsMaxCalls, tapsMinK, tapsMinBatch = 1<<20, 1, 1
	return func() { tapsMaxCalls, tapsMinK, tapsMinBatch = c, k, bt }
}

func tapsGeom(cc convCase) convGeom {
	g := convGeom{n: cc.n, h: cc.h, w: cc.w, c: cc.c, kh: cc.kh, kw: cc.kw, sh: cc.s[0], sw: cc.s[1], f: cc.f,
		oh: ConvOutputLength(cc.h, cc.kh, cc.s[0], cc.pad), ow: ConvOutputLength(cc.w, cc.kw, cc.s[1], cc.pad)}
	g.setPad()
	return g
}

// TestConv2DTapsMatchesReference checks the tap-row path's forward pass
// against the float64 direct convolution, with each activation.
func TestConv2DTapsMatchesReference(t *testing.T) {
	defer forceTaps()()
	rng := tensor.NewRNG(41)
	for i, cc := range tapsCases {
		if g := tapsGeom(cc); !g.taps() {
			t.Fatalf("%v: taps() is false", cc)
		}
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		want := refConv2D(x, w, b.Data, cc.s, cc.pad)
		for _, act := range []Activation{Linear, ReLU, Tanh} {
			bias := NewConst(b)
			if i == 1 {
				bias = nil
				want = refConv2D(x, w, nil, cc.s, cc.pad)
			}
			tp := NewTape()
			y := tp.Conv2D(NewConst(x), NewConst(w), bias, cc.s, cc.pad, act)
			ref := want.Clone()
			applyActivation(ref.Data, act, cc.f)
			closeTensors(t, fmt.Sprintf("%v %v", cc, act), y.Value, ref, 1e-5)
		}
	}
}

// TestGradConv2DTaps runs the finite-difference check through the
// tap-row path.
func TestGradConv2DTaps(t *testing.T) {
	defer forceTaps()()
	rng := tensor.NewRNG(42)
	acts := []Activation{Tanh, Linear, Sigmoid, ReLU}
	for i, cc := range tapsCases {
		x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
		act := acts[i%len(acts)]
		gradCheck(t, "taps Conv2D "+cc.String()+" "+act.String(), []*tensor.Tensor{x, w, b}, func(tp *Tape, in []*Var) *Var {
			return tp.Conv2D(in[0], in[1], in[2], cc.s, cc.pad, act)
		})
	}
}

// TestConv2DTapsMatchesIm2col compares the tap-row path with the im2col
// path, values and gradients, on a batch as large as the path needs by
// default, where the paths differ only in rounding order.
func TestConv2DTapsMatchesIm2col(t *testing.T) {
	rng := tensor.NewRNG(43)
	cc := convCase{32, 4, 4, 32, 5, 5, 24, [2]int{1, 1}, Same}
	if g := tapsGeom(cc); !g.taps() {
		t.Fatalf("%v: taps() is false with the default thresholds", cc)
	}
	x, w, b := randn(rng, cc.n, cc.h, cc.w, cc.c), randn(rng, cc.kh, cc.kw, cc.c, cc.f), randn(rng, cc.f)
	seed := randn(rng, cc.n, cc.h, cc.w, cc.f)
	run := func(taps bool) []*tensor.Tensor {
		defer func(t, w bool) { tapsDisabled, winoDisabled = t, w }(tapsDisabled, winoDisabled)
		tapsDisabled, winoDisabled = !taps, true
		xv, wv, bv := NewParam(x), NewParam(w), NewParam(b)
		tp := NewTape()
		y := tp.Conv2D(xv, wv, bv, cc.s, cc.pad, ReLU)
		tp.BackwardFrom(y, seed)
		return []*tensor.Tensor{y.Value, xv.Grad, wv.Grad, bv.Grad}
	}
	got, want := run(true), run(false)
	for i := range got {
		closeTensors(t, fmt.Sprintf("tensor %d", i), got[i], want[i], 1e-4)
	}
}

// TestConvTapsStepAllocatesNothing checks that a warm step through the
// tap-row path allocates nothing.
func TestConvTapsStepAllocatesNothing(t *testing.T) {
	defer forceTaps()()
	rng := tensor.NewRNG(44)
	cc := tapsCases[0]
	x := NewParam(randn(rng, cc.n, cc.h, cc.w, cc.c))
	w, b := NewParam(randn(rng, cc.kh, cc.kw, cc.c, cc.f)), NewParam(randn(rng, cc.f))
	tp := NewTape()
	step := func() {
		tp.Reset()
		tp.Backward(tp.Mean(tp.Conv2D(x, w, b, cc.s, cc.pad, ReLU)))
	}
	step()
	if a := alloctest.PerRun(20, step); a != 0 {
		t.Errorf("a step allocates %v times, want 0", a)
	}
}
