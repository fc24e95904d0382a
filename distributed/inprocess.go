package distributed

import (
	"fmt"
	"sync"
)

// InProcess returns a world of n ranks inside this process, one
// Collective per rank, for n goroutines that play the ranks: data-parallel
// training without MPI, for tests and experiments. Every call blocks until
// all n ranks have made it. Sums are taken in rank order, so every rank
// gets the same bits, as from MPI. All ranks must make the same calls in
// the same order; buffers of different lengths in one call are an error
// on every rank.
func InProcess(n int) []Collective {
	if n < 1 {
		panic(fmt.Sprintf("distributed: InProcess(%d): a world needs a rank", n))
	}
	w := &world{n: n, bufs: make([][]float32, n)}
	w.cond = sync.NewCond(&w.mu)
	cs := make([]Collective, n)
	for r := range n {
		cs[r] = inProcess{w, r}
	}
	return cs
}

type world struct {
	mu      sync.Mutex
	cond    *sync.Cond
	n       int
	in, gen int
	bufs    [][]float32
	result  []float32
	err     error
}

type inProcess struct {
	w    *world
	rank int
}

// meet waits, under w.mu, until every rank has arrived; the last one runs
// last first.
func (w *world) meet(last func()) {
	gen := w.gen
	w.in++
	if w.in == w.n {
		if last != nil {
			last()
		}
		w.in, w.gen = 0, w.gen+1
		w.cond.Broadcast()
		return
	}
	for gen == w.gen {
		w.cond.Wait()
	}
}

// exchange deposits buf, lets the last rank to arrive compute w.result
// from every rank's buffer, copies it into buf, and waits until every
// rank has copied it before any may call again.
func (c inProcess) exchange(buf []float32, what string, compute func()) error {
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.bufs[c.rank] = buf
	w.meet(func() {
		w.err = nil
		for r, b := range w.bufs {
			if len(b) != len(buf) {
				w.err = fmt.Errorf("distributed: %s: rank %d gave %d floats, rank %d %d", what, r, len(b), c.rank, len(buf))
				return
			}
		}
		if cap(w.result) < len(buf) {
			w.result = make([]float32, len(buf))
		}
		w.result = w.result[:len(buf)]
		clear(w.result)
		compute()
	})
	err := w.err
	if err == nil {
		copy(buf, w.result)
	}
	w.meet(nil)
	return err
}

func (c inProcess) Rank() int { return c.rank }
func (c inProcess) Size() int { return c.w.n }

// AllReduceSum implements Collective.
func (c inProcess) AllReduceSum(buf []float32) error {
	return c.exchange(buf, "all-reduce", func() {
		for _, b := range c.w.bufs {
			for i, v := range b {
				c.w.result[i] += v
			}
		}
	})
}

// Broadcast implements Collective.
func (c inProcess) Broadcast(buf []float32, root int) error {
	if root < 0 || root >= c.w.n {
		return fmt.Errorf("distributed: broadcast from rank %d in a world of %d", root, c.w.n)
	}
	return c.exchange(buf, "broadcast", func() { copy(c.w.result, c.w.bufs[root]) })
}

// Barrier implements Collective.
func (c inProcess) Barrier() error {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	c.w.meet(nil)
	return nil
}
