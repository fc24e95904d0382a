package models_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// group is an in-process collective of goroutines, for testing
// data-parallel Fit without MPI: each call waits for every rank, and the
// sum is taken in rank order.
type group struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
	bufs [][]float32
	in   int
	gen  int
}

type member struct {
	g    *group
	rank int
}

func newGroup(n int) []distributed.Collective {
	g := &group{n: n, bufs: make([][]float32, n)}
	g.cond = sync.NewCond(&g.mu)
	var ms []distributed.Collective
	for r := range n {
		ms = append(ms, member{g, r})
	}
	return ms
}

// exchange deposits buf, waits for every rank, runs f on all buffers (each
// rank reads them all), then waits again before anyone reuses a buffer.
func (m member) exchange(buf []float32, f func(all [][]float32)) {
	g := m.g
	wait := func() {
		gen := g.gen
		g.in++
		if g.in == g.n {
			g.in, g.gen = 0, g.gen+1
			g.cond.Broadcast()
			return
		}
		for gen == g.gen {
			g.cond.Wait()
		}
	}
	g.mu.Lock()
	g.bufs[m.rank] = buf
	wait()
	g.mu.Unlock()
	f(g.bufs) // every rank has deposited; nobody writes until the next wait
	g.mu.Lock()
	wait()
	g.mu.Unlock()
}

func (m member) Rank() int { return m.rank }
func (m member) Size() int { return m.g.n }
func (m member) AllReduceSum(buf []float32) error {
	sum := make([]float32, len(buf))
	m.exchange(buf, func(all [][]float32) {
		for _, b := range all {
			for i, v := range b {
				sum[i] += v
			}
		}
	})
	copy(buf, sum)
	m.Barrier()
	return nil
}
func (m member) Broadcast(buf []float32, root int) error {
	src := make([]float32, len(buf))
	m.exchange(buf, func(all [][]float32) { copy(src, all[root]) })
	copy(buf, src)
	m.Barrier()
	return nil
}
func (m member) Barrier() error {
	m.g.mu.Lock()
	defer m.g.mu.Unlock()
	gen := m.g.gen
	m.g.in++
	if m.g.in == m.g.n {
		m.g.in, m.g.gen = 0, m.g.gen+1
		m.g.cond.Broadcast()
		return nil
	}
	for gen == m.g.gen {
		m.g.cond.Wait()
	}
	return nil
}

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

func parallelModel(t *testing.T, seed uint64, norm bool) *models.Model {
	ls := []layers.Layer{&layers.Dense{Units: 16, Activation: activations.ReLU, InputDim: 6}}
	if norm {
		ls = append(ls, &layers.BatchNormalization{}, &layers.Dropout{Rate: 0.3})
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
// its own seed (the broadcast from rank 0 must make them agree).
func fitRanks(t *testing.T, ranks, batch int, norm bool) ([]*models.Model, []*models.History) {
	layers.ResetNames()
	x, y := parallelData()
	cs := newGroup(ranks)
	ms := make([]*models.Model, ranks)
	for r := range ranks {
		ms[r] = parallelModel(t, uint64(10+r), norm)
	}
	hs := make([]*models.History, ranks)
	errs := make([]error, ranks)
	var wg sync.WaitGroup
	for r := range ranks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := models.FitConfig{BatchSize: batch, Epochs: 3, Seed: 4, ValidationSplit: 0.2}
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
	_, one := fitRanks(t, 1, 32, false)
	ms, two := fitRanks(t, 2, 16, false)
	for _, k := range one[0].Keys {
		for e := range one[0].Values[k] {
			a, b := one[0].Values[k][e], two[0].Values[k][e]
			if math.Abs(a-b) > 1e-5*math.Max(1, math.Abs(a)) {
				t.Errorf("%s, epoch %d: 1 process %v, 2 ranks %v", k, e+1, a, b)
			}
			if two[1].Values[k][e] != b {
				t.Errorf("%s, epoch %d: rank 1 logs %v, rank 0 %v", k, e+1, two[1].Values[k][e], b)
			}
		}
	}
	sameWeights(t, ms)
}

// TestDataParallelSameWeights: with per-rank BatchNormalization and
// dropout, 3 ranks still end with bit-identical trainable weights.
func TestDataParallelSameWeights(t *testing.T) {
	ms, _ := fitRanks(t, 3, 10, true)
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
	m := parallelModel(t, 1, true)
	fit := func(epochs int) float64 {
		return testing.AllocsPerRun(1, func() {
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
