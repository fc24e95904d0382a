// Package losses holds Keras's loss functions. Each computes, on the tape,
// the mean over the batch of a per-sample loss, so it can be differentiated.
package losses

import (
	"github.com/neurona/neurona/autograd"
)

// Loss is a differentiable loss function.
type Loss interface {
	// Name returns the Keras name, such as "mean_squared_error".
	Name() string
	// Call returns the scalar loss of predictions yPred against targets
	// yTrue (same shapes), averaged over the batch.
	Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var
}

// MeanSquaredError is mean((y_true − y_pred)²): Keras's "mse".
type MeanSquaredError struct{}

// Name implements Loss.
func (MeanSquaredError) Name() string { return "mean_squared_error" }

// Call implements Loss. Averaging every element equals Keras's mean over
// the last axis followed by the mean over the batch.
func (MeanSquaredError) Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var {
	d := tp.Sub(yPred, yTrue)
	return tp.Mean(tp.Mul(d, d))
}

// MeanAbsoluteError is mean(|y_true − y_pred|): Keras's "mae".
type MeanAbsoluteError struct{}

// Name implements Loss.
func (MeanAbsoluteError) Name() string { return "mean_absolute_error" }

// Call implements Loss.
func (MeanAbsoluteError) Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var {
	return tp.Mean(tp.Abs(tp.Sub(yPred, yTrue)))
}
