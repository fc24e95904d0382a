package alloctest

import (
	"fmt"
	"reflect"
	"testing"
)

var sink []byte

// TestPerRunCountsTheCodesAllocations: an allocation of the measured code
// counts, as AllocsPerRun counts it.
func TestPerRunCountsTheCodesAllocations(t *testing.T) {
	if a := PerRun(20, func() { sink = make([]byte, 64) }); a != 1 {
		t.Errorf("PerRun = %v for one allocation a call, want 1", a)
	}
	if a := PerRun(20, func() { sink = make([]byte, 64); sink = make([]byte, 100) }); a != 2 {
		t.Errorf("PerRun = %v for two allocations a call, want 2", a)
	}
	if a := PerRun(20, func() {}); a != 0 {
		t.Errorf("PerRun = %v for no allocation, want 0", a)
	}
}

type namer interface{ name() string }

// TestPerRunLeavesOutTypeAssertCaches asserts values of 20,000 dynamic
// types made for the test (reflect.StructOf), none seen before, to an
// interface type in each call: the site's cache misses on each, and the
// runtime rebuilds it at about 1 miss in 1,024 (it did 5-6 times for
// 20,000 when this was written; none is about e^-19 likely). Those
// allocations are the runtime's: PerRun must leave them out, and still
// count the code's own allocation beside them.
func TestPerRunLeavesOutTypeAssertCaches(t *testing.T) {
	const perCall = 20000
	vals := make([]any, 4*perCall)
	for i := range vals {
		typ := reflect.StructOf([]reflect.StructField{{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeFor[int]()}})
		vals[i] = reflect.New(typ).Elem().Interface()
	}
	next, hits, warm := 0, 0, true
	assert := func() {
		if warm { // count's warm-up call: the site's first misses come in the measured one
			warm = false
			return
		}
		for _, v := range vals[next : next+perCall] {
			if _, ok := v.(namer); ok {
				hits++
			}
		}
		next += perCall
	}
	mallocs, fills := count(1, assert)
	if fills == 0 || mallocs != fills {
		t.Fatalf("asserting %d new types: %d mallocs, %d of them cache fills; want some, all fills", perCall, mallocs, fills)
	}
	if a := PerRun(1, func() { assert(); sink = make([]byte, 64) }); a != 1 {
		t.Errorf("PerRun = %v for type assertions and one allocation, want 1", a)
	}
	if hits != 0 {
		t.Errorf("%d struct types implement namer", hits)
	}
}
