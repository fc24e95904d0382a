//go:build !amd64

package cpu

import "time"

// FMAPeak returns 0: the FMA peak loops are written for amd64.
func FMAPeak(d time.Duration) float64 { return 0 }
