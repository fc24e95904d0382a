package saving

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/neurona/neurona/tensor"
)

// ReadFile reads the safetensors file at path. path must be a regular file
// (or a symbolic link to one): a named pipe, directory, device or socket is
// refused before it is opened, since opening or reading one may block or
// never end.
func ReadFile(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("saving: %s: not a regular file (%s)", path, fileKind(st.Mode()))
	}
	// Opened without blocking, in case path was replaced by a FIFO since
	// the Stat; the open file is checked again.
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("saving: %s: not a regular file (%s)", path, fileKind(st.Mode()))
	}
	file, err := read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("saving: %s: %w", path, err)
	}
	return file, nil
}

// Read reads a safetensors file of size bytes from r. Tensors of dtype F32,
// F16, BF16 and F64 are converted to float32; tensors of dtype I64, I32 and
// U32 are read exactly into Entry.Ints and also converted to float32 in
// Entry.Tensor; any other dtype is an error.
//
// The file is checked as the safetensors specification requires before any
// tensor is allocated: the header is at most MaxHeaderSize bytes of UTF-8
// JSON with no duplicate keys, metadata values are strings, every shape
// matches its data_offsets, and the tensors cover the data buffer exactly,
// without holes or overlaps. A malformed file gives an error matching
// ErrFormat.
func Read(r io.ReaderAt, size int64) (*File, error) {
	f, err := read(r, size)
	if err != nil {
		return nil, fmt.Errorf("saving: %w", err)
	}
	return f, nil
}

func read(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, errorf("file is %d bytes, too short for the 8-byte header length", max(size, 0))
	}
	var nb [8]byte
	if err := readFull(r, nb[:], 0); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(nb[:])
	if n > MaxHeaderSize || n > uint64(size-8) {
		// A safetensors header is a JSON object: without a '{' after the
		// length, this is some other kind of file, not a damaged model.
		var first [1]byte
		isHeader := size > 8 && readFull(r, first[:], 8) == nil && first[0] == '{'
		switch {
		case !isHeader && n > MaxHeaderSize:
			return nil, errorf("%s: header length %d exceeds the limit of %d bytes (the first 8 bytes are %q)", notModel, n, MaxHeaderSize, nb[:])
		case !isHeader:
			return nil, errorf("%s: header length %d, but only %d bytes follow it (the first 8 bytes are %q)", notModel, n, size-8, nb[:])
		case n > MaxHeaderSize:
			return nil, errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
		default:
			return nil, errorf("header length %d, but only %d bytes follow it (truncated file?)", n, size-8)
		}
	}
	header := make([]byte, n)
	if err := readFull(r, header, 8); err != nil {
		return nil, err
	}
	metadata, infos, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	bufStart := 8 + int64(n)
	if err := checkLayout(infos, uint64(size-bufStart)); err != nil {
		return nil, err
	}

	f := &File{Metadata: metadata, Entries: make([]Entry, len(infos))}
	var raw []byte
	for i, info := range infos {
		t := tensor.New(info.shape...)
		var ints *IntTensor
		if info.dtype.decodeInt != nil {
			ints = &IntTensor{Shape: slices.Clone(info.shape), Data: make([]int64, len(t.Data))}
		}
		nbytes := info.end - info.begin
		// Decode in chunks so that a tensor never needs a second full-size
		// buffer; the chunk holds whole elements.
		chunk := int(min(nbytes, 1<<20))
		if cap(raw) < chunk {
			raw = make([]byte, chunk)
		}
		per := chunk / max(info.dtype.size, 1)
		for done := 0; done < len(t.Data); {
			k := min(len(t.Data)-done, per)
			buf := raw[:k*info.dtype.size]
			off := bufStart + int64(info.begin) + int64(done*info.dtype.size)
			if err := readFull(r, buf, off); err != nil {
				return nil, err
			}
			info.dtype.decode(t.Data[done:done+k], buf)
			if ints != nil {
				info.dtype.decodeInt(ints.Data[done:done+k], buf)
			}
			done += k
		}
		f.Entries[i] = Entry{Name: info.name, Tensor: t, Ints: ints}
	}
	return f, nil
}

// fileKind names the type of a file that is not regular.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0, m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "file mode " + m.String()
}

// notModel starts the error for a file that has no safetensors header at all
// (a CSV file, say), as opposed to a damaged one.
const notModel = "not a neurona model file (no safetensors header)"

