package distributed

import "errors"

// ErrNoMPI is Open's error in a binary built without -tags mpi.
var ErrNoMPI = errors.New("distributed: this neurona was built without MPI (the default, static build): rebuild with 'go build -tags mpi ./cmd/neurona' and run it under mpirun, srun or Kubeflow's MPIJob; Open MPI 4.x or 5.x (libmpi.so.40) is required")

// Options configure Open.
type Options struct {
	// Library is the MPI shared library to load; "" tries
	// $NEURONA_MPI_LIB, then libmpi.so.40 and libmpi.so (Open MPI).
	Library string
}
