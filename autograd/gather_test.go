package autograd

import (
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// randomIDs returns a float32 tensor of the given shape holding integers
// in [0, n).
func randomIDs(rng *tensor.RNG, n int, shape ...int) *tensor.Tensor {
	ids := tensor.New(shape...)
	for i := range ids.Data {
		ids.Data[i] = float32(rng.Intn(n))
	}
	return ids
}

func TestGatherValuesAndShape(t *testing.T) {
	rng := tensor.NewRNG(40)
	table := NewConst(randn(rng, 5, 2, 3))
	ids := randomIDs(rng, 5, 2, 4)
	tp := NewTape()
	y := tp.Gather(table, ids)
	if !tensor.EqualShape(y.Shape(), []int{2, 4, 2, 3}) {
		t.Fatalf("shape %v, want [2 4 2 3]", y.Shape())
	}
	forEachIndex(y.Shape(), func(idx []int) {
		k := int(ids.At(idx[0], idx[1]))
		if got, w := y.Value.At(idx...), table.Value.At(k, idx[2], idx[3]); got != w {
			t.Fatalf("at %v: %v, want row %d's %v", idx, got, k, w)
		}
	})
	// A vector table gives one value per id; a scalar id tensor one row.
	v := tp.Gather(NewConst(tensor.FromSlice([]float32{10, 11, 12}, 3)), tensor.FromSlice([]float32{2, 0, 2}, 3))
	if !tensor.EqualShape(v.Shape(), []int{3}) || v.Value.Data[0] != 12 || v.Value.Data[1] != 10 || v.Value.Data[2] != 12 {
		t.Errorf("Gather of a vector: %v %v", v.Shape(), v.Value.Data)
	}
	r := tp.Gather(table, tensor.FromSlice([]float32{3}))
	if !tensor.EqualShape(r.Shape(), []int{2, 3}) || r.Value.Data[0] != table.Value.At(3, 0, 0) {
		t.Errorf("Gather of a scalar id: %v", r.Shape())
	}
}

func TestGradGatherScatterAdd(t *testing.T) {
	rng := tensor.NewRNG(41)
	ids := randomIDs(rng, 4, 3, 5) // 15 draws from 4 rows: repeats add up
	gradCheck(t, "Gather", []*tensor.Tensor{randn(rng, 4, 3)}, func(tp *Tape, in []*Var) *Var {
		return tp.Gather(in[0], ids)
	})
	gradCheck(t, "Gather 3-D table", []*tensor.Tensor{randn(rng, 4, 2, 2)}, func(tp *Tape, in []*Var) *Var {
		return tp.Tanh(tp.Gather(in[0], ids))
	})
	gradCheck(t, "ScatterAdd", []*tensor.Tensor{randn(rng, 4, 3), randn(rng, 3, 5, 3)}, func(tp *Tape, in []*Var) *Var {
		return tp.Tanh(tp.ScatterAdd(in[0], ids, in[1]))
	})
}

func TestScatterAddIsGathersAdjoint(t *testing.T) {
	// ⟨Gather(T, ids), U⟩ = ⟨T, ScatterAdd(0, ids, U)⟩ for any T and U.
	rng := tensor.NewRNG(42)
	ids := randomIDs(rng, 6, 7)
	T, U := randn(rng, 6, 2), randn(rng, 7, 2)
	tp := NewTape()
	g := tp.Gather(NewConst(T), ids)
	s := tp.ScatterAdd(NewConst(tensor.New(6, 2)), ids, NewConst(U))
	var lhs, rhs float64
	for i, v := range g.Value.Data {
		lhs += float64(v) * float64(U.Data[i])
	}
	for i, v := range s.Value.Data {
		rhs += float64(v) * float64(T.Data[i])
	}
	if d := lhs - rhs; d > 1e-4 || d < -1e-4 {
		t.Errorf("⟨Gather(T), U⟩ = %v, ⟨T, ScatterAdd(U)⟩ = %v", lhs, rhs)
	}
}

func TestGatherPanics(t *testing.T) {
	tp := NewTape()
	table := NewConst(tensor.New(3, 2))
	mustPanic(t, "id 3 at 1 out of range [0, 3)", func() { tp.Gather(table, tensor.FromSlice([]float32{0, 3}, 2)) })
	mustPanic(t, "id -1 at 0 out of range", func() { tp.Gather(table, tensor.FromSlice([]float32{-1}, 1)) })
	nan := tensor.New(1)
	nan.Data[0] = float32(math.NaN())
	mustPanic(t, "id NaN at 0 out of range", func() { tp.Gather(table, nan) })
	mustPanic(t, "scalar table", func() { tp.Gather(NewConst(tensor.New()), tensor.New(1)) })
	mustPanic(t, "updates [2 3] for ids [2]", func() {
		tp.ScatterAdd(table, tensor.New(2), NewConst(tensor.New(2, 3)))
	})
}
