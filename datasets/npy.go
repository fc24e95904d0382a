package datasets

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/neurona/neurona/tensor"
)

// Errors that ReadNPY and ReadNPYFile wrap, for use with errors.Is.
var (
	// ErrNPYBadMagic means the input does not start with "\x93NUMPY" and a
	// known version (1.0, 2.0 or 3.0).
	ErrNPYBadMagic = errors.New("not a .npy file")
	// ErrNPYHeader means a .npy header that is not the dict numpy writes
	// ({'descr': ..., 'fortran_order': ..., 'shape': (...)}), or that is
	// longer than MaxNPYHeader.
	ErrNPYHeader = errors.New("bad .npy header")
	// ErrNPYUnsupported means a header that is well formed but describes
	// data ReadNPY does not read: a dtype other than npyDTypeList, or
	// Fortran order.
	ErrNPYUnsupported = errors.New("unsupported .npy data")
	// ErrNPYTruncated means the data ends before the header's shape is
	// filled.
	ErrNPYTruncated = errors.New("truncated .npy file")
	// ErrNPYSize means the data and the header's shape disagree: bytes after
	// the declared elements, or a shape with more than MaxNPYElements
	// elements (or whose product overflows).
	ErrNPYSize = errors.New(".npy size mismatch")
)

// MaxNPYHeader is the longest header dict ReadNPY accepts, in bytes. numpy
// itself refuses headers over 10,000 bytes by default.
var MaxNPYHeader = 1 << 16

// MaxNPYElements is the most elements a .npy header may declare; ReadNPY
// refuses larger shapes before reading any data. The default, 2^28 (1 GiB
// as float32), holds the Quick, Draw! apple bitmaps (144,722×784, 113 Mi
// elements) twice over.
var MaxNPYElements int64 = 1 << 28

// npyGrowStep is how many elements ReadNPY allocates ahead of the data.
const npyGrowStep = 1 << 20

// npyDTypes are the dtypes ReadNPY reads, by their descr without the byte
// order character.
var npyDTypes = map[string]int{"u1": 1, "i4": 4, "i8": 8, "f4": 4, "f8": 8}

const npyDTypeList = "'|u1', '<i4', '<i8', '<f4', '<f8' (uint8, little-endian int32, int64, float32, float64)"

// ReadNPY reads one .npy file (numpy.save's format, versions 1.0, 2.0 and
// 3.0) from r and returns a float32 tensor with its shape, in C order. It
// reads uint8, int32, int64, float32 and float64 arrays, little-endian;
// int32, int64 and float64 values that float32 cannot hold are rounded. A
// 0-dimensional array becomes a tensor of shape [1].
//
// ReadNPY reads r to the end: bytes after the declared data are an error
// (ErrNPYSize). Bad input gives an error wrapping ErrNPYBadMagic,
// ErrNPYHeader, ErrNPYUnsupported (big-endian or other dtypes, Fortran
// order), ErrNPYTruncated or ErrNPYSize. Memory grows with the data that
// actually arrives, so a header that lies about its shape cannot make
// ReadNPY reserve much more than the input fills.
func ReadNPY(r io.Reader) (*tensor.Tensor, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var pre [8]byte
	if n, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: %d bytes, a .npy file starts with 8 bytes \"\\x93NUMPY\" and a version", ErrNPYBadMagic, n)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%w: magic %q, want \"\\x93NUMPY\"", ErrNPYBadMagic, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: the header length is cut short", ErrNPYTruncated)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: the header length is cut short", ErrNPYTruncated)
		}
		l := binary.LittleEndian.Uint32(b[:])
		if uint64(l) > uint64(MaxNPYHeader) {
			return nil, fmt.Errorf("%w: header of %d bytes, more than datasets.MaxNPYHeader (%d)", ErrNPYHeader, l, MaxNPYHeader)
		}
		hlen = int(l)
	default:
		return nil, fmt.Errorf("%w: version %d.%d, want 1.0, 2.0 or 3.0", ErrNPYBadMagic, major, minor)
	}
	if hlen > MaxNPYHeader {
		return nil, fmt.Errorf("%w: header of %d bytes, more than datasets.MaxNPYHeader (%d)", ErrNPYHeader, hlen, MaxNPYHeader)
	}
	hdr := make([]byte, hlen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("%w: header declares %d bytes, the input has %d", ErrNPYTruncated, hlen, n)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, fmt.Errorf("%w: fortran_order True (shape %s); only C order is read: save np.ascontiguousarray(a)",
			ErrNPYUnsupported, tensor.ShapeString(shape))
	}
	size, err := npyDType(descr)
	if err != nil {
		return nil, err
	}
	total := int64(1)
	for _, d := range shape {
		if d == 0 {
			total = 0
			break
		}
	}
	if total != 0 {
		for _, d := range shape {
			if int64(d) > MaxNPYElements/total {
				return nil, fmt.Errorf("%w: shape %s has more than datasets.MaxNPYElements (%d) elements",
					ErrNPYSize, tensor.ShapeString(shape), MaxNPYElements)
			}
			total *= int64(d)
		}
	}
	if total > int64(math.MaxInt) {
		return nil, fmt.Errorf("%w: shape %s does not fit this platform's int", ErrNPYSize, tensor.ShapeString(shape))
	}
	n := int(total)
	out := make([]float32, 0, min(n, npyGrowStep))
	buf := make([]byte, 1<<16)
	for len(out) < n {
		want := min((n-len(out))*size, len(buf))
		got, err := io.ReadFull(br, buf[:want])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: shape %s of %s needs %d data bytes, the input has %d",
					ErrNPYTruncated, tensor.ShapeString(shape), descr, total*int64(size), int64(len(out))*int64(size)+int64(got))
			}
			return nil, fmt.Errorf("npy: reading the data: %w", err)
		}
		out = appendNPY(out, buf[:got], descr[1:])
	}
	if extra, _ := br.Read(buf[:1]); extra > 0 {
		return nil, fmt.Errorf("%w: data continues after the %d bytes that shape %s of %s declares",
			ErrNPYSize, total*int64(size), tensor.ShapeString(shape), descr)
	}
	if len(shape) == 0 {
		shape = []int{1}
	}
	return tensor.FromSlice(out, shape...), nil
}

