//go:build mpi

package distributed

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Available reports whether this binary can open an MPI collective.
const Available = true

// MPI thread levels, the same numbers in Open MPI and MPICH.
const (
	mpiThreadSerialized = 2
	mpiThreadMultiple   = 3
	mpiSuccess          = 0
	mpiInPlace          = 1 // Open MPI's MPI_IN_PLACE is ((void *) 1)
)

// mpiComm is the MPI collective over Open MPI's C API, loaded at run time
// with purego (no cgo). Open MPI's predefined handles (MPI_COMM_WORLD,
// MPI_FLOAT, MPI_SUM) are the addresses of the data symbols it exports
// (ompi_mpi_comm_world, ompi_mpi_float, ompi_mpi_op_sum).
type mpiComm struct {
	mu                     sync.Mutex // the calls are serialized
	lib                    uintptr
	world, float, sum      uintptr
	allreduce, bcast, barr uintptr
	errorString            uintptr
	rank, size             int
	args                   [6]uintptr // SyscallN's arguments, reused
}

var (
	openOnce sync.Once
	opened   *mpiComm
	openErr  error
)

// Open initializes MPI (once per process: MPI cannot be initialized
// twice) and returns the world communicator as a Collective. It loads
// Open MPI's libmpi.so at run time; another MPI (MPICH, Intel MPI, whose
// handles are integers, not exported objects) is refused with an error.
func Open(opts Options) (Collective, error) {
	openOnce.Do(func() { opened, openErr = openMPI(opts) })
	if openErr != nil {
		return nil, openErr
	}
	return opened, nil
}

func openMPI(opts Options) (*mpiComm, error) {
	names := []string{"libmpi.so.40", "libmpi.so"}
	if v := os.Getenv("NEURONA_MPI_LIB"); v != "" {
		names = []string{v}
	}
	if opts.Library != "" {
		names = []string{opts.Library}
	}
	var lib uintptr
	var errs []string
	for _, n := range names {
		h, err := purego.Dlopen(n, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			lib = h
			break
		}
		errs = append(errs, err.Error())
	}
	if lib == 0 {
		return nil, fmt.Errorf("distributed: cannot load Open MPI's library (%s): install Open MPI 4.x or 5.x (Debian: apt-get install openmpi-bin libopenmpi3) or set NEURONA_MPI_LIB to its libmpi.so: %s",
			strings.Join(names, ", "), strings.Join(errs, "; "))
	}
	m := &mpiComm{lib: lib}
	if _, err := purego.Dlsym(lib, "MPI_Init_thread"); err != nil {
		return nil, fmt.Errorf("distributed: %s is not an MPI library (no MPI_Init_thread)", names[0])
	}
	var err error
	sym := func(name string) uintptr {
		if err != nil {
			return 0
		}
		var p uintptr
		if p, err = purego.Dlsym(lib, name); err != nil {
			err = fmt.Errorf("distributed: the MPI library lacks %s: %w", name, err)
		}
		return p
	}
	m.world = sym("ompi_mpi_comm_world")
	if err != nil {
		which := "an MPI other than Open MPI"
		if _, e := purego.Dlsym(lib, "MPIR_Err_return_comm"); e == nil {
			which = "MPICH (or an MPICH derivative such as Intel MPI or MVAPICH)"
		}
		return nil, fmt.Errorf("distributed: the MPI library loaded is %s, whose handles are integers: neurona supports Open MPI (4.x, 5.x) only; point NEURONA_MPI_LIB at Open MPI's libmpi.so.40", which)
	}
	m.float = sym("ompi_mpi_float")
	m.sum = sym("ompi_mpi_op_sum")
	m.allreduce = sym("MPI_Allreduce")
	m.bcast = sym("MPI_Bcast")
	m.barr = sym("MPI_Barrier")
	m.errorString = sym("MPI_Error_string")
	initThread := sym("MPI_Init_thread")
	initialized := sym("MPI_Initialized")
	commRank := sym("MPI_Comm_rank")
	commSize := sym("MPI_Comm_size")
	if err != nil {
		return nil, err
	}
	var flag int32
	purego.SyscallN(initialized, uintptr(unsafe.Pointer(&flag)))
	if flag == 0 {
		var provided int32
		r, _, _ := purego.SyscallN(initThread, 0, 0, mpiThreadMultiple, uintptr(unsafe.Pointer(&provided)))
		if int32(r) != mpiSuccess {
			return nil, fmt.Errorf("distributed: MPI_Init_thread failed: %s", m.errText(int32(r)))
		}
		if provided < mpiThreadSerialized {
			return nil, fmt.Errorf("distributed: Open MPI provides thread level %d; neurona calls MPI from several OS threads and needs MPI_THREAD_SERIALIZED (2) or better", provided)
		}
	}
	var rank, size int32
	if r, _, _ := purego.SyscallN(commRank, m.world, uintptr(unsafe.Pointer(&rank))); int32(r) != mpiSuccess {
		return nil, fmt.Errorf("distributed: MPI_Comm_rank: %s", m.errText(int32(r)))
	}
	if r, _, _ := purego.SyscallN(commSize, m.world, uintptr(unsafe.Pointer(&size))); int32(r) != mpiSuccess {
		return nil, fmt.Errorf("distributed: MPI_Comm_size: %s", m.errText(int32(r)))
	}
	m.rank, m.size = int(rank), int(size)
	return m, nil
}

