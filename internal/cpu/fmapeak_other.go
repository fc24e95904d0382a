//go:build !amd64

package cpu

import "time"

// FMAPeak returns 0: the FMA peak loops are written for amd64.
func FMAPeak(d time.Duration) float64 { return 0 }

// FMALoop reports ok false: the loops are written for amd64.
func FMALoop(zmm bool) (loop func(iters int), flops float64, ok bool) { return nil, 0, false }
