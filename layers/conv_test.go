package layers

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

var (
	_ Layer = (*Conv2D)(nil)
	_ Layer = (*Conv2DTranspose)(nil)
	_ Layer = (*UpSampling2D)(nil)
	_ Layer = (*MaxPooling2D)(nil)
	_ Layer = (*AveragePooling2D)(nil)
	_ Layer = (*GlobalAveragePooling2D)(nil)
	_ Layer = (*GlobalMaxPooling2D)(nil)
	_ Layer = (*Flatten)(nil)
	_ Layer = (*Reshape)(nil)
)

// convOutputLength is Keras's conv_output_length (keras/utils/conv_utils.py)
// with dilation 1.
func convOutputLength(in, k int, padding string, stride int) int {
	var out int
	switch padding {
	case "same":
		out = in
	case "valid":
		out = in - k + 1
	}
	return (out + stride - 1) / stride
}

// deconvOutputLength is Keras's deconv_output_length without output
// padding.
func deconvOutputLength(in, k int, padding string, stride int) int {
	in *= stride
	if padding == "valid" {
		in += max(k-stride, 0)
	}
	return in
}

// TestConv2DShapesMatchKeras compares output shapes and parameter counts
// with Keras's rules over paddings, strides 1–3, non-square kernels and odd
// sizes.
func TestConv2DShapesMatchKeras(t *testing.T) {
	type shape struct{ h, w, c int }
	for _, in := range []shape{{28, 28, 1}, {13, 9, 3}, {7, 8, 2}} {
		for _, k := range [][2]int{{3, 3}, {5, 2}, {1, 4}, {1, 1}} {
			for _, s := range [][2]int{{1, 1}, {2, 2}, {3, 3}, {1, 3}, {2, 1}} {
				for _, pad := range []Padding{Valid, Same} {
					for _, noBias := range []bool{false, true} {
						l := &Conv2D{Filters: 6, KernelSize: k, Strides: s, Padding: pad, NoBias: noBias, Base: Base{Name: "conv2d_1"}}
						if err := buildInit(l, []int{in.h, in.w, in.c}, tensor.NewRNG(1)); err != nil {
							t.Fatalf("%+v on %v: %v", l, in, err)
						}
						want := []int{convOutputLength(in.h, k[0], string(pad), s[0]), convOutputLength(in.w, k[1], string(pad), s[1]), 6}
						params := k[0] * k[1] * in.c * 6
						if !noBias {
							params += 6
						}
						total, _, _ := counts(l.Weights())
						if !equalInts(l.OutputShape(), want) || total != params {
							t.Errorf("Conv2D k%v s%v %s bias=%v on %v: shape %v, %d params; Keras: %v, %d",
								k, s, pad, !noBias, in, l.OutputShape(), total, want, params)
						}

						tl := &Conv2DTranspose{Filters: 6, KernelSize: k, Strides: s, Padding: pad, NoBias: noBias}
						if err := buildInit(tl, []int{in.h, in.w, in.c}, tensor.NewRNG(1)); err != nil {
							t.Fatal(err)
						}
						want = []int{deconvOutputLength(in.h, k[0], string(pad), s[0]), deconvOutputLength(in.w, k[1], string(pad), s[1]), 6}
						if total, _, _ := counts(tl.Weights()); !equalInts(tl.OutputShape(), want) || total != params {
							t.Errorf("Conv2DTranspose k%v s%v %s on %v: shape %v, %d params; Keras: %v, %d",
								k, s, pad, in, tl.OutputShape(), total, want, params)
						}
					}
				}
			}
		}
	}
}

