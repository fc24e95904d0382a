package cpu

import (
	"runtime"
	"sync"
)

// pool is the process-wide worker pool, started on first use.
type pool struct {
	tasks   chan task
	workers int
}

type task struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	thePool  *pool
	poolOnce sync.Once
)

func getPool() *pool {
	poolOnce.Do(func() {
		n := runtime.GOMAXPROCS(0)
		p := &pool{tasks: make(chan task, 4*n), workers: n}
		for i := 1; i < n; i++ { // the caller is worker 0
			go p.run()
		}
		thePool = p
	})
	return thePool
}

func (p *pool) run() {
	for t := range p.tasks {
		t.fn(t.lo, t.hi)
		t.wg.Done()
	}
}

// Workers returns the number of goroutines that ParallelFor may use.
func Workers() int { return getPool().workers }

var wgPool = sync.Pool{New: func() any { return new(sync.WaitGroup) }}

// ParallelFor calls fn over [0, n) split into contiguous chunks of at least
// grain items, on the worker pool, and returns when all are done. Small
// ranges run on the calling goroutine. fn must treat its chunks
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
	chunks := (n + grain - 1) / grain
	if chunks > p.workers {
		chunks = p.workers
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	wg := wgPool.Get().(*sync.WaitGroup)
	size := (n + chunks - 1) / chunks
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo := c * size
		hi := min(lo+size, n)
		if lo >= hi {
			wg.Done()
			continue
		}
		p.tasks <- task{fn: fn, lo: lo, hi: hi, wg: wg}
	}
	fn(0, min(size, n))
	wg.Wait()
	wgPool.Put(wg)
}
