package layers

import (
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/initializers"
	"github.com/neurona/neurona/tensor"
)

// Every layer type satisfies Layer.
var (
	_ Layer = (*Dense)(nil)
	_ Layer = (*Activation)(nil)
	_ Layer = (*Dropout)(nil)
	_ Layer = (*BatchNormalization)(nil)
	_ Layer = (*Input)(nil)
)

func ctx(training bool) *CallContext {
	return &CallContext{Tape: autograd.NewTape(), Training: training, RNG: tensor.NewRNG(1)}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func counts(ws []*Weight) (total, trainable, nonTrainable int) {
	for _, w := range ws {
		n := w.Var.Value.Size()
		total += n
		if w.Trainable {
			trainable += n
		} else {
			nonTrainable += n
		}
	}
	return
}

type wantWeight struct {
	name      string
	shape     []int
	trainable bool
}

func checkWeights(t *testing.T, l Layer, want []wantWeight) {
	t.Helper()
	ws := l.Weights()
	if len(ws) != len(want) {
		t.Fatalf("%s: %d weights, want %d", l.LayerName(), len(ws), len(want))
	}
	for i, w := range want {
		got := ws[i]
		if got.Name != w.name || got.Trainable != w.trainable || !equalInts(got.Var.Value.Shape, w.shape) {
			t.Errorf("weight %d = {%q %v trainable=%v}, want {%q %v trainable=%v}",
				i, got.Name, got.Var.Value.Shape, got.Trainable, w.name, w.shape, w.trainable)
		}
		// Trainable weights take gradients; non-trainable ones do not.
		if (got.Var.Grad != nil) != w.trainable {
			t.Errorf("weight %q: has Grad = %v, trainable = %v", got.Name, got.Var.Grad != nil, w.trainable)
		}
	}
}

func allEqual(d []float32, v float32) bool {
	for _, x := range d {
		if x != v {
			return false
		}
	}
	return true
}

// ---- Dense ----

func TestDenseBuild(t *testing.T) {
	l := &Dense{Units: 32, Activation: activations.ReLU, Base: Base{Name: "dense_1"}}
	if err := buildInit(l, []int{13}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	if l.ClassName() != "Dense" || l.LayerName() != "dense_1" {
		t.Errorf("ClassName %q LayerName %q", l.ClassName(), l.LayerName())
	}
	if !equalInts(l.OutputShape(), []int{32}) {
		t.Errorf("OutputShape %v, want [32]", l.OutputShape())
	}
	checkWeights(t, l, []wantWeight{
		{"dense_1/kernel", []int{13, 32}, true},
		{"dense_1/bias", []int{32}, true},
	})
	total, tr, ntr := counts(l.Weights())
	if total != 448 || tr != 448 || ntr != 0 {
		t.Errorf("params %d (trainable %d, non-trainable %d), want 448/448/0", total, tr, ntr)
	}
	// Default initializers: GlorotUniform kernel, zero bias.
	k := l.Weights()[0].Var.Value.Data
	limit := float32(math.Sqrt(6.0 / (13 + 32)))
	var nz int
	var minv, maxv float32
	for _, v := range k {
		if v < -limit || v > limit {
			t.Fatalf("kernel value %v outside Glorot limit ±%v", v, limit)
		}
		if v != 0 {
			nz++
		}
		minv, maxv = min(minv, v), max(maxv, v)
	}
	if nz < len(k)-1 || minv > -limit/2 || maxv < limit/2 {
		t.Errorf("kernel does not look GlorotUniform: %d non-zero, range [%v, %v]", nz, minv, maxv)
	}
	if !allEqual(l.Weights()[1].Var.Value.Data, 0) {
		t.Errorf("bias not initialized to zeros")
	}
	// Building again replaces the weights rather than adding to them.
	if err := buildInit(l, []int{13}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	if len(l.Weights()) != 2 {
		t.Errorf("rebuild: %d weights", len(l.Weights()))
	}
}

func TestDenseDeterministicBuild(t *testing.T) {
	a := &Dense{Units: 4, Base: Base{Name: "a"}}
	b := &Dense{Units: 4, Base: Base{Name: "b"}}
	_ = buildInit(a, []int{3}, tensor.NewRNG(5))
	_ = buildInit(b, []int{3}, tensor.NewRNG(5))
	ka, kb := a.Weights()[0].Var.Value.Data, b.Weights()[0].Var.Value.Data
	for i := range ka {
		if ka[i] != kb[i] {
			t.Fatalf("same seed, different kernels")
		}
	}
}

func TestDenseNoBiasAndInitializers(t *testing.T) {
	l := &Dense{Units: 32, NoBias: true, Base: Base{Name: "dense_2"}}
	if err := buildInit(l, []int{13}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	checkWeights(t, l, []wantWeight{{"dense_2/kernel", []int{13, 32}, true}})
	if total, _, _ := counts(l.Weights()); total != 416 {
		t.Errorf("NoBias params %d, want 416", total)
	}
	c := &Dense{Units: 3, KernelInitializer: initializers.Constant{Value: 0.5}, BiasInitializer: initializers.Constant{Value: -2}, Base: Base{Name: "dense_3"}}
	if err := buildInit(c, []int{4}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	if !allEqual(c.Weights()[0].Var.Value.Data, 0.5) || !allEqual(c.Weights()[1].Var.Value.Data, -2) {
		t.Errorf("explicit initializers ignored")
	}
}

func TestDense3DInput(t *testing.T) {
	l := &Dense{Units: 4, BiasInitializer: initializers.RandomUniform{Minval: -1, Maxval: 1}, Base: Base{Name: "dense_1"}}
	if err := buildInit(l, []int{5, 3}, tensor.NewRNG(2)); err != nil {
		t.Fatal(err)
	}
	if !equalInts(l.OutputShape(), []int{5, 4}) {
		t.Errorf("OutputShape %v, want [5 4]", l.OutputShape())
	}
	checkWeights(t, l, []wantWeight{
		{"dense_1/kernel", []int{3, 4}, true},
		{"dense_1/bias", []int{4}, true},
	})
	x := tensor.New(2, 5, 3)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	y := l.Call(ctx(false), autograd.NewConst(x))
	if !equalInts(y.Value.Shape, []int{2, 5, 4}) {
		t.Fatalf("Call output shape %v, want [2 5 4]", y.Value.Shape)
	}
	checkDenseValues(t, x.Data, l, y.Value.Data, 10, 3, 4, func(v float64) float64 { return v })
}

// checkDenseValues compares y with a float64 act(x·W + b).
func checkDenseValues(t *testing.T, x []float32, l *Dense, y []float32, m, k, n int, act func(float64) float64) {
	t.Helper()
	w := l.Weights()[0].Var.Value.Data
	var b []float32
	if len(l.Weights()) > 1 {
		b = l.Weights()[1].Var.Value.Data
	}
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			var s float64
			for i := 0; i < k; i++ {
				s += float64(x[r*k+i]) * float64(w[i*n+j])
			}
			if b != nil {
				s += float64(b[j])
			}
			want := act(s)
			if got := float64(y[r*n+j]); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("y[%d][%d] = %v, reference %v", r, j, got, want)
			}
		}
	}
}

func TestDenseCallValues(t *testing.T) {
	l := &Dense{Units: 6, Activation: activations.ReLU, BiasInitializer: initializers.RandomUniform{Minval: -0.5, Maxval: 0.5}, Base: Base{Name: "dense_1"}}
	if err := buildInit(l, []int{7}, tensor.NewRNG(3)); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(5, 7)
	for i := range x.Data {
		x.Data[i] = float32(math.Cos(float64(i) * 0.37))
	}
	y := l.Call(ctx(true), autograd.NewConst(x))
	if !equalInts(y.Value.Shape, []int{5, 6}) {
		t.Fatalf("output shape %v", y.Value.Shape)
	}
	zeros := 0
	for _, v := range y.Value.Data {
		if v == 0 {
			zeros++
		}
	}
	if zeros == 0 || zeros == len(y.Value.Data) {
		t.Fatalf("test data does not exercise relu: %d zeros", zeros)
	}
	checkDenseValues(t, x.Data, l, y.Value.Data, 5, 7, 6, func(v float64) float64 { return math.Max(v, 0) })

	// NoBias: y = x·W.
	nb := &Dense{Units: 2, NoBias: true, Activation: activations.Tanh, Base: Base{Name: "d"}}
	_ = buildInit(nb, []int{7}, tensor.NewRNG(4))
	y = nb.Call(ctx(false), autograd.NewConst(x))
	checkDenseValues(t, x.Data, nb, y.Value.Data, 5, 7, 2, math.Tanh)
}

func TestDenseErrors(t *testing.T) {
	cases := []struct {
		l     *Dense
		input []int
		want  string
	}{
		{&Dense{Units: 0, Base: Base{Name: "dense_1"}}, []int{4}, "units"},
		{&Dense{Units: -3, Base: Base{Name: "dense_1"}}, []int{4}, "units"},
		{&Dense{Units: 2, Activation: "relux", Base: Base{Name: "dense_1"}}, []int{4}, "relux"},
		{&Dense{Units: 2, Base: Base{Name: "dense_1"}}, []int{}, "input shape"},
		{&Dense{Units: 2, Base: Base{Name: "dense_1"}}, []int{0}, "input shape"},
		{&Dense{Units: 2, Base: Base{Name: "dense_1"}}, []int{3, -1}, "input shape"},
	}
	for _, c := range cases {
		err := buildInit(c.l, c.input, tensor.NewRNG(1))
		if err == nil {
			t.Errorf("Build(%+v, %v) succeeded, want an error", c.l, c.input)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "dense_1") {
			t.Errorf("Build error %q should mention %q and the layer name", err, c.want)
		}
	}
	// The unknown-activation error lists the valid names.
	err := buildInit(&Dense{Units: 2, Activation: "relux"}, []int{4}, tensor.NewRNG(1))
	if err == nil || !strings.Contains(err.Error(), "sigmoid") {
		t.Errorf("unknown activation error %v does not list valid names", err)
	}
}

func TestInputSpec(t *testing.T) {
	if s := (&Dense{Units: 1, InputDim: 13}).InputSpec(); !equalInts(s, []int{13}) {
		t.Errorf("Dense InputDim 13: InputSpec %v", s)
	}
	shape := []int{4, 5}
	d := &Dense{Units: 1, Base: Base{InputShape: shape}}
	s := d.InputSpec()
	if !equalInts(s, []int{4, 5}) {
		t.Errorf("Dense InputShape [4 5]: InputSpec %v", s)
	}
	s[0] = 99
	if shape[0] != 4 {
		t.Errorf("InputSpec aliases the InputShape field")
	}
	// InputShape takes precedence over InputDim.
	if s := (&Dense{Units: 1, InputDim: 3, Base: Base{InputShape: []int{7}}}).InputSpec(); !equalInts(s, []int{7}) {
		t.Errorf("InputShape+InputDim: InputSpec %v", s)
	}
	if s := (&Dense{Units: 1}).InputSpec(); s != nil {
		t.Errorf("no declared input: InputSpec %v, want nil", s)
	}
	for _, l := range []Layer{
		&Activation{Base: Base{InputShape: []int{3}}}, &Dropout{Base: Base{InputShape: []int{3}}},
		&BatchNormalization{Base: Base{InputShape: []int{3}}}, &Input{Shape: []int{3}},
	} {
		if s := l.InputSpec(); !equalInts(s, []int{3}) {
			t.Errorf("%s InputSpec %v, want [3]", l.ClassName(), s)
		}
	}
	for _, l := range []Layer{&Activation{}, &Dropout{}, &BatchNormalization{}, &Input{}} {
		if s := l.InputSpec(); s != nil {
			t.Errorf("%s with no shape: InputSpec %v, want nil", l.ClassName(), s)
		}
	}
}

// ---- Input ----

func TestInput(t *testing.T) {
	l := &Input{Shape: []int{13}}
	if l.ClassName() != "InputLayer" {
		t.Errorf("ClassName %q", l.ClassName())
	}
	l.SetLayerName("input_1")
	if l.LayerName() != "input_1" || l.Name != "input_1" {
		t.Errorf("SetLayerName: %q", l.LayerName())
	}
	if err := buildInit(l, []int{13}, nil); err != nil {
		t.Fatal(err)
	}
	if !equalInts(l.OutputShape(), []int{13}) || len(l.Weights()) != 0 {
		t.Errorf("OutputShape %v, %d weights", l.OutputShape(), len(l.Weights()))
	}
	x := autograd.NewConst(tensor.New(2, 13))
	if l.Call(ctx(true), x) != x {
		t.Errorf("Input.Call does not return its input")
	}
	if err := buildInit(l, nil, nil); err == nil {
		t.Errorf("Build with an empty shape succeeded")
	}
}

// ---- Activation ----

func TestActivationLayer(t *testing.T) {
	l := &Activation{Activation: activations.Sigmoid, Base: Base{Name: "activation_1"}}
	if err := buildInit(l, []int{2, 3}, nil); err != nil {
		t.Fatal(err)
	}
	if l.ClassName() != "Activation" || !equalInts(l.OutputShape(), []int{2, 3}) || len(l.Weights()) != 0 {
		t.Errorf("ClassName %q OutputShape %v weights %d", l.ClassName(), l.OutputShape(), len(l.Weights()))
	}
	x := tensor.FromSlice([]float32{-2, -1, 0, 1, 2, 3}, 1, 2, 3)
	y := l.Call(ctx(false), autograd.NewConst(x))
	for i, v := range x.Data {
		want := 1 / (1 + math.Exp(-float64(v)))
		if got := float64(y.Value.Data[i]); math.Abs(got-want) > 1e-6 {
			t.Errorf("sigmoid(%v) = %v, want %v", v, got, want)
		}
	}
	lin := &Activation{Base: Base{Name: "activation_2"}}
	if err := buildInit(lin, []int{3}, nil); err != nil {
		t.Fatal(err)
	}
	in := autograd.NewConst(x)
	if lin.Call(ctx(false), in) != in {
		t.Errorf("linear Activation layer does not return its input")
	}
	err := buildInit(&Activation{Activation: "swishy", Base: Base{Name: "activation_3"}}, []int{3}, nil)
	if err == nil || !strings.Contains(err.Error(), "swishy") || !strings.Contains(err.Error(), "activation_3") {
		t.Errorf("unknown activation: error %v", err)
	}
}

// ---- Dropout ----

func TestDropoutBuild(t *testing.T) {
	for _, r := range []float32{1, -0.1, 1.5, float32(math.NaN())} {
		err := buildInit(&Dropout{Rate: r, Base: Base{Name: "dropout_1"}}, []int{4}, nil)
		if err == nil {
			t.Errorf("Dropout rate %v accepted", r)
		} else if !strings.Contains(err.Error(), "rate") || !strings.Contains(err.Error(), "dropout_1") {
			t.Errorf("Dropout rate %v: error %q", r, err)
		}
	}
	for _, r := range []float32{0, 0.5, 0.99} {
		l := &Dropout{Rate: r, Base: Base{Name: "dropout_1"}}
		if err := buildInit(l, []int{4, 2}, nil); err != nil {
			t.Errorf("Dropout rate %v: %v", r, err)
		}
		if l.ClassName() != "Dropout" || !equalInts(l.OutputShape(), []int{4, 2}) || len(l.Weights()) != 0 {
			t.Errorf("Dropout: OutputShape %v weights %d", l.OutputShape(), len(l.Weights()))
		}
	}
}

func TestDropoutCall(t *testing.T) {
	const rate = 0.3
	l := &Dropout{Rate: rate, Base: Base{Name: "dropout_1"}}
	if err := buildInit(l, []int{100}, nil); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(100, 100)
	for i := range x.Data {
		x.Data[i] = 1 + float32(i%17) // never zero
	}
	in := autograd.NewParam(x)
	if y := l.Call(ctx(false), in); y != in {
		t.Errorf("Dropout at inference does not return its input")
	}
	c := ctx(true)
	y := l.Call(c, in)
	if y == in || !equalInts(y.Value.Shape, []int{100, 100}) {
		t.Fatalf("training output: same Var %v, shape %v", y == in, y.Value.Shape)
	}
	scale := 1 / (1 - float64(rate))
	zeros := 0
	for i, v := range y.Value.Data {
		if v == 0 {
			zeros++
			continue
		}
		want := float64(x.Data[i]) * scale
		if math.Abs(float64(v)-want) > 1e-6*want {
			t.Fatalf("kept element %d = %v, want x/(1−rate) = %v", i, v, want)
		}
	}
	frac := float64(zeros) / float64(len(x.Data))
	// sd of the fraction is sqrt(0.3·0.7/1e4) ≈ 0.0046.
	if math.Abs(frac-rate) > 0.025 {
		t.Errorf("dropped fraction %v, want about %v", frac, rate)
	}
	// The input is untouched.
	if x.Data[0] != 1 || x.Data[1] != 2 {
		t.Errorf("Dropout modified its input")
	}

	// Same seed, same mask; different seed, different mask.
	mask := func(seed uint64) []bool {
		cc := &CallContext{Tape: autograd.NewTape(), Training: true, RNG: tensor.NewRNG(seed)}
		out := l.Call(cc, in)
		m := make([]bool, len(out.Value.Data))
		for i, v := range out.Value.Data {
			m[i] = v == 0
		}
		return m
	}
	a, b, d := mask(7), mask(7), mask(8)
	diff := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed gave different masks at %d", i)
		}
		if a[i] != d[i] {
			diff++
		}
	}
	if diff < 1000 {
		t.Errorf("seeds 7 and 8 masks differ in only %d of 10000 places", diff)
	}

	// Rate 0 in training is the identity.
	z := &Dropout{Base: Base{Name: "dropout_2"}}
	_ = buildInit(z, []int{100}, nil)
	if z.Call(ctx(true), in) != in {
		t.Errorf("Dropout rate 0 in training does not return its input")
	}
}

