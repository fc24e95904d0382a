package models_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

func parallelData() (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(3)
	x, y = tensor.New(203, 6), tensor.New(203, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range 203 {
		y.Data[i*3+rng.Intn(3)] = 1
	}
	return x, y
}

// The nets of the data-parallel tests.
type net int

const (
	plain  net = iota // dense layers only
	norm              // with BatchNormalization (per rank) and Dropout
	synced            // with a Synchronized BatchNormalization and Dropout
)

func parallelModel(t *testing.T, seed uint64, kind net) *models.Model {
	ls := []layers.Layer{&layers.Dense{Units: 16, Activation: activations.ReLU, InputDim: 6}}
	if kind != plain {
		ls = append(ls, &layers.BatchNormalization{Synchronized: kind == synced}, &layers.Dropout{Rate: 0.3})
	}
	ls = append(ls, &layers.Dense{Units: 3, Activation: activations.Softmax})
	s := models.NewSequential(ls...)
	s.Seed = seed
	if err := s.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	return s.Model
}

// fitRanks trains one model per rank of an in-process group, each from
// its own seed (the broadcast from rank 0 must make them agree); syncAll
// sets FitConfig.SyncBatchNorm.
func fitRanks(t *testing.T, ranks, batch int, kind net, syncAll bool) ([]*models.Model, []*models.History) {
	layers.ResetNames()
	x, y := parallelData()
	cs := distributed.InProcess(ranks)
	ms := make([]*models.Model, ranks)
	for r := range ranks {
		ms[r] = parallelModel(t, uint64(10+r), kind)
	}
	hs := make([]*models.History, ranks)
	errs := make([]error, ranks)
	var wg sync.WaitGroup
	for r := range ranks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := models.FitConfig{BatchSize: batch, Epochs: 3, Seed: 4, ValidationSplit: 0.2, SyncBatchNorm: syncAll}
			if ranks > 1 {
				cfg.Collective = cs[r]
			}
			hs[r], errs[r] = ms[r].Fit(context.Background(), x, y, cfg)
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return ms, hs
}

// TestDataParallelMatchesOneProcess: without BatchNormalization and
// Dropout, 2 ranks × 16 follow 1 process × 32 within float rounding (the
// gradient is summed in another order), through an uneven last batch
// (162 training rows: 5 batches of 32, then 2 rows, one per rank).
func TestDataParallelMatchesOneProcess(t *testing.T) {
	_, one := fitRanks(t, 1, 32, plain, false)
	ms, two := fitRanks(t, 2, 16, plain, false)
	if d := sameHistory(t, one[0], two); d > 1e-5 {
		t.Errorf("largest relative difference %.3g, want at most 1e-5", d)
	}
	sameWeights(t, ms)
}

// sameHistory checks that every rank logged rank 0's History and returns
// the largest difference between it and one's, relative to max(1, |one|).
func sameHistory(t *testing.T, one *models.History, ranks []*models.History) float64 {
	t.Helper()
	worst := 0.0
	for _, k := range one.Keys {
		for e := range one.Values[k] {
			a, b := one.Values[k][e], ranks[0].Values[k][e]
			worst = max(worst, math.Abs(a-b)/math.Max(1, math.Abs(a)))
			for r := 1; r < len(ranks); r++ {
				if ranks[r].Values[k][e] != b {
					t.Errorf("%s, epoch %d: rank %d logs %v, rank 0 %v", k, e+1, r, ranks[r].Values[k][e], b)
				}
			}
		}
	}
	return worst
}

// TestDataParallelSyncBatchNorm: with a synchronized BatchNormalization
// and Dropout, 2 ranks × 16 and 4 ranks × 8 follow 1 process × 32 within
// float rounding: the batch statistics are the global batch's and the
// dropout masks the ones one process draws. The last batch of every epoch
// has 2 rows, so 2 of the 4 ranks (rank 0 among them, whose moving
// statistics are saved) run it with none. Every rank ends with
// bit-identical weights, moving statistics included, and close to one
// process's. Per-rank BatchNormalization, the control, differs.
func TestDataParallelSyncBatchNorm(t *testing.T) {
	ones, one := fitRanks(t, 1, 32, synced, false)
	for _, c := range []struct {
		ranks   int
		kind    net
		syncAll bool
	}{{2, synced, false}, {4, synced, false}, {2, norm, true}} {
		ms, h := fitRanks(t, c.ranks, 32/c.ranks, c.kind, c.syncAll)
		d := sameHistory(t, one[0], h)
		t.Logf("%d ranks (SyncBatchNorm %v): largest relative History difference %.3g", c.ranks, c.syncAll, d)
		if d > 1e-5 {
			t.Errorf("%d ranks: largest relative History difference %.3g, want at most 1e-5", c.ranks, d)
		}
		for r := 1; r < len(ms); r++ {
			for i, w := range ms[r].Weights() {
				for j, v := range w.Var.Value.Data {
					if math.Float32bits(v) != math.Float32bits(ms[0].Weights()[i].Var.Value.Data[j]) {
						t.Fatalf("%d ranks: rank %d's %s[%d] = %v, rank 0's %v", c.ranks, r, w.Name, j, v, ms[0].Weights()[i].Var.Value.Data[j])
					}
				}
			}
		}
		for i, w := range ms[0].Weights() {
			for j, v := range w.Var.Value.Data {
				if want := ones[0].Weights()[i].Var.Value.Data[j]; math.Abs(float64(v-want)) > 1e-4*math.Max(1, math.Abs(float64(want))) {
					t.Errorf("%d ranks: %s[%d] = %v, one process %v", c.ranks, w.Name, j, v, want)
				}
			}
		}
	}
	_, h := fitRanks(t, 2, 16, norm, false)
	if d := sameHistory(t, one[0], h); d < 1e-3 {
		t.Errorf("per-rank BatchNormalization: largest relative History difference %.3g, want it to differ", d)
	}
}

// TestDataParallelSameWeights: with per-rank BatchNormalization and
// dropout, 3 ranks still end with bit-identical trainable weights.
func TestDataParallelSameWeights(t *testing.T) {
	ms, _ := fitRanks(t, 3, 10, norm, false)
	sameWeights(t, ms)
}

func sameWeights(t *testing.T, ms []*models.Model) {
	t.Helper()
	w0 := ms[0].TrainableWeights()
	for r := 1; r < len(ms); r++ {
		for i, w := range ms[r].TrainableWeights() {
			for j, v := range w.Var.Value.Data {
				if math.Float32bits(v) != math.Float32bits(w0[i].Var.Value.Data[j]) {
					t.Fatalf("rank %d, weight %s[%d]: %v, rank 0 %v", r, w.Name, j, v, w0[i].Var.Value.Data[j])
				}
			}
		}
	}
}

// pair is a world of two in which this process plays both ranks' parts
// by itself: its reductions are the identity. It lets the allocation test
// run data-parallel Fit's bookkeeping without a second rank.
type pair struct{ distributed.Local }

func (pair) Size() int { return 2 }

// TestDataParallelStepAllocs: a data-parallel step allocates nothing once
// warm: four more epochs of 125 steps each cost fewer than 100
// allocations (the per-epoch validation views and reductions).
func TestDataParallelStepAllocs(t *testing.T) {
	layers.ResetNames()
	rng := tensor.NewRNG(3)
	x, y := tensor.New(2000, 6), tensor.New(2000, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range 2000 {
		y.Data[i*3+rng.Intn(3)] = 1
	}
	m := parallelModel(t, 1, synced)
	fit := func(epochs int) float64 {
		return alloctest.PerRun(1, func() {
			cfg := models.FitConfig{BatchSize: 8, Epochs: epochs, Seed: 4, Collective: pair{}, ValidationX: x, ValidationY: y}
			if _, err := m.Fit(context.Background(), x, y, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
	fit(1)
	one, five := fit(1), fit(5)
	t.Logf("allocations: 1 epoch %v, 5 epochs %v", one, five)
	if five-one >= 100 {
		t.Fatalf("1 epoch: %v allocations, 5 epochs: %v: data-parallel steps allocate", one, five)
	}
}
