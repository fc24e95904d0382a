package datasets

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"slices"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// fuzzIDXFile builds an IDX file: magic (0, 0, code, len(dims)), the dims
// and the payload.
func fuzzIDXFile(code byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, code, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

// fuzzGzip compresses b as one gzip member.
func fuzzGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// fuzzSizes maps the IDX dtype codes to their element sizes, independently
// of idx.go's table.
var fuzzSizes = map[byte]int{0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}

// fuzzDecode decodes one big-endian element of the given dtype code.
func fuzzDecode(code byte, b []byte) float32 {
	switch code {
	case 0x08:
		return float32(b[0])
	case 0x09:
		return float32(int8(b[0]))
	case 0x0B:
		return float32(int16(binary.BigEndian.Uint16(b)))
	case 0x0C:
		return float32(int32(binary.BigEndian.Uint32(b)))
	case 0x0D:
		return math.Float32frombits(binary.BigEndian.Uint32(b))
	default:
		return float32(math.Float64frombits(binary.BigEndian.Uint64(b)))
	}
}

// fuzzUnknownLen hides a reader's length, so ReadIDX grows its buffer as
// data arrives.
type fuzzUnknownLen struct{ r io.Reader }

func (u fuzzUnknownLen) Read(p []byte) (int, error) { return u.r.Read(p) }

// fuzzSeeds returns valid raw and gzip IDX files, and corrupt ones.
func fuzzSeeds() (good, bad [][]byte) {
	var valid [][]byte
	for code, size := range fuzzSizes {
		payload := make([]byte, 2*3*size)
		for i := range payload {
			payload[i] = byte(37*i + int(code))
		}
		valid = append(valid,
			fuzzIDXFile(code, []uint32{2, 3}, payload),
			fuzzIDXFile(code, []uint32{6}, payload),
			fuzzIDXFile(code, []uint32{1, 2, 1, 3}, payload))
	}
	mnistLike := fuzzIDXFile(0x08, []uint32{3, 4, 4}, bytes.Repeat([]byte{0, 128, 255, 7}, 12))
	labels := fuzzIDXFile(0x08, []uint32{3}, []byte{7, 2, 1})
	empty := fuzzIDXFile(0x08, []uint32{0, 28, 28}, nil)
	big := fuzzIDXFile(0x08, []uint32{1 << 16}, make([]byte, 1<<16)) // crosses the 64 KiB read buffer
	valid = append(valid, mnistLike, labels, empty, big,
		fuzzIDXFile(0x08, []uint32{3, 0, 0xFFFFFFFF}, []byte{}),              // zero then huge
		fuzzIDXFile(0x0D, []uint32{1}, []byte{0x7f, 0xc0, 0, 0}),             // NaN
		fuzzIDXFile(0x0E, []uint32{1}, []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0}), // +Inf
		fuzzIDXFile(0x08, make([]uint32, 255), nil),                          // 255 dims of size 0
	)

	for _, v := range valid {
		good = append(good, v, fuzzGzip(v))
	}
	// The raw 64 KiB file is kept out of the fuzz corpus (its gzip form
	// stays): minimizing inputs derived from it would stall the fuzzer.
	good = slices.DeleteFunc(good, func(b []byte) bool { return len(b) > 1<<16 })
	// Two gzip members make one stream.
	good = append(good, append(fuzzGzip(labels[:6]), fuzzGzip(labels[6:])...))

	corrupt := [][]byte{
		nil,
		{0},
		{0x1f},
		{0x1f, 0x8b},
		{0, 0, 8},
		fuzzIDXFile(0x08, nil, nil), // zero dimensions
		fuzzIDXFile(0x07, []uint32{2}, []byte{1, 2}),             // unknown dtype
		append([]byte{1, 0}, labels[2:]...),                      // bad magic
		fuzzIDXFile(0x08, []uint32{4}, []byte{1, 2, 3}),          // short data
		fuzzIDXFile(0x08, []uint32{2}, []byte{1, 2, 3}),          // trailing data
		fuzzIDXFile(0x0B, []uint32{2}, []byte{1, 2, 3}),          // partial element
		fuzzIDXFile(0x08, []uint32{0xFFFFFFFF, 0xFFFFFFFF}, nil), // overflowing shape
		fuzzIDXFile(0x0E, []uint32{1 << 16, 1 << 15}, []byte{1}), // lying header
		mnistLike[:len(mnistLike)-1],
		mnistLike[:7],
	}
	bad = append(bad, corrupt...)
	for _, c := range corrupt[5:] {
		bad = append(bad, fuzzGzip(c))
	}
	gz := fuzzGzip(mnistLike)
	flipped := append([]byte(nil), gz...)
	flipped[len(flipped)-5] ^= 0xFF // CRC-32 mismatch
	badHeader := append([]byte(nil), gz...)
	badHeader[2] = 7 // not deflate
	bad = append(bad,
		gz[:len(gz)-4], // no trailer size
		gz[:len(gz)/2],
		gz[:10],
		flipped,
		badHeader,
		append(append([]byte(nil), gz...), 0, 0, 0), // garbage after the member
	)
	return good, bad
}

