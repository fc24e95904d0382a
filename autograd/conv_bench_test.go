package autograd

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/neurona/neurona/internal/cpu"
	"github.com/neurona/neurona/tensor"
)

// The convolution and pooling shapes of Deep Learning Illustrated's LeNet
// (MNIST), AlexNet and VGGNet (Oxford Flowers 17, 224×224×3), with the
// book's batch sizes (128, 64, 64), except VGGNet's layers on images of
// 23×23 and more, which run a batch of 8 so that an iteration stays under
// about a second. All are valid padding with ReLU, as in the book.

type bookConv struct {
	name          string
	n, h, w, c, f int
	k, s          int
}

func (bc bookConv) oh() int { return (bc.h-bc.k)/bc.s + 1 }
func (bc bookConv) ow() int { return (bc.w-bc.k)/bc.s + 1 }

// flops is the forward pass's cost counted as a direct convolution:
// 2·N·OH·OW·KH·KW·C·F.
func (bc bookConv) flops() float64 {
	return 2 * float64(bc.n) * float64(bc.oh()*bc.ow()) * float64(bc.k*bc.k*bc.c) * float64(bc.f)
}

func (bc bookConv) String() string {
	return fmt.Sprintf("%s_%dx%dx%dx%d_%dk%ds%d", bc.name, bc.n, bc.h, bc.w, bc.c, bc.f, bc.k, bc.s)
}

var bookConvs = []bookConv{
	{"lenet1", 128, 28, 28, 1, 32, 3, 1},
	{"lenet2", 128, 26, 26, 32, 64, 3, 1},
	{"alex1", 64, 224, 224, 3, 96, 11, 4},
	{"alex2", 64, 26, 26, 96, 256, 5, 1},
	{"alex3", 64, 10, 10, 256, 256, 3, 1},
	{"alex4", 64, 8, 8, 256, 384, 3, 1},
	{"alex5", 64, 6, 6, 384, 384, 3, 1},
	{"vgg1", 8, 224, 224, 3, 64, 3, 1},
	{"vgg2", 8, 222, 222, 64, 64, 3, 1},
	{"vgg3", 8, 110, 110, 64, 128, 3, 1},
	{"vgg4", 8, 108, 108, 128, 128, 3, 1},
	{"vgg5", 8, 53, 53, 128, 256, 3, 1},
	{"vgg6", 8, 51, 51, 256, 256, 3, 1},
	{"vgg7", 8, 49, 49, 256, 256, 3, 1},
	{"vgg8", 8, 23, 23, 256, 512, 3, 1},
	{"vgg9", 8, 21, 21, 512, 512, 3, 1},
	{"vgg10", 8, 19, 19, 512, 512, 3, 1},
	{"vgg11", 64, 8, 8, 512, 512, 3, 1},
	{"vgg12", 64, 6, 6, 512, 512, 3, 1},
	{"vgg13", 64, 4, 4, 512, 512, 3, 1},
}

type bookPool struct {
	name       string
	n, h, w, c int
	k, s       int
}

var bookPools = []bookPool{
	{"lenet", 128, 24, 24, 64, 2, 2},
	{"alex1", 64, 54, 54, 96, 3, 2},
	{"alex2", 64, 22, 22, 256, 3, 2},
	{"vgg1", 8, 220, 220, 64, 2, 2},
	{"vgg2", 8, 106, 106, 128, 2, 2},
	{"vgg3", 8, 47, 47, 256, 2, 2},
	{"vgg4", 8, 17, 17, 512, 2, 2},
}

// benchIm2col runs BenchmarkBookConv without Winograd: every
// convolution as im2col + GEMM.
var benchIm2col = flag.Bool("conv.im2col", false, "BenchmarkBookConv: im2col + GEMM only, no Winograd")

// benchTile2 restricts Winograd to F(2×2, 3×3).
var benchTile2 = flag.Bool("conv.tile2", false, "BenchmarkBookConv: Winograd F(2×2, 3×3) only, no F(4×4, 3×3)")

var (
	peakOnce sync.Once
	peak1    float64
)

// fmaPeak returns the measured FMA peak of one core, in GFLOP/s, measured
// once per process.
func fmaPeak() float64 {
	peakOnce.Do(func() { peak1 = cpu.FMAPeak(time.Second) })
	return peak1
}

