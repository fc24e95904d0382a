package layers

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// Every merge layer takes several inputs.
var (
	_ MultiInput = (*Concatenate)(nil)
	_ MultiInput = (*Add)(nil)
	_ MultiInput = (*Subtract)(nil)
	_ MultiInput = (*Multiply)(nil)
	_ MultiInput = (*Average)(nil)
	_ MultiInput = (*Maximum)(nil)
	_ MultiInput = (*Minimum)(nil)
	_ MultiInput = (*Dot)(nil)
)

func TestMergeBuildErrors(t *testing.T) {
	for _, c := range []struct {
		l      MultiInput
		inputs [][]int
		want   string
	}{
		{&Add{}, [][]int{{3}, {4}}, `layer "m" (Add): input shapes (None, 3), (None, 4) differ`},
		{&Add{}, [][]int{{3}}, `layer "m" (Add) takes a list of at least 2 inputs, got 1`},
		{&Add{}, [][]int{{2, 3}, {3, 2}}, `(None, 2, 3), (None, 3, 2) differ`},
		{&Multiply{}, [][]int{{3}, {3}, {3, 1}}, `layer "m" (Multiply): input shapes`},
		{&Average{}, [][]int{{3}, {2}}, `layer "m" (Average): input shapes`},
		{&Maximum{}, [][]int{{3}, {2}}, `layer "m" (Maximum): input shapes`},
		{&Minimum{}, [][]int{{1}, {2}}, `layer "m" (Minimum): input shapes`},
		{&Subtract{}, [][]int{{3}, {3}, {3}}, `layer "m" (Subtract) takes exactly 2 inputs, got 3`},
		{&Subtract{}, [][]int{{3}, {4}}, `layer "m" (Subtract): input shapes`},
		{&Concatenate{}, [][]int{{2, 3}, {3, 3}}, `layer "m" (Concatenate): input shapes (None, 2, 3), (None, 3, 3) must match except along axis -1`},
		{&Concatenate{}, [][]int{{2, 3}, {3}}, `must match except along axis -1`},
		{&Concatenate{Axis: 1}, [][]int{{2, 3}, {2, 4}}, `must match except along axis 1`},
		{&Concatenate{}, [][]int{{3}}, `layer "m" (Concatenate) takes a list of at least 2 inputs, got 1`},
		{&Concatenate{Axis: 2}, [][]int{{3}, {3}}, `layer "m" (Concatenate): axis 2 is out of range for inputs of shape (None, 3)`},
		{&Concatenate{Axis: -3}, [][]int{{3, 2}, {3, 2}}, `axis -3 is out of range`},
		{&Dot{Axes: DotAxes{1, 1}}, [][]int{{3}, {4}}, `layer "m" (Dot): input shapes (None, 3), (None, 4) differ along axes [1 1]: 3 ≠ 4`},
		{&Dot{Axes: DotAxes{2, 1}}, [][]int{{3, 4}, {3, 4}}, `differ along axes [2 1]: 4 ≠ 3`},
		{&Dot{}, [][]int{{3}, {3}}, `layer "m" (Dot): axes [0 0] are out of range for inputs of shape (None, 3), (None, 3) (valid: 1 to 1, or -1 to -1; axis 0 is the batch)`},
		{&Dot{Axes: DotAxes{3, 3}}, [][]int{{2, 3}, {2, 3}}, `axes [3 3] are out of range`},
		{&Dot{Axes: DotAxes{1, 1}}, [][]int{{3}, {3}, {3}}, `layer "m" (Dot) takes exactly 2 inputs, got 3`},
		{&Dot{Axes: DotAxes{1, 1}}, [][]int{{3}, {3, 2}}, `Dot takes two batches of vectors or two of matrices`},
		{&Dot{Axes: DotAxes{1, 1}}, [][]int{{3, 2, 2}, {3, 2, 2}}, `Dot takes two batches of vectors or two of matrices`},
		{&Add{}, [][]int{{3}, {0}}, `layer "m" (Add): input shape (0,) has a non-positive dimension`},
	} {
		c.l.SetLayerName("m")
		err := BuildMulti(c.l, c.inputs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %v: err = %v, want %q", c.l.ClassName(), c.inputs, err, c.want)
		}
		if err != nil && c.l.OutputShape() != nil {
			t.Errorf("%s: a failed build left output shape %v", c.l.ClassName(), c.l.OutputShape())
		}
	}
}

