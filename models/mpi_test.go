//go:build mpi

package models_test

import (
	"context"
	"math"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// TestMPIFitSameWeights runs under mpirun (distributed/mpitest.sh): every
// rank trains the deep MNIST net's layers (Dense, BatchNormalization,
// Dropout, Adam) data-parallel on synthetic data, and every rank must end
// with bit-identical trainable weights; then again with a Synchronized
// BatchNormalization, after which the moving statistics are bit-identical
// too. The ranks start from different seeds, so the broadcast from rank 0
// is tested too.
func TestMPIFitSameWeights(t *testing.T) {
	env, ok, err := distributed.Detect(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || env.Launcher != "mpirun" {
		t.Skip("not under mpirun (run distributed/mpitest.sh)")
	}
	c, err := distributed.Open(distributed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	layers.ResetNames()
	rng := tensor.NewRNG(7)
	x, y := tensor.New(1000, 20), tensor.New(1000, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range 1000 {
		y.Data[i*3+rng.Intn(3)] = 1
	}
	for _, synced := range []bool{false, true} {
		fitSameWeights(t, c, x, y, synced)
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if err := distributed.Finalize(); err != nil {
		t.Fatal(err)
	}
}

func fitSameWeights(t *testing.T, c distributed.Collective, x, y *tensor.Tensor, synced bool) {
	m := models.NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 20},
		&layers.BatchNormalization{Synchronized: synced},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 3, Activation: activations.Softmax},
	)
	m.Seed = uint64(100 + c.Rank()) // different starting weights on every rank
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 30, Epochs: 3, Seed: 5,
		ValidationSplit: 0.1, Collective: c})
	if err != nil {
		t.Fatal(err)
	}
	var mine []float32
	ws := m.TrainableWeights()
	if synced {
		ws = m.Weights()
	}
	for _, w := range ws {
		mine = append(mine, w.Var.Value.Data...)
	}
	root := append([]float32(nil), mine...)
	if err := c.Broadcast(root, 0); err != nil {
		t.Fatal(err)
	}
	for i := range mine {
		if math.Float32bits(mine[i]) != math.Float32bits(root[i]) {
			t.Fatalf("rank %d (synchronized %v): weight float %d is %v, rank 0 has %v", c.Rank(), synced, i, mine[i], root[i])
		}
	}
	// The logs are the global ones on every rank.
	vl := []float32{float32(h.Values["val_loss"][2]), float32(h.Values["loss"][2])}
	rl := append([]float32(nil), vl...)
	if err := c.Broadcast(rl, 0); err != nil {
		t.Fatal(err)
	}
	if vl[0] != rl[0] || vl[1] != rl[1] {
		t.Fatalf("rank %d logs loss %v val_loss %v, rank 0 %v %v", c.Rank(), vl[1], vl[0], rl[1], rl[0])
	}
	t.Logf("rank %d of %d (synchronized BatchNormalization %v): %d weights bit-identical to rank 0's; val_loss %v",
		c.Rank(), c.Size(), synced, len(mine), h.Values["val_loss"])
}
