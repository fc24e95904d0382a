// Package metrics holds Keras's metrics: stateful accumulators that Fit and
// Evaluate update batch by batch and read at the end of an epoch.
package metrics

import (
	"github.com/neurona/neurona/tensor"
)

// Metric accumulates a quality measure over batches.
type Metric interface {
	// Name is the key under which the metric is logged ("mae"; the
	// validation value is logged as "val_" + Name).
	Name() string
	// Reset clears the accumulated state.
	Reset()
	// Update adds a batch of targets and predictions (same shapes, the
	// first dimension being the batch).
	Update(yTrue, yPred *tensor.Tensor)
	// Result returns the value over everything since Reset.
	Result() float64
}

// mean accumulates a per-sample value averaged over samples.
type mean struct {
	sum   float64
	count int
}

func (m *mean) Reset()          { m.sum, m.count = 0, 0 }
func (m *mean) Result() float64 { return m.sum / float64(max(m.count, 1)) }

// perSample adds Σ over samples of f averaged over each sample's values.
func (m *mean) perSample(yTrue, yPred *tensor.Tensor, f func(t, p float32) float64) {
	rows := yPred.Rows()
	n := yPred.RowSize()
	if n == 0 {
		return
	}
	for r := 0; r < rows; r++ {
		t, p := yTrue.Data[r*n:(r+1)*n], yPred.Data[r*n:(r+1)*n]
		var s float64
		for i := range p {
			s += f(t[i], p[i])
		}
		m.sum += s / float64(n)
	}
	m.count += rows
}

// MeanSquaredError is the mean of (y_true − y_pred)². Its zero value is
// named "mean_squared_error"; MSE returns one named "mse".
type MeanSquaredError struct {
	// Label overrides the logged name "mean_squared_error".
	Label string `json:"name,omitempty"`
	mean
}

// MSE returns a MeanSquaredError logged as "mse".
func MSE() *MeanSquaredError { return &MeanSquaredError{Label: "mse"} }

// Name implements Metric.
func (m *MeanSquaredError) Name() string { return nameOr(m.Label, "mean_squared_error") }

// Update implements Metric.
func (m *MeanSquaredError) Update(yTrue, yPred *tensor.Tensor) {
	m.perSample(yTrue, yPred, func(t, p float32) float64 { d := float64(t) - float64(p); return d * d })
}

// MeanAbsoluteError is the mean of |y_true − y_pred|. Its zero value is
// named "mean_absolute_error"; MAE returns one named "mae".
type MeanAbsoluteError struct {
	// Label overrides the logged name "mean_absolute_error".
	Label string `json:"name,omitempty"`
	mean
}

// MAE returns a MeanAbsoluteError logged as "mae".
func MAE() *MeanAbsoluteError { return &MeanAbsoluteError{Label: "mae"} }

// Name implements Metric.
func (m *MeanAbsoluteError) Name() string { return nameOr(m.Label, "mean_absolute_error") }

// Update implements Metric.
func (m *MeanAbsoluteError) Update(yTrue, yPred *tensor.Tensor) {
	m.perSample(yTrue, yPred, func(t, p float32) float64 {
		d := float64(t) - float64(p)
		if d < 0 {
			d = -d
		}
		return d
	})
}

func nameOr(label, def string) string {
	if label != "" {
		return label
	}
	return def
}
