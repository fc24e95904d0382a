// Package saving is neurona's model file format: a safetensors file whose
// string metadata carries the JSON configs (model, compile, optimizer, RNG
// states) and whose tensors are the weights and optimizer slots.
//
// A file is laid out as the safetensors specification says, so its weights
// open in Python's safetensors library:
//
//	8 bytes   N, the header's length, a little-endian uint64
//	N bytes   a UTF-8 JSON object, padded with spaces to a multiple of 8:
//	          {"__metadata__": {"key": "value", ...},
//	           "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, ...}
//	the rest  the data buffer: each tensor's bytes, little-endian, row-major,
//	          at data_offsets counted from the buffer's first byte
//
// Package saving knows tensors and string metadata, not models: package
// models decides what the metadata keys and tensor names mean (see
// docs/file-format.md) and imports saving, never the reverse.
//
// Reading is safe on untrusted input: every number in the header is checked
// against the file's real length before anything is allocated from it, and a
// malformed file gives an error (matching ErrFormat) that says what is wrong
// and where, never a panic.
package saving

import (
	"errors"
	"fmt"

	"github.com/neurona/neurona/tensor"
)

// MaxHeaderSize is the largest JSON header, in bytes, that Read accepts and
// Write produces: the safetensors reference implementation's limit.
const MaxHeaderSize = 100_000_000

// maxDims bounds how many dimensions a tensor in a file may have. NumPy's own
// limit is 64; a larger count can only come from a damaged or hostile file.
const maxDims = 64

// Entry is one named tensor of a file: a float32 Tensor, or an exact
// integer tensor Ints.
type Entry struct {
	Name   string
	Tensor *tensor.Tensor
	// Ints is an integer tensor, for values float32 cannot hold exactly
	// (such as indices past 2^24). Write stores it as I64 and needs Tensor
	// nil. Read sets Ints for tensors of dtype I64, I32 and U32, and sets
	// Tensor too, to their values converted to float32 (rounded past
	// 2^24), so that code reading float tensors sees every entry.
	Ints *IntTensor
}

// IntTensor is an integer tensor: Data holds the product of Shape values,
// row-major.
type IntTensor struct {
	Shape []int
	Data  []int64
}

// File is the content of a model file.
type File struct {
	// Metadata is the header's "__metadata__" map (string to string). Read
	// returns a non-nil map, empty when the file has none.
	Metadata map[string]string
	// Entries are the tensors in file order (sorted by their data offsets).
	Entries []Entry
}

// Get returns the tensor named name, if the file has one.
func (f *File) Get(name string) (*tensor.Tensor, bool) {
	for _, e := range f.Entries {
		if e.Name == name {
			return e.Tensor, true
		}
	}
	return nil, false
}

// GetInts returns the integer tensor named name, if the file has one (of
// dtype I64, I32 or U32).
func (f *File) GetInts(name string) (*IntTensor, bool) {
	for _, e := range f.Entries {
		if e.Name == name && e.Ints != nil {
			return e.Ints, true
		}
	}
	return nil, false
}

// ErrFormat is matched (with errors.Is) by every error that reports a
// malformed file, as opposed to an I/O error.
var ErrFormat = errors.New("saving: malformed safetensors file")

// formatError is a malformed-file error: its message says what and where, and
// it matches ErrFormat. The exported functions add the "saving: " prefix.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrFormat }

func errorf(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}
