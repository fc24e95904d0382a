package cpu

import (
	"runtime"
	"testing"
	"time"
)

func TestFMAPeak(t *testing.T) {
	p := FMAPeak(20 * time.Millisecond)
	if runtime.GOARCH != "amd64" {
		if p != 0 {
			t.Fatalf("FMAPeak = %v off amd64", p)
		}
		return
	}
	// Any FMA machine does at least 8 lanes × 2 flops per ns at 1 GHz; none
	// does 2000 GFLOP/s on one core.
	if GemmKernel() != "generic" && (p < 16 || p > 2000) {
		t.Fatalf("FMAPeak = %.1f GFLOP/s, implausible", p)
	}
	t.Logf("FMA peak of one core: %.1f GFLOP/s", p)
}
