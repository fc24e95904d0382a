package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// idxBytes builds an IDX file: magic (0, 0, code, len(dims)), the dims and
// the payload.
func idxBytes(code byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, code, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// opaque hides a reader's length, so ReadIDX must grow its buffer.
type opaque struct{ r io.Reader }

func (o opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

// readAll runs ReadIDX on b four ways (raw/gzip × known/unknown length) and
// requires identical results.
func readAll(t *testing.T, b []byte) (*tensor.Tensor, error) {
	t.Helper()
	gz := gzipBytes(t, b)
	first, firstErr := ReadIDX(bytes.NewReader(b))
	for _, in := range []struct {
		name string
		r    io.Reader
	}{
		{"raw unknown length", opaque{bytes.NewReader(b)}},
		{"gzip known length", bytes.NewReader(gz)},
		{"gzip unknown length", opaque{bytes.NewReader(gz)}},
	} {
		got, err := ReadIDX(in.r)
		if (err == nil) != (firstErr == nil) {
			t.Fatalf("%s: err %v, raw known length: err %v", in.name, err, firstErr)
		}
		if err == nil && (!tensor.SameShape(got, first) || !slices.Equal(got.Data, first.Data)) {
			t.Fatalf("%s: %v, raw known length: %v", in.name, got, first)
		}
		if firstErr != nil {
			for _, sentinel := range []error{ErrTruncated, ErrBadMagic, ErrUnsupportedDType, ErrInconsistentShape, ErrTooLarge} {
				if errors.Is(firstErr, sentinel) && !errors.Is(err, sentinel) {
					t.Fatalf("%s: err %v, want it to wrap %v like %v", in.name, err, sentinel, firstErr)
				}
			}
		}
	}
	return first, firstErr
}

func TestReadIDXDTypes(t *testing.T) {
	f32 := func(v float32) []byte { return binary.BigEndian.AppendUint32(nil, math.Float32bits(v)) }
	f64 := func(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }
	cases := []struct {
		name    string
		code    byte
		payload []byte
		want    []float32
	}{
		{"uint8", 0x08, []byte{0, 1, 127, 128, 254, 255}, []float32{0, 1, 127, 128, 254, 255}},
		{"int8", 0x09, []byte{0, 1, 127, 128, 254, 255}, []float32{0, 1, 127, -128, -2, -1}},
		{"int16", 0x0B, []byte{0, 1, 0x7f, 0xff, 0x80, 0, 0xff, 0xfe, 1, 0, 0, 0}, []float32{1, 32767, -32768, -2, 256, 0}},
		{"int32", 0x0C, slices.Concat(
			binary.BigEndian.AppendUint32(nil, 70000), binary.BigEndian.AppendUint32(nil, uint32(0xffffffff)),
			binary.BigEndian.AppendUint32(nil, 0), binary.BigEndian.AppendUint32(nil, 1<<24),
			binary.BigEndian.AppendUint32(nil, 0x80000000), binary.BigEndian.AppendUint32(nil, 3)),
			[]float32{70000, -1, 0, 1 << 24, -(1 << 31), 3}},
		{"float32", 0x0D, slices.Concat(f32(1.5), f32(-0.25), f32(3e38), f32(1e-40), f32(0), f32(float32(math.Pi))),
			[]float32{1.5, -0.25, 3e38, 1e-40, 0, float32(math.Pi)}},
		{"float64", 0x0E, slices.Concat(f64(1.5), f64(-0.25), f64(1e10), f64(0.1), f64(0), f64(-7)),
			[]float32{1.5, -0.25, 1e10, 0.1, 0, -7}},
	}
	for _, c := range cases {
		got, err := readAll(t, idxBytes(c.code, []uint32{2, 3}, c.payload))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !tensor.EqualShape(got.Shape, []int{2, 3}) || !slices.Equal(got.Data, c.want) {
			t.Errorf("%s: got %v, want (2, 3) %v", c.name, got, c.want)
		}
	}
}

func TestReadIDXShapes(t *testing.T) {
	// 1-D labels, 3-D images, an empty data set.
	got, err := readAll(t, idxBytes(0x08, []uint32{4}, []byte{5, 0, 4, 1}))
	if err != nil || !tensor.EqualShape(got.Shape, []int{4}) || !slices.Equal(got.Data, []float32{5, 0, 4, 1}) {
		t.Errorf("labels: %v, %v", got, err)
	}
	got, err = readAll(t, idxBytes(0x08, []uint32{2, 2, 3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
	if err != nil || !tensor.EqualShape(got.Shape, []int{2, 2, 3}) || got.At(1, 0, 2) != 9 {
		t.Errorf("images: %v, %v", got, err)
	}
	got, err = readAll(t, idxBytes(0x08, []uint32{0, 28, 28}, nil))
	if err != nil || !tensor.EqualShape(got.Shape, []int{0, 28, 28}) {
		t.Errorf("empty: %v, %v", got, err)
	}
}

func TestReadIDXLarge(t *testing.T) {
	// More elements than ReadIDX allocates ahead for an unknown-length reader,
	// so the buffer has to grow.
	n := idxGrowStep*2 + 12345
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	got, err := readAll(t, idxBytes(0x08, []uint32{uint32(n)}, payload))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data {
		if v != float32(byte(i*7)) {
			t.Fatalf("element %d = %v, want %d", i, v, byte(i*7))
		}
	}
}

func wantErr(t *testing.T, name string, err, sentinel error, substrs ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", name, sentinel)
		return
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: err %q does not wrap %q", name, err, sentinel)
	}
	for _, s := range substrs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: err %q does not mention %q", name, err, s)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name     string
		data     []byte
		sentinel error
		substrs  []string
	}{
		{"empty", nil, ErrTruncated, []string{"magic number"}},
		{"cut in magic", good[:3], ErrTruncated, []string{"magic number"}},
		{"cut in dims", good[:10], ErrTruncated, []string{"dimension sizes"}},
		{"cut in data", good[:len(good)-1], ErrTruncated, []string{"(2, 3)", "6 data bytes", "5"}},
		{"no data", good[:12], ErrTruncated, []string{"(2, 3)"}},
		{"trailing data", append(bytes.Clone(good), 9), ErrInconsistentShape, []string{"continues after", "(2, 3)"}},
		{"bad magic", append([]byte{0x01, 0x02}, good[2:]...), ErrBadMagic, []string{"0x01020802"}},
		{"text file", []byte("hello, world\n"), ErrBadMagic, []string{"0x68656c6c"}},
		{"unsupported dtype", idxBytes(0x0A, []uint32{2}, []byte{1, 2}), ErrUnsupportedDType, []string{"0x0a"}},
		{"zero dims", idxBytes(0x08, nil, []byte{1}), ErrInconsistentShape, []string{"0 dimensions"}},
		{"too many elements", idxBytes(0x08, []uint32{0xffffffff, 0xffffffff, 2}, nil), ErrInconsistentShape, []string{"(4294967295, 4294967295, 2)"}},
		{"huge claim", idxBytes(0x0E, []uint32{1 << 14, 1 << 14}, []byte{1, 2, 3}), ErrTruncated, []string{"(16384, 16384)"}}, // MaxIDXElements
		{"over the limit", idxBytes(0x08, []uint32{1 << 16, 1 << 14}, []byte{1, 2, 3}), ErrTooLarge, []string{"(65536, 16384)", "MaxIDXElements"}},
	}
	for _, c := range cases {
		_, err := readAll(t, c.data)
		wantErr(t, c.name, err, c.sentinel, c.substrs...)
	}
}

func TestReadIDXGzipErrors(t *testing.T) {
	gz := gzipBytes(t, idxBytes(0x08, []uint32{200}, bytes.Repeat([]byte{1, 2, 3, 4}, 50)))
	for _, cut := range []int{2, 5, 12, len(gz) / 2, len(gz) - 4} {
		_, err := ReadIDX(bytes.NewReader(gz[:cut]))
		wantErr(t, "gzip cut", err, ErrTruncated)
	}
	bad := bytes.Clone(gz)
	bad[len(bad)-6] ^= 0xff // CRC-32 in the trailer
	if _, err := ReadIDX(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("bad gzip checksum: err %v, want a checksum error", err)
	}
}

// A header may claim far more data than the input holds; ReadIDX must fail
// without allocating for the claim.
func TestReadIDXBoundedAllocation(t *testing.T) {
	lie := idxBytes(0x0E, []uint32{1 << 14, 1 << 14}, make([]byte, 64)) // claims 2 GiB of float64, MaxIDXElements elements
	gzLie := gzipBytes(t, lie)
	for _, in := range []struct {
		name string
		r    func() io.Reader
	}{
		{"raw known", func() io.Reader { return bytes.NewReader(lie) }},
		{"raw unknown", func() io.Reader { return opaque{bytes.NewReader(lie)} }},
		{"gzip known", func() io.Reader { return bytes.NewReader(gzLie) }},
		{"gzip unknown", func() io.Reader { return opaque{bytes.NewReader(gzLie)} }},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadIDX(in.r())
		runtime.ReadMemStats(&after)
		wantErr(t, in.name, err, ErrTruncated)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
			t.Errorf("%s: allocated %d bytes for a 100-byte input", in.name, alloc)
		}
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mnistDir writes a tiny MNIST-style data set: 3 training and 2 test images
// of 2×2 pixels. Images are gzipped, labels raw.
func mnistDir(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, dir, "train-images-idx3-ubyte.gz", gzipBytes(t, idxBytes(0x08, []uint32{3, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})))
	writeFile(t, dir, "train-labels-idx1-ubyte", idxBytes(0x08, []uint32{3}, []byte{7, 8, 9}))
	writeFile(t, dir, "t10k-images-idx3-ubyte", idxBytes(0x08, []uint32{2, 2, 2}, []byte{0, 0, 0, 255, 255, 0, 0, 0}))
	writeFile(t, dir, "t10k-labels-idx1-ubyte.gz", gzipBytes(t, idxBytes(0x08, []uint32{2}, []byte{3, 1})))
	return dir
}

func TestLoadIDXDir(t *testing.T) {
	dir := mnistDir(t)
	train, test, err := LoadIDXDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(train.X.Shape, []int{3, 2, 2}) || train.X.At(2, 1, 0) != 11 || !slices.Equal(train.Y.Data, []float32{7, 8, 9}) {
		t.Errorf("train = %v, %v", train.X, train.Y)
	}
	if !tensor.EqualShape(test.X.Shape, []int{2, 2, 2}) || test.X.At(0, 1, 1) != 255 || !slices.Equal(test.Y.Data, []float32{3, 1}) {
		t.Errorf("test = %v, %v", test.X, test.Y)
	}
	// The raw file wins when both exist.
	writeFile(t, dir, "train-images-idx3-ubyte", idxBytes(0x08, []uint32{3, 2, 2}, make([]byte, 12)))
	if train, _, err = LoadIDXDir(dir); err != nil || train.X.At(2, 1, 0) != 0 {
		t.Errorf("raw and gz present: %v, %v", train.X, err)
	}
}

func TestLoadIDXDirErrors(t *testing.T) {
	cases := []struct {
		name     string
		file     string // replaced (its .gz twin is removed)
		data     []byte
		sentinel error
		substrs  []string
	}{
		{"label count", "train-labels-idx1-ubyte", idxBytes(0x08, []uint32{4}, []byte{1, 2, 3, 4}), ErrCountMismatch,
			[]string{"train-labels-idx1-ubyte holds 4 labels", "train-images-idx3-ubyte.gz holds 3 images"}},
		{"2-D labels", "t10k-labels-idx1-ubyte", idxBytes(0x08, []uint32{2, 1}, []byte{1, 2}), ErrInconsistentShape,
			[]string{"t10k-labels-idx1-ubyte", "(2, 1)", "1-D"}},
		{"1-D images", "t10k-images-idx3-ubyte", idxBytes(0x08, []uint32{2}, []byte{1, 2}), ErrInconsistentShape,
			[]string{"t10k-images-idx3-ubyte", "(2,)"}},
		{"sample shapes differ", "t10k-images-idx3-ubyte", idxBytes(0x08, []uint32{2, 1, 4}, make([]byte, 8)), ErrInconsistentShape,
			[]string{"(2, 2)", "(1, 4)", "t10k-images-idx3-ubyte"}},
		{"bad magic", "train-labels-idx1-ubyte", []byte("not an idx file"), ErrBadMagic, []string{"train-labels-idx1-ubyte"}},
		{"truncated", "train-images-idx3-ubyte", idxBytes(0x08, []uint32{3, 2, 2}, make([]byte, 11)), ErrTruncated,
			[]string{"train-images-idx3-ubyte", "12 data bytes"}},
		{"dtype", "t10k-labels-idx1-ubyte", idxBytes(0x07, []uint32{2}, []byte{3, 1}), ErrUnsupportedDType,
			[]string{"t10k-labels-idx1-ubyte", "0x07"}},
	}
	for _, c := range cases {
		dir := mnistDir(t)
		os.Remove(filepath.Join(dir, c.file+".gz"))
		writeFile(t, dir, c.file, c.data)
		_, _, err := LoadIDXDir(dir)
		wantErr(t, c.name, err, c.sentinel, c.substrs...)
	}

	dir := mnistDir(t)
	if err := os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadIDXDir(dir)
	if err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte.gz") {
		t.Errorf("missing file: err %v, want it to name t10k-labels-idx1-ubyte[.gz]", err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("ReadIDXFile(missing): err %v", err)
	}
}

func TestPairIDXNil(t *testing.T) {
	if _, err := PairIDX(nil, tensor.New(1), "a", "b"); err == nil {
		t.Error("PairIDX(nil, ...) gave no error")
	}
}
