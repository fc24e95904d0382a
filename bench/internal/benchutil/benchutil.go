// Package benchutil holds what the neurona sides of the side-by-side
// benchmarks share: the median epoch time and the CPU profile.
package benchutil

import (
	"os"
	"runtime/pprof"
	"sort"
)

// Median returns the median of xs (0 for none).
func Median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// EpochMedian is the median of epochs 2..N, leaving out the first epoch's
// start-up costs, or epoch 1 alone when there is one.
func EpochMedian(seconds []float64) float64 {
	if len(seconds) > 1 {
		seconds = seconds[1:]
	}
	return Median(seconds)
}

// StartCPUProfile writes a CPU profile to path until the returned stop is
// called; an empty path profiles nothing.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
