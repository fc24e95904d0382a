package img

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoding path: Decode and
// DecodeResized must return an image of the declared shape or an error,
// never panic.
func FuzzDecode(f *testing.F) {
	good, err := os.ReadFile(filepath.Join("testdata", "gray.jpg"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	for _, name := range []string{"s422.jpg", "s444.jpg", "cmyk.jpg", "tiny.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\xff\xd8\xff\xe0 garbage"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	var b bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{color.Black, color.NRGBA{1, 2, 3, 4}})
	if err := png.Encode(&b, pal); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	// Keep the fuzzer's images small: a few bytes can declare megapixels.
	defer func(n int) { MaxPixels = n }(MaxPixels)
	MaxPixels = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(bytes.NewReader(data))
		if err != nil {
			if m != nil {
				t.Fatal("an image with an error")
			}
			return
		}
		if m.W <= 0 || m.H <= 0 || len(m.Pix) != m.W*m.H*3 {
			t.Fatalf("%d×%d with %d samples", m.W, m.H, len(m.Pix))
		}
		r, err := DecodeResized(bytes.NewReader(data), 7, 5)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				t.Fatal(err)
			}
			t.Fatalf("Decode succeeded, DecodeResized failed: %v", err)
		}
		if r.W != 7 || r.H != 5 || len(r.Pix) != 7*5*3 {
			t.Fatalf("resized to %d×%d with %d samples", r.W, r.H, len(r.Pix))
		}
	})
}
