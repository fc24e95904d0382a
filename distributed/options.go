package distributed

// Options configure Open.
type Options struct {
	// Library is the MPI shared library to load; "" tries
	// $NEURONA_MPI_LIB, then libmpi.so.40 and libmpi.so (Open MPI).
	Library string
}
