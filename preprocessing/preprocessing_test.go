package preprocessing

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestToCategorical(t *testing.T) {
	y := tensor.FromSlice([]float32{0, 2, 1, 2}, 4)
	got, err := ToCategorical(y, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		1, 0, 0,
		0, 0, 1,
		0, 1, 0,
		0, 0, 1,
	}
	if !tensor.EqualShape(got.Shape, []int{4, 3}) || !slices.Equal(got.Data, want) {
		t.Errorf("numClasses 0: %v, want (4, 3) %v", got, want)
	}
	got, err = ToCategorical(y, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(got.Shape, []int{4, 5}) || got.At(1, 2) != 1 || got.At(1, 4) != 0 || sum(got) != 4 {
		t.Errorf("numClasses 5: %v", got)
	}
	// (n, 1) is squeezed as Keras does; (2, 2) keeps its shape.
	got, err = ToCategorical(tensor.FromSlice([]float32{1, 0}, 2, 1), 2)
	if err != nil || !tensor.EqualShape(got.Shape, []int{2, 2}) || !slices.Equal(got.Data, []float32{0, 1, 1, 0}) {
		t.Errorf("(2, 1): %v, %v", got, err)
	}
	got, err = ToCategorical(tensor.FromSlice([]float32{1, 0, 2, 1}, 2, 2), 0)
	if err != nil || !tensor.EqualShape(got.Shape, []int{2, 2, 3}) || got.At(1, 0, 2) != 1 || sum(got) != 4 {
		t.Errorf("(2, 2): %v, %v", got, err)
	}
	// y is not modified.
	if !slices.Equal(y.Data, []float32{0, 2, 1, 2}) {
		t.Errorf("y changed to %v", y.Data)
	}
}

func sum(t *tensor.Tensor) float64 {
	var s float64
	for _, v := range t.Data {
		s += float64(v)
	}
	return s
}

func TestToCategoricalErrors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		name       string
		y          *tensor.Tensor
		numClasses int
		want       []string
	}{
		{"non-integer", tensor.FromSlice([]float32{0, 1, 2.5}, 3), 0, []string{"2.5", "row 2", "not an integer"}},
		{"negative", tensor.FromSlice([]float32{0, -1}, 2), 3, []string{"-1", "row 1", "negative"}},
		{"out of range", tensor.FromSlice([]float32{0, 1, 2, 3}, 4), 3, []string{"label 3", "row 3", "numClasses 3"}},
		{"NaN", tensor.FromSlice([]float32{nan}, 1), 0, []string{"row 0", "NaN"}},
		{"Inf", tensor.FromSlice([]float32{0, inf}, 2), 0, []string{"row 1", "more than"}},
		{"huge", tensor.FromSlice([]float32{1e9}, 1), 0, []string{"row 0", "more than 16777216"}},
		{"2-D index", tensor.FromSlice([]float32{0, 1, 1, 7}, 2, 2), 2, []string{"index [1 1]"}},
		{"negative numClasses", tensor.FromSlice([]float32{0}, 1), -2, []string{"-2"}},
		{"empty", tensor.New(0), 0, []string{"empty"}},
		{"nil", nil, 0, []string{"nil"}},
	}
	for _, c := range cases {
		_, err := ToCategorical(c.y, c.numClasses)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: err %q does not mention %q", c.name, err, s)
			}
		}
	}
	// An empty y with numClasses given is fine.
	if got, err := ToCategorical(tensor.New(0), 10); err != nil || !tensor.EqualShape(got.Shape, []int{0, 10}) {
		t.Errorf("empty with numClasses 10: %v, %v", got, err)
	}
}

func TestFlatten(t *testing.T) {
	x := tensor.New(2, 3, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	f := Flatten(x)
	if !tensor.EqualShape(f.Shape, []int{2, 12}) || f.At(1, 5) != 17 {
		t.Fatalf("Flatten (2, 3, 4) = %v", f)
	}
	f.Data[0] = 99 // a view
	if x.Data[0] != 99 {
		t.Error("Flatten copied the data")
	}
	if !tensor.EqualShape(x.Shape, []int{2, 3, 4}) {
		t.Errorf("Flatten changed x's shape to %v", x.Shape)
	}
	for _, c := range []struct{ in, want []int }{
		{[]int{5}, []int{5, 1}},
		{[]int{5, 7}, []int{5, 7}},
		{[]int{0, 28, 28}, []int{0, 784}},
		{[]int{3, 2, 1, 2, 2}, []int{3, 8}},
		{[]int{}, []int{1, 1}},
	} {
		if got := Flatten(tensor.New(c.in...)); !tensor.EqualShape(got.Shape, c.want) {
			t.Errorf("Flatten %v = %v, want %v", c.in, got.Shape, c.want)
		}
	}
}

func TestScale(t *testing.T) {
	x := tensor.FromSlice([]float32{0, 51, 255}, 3)
	factor := float32(1.0 / 255)
	got := Scale(x, factor)
	if got != x {
		t.Error("Scale did not return x")
	}
	want := []float32{0, 51 * factor, 255 * factor}
	if !slices.Equal(x.Data, want) {
		t.Errorf("Scale = %v, want %v", x.Data, want)
	}
	Scale(x, -2)
	if x.Data[2] != -2 {
		t.Errorf("Scale(-2): %v", x.Data)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b)) }

