//go:build mpi

package distributed_test

import (
	"os"
	"testing"

	"github.com/neurona/neurona/distributed"
)

// TestMPICollectives runs under mpirun (distributed/mpitest.sh): it checks
// that the all-reduce gives exact integer sums on every rank, from small
// messages to ones large enough for Open MPI's ring algorithm, and that
// broadcast and barrier work. Outside mpirun it is skipped.
func TestMPICollectives(t *testing.T) {
	env, ok, err := distributed.Detect(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || env.Launcher != "mpirun" {
		t.Skip("not under mpirun (run distributed/mpitest.sh)")
	}
	c, err := distributed.Open(distributed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := distributed.CheckWorld(env, c); err != nil {
		t.Fatal(err)
	}
	r, p := c.Rank(), c.Size()
	for _, n := range []int{1, 7, 1000, 1 << 20} {
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = float32((r+1)*1000 + i%4096)
		}
		if err := c.AllReduceSum(buf); err != nil {
			t.Fatal(err)
		}
		base := 1000 * p * (p + 1) / 2
		for i, v := range buf {
			if want := float32(base + p*(i%4096)); v != want {
				t.Fatalf("rank %d of %d: sum of %d floats: element %d is %v, want %v", r, p, n, i, v, want)
			}
		}
	}
	b := make([]float32, 513)
	for i := range b {
		b[i] = float32(r*100000 + i)
	}
	if err := c.Broadcast(b, p-1); err != nil {
		t.Fatal(err)
	}
	for i, v := range b {
		if want := float32((p-1)*100000 + i); v != want {
			t.Fatalf("rank %d: broadcast element %d is %v, want %v", r, i, v, want)
		}
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if err := c.Broadcast(b, p); err == nil {
		t.Fatalf("broadcast from rank %d of %d did not fail", p, p)
	}
	if os.Getenv("NEURONA_MPITEST_NOFINALIZE") == "" {
		if err := distributed.Finalize(); err != nil {
			t.Fatal(err)
		}
	}
}
