//go:build !mpi

package distributed

import "errors"

// ErrNoMPI is Open's error in a binary built without -tags mpi.
var ErrNoMPI = errors.New("distributed: this neurona was built without MPI (the default, static build): rebuild with 'go build -tags mpi ./cmd/neurona' and run it under mpirun, srun or Kubeflow's MPIJob; Open MPI 4.x or 5.x (libmpi.so.40) is required")

// Available reports whether this binary can open an MPI collective.
const Available = false

// Open opens the MPI collective; this build has none.
func Open(opts Options) (Collective, error) { return nil, ErrNoMPI }

// Finalize is a no-op without MPI.
func Finalize() error { return nil }
