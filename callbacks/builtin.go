package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// mode is whether a monitored value should go down or up.
type mode int

const (
	modeMin mode = iota
	modeMax
)

// resolveMode applies Keras's "auto" rule: accuracy-like quantities are
// maximized, everything else minimized.
func resolveMode(m, monitor string) (mode, error) {
	switch strings.ToLower(m) {
	case "min":
		return modeMin, nil
	case "max":
		return modeMax, nil
	case "", "auto":
		if strings.Contains(monitor, "acc") || strings.HasSuffix(monitor, "auc") || strings.Contains(monitor, "precision") || strings.Contains(monitor, "recall") {
			return modeMax, nil
		}
		return modeMin, nil
	}
	return modeMin, fmt.Errorf("mode must be auto, min or max, got %q", m)
}

// improved reports whether current beats best by more than minDelta.
func (md mode) improved(current, best, minDelta float64) bool {
	if md == modeMax {
		return current-minDelta > best
	}
	return current+minDelta < best
}

func (md mode) worst() float64 {
	if md == modeMax {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// EarlyStopping stops training when a monitored quantity has stopped
// improving, as Keras's EarlyStopping.
type EarlyStopping struct {
	Base
	// Monitor defaults to "val_loss".
	Monitor string `json:"monitor,omitempty"`
	// MinDelta is the smallest change that counts as an improvement.
	MinDelta float64 `json:"min_delta,omitempty"`
	// Patience is the number of epochs without improvement to wait.
	Patience int `json:"patience,omitempty"`
	// Mode is "auto" (default), "min" or "max".
	Mode string `json:"mode,omitempty"`
	// Baseline, when set, must be beaten for training to go on.
	Baseline *float64 `json:"baseline,omitempty"`
	// RestoreBestWeights restores the weights of the best epoch when
	// training stops (or ends).
	RestoreBestWeights bool `json:"restore_best_weights,omitempty"`
	// Log receives the "Epoch N: early stopping" line; nil means none.
	Log io.Writer `json:"-"`

	// StoppedEpoch is the epoch (from 0) at which training was stopped, or
	// −1; BestEpoch is the epoch of the best value.
	StoppedEpoch int     `json:"-"`
	BestEpoch    int     `json:"-"`
	Best         float64 `json:"-"`

	md      mode
	wait    int
	weights [][]float32
	err     error
}

// OnTrainBegin implements Callback.
func (e *EarlyStopping) OnTrainBegin(Logs) {
	if e.Monitor == "" {
		e.Monitor = "val_loss"
	}
	e.err = nil
	md, err := resolveMode(e.Mode, e.Monitor)
	if err != nil {
		fail(e.Model, &e.err, fmt.Errorf("EarlyStopping: %w", err))
	}
	e.md = md
	e.wait, e.StoppedEpoch, e.BestEpoch = 0, -1, -1
	e.Best = e.md.worst()
	e.weights = nil
}

// Err implements Failer: it reports a configuration error found when
// training began.
func (e *EarlyStopping) Err() error { return e.err }

// OnEpochEnd implements Callback.
func (e *EarlyStopping) OnEpochEnd(epoch int, logs Logs) {
	current, ok := logs[e.Monitor]
	if !ok || e.err != nil {
		return
	}
	if e.RestoreBestWeights && e.weights == nil {
		e.weights = snapshot(e.Model)
	}
	e.wait++
	if e.md.improved(current, e.Best, math.Abs(e.MinDelta)) {
		e.Best, e.BestEpoch = current, epoch
		if e.RestoreBestWeights {
			copyInto(e.weights, e.Model)
		}
		if e.Baseline == nil || e.md.improved(current, *e.Baseline, math.Abs(e.MinDelta)) {
			e.wait = 0
			return
		}
	}
	if e.wait >= e.Patience && epoch > 0 {
		e.StoppedEpoch = epoch
		e.Model.StopTraining()
		if e.Log != nil {
			fmt.Fprintf(e.Log, "Epoch %d: early stopping\n", epoch+1)
		}
		if e.RestoreBestWeights && e.weights != nil {
			restore(e.Model, e.weights)
		}
	}
}

// snapshot copies every weight of the model.
func snapshot(m Model) [][]float32 {
	ws := m.WeightTensors()
	s := make([][]float32, len(ws))
	for i, w := range ws {
		s[i] = append([]float32(nil), w.Value.Data...)
	}
	return s
}

// copyInto refreshes a snapshot from the model without allocating.
func copyInto(s [][]float32, m Model) {
	for i, w := range m.WeightTensors() {
		copy(s[i], w.Value.Data)
	}
}

// restore writes a snapshot back into the model.
func restore(m Model, s [][]float32) {
	for i, w := range m.WeightTensors() {
		copy(w.Value.Data, s[i])
	}
}

// TerminateOnNaN stops training when a batch's loss is NaN or infinite,
// as Keras's TerminateOnNaN: Fit then returns the History so far without
// an error.
type TerminateOnNaN struct {
	Base
	// Log receives Keras's "Batch N: Invalid loss, terminating training"
	// line; nil means os.Stderr.
	Log io.Writer `json:"-"`
	// Terminated reports whether it stopped training.
	Terminated bool `json:"-"`
}

// OnBatchEnd implements Callback.
func (c *TerminateOnNaN) OnBatchEnd(batch int, logs Logs) {
	if l, ok := logs["loss"]; ok && (math.IsNaN(l) || math.IsInf(l, 0)) {
		w := c.Log
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "Batch %d: Invalid loss, terminating training\n", batch)
		c.Terminated = true
		c.Model.StopTraining()
	}
}

// ReduceLROnPlateau multiplies the learning rate by Factor when a
// monitored quantity has not improved for Patience epochs, as Keras's
// ReduceLROnPlateau. Zero fields mean Keras's defaults.
type ReduceLROnPlateau struct {
	Base
	Monitor  string  `json:"monitor,omitempty"`   // "val_loss"
	Factor   float64 `json:"factor,omitempty"`    // 0.1
	Patience int     `json:"patience,omitempty"`  // 10
	Mode     string  `json:"mode,omitempty"`      // "auto"
	MinDelta float64 `json:"min_delta,omitempty"` // 1e-4
	Cooldown int     `json:"cooldown,omitempty"`
	MinLR    float64 `json:"min_lr,omitempty"`
	// Log receives a line for each reduction; nil means none.
	Log io.Writer `json:"-"`

	md                mode
	best              float64
	wait, cooldownCtr int
	err               error
}

// OnTrainBegin implements Callback.
func (r *ReduceLROnPlateau) OnTrainBegin(Logs) {
	if r.Monitor == "" {
		r.Monitor = "val_loss"
	}
	if r.Factor == 0 {
		r.Factor = 0.1
	}
	if r.Patience == 0 {
		r.Patience = 10
	}
	if r.MinDelta == 0 {
		r.MinDelta = 1e-4
	}
	r.err = nil
	md, err := resolveMode(r.Mode, r.Monitor)
	if err == nil && !(r.Factor < 1 && r.Factor > 0) {
		err = fmt.Errorf("factor must be in (0, 1), got %v", r.Factor)
	}
	if err == nil && r.MinLR < 0 {
		err = fmt.Errorf("min_lr must be ≥ 0, got %v", r.MinLR)
	}
	if err != nil {
		fail(r.Model, &r.err, fmt.Errorf("ReduceLROnPlateau: %w", err))
	}
	r.md = md
	r.best, r.wait, r.cooldownCtr = r.md.worst(), 0, 0
}

// Err implements Failer: it reports a configuration error found when
// training began.
func (r *ReduceLROnPlateau) Err() error { return r.err }

// OnEpochEnd implements Callback.
func (r *ReduceLROnPlateau) OnEpochEnd(epoch int, logs Logs) {
	current, ok := logs[r.Monitor]
	if !ok || r.err != nil {
		return
	}
	if r.cooldownCtr > 0 {
		r.cooldownCtr--
		r.wait = 0
	}
	if r.md.improved(current, r.best, r.MinDelta) {
		r.best, r.wait = current, 0
		return
	}
	if r.cooldownCtr > 0 {
		return
	}
	r.wait++
	if r.wait >= r.Patience {
		old := float64(r.Model.LearningRate())
		if old > r.MinLR {
			lr := math.Max(old*r.Factor, r.MinLR)
			r.Model.SetLearningRate(float32(lr))
			if r.Log != nil {
				fmt.Fprintf(r.Log, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", epoch+1, lr)
			}
			r.cooldownCtr, r.wait = r.Cooldown, 0
		}
	}
}

// LearningRateScheduler sets the learning rate at the start of each epoch
// from Schedule(epoch, current rate), as Keras's LearningRateScheduler. A
// missing Schedule, or a rate that is negative, infinite or NaN, is an
// error (see Failer); the rate is then left as it was.
type LearningRateScheduler struct {
	Base
	Schedule func(epoch int, lr float32) float32 `json:"-"`

	err error
}

// OnTrainBegin implements Callback.
func (s *LearningRateScheduler) OnTrainBegin(Logs) {
	s.err = nil
	if s.Schedule == nil {
		fail(s.Model, &s.err, fmt.Errorf("LearningRateScheduler: no Schedule"))
	}
}

// Err implements Failer.
func (s *LearningRateScheduler) Err() error { return s.err }

// OnEpochBegin implements Callback.
func (s *LearningRateScheduler) OnEpochBegin(epoch int, logs Logs) {
	if s.Schedule == nil || s.err != nil {
		return
	}
	lr := s.Schedule(epoch, s.Model.LearningRate())
	if !(lr >= 0) || math.IsInf(float64(lr), 1) {
		fail(s.Model, &s.err, fmt.Errorf("LearningRateScheduler: epoch %d: the schedule returned the rate %v", epoch+1, lr))
		return
	}
	s.Model.SetLearningRate(lr)
}

// OnEpochEnd implements Callback: it logs the rate as "lr", as Keras does.
func (s *LearningRateScheduler) OnEpochEnd(_ int, logs Logs) {
	logs["lr"] = float64(s.Model.LearningRate())
}
