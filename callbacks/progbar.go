package callbacks

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/neurona/neurona/internal/kerasfmt"
)

// Params describes a training run to callbacks that implement
// ParamsSetter, as Keras's callback params do.
type Params struct {
	Epochs, Samples, ValidationSamples, BatchSize int
	// Steps, when positive, is the number of batches per epoch of a
	// training on a dataset (Keras's fit_generator): the progress bar then
	// counts batches, and Samples and BatchSize are unset.
	Steps int
	// Keys lists the logged names in order: loss, the metrics, then the
	// validation ones.
	Keys []string
}

// ParamsSetter is implemented by callbacks that need the run's Params;
// Fit calls SetParams before OnTrainBegin.
type ParamsSetter interface {
	SetParams(p Params)
}

// ProgbarLogger prints Keras's per-epoch progress: "Epoch 1/32", then a
// progress bar redrawn in place on a terminal (verbose 1), or only each
// epoch's final line elsewhere, or one summary line per epoch (verbose 2).
// Fit adds one when FitConfig.Verbose is 1 or 2.
type ProgbarLogger struct {
	Base
	// Verbose is 1 (progress bar) or 2 (one line per epoch).
	Verbose int `json:"verbose,omitempty"`
	// Output defaults to os.Stdout.
	Output io.Writer `json:"-"`

	params Params
	bar    *kerasfmt.Progbar
	values []kerasfmt.LogValue
	epoch  int
	err    error
}

// SetParams implements ParamsSetter.
func (p *ProgbarLogger) SetParams(ps Params) { p.params = ps }

// Err implements Failer: it returns the first write error.
func (p *ProgbarLogger) Err() error { return p.err }

// OnTrainBegin implements Callback.
func (p *ProgbarLogger) OnTrainBegin(Logs) {
	if p.Output == nil {
		p.Output = os.Stdout
	}
	interactive := false
	if f, ok := p.Output.(*os.File); ok {
		interactive = term.IsTerminal(int(f.Fd()))
	}
	p.values = make([]kerasfmt.LogValue, len(p.params.Keys))
	for i, k := range p.params.Keys {
		p.values[i].Name = k
	}
	p.err = nil
	p.bar = kerasfmt.NewProgbar(p.Output, p.total(), p.Verbose, interactive, time.Now())
	if p.params.ValidationSamples > 0 {
		p.write(fmt.Fprintf(p.Output, "Train on %d samples, validate on %d samples\n", p.params.Samples, p.params.ValidationSamples))
	}
}

func (p *ProgbarLogger) write(_ int, err error) { fail(p.Model, &p.err, err) }

// OnEpochBegin implements Callback.
func (p *ProgbarLogger) OnEpochBegin(epoch int, _ Logs) {
	p.epoch = epoch
	p.write(0, kerasfmt.WriteEpochHeader(p.Output, epoch+1, p.params.Epochs))
	p.bar.Reset(p.total(), time.Now())
}

// total is the progress bar's target: samples, or batches (Steps).
func (p *ProgbarLogger) total() int {
	if p.params.Steps > 0 {
		return p.params.Steps
	}
	return p.params.Samples
}

// OnBatchEnd implements Callback. The last batch is drawn by OnEpochEnd,
// with the validation values, as Keras does.
func (p *ProgbarLogger) OnBatchEnd(batch int, logs Logs) {
	seen := (batch + 1) * p.params.BatchSize
	if p.params.Steps > 0 {
		seen = batch + 1
	}
	if seen >= p.total() {
		return
	}
	n := p.fill(logs, false)
	p.bar.Update(seen, p.values[:n], time.Now())
	p.write(0, p.bar.Err())
}

// fill copies the logged values in key order and returns how many it set;
// validation keys only when withVal.
func (p *ProgbarLogger) fill(logs Logs, withVal bool) int {
	n := 0
	for _, k := range p.params.Keys {
		v, ok := logs[k]
		if !ok || (!withVal && len(k) > 4 && k[:4] == "val_") {
			continue
		}
		p.values[n] = kerasfmt.LogValue{Name: k, Value: v}
		n++
	}
	return n
}

// OnEpochEnd implements Callback.
func (p *ProgbarLogger) OnEpochEnd(_ int, logs Logs) {
	n := p.fill(logs, true)
	p.write(0, p.bar.Finish(p.values[:n], time.Now()))
}
