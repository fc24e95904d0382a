package models

import (
	"fmt"
	"io"

	"github.com/neurona/neurona/saving"
)

// Read is Load for a model file read from r, of size bytes: for callers
// that open files through an os.Root, so that the file cannot be a link
// out of a directory they serve.
func Read(r io.ReaderAt, size int64) (*Model, error) {
	f, err := saving.Read(r, size)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return fromFile(f)
}

// AsSequential returns the Sequential this model is the engine of, if it
// is one (a model built by a Sequential spec or loaded from a Sequential's
// file), for code that walks a stack of layers.
func (m *Model) AsSequential() (*Sequential, bool) { return m.seq, m.seq != nil }