func TestStandardizer(t *testing.T) {
	// Three samples, three features; feature 2 is constant.
	train := tensor.FromSlice([]float32{
		1, 10, 5,
		2, 20, 5,
		3, 60, 5,
	}, 3, 3)
	var s Standardizer
	out, err := s.FitTransform(train)
	if err != nil {
		t.Fatal(err)
	}
	// NumPy: x.mean(axis=0) = [2, 30, 5], x.std(axis=0) = [0.8164966, 21.602469, 0].
	wantMean := []float64{2, 30, 5}
	wantStd := []float64{math.Sqrt(2.0 / 3), math.Sqrt(1400.0 / 3), 1}
	for j := range 3 {
		if !near(float64(s.Mean[j]), wantMean[j]) || !near(float64(s.Std[j]), wantStd[j]) {
			t.Errorf("feature %d: mean %v std %v, want %v %v", j, s.Mean[j], s.Std[j], wantMean[j], wantStd[j])
		}
	}
	for r := range 3 {
		for j := range 3 {
			want := (float64(train.At(r, j)) - wantMean[j]) / wantStd[j]
			if got := out.At(r, j); !near(float64(got), want) {
				t.Errorf("out[%d, %d] = %v, want %v", r, j, got, want)
			}
		}
	}
	// Each non-constant output column has mean 0 and std 1; the constant one
	// is all 0, never NaN.
	for j := range 3 {
		var m, v float64
		for r := range 3 {
			m += float64(out.At(r, j)) / 3
		}
		for r := range 3 {
			d := float64(out.At(r, j)) - m
			v += d * d / 3
		}
		wantV := 1.0
		if j == 2 {
			wantV = 0
		}
		if !near(m+1, 1) || !near(v, wantV) {
			t.Errorf("output feature %d: mean %v var %v", j, m, v)
		}
	}
	if out.HasNaN() {
		t.Error("output has NaN")
	}
	if train.At(0, 1) != 10 {
		t.Error("Transform changed its input")
	}

	// Test data uses the training statistics.
	test := tensor.FromSlice([]float32{2, 30, 7}, 1, 3)
	tt, err := s.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tt.Data, []float32{0, 0, 2}) {
		t.Errorf("Transform(test) = %v, want [0 0 2]", tt.Data)
	}
	back, err := s.InverseTransform(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range back.Data {
		if !near(float64(v), float64(train.Data[i])) {
			t.Errorf("InverseTransform[%d] = %v, want %v", i, v, train.Data[i])
		}
	}
}

func TestStandardizerShapes(t *testing.T) {
	// 1-D data is one feature; (n, 2, 2) data has 4.
	var s Standardizer
	if err := s.Fit(tensor.FromSlice([]float32{1, 3}, 2)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Mean, []float32{2}) || !slices.Equal(s.Std, []float32{1}) {
		t.Errorf("1-D: mean %v std %v, want [2] [1]", s.Mean, s.Std)
	}
	var s4 Standardizer
	x := tensor.FromSlice([]float32{0, 1, 2, 3, 2, 3, 4, 5}, 2, 2, 2)
	out, err := s4.FitTransform(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(s4.Mean) != 4 || !slices.Equal(s4.Mean, []float32{1, 2, 3, 4}) || !tensor.EqualShape(out.Shape, []int{2, 2, 2}) ||
		!slices.Equal(out.Data, []float32{-1, -1, -1, -1, 1, 1, 1, 1}) {
		t.Errorf("(2, 2, 2): mean %v, out %v", s4.Mean, out)
	}
}

func TestStandardizerErrors(t *testing.T) {
	var unfitted Standardizer
	if _, err := unfitted.Transform(tensor.New(2, 3)); err == nil || !strings.Contains(err.Error(), "Fit first") {
		t.Errorf("Transform before Fit: %v", err)
	}
	var s Standardizer
	for _, c := range []struct {
		name string
		x    *tensor.Tensor
		want string
	}{
		{"nil", nil, "nil"},
		{"no samples", tensor.New(0, 3), "no samples"},
		{"scalar", tensor.New(), "no samples"},
		{"NaN", tensor.FromSlice([]float32{1, 2, float32(math.NaN()), 4}, 2, 2), "row 1, feature 0"},
		{"Inf", tensor.FromSlice([]float32{1, float32(math.Inf(-1))}, 1, 2), "row 0, feature 1"},
	} {
		if err := s.Fit(c.x); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Fit(%s): err %v, want it to mention %q", c.name, err, c.want)
		}
	}
	if err := s.Fit(tensor.New(4, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transform(tensor.New(4, 5)); err == nil || !strings.Contains(err.Error(), "5 features per sample, fitted on 3") {
		t.Errorf("Transform wrong width: %v", err)
	}
	if _, err := s.InverseTransform(nil); err == nil {
		t.Error("InverseTransform(nil): no error")
	}
	bad := Standardizer{Mean: []float32{0}, Std: []float32{0}}
	if _, err := bad.Transform(tensor.New(1, 1)); err == nil || !strings.Contains(err.Error(), "Std[0]") {
		t.Errorf("Std 0 set by hand: %v", err)
	}
}
