//go:build !mpi

package distributed

// Available reports whether this binary can open an MPI collective.
const Available = false

// Open opens the MPI collective; this build has none.
func Open(opts Options) (Collective, error) { return nil, ErrNoMPI }

// Finalize is a no-op without MPI.
func Finalize() error { return nil }