// ---- BatchNormalization ----

func bnWeights(t *testing.T, l *BatchNormalization) (gamma, beta, mm, mv *tensor.Tensor) {
	t.Helper()
	ws := l.Weights()
	if len(ws) != 4 {
		t.Fatalf("BatchNormalization has %d weights", len(ws))
	}
	return ws[0].Var.Value, ws[1].Var.Value, ws[2].Var.Value, ws[3].Var.Value
}

func TestBatchNormBuild(t *testing.T) {
	l := &BatchNormalization{Base: Base{Name: "batch_normalization_1"}}
	if err := buildInit(l, []int{32}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	if l.ClassName() != "BatchNormalization" || !equalInts(l.OutputShape(), []int{32}) {
		t.Errorf("ClassName %q OutputShape %v", l.ClassName(), l.OutputShape())
	}
	checkWeights(t, l, []wantWeight{
		{"batch_normalization_1/gamma", []int{32}, true},
		{"batch_normalization_1/beta", []int{32}, true},
		{"batch_normalization_1/moving_mean", []int{32}, false},
		{"batch_normalization_1/moving_variance", []int{32}, false},
	})
	total, tr, ntr := counts(l.Weights())
	if total != 128 || tr != 64 || ntr != 64 {
		t.Errorf("params %d (trainable %d, non-trainable %d), want 128/64/64", total, tr, ntr)
	}
	g, b, mm, mv := bnWeights(t, l)
	if !allEqual(g.Data, 1) || !allEqual(b.Data, 0) || !allEqual(mm.Data, 0) || !allEqual(mv.Data, 1) {
		t.Errorf("initial values: gamma %v beta %v moving_mean %v moving_variance %v", g.Data[:2], b.Data[:2], mm.Data[:2], mv.Data[:2])
	}
	// Features are the last dimension.
	l3 := &BatchNormalization{Base: Base{Name: "bn"}}
	if err := buildInit(l3, []int{6, 5}, nil); err != nil {
		t.Fatal(err)
	}
	if !equalInts(l3.OutputShape(), []int{6, 5}) || !equalInts(l3.Weights()[0].Var.Value.Shape, []int{5}) {
		t.Errorf("(6,5) input: output %v gamma %v", l3.OutputShape(), l3.Weights()[0].Var.Value.Shape)
	}
}

func TestBatchNormBadSettings(t *testing.T) {
	cases := []BatchNormalization{
		{Momentum: 1}, {Momentum: 1.5}, {Momentum: -0.5},
		{Epsilon: -1e-3}, {Momentum: float32(math.NaN())},
	}
	for _, c := range cases {
		l := c
		l.Name = "batch_normalization_1"
		err := buildInit(&l, []int{4}, nil)
		if err == nil {
			t.Errorf("Momentum %v Epsilon %v accepted", c.Momentum, c.Epsilon)
		} else if !strings.Contains(err.Error(), "batch_normalization_1") {
			t.Errorf("error %q does not name the layer", err)
		}
	}
	if err := buildInit(&BatchNormalization{Momentum: 0.9, Epsilon: 1e-5}, []int{4}, nil); err != nil {
		t.Errorf("valid settings rejected: %v", err)
	}
	if err := buildInit(&BatchNormalization{}, nil, nil); err == nil {
		t.Errorf("empty input shape accepted")
	}
}

func bnInput(m, n int) *tensor.Tensor {
	x := tensor.New(m, n)
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			// Column j has mean about 3j−2 and spread growing with j.
			x.Data[r*n+j] = float32(3*j-2) + float32(j+1)*0.7*float32(math.Sin(float64(r*n+j)*1.9+0.3))
		}
	}
	return x
}