// ReadNPYFile reads the .npy file at path (see ReadNPY); its errors name
// the path.
func ReadNPYFile(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// npyDType checks a descr and returns its element size.
func npyDType(descr string) (int, error) {
	if len(descr) >= 2 {
		order, code := descr[0], descr[1:]
		if size, ok := npyDTypes[code]; ok {
			switch {
			case order == '<' || (size == 1 && order == '|'):
				return size, nil
			case order == '>' && size > 1:
				return 0, fmt.Errorf("%w: dtype %q is big-endian; valid dtypes are %s", ErrNPYUnsupported, descr, npyDTypeList)
			}
		}
	}
	return 0, fmt.Errorf("%w: dtype %q; valid dtypes are %s", ErrNPYUnsupported, descr, npyDTypeList)
}

// appendNPY converts whole little-endian elements of b to float32.
func appendNPY(out []float32, b []byte, code string) []float32 {
	switch code {
	case "u1":
		for _, v := range b {
			out = append(out, float32(v))
		}
	case "i4":
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, float32(int32(binary.LittleEndian.Uint32(b[i:]))))
		}
	case "i8":
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, float32(int64(binary.LittleEndian.Uint64(b[i:]))))
		}
	case "f4":
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case "f8":
		for i := 0; i+8 <= len(b); i += 8 {
			out = append(out, float32(math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))))
		}
	}
	return out
}

// parseNPYHeader parses the Python dict literal of a .npy header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } with any
// whitespace, ended by a newline and padding.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &npyParser{s: h}
	fail := func(format string, a ...any) (string, bool, []int, error) {
		return "", false, nil, fmt.Errorf("%w: %s at byte %d of %q", ErrNPYHeader, fmt.Sprintf(format, a...), p.i, clip(h, 200))
	}
	if !p.eat('{') {
		return fail("want '{'")
	}
	seen := map[string]bool{}
	for {
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return fail("want a quoted key or '}'")
		}
		if seen[key] {
			return fail("key %q repeated", key)
		}
		seen[key] = true
		if !p.eat(':') {
			return fail("want ':' after %q", key)
		}
		switch key {
		case "descr":
			if descr, ok = p.str(); !ok {
				return fail("descr must be a string such as '<f4' (structured dtypes are not read)")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
				fortran = false
			default:
				return fail("fortran_order must be True or False")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return fail("shape must be a tuple of non-negative integers")
			}
		default:
			return fail("unknown key %q", key)
		}
		if p.eat(',') {
			continue
		}
		if !p.eat('}') {
			return fail("want ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(h) {
		return fail("trailing bytes after the dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return fail("missing key %q", k)
		}
	}
	return descr, fortran, shape, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

type npyParser struct {
	s string
	i int
}

func (p *npyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *npyParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *npyParser) word(w string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a '…' or "…" string without escapes.
func (p *npyParser) str() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple reads (), (n,) or (n, m, ...) of non-negative integers, with an
// optional trailing comma; at most 32 dimensions, as numpy allows.
func (p *npyParser) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, true
		}
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, false
		}
		d, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil || d > int64(math.MaxInt) {
			return nil, false
		}
		p.i = j
		if len(shape) == 32 {
			return nil, false
		}
		shape = append(shape, int(d))
		if p.eat(',') {
			continue
		}
		if !p.eat(')') {
			return nil, false
		}
		return shape, true
	}
}
