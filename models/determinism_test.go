package models_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
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

// TestMain lets TestHistoryIdenticalAcrossGOMAXPROCS run a training in a
// child process with a different GOMAXPROCS (the worker pool is sized once
// per process).
func TestMain(m *testing.M) {
	if p := os.Getenv("NEURONA_SAVE_CHILD"); p != "" {
		saveForever(p)
	}
	if os.Getenv("NEURONA_HISTORY_CHILD") == "1" {
		fmt.Print(historyBits())
		os.Exit(0)
	}
	if os.Getenv("NEURONA_HISTORY_CHILD") == "rnn" {
		fmt.Print(recurrentHistoryBits())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// historyBits trains the book's deep MNIST architecture on synthetic data
// large enough for the kernels to split work across workers, and returns
// the History's values as exact bit patterns.
func historyBits() string {
	rng := tensor.NewRNG(5)
	x := tensor.New(1024, 784)
	rng.Uniform(x, 0, 1)
	labels := tensor.New(1024)
	for i := range labels.Data {
		labels.Data[i] = float32(rng.Intn(10))
	}
	y, err := preprocessing.ToCategorical(labels, 10)
	if err != nil {
		panic(err)
	}
	m := models.NewSequential(
		&layers.Dense{Units: 64, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{784}}},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 64, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 10, Activation: activations.Softmax},
	)
	m.Seed = 9
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		panic(err)
	}
	h, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 128, Epochs: 2, Seed: 9, ValidationSplit: 0.25})
	if err != nil {
		panic(err)
	}
	return exactHistory(h)
}

// exactHistory writes h's values as exact bit patterns, a line each.
func exactHistory(h *models.History) string {
	var b strings.Builder
	for _, k := range h.Keys {
		for _, v := range h.Values[k] {
			fmt.Fprintf(&b, "%s %016x\n", k, math.Float64bits(v))
		}
	}
	return b.String()
}

// recurrentHistoryBits trains an LSTM and a GRU over embedded tokens
// (the gate work of each step is split over the workers by sample) and
// returns the History's values as exact bit patterns.
func recurrentHistoryBits() string {
	rng := tensor.NewRNG(6)
	x := tensor.New(256, 20)
	y := tensor.New(256, 1)
	for i := range x.Data {
		x.Data[i] = float32(rng.Intn(50))
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.Intn(2))
	}
	m := models.NewSequential(
		&layers.Embedding{InputDim: 50, OutputDim: 16, InputLength: 20},
		&layers.LSTM{Units: 48, Dropout: 0.2, ReturnSequences: true},
		&layers.GRU{Units: 40, Dropout: 0.2},
		&layers.Dense{Units: 1, Activation: activations.Sigmoid},
	)
	m.Seed = 4
	if err := m.Compile(losses.BinaryCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
		panic(err)
	}
	h, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 64, Epochs: 2, Seed: 4, ValidationSplit: 0.25})
	if err != nil {
		panic(err)
	}
	return exactHistory(h)
}

func TestHistoryIdenticalAcrossGOMAXPROCS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three trainings")
	}
	for _, c := range []struct {
		child string
		bits  func() string
	}{{"1", historyBits}, {"rnn", recurrentHistoryBits}} {
		t.Run(c.child, func(t *testing.T) { identicalAcrossGOMAXPROCS(t, c.child, c.bits()) })
	}
}

func identicalAcrossGOMAXPROCS(t *testing.T, child, want string) {
	if strings.Count(want, "\n") != 8 {
		t.Fatalf("unexpected history:\n%s", want)
	}
	for _, procs := range []string{"1", "2", "3"} {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run", "^$")
		cmd.Env = append(os.Environ(), "NEURONA_HISTORY_CHILD="+child, "GOMAXPROCS="+procs)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v", procs, err)
		}
		if string(out) != want {
			t.Errorf("GOMAXPROCS=%s gives a different history:\n%s\nwant:\n%s", procs, out, want)
		}
	}
}
