package saving

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// corrupt are malformed files, each with a fragment of the error it must give.
var corrupt = []struct {
	name string
	raw  []byte
	want string
}{
	{"empty file", nil, "file is 0 bytes"},
	{"short length", []byte{8, 0, 0}, "file is 3 bytes"},
	{"truncated header", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, nil)[:30], "header length 54, but only 22 bytes follow"},
	{"header length over limit", binary.LittleEndian.AppendUint64(nil, MaxHeaderSize+1), "header length 100000001 exceeds the limit"},
	{"header length 2^64-1", binary.LittleEndian.AppendUint64(nil, 1<<64-1), "exceeds the limit"},
	{"lying header length", append(binary.LittleEndian.AppendUint64(nil, 1000), "{}"...), "header length 1000, but only 2 bytes follow"},
	{"zero header length", binary.LittleEndian.AppendUint64(nil, 0), "does not start with '{'"},
	{"header not an object", file(`[1,2]`, nil), "does not start with '{'"},
	{"header invalid utf8", file("{\"\xff\":1}", nil), "not valid UTF-8"},
	{"bad JSON", file(`{"a":{"dtype":"F32",}}`, nil), "not valid JSON"},
	{"unterminated JSON", file(`{"a":{"dtype":"F32"`, nil), "JSON ends early"},
	{"trailing garbage", file(`{} x`, nil), "unexpected data after the JSON object"},
	{"two objects", file(`{}{}`, nil), "unexpected data after the JSON object"},
	{"tensor not object", file(`{"a":[0,4]}`, nil), `tensor "a": want "{"`},
	{"unsupported dtype", file(`{"a":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)), `tensor "a": dtype U64 is not supported`},
	{"unknown dtype", file(`{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `tensor "a": unknown dtype "F33"`},
	{"dtype not string", file(`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "dtype is the number 32"},
	{"missing dtype", file(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "missing dtype"},
	{"missing shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, make([]byte, 4)), "missing shape"},
	{"missing offsets", file(`{"a":{"dtype":"F32","shape":[1]}}`, make([]byte, 4)), "missing data_offsets"},
	{"shape/offset mismatch", file(`{"dense_1/kernel":{"dtype":"F32","shape":[13,32],"data_offsets":[0,1600]}}`, make([]byte, 1600)),
		`tensor "dense_1/kernel": shape [13 32] needs 1664 bytes of F32, data_offsets give 1600`},
	{"F16 size mismatch", file(`{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,12]}}`, make([]byte, 12)), "needs 6 bytes of F16"},
	{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "shape holds -1"},
	{"fractional dim", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), "shape holds 1.5"},
	{"exponent dim", file(`{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, make([]byte, 4)), "shape holds 1e0"},
	{"string dim", file(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, make([]byte, 4)), `shape holds the string "1"`},
	{"dim beyond uint64", file(`{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}`, make([]byte, 4)), "below 2^64"},
	{"dim beyond int", file(`{"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}}`, make([]byte, 4)), "dimension 9223372036854775808 is too large"},
	{"shape product overflows", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil), "shape [4294967296 4294967296] is too large"},
	{"shape bytes overflow", file(`{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}`, nil), "is too large"},
	{"shape bytes wrap to offsets", file(`{"a":{"dtype":"F64","shape":[2305843009213693953],"data_offsets":[0,8]}}`, make([]byte, 8)), "is too large"},
	{"too many dims", file(`{"a":{"dtype":"F32","shape":[`+strings.Repeat("1,", 64)+`1],"data_offsets":[0,4]}}`, make([]byte, 4)), "shape has more than 64 numbers"},
	{"three offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 8)), "data_offsets has more than 2 numbers"},
	{"one offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, make([]byte, 4)), "data_offsets has 1 values, want 2"},
	{"end before begin", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, make([]byte, 8)), "data_offsets [8 4] end before they begin"},
	{"truncated data", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)), "run past the 4-byte data buffer"},
	{"huge offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551610,18446744073709551614]}}`, make([]byte, 4)), "run past"},
	{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
		`tensor "b": data_offsets [4 12] overlap tensor "a"'s [0 8]`},
	{"same range twice", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "overlap"},
	{"empty inside another", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, make([]byte, 8)), `tensor "e"`},
	{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
		`data buffer bytes [4 8) belong to no tensor (before tensor "b")`},
	{"hole at start", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "bytes [0 4) belong to no tensor"},
	{"trailing bytes", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 9)), "data buffer is 9 bytes but its tensors end at byte 4"},
	{"data without tensors", file(`{}`, make([]byte, 4)), "data buffer is 4 bytes but its tensors end at byte 0"},
	{"duplicate name", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), `tensor "a": duplicate name`},
	{"duplicate field", file(`{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `duplicate field "dtype"`},
	{"duplicate metadata", file(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate "__metadata__"`},
	{"duplicate metadata key", file(`{"__metadata__":{"k":"1","k":"2"}}`, nil), `duplicate key "k"`},
	{"metadata value number", file(`{"__metadata__":{"k":1}}`, nil), `key "k": value is the number 1, want a string`},
	{"metadata value object", file(`{"__metadata__":{"k":{"x":"y"}}}`, nil), "value is an object, want a string"},
	{"metadata not object", file(`{"__metadata__":"format"}`, nil), "want an object of strings"},
}

