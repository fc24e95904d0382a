package autograd

import "fmt"

// A BatchSplit places the batch a tape runs inside a larger one that is
// split across processes (data-parallel training): the tape's batch is
// the Rows rows that follow Before rows of the whole batch, and After
// rows follow them. Two things read it:
//
//   - Random draws (Dropout, SpatialDropout1D, the recurrent layers'
//     dropout) are made for the whole batch, from a stream that every
//     part holds in the same state: each part skips the draws of the rows
//     before and after its own and uses its own rows' draws. Every part
//     thus applies the masks that one process running the whole batch
//     would, and the streams stay in step.
//   - A synchronized batch normalization takes its statistics over the
//     whole batch, summing over the parts with Sync.
type BatchSplit struct {
	Before, Rows, After int
	// Empty marks a part that holds none of the batch's rows (a final
	// batch smaller than the number of parts): it runs Rows stand-in rows
	// so that its collectives and random streams stay in step with the
	// other parts, and they count for nothing in the statistics.
	Empty bool
	// Sync sums over the parts; nil keeps batch statistics per part.
	Sync BatchSync
	// SyncAll synchronizes every batch normalization, not only those
	// whose BatchNormParams ask for it.
	SyncAll bool
}

// A BatchSync sums buffers over the parts of a split batch. Every part
// calls it the same number of times, in the same order, with buffers of
// the same lengths. It reports no error: an implementation that fails
// records its error for the caller of the training step, and its later
// calls return at once.
type BatchSync interface {
	AllReduceSum(buf []float32)
}

// SetBatchSplit tells the tape where its batch lies in a batch split
// across processes, until the next call; nil (the default) means the
// batch is whole. The tape keeps s, which must not change while ops run.
func (tp *Tape) SetBatchSplit(s *BatchSplit) { tp.split = s }

// splitDraws returns the draws to skip before and after this part's own,
// for a noise whose leading dimension, of lead entries, runs over the
// batch's rows (k entries per row), with per draws for each entry.
func (tp *Tape) splitDraws(lead, per int) (before, after int) {
	s := tp.split
	if s == nil {
		return 0, 0
	}
	if s.Rows <= 0 || lead%s.Rows != 0 {
		panic(fmt.Sprintf("autograd: a noise of %d rows does not fit a split batch of %d rows", lead, s.Rows))
	}
	k := lead / s.Rows
	return s.Before * k * per, s.After * k * per
}

// batchSync returns the reductions a batch normalization synchronized
// when asked (own) must use, or nil for statistics over this batch alone.
func (tp *Tape) batchSync(own bool) BatchSync {
	s := tp.split
	if s == nil || s.Sync == nil || !(own || s.SyncAll) {
		return nil
	}
	return s.Sync
}

// emptyPart reports whether the tape runs an empty part's stand-in rows.
func (tp *Tape) emptyPart() bool { return tp.split != nil && tp.split.Empty }
