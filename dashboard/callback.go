package dashboard

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neurona/neurona/callbacks"
)

// HistogramBins is the number of bins of the weight and gradient
// histograms.
const HistogramBins = 30

// Callback fills a live Run as the model trains: each batch's loss and
// the progress of the epoch, each epoch's logs and learning rate, the
// per-layer learning speed and the histograms of the weights and their
// gradients. A batch costs a mutex and an append; the server turns the
// run into events on its own goroutine, so the training loop never waits
// for a client.
//
// It also answers forward-pass requests between batches, on the training
// goroutine, so that the weights are never read while a step writes them.
type Callback struct {
	callbacks.Base
	run     *Run
	speed   *callbacks.LearningSpeed
	own     bool // the callback drives speed itself
	forward func(ForwardRequest) (any, error)

	params callbacks.Params
	steps  int
	epoch  int
	reqs   chan fwdReq
	done   atomic.Bool
	fwdMu  sync.Mutex // serialises forward passes after training
}

type fwdReq struct {
	req   ForwardRequest
	reply chan fwdReply
}

type fwdReply struct {
	v   any
	err error
}

// NewCallback returns a callback that fills run. speed is the run's
// LearningSpeed callback when the run has one (it must come before this
// callback in Fit's list); with nil the callback keeps one of its own,
// which measures the gradient norms on every 8th batch.
// forward, when not nil, computes the forward pass of a request with the
// model's current weights; the callback calls it between batches, and the
// run's Forwarder sends requests to it.
func NewCallback(run *Run, speed *callbacks.LearningSpeed, forward func(ForwardRequest) (any, error), info ForwardInfo) *Callback {
	c := &Callback{run: run, speed: speed, forward: forward, reqs: make(chan fwdReq, 1)}
	if speed == nil {
		// Every 8th batch: a pass over every gradient each batch cost
		// neurona run deep 3% of its epoch.
		c.speed, c.own = &callbacks.LearningSpeed{Every: 8}, true
	}
	run.mu.Lock()
	run.state.Live = true
	run.mu.Unlock()
	if forward != nil {
		run.SetForwarder(c, info)
	}
	return c
}

// SetModel implements callbacks.Callback.
func (c *Callback) SetModel(m callbacks.Model) {
	c.Model = m
	if c.own {
		c.speed.SetModel(m)
	}
}

// SetParams implements callbacks.ParamsSetter.
func (c *Callback) SetParams(p callbacks.Params) {
	c.params = p
	switch {
	case p.Steps > 0:
		c.steps = p.Steps
	case p.BatchSize > 0:
		c.steps = (p.Samples + p.BatchSize - 1) / p.BatchSize
	}
}

// OnTrainBegin implements callbacks.Callback.
func (c *Callback) OnTrainBegin(logs callbacks.Logs) {
	if c.own {
		c.speed.OnTrainBegin(logs)
	}
}

// OnEpochBegin implements callbacks.Callback.
func (c *Callback) OnEpochBegin(epoch int, logs callbacks.Logs) {
	if c.own {
		c.speed.OnEpochBegin(epoch, logs)
	}
	c.epoch = epoch
	r := c.run
	r.mu.Lock()
	r.state.Progress = &Progress{Epoch: epoch, Epochs: c.params.Epochs, Steps: c.steps, LR: Number(c.Model.LearningRate())}
	r.mu.Unlock()
}

// OnBatchEnd implements callbacks.Callback.
func (c *Callback) OnBatchEnd(batch int, logs callbacks.Logs) {
	if c.own {
		c.speed.OnBatchEnd(batch, logs)
	}
	x := float64(c.epoch) + float64(batch+1)/float64(max(c.steps, batch+1))
	r := c.run
	r.mu.Lock()
	r.addBatchLocked(Point{Step: Number(x), Loss: Number(logs["loss"])})
	if p := r.state.Progress; p != nil {
		p.Batch = batch + 1
	}
	r.mu.Unlock()
	c.serve()
}

// serve answers a pending forward-pass request, if any.
func (c *Callback) serve() {
	select {
	case q := <-c.reqs:
		v, err := c.forward(q.req)
		q.reply <- fwdReply{v, err}
	default:
	}
}

