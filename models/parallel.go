package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/tensor"
)

// bucketFloats is the size of a bucket of gradients: the weights are
// grouped, from the last layer back (the order in which the backward pass
// finishes them), into buckets of at most this many floats (a larger
// weight has a bucket of its own), each all-reduced as soon as its last
// gradient is final.
const bucketFloats = 1 << 14

// CommStats is what data-parallel Fit measured of its communication.
type CommStats struct {
	// Steps is the number of gradient steps.
	Steps int
	// Step is the time of the steps (forward, backward, reduction and
	// update), summed.
	Step time.Duration
	// Reduce is the time spent inside the gradient all-reduces, summed
	// (on the goroutine that runs them, overlapping the backward pass).
	Reduce time.Duration
	// Exposed is the time steps waited for the reductions after their
	// backward pass had finished: the communication not hidden.
	Exposed time.Duration
	// Buckets is the number of gradient buckets per step.
	Buckets int
	// BatchNorm is the time spent inside the all-reduces of synchronized
	// BatchNormalization (two in each forward pass, one in each backward
	// pass, per layer), summed. The step waits for each.
	BatchNorm time.Duration
}

// CommStats returns the communication statistics of the model's last
// data-parallel Fit (zero after a single-process one).
func (m *Model) CommStats() CommStats { return m.comm }

// dataParallel is Fit's side of a distributed.Collective: the gradient
// buckets, the goroutine that reduces them while the backward pass runs,
// and the bookkeeping that keeps every rank's view of the run identical.
type dataParallel struct {
	c          distributed.Collective
	rank, size int
	params     []*autograd.Var
	watch      *autograd.GradWatch
	bucketOf   []int   // weight → bucket
	buckets    [][]int // the weights of each bucket
	flat       [][]float32
	sizes      []int // weights per bucket
	pending    []int // per step: weights of each bucket not final yet
	isReady    []bool
	ready      chan event
	synced     chan struct{}
	done       chan error
	notify     func(k int)
	scale      float32 // this rank's share of the global batch
	loss       float32 // this rank's batch loss × scale, reduced with the last bucket
	globalLoss float64
	reduceNs   int64
	syncNs     int64
	split      autograd.BatchSplit // this rank's part of the step's global batch
	small      []float32           // scratch for the per-epoch reductions
}

// An event is what the reducing goroutine is told: gradient bucket b is
// final, or (b < 0) a synchronized BatchNormalization asks for buf to be
// summed over the ranks now. Both come from the goroutine that runs the
// step, in an order every rank shares, so every rank issues the same
// collectives in the same order.
type event struct {
	b   int
	buf []float32
}

// newDataParallel prepares data-parallel training over c for the model's
// trainable weights; syncAll synchronizes every BatchNormalization.
func (m *Model) newDataParallel(c distributed.Collective, syncAll bool) *dataParallel {
	dp := &dataParallel{c: c, rank: c.Rank(), size: c.Size(), params: m.params}
	dp.split.Sync, dp.split.SyncAll = dp, syncAll
	dp.watch = autograd.NewGradWatch(m.params)
	dp.bucketOf = make([]int, len(m.params))
	var cur []int
	floats := 0
	closeBucket := func() {
		dp.buckets = append(dp.buckets, cur)
		dp.flat = append(dp.flat, make([]float32, floats))
		cur, floats = nil, 0
	}
	for k := len(m.params) - 1; k >= 0; k-- {
		sz := m.params[k].Grad.Size()
		if len(cur) > 0 && floats+sz > bucketFloats {
			closeBucket()
		}
		cur = append(cur, k)
		floats += sz
	}
	if len(cur) > 0 {
		closeBucket()
	}
	if len(dp.buckets) == 0 { // no trainable weights: the loss alone
		dp.buckets = [][]int{nil}
		dp.flat = [][]float32{nil}
	}
	last := len(dp.flat) - 1
	dp.flat[last] = append(dp.flat[last], 0) // the batch loss rides with the last bucket
	for b, ks := range dp.buckets {
		for _, k := range ks {
			dp.bucketOf[k] = b
		}
		dp.sizes = append(dp.sizes, len(ks))
	}
	dp.pending = make([]int, len(dp.buckets))
	dp.isReady = make([]bool, len(dp.buckets))
	dp.ready = make(chan event, len(dp.buckets))
	dp.synced = make(chan struct{})
	dp.done = make(chan error, 1)
	dp.notify = dp.paramDone
	go dp.loop()
	return dp
}

