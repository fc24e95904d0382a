package activations

import (
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

func TestParse(t *testing.T) {
	cases := map[string]Name{
		"":          Linear,
		"linear":    Linear,
		"LINEAR":    Linear,
		"relu":      ReLU,
		"ReLU":      ReLU,
		" relu ":    ReLU,
		"Sigmoid":   Sigmoid,
		"tanh":      Tanh,
		"TanH":      Tanh,
		"softmax":   Softmax,
		"SoftMax\n": Softmax,
	}
	for s, want := range cases {
		got, err := Parse(s)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	for _, bad := range []string{"relux", "gelu", "soft max", "sigmoid2"} {
		got, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q) = %q, want an error", bad, got)
			continue
		}
		if got != "" {
			t.Errorf("Parse(%q) returned %q with its error", bad, got)
		}
		msg := err.Error()
		if !strings.Contains(msg, bad) {
			t.Errorf("Parse(%q) error %q does not quote the input", bad, msg)
		}
		for _, n := range []string{"linear", "relu", "sigmoid", "tanh", "softmax"} {
			if !strings.Contains(msg, n) {
				t.Errorf("Parse(%q) error %q does not list %q", bad, msg, n)
			}
		}
	}
}

func TestNames(t *testing.T) {
	got := Names()
	want := []Name{Linear, ReLU, Sigmoid, Tanh, Softmax}
	if len(got) != len(want) {
		t.Fatalf("Names() = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Names()[%d] = %q, want %q", i, got[i], want[i])
		}
	}
	got[0] = "mutated" // a copy: the package's list is unaffected
	if Names()[0] != Linear {
		t.Errorf("Names returns the package's own slice")
	}
}

func TestKind(t *testing.T) {
	cases := map[Name]autograd.Activation{
		"":      autograd.Linear,
		Linear:  autograd.Linear,
		ReLU:    autograd.ReLU,
		Sigmoid: autograd.Sigmoid,
		Tanh:    autograd.Tanh,
		Softmax: autograd.Softmax,
	}
	for n, want := range cases {
		got, err := n.Kind()
		if err != nil || got != want {
			t.Errorf("%q.Kind() = %v, %v; want %v", n, got, err, want)
		}
		if n != "" && got.String() != string(n) {
			t.Errorf("%q.Kind().String() = %q", n, got.String())
		}
	}
	// Kind is case-sensitive (Parse is the lenient entry point).
	if _, err := Name("ReLU").Kind(); err == nil {
		t.Errorf(`Name("ReLU").Kind() accepted a non-canonical name`)
	}
}

var input = []float32{-3, -0.5, 0, 0.25, 2, 7}

func apply(t *testing.T, n Name, x []float32, shape ...int) (*autograd.Var, *autograd.Var) {
	t.Helper()
	tp := autograd.NewTape()
	in := autograd.NewParam(tensor.FromSlice(append([]float32(nil), x...), shape...))
	out, err := n.Apply(tp, in)
	if err != nil {
		t.Fatalf("%q.Apply: %v", n, err)
	}
	if !tensor.EqualShape(out.Value.Shape, shape) {
		t.Fatalf("%q.Apply: shape %v, want %v", n, out.Value.Shape, shape)
	}
	return in, out
}

func TestApplyElementwise(t *testing.T) {
	ref := map[Name]func(float64) float64{
		ReLU:    func(x float64) float64 { return math.Max(x, 0) },
		Sigmoid: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
		Tanh:    math.Tanh,
	}
	for n, f := range ref {
		_, out := apply(t, n, input, 2, 3)
		for i, x := range input {
			want := f(float64(x))
			if got := float64(out.Value.Data[i]); math.Abs(got-want) > 2e-6 {
				t.Errorf("%s(%v) = %v, want %v", n, x, got, want)
			}
		}
	}
	// Extreme inputs stay finite and saturate.
	_, out := apply(t, Sigmoid, []float32{-100, 100}, 2)
	if out.Value.HasNaN() || out.Value.Data[0] > 1e-30 || out.Value.Data[1] != 1 {
		t.Errorf("sigmoid(±100) = %v", out.Value.Data)
	}
	_, out = apply(t, Tanh, []float32{-50, 50}, 2)
	if out.Value.HasNaN() || out.Value.Data[0] != -1 || out.Value.Data[1] != 1 {
		t.Errorf("tanh(±50) = %v", out.Value.Data)
	}
}

