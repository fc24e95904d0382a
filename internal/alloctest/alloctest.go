// Package alloctest counts the heap allocations of a function for the tests
// that check a step allocates nothing after warm-up.
//
// testing.AllocsPerRun counts every malloc of the process, including those
// the runtime makes to fill its own caches lazily, at moments the code does
// not choose:
//
//   - A goroutine that blocks on a channel (a worker of internal/cpu's pool
//     parking between kernels) takes a wait record (runtime.sudog) from its
//     P's cache and returns it to the cache of the P it wakes on, so the
//     records drift from P to P; a P whose cache and the central one are
//     empty allocates one (and every GC empties the central one).
//   - An assertion or type switch to an interface type keeps a per-site
//     cache of the dynamic types it has seen, and on a miss it rebuilds
//     that cache, bigger, with a probability of about 1 in 1,024: the
//     allocation comes at a random call, possibly thousands after the
//     first (runtime.buildTypeAssertCache, runtime.buildInterfaceSwitchCache).
//
// Both made the allocation tests fail now and then ("allocates 1 times
// after warm-up"), more often on shared cores. PerRun counts what
// AllocsPerRun counts, less those runtime cache fills.
package alloctest

import (
	"runtime"
)

// runtimeCacheFills names the runtime functions whose allocations PerRun
// does not count.
var runtimeCacheFills = map[string]bool{
	"runtime.acquireSudog":              true,
	"runtime.buildTypeAssertCache":      true,
	"runtime.buildInterfaceSwitchCache": true,
}

// PerRun is testing.AllocsPerRun (GOMAXPROCS 1 while it counts, one
// warm-up call of f, then the average number of heap allocations over runs
// calls, rounded down) less the allocations made by the runtime's cache
// fills named in the package doc. Those are told apart by the memory
// profile: every allocation of the measured calls is recorded
// (runtime.MemProfileRate = 1 while they run) with its stack, and only
// the records whose stack passes through one of those runtime functions
// are subtracted from the runtime's malloc count. Every other allocation,
// the runtime's included, counts.
func PerRun(runs int, f func()) float64 {
	mallocs, fills := count(runs, f)
	return float64((mallocs - fills) / uint64(runs))
}

// count returns the mallocs of runs calls of f after a warm-up call, and
// how many of them the runtime's cache fills made.
func count(runs int, f func()) (mallocs, fills uint64) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm-up
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	runtime.GC() // publishes the profile up to here
	before := cacheFills()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs = ms.Mallocs
	for range runs {
		f()
	}
	runtime.ReadMemStats(&ms)
	mallocs = ms.Mallocs - mallocs
	runtime.MemProfileRate = rate
	runtime.GC() // publishes the measured calls' records
	return mallocs, min(cacheFills()-before, mallocs)
}

// cacheFills sums the objects allocated so far, as the memory profile
// has them, from stacks that pass through runtimeCacheFills.
func cacheFills() uint64 {
	n, _ := runtime.MemProfile(nil, true)
	var recs []runtime.MemProfileRecord
	for {
		recs = make([]runtime.MemProfileRecord, n+64)
		var ok bool
		if n, ok = runtime.MemProfile(recs, true); ok {
			recs = recs[:n]
			break
		}
	}
	var total uint64
	for i := range recs {
		if fromCacheFill(recs[i].Stack()) {
			total += uint64(recs[i].AllocObjects)
		}
	}
	return total
}

func fromCacheFill(stk []uintptr) bool {
	frames := runtime.CallersFrames(stk)
	for {
		fr, more := frames.Next()
		if runtimeCacheFills[fr.Function] {
			return true
		}
		if !more {
			return false
		}
	}
}
