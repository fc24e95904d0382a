package datasets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadNPY: on any input ReadNPY either returns a tensor whose size is
// its shape's product and whose body filled exactly the input, or an error
// wrapping one of its sentinel errors; it never panics.
func FuzzReadNPY(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.npy"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(npyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 0), }", nil))
	f.Add(npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 2, 3}))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ReadNPY(bytes.NewReader(in))
		if err != nil {
			for _, e := range []error{ErrNPYBadMagic, ErrNPYHeader, ErrNPYUnsupported, ErrNPYTruncated, ErrNPYSize} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		size := 1
		for _, d := range got.Shape {
			size *= d
		}
		if size != len(got.Data) {
			t.Fatalf("shape %v holds %d elements, data has %d", got.Shape, size, len(got.Data))
		}
		if len(got.Data) > len(in) {
			t.Fatalf("%d elements from %d input bytes", len(got.Data), len(in))
		}
	})
}
