package cpu

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// poolSpin is how long a worker polls for new work after finishing a chunk
// before it parks. Waking a parked goroutine on an idle CPU takes ~100 µs on
// the project's VMs; a GEMM of a training step takes about as long.
const poolSpin = 200 * time.Microsecond

// chunksPerWorker is how many chunks ParallelFor makes per worker when the
// grain allows: more than one lets a free worker take over the chunks of a
// busy one (running a background Task, or descheduled by the host).
const chunksPerWorker = 2

// maxChunks bounds the chunks of one ParallelFor (one bit each in a mask).
const maxChunks = 64

// pool is the process-wide worker pool, started on first use. The caller of
// ParallelFor is participant 0; workers 1..n-1 each own a slot.
//
// A ParallelFor splits [0, n) into chunks. Participant i owns a contiguous
// share of them, and each participant runs its own chunks first, in order,
// so that with every worker free the same participant computes the same
// rows call after call (their data stay in its cache). Then it takes any
// chunk nobody has claimed yet. Claims are bits of an atomic mask, so every
// chunk runs exactly once. A worker joins a call by claiming its slot's
// entry; once the caller has run out of chunks it closes the entries of
// the workers that never came and waits only for those that did.
type pool struct {
	workers int
	slots   []*slot
	busy    sync.Mutex // held by the ParallelFor that owns the workers
	job     pjob
	// task is the background Task waiting for a worker, if any.
	task atomic.Pointer[Task]
}

// pjob is the ParallelFor call in progress. Its fields other than claimed
// are set before the call is posted and stay put until every worker that
// joined has left.
type pjob struct {
	fn           func(lo, hi int)
	n, size      int
	chunks       int
	participants int
	claimed      atomic.Uint64 // bit c: chunk c is taken
}

type slot struct {
	seq    atomic.Uint64 // bumped by the caller to post a job
	entry  atomic.Uint64 // set to seq by whoever claims the entry first
	done   atomic.Uint64 // set to seq by the worker when it leaves the job
	parked atomic.Bool
	wake   chan struct{}
	id     int
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
			s := &slot{wake: make(chan struct{}, 1), id: i}
			p.slots = append(p.slots, s)
			go p.run(s)
		}
		thePool = p
	})
	return thePool
}

// run is a worker's loop: join posted jobs, else run background tasks,
// else spin for a while and park.
func (p *pool) run(s *slot) {
	var seen uint64
	start := time.Now()
	for i := 1; ; i++ {
		if q := s.seq.Load(); q != seen {
			seen = q
			if s.entry.CompareAndSwap(q-1, q) {
				p.job.work(s.id)
				s.done.Store(q)
			}
			i, start = 0, time.Now()
			continue
		}
		if t := p.task.Load(); t != nil {
			if p.task.CompareAndSwap(t, nil) {
				t.run()
			}
			i, start = 0, time.Now()
			continue
		}
		if i%256 != 0 {
			continue
		}
		if time.Since(start) < poolSpin {
			runtime.Gosched()
			continue
		}
		s.parked.Store(true)
		if s.seq.Load() == seen && p.task.Load() == nil {
			<-s.wake
		}
		s.parked.Store(false)
		i, start = 0, time.Now()
	}
}

// work runs participant id's chunks, then any unclaimed ones.
func (j *pjob) work(id int) {
	for c := id * j.chunks / j.participants; c < (id+1)*j.chunks/j.participants; c++ {
		j.try(c)
	}
	for {
		free := ^j.claimed.Load() & (1<<uint(j.chunks) - 1)
		if free == 0 {
			return
		}
		j.try(bits.TrailingZeros64(free))
	}
}

// try runs chunk c if nobody has claimed it.
func (j *pjob) try(c int) {
	bit := uint64(1) << uint(c)
	for {
		old := j.claimed.Load()
		if old&bit != 0 {
			return
		}
		if j.claimed.CompareAndSwap(old, old|bit) {
			j.fn(c*j.size, min((c+1)*j.size, j.n))
			return
		}
	}
}

func (s *slot) wakeUp() {
	if s.parked.Load() {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Workers returns the number of goroutines that ParallelFor may use.
func Workers() int { return getPool().workers }

// ParallelFor calls fn over [0, n) split into contiguous chunks of at least
// grain items, on the worker pool, and returns when all are done. Small
// ranges run on the calling goroutine, and so does a call made while
// another ParallelFor holds the workers. fn must treat its chunks
// independently: chunk boundaries depend on the number of workers, and
// which goroutine runs a chunk depends on timing, so the result of each
// item must not.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	p := getPool()
	chunks := min((n+grain-1)/grain, p.workers*chunksPerWorker, maxChunks)
	if chunks <= 1 || !p.busy.TryLock() {
		fn(0, n)
		return
	}
	size := (n + chunks - 1) / chunks
	chunks = (n + size - 1) / size
	j := &p.job
	j.fn, j.n, j.size, j.chunks = fn, n, size, chunks
	j.participants = min(p.workers, chunks)
	j.claimed.Store(0)
	posted := p.slots[:j.participants-1]
	for _, s := range posted {
		s.seq.Add(1)
		s.wakeUp()
	}
	j.work(0)
	for _, s := range posted {
		q := s.seq.Load()
		if s.entry.CompareAndSwap(q-1, q) {
			continue // the worker never came: nothing to wait for
		}
		for i := 1; s.done.Load() != q; i++ {
			if i%64 == 0 {
				runtime.Gosched()
			}
		}
	}
	j.fn = nil
	p.busy.Unlock()
}

// Task runs a function in the background on a free worker of the pool, for
// work that can overlap the caller's, such as fetching the next batch. Its
// zero value is ready to use, and a Task is reused with Start and Wait, so
// that the steady state allocates nothing. A Task the workers have not
// picked up by the time of Wait runs on the caller, so it never waits for
// a busy worker; with one worker, it always runs at Wait.
type Task struct {
	fn    func()
	state atomic.Int32
}

const (
	taskIdle = iota
	taskPosted
	taskRunning
	taskDone
)

// Start posts fn to run in the background. The Task must be idle: new, or
// waited for since its last Start.
func (t *Task) Start(fn func()) {
	if t.state.Load() != taskIdle {
		panic("cpu: Task.Start on a task that has not been waited for")
	}
	t.fn = fn
	t.state.Store(taskPosted)
	p := getPool()
	if p.workers < 2 || !p.task.CompareAndSwap(nil, t) {
		return // no worker, or one task already waits: Wait runs it
	}
	for _, s := range p.slots {
		if s.parked.Load() {
			s.wakeUp()
			break
		}
	}
}

// run executes the task unless someone else already claimed it.
func (t *Task) run() {
	if t.state.CompareAndSwap(taskPosted, taskRunning) {
		t.fn()
		t.state.Store(taskDone)
	}
}

// Wait returns when the function given to Start has returned, running it on
// the caller if no worker has started it. It returns at once for an idle
// Task.
func (t *Task) Wait() {
	switch {
	case t.state.Load() == taskIdle:
		return
	case t.state.CompareAndSwap(taskPosted, taskRunning):
		getPool().task.CompareAndSwap(t, nil)
		t.fn()
	default:
		for i := 1; t.state.Load() != taskDone; i++ {
			if i%64 == 0 {
				runtime.Gosched()
			}
		}
	}
	t.fn = nil
	t.state.Store(taskIdle)
}
