package autograd

import (
	"fmt"
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// naiveBatchDot is BatchDot by its definition, in float64: for rank 3,
// out[s, i, j] = Σ_c a[s, …i…c…] b[s, …j…c…] with c at the given axes.
func naiveBatchDot(a, b *tensor.Tensor, ax0, ax1 int) ([]int, []float64) {
	if a.Dims() == 2 {
		out := make([]float64, a.Shape[0])
		for s := range out {
			for c := range a.Shape[1] {
				out[s] += float64(a.At(s, c)) * float64(b.At(s, c))
			}
		}
		return []int{a.Shape[0], 1}, out
	}
	m, n, k := a.Shape[3-ax0], b.Shape[3-ax1], a.Shape[ax0]
	out := make([]float64, a.Shape[0]*m*n)
	at := func(t *tensor.Tensor, ax, s, free, c int) float32 {
		if ax == 2 {
			return t.At(s, free, c)
		}
		return t.At(s, c, free)
	}
	for s := range a.Shape[0] {
		for i := range m {
			for j := range n {
				for c := range k {
					out[(s*m+i)*n+j] += float64(at(a, ax0, s, i, c)) * float64(at(b, ax1, s, j, c))
				}
			}
		}
	}
	return []int{a.Shape[0], m, n}, out
}

func checkClose(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-5+1e-5*math.Abs(w) {
			t.Errorf("%s: [%d] = %v, want %v", name, i, got[i], w)
			return
		}
	}
}

// dotCases are rank-3 shapes for every pair of axes (and negative ones).
var dotCases = []struct {
	a, b []int
	axes [2]int
}{
	{[]int{2, 3, 4}, []int{2, 5, 4}, [2]int{2, 2}},
	{[]int{2, 3, 4}, []int{2, 5, 4}, [2]int{-1, -1}},
	{[]int{2, 4, 3}, []int{2, 4, 5}, [2]int{1, 1}},
	{[]int{2, 3, 4}, []int{2, 4, 5}, [2]int{2, 1}},
	{[]int{2, 4, 3}, []int{2, 5, 4}, [2]int{1, 2}},
}

func TestBatchDotValuesAndShapes(t *testing.T) {
	rng := tensor.NewRNG(50)
	tp := NewTape()
	a, b := randn(rng, 4, 6), randn(rng, 4, 6)
	y := tp.BatchDot(NewConst(a), NewConst(b), [2]int{1, -1}, false)
	shape, want := naiveBatchDot(a, b, 1, 1)
	if !tensor.EqualShape(y.Shape(), shape) {
		t.Errorf("rank 2: shape %v, want %v", y.Shape(), shape)
	}
	checkClose(t, "rank 2", y.Value.Data, want)
	for _, c := range dotCases {
		a, b := randn(rng, c.a...), randn(rng, c.b...)
		y := tp.BatchDot(NewConst(a), NewConst(b), c.axes, false)
		ax0, ax1 := (c.axes[0]+3)%3, (c.axes[1]+3)%3
		shape, want := naiveBatchDot(a, b, ax0, ax1)
		name := fmt.Sprintf("%v·%v axes %v", c.a, c.b, c.axes)
		if !tensor.EqualShape(y.Shape(), shape) {
			t.Errorf("%s: shape %v, want %v", name, y.Shape(), shape)
		}
		checkClose(t, name, y.Value.Data, want)
	}
}

func TestBatchDotNormalizeIsCosine(t *testing.T) {
	rng := tensor.NewRNG(51)
	a, b := randn(rng, 5, 3), randn(rng, 5, 3)
	tp := NewTape()
	y := tp.BatchDot(NewConst(a), NewConst(b), [2]int{1, 1}, true)
	for s := range 5 {
		var ab, aa, bb float64
		for c := range 3 {
			x, z := float64(a.At(s, c)), float64(b.At(s, c))
			ab, aa, bb = ab+x*z, aa+x*x, bb+z*z
		}
		if w := ab / math.Sqrt(aa*bb); math.Abs(float64(y.Value.Data[s])-w) > 1e-6 {
			t.Errorf("sample %d: %v, want cosine %v", s, y.Value.Data[s], w)
		}
	}
}

