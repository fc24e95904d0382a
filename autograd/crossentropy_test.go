package autograd

import (
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func oneHot(rng *tensor.RNG, rows, cols int) (dense, sparse *tensor.Tensor) {
	dense, sparse = tensor.New(rows, cols), tensor.New(rows)
	for r := range rows {
		k := rng.Intn(cols)
		dense.Data[r*cols+k] = 1
		sparse.Data[r] = float32(k)
	}
	return dense, sparse
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := tensor.NewRNG(10)
	z := randn(rng, 5, 4)
	y, ys := oneHot(rng, 5, 4)
	ce := func(sparse bool) func(tp *Tape, in []*Var) *Var {
		return func(tp *Tape, in []*Var) *Var { l, _ := tp.SoftmaxCrossEntropy(in[0], in[1], sparse); return l }
	}
	gradCheckConst(t, "SoftmaxCrossEntropy", []*tensor.Tensor{z, y}, 1, ce(false))
	gradCheckConst(t, "SparseSoftmaxCrossEntropy", []*tensor.Tensor{z, ys}, 1, ce(true))
	// Soft targets (label smoothing-like distributions).
	soft := tensor.New(5, 4)
	rng.Uniform(soft, 0, 1)
	gradCheckConst(t, "SoftmaxCrossEntropy soft targets", []*tensor.Tensor{z, soft}, 1, ce(false))
}

// TestSoftmaxCrossEntropyMatchesComposite checks the fused op against the
// float64 definition −Σ y·log(softmax(z)).
func TestSoftmaxCrossEntropyMatchesReference(t *testing.T) {
	rng := tensor.NewRNG(11)
	z := randn(rng, 6, 5)
	y, _ := oneHot(rng, 6, 5)
	tp := NewTape()
	l, p := tp.SoftmaxCrossEntropy(NewParam(z), NewConst(y), false)
	var want float64
	for r := range 6 {
		var s float64
		for j := range 5 {
			s += math.Exp(float64(z.Data[r*5+j]))
		}
		for j := range 5 {
			pr := math.Exp(float64(z.Data[r*5+j])) / s
			if math.Abs(pr-float64(p.Data[r*5+j])) > 1e-6 {
				t.Errorf("probs[%d,%d] = %v, want %v", r, j, p.Data[r*5+j], pr)
			}
			want -= float64(y.Data[r*5+j]) * math.Log(pr)
		}
	}
	want /= 6
	if got := float64(l.Value.Data[0]); math.Abs(got-want) > 1e-5*math.Abs(want) {
		t.Errorf("loss %v, want %v", got, want)
	}
}

func TestSoftmaxCrossEntropyStableAtLargeLogits(t *testing.T) {
	z := tensor.FromSlice([]float32{1000, -1000, 0, -1000, 1000, 999, 500, 500, -500}, 3, 3)
	y := tensor.FromSlice([]float32{0, 1, 0, 1, 0, 0, 0, 0, 1}, 3, 3)
	for _, sparse := range []bool{false, true} {
		target := y
		if sparse {
			target = tensor.FromSlice([]float32{1, 0, 2}, 3)
		}
		tp := NewTape()
		zv := NewParam(z.Clone())
		l, _ := tp.SoftmaxCrossEntropy(zv, NewConst(target), sparse)
		tp.Backward(l)
		// Row losses: 2000, 2000+log(1+e^-1), 1000+log 2 (float64).
		want := (2000 + 2000 + math.Log1p(math.Exp(-1)) + 1000 + math.Log(2)) / 3
		got := float64(l.Value.Data[0])
		if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-want) > 1e-3 {
			t.Errorf("sparse=%v: loss %v, want %v", sparse, got, want)
		}
		for i, g := range zv.Grad.Data {
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) || math.Abs(float64(g)) > 1 {
				t.Errorf("sparse=%v: grad[%d] = %v", sparse, i, g)
			}
		}
		// Row 0: softmax is (1, 0, 0), target class 1: grad (1, −1, 0)/3.
		if d := zv.Grad.Data; math.Abs(float64(d[0])-1.0/3) > 1e-6 || math.Abs(float64(d[1])+1.0/3) > 1e-6 {
			t.Errorf("sparse=%v: row 0 grad %v", sparse, d[:3])
		}
	}
}