func (dp *dataParallel) close() { close(dp.ready) }

// paramDone is BackwardNotify's callback: weight k's gradient is final.
func (dp *dataParallel) paramDone(k int) {
	b := dp.bucketOf[k]
	dp.pending[b]--
	if dp.pending[b] == 0 {
		dp.ready <- event{b: b}
	}
}

// AllReduceSum implements autograd.BatchSync for synchronized
// BatchNormalization: it sums buf over the ranks through the reducing
// goroutine, in order with the gradient buckets, and waits. An error is
// reported with the step's.
func (dp *dataParallel) AllReduceSum(buf []float32) {
	dp.ready <- event{b: -1, buf: buf}
	<-dp.synced
}

// loop reduces the buckets of each step in their fixed order (every rank
// issues the same all-reduces in the same order), each once it is ready.
func (dp *dataParallel) loop() {
	var err error
	next := 0
	for ev := range dp.ready {
		if ev.b < 0 {
			if err == nil {
				t0 := time.Now()
				if e := dp.c.AllReduceSum(ev.buf); e != nil {
					err = fmt.Errorf("all-reduce of synchronized BatchNormalization statistics: %w", e)
				}
				dp.syncNs += int64(time.Since(t0))
			}
			dp.synced <- struct{}{}
			continue
		}
		b := ev.b
		dp.isReady[b] = true
		for next < len(dp.buckets) && dp.isReady[next] {
			if err == nil {
				err = dp.reduce(next)
			}
			next++
		}
		if next == len(dp.buckets) {
			clear(dp.isReady)
			next = 0
			dp.done <- err
			err = nil
		}
	}
}

// reduce averages bucket b over the ranks: each rank's gradient is
// weighted by its share of the global batch, so the result is the
// gradient of the global batch's mean loss.
func (dp *dataParallel) reduce(b int) error {
	t0 := time.Now()
	buf := dp.flat[b]
	o := 0
	s := dp.scale
	for _, k := range dp.buckets[b] {
		g := dp.params[k].Grad.Data
		dst := buf[o : o+len(g)]
		for i, v := range g {
			dst[i] = v * s
		}
		o += len(g)
	}
	last := b == len(dp.buckets)-1
	if last {
		buf[o] = dp.loss
	}
	if err := dp.c.AllReduceSum(buf); err != nil {
		return fmt.Errorf("all-reduce of gradient bucket %d: %w", b+1, err)
	}
	o = 0
	for _, k := range dp.buckets[b] {
		g := dp.params[k].Grad.Data
		o += copy(g, buf[o:o+len(g)])
	}
	if last {
		dp.globalLoss = float64(buf[o])
	}
	dp.reduceNs += int64(time.Since(t0))
	return nil
}