// reportConv reports the rate of flops per iteration as GFLOP/s and as a
// share of the FMA peak of the GOMAXPROCS cores that may run it (one
// core's measured peak times GOMAXPROCS, at most the number of CPUs).
//
// It also reports cpuGFLOP/s, the flops per second of the process's CPU
// time (user and system, all threads) since cpuStart: at GOMAXPROCS=1 the
// rate that other processes' load on the machine does not dilute.
func reportConv(b *testing.B, flops float64, cpuStart time.Duration) {
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "cpuGFLOP/s")
	}
	gf := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gf, "GFLOP/s")
	if p := fmaPeak(); p > 0 {
		cores := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
		b.ReportMetric(100*gf/(p*float64(cores)), "%peak")
	}
}

// BenchmarkBookConv times the book's convolutions (ReLU, bias, valid
// padding). forward is the training forward pass (recording for the
// backward pass); backward is the backward pass alone, the weight, bias and
// input gradients, replayed from one recorded forward pass and counted as
// twice the forward flops.
func BenchmarkBookConv(b *testing.B) {
	defer func(d, t4 bool) { winoDisabled, winoTile4 = d, t4 }(winoDisabled, winoTile4)
	winoDisabled, winoTile4 = *benchIm2col, !*benchTile2
	fmaPeak()
	for _, bc := range bookConvs {
		var x, w, bias *Var
		var seed *tensor.Tensor
		setup := func() {
			if x == nil {
				rng := tensor.NewRNG(1)
				x = NewParam(randn(rng, bc.n, bc.h, bc.w, bc.c))
				w, bias = NewParam(randn(rng, bc.k, bc.k, bc.c, bc.f)), NewParam(randn(rng, bc.f))
				seed = randn(rng, bc.n, bc.oh(), bc.ow(), bc.f)
			}
		}
		st := [2]int{bc.s, bc.s}
		tp := NewTape()
		b.Run(bc.String()+"/forward", func(b *testing.B) {
			setup()
			t0 := cpuTime()
			for b.Loop() {
				tp.Reset()
				tp.Conv2D(x, w, bias, st, Valid, ReLU)
			}
			reportConv(b, bc.flops(), t0)
		})
		b.Run(bc.String()+"/backward", func(b *testing.B) {
			setup()
			tp.Reset()
			y := tp.Conv2D(x, w, bias, st, Valid, ReLU)
			y.Grad.CopyFrom(seed)
			t0 := cpuTime()
			for b.Loop() {
				tp.replay()
			}
			reportConv(b, 2*bc.flops(), t0)
		})
		tp.Reset()
		x = nil
	}
}

// reportPool reports the input bytes per second of a pooling, by the wall
// clock (GB/s) and by the process's CPU time (cpuGB/s).
func reportPool(b *testing.B, bytes float64, cpuStart time.Duration) {
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(bytes*float64(b.N)/cpu.Seconds()/1e9, "cpuGB/s")
	}
	b.ReportMetric(bytes*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkBookPool times the book's max poolings, forward (recording the
// argmax) and backward.
func BenchmarkBookPool(b *testing.B) {
	for _, bp := range bookPools {
		rng := tensor.NewRNG(1)
		var x *Var
		setup := func() {
			if x == nil {
				x = NewParam(randn(rng, bp.n, bp.h, bp.w, bp.c))
			}
		}
		win := [2]int{bp.k, bp.k}
		st := [2]int{bp.s, bp.s}
		tp := NewTape()
		name := fmt.Sprintf("%s_%dx%dx%dx%d_%dx%d/%d", bp.name, bp.n, bp.h, bp.w, bp.c, bp.k, bp.k, bp.s)
		bytes := float64(4 * bp.n * bp.h * bp.w * bp.c)
		b.Run(name+"/forward", func(b *testing.B) {
			setup()
			t0 := cpuTime()
			for b.Loop() {
				tp.Reset()
				tp.MaxPool2D(x, win, st, Valid)
			}
			reportPool(b, bytes, t0)
		})
		b.Run(name+"/backward", func(b *testing.B) {
			setup()
			tp.Reset()
			y := tp.MaxPool2D(x, win, st, Valid)
			rng.Normal(y.Grad, 0, 1)
			t0 := cpuTime()
			for b.Loop() {
				tp.replay()
			}
			reportPool(b, bytes, t0)
		})
		tp.Reset()
		x = nil
	}
}
