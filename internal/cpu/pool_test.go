package cpu

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neurona/neurona/internal/alloctest"
)

// Every item of a ParallelFor runs exactly once, whatever the chunking,
// including when a worker is held by a background task and the caller
// takes over its chunks.
func TestParallelForCoversOnce(t *testing.T) {
	for _, busy := range []bool{false, true} {
		for _, tc := range []struct{ n, grain int }{{1, 1}, {2, 1}, {7, 1}, {100, 3}, {1000, 1}, {1 << 16, 100}} {
			counts := make([]atomic.Int32, tc.n)
			var hold Task
			release := make(chan struct{})
			if busy {
				hold.Start(1, 1, func(int, int) { <-release })
				time.Sleep(time.Millisecond) // let a worker pick it up
			}
			ParallelFor(tc.n, tc.grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					counts[i].Add(1)
				}
			})
			close(release)
			hold.Wait()
			for i := range counts {
				if c := counts[i].Load(); c != 1 {
					t.Fatalf("busy=%v n=%d grain=%d: item %d ran %d times", busy, tc.n, tc.grain, i, c)
				}
			}
		}
	}
}

// Chunks are contiguous, at least grain long (but for the last), and at
// most chunksPerWorker per worker.
func TestParallelForChunks(t *testing.T) {
	const n, grain = 1000, 10
	var chunks atomic.Int32
	ParallelFor(n, grain, func(lo, hi int) {
		chunks.Add(1)
		if hi-lo < grain && hi != n {
			t.Errorf("chunk [%d, %d) shorter than the grain", lo, hi)
		}
	})
	if c := int(chunks.Load()); c < 1 || c > max(1, Workers()*chunksPerWorker) {
		t.Errorf("%d chunks for %d workers", c, Workers())
	}
}

func TestTask(t *testing.T) {
	var task Task
	task.Wait() // an idle task returns at once
	for round := 0; round < 200; round++ {
		n, grain := 1+round%37, 1+round%5
		counts := make([]atomic.Int32, n)
		task.Start(n, grain, func(lo, hi int) {
			if hi-lo > grain || lo >= hi {
				t.Errorf("chunk [%d, %d) for grain %d", lo, hi, grain)
			}
			for i := lo; i < hi; i++ {
				counts[i].Add(1)
			}
		})
		if round%2 == 0 {
			runtime.Gosched()
		}
		task.Wait()
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("round %d: item %d of %d ran %d times before Wait returned", round, i, n, c)
			}
		}
	}
	// Two tasks at once: the second finds no free slot and runs at its
	// Wait.
	var a, b Task
	var ra, rb atomic.Int32
	a.Start(10, 3, func(lo, hi int) { ra.Add(int32(hi - lo)) })
	b.Start(10, 3, func(lo, hi int) { rb.Add(int32(hi - lo)) })
	b.Wait()
	a.Wait()
	if ra.Load() != 10 || rb.Load() != 10 {
		t.Errorf("two tasks covered %d and %d of 10 items", ra.Load(), rb.Load())
	}
}

// A worker running a long background task still joins a ParallelFor
// between the task's chunks, and the task completes.
func TestTaskYieldsToParallelFor(t *testing.T) {
	if Workers() < 2 {
		t.Skip("one worker")
	}
	var task Task
	var items atomic.Int32
	task.Start(200, 1, func(lo, hi int) {
		time.Sleep(50 * time.Microsecond)
		items.Add(int32(hi - lo))
	})
	time.Sleep(time.Millisecond) // a worker is inside the task now
	var inflight, overlapped atomic.Int32
	defer soloUntil.Store(0)
	for range 20 {
		soloUntil.Store(0) // a stall on a loaded machine must not end the test's parallelism
		ParallelFor(4, 1, func(lo, hi int) {
			if inflight.Add(1) > 1 {
				overlapped.Add(1)
			}
			time.Sleep(100 * time.Microsecond)
			inflight.Add(-1)
		})
	}
	task.Wait()
	if items.Load() != 200 {
		t.Fatalf("the task covered %d of 200 items", items.Load())
	}
	if overlapped.Load() == 0 {
		t.Error("no ParallelFor chunk ran on a worker while a task was running")
	}
}

func TestTaskStartTwicePanics(t *testing.T) {
	var task Task
	release := make(chan struct{})
	task.Start(1, 1, func(int, int) { <-release })
	defer func() {
		close(release)
		task.Wait()
		if recover() == nil {
			t.Error("a second Start before Wait did not panic")
		}
	}()
	task.Start(1, 1, func(int, int) {})
}

func TestParallelForNoAllocs(t *testing.T) {
	var sink [1000]float32
	fn := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sink[i]++
		}
	}
	var task Task
	var ran int
	work := func(lo, hi int) { ran += hi - lo }
	allocs := alloctest.PerRun(100, func() {
		ParallelFor(1000, 10, fn)
		task.Start(1, 1, work)
		task.Wait()
	})
	if allocs != 0 {
		t.Errorf("ParallelFor and a Task allocate %v times per call", allocs)
	}
}

// A worker that keeps the caller waiting past stallLimit puts the pool in
// solo mode: ParallelFor then runs on the caller alone for soloPeriod.
func TestStalledWorkerTurnsOnSolo(t *testing.T) {
	if Workers() < 2 {
		t.Skip("one worker")
	}
	defer soloUntil.Store(0)
	var task Task
	started := make(chan struct{}, 1)
	task.Start(1, 1, func(int, int) {
		started <- struct{}{}
		time.Sleep(3 * stallLimit)
	})
	select {
	case <-started:
	case <-time.After(time.Second):
		task.Wait()
		t.Skip("no worker picked the task up")
	}
	if solo() {
		t.Fatal("solo before any stall")
	}
	task.Wait() // runs ~3 ms on the worker: a stall
	if !solo() {
		t.Fatal("a 3 ms wait for a worker did not turn solo mode on")
	}
	var inflight, most atomic.Int32
	ParallelFor(4, 1, func(lo, hi int) {
		n := inflight.Add(1)
		if n > most.Load() {
			most.Store(n)
		}
		time.Sleep(50 * time.Microsecond)
		inflight.Add(-1)
	})
	if most.Load() != 1 {
		t.Errorf("in solo mode %d chunks ran at once", most.Load())
	}
	soloUntil.Store(0)
	if solo() {
		t.Error("solo mode did not end")
	}
}
