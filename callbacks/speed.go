package callbacks

import (
	"math"

	"github.com/neurona/neurona/internal/cpu"
)

// LearningSpeed records, for each epoch and each layer with trainable
// weights, how fast the layer learns: the L2 norm of the change of its
// weights over the epoch, and the mean over the epoch's batches of the L2
// norm of its gradient. It is the measurement behind the book's finding
// that layers far from the output learn more slowly (the vanishing
// gradient).
type LearningSpeed struct {
	Base
	// Every, when above 1, measures the gradient norm on every Every-th
	// batch of an epoch only (the first, then Every later, ...): the mean
	// over those batches estimates the epoch's mean at 1/Every of the
	// cost, a pass over every gradient. The dashboard's own LearningSpeed
	// uses 8. 0 and 1 measure every batch.
	Every int
	// Layers lists the layers in model order.
	Layers []string `json:"-"`
	// WeightChange[e][l] is the L2 norm of layer l's weight change in epoch e.
	WeightChange [][]float64 `json:"-"`
	// GradNorm[e][l] is the mean L2 norm of layer l's gradient in epoch e.
	GradNorm [][]float64 `json:"-"`

	start   [][]float32
	gradSum []float64
	batches int // measured this epoch
	seen    int // batches this epoch
}

// OnTrainBegin implements Callback.
func (s *LearningSpeed) OnTrainBegin(Logs) {
	s.Layers = s.Layers[:0]
	for _, w := range s.Model.WeightTensors() {
		if w.Trainable && (len(s.Layers) == 0 || s.Layers[len(s.Layers)-1] != w.Layer) {
			s.Layers = append(s.Layers, w.Layer)
		}
	}
	s.gradSum = make([]float64, len(s.Layers))
}

// each calls f for every trainable weight with its layer's index in Layers.
func (s *LearningSpeed) each(f func(layer int, w Weight)) {
	l := -1
	last := ""
	for _, w := range s.Model.WeightTensors() {
		if !w.Trainable {
			continue
		}
		if w.Layer != last {
			l++
			last = w.Layer
		}
		f(l, w)
	}
}

// OnEpochBegin implements Callback.
func (s *LearningSpeed) OnEpochBegin(int, Logs) {
	if s.start == nil {
		s.each(func(_ int, w Weight) { s.start = append(s.start, make([]float32, len(w.Value.Data))) })
	}
	i := 0
	s.each(func(_ int, w Weight) { copy(s.start[i], w.Value.Data); i++ })
	clear(s.gradSum)
	s.batches, s.seen = 0, 0
}

// OnBatchEnd implements Callback.
func (s *LearningSpeed) OnBatchEnd(int, Logs) {
	s.seen++
	if s.Every > 1 && (s.seen-1)%s.Every != 0 {
		return
	}
	var acc [64]float64
	sums := acc[:0]
	if len(s.Layers) > len(acc) {
		sums = make([]float64, 0, len(s.Layers))
	}
	sums = sums[:len(s.Layers)]
	s.each(func(l int, w Weight) {
		if w.Grad != nil {
			sums[l] += cpu.SumSquares(w.Grad.Data)
		}
	})
	for l, v := range sums {
		s.gradSum[l] += math.Sqrt(v)
	}
	s.batches++
}

// OnEpochEnd implements Callback.
func (s *LearningSpeed) OnEpochEnd(int, Logs) {
	change := make([]float64, len(s.Layers))
	i := 0
	s.each(func(l int, w Weight) {
		for j, v := range w.Value.Data {
			d := float64(v) - float64(s.start[i][j])
			change[l] += d * d
		}
		i++
	})
	grad := make([]float64, len(s.Layers))
	for l := range change {
		change[l] = math.Sqrt(change[l])
		grad[l] = s.gradSum[l] / float64(max(s.batches, 1))
	}
	s.WeightChange = append(s.WeightChange, change)
	s.GradNorm = append(s.GradNorm, grad)
}
