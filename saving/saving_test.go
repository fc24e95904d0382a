package saving

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// roundTrip writes entries and metadata and reads them back.
func roundTrip(t *testing.T, entries []Entry, metadata map[string]string) (*File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, entries, metadata); err != nil {
		t.Fatalf("Write: %v", err)
	}
	f, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f, buf.Bytes()
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	big := tensor.New(300_000) // more than one 1 MiB read chunk
	for i := range big.Data {
		big.Data[i] = float32(i) * 0.25
	}
	entries := []Entry{
		{Name: "dense_1/kernel", Tensor: tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)},
		{Name: "dense_1/bias", Tensor: tensor.FromSlice([]float32{-0.5, 0.25, float32(math.Inf(-1))}, 3)},
		{Name: "scalar", Tensor: tensor.Full(42)},
		{Name: "empty", Tensor: tensor.New(0)},
		{Name: "empty_inner", Tensor: tensor.New(2, 0, 3)},
		{Name: "special", Tensor: tensor.FromSlice([]float32{float32(math.NaN()), float32(math.Copysign(0, -1)), math.MaxFloat32, math.SmallestNonzeroFloat32}, 2, 2)},
		{Name: "optimizer/m/dense_1/kernel", Tensor: big},
		{Name: "ünïcode \"quoted\" <&>", Tensor: tensor.Full(7, 1, 1, 1, 1, 1, 1, 1)},
	}
	metadata := map[string]string{
		"format": "neurona/1",
		"config": `{"class_name":"Sequential","layers":[{"units":32,"note":"a<b && c>d"}]}`,
		"rng":    "line one\nline two\ttab \u00e9",
		"":       "empty key",
	}
	f, raw := roundTrip(t, entries, metadata)

	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	if len(f.Metadata) != len(metadata) {
		t.Errorf("metadata has %d keys, want %d", len(f.Metadata), len(metadata))
	}
	for k, v := range metadata {
		if f.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, f.Metadata[k], v)
		}
	}
	if len(f.Entries) != len(entries) {
		t.Fatalf("%d entries, want %d", len(f.Entries), len(entries))
	}
	for i, want := range entries {
		got := f.Entries[i]
		if got.Name != want.Name {
			t.Errorf("entry %d is %q, want %q (file order must be write order)", i, got.Name, want.Name)
		}
		if !tensor.EqualShape(got.Tensor.Shape, want.Tensor.Shape) {
			t.Errorf("%q: shape %v, want %v", want.Name, got.Tensor.Shape, want.Tensor.Shape)
		}
		if !sameBits(got.Tensor.Data, want.Tensor.Data) {
			t.Errorf("%q: values differ", want.Name)
		}
		byName, ok := f.Get(want.Name)
		if !ok || byName != got.Tensor {
			t.Errorf("Get(%q) = %v, %v", want.Name, byName, ok)
		}
	}
	if got := f.Entries[2].Tensor; got.Dims() != 0 || len(got.Data) != 1 {
		t.Errorf("scalar came back as shape %v", got.Shape)
	}
	if _, ok := f.Get("missing"); ok {
		t.Error(`Get("missing") found a tensor`)
	}
}

func TestRoundTripEmpty(t *testing.T) {
	for _, md := range []map[string]string{nil, {}} {
		f, raw := roundTrip(t, nil, md)
		// {} padded to 8 bytes, as the spec's writer does.
		want := []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
		if !bytes.Equal(raw, want) {
			t.Errorf("empty file = %q, want %q", raw, want)
		}
		if f.Metadata == nil || len(f.Metadata) != 0 || len(f.Entries) != 0 {
			t.Errorf("empty file read as %+v", f)
		}
	}
}

