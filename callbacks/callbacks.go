// Package callbacks defines the hooks that training calls at its begin and
// end, at each epoch and at each batch, as Keras's callbacks do.
//
// It sees the model only through the small Model interface defined here, so
// models import callbacks and never the reverse.
package callbacks

import "github.com/neurona/neurona/tensor"

// Logs holds the values of one event: "loss", the metrics, and at the end of
// an epoch "val_loss" and the validation metrics. Fit reuses one Logs, so a
// callback that keeps values must copy them.
type Logs map[string]float64

// Model is what a callback may see and change of the model being trained.
type Model interface {
	// StopTraining asks Fit to stop after the current batch.
	StopTraining()
	// LearningRate returns the optimizer's learning rate.
	LearningRate() float32
	// SetLearningRate changes the optimizer's learning rate.
	SetLearningRate(lr float32)
	// WeightTensors returns the model's weights, live: writing into a
	// Value changes the model.
	WeightTensors() []Weight
	// Save writes the whole model (architecture, weights, optimizer and
	// training state) to path, atomically.
	Save(path string) error
	// SaveWeights writes only the weights to path, atomically.
	SaveWeights(path string) error
}

// Weight is one weight tensor of a model, with its gradient from the last
// batch (nil for non-trainable weights).
type Weight struct {
	// Layer is the layer's name, Name the weight's ("dense_1/kernel").
	Layer, Name string
	Value, Grad *tensor.Tensor
	Trainable   bool
}

// Callback receives training events. Epochs and batches count from 0, as in
// Keras. Embed Base to implement only the events you need.
type Callback interface {
	SetModel(m Model)
	OnTrainBegin(logs Logs)
	OnTrainEnd(logs Logs)
	OnEpochBegin(epoch int, logs Logs)
	OnEpochEnd(epoch int, logs Logs)
	OnBatchBegin(batch int, logs Logs)
	OnBatchEnd(batch int, logs Logs)
}

// Base implements every Callback method as a no-op and keeps the model.
type Base struct {
	Model Model `json:"-"`
}

// SetModel implements Callback.
func (b *Base) SetModel(m Model) { b.Model = m }

// OnTrainBegin implements Callback.
func (*Base) OnTrainBegin(Logs) {}

// OnTrainEnd implements Callback.
func (*Base) OnTrainEnd(Logs) {}

// OnEpochBegin implements Callback.
func (*Base) OnEpochBegin(int, Logs) {}

// OnEpochEnd implements Callback.
func (*Base) OnEpochEnd(int, Logs) {}

// OnBatchBegin implements Callback.
func (*Base) OnBatchBegin(int, Logs) {}

// OnBatchEnd implements Callback.
func (*Base) OnBatchEnd(int, Logs) {}

// Func calls its fields, where set, on the matching events: a quick
// callback without a type of its own (Keras's LambdaCallback).
type Func struct {
	Base
	EpochEnd func(epoch int, logs Logs)
	BatchEnd func(batch int, logs Logs)
}

// OnEpochEnd implements Callback.
func (f *Func) OnEpochEnd(epoch int, logs Logs) {
	if f.EpochEnd != nil {
		f.EpochEnd(epoch, logs)
	}
}

// OnBatchEnd implements Callback.
func (f *Func) OnBatchEnd(batch int, logs Logs) {
	if f.BatchEnd != nil {
		f.BatchEnd(batch, logs)
	}
}

// Failer is implemented by callbacks that can fail: with a configuration
// that makes no sense (found at OnTrainBegin: a bad monitor mode), or an
// action that failed (a checkpoint, log or event file not written).
//
// The contract with Fit: a callback that fails records its first error,
// returns it from Err from then on, asks the model to stop training
// (StopTraining) and does nothing more. Fit checks every Failer after
// OnTrainBegin, after each batch's and each epoch's callbacks and after
// OnTrainEnd, and returns the first error FirstErr reports, with the
// History so far. Every builtin callback that can fail implements Failer:
// EarlyStopping, ReduceLROnPlateau, LearningRateScheduler,
// ModelCheckpoint, CSVLogger, TensorBoard and ProgbarLogger.
type Failer interface {
	// Err returns the first error the callback met, or nil.
	Err() error
}

// FirstErr returns the first non-nil Err of the callbacks that implement
// Failer, in order, or nil.
func FirstErr(cbs ...Callback) error {
	for _, cb := range cbs {
		if f, ok := cb.(Failer); ok {
			if err := f.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// fail records err in *dst unless an error is there already, and asks m
// (if set) to stop training. It reports whether err was non-nil.
func fail(m Model, dst *error, err error) bool {
	if err == nil {
		return false
	}
	if *dst == nil {
		*dst = err
	}
	if m != nil {
		m.StopTraining()
	}
	return true
}
