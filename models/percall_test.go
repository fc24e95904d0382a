package models

import (
	"strings"
	"sync"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

// cartPoleNet is the book's DQN network (notebook A23): 4 inputs, two
// Dense 32 relu, Dense 2 linear, MSE and Adam(lr=0.001).
func cartPoleNet(t testing.TB) *Model {
	m := NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 4},
		&layers.Dense{Units: 32, Activation: activations.ReLU},
		&layers.Dense{Units: 2, Activation: activations.Linear},
	)
	m.Seed = 5
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{LR: 0.001}); err != nil {
		t.Fatal(err)
	}
	return m.Model
}

func TestPredictIntoMatchesPredict(t *testing.T) {
	m := cartPoleNet(t)
	rng := tensor.NewRNG(3)
	for _, n := range []int{1, 5, 32, 70} {
		x := tensor.New(n, 4)
		rng.Normal(x, 0, 1)
		want, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		dst := tensor.New(n, 2)
		if err := m.PredictInto(dst, x); err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if dst.Data[i] != want.Data[i] {
				t.Fatalf("%d rows: PredictInto[%d] = %v, Predict %v", n, i, dst.Data[i], want.Data[i])
			}
		}
	}
}

func TestPredictIntoErrors(t *testing.T) {
	m := cartPoleNet(t)
	x := tensor.New(2, 4)
	for _, c := range []struct {
		name   string
		dst, x *tensor.Tensor
		want   string
	}{
		{"dst rows", tensor.New(3, 2), x, "dst has shape (3, 2)"},
		{"dst units", tensor.New(2, 3), x, "dst has shape (2, 3)"},
		{"nil dst", nil, x, "dst is nil"},
		{"x width", tensor.New(2, 2), tensor.New(2, 5), "x has shape (2, 5)"},
		{"nil x", tensor.New(2, 2), nil, "x is missing"},
	} {
		err := m.PredictInto(c.dst, c.x)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "predict into: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestPerCallAllocatesNothing(t *testing.T) {
	m := cartPoleNet(t)
	x, y, dst := tensor.New(1, 4), tensor.New(1, 2), tensor.New(1, 2)
	copy(x.Data, []float32{0.01, -0.03, 0.02, 0.04})
	copy(y.Data, []float32{1, -1})
	if err := m.PredictInto(dst, x); err != nil { // warm-up
		t.Fatal(err)
	}
	if a := alloctest.PerRun(200, func() {
		if err := m.PredictInto(dst, x); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("PredictInto of one CartPole state allocates %v times per call, want 0", a)
	}
	if _, err := m.TrainOnBatch(x, y); err != nil { // warm-up
		t.Fatal(err)
	}
	if a := alloctest.PerRun(200, func() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("TrainOnBatch of one sample allocates %v times per call, want 0", a)
	}
	// Training changed the weights: PredictInto must see them.
	before := append([]float32(nil), dst.Data...)
	if err := m.PredictInto(dst, x); err != nil {
		t.Fatal(err)
	}
	if before[0] == dst.Data[0] && before[1] == dst.Data[1] {
		t.Errorf("PredictInto gives %v before and after 201 training steps", dst.Data)
	}
}

// TestPredictIntoConcurrent runs PredictInto from several goroutines (run
// with -race) and expects every answer to be the single-goroutine one.
func TestPredictIntoConcurrent(t *testing.T) {
	m := cartPoleNet(t)
	x := tensor.New(3, 4)
	tensor.NewRNG(9).Normal(x, 0, 1)
	want := tensor.New(3, 2)
	if err := m.PredictInto(want, x); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := tensor.New(3, 2)
			for i := 0; i < 200; i++ {
				if err := m.PredictInto(dst, x); err != nil {
					errs <- err.Error()
					return
				}
				for k := range dst.Data {
					if dst.Data[k] != want.Data[k] {
						errs <- "concurrent PredictInto differs from the single call"
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestPredictIntoDuringTrainingFails(t *testing.T) {
	m := cartPoleNet(t)
	if err := m.begin("test training", true); err != nil {
		t.Fatal(err)
	}
	err := m.PredictInto(tensor.New(1, 2), tensor.New(1, 4))
	m.end(true)
	if err == nil {
		t.Error("PredictInto while the model trains: no error")
	}
}

// BenchmarkPredictIntoCartPole is one predict of one CartPole state on
// the book's 4-32-32-2 DQN network.
func BenchmarkPredictIntoCartPole(b *testing.B) {
	m := cartPoleNet(b)
	x, dst := tensor.New(1, 4), tensor.New(1, 2)
	copy(x.Data, []float32{0.01, -0.03, 0.02, 0.04})
	if err := m.PredictInto(dst, x); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := m.PredictInto(dst, x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredictCartPole is the same through Predict, which allocates
// its result.
func BenchmarkPredictCartPole(b *testing.B) {
	m := cartPoleNet(b)
	x := tensor.New(1, 4)
	copy(x.Data, []float32{0.01, -0.03, 0.02, 0.04})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Predict(x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainOnBatchCartPole is one single-sample fit, as the DQN's
// replay makes 32 of after each episode.
func BenchmarkTrainOnBatchCartPole(b *testing.B) {
	m := cartPoleNet(b)
	x, y := tensor.New(1, 4), tensor.New(1, 2)
	copy(x.Data, []float32{0.01, -0.03, 0.02, 0.04})
	copy(y.Data, []float32{1, -1})
	if _, err := m.TrainOnBatch(x, y); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