// OnEpochEnd implements callbacks.Callback.
func (c *Callback) OnEpochEnd(epoch int, logs callbacks.Logs) {
	if c.own {
		c.speed.OnEpochEnd(epoch, logs)
	}
	hists := EpochHists{Epoch: epoch}
	for _, w := range c.Model.WeightTensors() {
		hists.Weights = append(hists.Weights, histogram(w.Name, "weight", w.Value.Data))
		if w.Grad != nil {
			hists.Weights = append(hists.Weights, histogram(w.Name, "gradient", w.Grad.Data))
		}
	}
	sp := &Speed{Layers: append([]string(nil), c.speed.Layers...)}
	for e := range c.speed.GradNorm {
		sp.GradNorm = append(sp.GradNorm, numbers(c.speed.GradNorm[e]))
		sp.WeightChange = append(sp.WeightChange, numbers(c.speed.WeightChange[e]))
	}
	r := c.run
	r.AddEpoch(epoch, c.params.Keys, logs, float64(c.Model.LearningRate()))
	r.mu.Lock()
	r.state.Hists = append(r.state.Hists, hists)
	r.state.Speed = sp
	r.mu.Unlock()
	c.serve()
}

// OnTrainEnd implements callbacks.Callback.
func (c *Callback) OnTrainEnd(logs callbacks.Logs) {
	c.Finish()
}

// Finish marks the run done: from then on forward passes are computed on
// the caller's goroutine. Fit calls it through OnTrainEnd; a run that
// stops with an error before Fit's end calls it too.
func (c *Callback) Finish() {
	c.fwdMu.Lock()
	defer c.fwdMu.Unlock()
	if c.done.Swap(true) {
		return
	}
	c.serve()
	r := c.run
	r.mu.Lock()
	r.state.Done = true
	r.mu.Unlock()
}

// Forward implements Forwarder: during training the request waits for
// the end of the current batch.
func (c *Callback) Forward(ctx context.Context, req ForwardRequest) (any, error) {
	if c.forward == nil {
		return nil, errors.New("this run has no forward pass")
	}
	if c.done.Load() {
		c.fwdMu.Lock()
		defer c.fwdMu.Unlock()
		return c.forward(req)
	}
	q := fwdReq{req: req, reply: make(chan fwdReply, 1)}
	select {
	case c.reqs <- q:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Training may end between the check and the send, leaving the
	// request queued: then take it back and answer it here.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case rep := <-q.reply:
			return rep.v, rep.err
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			if c.done.Load() {
				c.fwdMu.Lock()
				select {
				case p := <-c.reqs:
					v, err := c.forward(p.req)
					p.reply <- fwdReply{v, err}
				default:
				}
				c.fwdMu.Unlock()
			}
		}
	}
}

func numbers(v []float64) []Number {
	out := make([]Number, len(v))
	for i, x := range v {
		out[i] = Number(x)
	}
	return out
}

// histogram counts data over HistogramBins equal bins from its minimum
// to its maximum, ignoring values that are not finite.
func histogram(name, kind string, data []float32) Hist {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	h := Hist{Name: name, Kind: kind, Counts: make([]int, HistogramBins)}
	if lo > hi {
		return h
	}
	h.Min, h.Max = Number(lo), Number(hi)
	width := (hi - lo) / HistogramBins
	for _, v := range data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		i := HistogramBins - 1
		if width > 0 {
			i = min(int((f-lo)/width), HistogramBins-1)
		}
		h.Counts[i]++
	}
	return h
}

// Histogram returns the histogram of data over bins equal bins between
// lo and hi (values outside go to the end bins): the weight-init demo's
// activations.
func Histogram(name string, data []float32, lo, hi float64, bins int) Hist {
	h := Hist{Name: name, Kind: "activation", Min: Number(lo), Max: Number(hi), Counts: make([]int, bins)}
	for _, v := range data {
		i := int((float64(v) - lo) / (hi - lo) * float64(bins))
		h.Counts[min(max(i, 0), bins-1)]++
	}
	return h
}

// SetActivations adds an activation histogram to the run (at epoch -1),
// as the weight-init demo draws it.
func (r *Run) SetActivations(h Hist) {
	r.mu.Lock()
	r.state.Hists = append(r.state.Hists, EpochHists{Epoch: -1, Weights: []Hist{h}})
	r.mu.Unlock()
}
