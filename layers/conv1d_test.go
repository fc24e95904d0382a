package layers_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/tensor"
)

// conv1DRef is Keras's Conv1D in float64, from its definition: output step
// o reads input steps o·stride − padL + j·dil for taps j, zeros outside.
func conv1DRef(x []float32, n, steps, c int, w, b []float32, k, f, stride, dil, padL, os int) []float64 {
	y := make([]float64, n*os*f)
	for s := range n {
		for o := range os {
			for q := range f {
				var sum float64
				if b != nil {
					sum = float64(b[q])
				}
				for j := range k {
					t := o*stride - padL + j*dil
					if t < 0 || t >= steps {
						continue
					}
					for ch := range c {
						sum += float64(x[(s*steps+t)*c+ch]) * float64(w[(j*c+ch)*f+q])
					}
				}
				y[(s*os+o)*f+q] = sum
			}
		}
	}
	return y
}

// pool1DRef is max or average pooling in float64, padded positions
// ignored (TensorFlow's same padding: the odd one at the end).
func pool1DRef(x []float32, n, steps, c, p, stride, os int, same, isMax bool) []float64 {
	padL := 0
	if same {
		padL = max((os-1)*stride+p-steps, 0) / 2
	}
	y := make([]float64, n*os*c)
	for s := range n {
		for o := range os {
			for ch := range c {
				acc, cnt := math.Inf(-1), 0
				if !isMax {
					acc = 0
				}
				for j := range p {
					t := o*stride - padL + j
					if t < 0 || t >= steps {
						continue
					}
					v := float64(x[(s*steps+t)*c+ch])
					if isMax {
						acc = math.Max(acc, v)
					} else {
						acc += v
					}
					cnt++
				}
				if !isMax {
					acc /= float64(cnt)
				}
				y[(s*os+o)*c+ch] = acc
			}
		}
	}
	return y
}

func forward(t *testing.T, l layers.Layer, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	if err := layers.Build(l, x.Shape[1:]); err != nil {
		t.Fatal(err)
	}
	layers.Initialize(l, tensor.NewRNG(7))
	for _, w := range l.Weights() { // a nonzero bias
		if len(w.Var.Value.Shape) == 1 {
			tensor.NewRNG(9).Normal(w.Var.Value, 0, 1)
		}
	}
	tp := autograd.NewTape()
	tp.SetNoGrad(true)
	return l.Call(&layers.CallContext{Tape: tp}, autograd.NewConst(x)).Value.Clone()
}

func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, reference %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s: value %d is %v, reference %v", what, i, got[i], want[i])
		}
	}
}

func TestConv1DMatchesReference(t *testing.T) {
	const n, steps, c, f = 3, 11, 4, 5
	for _, tc := range []struct {
		k, stride, dil int
		pad            layers.Padding
	}{
		{3, 1, 1, layers.Valid}, {3, 2, 1, layers.Valid}, {4, 1, 1, layers.Same}, {3, 3, 1, layers.Same},
		{3, 1, 2, layers.Valid}, {3, 1, 3, layers.Same}, {2, 1, 1, layers.Causal}, {3, 1, 2, layers.Causal}, {3, 2, 1, layers.Causal},
	} {
		l := &layers.Conv1D{Filters: f, KernelSize: tc.k, Strides: tc.stride, DilationRate: tc.dil, Padding: tc.pad}
		x := randn(tensor.NewRNG(3), n, steps, c)
		y := forward(t, l, x)
		e := (tc.k-1)*tc.dil + 1
		var os, padL int
		switch tc.pad {
		case layers.Valid:
			os = (steps-e)/tc.stride + 1
		case layers.Same:
			os = (steps + tc.stride - 1) / tc.stride
			padL = max((os-1)*tc.stride+e-steps, 0) / 2
		case layers.Causal:
			padL = e - 1
			os = (steps+padL-e)/tc.stride + 1
		}
		ws := l.Weights()
		want := conv1DRef(x.Data, n, steps, c, ws[0].Var.Value.Data, ws[1].Var.Value.Data, tc.k, f, tc.stride, tc.dil, padL, os)
		if !tensor.EqualShape(y.Shape, []int{n, os, f}) {
			t.Fatalf("%+v: shape %v, want %v", tc, y.Shape, []int{n, os, f})
		}
		closeTo(t, "Conv1D", y.Data, want)
	}
}

func TestPooling1DMatchesReference(t *testing.T) {
	const n, steps, c = 2, 9, 3
	for _, tc := range []struct {
		p, stride int
		same      bool
	}{{2, 2, false}, {3, 1, false}, {3, 2, true}, {4, 3, true}, {2, 2, true}} {
		pad := layers.Valid
		os := (steps-tc.p)/tc.stride + 1
		if tc.same {
			pad, os = layers.Same, (steps+tc.stride-1)/tc.stride
		}
		x := randn(tensor.NewRNG(5), n, steps, c)
		mx := forward(t, &layers.MaxPooling1D{PoolSize: tc.p, Strides: tc.stride, Padding: pad}, x)
		closeTo(t, "MaxPooling1D", mx.Data, pool1DRef(x.Data, n, steps, c, tc.p, tc.stride, os, tc.same, true))
		av := forward(t, &layers.AveragePooling1D{PoolSize: tc.p, Strides: tc.stride, Padding: pad}, x)
		closeTo(t, "AveragePooling1D", av.Data, pool1DRef(x.Data, n, steps, c, tc.p, tc.stride, os, tc.same, false))
	}
	x := randn(tensor.NewRNG(6), n, steps, c)
	closeTo(t, "GlobalMaxPooling1D", forward(t, &layers.GlobalMaxPooling1D{}, x).Data, pool1DRef(x.Data, n, steps, c, steps, 1, 1, false, true))
	closeTo(t, "GlobalAveragePooling1D", forward(t, &layers.GlobalAveragePooling1D{}, x).Data, pool1DRef(x.Data, n, steps, c, steps, 1, 1, false, false))
}