// TestMergeOneInput checks that a merge layer refuses to be built, or
// applied, on one input.
func TestMergeOneInput(t *testing.T) {
	for _, l := range []Layer{&Concatenate{}, &Add{}, &Subtract{}, &Multiply{}, &Average{}, &Maximum{}, &Minimum{}, &Dot{Axes: DotAxes{1, 1}}} {
		l.SetLayerName("one")
		err := Build(l, []int{3})
		if err == nil || !strings.Contains(err.Error(), `layer "one" (`+l.ClassName()+`) takes a list of inputs`) {
			t.Errorf("%s: Build on one input: err = %v", l.ClassName(), err)
		}
		if x := Apply(l, NewInput(3)); x.Err() == nil || !strings.Contains(x.Err().Error(), `layer "one" (`+l.ClassName()+`) takes`) {
			t.Errorf("%s: Apply to one tensor: err = %v", l.ClassName(), x.Err())
		}
	}
}

// TestMergeRebuild checks that a built merge layer refuses other shapes.
func TestMergeRebuild(t *testing.T) {
	l := &Add{Base: Base{Name: "sum"}}
	if err := BuildMulti(l, [][]int{{3}, {3}}); err != nil {
		t.Fatal(err)
	}
	if err := BuildMulti(l, [][]int{{3}, {3}}); err != nil {
		t.Errorf("same shapes again: %v", err)
	}
	if err := BuildMulti(l, [][]int{{4}, {4}}); err == nil || !strings.Contains(err.Error(), `layer "sum" (Add) was built for`) {
		t.Errorf("other shapes: err = %v", err)
	}
}

// mergeRef computes a merge of batches in float64, sample by sample, from
// the definitions in Keras's merge.py.
func mergeRef(class string, xs []*tensor.Tensor) []float64 {
	out := make([]float64, len(xs[0].Data))
	for i := range out {
		v := float64(xs[0].Data[i])
		for _, x := range xs[1:] {
			w := float64(x.Data[i])
			switch class {
			case "Add", "Average":
				v += w
			case "Subtract":
				v -= w
			case "Multiply":
				v *= w
			case "Maximum":
				v = math.Max(v, w)
			case "Minimum":
				v = math.Min(v, w)
			}
		}
		if class == "Average" {
			v /= float64(len(xs))
		}
		out[i] = v
	}
	return out
}

func runMerge(t *testing.T, l MultiInput, xs []*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	shapes := make([][]int, len(xs))
	vars := make([]*autograd.Var, len(xs))
	for i, x := range xs {
		shapes[i] = x.Shape[1:]
		vars[i] = autograd.NewConst(x)
	}
	if err := BuildMulti(l, shapes); err != nil {
		t.Fatal(err)
	}
	y := l.CallMulti(ctx(false), vars).Value
	if want := append([]int{xs[0].Shape[0]}, l.OutputShape()...); !equalInts(y.Shape, want) {
		t.Fatalf("%s: output shape %v, OutputShape %v", l.ClassName(), y.Shape, want)
	}
	return y
}

func TestElementwiseMergeValues(t *testing.T) {
	rng := tensor.NewRNG(4)
	for _, n := range []int{2, 3, 4} {
		xs := make([]*tensor.Tensor, n)
		for i := range xs {
			xs[i] = tensor.New(3, 2, 2)
			rng.Normal(xs[i], 0, 1)
		}
		for _, l := range []MultiInput{&Add{}, &Subtract{}, &Multiply{}, &Average{}, &Maximum{}, &Minimum{}} {
			if _, ok := l.(*Subtract); ok && n != 2 {
				continue
			}
			y := runMerge(t, l, xs)
			for i, want := range mergeRef(l.ClassName(), xs) {
				if math.Abs(float64(y.Data[i])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("%s of %d inputs: element %d = %v, want %v", l.ClassName(), n, i, y.Data[i], want)
				}
			}
		}
	}
}

func TestConcatenateValues(t *testing.T) {
	rng := tensor.NewRNG(5)
	a, b, c := tensor.New(2, 3, 1), tensor.New(2, 3, 2), tensor.New(2, 2, 1)
	for _, x := range []*tensor.Tensor{a, b, c} {
		rng.Normal(x, 0, 1)
	}
	// The last axis (the default, 0, and -1 alike).
	for _, axis := range []int{0, -1, 2} {
		y := runMerge(t, &Concatenate{Axis: axis}, []*tensor.Tensor{a, b})
		for s := range 2 {
			for i := range 3 {
				got := y.Data[(s*3+i)*3 : (s*3+i+1)*3]
				want := []float32{a.Data[s*3+i], b.Data[(s*3+i)*2], b.Data[(s*3+i)*2+1]}
				for j := range want {
					if got[j] != want[j] {
						t.Fatalf("axis %d: sample %d row %d = %v, want %v", axis, s, i, got, want)
					}
				}
			}
		}
	}
	// The first axis of a sample: each sample's rows, a's then c's.
	for _, axis := range []int{1, -2} {
		y := runMerge(t, &Concatenate{Axis: axis}, []*tensor.Tensor{a, c})
		for s := range 2 {
			want := append(append([]float32(nil), a.Data[s*3:s*3+3]...), c.Data[s*2:s*2+2]...)
			for j, w := range want {
				if got := y.Data[s*5+j]; got != w {
					t.Fatalf("axis %d: sample %d value %d = %v, want %v", axis, s, j, got, w)
				}
			}
		}
	}
}

