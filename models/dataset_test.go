package models_test

import (
	"bytes"
	"context"
	"errors"
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

// datasetNet is a small classifier with batch normalization and dropout,
// so that the order of batches, the dropout stream and the batch sizes all
// show in its History.
func datasetNet(t *testing.T) *models.Sequential {
	t.Helper()
	m := models.NewSequential(
		&layers.Dense{Units: 16, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{6}}},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.3},
		&layers.Dense{Units: 3, Activation: activations.Softmax},
	)
	m.Seed = 3
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return m
}

func datasetData(t *testing.T, n int, seed uint64) (x, y *tensor.Tensor) {
	t.Helper()
	rng := tensor.NewRNG(seed)
	x = tensor.New(n, 6)
	rng.Normal(x, 0, 1)
	labels := tensor.New(n)
	for i := range labels.Data {
		labels.Data[i] = float32(rng.Intn(3))
	}
	y, err := preprocessing.ToCategorical(labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

// An ArrayDataset trained through FitDataset gives Fit's History bit for
// bit: the same sample order per epoch (shuffled or not), the same
// dropout masks, the same short last batch and the same validation.
func TestFitDatasetMatchesFit(t *testing.T) {
	x, y := datasetData(t, 203, 1) // 203 = 6 batches of 32 and one of 11
	vx, vy := datasetData(t, 45, 2)
	for _, noShuffle := range []bool{false, true} {
		a := datasetNet(t)
		ha, err := a.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 32, Epochs: 3, Seed: 7, NoShuffle: noShuffle, ValidationX: vx, ValidationY: vy})
		if err != nil {
			t.Fatal(err)
		}
		train, err := models.NewArrayDataset([]*tensor.Tensor{x}, []*tensor.Tensor{y}, 32, noShuffle, 7)
		if err != nil {
			t.Fatal(err)
		}
		valid, err := models.NewArrayDataset([]*tensor.Tensor{vx}, []*tensor.Tensor{vy}, 32, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := datasetNet(t)
		hb, err := b.FitDataset(context.Background(), train, models.FitConfig{Epochs: 3, Seed: 7, ValidationData: valid})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := exactHistory(hb), exactHistory(ha); got != want {
			t.Errorf("noShuffle %v: FitDataset's History\n%s\nFit's\n%s", noShuffle, got, want)
		}
		if strings.Count(exactHistory(ha), "\n") != 3*4 {
			t.Fatalf("History has %d values, want 12", strings.Count(exactHistory(ha), "\n"))
		}
		// Evaluate and Predict agree too.
		ea, err := a.Evaluate(vx, vy, 32)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := a.EvaluateDataset(context.Background(), valid, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ea {
			if ea[i] != eb[i] {
				t.Errorf("EvaluateDataset[%d] = %v, Evaluate %v", i, eb[i], ea[i])
			}
		}
		pa, err := a.Predict(vx)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := a.PredictDataset(context.Background(), valid, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.EqualShape(pa.Shape, pb[0].Shape) {
			t.Fatalf("PredictDataset shape %v, Predict %v", pb[0].Shape, pa.Shape)
		}
		for i := range pa.Data {
			if pa.Data[i] != pb[0].Data[i] {
				t.Fatalf("PredictDataset[%d] = %v, Predict %v", i, pb[0].Data[i], pa.Data[i])
			}
		}
	}
}

// recorder is a Dataset that records which batches were asked for and
// can fail at one of them.
type recorder struct {
	n, rows int
	asked   [][2]int
	failAt  int // position (pass·n + i) that fails; -1: none
	x, y    *tensor.Tensor
}

func (r *recorder) Len() int { return r.n }

func (r *recorder) Batch(pass, i int) ([]*tensor.Tensor, []*tensor.Tensor, error) {
	r.asked = append(r.asked, [2]int{pass, i})
	if pass*r.n+i == r.failAt {
		return nil, nil, errors.New("disk on fire")
	}
	return []*tensor.Tensor{r.x}, []*tensor.Tensor{r.y}, nil
}

// StepsPerEpoch shorter than a pass continues through the passes where
// the previous epoch stopped, as Keras's generator enqueuer does;
// validation starts from its pass 0 every epoch.
func TestFitDatasetSteps(t *testing.T) {
	x, y := datasetData(t, 8, 3)
	train := &recorder{n: 4, failAt: -1, x: x, y: y}
	valid := &recorder{n: 5, failAt: -1, x: x, y: y}
	m := datasetNet(t)
	var out bytes.Buffer
	h, err := m.FitDataset(context.Background(), train, models.FitConfig{Epochs: 3, StepsPerEpoch: 3, ValidationData: valid, ValidationSteps: 2, Verbose: 2, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 0}}
	if len(train.asked) != len(want) {
		t.Fatalf("asked %v, want %v", train.asked, want)
	}
	for k := range want {
		if train.asked[k] != want[k] {
			t.Fatalf("asked %v, want %v", train.asked, want)
		}
	}
	for k, a := range valid.asked {
		if a != [2]int{0, k % 2} {
			t.Fatalf("validation asked %v, want (0,0),(0,1) each epoch", valid.asked)
		}
	}
	if len(valid.asked) != 6 || len(h.Epoch) != 3 {
		t.Fatalf("validation asked %d batches over %d epochs, want 6 over 3", len(valid.asked), len(h.Epoch))
	}
	// Keras's generator progress line counts steps: "3/3 - ...".
	if s := out.String(); !strings.Contains(s, "Epoch 3/3") || strings.Contains(s, "Train on") {
		t.Errorf("progress output:\n%s", s)
	}

	// A failing batch stops training with the epoch and batch named, and
	// the History of the complete epochs.
	train = &recorder{n: 4, failAt: 5, x: x, y: y}
	m = datasetNet(t)
	h, err = m.FitDataset(context.Background(), train, models.FitConfig{Epochs: 3, StepsPerEpoch: 3})
	if err == nil || !strings.Contains(err.Error(), "epoch 2, batch 3") || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v, want one naming epoch 2, batch 3 and the cause", err)
	}
	if len(h.Epoch) != 1 {
		t.Errorf("History has %d epochs, want the 1 complete one", len(h.Epoch))
	}
}

func TestFitDatasetBadInput(t *testing.T) {
	x, y := datasetData(t, 8, 3)
	wrong := tensor.New(8, 5)
	ok := &recorder{n: 2, failAt: -1, x: x, y: y}
	cases := []struct {
		name string
		ds   models.Dataset
		cfg  models.FitConfig
		want string
	}{
		{"nil", nil, models.FitConfig{Epochs: 1}, "no dataset"},
		{"empty", &recorder{n: 0, failAt: -1}, models.FitConfig{Epochs: 1}, "no batches"},
		{"batch size", ok, models.FitConfig{Epochs: 1, BatchSize: 4}, "batch size"},
		{"split", ok, models.FitConfig{Epochs: 1, ValidationSplit: 0.2}, "validation split"},
		{"arrays", ok, models.FitConfig{Epochs: 1, ValidationX: x, ValidationY: y}, "ValidationData"},
		{"steps", ok, models.FitConfig{Epochs: 1, StepsPerEpoch: -1}, "steps"},
		{"shape", &recorder{n: 2, failAt: -1, x: wrong, y: y}, models.FitConfig{Epochs: 1}, "batch 1 of pass 1: x has shape (8, 5)"},
		{"rows", &recorder{n: 2, failAt: -1, x: x, y: tensor.New(7, 3)}, models.FitConfig{Epochs: 1}, "rows"},
		{"validation", ok, models.FitConfig{Epochs: 1, ValidationData: &recorder{n: 1, failAt: -1, x: wrong, y: y}}, "validation after epoch 1"},
	}
	for _, c := range cases {
		m := datasetNet(t)
		_, err := m.FitDataset(context.Background(), c.ds, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := models.NewArrayDataset([]*tensor.Tensor{x}, []*tensor.Tensor{tensor.New(7, 3)}, 4, false, 0); err == nil {
		t.Error("NewArrayDataset took arrays of 8 and 7 rows")
	}
	if _, err := models.NewArrayDataset([]*tensor.Tensor{x}, nil, 0, false, 0); err == nil {
		t.Error("NewArrayDataset took batch size 0")
	}
}

// A cancelled context stops FitDataset between batches.
func TestFitDatasetCancel(t *testing.T) {
	x, y := datasetData(t, 8, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := datasetNet(t)
	_, err := m.FitDataset(ctx, &recorder{n: 2, failAt: -1, x: x, y: y}, models.FitConfig{Epochs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
