package autograd

import (
	"math"
	"sync"
	"testing"

	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/tensor"
)

// partSync is a BatchSync over a distributed.InProcess world that counts
// its calls.
type partSync struct {
	c     distributed.Collective
	calls int
}

func (p *partSync) AllReduceSum(buf []float32) {
	p.calls++
	if err := p.c.AllReduceSum(buf); err != nil {
		panic(err)
	}
}

// part is one part of a split batch in the tests: rows [lo, hi) of the
// whole, or, when empty, the stand-in row lo.
type part struct {
	lo, hi int
	empty  bool
}

func (p part) split(whole int) BatchSplit {
	if p.empty {
		return BatchSplit{Before: whole - 1, Rows: 1, After: 0, Empty: true}
	}
	return BatchSplit{Before: p.lo, Rows: p.hi - p.lo, After: whole - p.hi}
}

func (p part) rows() (int, int) {
	if p.empty {
		return p.lo, p.lo + 1
	}
	return p.lo, p.hi
}

func rowsOf(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	rs := t.RowSize()
	return tensor.FromSlice(append([]float32(nil), t.Data[lo*rs:hi*rs]...), append([]int{hi - lo}, t.Shape[1:]...)...)
}

func close32(a, b float32, tol float64) bool {
	return math.Abs(float64(a)-float64(b)) <= tol*math.Max(1, math.Abs(float64(b)))
}

// TestSyncBatchNormMatchesWholeBatch: a synchronized BatchNorm over the
// parts of a split batch (one of them empty) gives each part the rows the
// whole batch gives in one tape, the same moving statistics, and, with
// each part's gradient weighted by its share of the rows, the whole
// batch's gradients of x, gamma and beta.
func TestSyncBatchNormMatchesWholeBatch(t *testing.T) {
	const B, T, C = 7, 2, 4
	rng := tensor.NewRNG(21)
	x, g0, b0, w := randn(rng, B, T, C), randn(rng, C), randn(rng, C), randn(rng, B, T, C)
	for i := range x.Data {
		x.Data[i] = 2*x.Data[i] + float32(i%C) // means and scales away from 0 and 1
	}
	newParams := func() BatchNormParams {
		p := bnParams(C)
		for j := range C {
			p.MovingMean.Data[j], p.MovingVariance.Data[j] = 0.1*float32(j), 1+0.2*float32(j)
		}
		return p
	}
	type result struct {
		y, dx, dg, db *tensor.Tensor
		p             BatchNormParams
	}
	run := func(x, w *tensor.Tensor, p BatchNormParams, tp *Tape) result {
		xv, gv, bv := NewParam(x.Clone()), NewParam(g0.Clone()), NewParam(b0.Clone())
		y := tp.BatchNorm(xv, gv, bv, p, true)
		tp.Backward(tp.Mean(tp.Mul(y, NewConst(w))))
		return result{y.Value.Clone(), xv.Grad.Clone(), gv.Grad.Clone(), bv.Grad.Clone(), p}
	}
	whole := run(x, w, newParams(), NewTape())

	parts := []part{{0, 3, false}, {0, 0, true}, {3, B, false}}
	for _, mode := range []string{"Synchronized", "SyncAll", "per part"} {
		world := distributed.InProcess(len(parts))
		syncs := make([]*partSync, len(parts))
		res := make([]result, len(parts))
		var wg sync.WaitGroup
		for i, pt := range parts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := pt.rows()
				sp := pt.split(B)
				syncs[i] = &partSync{c: world[i]}
				sp.Sync = syncs[i]
				p := newParams()
				p.Synchronized = mode == "Synchronized"
				sp.SyncAll = mode == "SyncAll"
				tp := NewTape()
				tp.SetBatchSplit(&sp)
				res[i] = run(rowsOf(x, lo, hi), rowsOf(w, lo, hi), p, tp)
			}()
		}
		wg.Wait()
		if mode == "per part" {
			for i, ps := range syncs {
				if ps.calls != 0 {
					t.Errorf("per part: part %d made %d reductions, want none", i, ps.calls)
				}
			}
			if close32(res[0].p.MovingMean.Data[0], whole.p.MovingMean.Data[0], 1e-4) {
				t.Errorf("per part: part 0's moving mean %v is the whole batch's %v", res[0].p.MovingMean.Data[0], whole.p.MovingMean.Data[0])
			}
			// The empty part's stand-in row moved nothing.
			if p := res[1].p; p.MovingMean.Data[1] != 0.1 || p.MovingVariance.Data[1] != 1.2 {
				t.Errorf("per part: the empty part moved its statistics to %v, %v", p.MovingMean.Data, p.MovingVariance.Data)
			}
			continue
		}
		for i, ps := range syncs {
			if ps.calls != 3 { // two in the forward pass, one in the backward
				t.Errorf("%s: part %d made %d reductions, want 3", mode, i, ps.calls)
			}
		}
		dg, db := tensor.New(C), tensor.New(C)
		for i, pt := range parts {
			r := res[i]
			for j := range C {
				if !close32(r.p.MovingMean.Data[j], whole.p.MovingMean.Data[j], 1e-6) ||
					!close32(r.p.MovingVariance.Data[j], whole.p.MovingVariance.Data[j], 1e-6) {
					t.Errorf("%s, part %d: moving statistics %v %v, whole batch %v %v", mode, i,
						r.p.MovingMean.Data, r.p.MovingVariance.Data, whole.p.MovingMean.Data, whole.p.MovingVariance.Data)
					break
				}
			}
			share := float32(0)
			if !pt.empty {
				share = float32(pt.hi-pt.lo) / B
				rs := T * C
				for k, v := range r.y.Data {
					if want := whole.y.Data[pt.lo*rs+k]; !close32(v, want, 1e-5) {
						t.Fatalf("%s, part %d: y[%d] = %v, whole batch %v", mode, i, k, v, want)
					}
				}
				for k, v := range r.dx.Data {
					if want := whole.dx.Data[pt.lo*rs+k]; !close32(share*v, want, 1e-5) {
						t.Fatalf("%s, part %d: share·dx[%d] = %v, whole batch %v", mode, i, k, share*v, want)
					}
				}
			}
			for j := range C {
				dg.Data[j] += share * r.dg.Data[j]
				db.Data[j] += share * r.db.Data[j]
			}
		}
		for j := range C {
			if !close32(dg.Data[j], whole.dg.Data[j], 1e-5) || !close32(db.Data[j], whole.db.Data[j], 1e-5) {
				t.Errorf("%s: weighted gamma, beta gradients %v %v, whole batch %v %v", mode, dg.Data, db.Data, whole.dg.Data, whole.db.Data)
				break
			}
		}
	}
}