func TestDotValues(t *testing.T) {
	rng := tensor.NewRNG(6)
	a, b := tensor.New(3, 4), tensor.New(3, 4)
	rng.Normal(a, 0, 1)
	rng.Normal(b, 0, 1)
	for _, normalize := range []bool{false, true} {
		y := runMerge(t, &Dot{Axes: DotAxes{-1, -1}, Normalize: normalize}, []*tensor.Tensor{a, b})
		for s := range 3 {
			var dot, na, nb float64
			for j := range 4 {
				u, v := float64(a.Data[s*4+j]), float64(b.Data[s*4+j])
				dot, na, nb = dot+u*v, na+u*u, nb+v*v
			}
			if normalize {
				dot /= math.Sqrt(na) * math.Sqrt(nb)
			}
			if math.Abs(float64(y.Data[s])-dot) > 1e-5*(1+math.Abs(dot)) {
				t.Errorf("normalize %v: sample %d = %v, want %v", normalize, s, y.Data[s], dot)
			}
		}
	}
	// Matrices: (n, k)·(m, k) over axes (2, 2), and the same product from
	// (k, n)·(m, k) over axes (1, 2).
	const n, m, k = 2, 3, 4
	p, q, pt := tensor.New(2, n, k), tensor.New(2, m, k), tensor.New(2, k, n)
	rng.Normal(p, 0, 1)
	rng.Normal(q, 0, 1)
	for s := range 2 {
		for i := range n {
			for j := range k {
				pt.Data[s*k*n+j*n+i] = p.Data[s*n*k+i*k+j]
			}
		}
	}
	for _, c := range []struct {
		axes DotAxes
		a    *tensor.Tensor
	}{{DotAxes{2, 2}, p}, {DotAxes{-1, -1}, p}, {DotAxes{1, 2}, pt}, {DotAxes{1, -1}, pt}} {
		y := runMerge(t, &Dot{Axes: c.axes}, []*tensor.Tensor{c.a, q})
		for s := range 2 {
			for i := range n {
				for j := range m {
					var want float64
					for l := range k {
						want += float64(p.Data[s*n*k+i*k+l]) * float64(q.Data[s*m*k+j*k+l])
					}
					if got := float64(y.Data[s*n*m+i*m+j]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("axes %v: sample %d [%d %d] = %v, want %v", c.axes, s, i, j, got, want)
					}
				}
			}
		}
	}
}

func TestMergeConfigs(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		want string
	}{
		{&Concatenate{}, `{"axis":-1}`},
		{&Concatenate{Axis: 1, Base: Base{Name: "cat"}}, `{"axis":1,"name":"cat"}`},
		{&Dot{Axes: DotAxes{1, 1}}, `{"axes":1,"normalize":false}`},
		{&Dot{Axes: DotAxes{-1, -1}, Normalize: true}, `{"axes":-1,"normalize":true}`},
		{&Dot{Axes: DotAxes{1, 2}}, `{"axes":[1,2],"normalize":false}`},
		{&Add{Base: Base{Name: "sum"}}, `{"name":"sum"}`},
	} {
		cfg, err := ConfigOf(c.l)
		if err != nil {
			t.Fatal(err)
		}
		if string(cfg.Config) != c.want {
			t.Errorf("%s config %s, want %s", c.l.ClassName(), cfg.Config, c.want)
		}
	}
	// Keras's configs: axes as an integer or a pair.
	for _, c := range []struct {
		config string
		want   DotAxes
	}{{`{"axes": 2}`, DotAxes{2, 2}}, {`{"axes": [1, 2]}`, DotAxes{1, 2}}, {`{"axes": -1, "normalize": true}`, DotAxes{-1, -1}}} {
		l, err := FromConfig(Config{ClassName: "Dot", Config: json.RawMessage(c.config)})
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		if got := l.(*Dot).Axes; got != c.want {
			t.Errorf("%s: axes %v, want %v", c.config, got, c.want)
		}
	}
	for _, bad := range []string{`{"axes": [1, 2, 3]}`, `{"axes": "last"}`, `{"axes": [1.5, 2]}`} {
		if _, err := FromConfig(Config{ClassName: "Dot", Config: json.RawMessage(bad)}); err == nil || !strings.Contains(err.Error(), "axes must be an integer or a list of two integers") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	l, err := FromConfig(Config{ClassName: "Concatenate", Config: json.RawMessage(`{"axis": -1}`)})
	if err != nil || l.(*Concatenate).Axis != -1 {
		t.Errorf("Concatenate from Keras's config: %v, %v", l, err)
	}
}
