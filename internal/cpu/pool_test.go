package cpu

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
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
				hold.Start(func() { <-release })
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
	for i := 0; i < 100; i++ {
		var ran atomic.Int32
		task.Start(func() { ran.Add(1) })
		if i%2 == 0 {
			runtime.Gosched()
		}
		task.Wait()
		if r := ran.Load(); r != 1 {
			t.Fatalf("round %d: the task ran %d times before Wait returned", i, r)
		}
	}
	// Two tasks at once: the second may not find a free worker; it then
	// runs at its Wait.
	var a, b Task
	var ra, rb atomic.Int32
	a.Start(func() { ra.Add(1) })
	b.Start(func() { rb.Add(1) })
	b.Wait()
	a.Wait()
	if ra.Load() != 1 || rb.Load() != 1 {
		t.Errorf("two tasks ran %d and %d times", ra.Load(), rb.Load())
	}
}

func TestTaskStartTwicePanics(t *testing.T) {
	var task Task
	release := make(chan struct{})
	task.Start(func() { <-release })
	defer func() {
		close(release)
		task.Wait()
		if recover() == nil {
			t.Error("a second Start before Wait did not panic")
		}
	}()
	task.Start(func() {})
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
	work := func() { ran++ }
	allocs := testing.AllocsPerRun(100, func() {
		ParallelFor(1000, 10, fn)
		task.Start(work)
		task.Wait()
	})
	if allocs != 0 {
		t.Errorf("ParallelFor and a Task allocate %v times per call", allocs)
	}
}