// readFull reads len(buf) bytes at off; a short read is a truncated file.
func readFull(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return errorf("unexpected end of file reading %d bytes at offset %d", len(buf), off)
	}
	return fmt.Errorf("read at offset %d: %w", off, err)
}

// tensorInfo is one tensor's header entry, checked against its dtype.
type tensorInfo struct {
	name       string
	dtype      dtype
	shape      []int
	begin, end uint64
}

// checkLayout checks each tensor's offsets against its shape and the data
// buffer's length, then sorts infos by offset and checks that they cover the
// buffer exactly.
func checkLayout(infos []tensorInfo, bufLen uint64) error {
	for _, t := range infos {
		elems, ok := uint64(1), true
		for _, d := range t.shape {
			hi, lo := bits.Mul64(elems, uint64(d))
			if hi != 0 || lo > math.MaxInt {
				ok = false
				break
			}
			elems = lo
		}
		hi, need := bits.Mul64(elems, uint64(t.dtype.size))
		if !ok || hi != 0 || need > math.MaxInt {
			return errorf("tensor %q: shape %v is too large", t.name, t.shape)
		}
		if t.end < t.begin {
			return errorf("tensor %q: data_offsets [%d %d] end before they begin", t.name, t.begin, t.end)
		}
		if got := t.end - t.begin; got != need {
			return errorf("tensor %q: shape %v needs %d bytes of %s, data_offsets give %d", t.name, t.shape, need, t.dtype.name, got)
		}
		if t.end > bufLen {
			return errorf("tensor %q: data_offsets [%d %d] run past the %d-byte data buffer (truncated file?)", t.name, t.begin, t.end, bufLen)
		}
	}
	slices.SortStableFunc(infos, func(a, b tensorInfo) int {
		if a.begin != b.begin {
			return cmpU64(a.begin, b.begin)
		}
		return cmpU64(a.end, b.end)
	})
	var at uint64
	for i, t := range infos {
		if t.begin < at {
			p := infos[i-1]
			return errorf("tensor %q: data_offsets [%d %d] overlap tensor %q's [%d %d]", t.name, t.begin, t.end, p.name, p.begin, p.end)
		}
		if t.begin > at {
			return errorf("data buffer bytes [%d %d) belong to no tensor (before tensor %q)", at, t.begin, t.name)
		}
		at = t.end
	}
	if at != bufLen {
		return errorf("data buffer is %d bytes but its tensors end at byte %d", bufLen, at)
	}
	return nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// headerParser reads the JSON header token by token, so that it can reject
// duplicate keys (which encoding/json would silently merge) and bound shapes
// as it goes.
type headerParser struct {
	dec *json.Decoder
}

func parseHeader(header []byte) (map[string]string, []tensorInfo, error) {
	if !utf8.Valid(header) {
		return nil, nil, errorf("%s: header is not valid UTF-8", notModel)
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, errorf("%s: header does not start with '{'", notModel)
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	p := &headerParser{dec: dec}
	metadata := map[string]string{}
	var infos []tensorInfo
	if err := p.delim('{', "header"); err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for dec.More() {
		key, err := p.key("header")
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			if key == metadataKey {
				return nil, nil, errorf("header: duplicate %q", key)
			}
			return nil, nil, errorf("tensor %q: duplicate name", key)
		}
		seen[key] = true
		if key == metadataKey {
			if err := p.metadata(metadata); err != nil {
				return nil, nil, err
			}
			continue
		}
		info, err := p.tensor(key)
		if err != nil {
			return nil, nil, err
		}
		infos = append(infos, info)
	}
	if err := p.delim('}', "header"); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errorf("header: unexpected data after the JSON object at byte %d", dec.InputOffset())
	}
	return metadata, infos, nil
}

func (p *headerParser) token(where string) (json.Token, error) {
	tok, err := p.dec.Token()
	if err == io.EOF {
		return nil, errorf("%s: header JSON ends early", where)
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, errorf("%s: header is not valid JSON at byte %d: %v", where, se.Offset, err)
		}
		return nil, errorf("%s: header is not valid JSON: %v", where, err)
	}
	return tok, nil
}

func (p *headerParser) delim(want json.Delim, where string) error {
	tok, err := p.token(where)
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errorf("%s: want %q at byte %d, found %s", where, string(want), p.dec.InputOffset(), describe(tok))
	}
	return nil
}

