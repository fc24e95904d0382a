package callbacks

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// speedModel is a model of two layers whose weights and gradients the
// test writes.
type speedModel struct{ ws []Weight }

func (m *speedModel) StopTraining()            {}
func (m *speedModel) LearningRate() float32    { return 0.1 }
func (m *speedModel) SetLearningRate(float32)  {}
func (m *speedModel) WeightTensors() []Weight  { return m.ws }
func (m *speedModel) Save(string) error        { return nil }
func (m *speedModel) SaveWeights(string) error { return nil }

// layerOf is w's index in the test model's LearningSpeed.Layers.
func layerOf(w Weight) int {
	if w.Layer == "dense_2" {
		return 1
	}
	return 0
}

// LearningSpeed against a float64 reference: the mean of each layer's
// gradient norm over the measured batches, and the norm of each layer's
// weight change over the epoch; with Every 3 only batches 0, 3, 6 count.
func TestLearningSpeedMatchesReference(t *testing.T) {
	for _, every := range []int{0, 3} {
		rng := rand.New(rand.NewPCG(1, uint64(every)))
		m := &speedModel{}
		for _, w := range []struct {
			layer, name string
			n           int
			train       bool
		}{{"dense_1", "dense_1/kernel", 70, true}, {"dense_1", "dense_1/bias", 5, true}, {"bn", "bn/moving_mean", 5, false}, {"dense_2", "dense_2/kernel", 33, true}} {
			v := tensor.New(w.n)
			var g *tensor.Tensor
			if w.train {
				g = tensor.New(w.n)
			}
			m.ws = append(m.ws, Weight{Layer: w.layer, Name: w.name, Value: v, Grad: g, Trainable: w.train})
		}
		s := &LearningSpeed{Every: every}
		s.SetModel(m)
		s.OnTrainBegin(nil)
		if len(s.Layers) != 2 || s.Layers[0] != "dense_1" || s.Layers[1] != "dense_2" {
			t.Fatalf("layers %q", s.Layers)
		}
		const batches = 8
		for epoch := range 2 {
			start := map[string][]float64{}
			for _, w := range m.ws {
				for i := range w.Value.Data {
					w.Value.Data[i] = float32(rng.NormFloat64())
				}
				for _, v := range w.Value.Data {
					start[w.Name] = append(start[w.Name], float64(v))
				}
			}
			s.OnEpochBegin(epoch, nil)
			var gradSum [2]float64
			measured := 0
			for b := range batches {
				var sq [2]float64
				for _, w := range m.ws {
					if !w.Trainable {
						continue
					}
					l := layerOf(w)
					for i := range w.Grad.Data {
						g := float32(rng.NormFloat64() * math.Pow(10, float64(l)))
						w.Grad.Data[i] = g
						sq[l] += float64(g) * float64(g)
					}
					for i := range w.Value.Data {
						w.Value.Data[i] += float32(0.01 * rng.NormFloat64())
					}
				}
				if every <= 1 || b%every == 0 {
					measured++
					gradSum[0] += math.Sqrt(sq[0])
					gradSum[1] += math.Sqrt(sq[1])
				}
				s.OnBatchEnd(b, nil)
			}
			s.OnEpochEnd(epoch, nil)
			var change [2]float64
			for _, w := range m.ws {
				if !w.Trainable {
					continue
				}
				l := layerOf(w)
				for i, v := range w.Value.Data {
					d := float64(v) - start[w.Name][i]
					change[l] += d * d
				}
			}
			for l := range 2 {
				want := gradSum[l] / float64(measured)
				if got := s.GradNorm[epoch][l]; math.Abs(got-want) > 1e-12*want {
					t.Errorf("every %d, epoch %d, layer %d: gradient norm %v, want %v", every, epoch, l, got, want)
				}
				if got, want := s.WeightChange[epoch][l], math.Sqrt(change[l]); math.Abs(got-want) > 1e-12*want {
					t.Errorf("every %d, epoch %d, layer %d: weight change %v, want %v", every, epoch, l, got, want)
				}
			}
		}
	}
}