func TestConv2DWeights(t *testing.T) {
	l := &Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Activation: activations.ReLU, Base: Base{Name: "conv2d_1"}}
	if err := buildInit(l, []int{28, 28, 1}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	checkWeights(t, l, []wantWeight{{"conv2d_1/kernel", []int{3, 3, 1, 32}, true}, {"conv2d_1/bias", []int{32}, true}})
	if !equalInts(l.OutputShape(), []int{26, 26, 32}) {
		t.Errorf("output shape %v, want (26, 26, 32)", l.OutputShape())
	}
	// Glorot-uniform over fans 9·1 and 9·32; zero bias.
	limit := float32(math.Sqrt(6.0 / (9 + 9*32)))
	for _, v := range l.Weights()[0].Var.Value.Data {
		if v < -limit || v > limit {
			t.Fatalf("kernel value %v outside ±%v", v, limit)
		}
	}
	if !allEqual(l.Weights()[1].Var.Value.Data, 0) {
		t.Error("bias is not zero")
	}
	tl := &Conv2DTranspose{Filters: 4, KernelSize: [2]int{2, 3}, KernelInitializer: initializers.Ones{}, BiasInitializer: initializers.Constant{Value: 0.5}, Base: Base{Name: "conv2d_transpose_1"}}
	if err := buildInit(tl, []int{5, 5, 3}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	checkWeights(t, tl, []wantWeight{{"conv2d_transpose_1/kernel", []int{2, 3, 4, 3}, true}, {"conv2d_transpose_1/bias", []int{4}, true}})
	if !allEqual(tl.Weights()[0].Var.Value.Data, 1) || !allEqual(tl.Weights()[1].Var.Value.Data, 0.5) {
		t.Error("initializers not applied")
	}
}

func TestPoolingShapes(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		in   []int
		want []int
	}{
		{&MaxPooling2D{}, []int{24, 24, 64}, []int{12, 12, 64}},
		{&MaxPooling2D{}, []int{25, 7, 3}, []int{12, 3, 3}},
		{&MaxPooling2D{Padding: Same}, []int{25, 7, 3}, []int{13, 4, 3}},
		{&MaxPooling2D{PoolSize: [2]int{3, 2}}, []int{9, 9, 1}, []int{3, 4, 1}},
		{&MaxPooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{1, 2}}, []int{9, 9, 1}, []int{7, 4, 1}},
		{&AveragePooling2D{}, []int{24, 24, 64}, []int{12, 12, 64}},
		{&AveragePooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: Same}, []int{7, 8, 2}, []int{4, 4, 2}},
		{&GlobalAveragePooling2D{}, []int{5, 6, 7}, []int{7}},
		{&GlobalMaxPooling2D{}, []int{5, 6, 7}, []int{7}},
		{&UpSampling2D{}, []int{5, 6, 7}, []int{10, 12, 7}},
		{&UpSampling2D{Size: [2]int{3, 1}}, []int{5, 6, 7}, []int{15, 6, 7}},
		{&Flatten{}, []int{12, 12, 64}, []int{9216}},
		{&Flatten{}, []int{10}, []int{10}},
		{&Reshape{TargetShape: []int{28, 28, 1}}, []int{784}, []int{28, 28, 1}},
		{&Reshape{TargetShape: []int{-1, 4}}, []int{3, 4, 2}, []int{6, 4}},
		{&Reshape{TargetShape: []int{2, -1, 3}}, []int{3, 4, 2}, []int{2, 4, 3}},
	} {
		c.l.SetLayerName("l")
		if err := buildInit(c.l, c.in, tensor.NewRNG(1)); err != nil {
			t.Errorf("%T%+v on %v: %v", c.l, c.l, c.in, err)
			continue
		}
		if !equalInts(c.l.OutputShape(), c.want) {
			t.Errorf("%T%+v on %v: output %v, want %v", c.l, c.l, c.in, c.l.OutputShape(), c.want)
		}
		if len(c.l.Weights()) != 0 {
			t.Errorf("%T has weights", c.l)
		}
	}
}