// errText returns MPI's message for an error code.
func (m *mpiComm) errText(code int32) string {
	if m.errorString == 0 {
		return fmt.Sprintf("MPI error %d", code)
	}
	var buf [512]byte // MPI_MAX_ERROR_STRING is 256 in Open MPI
	var n int32
	purego.SyscallN(m.errorString, uintptr(code), uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
	if n <= 0 || int(n) > len(buf) {
		return fmt.Sprintf("MPI error %d", code)
	}
	return string(buf[:n])
}

func (m *mpiComm) Rank() int { return m.rank }
func (m *mpiComm) Size() int { return m.size }

// call runs fn with the arguments in m.args, serialized.
func (m *mpiComm) call(what string, fn uintptr, n int) error {
	r, _, _ := purego.SyscallN(fn, m.args[:n]...)
	if int32(r) != mpiSuccess {
		return fmt.Errorf("distributed: %s: %s", what, m.errText(int32(r)))
	}
	return nil
}

// maxCount is the largest count one MPI call takes (a C int).
const maxCount = 1<<31 - 1

func (m *mpiComm) AllReduceSum(buf []float32) error {
	if len(buf) == 0 {
		return nil
	}
	if len(buf) > maxCount {
		return errors.New("distributed: all-reduce of more than 2^31-1 floats")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.args = [6]uintptr{mpiInPlace, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), m.float, m.sum, m.world}
	err := m.call("MPI_Allreduce", m.allreduce, 6)
	runtime.KeepAlive(buf)
	return err
}

func (m *mpiComm) Broadcast(buf []float32, root int) error {
	if root < 0 || root >= m.size {
		return fmt.Errorf("distributed: broadcast from rank %d in a world of %d", root, m.size)
	}
	if len(buf) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.args = [6]uintptr{uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), m.float, uintptr(root), m.world}
	err := m.call("MPI_Bcast", m.bcast, 5)
	runtime.KeepAlive(buf)
	return err
}

func (m *mpiComm) Barrier() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.args[0] = m.world
	return m.call("MPI_Barrier", m.barr, 1)
}

// Finalize shuts MPI down; call it once, at the end of the program, after
// the last collective. It is a no-op when MPI was never opened.
func Finalize() error {
	if opened == nil {
		return nil
	}
	m := opened
	fn, err := purego.Dlsym(m.lib, "MPI_Finalize")
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.call("MPI_Finalize", fn, 0)
}