// TestSplitDraws: each part of a split batch applies the whole batch's
// dropout masks to its rows (plain, broadcast over time steps, and the
// recurrent layers' input and state masks), and leaves its stream where
// the whole batch leaves it, an empty part included.
func TestSplitDraws(t *testing.T) {
	const B, T, C, U = 6, 3, 5, 4
	rng := tensor.NewRNG(31)
	x := randn(rng, B, T, C)
	w, u, b := randn(rng, C, 4*U), randn(rng, U, 4*U), randn(rng, 4*U)
	for i := range x.Data {
		x.Data[i] += 3 // no input is 0, so a dropped one shows
	}
	// broadcast adds a noise shared by the rows, which only parts of more
	// than one row can tell from a noise of their rows.
	draws := func(tp *Tape, x *tensor.Tensor, r *tensor.RNG, broadcast bool) []*tensor.Tensor {
		xv := NewConst(x)
		d := tp.Dropout(xv, 0.4, r, true)
		s := tp.DropoutNoise(xv, 0.3, []int{x.Shape[0], 1, C}, r, true)
		all := d
		if broadcast {
			all = tp.DropoutNoise(xv, 0.5, []int{1, T, 1}, r, true)
		}
		h := tp.RNN(xv, NewConst(w), NewConst(u), NewConst(b), RNNOptions{
			Cell: LSTMCell, Activation: RNNTanh, RecurrentActivation: RNNHardSigmoid,
			ReturnSequences: true, Dropout: 0.3, RecurrentDropout: 0.4, RNG: r,
		})
		return []*tensor.Tensor{d.Value.Clone(), s.Value.Clone(), all.Value.Clone(), h.Value.Clone()}
	}
	for _, pt := range []part{{0, 2, false}, {2, 3, false}, {3, B, false}, {4, 4, true}} {
		lo, hi := pt.rows()
		broadcast := hi-lo > 1
		wr := tensor.NewRNG(77)
		whole := draws(NewTape(), x, wr, broadcast)
		r := tensor.NewRNG(77)
		tp := NewTape()
		sp := pt.split(B)
		tp.SetBatchSplit(&sp)
		got := draws(tp, rowsOf(x, lo, hi), r, broadcast)
		if r.State() != wr.State() {
			t.Errorf("part %+v: the stream ends at %v, the whole batch's at %v", pt, r.State(), wr.State())
		}
		if pt.empty {
			continue
		}
		for k, g := range got {
			rs := g.RowSize()
			for i, v := range g.Data {
				want := whole[k].Data[lo*rs+i]
				if (k < 3 && v != want) || !close32(v, want, 1e-6) {
					t.Fatalf("part %+v, draw %d: [%d] = %v, whole batch %v", pt, k, i, v, want)
				}
			}
		}
	}
}
