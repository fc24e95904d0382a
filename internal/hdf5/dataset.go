package hdf5

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
)

// Dataset is an HDF5 dataset.
type Dataset struct {
	f     *File
	path  string
	o     *object
	t     *dtype
	space dataspace
}

func (f *File) dataset(o *object, path string) (*Dataset, error) {
	if !o.isDataset() {
		return nil, fmt.Errorf("hdf5 %s: %s is not a dataset", f.name, path)
	}
	d := &Dataset{f: f, path: path, o: o}
	var err error
	if d.t, err = parseDatatype(&cursor{b: o.find(msgDatatype).orEmpty()}, 0); err != nil {
		return nil, d.errorf("%v", err)
	}
	if d.space, err = f.parseDataspace(&cursor{b: o.find(msgDataspace).data}); err != nil {
		return nil, d.errorf("%v", err)
	}
	return d, nil
}

func (m *message) orEmpty() []byte {
	if m == nil {
		return nil
	}
	return m.data
}

func (d *Dataset) errorf(format string, args ...any) error {
	return fmt.Errorf("hdf5 %s: dataset %s: %s", d.f.name, d.path, fmt.Sprintf(format, args...))
}

// Path returns the dataset's path in the file.
func (d *Dataset) Path() string { return d.path }

// Shape returns the dataset's dimensions (empty for a scalar).
func (d *Dataset) Shape() []int { return d.space.shape() }

// Type describes the dataset's element type, such as "float32".
func (d *Dataset) Type() string { return d.t.String() }

// BigEndian reports whether the dataset's numbers are stored big-endian
// (the values read are the same either way).
func (d *Dataset) BigEndian() bool { return d.t.big }

// Attrs returns the dataset's attributes.
func (d *Dataset) Attrs() ([]*Attribute, error) {
	as, err := d.f.attrs(d.o)
	if err != nil {
		return nil, d.errorf("%v", err)
	}
	return as, nil
}

// Float32s reads a numeric dataset as float32 values in row-major order
// (float64 and integer values are converted).
func (d *Dataset) Float32s() ([]float32, error) {
	raw, n, err := d.raw()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	if d.t.class == Float && d.t.size == 4 {
		bo := order(d.t)
		for i := range out {
			out[i] = math.Float32frombits(bo.Uint32(raw[4*i:]))
		}
		return out, nil
	}
	tmp := make([]float64, n)
	decodeFloat64(tmp, raw, d.t)
	for i, v := range tmp {
		out[i] = float32(v)
	}
	return out, nil
}

// Float64s reads a numeric dataset as float64 values in row-major order.
func (d *Dataset) Float64s() ([]float64, error) {
	raw, n, err := d.raw()
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	decodeFloat64(out, raw, d.t)
	return out, nil
}

// Int64s reads an integer dataset exactly.
func (d *Dataset) Int64s() ([]int64, error) {
	if d.t.class != Integer {
		return nil, d.errorf("holds %s, not integers", d.t)
	}
	raw, n, err := d.raw()
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	decodeInt64(out, raw, d.t)
	return out, nil
}

// maxElements bounds a dataset's element count (2³¹ − 1, the most a Go
// slice of float32 indexes on every platform).
const maxElements = 1<<31 - 1