func colStats(x []float32, m, n int) (mean, variance []float64) {
	mean = make([]float64, n)
	variance = make([]float64, n)
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			mean[j] += float64(x[r*n+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(m)
	}
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			d := float64(x[r*n+j]) - mean[j]
			variance[j] += d * d
		}
	}
	for j := range variance {
		variance[j] /= float64(m)
	}
	return
}

func TestBatchNormInference(t *testing.T) {
	const m, n = 6, 3
	l := &BatchNormalization{Base: Base{Name: "batch_normalization_1"}}
	if err := buildInit(l, []int{n}, nil); err != nil {
		t.Fatal(err)
	}
	g, b, mm, mv := bnWeights(t, l)
	copy(g.Data, []float32{1.5, -0.5, 2})
	copy(b.Data, []float32{0.1, 1, -3})
	copy(mm.Data, []float32{-2, 1, 4})
	copy(mv.Data, []float32{0.25, 4, 9})
	x := bnInput(m, n)
	y := l.Call(ctx(false), autograd.NewParam(x))
	const eps = 1e-3
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			want := float64(g.Data[j])*(float64(x.Data[r*n+j])-float64(mm.Data[j]))/math.Sqrt(float64(mv.Data[j])+eps) + float64(b.Data[j])
			if got := float64(y.Value.Data[r*n+j]); math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("y[%d][%d] = %v, want %v", r, j, got, want)
			}
		}
	}
	// Inference leaves the moving statistics alone.
	if mm.Data[0] != -2 || mv.Data[2] != 9 {
		t.Errorf("inference changed moving stats: %v %v", mm.Data, mv.Data)
	}
}

