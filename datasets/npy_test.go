package datasets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// npyFile builds a version 1.0 .npy file from a header dict and a body.
func npyFile(dict string, body []byte) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(b, dict...)
	b = append(b, '\n')
	return append(b, body...)
}

// TestReadNPYNumpyFiles reads the fixtures that numpy wrote
// (testdata/make_npy.py) and compares them with the script's formulas.
func TestReadNPYNumpyFiles(t *testing.T) {
	seq := func(n int, f func(i int) float32) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	cases := []struct {
		file  string
		shape []int
		data  []float32
	}{
		{"u1_2x3.npy", []int{2, 3}, seq(6, func(i int) float32 { return float32(i * 40) })},
		{"f4_3x2x2.npy", []int{3, 2, 2}, seq(12, func(i int) float32 { return float32(i)/4 - 1 })},
		{"f8_4.npy", []int{4}, seq(4, func(i int) float32 { return float32(i) * 0.5 })},
		{"i4_2x2.npy", []int{2, 2}, []float32{-3, 7, 100000, -2147483648}},
		{"i8_3.npy", []int{3}, []float32{-1, 0, 1 << 40}},
		{"f4_scalar.npy", []int{1}, []float32{2.5}},
		{"u1_v2.npy", []int{5}, seq(5, func(i int) float32 { return float32(i) })},
		{"u1_v3.npy", []int{5}, seq(5, func(i int) float32 { return float32(i) })},
	}
	for _, c := range cases {
		got, err := ReadNPYFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !slices.Equal(got.Shape, c.shape) || !slices.Equal(got.Data, c.data) {
			t.Errorf("%s: got shape %v data %v, want %v %v", c.file, got.Shape, got.Data, c.shape, c.data)
		}
	}
}

// TestReadNPYRefusesNumpyFiles: numpy's big-endian, Fortran-order and
// complex arrays are refused with errors that say why.
func TestReadNPYRefusesNumpyFiles(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"f4_big_endian.npy", "big-endian"},
		{"f4_fortran.npy", "fortran_order True"},
		{"c8.npy", `dtype "<c8"; valid dtypes are`},
	} {
		_, err := ReadNPYFile(filepath.Join("testdata", c.file))
		if !errors.Is(err, ErrNPYUnsupported) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: got %v, want ErrNPYUnsupported naming the file and %q", c.file, err, c.want)
		}
	}
}

func TestReadNPYBadInput(t *testing.T) {
	good := npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8))
	if _, err := ReadNPY(bytes.NewReader(good)); err != nil {
		t.Fatalf("the well-formed base case: %v", err)
	}
	huge := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d, %d), }", int64(1)<<40, int64(1)<<40, int64(1)<<40)
	cases := []struct {
		name string
		in   []byte
		want error
		text string
	}{
		{"wrong magic", append([]byte("\x93NUMPZ\x01\x00"), good[8:]...), ErrNPYBadMagic, "magic"},
		{"empty", nil, ErrNPYBadMagic, "0 bytes"},
		{"version 4.0", append([]byte("\x93NUMPY\x04\x00"), good[8:]...), ErrNPYBadMagic, "version 4.0"},
		{"truncated body", good[:len(good)-3], ErrNPYTruncated, "needs 8 data bytes, the input has 5"},
		{"truncated header", good[:20], ErrNPYTruncated, "header declares"},
		{"trailing data", append(slices.Clone(good), 0), ErrNPYSize, "data continues"},
		{"unsupported dtype", npyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", make([]byte, 4)), ErrNPYUnsupported, "'|u1', '<i4', '<i8', '<f4', '<f8'"},
		{"big-endian", npyFile("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", make([]byte, 8)), ErrNPYUnsupported, "big-endian"},
		{"overflowing shape", npyFile(huge, nil), ErrNPYSize, "MaxNPYElements"},
		{"shape over the limit", npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (1000000, 1000000), }", nil), ErrNPYSize, "MaxNPYElements"},
		{"missing key", npyFile("{'descr': '<f4', 'shape': (2,), }", make([]byte, 8)), ErrNPYHeader, `missing key "fortran_order"`},
		{"unknown key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", make([]byte, 8)), ErrNPYHeader, `unknown key "x"`},
		{"negative dim", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", make([]byte, 8)), ErrNPYHeader, "shape must be"},
		{"not a dict", npyFile("['descr']", nil), ErrNPYHeader, "want '{'"},
		{"v2 header over the limit", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), ErrNPYHeader, "MaxNPYHeader"},
	}
	for _, c := range cases {
		_, err := ReadNPY(bytes.NewReader(c.in))
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: got %v, want %v containing %q", c.name, err, c.want, c.text)
		}
	}
}

// TestReadNPYLyingShapeAllocatesLittle: a header declaring 2^28 float64s
// followed by 100 bytes allocates about what the data fills, not 1 GiB.
func TestReadNPYLyingShapeAllocatesLittle(t *testing.T) {
	in := npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (268435456,), }", make([]byte, 100))
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := ReadNPY(bytes.NewReader(in)); !errors.Is(err, ErrNPYTruncated) {
				b.Fatalf("got %v, want ErrNPYTruncated", err)
			}
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 16<<20 {
		t.Errorf("a 100-byte body with a 2 GiB header allocated %d bytes per read, want under 16 MiB", per)
	}
}

// TestReadNPYLargeBody reads a body larger than the read buffer, across
// chunk boundaries, and checks each value.
func TestReadNPYLargeBody(t *testing.T) {
	const n = 100003
	body := make([]byte, 0, 4*n)
	for i := range n {
		body = binary.LittleEndian.AppendUint32(body, math.Float32bits(float32(i)*0.25))
	}
	cr := iotest.OneByteReader(bytes.NewReader(npyFile(fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }", n), body)))
	got, err := ReadNPY(cr)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got.Data {
		if v != float32(i)*0.25 {
			t.Fatalf("element %d = %v, want %v", i, v, float32(i)*0.25)
		}
	}
	if len(got.Data) != n {
		t.Fatalf("%d elements, want %d", len(got.Data), n)
	}
}

func TestReadNPYFileMissing(t *testing.T) {
	_, err := ReadNPYFile(filepath.Join(t.TempDir(), "none.npy"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want os.ErrNotExist", err)
	}
}
