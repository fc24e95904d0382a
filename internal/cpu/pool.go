package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// poolSpin is how long a worker polls for new work after finishing a chunk
// before it parks. Waking a parked goroutine on an idle CPU takes ~100 µs on
// the project's VMs; a GEMM of a training step takes about as long.
const poolSpin = 200 * time.Microsecond

// pool is the process-wide worker pool, started on first use. The caller of
// ParallelFor is worker 0; workers 1..n-1 each own a slot.
type pool struct {
	workers int
	slots   []*slot
	busy    sync.Mutex // held by the ParallelFor that owns the workers
}

type slot struct {
	seq    atomic.Uint64 // bumped by the caller to post fn(lo, hi)
	done   atomic.Uint64 // set to seq by the worker when fn returns
	parked atomic.Bool
	wake   chan struct{}
	fn     func(lo, hi int)
	lo, hi int
	_      [64]byte
}

var (
	thePool  *pool
	poolOnce sync.Once
)

func getPool() *pool {
	poolOnce.Do(func() {
		n := runtime.GOMAXPROCS(0)
		p := &pool{workers: n}
		for i := 1; i < n; i++ {
			s := &slot{wake: make(chan struct{}, 1)}
			p.slots = append(p.slots, s)
			go s.run()
		}
		thePool = p
	})
	return thePool
}

func (s *slot) run() {
	var seen uint64
	for {
		start := time.Now()
		for i := 1; s.seq.Load() == seen; i++ {
			if i%256 == 0 {
				if time.Since(start) < poolSpin {
					runtime.Gosched()
					continue
				}
				s.parked.Store(true)
				if s.seq.Load() == seen {
					<-s.wake
				}
				s.parked.Store(false)
				start = time.Now()
			}
		}
		seen = s.seq.Load()
		s.fn(s.lo, s.hi)
		s.fn = nil
		s.done.Store(seen)
	}
}

// Workers returns the number of goroutines that ParallelFor may use.
func Workers() int { return getPool().workers }

// ParallelFor calls fn over [0, n) split into contiguous chunks of at least
// grain items, on the worker pool, and returns when all are done. Small
// ranges run on the calling goroutine, and so does a call made while
// another ParallelFor holds the workers. fn must treat its chunks
// independently: chunk boundaries depend on the number of workers, so the
// result of each item must not.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	p := getPool()
	chunks := min((n+grain-1)/grain, p.workers)
	if chunks <= 1 || !p.busy.TryLock() {
		fn(0, n)
		return
	}
	size := (n + chunks - 1) / chunks
	posted := p.slots[:0:0]
	for c := 1; c < chunks; c++ {
		lo, hi := c*size, min((c+1)*size, n)
		if lo >= hi {
			break
		}
		s := p.slots[c-1]
		s.fn, s.lo, s.hi = fn, lo, hi
		s.seq.Add(1)
		if s.parked.Load() {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
		posted = p.slots[:c]
	}
	fn(0, min(size, n))
	for _, s := range posted {
		for i := 1; s.done.Load() != s.seq.Load(); i++ {
			if i%64 == 0 {
				runtime.Gosched()
			}
		}
	}
	p.busy.Unlock()
}