func TestBatchNormTraining(t *testing.T) {
	for _, c := range []struct {
		mom, eps float64
		l        *BatchNormalization
	}{
		{0.99, 1e-3, &BatchNormalization{Base: Base{Name: "batch_normalization_1"}}},
		{0.9, 0.05, &BatchNormalization{Momentum: 0.9, Epsilon: 0.05, Base: Base{Name: "batch_normalization_2"}}},
	} {
		const m, n = 8, 3
		l := c.l
		if err := buildInit(l, []int{n}, nil); err != nil {
			t.Fatal(err)
		}
		g, b, mm, mv := bnWeights(t, l)
		copy(g.Data, []float32{2, 0.5, -1})
		copy(b.Data, []float32{0.5, -1, 3})
		copy(mm.Data, []float32{0.3, -0.2, 1})
		copy(mv.Data, []float32{1.5, 0.8, 2})
		refMM := []float64{0.3, -0.2, 1}
		refMV := []float64{1.5, 0.8, 2}
		mom := float64(float32(c.mom))
		eps := float64(float32(c.eps))
		for step := 0; step < 2; step++ {
			x := bnInput(m, n)
			if step == 1 {
				for i := range x.Data {
					x.Data[i] = x.Data[i]*1.3 - 0.4
				}
			}
			mean, variance := colStats(x.Data, m, n)
			y := l.Call(ctx(true), autograd.NewParam(x))

			// Exact output with the batch statistics.
			for r := 0; r < m; r++ {
				for j := 0; j < n; j++ {
					want := float64(g.Data[j])*(float64(x.Data[r*n+j])-mean[j])/math.Sqrt(variance[j]+eps) + float64(b.Data[j])
					if got := float64(y.Value.Data[r*n+j]); math.Abs(got-want) > 2e-5*math.Max(1, math.Abs(want)) {
						t.Errorf("%s step %d: y[%d][%d] = %v, want %v", l.Name, step, r, j, got, want)
					}
				}
			}
			// Column statistics of the output.
			ym, yv := colStats(y.Value.Data, m, n)
			for j := 0; j < n; j++ {
				gj := float64(g.Data[j])
				if math.Abs(ym[j]-float64(b.Data[j])) > 1e-5 {
					t.Errorf("%s: output column %d mean %v, want beta %v", l.Name, j, ym[j], b.Data[j])
				}
				if want := gj * gj * variance[j] / (variance[j] + eps); math.Abs(yv[j]-want) > 1e-4*want {
					t.Errorf("%s: output column %d variance %v, want %v", l.Name, j, yv[j], want)
				}
			}
			// Moving statistics, Keras 2: moving·momentum + batch·(1−momentum),
			// the variance corrected by m/(m−(1+ε)).
			for j := 0; j < n; j++ {
				refMM[j] = refMM[j]*mom + mean[j]*(1-mom)
				refMV[j] = refMV[j]*mom + variance[j]*float64(m)/(float64(m)-(1+eps))*(1-mom)
				if got := float64(mm.Data[j]); math.Abs(got-refMM[j]) > 1e-6*math.Max(1, math.Abs(refMM[j])) {
					t.Errorf("%s step %d: moving_mean[%d] = %.8g, want %.8g", l.Name, step, j, got, refMM[j])
				}
				if got := float64(mv.Data[j]); math.Abs(got-refMV[j]) > 1e-6*math.Max(1, refMV[j]) {
					t.Errorf("%s step %d: moving_variance[%d] = %.8g, want %.8g", l.Name, step, j, got, refMV[j])
				}
			}
		}
		// The correction matters at this size: uncorrected would differ.
		if c.mom == 0.99 {
			_, variance := colStats(bnInput(m, n).Data, m, n)
			if d := variance[2] * (float64(m)/(float64(m)-1.001) - 1) * 0.01; d < 1e-4 {
				t.Fatalf("test data too weak to see the variance correction (%v)", d)
			}
		}
	}
}