func TestWindowLayerErrors(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		in   []int
		want string
	}{
		{&Conv2D{Filters: 2, KernelSize: [2]int{5, 5}}, []int{4, 9, 1}, "larger than the input"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{-1, 1}}, []int{4, 9, 1}, "strides"},
		{&Conv2D{KernelSize: [2]int{3, 3}}, []int{4, 9, 1}, "filters"},
		{&Conv2D{Filters: 2}, []int{4, 9, 1}, "kernel size"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{1, 1}, Padding: "full"}, []int{4, 9, 1}, `unknown padding "full"`},
		{&Conv2D{Filters: 2, KernelSize: [2]int{1, 1}, Activation: "relux"}, []int{4, 9, 1}, "relux"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{1, 1}}, []int{784}, "expects images"},
		{&Conv2D{Filters: 2, KernelSize: [2]int{1, 1}}, []int{4, 0, 1}, "non-positive"},
		{&Conv2DTranspose{Filters: 2}, []int{4, 4, 1}, "kernel size"},
		{&Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}}, []int{4, 4}, "expects images"},
		{&MaxPooling2D{}, []int{1, 5, 3}, "larger than the input"},
		{&MaxPooling2D{PoolSize: [2]int{-2, 2}}, []int{4, 5, 3}, "pool size"},
		{&AveragePooling2D{Strides: [2]int{2, -1}}, []int{4, 5, 3}, "strides"},
		{&AveragePooling2D{Padding: "SAMEISH"}, []int{4, 5, 3}, "unknown padding"},
		{&GlobalMaxPooling2D{}, []int{5, 3}, "expects images"},
		{&GlobalAveragePooling2D{}, []int{5, 3, 2, 1}, "expects images"},
		{&UpSampling2D{Interpolation: "bilinear"}, []int{4, 4, 1}, "bilinear"},
		{&UpSampling2D{Size: [2]int{0, -2}}, []int{4, 4, 1}, "size"},
		{&Flatten{}, nil, "no feature dimension"},
		{&Reshape{TargetShape: []int{5, -1}}, []int{3, 4}, "not a multiple of 5"},
		{&Reshape{TargetShape: []int{5, 2}}, []int{3, 4}, "(12 values) into (5, 2) (10 values)"},
		{&Reshape{TargetShape: []int{-1, -1}}, []int{3, 4}, "more than one -1"},
		{&Reshape{TargetShape: []int{0, 12}}, []int{3, 4}, "non-positive"},
		{&Reshape{}, []int{3, 4}, "target shape"},
	} {
		c.l.SetLayerName("layer_7")
		err := buildInit(c.l, c.in, tensor.NewRNG(1))
		if err == nil {
			t.Errorf("%T%+v on %v: built, want an error", c.l, c.l, c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "layer_7") {
			t.Errorf("%T on %v: error %q should mention %q and the layer name", c.l, c.in, err, c.want)
		}
	}
}

// lossOf returns Σ y·r for a layer's output y on x, in float64, with
// recording off.
func lossOf(l Layer, x, r *tensor.Tensor) float64 {
	c := ctx(true)
	c.Tape.SetNoGrad(true)
	y := l.Call(c, c.Tape.Const(x))
	var s float64
	for i, v := range y.Value.Data {
		s += float64(v) * float64(r.Data[i])
	}
	return s
}

// checkLayerGrads compares the tape's gradients of Σ y·r with respect to
// the input and every weight of a built layer with central differences.
func checkLayerGrads(t *testing.T, l Layer, inShape []int) {
	t.Helper()
	rng := tensor.NewRNG(7)
	x := tensor.New(inShape...)
	rng.Normal(x, 0, 1)
	c := ctx(true)
	xv := autograd.NewParam(x)
	for _, w := range l.Weights() {
		w.Var.ZeroGrad()
	}
	y := l.Call(c, xv)
	r := tensor.New(y.Value.Shape...)
	rng.Normal(r, 0, 1)
	c.Tape.BackwardFrom(y, r)
	vars := []*autograd.Var{xv}
	for _, w := range l.Weights() {
		vars = append(vars, w.Var)
	}
	const eps = 1e-2
	for vi, v := range vars {
		for j := range v.Value.Data {
			orig := v.Value.Data[j]
			v.Value.Data[j] = orig + eps
			lp := lossOf(l, x, r)
			v.Value.Data[j] = orig - eps
			lm := lossOf(l, x, r)
			v.Value.Data[j] = orig
			num := (lp - lm) / (2 * eps)
			if got := float64(v.Grad.Data[j]); math.Abs(got-num) > 3e-3+2e-2*math.Abs(num) {
				t.Errorf("%s: d/d var %d [%d]: tape %.6g, finite differences %.6g", l.LayerName(), vi, j, got, num)
			}
		}
	}
}

