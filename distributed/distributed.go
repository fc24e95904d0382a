// Package distributed is the seam between neurona's trainer and a
// collective-communication engine: data-parallel training needs a rank, a
// world size, an in-place float32 all-reduce (sum), a broadcast and a
// barrier, and nothing else, so that another engine (NCCL, Gloo) can be
// added behind the same interface later.
//
// Two engines exist: Local, the single-process identity, and MPI (Open MPI
// loaded at run time, in binaries built with -tags mpi; see Open). The
// default build of neurona links no MPI and stays a static binary.
//
// Launchers: Detect reads the environment contract of mpirun
// (OMPI_COMM_WORLD_*), Slurm's srun (SLURM_PROCID, SLURM_NTASKS) and
// torchrun or Kubeflow's PyTorchJob (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT). The collectives themselves always run over
// MPI: a process started by torchrun without an MPI launcher underneath
// sees an MPI world of one process, and Open reports the mismatch instead
// of training alone (see docs/distributed.md).
package distributed

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Collective is a group of processes (ranks) that reduce and exchange
// float32 buffers. Every rank must issue the same calls in the same order
// with buffers of the same length; a call returns once this rank's part is
// done. Implementations are safe for use by one goroutine at a time.
type Collective interface {
	// Rank is this process's index, from 0 to Size()-1.
	Rank() int
	// Size is the number of ranks.
	Size() int
	// AllReduceSum replaces buf, on every rank, by the element-wise sum
	// of every rank's buf.
	AllReduceSum(buf []float32) error
	// Broadcast copies root's buf into every other rank's buf.
	Broadcast(buf []float32, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
}

// Local is the collective of a single process: its reductions are the
// identity. Fit without a Collective behaves as with Local, without its
// (small) bookkeeping.
type Local struct{}

// Rank returns 0.
func (Local) Rank() int { return 0 }

// Size returns 1.
func (Local) Size() int { return 1 }

// AllReduceSum leaves buf as it is: the sum over one rank.
func (Local) AllReduceSum(buf []float32) error { return nil }

// Broadcast leaves buf as it is; root must be 0.
func (Local) Broadcast(buf []float32, root int) error {
	if root != 0 {
		return fmt.Errorf("distributed: broadcast from rank %d in a world of one process", root)
	}
	return nil
}

// Barrier returns at once.
func (Local) Barrier() error { return nil }

// Env is what a launcher tells a process about its place in the job.
type Env struct {
	// Launcher names the contract found: "mpirun" (OMPI_COMM_WORLD_*),
	// "slurm" (SLURM_PROCID/SLURM_NTASKS), "torchrun" (RANK/WORLD_SIZE,
	// also Kubeflow's PyTorchJob) or "" when none is present.
	Launcher string
	// Rank, Size and LocalRank (the rank on this node) as the launcher
	// gives them.
	Rank, Size, LocalRank int
	// MasterAddr and MasterPort are torchrun's rendezvous address; MPI
	// does not use them (its launcher wires the processes up).
	MasterAddr, MasterPort string
}

// Detect reads the launcher's environment through getenv (os.Getenv when
// nil). mpirun's variables win over Slurm's (mpirun inside an allocation
// sets both), and both over torchrun's. ok is false when no launcher
// variable is set; err reports a variable that is set but malformed.
func Detect(getenv func(string) string) (env Env, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	type contract struct{ name, rank, size, local string }
	for _, c := range []contract{
		{"mpirun", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"},
		{"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID"},
		{"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK"},
	} {
		rs, ss := getenv(c.rank), getenv(c.size)
		if rs == "" && ss == "" {
			continue
		}
		env = Env{Launcher: c.name}
		if env.Rank, err = envInt(c.rank, rs); err != nil {
			return Env{}, false, err
		}
		if env.Size, err = envInt(c.size, ss); err != nil {
			return Env{}, false, err
		}
		if env.Size < 1 || env.Rank < 0 || env.Rank >= env.Size {
			return Env{}, false, fmt.Errorf("distributed: %s=%d and %s=%d: the rank must be in [0, size)", c.rank, env.Rank, c.size, env.Size)
		}
		if ls := getenv(c.local); ls != "" {
			if env.LocalRank, err = envInt(c.local, ls); err != nil {
				return Env{}, false, err
			}
		}
		if c.name == "torchrun" {
			env.MasterAddr, env.MasterPort = getenv("MASTER_ADDR"), getenv("MASTER_PORT")
		}
		return env, true, nil
	}
	return Env{}, false, nil
}

func envInt(name, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("distributed: %s is not set (its companion variable is)", name)
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("distributed: %s=%q is not an integer", name, s)
	}
	return v, nil
}

// CheckWorld compares the world an engine sees with the launcher's
// environment: a torchrun or Slurm job whose processes were not wired
// up by an MPI launcher each see an MPI world of one.
func CheckWorld(env Env, c Collective) error {
	if env.Launcher == "" {
		return nil
	}
	if c.Size() != env.Size || c.Rank() != env.Rank {
		hint := ""
		switch env.Launcher {
		case "torchrun":
			hint = ": torchrun and Kubeflow's PyTorchJob start the processes but neurona's collectives run over MPI, which needs its own launcher underneath (mpirun, srun --mpi=pmix, or Kubeflow's MPIJob); see docs/distributed.md"
		case "slurm":
			hint = ": launch with srun --mpi=pmix (Open MPI built with PMIx) or mpirun inside the allocation"
		}
		return fmt.Errorf("distributed: %s says rank %d of %d, but MPI sees rank %d of %d%s",
			env.Launcher, env.Rank, env.Size, c.Rank(), c.Size(), hint)
	}
	return nil
}

// ErrTimeout is what a Watchdog reports when a collective call does not
// complete in time.
var ErrTimeout = errors.New("distributed: a collective did not complete in time: another rank has likely died or stalled")

// Watchdog wraps a collective whose calls can block forever (an MPI
// all-reduce waits for every rank, dead or alive). One goroutine checks
// every call in flight; a call running longer than Timeout makes it call
// OnHang with an error naming the call and the rank. OnHang must not
// return normally if the job should stop: a blocked C call cannot be
// cancelled, so the default writes the error to Stderr and exits the
// process with status 1. The wrapper allocates nothing per call.
type Watchdog struct {
	C       Collective
	Timeout time.Duration
	// OnHang is called once, from the watchdog's goroutine; nil means
	// print to Stderr (os.Stderr when nil) and os.Exit(1).
	OnHang func(err error)
	Stderr io.Writer

	started atomic.Int64 // UnixNano of the call in flight, 0 when none
	what    atomic.Int32
	stop    chan struct{}
	fired   atomic.Bool
}

// call kinds, for the watchdog's message.
const (
	callAllReduce int32 = iota
	callBroadcast
	callBarrier
)

var callNames = [...]string{"all-reduce", "broadcast", "barrier"}

// NewWatchdog starts the watchdog's goroutine over c; Close stops it.
func NewWatchdog(c Collective, timeout time.Duration, onHang func(error)) *Watchdog {
	w := &Watchdog{C: c, Timeout: timeout, OnHang: onHang, stop: make(chan struct{})}
	tick := min(timeout/4, time.Second)
	if tick <= 0 {
		tick = time.Millisecond
	}
	go w.watch(tick)
	return w
}

func (w *Watchdog) watch(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			s := w.started.Load()
			if s == 0 || now.UnixNano()-s < int64(w.Timeout) || w.fired.Swap(true) {
				continue
			}
			err := fmt.Errorf("rank %d of %d: %s blocked for %v: %w", w.C.Rank(), w.C.Size(),
				callNames[w.what.Load()], w.Timeout, ErrTimeout)
			if w.OnHang != nil {
				w.OnHang(err)
				continue
			}
			out := w.Stderr
			if out == nil {
				out = os.Stderr
			}
			fmt.Fprintf(out, "neurona: %v\n", err)
			os.Exit(1)
		}
	}
}

// Close stops the watchdog's goroutine (not the collective).
func (w *Watchdog) Close() {
	if w.stop != nil {
		close(w.stop)
		w.stop = nil
	}
}

func (w *Watchdog) begin(what int32) {
	w.what.Store(what)
	w.started.Store(time.Now().UnixNano())
}

func (w *Watchdog) finish() { w.started.Store(0) }

// Rank returns the wrapped collective's rank.
func (w *Watchdog) Rank() int { return w.C.Rank() }

// Size returns the wrapped collective's size.
func (w *Watchdog) Size() int { return w.C.Size() }

// AllReduceSum runs the wrapped all-reduce under the watchdog.
func (w *Watchdog) AllReduceSum(buf []float32) error {
	w.begin(callAllReduce)
	defer w.finish()
	return w.C.AllReduceSum(buf)
}

// Broadcast runs the wrapped broadcast under the watchdog.
func (w *Watchdog) Broadcast(buf []float32, root int) error {
	w.begin(callBroadcast)
	defer w.finish()
	return w.C.Broadcast(buf, root)
}

// Barrier runs the wrapped barrier under the watchdog.
func (w *Watchdog) Barrier() error {
	w.begin(callBarrier)
	defer w.finish()
	return w.C.Barrier()
}
