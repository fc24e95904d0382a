package preprocessing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/neurona/neurona/internal/img"
)

// bmpFile assembles a BMP: a BITMAPINFOHEADER-family header of dibSize
// bytes (40, 108 or 124; masks go in it from 52 bytes on, after it
// otherwise), a palette of BGRX entries, and the rows as given (already
// padded, in file order).
func bmpFile(dibSize int, w, h int32, bpp uint16, compression uint32, masks []uint32, pal [][3]uint8, rows [][]byte) []byte {
	var dib bytes.Buffer
	le := func(v any) { binary.Write(&dib, binary.LittleEndian, v) }
	le(uint32(dibSize))
	le(w)
	le(h)
	le(uint16(1))
	le(bpp)
	le(compression)
	le(uint32(0))
	le(int32(2835))
	le(int32(2835))
	le(uint32(len(pal)))
	le(uint32(0))
	if dibSize >= 52 {
		for i := range 3 {
			le(masks[i])
		}
	} else if masks != nil {
		for _, m := range masks {
			le(m)
		}
	}
	for dib.Len() < dibSize+4*len(masks)*boolInt(dibSize < 52) {
		dib.WriteByte(0)
	}
	for _, p := range pal {
		dib.Write([]byte{p[2], p[1], p[0], 0})
	}
	var out bytes.Buffer
	out.WriteString("BM")
	n := 14 + dib.Len()
	for _, r := range rows {
		n += len(r)
	}
	binary.Write(&out, binary.LittleEndian, uint32(n))
	binary.Write(&out, binary.LittleEndian, uint32(0))
	binary.Write(&out, binary.LittleEndian, uint32(14+dib.Len()))
	out.Write(dib.Bytes())
	for _, r := range rows {
		out.Write(r)
	}
	return out.Bytes()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestDecodeBMP(t *testing.T) {
	pal := [][3]uint8{{0, 0, 0}, {255, 255, 255}, {10, 20, 30}, {200, 100, 50}}
	cases := []struct {
		name string
		file []byte
		w, h int
		want []float32 // top row first
	}{
		{"1-bit bottom-up", bmpFile(40, 3, 2, 1, 0, nil, pal[:2], [][]byte{
			{0b101_00000, 0, 0, 0}, // bottom row: white black white
			{0b010_00000, 0, 0, 0},
		}), 3, 2, []float32{0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255}},
		{"4-bit", bmpFile(40, 2, 1, 4, 0, nil, pal, [][]byte{{0x23, 0, 0, 0}}),
			2, 1, []float32{10, 20, 30, 200, 100, 50}},
		{"8-bit top-down", bmpFile(40, 2, -2, 8, 0, nil, pal, [][]byte{{3, 2, 0, 0}, {1, 0, 0, 0}}),
			2, 2, []float32{200, 100, 50, 10, 20, 30, 255, 255, 255, 0, 0, 0}},
		{"16-bit 5-5-5", bmpFile(40, 2, 1, 16, 0, nil, nil, [][]byte{{0x1f, 0x7c, 0xe0, 0x03}}),
			2, 1, []float32{255, 0, 255, 0, 255, 0}},
		{"16-bit 5-6-5 bit fields", bmpFile(40, 1, 1, 16, 3, []uint32{0xf800, 0x7e0, 0x1f}, nil, [][]byte{{0x1f, 0x04, 0, 0}}),
			1, 1, []float32{0, 129, 255}}, // 32·255/63
		{"24-bit", bmpFile(40, 1, 2, 24, 0, nil, nil, [][]byte{{1, 2, 3, 0}, {4, 5, 6, 0}}),
			1, 2, []float32{6, 5, 4, 3, 2, 1}},
		{"32-bit BGRX", bmpFile(40, 1, 1, 32, 0, nil, nil, [][]byte{{7, 8, 9, 99}}),
			1, 1, []float32{9, 8, 7}},
		{"32-bit V5 bit fields (RGBA), top-down", bmpFile(124, 2, -1, 32, 3, []uint32{0xff, 0xff00, 0xff0000}, nil, [][]byte{{1, 2, 3, 255, 4, 5, 6, 0}}),
			2, 1, []float32{1, 2, 3, 4, 5, 6}},
	}
	for _, c := range cases {
		m, err := decodeBMP(bytes.NewReader(c.file))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.W != c.w || m.H != c.h || !slices.Equal(m.Pix, c.want) {
			t.Errorf("%s: %d×%d %v, want %d×%d %v", c.name, m.W, m.H, m.Pix, c.w, c.h, c.want)
		}
	}
	good := cases[5].file
	for name, f := range map[string][]byte{
		"truncated rows":  good[:len(good)-2],
		"truncated head":  good[:20],
		"RLE":             bmpFile(40, 2, 1, 8, 1, nil, pal, [][]byte{{0, 0}}),
		"zero width":      bmpFile(40, 0, 1, 24, 0, nil, nil, nil),
		"bits per pixel":  bmpFile(40, 1, 1, 7, 0, nil, nil, [][]byte{{0, 0, 0, 0}}),
		"huge, few bytes": bmpFile(40, 1<<30, 1<<30, 24, 0, nil, nil, nil),
		"large, no rows":  bmpFile(40, 5000, 5000, 24, 0, nil, nil, nil),
	} {
		if _, err := decodeBMP(bytes.NewReader(f)); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "huge, few bytes" && !errors.Is(err, img.ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", name, err)
		}
	}
}

// FuzzDecodeBMP: decodeBMP returns an image of the declared shape with
// samples in 0..255, or an error; it never panics.
func FuzzDecodeBMP(f *testing.F) {
	for _, name := range []string{"d1.bmp", "d2_pal.bmp"} {
		b, err := os.ReadFile(filepath.Join(imagesDir, "dog", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(bmpFile(124, 2, -1, 32, 3, []uint32{0xff, 0xff00, 0xff0000}, nil, [][]byte{{1, 2, 3, 255, 4, 5, 6, 0}}))
	f.Add(bmpFile(40, 1, 1, 16, 3, []uint32{0xf800, 0x7e0, 0x1f}, nil, [][]byte{{0x1f, 0x04, 0, 0}}))
	f.Add(bmpFile(40, 3, 2, 1, 0, nil, [][3]uint8{{0, 0, 0}, {9, 9, 9}}, [][]byte{{0xa0, 0, 0, 0}, {0x40, 0, 0, 0}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeBMP(bytes.NewReader(data))
		if err != nil {
			return
		}
		if m.W <= 0 || m.H <= 0 || len(m.Pix) != m.W*m.H*3 {
			t.Fatalf("%d×%d with %d samples", m.W, m.H, len(m.Pix))
		}
		for _, v := range m.Pix {
			if v < 0 || v > 255 {
				t.Fatalf("sample %v", v)
			}
		}
	})
}