// TestWindowLayerGradients checks each layer's Call end to end: the
// gradients of its input and weights against finite differences.
func TestWindowLayerGradients(t *testing.T) {
	for i, c := range []struct {
		l  Layer
		in []int
	}{
		{&Conv2D{Filters: 3, KernelSize: [2]int{3, 2}, Strides: [2]int{2, 1}, Padding: Same, Activation: activations.Tanh}, []int{2, 5, 4, 2}},
		{&Conv2D{Filters: 2, KernelSize: [2]int{2, 3}, Strides: [2]int{3, 2}, NoBias: true}, []int{2, 7, 6, 2}},
		{&Conv2DTranspose{Filters: 2, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: Same, Activation: activations.Sigmoid}, []int{2, 3, 2, 3}},
		{&AveragePooling2D{PoolSize: [2]int{2, 3}, Padding: Same}, []int{2, 5, 5, 2}},
		{&GlobalAveragePooling2D{}, []int{2, 3, 4, 2}},
		{&UpSampling2D{Size: [2]int{2, 3}}, []int{2, 2, 2, 2}},
		{&Flatten{}, []int{2, 3, 2, 2}},
		{&Reshape{TargetShape: []int{-1, 3}}, []int{2, 3, 2, 2}},
	} {
		c.l.SetLayerName(fmt.Sprintf("%T_%d", c.l, i))
		if err := buildInit(c.l, c.in[1:], tensor.NewRNG(uint64(i))); err != nil {
			t.Fatal(err)
		}
		checkLayerGrads(t, c.l, c.in)
	}
}

func TestFlattenReshapeCall(t *testing.T) {
	x := tensor.New(2, 3, 2, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	f := &Flatten{}
	r := &Reshape{TargetShape: []int{2, -1}}
	for _, l := range []Layer{f, r} {
		if err := buildInit(l, []int{3, 2, 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	y := f.Call(ctx(false), autograd.NewConst(x))
	if !equalInts(y.Value.Shape, []int{2, 12}) || &y.Value.Data[0] != &x.Data[0] {
		t.Errorf("Flatten gives %v (shared storage: %v)", y.Value.Shape, &y.Value.Data[0] == &x.Data[0])
	}
	y = r.Call(ctx(false), autograd.NewConst(x))
	if !equalInts(y.Value.Shape, []int{2, 2, 6}) {
		t.Errorf("Reshape gives %v, want (2, 2, 6)", y.Value.Shape)
	}
}

// TestWindowLayerJSON checks that the configs round-trip through JSON with
// Keras's field names.
func TestWindowLayerJSON(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		keys []string
	}{
		{&Conv2D{Filters: 32, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: Same, Activation: activations.ReLU, Base: Base{Name: "c"}},
			[]string{`"filters":32`, `"kernel_size":[3,3]`, `"strides":[2,2]`, `"padding":"same"`, `"activation":"relu"`}},
		{&Conv2DTranspose{Filters: 3, KernelSize: [2]int{2, 2}, NoBias: true}, []string{`"filters":3`, `"no_bias":true`}},
		{&MaxPooling2D{PoolSize: [2]int{3, 3}}, []string{`"pool_size":[3,3]`}},
		{&AveragePooling2D{Padding: Same}, []string{`"padding":"same"`}},
		{&GlobalAveragePooling2D{Base: Base{Name: "g"}}, []string{`"name":"g"`}},
		{&GlobalMaxPooling2D{Base: Base{InputShape: []int{4, 4, 1}}}, []string{`"input_shape":[4,4,1]`}},
		{&UpSampling2D{Size: [2]int{2, 3}}, []string{`"size":[2,3]`}},
		{&Flatten{}, []string{`{}`}},
		{&Reshape{TargetShape: []int{7, -1}}, []string{`"target_shape":[7,-1]`}},
	} {
		b, err := json.Marshal(c.l)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range c.keys {
			if !strings.Contains(string(b), k) {
				t.Errorf("%T: JSON %s lacks %s", c.l, b, k)
			}
		}
		back := reflect.New(reflect.TypeOf(c.l).Elem()).Interface()
		if err := json.Unmarshal(b, back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c.l) {
			t.Errorf("%T: round trip of %s gave %+v", c.l, b, back)
		}
	}
}