func TestGradSigmoidBinaryCrossEntropy(t *testing.T) {
	rng := tensor.NewRNG(12)
	z := randn(rng, 4, 3)
	y := tensor.New(4, 3)
	for i := range y.Data {
		y.Data[i] = float32(rng.Intn(2))
	}
	gradCheckConst(t, "SigmoidBinaryCrossEntropy", []*tensor.Tensor{z, y}, 1, func(tp *Tape, in []*Var) *Var {
		l, _ := tp.SigmoidBinaryCrossEntropy(in[0], in[1])
		return l
	})
	big := tensor.FromSlice([]float32{1000, -1000, 1000, -1000}, 4, 1)
	yb := tensor.FromSlice([]float32{1, 0, 0, 1}, 4, 1)
	tp := NewTape()
	zv := NewParam(big)
	l, _ := tp.SigmoidBinaryCrossEntropy(zv, NewConst(yb))
	tp.Backward(l)
	if got := l.Value.Data[0]; math.Abs(float64(got)-500) > 1e-3 {
		t.Errorf("loss at ±1000 = %v, want 500", got)
	}
	for i, g := range zv.Grad.Data {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Errorf("grad[%d] = %v", i, g)
		}
	}
}

func TestGradCrossEntropyFromProbabilities(t *testing.T) {
	rng := tensor.NewRNG(13)
	p := tensor.New(4, 3)
	rng.Uniform(p, 0.1, 1) // unnormalized: the op divides by the row sum
	y, ys := oneHot(rng, 4, 3)
	gradCheckConst(t, "CategoricalCrossEntropy", []*tensor.Tensor{p, y}, 1, func(tp *Tape, in []*Var) *Var {
		return tp.CategoricalCrossEntropy(in[0], in[1], 1e-7, false)
	})
	gradCheckConst(t, "SparseCategoricalCrossEntropy", []*tensor.Tensor{p, ys}, 1, func(tp *Tape, in []*Var) *Var {
		return tp.CategoricalCrossEntropy(in[0], in[1], 1e-7, true)
	})
	q := tensor.New(4, 3)
	rng.Uniform(q, 0.1, 0.9)
	yb := tensor.New(4, 3)
	for i := range yb.Data {
		yb.Data[i] = float32(rng.Intn(2))
	}
	gradCheckConst(t, "BinaryCrossEntropy", []*tensor.Tensor{q, yb}, 1, func(tp *Tape, in []*Var) *Var {
		return tp.BinaryCrossEntropy(in[0], in[1], 1e-7)
	})
	// Keras clips probabilities at 1e-7: a zero probability for the true
	// class costs −log(1e-7), not infinity.
	tp := NewTape()
	l := tp.CategoricalCrossEntropy(NewConst(tensor.FromSlice([]float32{0, 1}, 1, 2)), NewConst(tensor.FromSlice([]float32{1, 0}, 1, 2)), 1e-7, false)
	if got, want := float64(l.Value.Data[0]), -math.Log(1e-7); math.Abs(got-want) > 1e-4 {
		t.Errorf("clipped loss %v, want %v", got, want)
	}
}

// TestDropoutMaskMatchesFloat32Rule checks the integer mask against the
// rule it implements: keep when rng.Float32() ≥ rate.
func TestDropoutMaskMatchesFloat32Rule(t *testing.T) {
	for _, rate := range []float32{0.1, 0.2, 0.25, 0.5, 0.9, 1e-7, 0.99999994} {
		x := tensor.Full(1, 4096)
		tp := NewTape()
		y := tp.Dropout(NewParam(x), rate, tensor.NewRNG(3), true)
		ref := tensor.NewRNG(3)
		for i, v := range y.Value.Data {
			want := float32(0)
			if ref.Float32() >= rate {
				want = 1 / (1 - rate)
			}
			if v != want {
				t.Fatalf("rate %v, element %d: %v, want %v", rate, i, v, want)
			}
		}
	}
}
