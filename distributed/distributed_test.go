package distributed_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/neurona/neurona/distributed"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		vars             map[string]string
		launcher         string
		rank, size, lr   int
		addr, port, errs string
	}{
		{vars: map[string]string{}},
		{vars: map[string]string{"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
			"SLURM_PROCID": "3", "SLURM_NTASKS": "8"}, launcher: "mpirun", rank: 1, size: 4, lr: 1},
		{vars: map[string]string{"SLURM_PROCID": "3", "SLURM_NTASKS": "8", "SLURM_LOCALID": "1"}, launcher: "slurm", rank: 3, size: 8, lr: 1},
		{vars: map[string]string{"RANK": "2", "WORLD_SIZE": "3", "LOCAL_RANK": "0", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29500"},
			launcher: "torchrun", rank: 2, size: 3, addr: "10.0.0.1", port: "29500"},
		{vars: map[string]string{"RANK": "3", "WORLD_SIZE": "3"}, errs: "rank must be in"},
		{vars: map[string]string{"RANK": "x", "WORLD_SIZE": "3"}, errs: "not an integer"},
		{vars: map[string]string{"WORLD_SIZE": "3"}, errs: "RANK is not set"},
	} {
		e, ok, err := distributed.Detect(env(c.vars))
		if c.errs != "" {
			if err == nil || !strings.Contains(err.Error(), c.errs) {
				t.Errorf("%v: error %v, want %q", c.vars, err, c.errs)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.vars, err)
		}
		if ok != (c.launcher != "") || e.Launcher != c.launcher || e.Rank != c.rank || e.Size != c.size ||
			e.LocalRank != c.lr || e.MasterAddr != c.addr || e.MasterPort != c.port {
			t.Errorf("%v: got %+v ok=%v", c.vars, e, ok)
		}
	}
}

func TestCheckWorld(t *testing.T) {
	e := distributed.Env{Launcher: "torchrun", Rank: 1, Size: 2}
	err := distributed.CheckWorld(e, distributed.Local{})
	if err == nil || !strings.Contains(err.Error(), "MPI") || !strings.Contains(err.Error(), "mpirun") {
		t.Fatalf("torchrun without MPI underneath: %v", err)
	}
	if err := distributed.CheckWorld(distributed.Env{Launcher: "mpirun", Size: 1}, distributed.Local{}); err != nil {
		t.Fatal(err)
	}
}

func TestLocal(t *testing.T) {
	var c distributed.Collective = distributed.Local{}
	b := []float32{1, 2, 3}
	if err := c.AllReduceSum(b); err != nil || b[0] != 1 || b[2] != 3 {
		t.Fatal(b, err)
	}
	if c.Broadcast(b, 1) == nil {
		t.Fatal("broadcast from rank 1 of 1 accepted")
	}
	if c.Rank() != 0 || c.Size() != 1 || c.Barrier() != nil {
		t.Fatal("Local is not rank 0 of 1")
	}
}

// hang is a collective whose all-reduce blocks until released, as MPI's
// does when a peer has died.
type hang struct {
	distributed.Local
	release chan struct{}
}

func (h hang) AllReduceSum([]float32) error { <-h.release; return nil }

func TestWatchdog(t *testing.T) {
	h := hang{release: make(chan struct{})}
	var mu sync.Mutex
	var got error
	w := distributed.NewWatchdog(h, 50*time.Millisecond, func(err error) {
		mu.Lock()
		got = err
		mu.Unlock()
		close(h.release)
	})
	defer w.Close()
	if err := w.Barrier(); err != nil { // quick calls do not fire it
		t.Fatal(err)
	}
	t0 := time.Now()
	w.AllReduceSum(make([]float32, 3))
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(got, distributed.ErrTimeout) || !strings.Contains(got.Error(), "all-reduce") {
		t.Fatalf("watchdog reported %v", got)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("watchdog took %v", d)
	}
}

func TestOpenWithoutMPI(t *testing.T) {
	if distributed.Available {
		t.Skip("an MPI build")
	}
	if _, err := distributed.Open(distributed.Options{}); !errors.Is(err, distributed.ErrNoMPI) {
		t.Fatal(err)
	}
}

// TestInProcess: the in-process world gives every rank the exact integer
// sums (as TestMPICollectives checks of MPI), broadcasts the root's
// buffer, and refuses buffers of different lengths on every rank.
func TestInProcess(t *testing.T) {
	const n = 3
	cs := distributed.InProcess(n)
	errs := make([]error, n)
	got := make([][]float32, n)
	var wg sync.WaitGroup
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := cs[r]
			buf := make([]float32, 1000)
			for round := range 5 {
				for i := range buf {
					buf[i] = float32(i*(r+1) + round)
				}
				if err := c.AllReduceSum(buf); err != nil {
					errs[r] = err
					return
				}
				for i, v := range buf {
					if want := float32(i*(1+2+3) + n*round); v != want {
						errs[r] = fmt.Errorf("rank %d, round %d: sum[%d] = %v, want %v", r, round, i, v, want)
						return
					}
				}
			}
			b := []float32{float32(r), float32(10 * r)}
			if err := c.Broadcast(b, 2); err != nil || b[0] != 2 || b[1] != 20 {
				errs[r] = fmt.Errorf("rank %d: broadcast from 2 gave %v (%v)", r, b, err)
				return
			}
			if err := c.Barrier(); err != nil {
				errs[r] = err
				return
			}
			got[r] = make([]float32, 2+r) // lengths differ
			errs[r] = c.AllReduceSum(got[r])
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "floats") {
			t.Errorf("rank %d: %v, want the length mismatch reported", r, err)
		}
	}
}