// TestBatchNorm3D: the statistics run over every dimension but the last.
func TestBatchNorm3D(t *testing.T) {
	l := &BatchNormalization{Base: Base{Name: "bn"}}
	if err := buildInit(l, []int{4, 2}, nil); err != nil {
		t.Fatal(err)
	}
	x := bnInput(12, 2)
	x3 := x.Reshape(3, 4, 2)
	mean, variance := colStats(x.Data, 12, 2)
	y := l.Call(ctx(true), autograd.NewParam(x3))
	if !equalInts(y.Value.Shape, []int{3, 4, 2}) {
		t.Fatalf("shape %v", y.Value.Shape)
	}
	for i, v := range y.Value.Data {
		j := i % 2
		want := (float64(x.Data[i]) - mean[j]) / math.Sqrt(variance[j]+float64(float32(1e-3)))
		if math.Abs(float64(v)-want) > 2e-5*math.Max(1, math.Abs(want)) {
			t.Errorf("y[%d] = %v, want %v", i, v, want)
		}
	}
}

func TestSetLayerName(t *testing.T) {
	for _, l := range []Layer{&Dense{Units: 1}, &Activation{}, &Dropout{}, &BatchNormalization{}, &Input{}} {
		l.SetLayerName("x_7")
		if l.LayerName() != "x_7" {
			t.Errorf("%s: LayerName %q after SetLayerName", l.ClassName(), l.LayerName())
		}
	}
	d := &Dense{Units: 2}
	d.SetLayerName("dense_9")
	_ = buildInit(d, []int{3}, tensor.NewRNG(1))
	if d.Weights()[0].Name != "dense_9/kernel" {
		t.Errorf("weight name %q after SetLayerName", d.Weights()[0].Name)
	}
}

// buildInit builds l once for input and draws its weights from rng, as a
// model does.
func buildInit(l Layer, input []int, rng *tensor.RNG) error {
	if err := Build(l, input); err != nil {
		return err
	}
	Initialize(l, rng)
	return nil
}