func TestGradBatchDot(t *testing.T) {
	rng := tensor.NewRNG(52)
	for _, normalize := range []bool{false, true} {
		gradCheck(t, fmt.Sprintf("BatchDot rank 2 normalize=%v", normalize), []*tensor.Tensor{randn(rng, 3, 4), randn(rng, 3, 4)},
			func(tp *Tape, in []*Var) *Var { return tp.BatchDot(in[0], in[1], [2]int{1, 1}, normalize) })
		for _, c := range dotCases {
			gradCheck(t, fmt.Sprintf("BatchDot %v·%v axes %v normalize=%v", c.a, c.b, c.axes, normalize),
				[]*tensor.Tensor{randn(rng, c.a...), randn(rng, c.b...)},
				func(tp *Tape, in []*Var) *Var { return tp.BatchDot(in[0], in[1], c.axes, normalize) })
		}
	}
	x := randn(rng, 2, 3, 4)
	gradCheck(t, "BatchDot(x, x)", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
		return tp.BatchDot(in[0], in[0], [2]int{2, 2}, false)
	})
	gradCheckConst(t, "BatchDot with a constant", []*tensor.Tensor{x, randn(rng, 2, 3, 5)}, 1, func(tp *Tape, in []*Var) *Var {
		return tp.BatchDot(in[0], in[1], [2]int{1, 1}, true)
	})
}

func TestGradL2Normalize(t *testing.T) {
	rng := tensor.NewRNG(53)
	x := randn(rng, 2, 3, 4)
	for _, axis := range []int{0, 1, 2, -1} {
		gradCheck(t, fmt.Sprintf("L2Normalize axis %d", axis), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
			return tp.L2Normalize(in[0], axis)
		})
	}
}

func TestL2NormalizeOfZero(t *testing.T) {
	// Below the floor on the squared norm the divisor is a constant:
	// y = x·1e6 and dx = dy·1e6, as Keras's l2_normalize.
	x := NewParam(tensor.FromSlice([]float32{0, 0, 3, 4}, 2, 2))
	tp := NewTape()
	y := tp.L2Normalize(x, 1)
	seed := tensor.FromSlice([]float32{1, 2, 0, 0}, 2, 2)
	tp.BackwardFrom(y, seed)
	if y.Value.Data[0] != 0 || y.Value.Data[1] != 0 || y.Value.Data[2] != 0.6 || y.Value.Data[3] != 0.8 {
		t.Errorf("L2Normalize = %v", y.Value.Data)
	}
	r := float32(1 / math.Sqrt(1e-12))
	if x.Grad.Data[0] != r || x.Grad.Data[1] != 2*r {
		t.Errorf("gradient at zero %v, want [%v %v]", x.Grad.Data[:2], r, 2*r)
	}
}

func TestBatchDotPanics(t *testing.T) {
	tp := NewTape()
	v := func(s ...int) *Var { return NewConst(tensor.New(s...)) }
	mustPanic(t, "are not two batches", func() { tp.BatchDot(v(2, 3), v(2, 3, 1), [2]int{1, 1}, false) })
	mustPanic(t, "are not two batches", func() { tp.BatchDot(v(2, 3), v(3, 3), [2]int{1, 1}, false) })
	mustPanic(t, "are not two batches", func() { tp.BatchDot(v(2), v(2), [2]int{0, 0}, false) })
	mustPanic(t, "contract the batch dimension", func() { tp.BatchDot(v(2, 3), v(2, 3), [2]int{0, 1}, false) })
	mustPanic(t, "differ in length", func() { tp.BatchDot(v(2, 3, 4), v(2, 3, 5), [2]int{2, 2}, false) })
	mustPanic(t, "axis 3 out of range", func() { tp.BatchDot(v(2, 3, 4), v(2, 3, 4), [2]int{3, 2}, false) })
}