// raw returns the dataset's bytes in row-major order and its element count.
func (d *Dataset) raw() ([]byte, int, error) {
	if d.t.class != Integer && d.t.class != Float {
		return nil, 0, d.errorf("holds %s, not numbers", d.t)
	}
	n, err := d.space.count(maxElements)
	if err != nil {
		return nil, 0, d.errorf("%v", err)
	}
	total := n * uint64(d.t.size)
	lm := d.o.find(msgLayout)
	if lm == nil {
		return nil, 0, d.errorf("no layout message")
	}
	pipe, err := d.filters()
	if err != nil {
		return nil, 0, d.errorf("%v", err)
	}
	limit := uint64(d.f.MaxBytes)
	if d.f.MaxBytes < 0 {
		limit = 0
	}
	if len(pipe) > 0 {
		limit = min(limit, 1100*d.f.size+1<<16)
	} else {
		limit = min(limit, d.f.size)
	}
	if total > limit {
		return nil, 0, d.errorf("%v of %s (%d bytes) is more than this %d-byte file can hold (limit %d bytes)",
			d.space.dims, d.t, total, d.f.size, limit)
	}
	c := &cursor{b: lm.data}
	v := c.u8()
	if v < 3 || v > 4 {
		return nil, 0, d.errorf("layout message version %d is not supported (valid: 3, 4)", v)
	}
	class := c.u8()
	switch class {
	case 0: // compact
		size := int(c.u16())
		data := c.bytes(size)
		if c.err != nil || uint64(size) < total {
			return nil, 0, d.errorf("compact data of %d bytes, want %d", size, total)
		}
		return data[:total], int(n), nil
	case 1: // contiguous
		addr, size := c.uN(d.f.offSize), c.uN(d.f.lenSize)
		if c.err != nil {
			return nil, 0, d.errorf("layout: %v", c.err)
		}
		if len(pipe) > 0 {
			return nil, 0, d.errorf("filters on contiguous storage are not supported")
		}
		if total == 0 {
			return nil, 0, nil
		}
		if addr == undef {
			return make([]byte, total), int(n), nil // never written: fill value 0
		}
		if size < total {
			return nil, 0, d.errorf("contiguous storage of %d bytes, want %d", size, total)
		}
		b, err := d.f.at(addr, total)
		if err != nil {
			return nil, 0, d.errorf("%v", err)
		}
		return b, int(n), nil
	case 2:
		out, err := d.chunked(c, v, total, pipe)
		if err != nil {
			return nil, 0, d.errorf("%v", err)
		}
		return out, int(n), nil
	case 3:
		return nil, 0, d.errorf("virtual storage is not supported")
	}
	return nil, 0, d.errorf("layout class %d is not supported", class)
}

type filter struct {
	id   uint16
	data []uint32
}

func (d *Dataset) filters() ([]filter, error) {
	if d.o.find(msgExternal) != nil {
		return nil, errors.New("external storage is not supported")
	}
	m := d.o.find(msgFilters)
	if m == nil {
		return nil, nil
	}
	c := &cursor{b: m.data}
	v := c.u8()
	n := int(c.u8())
	if v == 1 {
		c.skip(6)
	} else if v != 2 {
		return nil, fmt.Errorf("filter pipeline version %d is not supported", v)
	}
	if n > 32 {
		return nil, fmt.Errorf("filter pipeline of %d filters", n)
	}
	var out []filter
	for i := 0; i < n; i++ {
		id := c.u16()
		nameLen := 0
		if v == 1 || id >= 256 {
			nameLen = int(c.u16())
		}
		c.u16() // flags
		nv := int(c.u16())
		if v == 1 {
			c.skip(pad8(nameLen))
		} else {
			c.skip(nameLen)
		}
		if nv > 256 {
			return nil, fmt.Errorf("filter %d has %d parameters", id, nv)
		}
		fl := filter{id: id}
		for j := 0; j < nv; j++ {
			fl.data = append(fl.data, c.u32())
		}
		if v == 1 && nv%2 == 1 {
			c.skip(4)
		}
		if c.err != nil {
			return nil, fmt.Errorf("filter pipeline: %v", c.err)
		}
		switch id {
		case 1, 2, 3:
		default:
			return nil, fmt.Errorf("filter %d is not supported (valid: deflate 1, shuffle 2, fletcher32 3)", id)
		}
		out = append(out, fl)
	}
	return out, nil
}

// unfilter undoes the pipeline on one chunk (in reverse order), skipping
// the filters whose bit is set in mask; the result must be want bytes.
func unfilter(b []byte, pipe []filter, mask uint32, want uint64) ([]byte, error) {
	for i := len(pipe) - 1; i >= 0; i-- {
		if i < 32 && mask&(1<<i) != 0 {
			continue
		}
		switch pipe[i].id {
		case 1:
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("deflate: %v", err)
			}
			out := make([]byte, want)
			if _, err := io.ReadFull(zr, out); err != nil {
				return nil, fmt.Errorf("deflate: chunk decodes to fewer than %d bytes: %v", want, err)
			}
			var one [1]byte
			if k, _ := zr.Read(one[:]); k > 0 {
				return nil, fmt.Errorf("deflate: chunk decodes to more than %d bytes", want)
			}
			b = out
		case 2:
			size := 1
			if len(pipe[i].data) > 0 {
				size = int(pipe[i].data[0])
			}
			if size < 1 || size > 64 {
				return nil, fmt.Errorf("shuffle: element size %d", size)
			}
			b = unshuffle(b, size)
		case 3:
			if len(b) < 4 {
				return nil, errors.New("fletcher32: chunk shorter than its checksum")
			}
			b = b[:len(b)-4]
		}
	}
	if uint64(len(b)) < want {
		return nil, fmt.Errorf("chunk holds %d bytes, want %d", len(b), want)
	}
	return b[:want], nil
}