// trainStepDP is trainStep on this rank's local rows of a global batch,
// which has before rows ahead of them and after rows behind: the
// gradients are averaged over the ranks, bucket by bucket while the
// backward pass runs, before the optimizer applies them. A rank with no
// rows (local 0) runs the one stand-in row of xs, ys with weight 0, so
// that it takes part in every collective and random draw of the step. It
// returns the global batch's loss (the same on every rank).
func (m *Model) trainStepDP(dp *dataParallel, xs, ys []*tensor.Tensor, afterFirst func(), lossParts []float64, before, local, after int) (float64, time.Duration, error) {
	m.detachFrozen()
	defer m.attachFrozen()
	e := m.trainExec()
	tp := e.tape
	tp.Reset()
	tp.SetNoGrad(false)
	for _, p := range m.params {
		p.ZeroGrad()
	}
	global := before + local + after
	dp.scale = float32(local) / float32(global)
	dp.split.Before, dp.split.Rows, dp.split.After, dp.split.Empty = before, local, after, false
	if local == 0 { // a final batch smaller than the world: a stand-in row
		dp.split.Before, dp.split.Rows, dp.split.After, dp.split.Empty = global-1, 1, 0, true
	}
	tp.SetBatchSplit(&dp.split)
	defer tp.SetBatchSplit(nil)
	copy(dp.pending, dp.sizes)
	e.call.Tape, e.call.Training = tp, true
	loss := m.forward(e, xs, ys, afterFirst, lossParts)
	dp.loss = loss.Value.Data[0] * dp.scale
	if local == 0 {
		dp.loss = 0 // even when the stand-in's loss is not finite
	}
	tp.BackwardNotify(loss, dp.watch, dp.notify)
	if len(m.params) == 0 {
		dp.ready <- event{b: 0}
	}
	t0 := time.Now()
	err := <-dp.done
	exposed := time.Since(t0)
	if err != nil {
		return 0, exposed, err
	}
	m.opt.Apply()
	if local > 0 {
		for k, ms := range m.metrics {
			for _, mt := range ms {
				mt.Update(ys[k], e.preds[k])
			}
		}
	}
	return dp.globalLoss, exposed, nil
}

// shard returns this rank's part [lo, hi) of the rows [a, b).
func (dp *dataParallel) shard(a, b int) (lo, hi int) {
	n := b - a
	return a + n*dp.rank/dp.size, a + n*(dp.rank+1)/dp.size
}

// rows returns the sample indices this rank runs for the global batch of
// idx[a:b]: its shard, or, when the shard is empty, the batch's first
// sample as the stand-in row of trainStepDP.
func (dp *dataParallel) rows(idx []int, a, b int) []int {
	lo, hi := dp.shard(a, b)
	if lo == hi {
		return idx[a : a+1]
	}
	return idx[lo:hi]
}

// start checks that every rank runs the same training (sample counts,
// batch size, epochs, seed, weights) and that none failed before it, then
// copies rank 0's weights to every rank. failed is this rank's own error
// so far; every rank returns an error when any rank failed.
func (dp *dataParallel) start(m *Model, cfg FitConfig, n, nValid int, failed error) error {
	f := func(v int) float32 { return float32(v) }
	s := cfg.Seed
	mine := []float32{f(n), f(nValid), f(cfg.BatchSize), f(cfg.Epochs), f(cfg.InitialEpoch),
		f(int(s & 0xffff)), f(int(s >> 16 & 0xffff)), f(int(s >> 32 & 0xffff)), f(int(s >> 48)),
		f(len(m.params)), f(len(m.Weights()))}
	root := append([]float32(nil), mine...)
	if err := dp.c.Broadcast(root, 0); err != nil {
		return fmt.Errorf("fit: distributed start: %w", err)
	}
	what := []string{"training samples", "validation samples", "batch size", "epochs", "initial epoch",
		"seed", "seed", "seed", "seed", "trainable weights", "weights"}
	var mismatch error
	for i := range mine {
		if mine[i] != root[i] {
			mismatch = fmt.Errorf("fit: rank %d's %s differ from rank 0's: every rank must run the same training on the same data", dp.rank, what[i])
			break
		}
	}
	flags := []float32{0, 0}
	if failed != nil {
		flags[0] = 1
	}
	if mismatch != nil {
		flags[1] = 1
	}
	if err := dp.c.AllReduceSum(flags); err != nil {
		return fmt.Errorf("fit: distributed start: %w", err)
	}
	switch {
	case failed != nil:
		return failed
	case mismatch != nil:
		return mismatch
	case flags[0] > 0:
		return errors.New("fit: another rank failed before training started")
	case flags[1] > 0:
		return errors.New("fit: another rank's training differs from rank 0's (data, batch size, epochs or seed)")
	}
	for _, w := range m.Weights() {
		if err := dp.c.Broadcast(w.Var.Value.Data, 0); err != nil {
			return fmt.Errorf("fit: broadcasting weight %s from rank 0: %w", w.Name, err)
		}
	}
	return nil
}

