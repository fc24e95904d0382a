package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// mustPanic checks that f panics with a message containing want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("no panic, want one mentioning %q", want)
			return
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Errorf("panic %q, want one mentioning %q", msg, want)
		}
	}()
	f()
}

// offsetOf returns the row-major offset of index idx in shape.
func offsetOf(shape, idx []int) int {
	o := 0
	for d, i := range idx {
		o = o*shape[d] + i
	}
	return o
}

// forEachIndex calls f with every index of shape, in row-major order.
func forEachIndex(shape []int, f func(idx []int)) {
	idx := make([]int, len(shape))
	n := 1
	for _, d := range shape {
		n *= d
	}
	for range n {
		f(idx)
		for d := len(shape) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

func TestConcatValuesAndShapes(t *testing.T) {
	rng := tensor.NewRNG(20)
	for _, axis := range []int{0, 1, 2, -1, -3} {
		ax := (axis + 3) % 3
		var xs []*Var
		var lens []int
		for _, n := range []int{2, 1, 3, 0, 2} {
			s := []int{2, 3, 4}
			s[ax] = n
			xs = append(xs, NewConst(randn(rng, s...)))
			lens = append(lens, n)
		}
		tp := NewTape()
		y := tp.Concat(axis, xs...)
		want := []int{2, 3, 4}
		want[ax] = 8
		if !tensor.EqualShape(y.Shape(), want) {
			t.Fatalf("axis %d: shape %v, want %v", axis, y.Shape(), want)
		}
		// Every output element is the element of the input its position
		// along the axis falls in.
		forEachIndex(want, func(idx []int) {
			p, i := idx[ax], 0
			for p >= lens[i] {
				p -= lens[i]
				i++
			}
			src := append([]int(nil), idx...)
			src[ax] = p
			if got, w := y.Value.Data[offsetOf(want, idx)], xs[i].Value.At(src...); got != w {
				t.Fatalf("axis %d: at %v got %v, want input %d's %v", axis, idx, got, i, w)
			}
		})
	}
}

func TestSliceAndSplitValues(t *testing.T) {
	rng := tensor.NewRNG(21)
	x := NewConst(randn(rng, 3, 5, 2))
	tp := NewTape()
	y := tp.Slice(x, -2, 1, 4)
	if !tensor.EqualShape(y.Shape(), []int{3, 3, 2}) {
		t.Fatalf("Slice shape %v", y.Shape())
	}
	forEachIndex(y.Shape(), func(idx []int) {
		if got, w := y.Value.At(idx...), x.Value.At(idx[0], idx[1]+1, idx[2]); got != w {
			t.Fatalf("Slice at %v: %v, want %v", idx, got, w)
		}
	})
	parts := tp.Split(x, 1, 2, 0, 3)
	if len(parts) != 3 {
		t.Fatalf("Split returned %d parts", len(parts))
	}
	back := tp.Concat(1, parts...)
	for i, v := range back.Value.Data {
		if v != x.Value.Data[i] {
			t.Fatalf("Concat(Split(x)) differs from x at %d", i)
		}
	}
	for i, w := range [][]int{{3, 2, 2}, {3, 0, 2}, {3, 3, 2}} {
		if !tensor.EqualShape(parts[i].Shape(), w) {
			t.Errorf("part %d has shape %v, want %v", i, parts[i].Shape(), w)
		}
	}
}

func TestGradConcatSliceSplit(t *testing.T) {
	rng := tensor.NewRNG(22)
	a, b, c, d := randn(rng, 2, 3, 2), randn(rng, 2, 1, 2), randn(rng, 2, 4, 2), randn(rng, 2, 2, 2)
	for _, axis := range []int{1, -2} {
		gradCheck(t, fmt.Sprintf("Concat axis %d", axis), []*tensor.Tensor{a, b, c, d}, func(tp *Tape, in []*Var) *Var {
			return tp.Concat(axis, in...) // four inputs: the node's list comes from the arena
		})
	}
	gradCheck(t, "Concat axis 0", []*tensor.Tensor{randn(rng, 1, 3), randn(rng, 2, 3)}, func(tp *Tape, in []*Var) *Var {
		return tp.Tanh(tp.Concat(0, in[0], in[1], in[0]))
	})
	gradCheckConst(t, "Concat with a constant", []*tensor.Tensor{a, c}, 1, func(tp *Tape, in []*Var) *Var {
		return tp.Concat(-2, in[1], in[0])
	})
	x := randn(rng, 3, 5, 2)
	for _, axis := range []int{0, 1, 2, -1} {
		gradCheck(t, fmt.Sprintf("Slice axis %d", axis), []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
			return tp.Sigmoid(tp.Slice(in[0], axis, 1, 2))
		})
	}
	gradCheck(t, "Split", []*tensor.Tensor{x}, func(tp *Tape, in []*Var) *Var {
		p := tp.Split(in[0], 1, 2, 1, 2)
		return tp.Concat(1, tp.Mul(p[2], p[2]), tp.Scale(p[0], 3), tp.Tanh(p[2]))
	})
}

func TestConcatSliceSplitPanics(t *testing.T) {
	tp := NewTape()
	x, y := NewConst(tensor.New(2, 3)), NewConst(tensor.New(3, 3))
	mustPanic(t, "no inputs", func() { tp.Concat(0) })
	mustPanic(t, "do not fit along axis 1", func() { tp.Concat(1, x, y) })
	mustPanic(t, "do not fit", func() { tp.Concat(0, x, NewConst(tensor.New(2, 3, 1))) })
	mustPanic(t, "axis 2 out of range", func() { tp.Concat(2, x, x) })
	mustPanic(t, "axis -3 out of range", func() { tp.Slice(x, -3, 0, 1) })
	mustPanic(t, "[2, 4) out of range", func() { tp.Slice(x, 1, 2, 4) })
	mustPanic(t, "[2, 1) out of range", func() { tp.Slice(x, 1, 2, 1) })
	mustPanic(t, "do not add up", func() { tp.Split(x, 1, 1, 1) })
	mustPanic(t, "do not add up", func() { tp.Split(x, 1, 4, -1) })
}
