package preprocessing

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/neurona/neurona/internal/img"
)

// decodeBMP decodes an uncompressed Windows bitmap (the .bmp files of
// Keras's white list, which internal/img does not read) to RGB: 1, 4 and
// 8 bits per pixel with a palette, 16 (5-5-5 or bit fields), 24 and 32 (BGRX
// or bit fields, alpha dropped as PIL's convert('RGB') drops it),
// bottom-up or top-down. Run-length encoded and embedded JPEG/PNG bitmaps
// are an error, as are truncated files and images over img.MaxPixels.
func decodeBMP(r io.Reader) (*img.Image, error) {
	var fh [18]byte // file header and the DIB header's size
	if _, err := io.ReadFull(r, fh[:]); err != nil {
		return nil, fmt.Errorf("bmp: reading the header: %w", err)
	}
	if string(fh[:2]) != "BM" {
		return nil, fmt.Errorf("bmp: not a BMP file")
	}
	offset := int64(binary.LittleEndian.Uint32(fh[10:]))
	dibSize := int64(binary.LittleEndian.Uint32(fh[14:]))
	if dibSize < 12 || dibSize > 1<<16 {
		return nil, fmt.Errorf("bmp: header size %d", dibSize)
	}
	dib := make([]byte, dibSize-4)
	if _, err := io.ReadFull(r, dib); err != nil {
		return nil, fmt.Errorf("bmp: reading the header: %w", err)
	}
	read := 14 + dibSize
	var w, h int64
	var bpp, compression, colors uint32
	palEntry := int64(4)
	if dibSize == 12 { // BITMAPCOREHEADER
		w = int64(binary.LittleEndian.Uint16(dib[0:]))
		h = int64(int16(binary.LittleEndian.Uint16(dib[2:])))
		bpp = uint32(binary.LittleEndian.Uint16(dib[6:]))
		palEntry = 3
	} else {
		if dibSize < 40 {
			return nil, fmt.Errorf("bmp: header size %d", dibSize)
		}
		w = int64(int32(binary.LittleEndian.Uint32(dib[0:])))
		h = int64(int32(binary.LittleEndian.Uint32(dib[4:])))
		bpp = uint32(binary.LittleEndian.Uint16(dib[10:]))
		compression = binary.LittleEndian.Uint32(dib[12:])
		colors = binary.LittleEndian.Uint32(dib[28:])
	}
	topDown := h < 0
	if topDown {
		h = -h
	}
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("bmp: empty image (%d×%d)", w, h)
	}
	if w*h > int64(img.MaxPixels) {
		return nil, fmt.Errorf("bmp: %w: %d×%d is over %d pixels", img.ErrTooLarge, w, h, img.MaxPixels)
	}
	// Bit fields: in the header (V2 and later) or after a 40-byte one.
	var masks [3]uint32
	switch compression {
	case 0: // BI_RGB
		switch bpp {
		case 16:
			masks = [3]uint32{0x7c00, 0x3e0, 0x1f}
		case 24, 32:
			masks = [3]uint32{0xff0000, 0xff00, 0xff}
		}
	case 3, 6: // BI_BITFIELDS, BI_ALPHABITFIELDS
		if bpp != 16 && bpp != 32 {
			return nil, fmt.Errorf("bmp: bit fields with %d bits per pixel", bpp)
		}
		if dibSize >= 52 {
			for i := range masks {
				masks[i] = binary.LittleEndian.Uint32(dib[36+4*i:])
			}
		} else {
			n := 12
			if compression == 6 {
				n = 16
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("bmp: reading the bit fields: %w", err)
			}
			read += int64(n)
			for i := range masks {
				masks[i] = binary.LittleEndian.Uint32(b[4*i:])
			}
		}
	default:
		return nil, fmt.Errorf("bmp: compression %d (run-length or embedded) is not supported", compression)
	}
	var pal [][3]uint8
	switch bpp {
	case 1, 2, 4, 8:
		n := int64(colors)
		if n == 0 || n > 1<<bpp {
			n = 1 << bpp
		}
		b := make([]byte, n*palEntry)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("bmp: reading the palette: %w", err)
		}
		read += int64(len(b))
		pal = make([][3]uint8, 1<<bpp) // indices past the palette are black
		for i := range n {
			e := b[i*palEntry:]
			pal[i] = [3]uint8{e[2], e[1], e[0]}
		}
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("bmp: %d bits per pixel", bpp)
	}
	if offset < read {
		return nil, fmt.Errorf("bmp: pixel data at %d, inside the headers (%d bytes)", offset, read)
	}
	if _, err := io.CopyN(io.Discard, r, offset-read); err != nil {
		return nil, fmt.Errorf("bmp: seeking the pixel data: %w", err)
	}
	stride := (w*int64(bpp) + 31) / 32 * 4
	// The rows are read before the image is allocated, so that a short
	// file declaring a large image fails without allocating it.
	raw := make([]byte, 0, min(stride*h, 1<<20))
	for y := range h {
		raw = append(raw, make([]byte, stride)...)
		if _, err := io.ReadFull(r, raw[y*stride:]); err != nil {
			return nil, fmt.Errorf("bmp: reading row %d of %d: %w", y, h, err)
		}
	}
	m := &img.Image{W: int(w), H: int(h), Pix: make([]float32, w*h*3)}
	var shifts, widths [3]int
	for i, mk := range masks {
		if mk != 0 {
			shifts[i] = bits.TrailingZeros32(mk)
			widths[i] = bits.Len32(mk >> shifts[i])
		}
	}
	field := func(v uint32, i int) float32 {
		if masks[i] == 0 {
			return 0
		}
		x := uint64((v & masks[i]) >> shifts[i])
		if widths[i] == 8 {
			return float32(x)
		}
		return float32(x * 255 / (1<<widths[i] - 1))
	}
	for y := range h {
		row := raw[y*stride : (y+1)*stride]
		oy := h - 1 - y
		if topDown {
			oy = y
		}
		out := m.Pix[oy*w*3 : (oy+1)*w*3]
		for x := range w {
			var rgb [3]float32
			switch bpp {
			case 1, 2, 4, 8:
				bit := x * int64(bpp)
				idx := (row[bit/8] >> (8 - uint(bpp) - uint(bit%8))) & (1<<bpp - 1)
				p := pal[idx]
				rgb = [3]float32{float32(p[0]), float32(p[1]), float32(p[2])}
			case 16:
				v := uint32(binary.LittleEndian.Uint16(row[2*x:]))
				rgb = [3]float32{field(v, 0), field(v, 1), field(v, 2)}
			case 24:
				rgb = [3]float32{float32(row[3*x+2]), float32(row[3*x+1]), float32(row[3*x])}
			case 32:
				v := binary.LittleEndian.Uint32(row[4*x:])
				rgb = [3]float32{field(v, 0), field(v, 1), field(v, 2)}
			}
			copy(out[3*x:3*x+3], rgb[:])
		}
	}
	return m, nil
}
