// Package hdf5 reads the subset of HDF5 that h5py and Keras write: weight
// files of Keras 2's save_weights and Keras 3's model.weights.h5.
//
// It reads superblocks 0–3, object headers 1 and 2 (with continuation
// blocks), old-style groups (symbol table: B-tree v1, local heap, symbol
// nodes) and new-style groups with compact link messages, attributes of
// fixed- and variable-length strings and of numbers, and datasets of
// floats (16, 32, 64 bits) and integers stored contiguous, compact or
// chunked (B-tree v1, single-chunk, implicit and fixed-array indexes) with
// the shuffle, deflate and fletcher32 filters.
//
// It refuses, with an error that says what, dense link and attribute
// storage (fractal heaps: a libver='latest' group of more than 8 links),
// extensible-array and v2 B-tree chunk indexes (datasets with unlimited
// dimensions), shared (committed) datatypes, external and virtual
// storage, and datatypes other than integers, floats and strings.
//
// The input is untrusted: every address and size is checked against the
// file's size before anything is read or allocated, a dataset is read only
// when its decoded size is plausible for the file (MaxBytes), structures
// are visited at most once and nested at most a bounded depth, and no input
// makes it panic.
package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// File is an open HDF5 file.
type File struct {
	r    io.ReaderAt
	size uint64
	name string
	c    io.Closer

	offSize, lenSize int
	base             uint64
	root             uint64

	// MaxBytes bounds the decoded size of one dataset; Open sets it to
	// 1 GiB or, for a compressed dataset, at most 1100 times the file's
	// size (deflate cannot do better than about 1032:1).
	MaxBytes int64

	headers map[uint64]*object
}

// undef is HDF5's undefined address (all bits set).
const undef = ^uint64(0)

var signature = []byte("\x89HDF\r\n\x1a\n")

// Open opens the HDF5 file at path.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := NewFile(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.c = fh
	return f, nil
}

// NewFile reads an HDF5 file of size bytes from r; name is used in errors.
func NewFile(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("hdf5 %s: negative size", name)
	}
	f := &File{r: r, size: uint64(size), name: name, MaxBytes: 1 << 30, headers: map[uint64]*object{}}
	if err := f.superblock(); err != nil {
		return nil, fmt.Errorf("hdf5 %s: %w", name, err)
	}
	return f, nil
}

// Close closes the file opened by Open.
func (f *File) Close() error {
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// read returns n bytes at the absolute offset off, refusing a range outside
// the file before allocating.
func (f *File) read(off, n uint64) ([]byte, error) {
	if off > f.size || n > f.size-off {
		return nil, fmt.Errorf("range of %d bytes at offset %d is outside the file (%d bytes)", n, off, f.size)
	}
	b := make([]byte, n)
	if _, err := f.r.ReadAt(b, int64(off)); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("file ends at offset %d inside a %d-byte read", off, n)
		}
		return nil, err
	}
	return b, nil
}

// at returns n bytes at address addr (relative to the base address).
func (f *File) at(addr, n uint64) ([]byte, error) {
	if addr == undef {
		return nil, errors.New("undefined address")
	}
	if addr > f.size || f.base > f.size-addr {
		return nil, fmt.Errorf("address %d is outside the file (%d bytes)", addr, f.size)
	}
	return f.read(f.base+addr, n)
}

// upTo returns at most n bytes at addr, fewer where the file ends.
func (f *File) upTo(addr, n uint64) ([]byte, error) {
	if addr != undef && addr <= f.size && f.base <= f.size-addr {
		if rest := f.size - f.base - addr; n > rest {
			n = rest
		}
	}
	return f.at(addr, n)
}

func (f *File) superblock() error {
	// The superblock is at 0 or after a user block of 512, 1024, 2048, …
	var off uint64
	for off = 0; ; off = max(512, off*2) {
		if off+8 > f.size {
			return errors.New("not an HDF5 file (no superblock signature)")
		}
		b, err := f.read(off, 8)
		if err != nil {
			return err
		}
		if bytes.Equal(b, signature) {
			break
		}
	}
	b, err := f.read(off, min(f.size-off, 256))
	if err != nil {
		return err
	}
	c := &cursor{b: b, p: 8}
	version := c.u8()
	switch version {
	case 0, 1:
		c.skip(3) // free-space, root symbol table entry and shared header versions
		c.skip(1)
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		c.skip(1 + 2 + 2 + 4) // reserved, group leaf and internal node K, consistency flags
		if version == 1 {
			c.skip(4) // indexed storage K, reserved
		}
		if err := f.checkSizes(); err != nil {
			return err
		}
		f.base = c.uN(f.offSize)
		c.uN(f.offSize) // free-space info
		c.uN(f.offSize) // end of file
		c.uN(f.offSize) // driver info
		// Root group symbol table entry: link name offset, object header address, …
		c.uN(f.offSize)
		f.root = c.uN(f.offSize)
	case 2, 3:
		f.offSize, f.lenSize = int(c.u8()), int(c.u8())
		c.skip(1) // consistency flags
		if err := f.checkSizes(); err != nil {
			return err
		}
		f.base = c.uN(f.offSize)
		c.uN(f.offSize) // superblock extension
		c.uN(f.offSize) // end of file
		f.root = c.uN(f.offSize)
	default:
		return fmt.Errorf("superblock version %d is not supported (valid: 0 to 3)", version)
	}
	if c.err != nil {
		return fmt.Errorf("superblock: %w", c.err)
	}
	if f.base == undef {
		f.base = 0
	}
	if f.base == 0 {
		f.base = off // a user block shifts the file
	}
	return nil
}

func (f *File) checkSizes() error {
	ok := func(n int) bool { return n == 2 || n == 4 || n == 8 }
	if !ok(f.offSize) || !ok(f.lenSize) {
		return fmt.Errorf("superblock: sizes of offsets %d and lengths %d are not supported (valid: 2, 4, 8)", f.offSize, f.lenSize)
	}
	return nil
}

// Root returns the root group.
func (f *File) Root() (*Group, error) {
	o, err := f.object(f.root)
	if err != nil {
		return nil, fmt.Errorf("hdf5 %s: root group: %w", f.name, err)
	}
	g := &Group{f: f, path: "/", o: o}
	if !o.isGroup() {
		return nil, fmt.Errorf("hdf5 %s: the root object is not a group", f.name)
	}
	return g, nil
}

// Group opens the group at path (such as "/layers/dense/vars").
func (f *File) Group(path string) (*Group, error) {
	r, err := f.Root()
	if err != nil {
		return nil, err
	}
	return r.Group(path)
}

// Dataset opens the dataset at path.
func (f *File) Dataset(path string) (*Dataset, error) {
	r, err := f.Root()
	if err != nil {
		return nil, err
	}
	return r.Dataset(path)
}