// syncControl gives every rank rank 0's learning rate (callbacks, which
// run on rank 0 only, may change it) and its decision to stop; failed
// reports rank 0's callback error to the others.
func (dp *dataParallel) syncControl(m *Model, failed bool) (stop, rootFailed bool, err error) {
	buf := dp.smallBuf(3)
	if dp.rank == 0 {
		buf[0] = m.LearningRate()
		if m.stop {
			buf[1] = 1
		}
		if failed {
			buf[2] = 1
		}
	}
	if err := dp.c.Broadcast(buf, 0); err != nil {
		return false, false, fmt.Errorf("fit: %w", err)
	}
	if dp.rank != 0 {
		m.SetLearningRate(buf[0])
	}
	return buf[1] != 0, buf[2] != 0, nil
}

// meanOver reduces per-rank means, each over count samples, into global
// means, in place.
func (dp *dataParallel) meanOver(vals []float64, count int) error {
	buf := dp.smallBuf(len(vals) + 1)
	for i, v := range vals {
		buf[i] = float32(v * float64(count))
	}
	buf[len(vals)] = float32(count)
	if err := dp.c.AllReduceSum(buf); err != nil {
		return err
	}
	total := float64(buf[len(vals)])
	for i := range vals {
		if total > 0 {
			vals[i] = float64(buf[i]) / total
		} else {
			vals[i] = math.NaN()
		}
	}
	return nil
}

func (dp *dataParallel) smallBuf(n int) []float32 {
	if cap(dp.small) < n {
		dp.small = make([]float32, n)
	}
	dp.small = dp.small[:n]
	clear(dp.small)
	return dp.small
}

// epochEnd turns this rank's training logs of the epoch into the global
// ones: vals holds the loss (already global: each step reduces it with
// the gradients), the per-output losses (partSums, this rank's sums) and
// the metrics (this rank's results over localSeen samples). Metrics that
// are means over samples (accuracy, the losses) come out exact; others
// (precision, AUC) are the ranks' results weighted by their samples.
func (dp *dataParallel) epochEnd(m *Model, vals, partSums []float64, localSeen, n int) error {
	nParts := len(partSums)
	metricsAt := 1 + nParts
	buf := dp.smallBuf(nParts + len(vals) - metricsAt + 1)
	for k, s := range partSums {
		buf[k] = float32(s)
	}
	for i := metricsAt; i < len(vals); i++ {
		buf[nParts+i-metricsAt] = float32(vals[i] * float64(localSeen))
	}
	buf[len(buf)-1] = float32(localSeen)
	if err := dp.c.AllReduceSum(buf); err != nil {
		return err
	}
	seen := float64(buf[len(buf)-1])
	for k := range partSums {
		vals[1+k] = float64(buf[k]) / float64(n)
	}
	for i := metricsAt; i < len(vals); i++ {
		vals[i] = float64(buf[nParts+i-metricsAt]) / seen
	}
	return nil
}

// validate evaluates this rank's share of the validation rows and reduces
// the results into those of the whole validation set.
func (dp *dataParallel) validate(ctx context.Context, m *Model, vxs, vys []*tensor.Tensor, bs, nKeys int) ([]float64, error) {
	lo, hi := dp.shard(0, vxs[0].Rows())
	vals := make([]float64, nKeys)
	if hi > lo {
		sx, sy := make([]*tensor.Tensor, len(vxs)), make([]*tensor.Tensor, len(vys))
		for i, x := range vxs {
			sx[i] = rowRange(x, lo, hi)
		}
		for i, y := range vys {
			sy[i] = rowRange(y, lo, hi)
		}
		v, err := m.evaluate(ctx, m.trainExec(), sx, sy, bs)
		if err != nil {
			return nil, err
		}
		copy(vals, v)
	}
	if err := dp.meanOver(vals, hi-lo); err != nil {
		return nil, err
	}
	return vals, nil
}

// rowRange returns a view of rows [lo, hi) of t.
func rowRange(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	rs := t.RowSize()
	return tensor.FromSlice(t.Data[lo*rs:hi*rs], append([]int{hi - lo}, t.Shape[1:]...)...)
}