func TestApplyLinearIsIdentity(t *testing.T) {
	for _, n := range []Name{"", Linear} {
		in, out := apply(t, n, input, 6)
		if out != in {
			t.Errorf("%q.Apply did not return its input", n)
		}
	}
	tp := autograd.NewTape()
	if _, err := Name("bogus").Apply(tp, autograd.NewParam(tensor.New(2))); err == nil {
		t.Errorf("Apply of an unknown name returned no error")
	}
}

func softmaxRef(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestApplySoftmax(t *testing.T) {
	rows := [][]float32{
		{1, 2, 3, 4},
		{-1, 0, 1, 0.5},
		{1000, 1001, 1002, 999},    // would overflow exp without the max shift
		{-1000, -1000, -999, -1e4}, // would underflow to 0/0
	}
	var flat []float32
	for _, r := range rows {
		flat = append(flat, r...)
	}
	_, out := apply(t, Softmax, flat, len(rows), 4)
	if out.Value.HasNaN() {
		t.Fatalf("softmax gave NaN/Inf: %v", out.Value.Data)
	}
	for r, row := range rows {
		x := make([]float64, len(row))
		for i, v := range row {
			x[i] = float64(v)
		}
		want := softmaxRef(x)
		var sum float64
		for i, w := range want {
			got := float64(out.Value.Data[r*4+i])
			sum += got
			if math.Abs(got-w) > 1e-6 {
				t.Errorf("softmax row %d [%d] = %v, want %v", r, i, got, w)
			}
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("softmax row %d sums to %v", r, sum)
		}
	}
	// Softmax works over the last axis of a 3-D input too.
	x3 := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	_, out = apply(t, Softmax, x3, 2, 2, 2)
	for r := 0; r < 4; r++ {
		want := softmaxRef([]float64{float64(x3[2*r]), float64(x3[2*r+1])})
		for i := 0; i < 2; i++ {
			if got := float64(out.Value.Data[2*r+i]); math.Abs(got-want[i]) > 1e-6 {
				t.Errorf("3-D softmax [%d][%d] = %v, want %v", r, i, got, want[i])
			}
		}
	}
}

// TestApplyGradients checks the backward pass of each activation against
// float64 analytic derivatives, with a non-uniform upstream gradient.
func TestApplyGradients(t *testing.T) {
	seed := []float32{0.3, -1, 2, 0.5, -0.25, 1.5}
	deriv := map[Name]func(x float64) float64{
		ReLU: func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return 0
		},
		Sigmoid: func(x float64) float64 { s := 1 / (1 + math.Exp(-x)); return s * (1 - s) },
		Tanh:    func(x float64) float64 { th := math.Tanh(x); return 1 - th*th },
	}
	for n, d := range deriv {
		tp := autograd.NewTape()
		in := autograd.NewParam(tensor.FromSlice(append([]float32(nil), input...), 2, 3))
		out, err := n.Apply(tp, in)
		if err != nil {
			t.Fatal(err)
		}
		tp.BackwardFrom(out, tensor.FromSlice(seed, 2, 3))
		for i, x := range input {
			want := float64(seed[i]) * d(float64(x))
			if got := float64(in.Grad.Data[i]); math.Abs(got-want) > 2e-6 {
				t.Errorf("d%s at %v = %v, want %v", n, x, got, want)
			}
		}
	}
	// Softmax: dx = J^T·dy with J = diag(y) − y yᵀ, row by row.
	tp := autograd.NewTape()
	in := autograd.NewParam(tensor.FromSlice(append([]float32(nil), input...), 2, 3))
	out, _ := Softmax.Apply(tp, in)
	tp.BackwardFrom(out, tensor.FromSlice(seed, 2, 3))
	for r := 0; r < 2; r++ {
		x := []float64{float64(input[3*r]), float64(input[3*r+1]), float64(input[3*r+2])}
		y := softmaxRef(x)
		for i := 0; i < 3; i++ {
			var want float64
			for j := 0; j < 3; j++ {
				jac := -y[i] * y[j]
				if i == j {
					jac += y[i]
				}
				want += jac * float64(seed[3*r+j])
			}
			if got := float64(in.Grad.Data[3*r+i]); math.Abs(got-want) > 2e-6 {
				t.Errorf("dsoftmax [%d][%d] = %v, want %v", r, i, got, want)
			}
		}
	}
}
