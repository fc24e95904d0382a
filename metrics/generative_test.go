package metrics

import (
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestInceptionScore(t *testing.T) {
	// Every sample certain of its class, the 10 classes equally common:
	// KL(p(y|x) ‖ p(y)) = log 10 for each, so the score is 10.
	oneHot := tensor.New(20, 10)
	for i := range 20 {
		oneHot.Data[i*10+i%10] = 1
	}
	// The same distribution for every sample: KL = 0, score 1.
	same := tensor.New(5, 4)
	for i := range 5 {
		copy(same.Data[i*4:], []float32{0.1, 0.2, 0.3, 0.4})
	}
	// Certain samples of only 2 of 10 classes: score 2.
	two := tensor.New(6, 10)
	for i := range 6 {
		two.Data[i*10+3*(i%2)] = 1
	}
	// Worked by hand: rows (0.5, 0.5) and (1, 0), p(y) = (0.75, 0.25).
	// KL₁ = 0.5 ln(0.5/0.75) + 0.5 ln(0.5/0.25) = 0.5 ln(4/3);
	// KL₂ = ln(1/0.75) = ln(4/3); score = exp(0.75 ln(4/3)).
	hand := tensor.FromSlice([]float32{0.5, 0.5, 1, 0}, 2, 2)
	for _, c := range []struct {
		name string
		p    *tensor.Tensor
		want float64
	}{
		{"one-hot, balanced", oneHot, 10},
		{"identical rows", same, 1},
		{"two modes", two, 2},
		{"by hand", hand, math.Exp(0.75 * math.Log(4.0/3))},
	} {
		got, err := InceptionScore(c.p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got-c.want) > 1e-9*c.want {
			t.Errorf("%s: score %v, want %v", c.name, got, c.want)
		}
	}
}

func TestConfidentClassShares(t *testing.T) {
	p := tensor.FromSlice([]float32{
		0.95, 0.05, 0,
		0.2, 0.8, 0, // not confident at 0.9
		0, 0.05, 0.95,
		0.92, 0.08, 0,
	}, 4, 3)
	shares, n, err := ConfidentClassShares(p, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || shares[0] != 2.0/3 || shares[1] != 0 || shares[2] != 1.0/3 {
		t.Errorf("shares %v of %d confident samples, want [2/3 0 1/3] of 3", shares, n)
	}
}

func TestInceptionScoreBadInput(t *testing.T) {
	for name, p := range map[string]*tensor.Tensor{
		"nil":       nil,
		"1-D":       tensor.New(10),
		"one class": tensor.Full(1, 3, 1),
		"no rows":   tensor.New(0, 10),
		"sum 0.5":   tensor.FromSlice([]float32{0.25, 0.25}, 1, 2),
		"negative":  tensor.FromSlice([]float32{1.5, -0.5}, 1, 2),
		"NaN":       tensor.FromSlice([]float32{float32(math.NaN()), 1}, 1, 2),
	} {
		if _, err := InceptionScore(p); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, _, err := ConfidentClassShares(p, 0.9); err == nil {
			t.Errorf("%s: ConfidentClassShares: no error", name)
		}
	}
}