func TestReadCorrupt(t *testing.T) {
	for _, c := range corrupt {
		f, err := Read(bytes.NewReader(c.raw), int64(len(c.raw)))
		if err == nil {
			t.Errorf("%s: Read succeeded: %+v", c.name, f)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want it to contain %q", c.name, msg, c.want)
		}
		if !strings.HasPrefix(msg, "saving: ") {
			t.Errorf("%s: error %q lacks the package prefix", c.name, msg)
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %q does not match ErrFormat", c.name, msg)
		}
	}
}

// TestReadAccepts covers layouts that are unusual but valid.
func TestReadAccepts(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte
	}{
		{"unpadded header", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))},
		{"whitespace", file("{ \"a\" : {\"shape\":[ 1 ], \"dtype\":\"F32\",\n\"data_offsets\":[0, 4]} }\t\n  ", make([]byte, 4))},
		{"offsets out of header order", file(`{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8))},
		{"unknown field", file(`{"a":{"dtype":"F32","extra":{"x":[1,{}]},"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))},
		{"null metadata", file(`{"__metadata__":null}`, nil)},
		{"empty tensors share an offset", file(`{"e1":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"e2":{"dtype":"F16","shape":[3,0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))},
		{"zero dim beside a huge one", file(`{"e":{"dtype":"F32","shape":[0,9223372036854775807],"data_offsets":[0,0]}}`, nil)},
	}
	for _, c := range cases {
		if _, err := Read(bytes.NewReader(c.raw), int64(len(c.raw))); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Out-of-order headers come back in file order.
	raw := cases[2].raw
	f, _ := Read(bytes.NewReader(raw), int64(len(raw)))
	if f.Entries[0].Name != "a" || f.Entries[1].Name != "b" {
		t.Errorf("entries %q, %q: want file order a, b", f.Entries[0].Name, f.Entries[1].Name)
	}
}

// TestReadEveryTruncation reads every prefix of a valid file: each must fail
// cleanly.
func TestReadEveryTruncation(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, []Entry{
		{Name: "w", Tensor: tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)},
		{Name: "b", Tensor: tensor.Full(1, 2)},
	}, map[string]string{"format": "neurona/1"})
	if err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	for n := range len(raw) {
		if _, err := Read(bytes.NewReader(raw[:n]), int64(n)); !errors.Is(err, ErrFormat) {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want a format error", n, len(raw), err)
		}
	}
}

// shortReader claims more bytes than it holds, as a file shrinking under a
// reader would.
type shortReader struct{ r *bytes.Reader }

func (s shortReader) ReadAt(p []byte, off int64) (int, error) { return s.r.ReadAt(p, off) }

type brokenReader struct{}

func (brokenReader) ReadAt(p []byte, off int64) (int, error) { return 0, errors.New("device gone") }

func TestReadReaderFailures(t *testing.T) {
	raw := file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))
	_, err := Read(shortReader{bytes.NewReader(raw[:len(raw)-2])}, int64(len(raw)))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "unexpected end of file") {
		t.Errorf("short reader: err = %v", err)
	}
	_, err = Read(brokenReader{}, 100)
	if err == nil || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "device gone") {
		t.Errorf("broken reader: err = %v, want the I/O error, not a format error", err)
	}
	if _, err := Read(bytes.NewReader(nil), -5); !errors.Is(err, ErrFormat) {
		t.Errorf("negative size: err = %v", err)
	}
	var _ io.ReaderAt = shortReader{}
}
