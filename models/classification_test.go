package models_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// blobs returns n points in 4-D around three well separated centres, with
// their class indices.
func blobs(n int, seed uint64) (x, labels *tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	x, labels = tensor.New(n, 4), tensor.New(n)
	for i := range n {
		c := i % 3
		labels.Data[i] = float32(c)
		for j := range 4 {
			x.Data[i*4+j] = float32(rng.NormFloat64()) * 0.5
		}
		x.Data[i*4+c] += 3
	}
	return x, labels
}

func classifier(t *testing.T, loss losses.Loss) *models.Sequential {
	t.Helper()
	m := models.NewSequential(
		&layers.Dense{Units: 8, Activation: activations.Tanh, InputDim: 4},
		&layers.Dense{Units: 3, Activation: activations.Softmax},
	)
	m.Seed = 1
	if err := m.Compile(loss, &optimizers.Adam{LR: 0.05}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestClassifierEvaluate trains on separable data and checks Evaluate's
// [loss, accuracy] against a float64 computation from Predict.
func TestClassifierEvaluate(t *testing.T) {
	x, labels := blobs(300, 1)
	y, err := preprocessing.ToCategorical(labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		loss   losses.Loss
		target *tensor.Tensor
	}{
		{losses.CategoricalCrossentropy{}, y},
		{losses.SparseCategoricalCrossentropy{}, labels},
	} {
		m := classifier(t, tc.loss)
		h, err := m.Fit(context.Background(), x, tc.target, models.FitConfig{BatchSize: 32, Epochs: 10, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(h.Keys, ","); got != "loss,accuracy" {
			t.Errorf("%s: history keys %q", tc.loss.Name(), got)
		}
		res, err := m.Evaluate(x, tc.target, 64)
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		correct := 0
		for i := range 300 {
			row := p.Data[i*3 : i*3+3]
			k := int(labels.Data[i])
			loss -= math.Log(float64(row[k]))
			best := 0
			for j := range row {
				if row[j] > row[best] {
					best = j
				}
			}
			if best == k {
				correct++
			}
		}
		loss /= 300
		if len(res) != 2 || math.Abs(res[0]-loss) > 1e-4*(1+loss) || res[1] != float64(correct)/300 {
			t.Errorf("%s: Evaluate = %v, want [%v %v]", tc.loss.Name(), res, loss, float64(correct)/300)
		}
		if res[1] < 0.95 {
			t.Errorf("%s: accuracy %v on separable blobs", tc.loss.Name(), res[1])
		}
	}
}

func TestSparseLabelErrors(t *testing.T) {
	x, labels := blobs(30, 2)
	m := classifier(t, losses.SparseCategoricalCrossentropy{})
	labels.Data[7] = 3
	_, err := m.Fit(context.Background(), x, labels, models.FitConfig{BatchSize: 8, Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), "label 3 at row 7") {
		t.Errorf("out-of-range label: %v", err)
	}
	labels.Data[7] = 1.5
	_, err = m.Fit(context.Background(), x, labels, models.FitConfig{BatchSize: 8, Epochs: 1})
	if err == nil || !strings.Contains(err.Error(), "label 1.5 at row 7") {
		t.Errorf("fractional label: %v", err)
	}
}

// TestFusedMatchesUnfused checks that the fused softmax + cross-entropy
// path gives the loss and gradients of the composite computation from
// probabilities.
func TestFusedMatchesUnfused(t *testing.T) {
	x, labels := blobs(64, 3)
	y, _ := preprocessing.ToCategorical(labels, 3)
	fused := classifier(t, losses.CategoricalCrossentropy{})
	plain := models.NewSequential(
		&layers.Dense{Units: 8, Activation: activations.Tanh, InputDim: 4},
		&layers.Dense{Units: 3},
		&layers.Activation{Activation: activations.Softmax},
	)
	plain.Seed = 1
	// The Activation layer at the end also fuses; force the composite path
	// by computing from probabilities with a loss that does not fuse.
	if err := plain.Compile(probsOnly{losses.CategoricalCrossentropy{}}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	if err := fused.Compile(losses.CategoricalCrossentropy{}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	for step := range 5 {
		rf, err := fused.TrainOnBatch(x, y)
		if err != nil {
			t.Fatal(err)
		}
		lf := rf[0]
		rp, err := plain.TrainOnBatch(x, y)
		if err != nil {
			t.Fatal(err)
		}
		lp := rp[0]
		if math.Abs(lf-lp) > 1e-5*(1+lf) {
			t.Errorf("step %d: fused loss %v, composite %v", step, lf, lp)
		}
	}
	wf, wp := fused.Weights(), plain.Weights()
	for i := range wf {
		for j, v := range wf[i].Var.Value.Data {
			if d := math.Abs(float64(v - wp[i].Var.Value.Data[j])); d > 1e-5 {
				t.Fatalf("weight %s[%d] differs by %v after 5 steps", wf[i].Name, j, d)
			}
		}
	}
}

// probsOnly wraps a loss so that it does not offer the fused path.
type probsOnly struct{ losses.Loss }