// TestGolden checks Write's bytes against a file laid out by hand from the
// safetensors specification.
func TestGolden(t *testing.T) {
	entries := []Entry{
		{Name: "a", Tensor: tensor.FromSlice([]float32{1, -2}, 2)},
		{Name: "s", Tensor: tensor.Full(0.5)},
	}
	var buf bytes.Buffer
	if err := Write(&buf, entries, map[string]string{"format": "neurona/1"}); err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"format":"neurona/1"},` + // 39 bytes
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` + // 53 bytes
		`"s":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}` + // 53 bytes: 145 in all
		"       " // 7 spaces pad the header to 152 bytes, a multiple of 8
	var want []byte
	want = append(want, 152, 0, 0, 0, 0, 0, 0, 0) // header length, little-endian u64
	want = append(want, header...)
	want = append(want,
		0x00, 0x00, 0x80, 0x3f, // 1.0 = 0x3f800000, little-endian
		0x00, 0x00, 0x00, 0xc0, // -2.0 = 0xc0000000
		0x00, 0x00, 0x00, 0x3f, // 0.5 = 0x3f000000
	)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Write gave\n%q\nwant\n%q", buf.Bytes(), want)
	}
	f, err := Read(bytes.NewReader(want), int64(len(want)))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.Get("a"); a == nil || !sameBits(a.Data, []float32{1, -2}) {
		t.Errorf("a = %v", a)
	}
	if s, _ := f.Get("s"); s == nil || s.Dims() != 0 || s.Data[0] != 0.5 {
		t.Errorf("s = %v", s)
	}
}

// file assembles a safetensors file from a header (unpadded) and a buffer.
func file(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

func le16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return b
}

func TestReadOtherDtypes(t *testing.T) {
	f16 := le16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555)
	bf16 := le16(0x3f80, 0xc040, 0x7f80)
	var f64 []byte
	for _, v := range []float64{0.1, -1e300, 3} {
		f64 = binary.LittleEndian.AppendUint64(f64, math.Float64bits(v))
	}
	nan16 := le16(0x7e00)
	var data []byte
	data = append(data, f64...)   // [0, 24)
	data = append(data, f16...)   // [24, 42)
	data = append(data, bf16...)  // [42, 48)
	data = append(data, nan16...) // [48, 50)
	raw := file(`{"d":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},`+
		`"h":{"dtype":"F16","shape":[9],"data_offsets":[24,42]},`+
		`"b":{"dtype":"BF16","shape":[3],"data_offsets":[42,48]},`+
		`"n":{"dtype":"F16","shape":[],"data_offsets":[48,50]}}`, data)
	f, err := Read(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	inf := float32(math.Inf(1))
	want := map[string][]float32{
		"d": {float32(0.1), float32(math.Inf(-1)), 3},
		"h": {1, -2, 65504, 1.0 / (1 << 24), 1.0 / (1 << 14), inf, -inf, float32(math.Copysign(0, -1)), 0.333251953125},
		"b": {1, -3, inf},
	}
	for name, w := range want {
		got, ok := f.Get(name)
		if !ok || !sameBits(got.Data, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if n, _ := f.Get("n"); n == nil || !math.IsNaN(float64(n.Data[0])) {
		t.Errorf("F16 NaN read as %v", n)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := tensor.New(2)
	cases := []struct {
		name    string
		entries []Entry
		md      map[string]string
		want    string
	}{
		{"duplicate", []Entry{{Name: "w", Tensor: ok}, {Name: "w", Tensor: ok}}, nil, `tensor "w": duplicate name`},
		{"nil", []Entry{{Name: "w", Tensor: nil}}, nil, `tensor "w": nil tensor`},
		{"reserved", []Entry{{Name: "__metadata__", Tensor: ok}}, nil, "reserved"},
		{"bad utf8 name", []Entry{{Name: "\xff", Tensor: ok}}, nil, "not valid UTF-8"},
		{"bad utf8 metadata", nil, map[string]string{"k": "\xfe"}, "valid UTF-8"},
		{"short data", []Entry{{Name: "w", Tensor: &tensor.Tensor{Data: make([]float32, 3), Shape: []int{2, 2}}}}, nil, `tensor "w": 3 values for shape [2 2]`},
		{"negative", []Entry{{Name: "w", Tensor: &tensor.Tensor{Shape: []int{-1}}}}, nil, "negative dimension"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		err := Write(&buf, c.entries, c.md)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "saving: ") {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", c.name, buf.Len())
		}
	}
}

type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errors.New("disk full")
	}
	w.left -= len(p)
	return len(p), nil
}

func TestWritePropagatesWriterError(t *testing.T) {
	entries := []Entry{{Name: "w", Tensor: tensor.New(100_000)}}
	err := Write(&failingWriter{left: 1000}, entries, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}
