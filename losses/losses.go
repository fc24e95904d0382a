// Package losses holds Keras's loss functions. Each computes, on the tape,
// the mean over the batch of a per-sample loss, so it can be differentiated.
package losses

import (
	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
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

// Fused is implemented by losses that can take the pre-activation output of
// a final softmax or sigmoid layer and compute the activation and the loss
// in one numerically stable op, as TensorFlow's Keras does when it sees a
// softmax output feeding a cross-entropy.
type Fused interface {
	Loss
	// FusedActivation is the activation the loss can absorb.
	FusedActivation() autograd.Activation
	// CallFused returns the loss for logits and the activation's output.
	CallFused(tp *autograd.Tape, yTrue, logits *autograd.Var) (loss *autograd.Var, probs *tensor.Tensor)
}

// Sparse is implemented by losses whose targets are class indices, one per
// sample, rather than one value per output.
type Sparse interface {
	Loss
	SparseTargets() bool
}

// epsilon is Keras's backend epsilon, used to clip probabilities.
const epsilon = 1e-7

// CategoricalCrossentropy is −Σ y·log p over classes, averaged over the
// batch, for one-hot (or probability) targets. Predictions are
// probabilities, clipped at 1e-7 as Keras does, unless FromLogits is set.
type CategoricalCrossentropy struct {
	FromLogits bool `json:"from_logits,omitempty"`
}

// Name implements Loss.
func (CategoricalCrossentropy) Name() string { return "categorical_crossentropy" }

// Call implements Loss.
func (l CategoricalCrossentropy) Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var {
	if l.FromLogits {
		loss, _ := tp.SoftmaxCrossEntropy(yPred, yTrue, false)
		return loss
	}
	return tp.CategoricalCrossEntropy(yPred, yTrue, epsilon, false)
}

// FusedActivation implements Fused.
func (l CategoricalCrossentropy) FusedActivation() autograd.Activation {
	if l.FromLogits {
		return autograd.Linear
	}
	return autograd.Softmax
}

// CallFused implements Fused.
func (CategoricalCrossentropy) CallFused(tp *autograd.Tape, yTrue, logits *autograd.Var) (*autograd.Var, *tensor.Tensor) {
	return tp.SoftmaxCrossEntropy(logits, yTrue, false)
}

// SparseCategoricalCrossentropy is CategoricalCrossentropy with integer
// class targets, one per sample.
type SparseCategoricalCrossentropy struct {
	FromLogits bool `json:"from_logits,omitempty"`
}

// Name implements Loss.
func (SparseCategoricalCrossentropy) Name() string { return "sparse_categorical_crossentropy" }

// SparseTargets implements Sparse.
func (SparseCategoricalCrossentropy) SparseTargets() bool { return true }

// Call implements Loss.
func (l SparseCategoricalCrossentropy) Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var {
	if l.FromLogits {
		loss, _ := tp.SoftmaxCrossEntropy(yPred, yTrue, true)
		return loss
	}
	return tp.CategoricalCrossEntropy(yPred, yTrue, epsilon, true)
}

// FusedActivation implements Fused.
func (l SparseCategoricalCrossentropy) FusedActivation() autograd.Activation {
	if l.FromLogits {
		return autograd.Linear
	}
	return autograd.Softmax
}

// CallFused implements Fused.
func (SparseCategoricalCrossentropy) CallFused(tp *autograd.Tape, yTrue, logits *autograd.Var) (*autograd.Var, *tensor.Tensor) {
	return tp.SoftmaxCrossEntropy(logits, yTrue, true)
}

// BinaryCrossentropy is −(y·log p + (1−y)·log(1−p)), averaged over outputs
// and batch, for 0/1 targets. Predictions are probabilities clipped at 1e-7,
// unless FromLogits is set.
type BinaryCrossentropy struct {
	FromLogits bool `json:"from_logits,omitempty"`
}

// Name implements Loss.
func (BinaryCrossentropy) Name() string { return "binary_crossentropy" }

// Call implements Loss.
func (l BinaryCrossentropy) Call(tp *autograd.Tape, yTrue, yPred *autograd.Var) *autograd.Var {
	if l.FromLogits {
		loss, _ := tp.SigmoidBinaryCrossEntropy(yPred, yTrue)
		return loss
	}
	return tp.BinaryCrossEntropy(yPred, yTrue, epsilon)
}

// FusedActivation implements Fused.
func (l BinaryCrossentropy) FusedActivation() autograd.Activation {
	if l.FromLogits {
		return autograd.Linear
	}
	return autograd.Sigmoid
}

// CallFused implements Fused.
func (BinaryCrossentropy) CallFused(tp *autograd.Tape, yTrue, logits *autograd.Var) (*autograd.Var, *tensor.Tensor) {
	return tp.SigmoidBinaryCrossEntropy(logits, yTrue)
}