// TestReadIDXFuzzSeeds checks that the seed corpus is what it claims: the
// valid files read and the corrupt ones fail.
func TestReadIDXFuzzSeeds(t *testing.T) {
	good, bad := fuzzSeeds()
	if len(good) < 40 || len(bad) < 20 {
		t.Fatalf("%d valid and %d corrupt seeds", len(good), len(bad))
	}
	for i, s := range good {
		if _, err := ReadIDX(bytes.NewReader(s)); err != nil {
			t.Errorf("valid seed %d: %v", i, err)
		}
	}
	for i, s := range bad {
		if _, err := ReadIDX(bytes.NewReader(s)); err == nil {
			t.Errorf("corrupt seed %d (% x...) read without error", i, s[:min(len(s), 12)])
		}
	}
}

// FuzzReadIDX checks that ReadIDX never panics, that it reads the same with
// and without knowing the input's length, that its errors are the
// documented ones, and that on success the tensor has the header's shape,
// holds exactly the product of that shape in values and decodes them as
// the IDX dtype says.
func FuzzReadIDX(f *testing.F) {
	good, bad := fuzzSeeds()
	for _, s := range append(good, bad...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		known, errKnown := ReadIDX(bytes.NewReader(in))
		unknown, errUnknown := ReadIDX(fuzzUnknownLen{bytes.NewReader(in)})
		if (errKnown == nil) != (errUnknown == nil) {
			t.Fatalf("known length: %v; unknown length: %v", errKnown, errUnknown)
		}
		for _, err := range []error{errKnown, errUnknown} {
			if err != nil && !fuzzDocumentedError(err) {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
		}
		if errKnown != nil {
			return
		}
		raw := in
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err != nil {
				t.Fatalf("ReadIDX accepted a gzip stream that gzip rejects: %v", err)
			}
			raw, err = io.ReadAll(io.LimitReader(zr, 1<<28))
			if err != nil {
				t.Fatalf("ReadIDX accepted a gzip stream that gzip cannot read: %v", err)
			}
		}
		fuzzCheckTensor(t, "known length", raw, known)
		fuzzCheckTensor(t, "unknown length", raw, unknown)
	})
}

// fuzzDocumentedError reports whether err is one that ReadIDX documents: a
// sentinel of this package, or a gzip/deflate format error.
func fuzzDocumentedError(err error) bool {
	var corrupt flate.CorruptInputError
	for _, e := range []error{ErrTruncated, ErrBadMagic, ErrUnsupportedDType, ErrInconsistentShape, ErrTooLarge, gzip.ErrHeader, gzip.ErrChecksum} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.As(err, &corrupt)
}

// fuzzCheckTensor checks a tensor that ReadIDX returned for the raw
// (decompressed) IDX bytes raw against the header and payload.
func fuzzCheckTensor(t *testing.T, how string, raw []byte, x *tensor.Tensor) {
	t.Helper()
	if x == nil {
		t.Fatalf("%s: nil tensor without an error", how)
	}
	if len(raw) < 4 {
		t.Fatalf("%s: success on %d bytes, shorter than a magic number", how, len(raw))
	}
	code, ndim := raw[2], int(raw[3])
	size, ok := fuzzSizes[code]
	if raw[0] != 0 || raw[1] != 0 || !ok || ndim == 0 {
		t.Fatalf("%s: success with magic % x", how, raw[:4])
	}
	if len(raw) < 4+4*ndim {
		t.Fatalf("%s: success with a header cut short", how)
	}
	if len(x.Shape) != ndim {
		t.Fatalf("%s: shape %v, header has %d dims", how, x.Shape, ndim)
	}
	total := 1
	for i := range ndim {
		d := int(binary.BigEndian.Uint32(raw[4+4*i:]))
		if x.Shape[i] != d {
			t.Fatalf("%s: shape %v, header dim %d is %d", how, x.Shape, i, d)
		}
		total *= d
	}
	if len(x.Data) != total || x.Size() != total {
		t.Fatalf("%s: %d values (Size %d) for shape %v", how, len(x.Data), x.Size(), x.Shape)
	}
	payload := raw[4+4*ndim:]
	if len(payload) != total*size {
		t.Fatalf("%s: success with %d data bytes for %d elements of %d bytes", how, len(payload), total, size)
	}
	for i, v := range x.Data {
		want := fuzzDecode(code, payload[i*size:])
		if math.Float32bits(v) != math.Float32bits(want) && !(v != v && want != want) {
			t.Fatalf("%s: element %d is %v, want %v", how, i, v, want)
		}
	}
}
