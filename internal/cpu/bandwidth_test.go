package cpu

import (
	"fmt"
	"testing"
)

// BenchmarkMemoryBandwidth measures one core's memory bandwidth on buffers
// the size of the outputs of the book's first convolutions: LeNet's first
// layer writes 128×26×26×32 floats (11 MB) in a forward pass, VGG's
// 8×222×222×64 (101 MB) at bench/conv's batch of 8, and 2 MB fits one
// core's L2 on the Xeon. With 1 or 3 input channels such a layer does 18
// or 54 FLOPs per float it writes, so the store stream, not the FMAs,
// bounds it (bench/conv/README.md). The stream is Scale in place, so each
// line is read and written, as a write-allocating store does; the MB/s
// that -bench prints counts the floats stored.
func BenchmarkMemoryBandwidth(b *testing.B) {
	for _, mb := range []int{2, 11, 101} {
		x := make([]float32, mb<<20/4)
		for i := range x {
			x[i] = 1
		}
		b.Run(fmt.Sprintf("store/%dMB", mb), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				Scale(x, 1)
			}
		})
	}
}