func unshuffle(b []byte, size int) []byte {
	n := len(b) / size
	out := make([]byte, len(b))
	for j := 0; j < size; j++ {
		for i := 0; i < n; i++ {
			out[i*size+j] = b[j*n+i]
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}

type chunk struct {
	offset []uint64 // element offset of the chunk, per dimension
	addr   uint64
	size   uint64 // stored bytes
	mask   uint32
}

// chunked reads a chunked dataset, after the layout message's version and
// class bytes.
func (d *Dataset) chunked(c *cursor, v uint8, total uint64, pipe []filter) ([]byte, error) {
	rank := len(d.space.dims)
	var cdims []uint64
	var chunks []chunk
	var err error
	if v == 3 {
		nd := int(c.u8())
		addr := c.uN(d.f.offSize)
		for i := 0; i < nd; i++ {
			cdims = append(cdims, uint64(c.u32()))
		}
		if c.err != nil {
			return nil, fmt.Errorf("layout: %v", c.err)
		}
		if nd != rank+1 {
			return nil, fmt.Errorf("chunk of rank %d for a dataset of rank %d", nd-1, rank)
		}
		if cdims[rank] != uint64(d.t.size) {
			return nil, fmt.Errorf("chunk element size %d, the datatype's is %d", cdims[rank], d.t.size)
		}
		cdims = cdims[:rank]
		if err := checkChunkDims(cdims); err != nil {
			return nil, err
		}
		if addr != undef {
			chunks, err = d.btreeChunks(addr, rank, total)
		}
	} else {
		flags := c.u8()
		nd := int(c.u8())
		enc := int(c.u8())
		for i := 0; i < nd; i++ {
			cdims = append(cdims, c.uN(enc))
		}
		idx := c.u8()
		if c.err != nil {
			return nil, fmt.Errorf("layout: %v", c.err)
		}
		if nd != rank+1 {
			return nil, fmt.Errorf("chunk of rank %d for a dataset of rank %d", nd-1, rank)
		}
		cdims = cdims[:rank]
		if err := checkChunkDims(cdims); err != nil {
			return nil, err
		}
		chunks, err = d.indexChunks(c, idx, flags, cdims)
	}
	if err != nil {
		return nil, err
	}
	return d.assemble(chunks, cdims, total, pipe)
}

func checkChunkDims(cdims []uint64) error {
	n := uint64(1)
	for _, x := range cdims {
		if x == 0 || x > maxElements || n > maxElements/x {
			return fmt.Errorf("chunk dimensions %v are not supported", cdims)
		}
		n *= x
	}
	return nil
}

// grid returns the number of chunks along each dimension.
func (d *Dataset) grid(cdims []uint64) ([]uint64, uint64) {
	g := make([]uint64, len(cdims))
	n := uint64(1)
	for i, x := range cdims {
		g[i] = (d.space.dims[i] + x - 1) / x
		n *= g[i]
	}
	return g, n
}

// offsets returns the element offset of the linear chunk index k.
func offsets(k uint64, g, cdims []uint64) []uint64 {
	off := make([]uint64, len(g))
	for i := len(g) - 1; i >= 0; i-- {
		if g[i] > 0 {
			off[i] = (k % g[i]) * cdims[i]
			k /= g[i]
		}
	}
	return off
}

func (d *Dataset) btreeChunks(root uint64, rank int, total uint64) ([]chunk, error) {
	keySize := 8 + 8*(rank+1)
	var out []chunk
	seen := map[uint64]bool{}
	var visit func(addr uint64, depth int) error
	visit = func(addr uint64, depth int) error {
		if depth > maxDepth {
			return errors.New("chunk B-tree is too deep")
		}
		if seen[addr] {
			return fmt.Errorf("chunk B-tree node at %d is visited twice", addr)
		}
		seen[addr] = true
		node, err := d.f.btreeNode(addr, 1, keySize)
		if err != nil {
			return err
		}
		for _, ch := range node.children {
			if node.level > 0 {
				if err := visit(ch.addr, depth+1); err != nil {
					return err
				}
				continue
			}
			kc := &cursor{b: ch.key}
			k := chunk{size: uint64(kc.u32()), mask: kc.u32(), addr: ch.addr}
			for i := 0; i < rank; i++ {
				k.offset = append(k.offset, kc.uN(8))
			}
			if uint64(len(out)) > total {
				return errors.New("more chunks than elements")
			}
			out = append(out, k)
		}
		return nil
	}
	return out, visit(root, 0)
}

// indexChunks lists the chunks of a version 4 layout's chunk index.
func (d *Dataset) indexChunks(c *cursor, idx, flags uint8, cdims []uint64) ([]chunk, error) {
	g, nchunks := d.grid(cdims)
	filtered := flags&2 != 0
	switch idx {
	case 1: // single chunk
		k := chunk{offset: make([]uint64, len(cdims))}
		if filtered {
			k.size = c.uN(d.f.lenSize)
			k.mask = c.u32()
		}
		k.addr = c.uN(d.f.offSize)
		if c.err != nil {
			return nil, fmt.Errorf("single-chunk index: %v", c.err)
		}
		if !filtered {
			k.size = chunkBytes(cdims, d.t.size)
		}
		if k.addr == undef {
			return nil, nil
		}
		return []chunk{k}, nil
	case 2: // implicit: the chunks one after another
		addr := c.uN(d.f.offSize)
		if c.err != nil {
			return nil, fmt.Errorf("implicit index: %v", c.err)
		}
		if addr == undef {
			return nil, nil
		}
		cb := chunkBytes(cdims, d.t.size)
		if cb == 0 || nchunks > d.f.size/cb {
			return nil, fmt.Errorf("implicit index of %d chunks of %d bytes is larger than the file", nchunks, cb)
		}
		var out []chunk
		for k := uint64(0); k < nchunks; k++ {
			out = append(out, chunk{offset: offsets(k, g, cdims), addr: addr + k*cb, size: cb})
		}
		return out, nil
	case 3:
		c.u8() // page bits
		addr := c.uN(d.f.offSize)
		if c.err != nil {
			return nil, fmt.Errorf("fixed-array index: %v", c.err)
		}
		if addr == undef {
			return nil, nil
		}
		return d.fixedArray(addr, g, nchunks, cdims, filtered)
	case 4:
		return nil, errors.New("the extensible-array chunk index (a dataset with one unlimited dimension) is not supported")
	case 5:
		return nil, errors.New("the v2 B-tree chunk index (a dataset with several unlimited dimensions) is not supported")
	}
	return nil, fmt.Errorf("chunk index type %d is not supported", idx)
}

func chunkBytes(cdims []uint64, size int) uint64 {
	n := uint64(size)
	for _, x := range cdims {
		n *= x
	}
	return n
}

func (d *Dataset) fixedArray(addr uint64, g []uint64, nchunks uint64, cdims []uint64, filtered bool) ([]chunk, error) {
	f := d.f
	hdr, err := f.at(addr, uint64(4+1+1+1+1+f.lenSize+f.offSize+4))
	if err != nil {
		return nil, fmt.Errorf("fixed-array header: %v", err)
	}
	c := &cursor{b: hdr}
	if !bytes.Equal(c.bytes(4), []byte("FAHD")) {
		return nil, fmt.Errorf("fixed-array header at %d has no FAHD signature", addr)
	}
	c.u8()
	client := c.u8()
	esize := int(c.u8())
	pageBits := int(c.u8())
	n := c.uN(f.lenSize)
	dblock := c.uN(f.offSize)
	if n != nchunks {
		return nil, fmt.Errorf("fixed array of %d entries for %d chunks", n, nchunks)
	}
	filtered = client == 1 // the layout's flag is for the single-chunk index only
	if client > 1 || esize < f.offSize || (filtered && esize < f.offSize+5) || esize > 64 {
		return nil, fmt.Errorf("fixed array of client %d with %d-byte entries is not supported", client, esize)
	}
	if pageBits > 32 {
		return nil, fmt.Errorf("fixed array page bits %d", pageBits)
	}
	if n > f.size/uint64(esize) {
		return nil, fmt.Errorf("fixed array of %d entries is larger than the file", n)
	}
	prefix := uint64(4 + 1 + 1 + f.offSize)
	perPage := uint64(1) << pageBits
	paged := n > perPage
	var entries []byte
	if !paged {
		b, err := f.at(dblock+prefix, n*uint64(esize))
		if err != nil {
			return nil, fmt.Errorf("fixed-array data block: %v", err)
		}
		entries = b
	} else {
		pages := (n + perPage - 1) / perPage
		pos := dblock + prefix + (pages+7)/8 + 4 // page bitmap and checksum
		for p := uint64(0); p < pages; p++ {
			k := min(perPage, n-p*perPage)
			b, err := f.at(pos, k*uint64(esize))
			if err != nil {
				return nil, fmt.Errorf("fixed-array page %d: %v", p, err)
			}
			entries = append(entries, b...)
			pos += k*uint64(esize) + 4
		}
	}
	ec := &cursor{b: entries}
	var out []chunk
	for k := uint64(0); k < n; k++ {
		ch := chunk{offset: offsets(k, g, cdims), addr: ec.uN(f.offSize)}
		if filtered {
			ch.size = ec.uN(esize - f.offSize - 4)
			ch.mask = ec.u32()
		} else {
			ch.size = chunkBytes(cdims, d.t.size)
		}
		if ch.addr != undef {
			out = append(out, ch)
		}
	}
	return out, ec.err
}

// assemble decodes the chunks and copies them into the dataset's
// row-major buffer of total bytes, clipping edge chunks.
func (d *Dataset) assemble(chunks []chunk, cdims []uint64, total uint64, pipe []filter) ([]byte, error) {
	rank := len(cdims)
	es := uint64(d.t.size)
	want := chunkBytes(cdims, d.t.size)
	if want > d.f.size*1100+1<<16 || (len(pipe) == 0 && want > d.f.size) {
		return nil, fmt.Errorf("chunk of %v elements is more than the file can hold", cdims)
	}
	out := make([]byte, total)
	if total == 0 {
		return out, nil
	}
	dims := d.space.dims
	// strides of the dataset and of a chunk, in elements
	ds := make([]uint64, rank)
	cs := make([]uint64, rank)
	s, t := uint64(1), uint64(1)
	for i := rank - 1; i >= 0; i-- {
		ds[i], cs[i] = s, t
		s *= dims[i]
		t *= cdims[i]
	}
	// Each chunk is decoded whole: bound the work by the dataset's size
	// (a list that names one chunk many times could not pass).
	limit := uint64(d.f.MaxBytes)
	var work uint64
	for _, ch := range chunks {
		if work += want; work > 2*max(total, limit)+want {
			return nil, fmt.Errorf("chunks decode to more than twice the dataset's %d bytes", total)
		}
		for i, o := range ch.offset {
			if o >= dims[i] || o%cdims[i] != 0 {
				return nil, fmt.Errorf("chunk at %v is outside the dataset %v or not on the chunk grid", ch.offset, dims)
			}
		}
		if ch.size > d.f.size {
			return nil, fmt.Errorf("chunk at %v of %d bytes is larger than the file", ch.offset, ch.size)
		}
		raw, err := d.f.at(ch.addr, ch.size)
		if err != nil {
			return nil, fmt.Errorf("chunk at %v: %v", ch.offset, err)
		}
		b, err := unfilter(raw, pipe, ch.mask, want)
		if err != nil {
			return nil, fmt.Errorf("chunk at %v: %v", ch.offset, err)
		}
		if rank == 0 {
			copy(out, b)
			continue
		}
		// Copy row by row along the last dimension.
		run := min(cdims[rank-1], dims[rank-1]-ch.offset[rank-1])
		idx := make([]uint64, rank) // position inside the chunk, last dim 0
		for {
			var src, dst uint64
			inside := true
			for i := 0; i < rank; i++ {
				if ch.offset[i]+idx[i] >= dims[i] {
					inside = false
					break
				}
				src += idx[i] * cs[i]
				dst += (ch.offset[i] + idx[i]) * ds[i]
			}
			if inside {
				copy(out[dst*es:(dst+run)*es], b[src*es:(src+run)*es])
			}
			i := rank - 2
			for ; i >= 0; i-- {
				idx[i]++
				if idx[i] < cdims[i] {
					break
				}
				idx[i] = 0
			}
			if i < 0 {
				break
			}
		}
	}
	return out, nil
}