func TestSpatialDropout1DDropsWholeChannels(t *testing.T) {
	l := &layers.SpatialDropout1D{Rate: 0.5}
	if err := layers.Build(l, []int{6, 8}); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(4, 6, 8)
	x.Fill(1)
	tp := autograd.NewTape()
	y := l.Call(&layers.CallContext{Tape: tp, Training: true, RNG: tensor.NewRNG(1)}, autograd.NewConst(x)).Value
	dropped := 0
	for s := range 4 {
		for ch := range 8 {
			v0 := y.Data[(s*6)*8+ch]
			for st := range 6 {
				if v := y.Data[(s*6+st)*8+ch]; v != v0 {
					t.Fatalf("sample %d channel %d: step %d is %v, step 0 %v", s, ch, st, v, v0)
				}
			}
			if v0 == 0 {
				dropped++
			} else if v0 != 2 {
				t.Fatalf("kept value %v, want 2", v0)
			}
		}
	}
	if dropped == 0 || dropped == 32 {
		t.Fatalf("%d of 32 channels dropped", dropped)
	}
}

func TestEmbeddingBadIDs(t *testing.T) {
	m := models.NewSequential(&layers.Embedding{InputDim: 10, OutputDim: 2, InputLength: 3}, &layers.GlobalAveragePooling1D{})
	for _, tc := range []struct {
		v    float32
		want string
	}{
		{10, `layer "embedding_`}, {-1, "outside [0, 10)"}, {2.5, "is not an integer"},
	} {
		x := tensor.New(2, 3)
		x.Data[4] = tc.v
		_, err := m.Predict(x)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "row 1, column 1") {
			t.Errorf("id %v: err = %v, want one naming the layer and row 1, column 1", tc.v, err)
		}
	}
	if _, err := m.Predict(tensor.New(2, 3)); err != nil {
		t.Fatal(err)
	}
	if err := layers.Build(&layers.Embedding{InputDim: 3, OutputDim: 2, InputLength: 4}, []int{5}); err == nil {
		t.Error("input_length 4 on 5 steps: no error")
	}
}

// TestSequenceSummaries checks shapes and parameter counts as Keras prints
// them.
func TestSequenceSummaries(t *testing.T) {
	m := models.NewSequential(
		&layers.Embedding{InputDim: 5000, OutputDim: 64, InputLength: 400},
		&layers.SpatialDropout1D{Rate: 0.2},
		&layers.Conv1D{Filters: 256, KernelSize: 3, Activation: activations.ReLU},
		&layers.MaxPooling1D{},
		&layers.GlobalMaxPooling1D{},
	)
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(None, 400, 64)", "320000", "(None, 398, 256)", "49408", "(None, 199, 256)", "(None, 256)", "Total params: 369,408"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// GlobalAveragePooling1D with a mask (Keras 2.2.3): a row's mean over its
// unmasked steps equals the plain mean of those steps alone, and the
// gradient reaches only the unmasked steps, each 1/kept.
func TestGlobalAveragePooling1DMasked(t *testing.T) {
	const steps, ch = 4, 3
	x := tensor.New(2, steps, ch)
	tensor.NewRNG(5).Normal(x, 0, 1)
	mask := tensor.FromSlice([]float32{0, 0, 1, 1, 1, 1, 1, 1}, 2, steps)
	l := &layers.GlobalAveragePooling1D{}
	if err := layers.Build(l, []int{steps, ch}); err != nil {
		t.Fatal(err)
	}
	tp := autograd.NewTape()
	xv := autograd.NewParam(x.Clone())
	y := l.CallMasked(&layers.CallContext{Tape: tp}, xv, mask)
	if y.Value.Dim(0) != 2 || y.Value.Dim(1) != ch {
		t.Fatalf("shape %v, want (2, %d)", y.Value.Shape, ch)
	}
	// Row 0 keeps steps 2 and 3; row 1 keeps all four.
	for k := range ch {
		want0 := (float64(x.Data[2*ch+k]) + float64(x.Data[3*ch+k])) / 2
		var want1 float64
		for s := range steps {
			want1 += float64(x.Data[steps*ch+s*ch+k])
		}
		want1 /= steps
		if math.Abs(float64(y.Value.Data[k])-want0) > 1e-6 || math.Abs(float64(y.Value.Data[ch+k])-want1) > 1e-6 {
			t.Errorf("channel %d: %v, %v; want %v, %v", k, y.Value.Data[k], y.Value.Data[ch+k], want0, want1)
		}
	}
	tp.Backward(tp.Sum(y))
	for s := range steps {
		for k := range ch {
			g0, g1 := xv.Grad.Data[s*ch+k], xv.Grad.Data[steps*ch+s*ch+k]
			want0 := float32(0)
			if s >= 2 {
				want0 = 0.5
			}
			if math.Abs(float64(g0-want0)) > 1e-6 || math.Abs(float64(g1-0.25)) > 1e-6 {
				t.Errorf("step %d channel %d: grads %v, %v; want %v, 0.25", s, k, g0, g1, want0)
			}
		}
	}
}
