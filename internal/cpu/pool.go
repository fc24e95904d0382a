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
		if t := p.task.Load(); t != nil && t.runChunk() {
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
		if t := p.task.Load(); s.seq.Load() == seen && (t == nil || !t.pending()) {
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
	if chunks <= 1 || solo() || !p.busy.TryLock() {
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
		waitFor(func() bool { return s.done.Load() == q })
	}
	j.fn = nil
	p.busy.Unlock()
}

// A worker that keeps the caller waiting for a whole millisecond has lost
// its CPU (another process holds it); a chunk takes microseconds. The pool
// then runs everything on the caller for soloPeriod before trying the
// workers again: with a busy second core, one core working alone is faster
// than waiting for the other (measured on the MNIST dense net with a
// spinning process on the second vCPU: 0.26–0.30 s per epoch waiting,
// about 0.20 s alone).
const (
	stallLimit = time.Millisecond
	soloPeriod = 50 * time.Millisecond
)

// soloUntil is the monotonic time (nanoseconds since poolEpoch) until which
// ParallelFor and Task run on the caller.
var (
	soloUntil atomic.Int64
	poolEpoch = time.Now()
)

func solo() bool { return time.Since(poolEpoch).Nanoseconds() < soloUntil.Load() }

// waitFor spins until done reports true, yielding now and then, and turns
// on solo mode when the wait exceeds stallLimit.
func waitFor(done func() bool) {
	var start time.Time
	for i := 1; !done(); i++ {
		if i%64 != 0 {
			continue
		}
		runtime.Gosched()
		if i%1024 != 0 {
			continue
		}
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > stallLimit {
			soloUntil.Store(int64(time.Since(poolEpoch) + soloPeriod))
		}
	}
}

// Task runs work in the background on the pool's workers, for work that
// can overlap the caller's, such as fetching the next batch. The work is a
// range of items in chunks; a worker runs one chunk at a time and, between
// chunks, joins any ParallelFor that is waiting for it, so a background
// task never holds up the caller's parallel work by more than a chunk.
// Wait runs the chunks nobody has started on the caller, so it never
// waits for a busy worker, and with one worker all the work runs there.
//
// A Task's zero value is ready to use. It is reused with Start and Wait,
// so the steady state allocates nothing; only its owner goroutine may call
// them.
type Task struct {
	// Set by Start before the task is published, read by workers only
	// after they claim a chunk.
	fn       func(lo, hi int)
	n, grain int

	// next is gen<<32 | the next chunk to claim, and limit gen<<32 | the
	// number of chunks: a claim on a finished generation finds nothing.
	next, limit atomic.Uint64
	done        atomic.Int64 // chunks finished
	gen         uint64       // owner only
	posted      bool         // owner only: started and not yet waited for
}

// Start posts fn over [0, n) in chunks of grain items: fn(lo, hi) runs on
// contiguous, disjoint ranges covering [0, n). The Task must not be
// running: new, or waited for since its last Start.
func (t *Task) Start(n, grain int, fn func(lo, hi int)) {
	if t.posted {
		panic("cpu: Task.Start on a task that has not been waited for")
	}
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	t.fn, t.n, t.grain = fn, n, grain
	t.gen++
	t.done.Store(0)
	t.limit.Store(t.gen<<32 | uint64((n+grain-1)/grain))
	t.next.Store(t.gen << 32)
	t.posted = true
	p := getPool()
	if p.workers < 2 || solo() || !p.task.CompareAndSwap(nil, t) {
		return // no worker, or none to spare, or another task is posted: Wait runs it
	}
	for _, s := range p.slots {
		if s.parked.Load() {
			s.wakeUp()
			break
		}
	}
}

// runChunk claims and runs one chunk, reporting whether there was one.
func (t *Task) runChunk() bool {
	for {
		v, l := t.next.Load(), t.limit.Load()
		if v>>32 != l>>32 || v&(1<<32-1) >= l&(1<<32-1) {
			return false // another generation starting, or all claimed
		}
		if t.next.CompareAndSwap(v, v+1) {
			c := int(v & (1<<32 - 1))
			t.fn(c*t.grain, min((c+1)*t.grain, t.n))
			t.done.Add(1)
			return true
		}
	}
}

// pending reports whether t has chunks nobody has claimed.
func (t *Task) pending() bool {
	v, l := t.next.Load(), t.limit.Load()
	return v>>32 == l>>32 && v&(1<<32-1) < l&(1<<32-1)
}

// Wait returns when all of the work given to Start is done, running the
// chunks no worker has claimed on the caller. It returns at once for a
// Task that is not running.
func (t *Task) Wait() {
	if !t.posted {
		return
	}
	for t.runChunk() {
	}
	chunks := int64(t.limit.Load() & (1<<32 - 1))
	waitFor(func() bool { return t.done.Load() == chunks })
	getPool().task.CompareAndSwap(t, nil)
	t.fn = nil
	t.posted = false
}