func (p *headerParser) key(where string) (string, error) {
	tok, err := p.token(where)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", errorf("%s: want a key at byte %d, found %s", where, p.dec.InputOffset(), describe(tok))
	}
	return s, nil
}

// metadata reads the "__metadata__" object (or null) into m.
func (p *headerParser) metadata(m map[string]string) error {
	const where = metadataKey
	tok, err := p.token(where)
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errorf("%s: want an object of strings, found %s", where, describe(tok))
	}
	for p.dec.More() {
		k, err := p.key(where)
		if err != nil {
			return err
		}
		if _, dup := m[k]; dup {
			return errorf("%s: duplicate key %q", where, k)
		}
		tok, err := p.token(where)
		if err != nil {
			return err
		}
		v, ok := tok.(string)
		if !ok {
			return errorf("%s: key %q: value is %s, want a string", where, k, describe(tok))
		}
		m[k] = v
	}
	return p.delim('}', where)
}

// tensor reads one tensor's {"dtype", "shape", "data_offsets"} object.
// Unknown fields are skipped, as the reference implementation does.
func (p *headerParser) tensor(name string) (tensorInfo, error) {
	where := fmt.Sprintf("tensor %q", name)
	info := tensorInfo{name: name}
	if err := p.delim('{', where); err != nil {
		return info, err
	}
	var haveDtype, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key(where)
		if err != nil {
			return info, err
		}
		switch field {
		case "dtype":
			if haveDtype {
				return info, errorf("%s: duplicate field %q", where, field)
			}
			haveDtype = true
			tok, err := p.token(where)
			if err != nil {
				return info, err
			}
			s, ok := tok.(string)
			if !ok {
				return info, errorf("%s: dtype is %s, want a string", where, describe(tok))
			}
			dt, ok := readable[s]
			if !ok {
				if otherDtypes[s] {
					return info, errorf("%s: dtype %s is not supported (neurona reads F32, F16, BF16, F64, I64, I32 and U32)", where, s)
				}
				return info, errorf("%s: unknown dtype %q", where, s)
			}
			info.dtype = dt
		case "shape":
			if haveShape {
				return info, errorf("%s: duplicate field %q", where, field)
			}
			haveShape = true
			dims, err := p.uints(where, "shape", maxDims)
			if err != nil {
				return info, err
			}
			info.shape = make([]int, len(dims))
			for i, d := range dims {
				if d > math.MaxInt {
					return info, errorf("%s: shape dimension %d is too large", where, d)
				}
				info.shape[i] = int(d)
			}
		case "data_offsets":
			if haveOffsets {
				return info, errorf("%s: duplicate field %q", where, field)
			}
			haveOffsets = true
			offs, err := p.uints(where, "data_offsets", 2)
			if err != nil {
				return info, err
			}
			if len(offs) != 2 {
				return info, errorf("%s: data_offsets has %d values, want 2", where, len(offs))
			}
			info.begin, info.end = offs[0], offs[1]
		default:
			if err := p.skip(where); err != nil {
				return info, err
			}
		}
	}
	if err := p.delim('}', where); err != nil {
		return info, err
	}
	switch {
	case !haveDtype:
		return info, errorf("%s: missing dtype", where)
	case !haveShape:
		return info, errorf("%s: missing shape", where)
	case !haveOffsets:
		return info, errorf("%s: missing data_offsets", where)
	}
	return info, nil
}

// uints reads an array of at most limit non-negative integers.
func (p *headerParser) uints(where, field string, limit int) ([]uint64, error) {
	if err := p.delim('[', where+": "+field); err != nil {
		return nil, err
	}
	var out []uint64
	for p.dec.More() {
		if len(out) == limit {
			return nil, errorf("%s: %s has more than %d numbers", where, field, limit)
		}
		tok, err := p.token(where)
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, errorf("%s: %s holds %s, want non-negative integers", where, field, describe(tok))
		}
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, errorf("%s: %s holds %s, want a non-negative integer below 2^64", where, field, num)
		}
		out = append(out, v)
	}
	if err := p.delim(']', where+": "+field); err != nil {
		return nil, err
	}
	return out, nil
}

// skip reads and discards one JSON value.
func (p *headerParser) skip(where string) error {
	depth := 0
	for {
		tok, err := p.token(where)
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprintf("%v", tok)
}
