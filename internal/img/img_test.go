package img

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readFixture decodes a committed PNG fixture (8-bit RGB, written by
// testdata/gen_pil.py) into an Image.
func readFixture(t *testing.T, name string) *Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func decodeFile(t *testing.T, name string) *Image {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// diff returns the largest and the mean absolute difference of two images.
func diff(t *testing.T, got, want *Image) (maxd, mean float64) {
	t.Helper()
	if got.W != want.W || got.H != want.H || len(got.Pix) != len(want.Pix) {
		t.Fatalf("got %d×%d (%d samples), want %d×%d", got.W, got.H, len(got.Pix), want.W, want.H)
	}
	sum := 0.0
	for i := range got.Pix {
		d := math.Abs(float64(got.Pix[i] - want.Pix[i]))
		maxd = max(maxd, d)
		sum += d
	}
	return maxd, sum / float64(len(got.Pix))
}

// TestResizeMatchesPIL resizes lossless PNG inputs, so that only the
// resampling is compared: it must give PIL's Image.resize(LANCZOS) output bit
// for bit, downscaling, upscaling and along one axis only.
func TestResizeMatchesPIL(t *testing.T) {
	for _, c := range []struct {
		src  string
		w, h int
	}{
		{"crop.png", 224, 224},
		{"crop.png", 61, 47},
		{"crop.png", 200, 40},
		{"crop.png", 57, 150},
		{"tiny.png", 224, 224},
	} {
		src := readFixture(t, c.src)
		want := readFixture(t, fmt.Sprintf("%s_%dx%d.png", strings.TrimSuffix(c.src, ".png"), c.w, c.h))
		got := Resize(src, c.w, c.h)
		if maxd, mean := diff(t, got, want); maxd != 0 {
			t.Errorf("%s to %d×%d: max |Go − PIL| = %g, mean %.4f; want identical", c.src, c.w, c.h, maxd, mean)
		}
	}
}

// TestJPEGMatchesPIL compares the whole path, JPEG decoding included, with
// PIL's Image.open(p).convert('RGB').resize((224, 224), Image.LANCZOS).
// Go's inverse DCT is not libjpeg's, so a few levels of difference remain;
// the bounds are the measured ones with a little room.
func TestJPEGMatchesPIL(t *testing.T) {
	for _, name := range []string{"image_0001", "image_0161", "image_1201"} {
		f, err := os.Open(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeResized(f, 224, 224)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := readFixture(t, name+"_224x224.png")
		maxd, mean := diff(t, got, want)
		t.Logf("%s.jpg at 224×224: max |Go − PIL| = %g, mean %.4f", name, maxd, mean)
		if maxd > jpegMaxDiff || mean > jpegMeanDiff {
			t.Errorf("%s.jpg at 224×224: max |Go − PIL| = %g (bound %g), mean %.4f (bound %g)", name, maxd, jpegMaxDiff, mean, jpegMeanDiff)
		}
	}
}

// Bounds of the JPEG comparisons with PIL (see TestJPEGMatchesPIL).
const (
	jpegMaxDiff  = 2.0
	jpegMeanDiff = 0.06
)

// TestDecodeMatchesPIL compares the decoded full-size images, before any
// resizing, with PIL's convert('RGB'): a colour, a grayscale and a CMYK JPEG.
func TestDecodeMatchesPIL(t *testing.T) {
	for _, name := range []string{"image_0161", "gray", "cmyk", "s444", "s422", "s420"} {
		got := decodeFile(t, name+".jpg")
		want := readFixture(t, name+"_rgb.png")
		maxd, mean := diff(t, got, want)
		t.Logf("%s.jpg decoded: max |Go − PIL| = %g, mean %.4f", name, maxd, mean)
		if maxd > decodeMaxDiff[name] || mean > decodeMeanDiff {
			t.Errorf("%s.jpg decoded: max |Go − PIL| = %g (bound %g), mean %.4f (bound %g)", name, maxd, decodeMaxDiff[name], mean, decodeMeanDiff)
		}
		if name != "gray" && name != "cmyk" {
			continue
		}
		small := Resize(got, 32, 24)
		want = readFixture(t, name+"_32x24.png")
		maxd, mean = diff(t, small, want)
		if maxd > decodeMaxDiff[name] || mean > jpegMeanDiff {
			t.Errorf("%s.jpg at 32×24: max |Go − PIL| = %g, mean %.4f", name, maxd, mean)
		}
	}
}

// Bounds of the full-size decoding comparisons with PIL: libjpeg's and Go's
// inverse DCTs round differently, by up to 3 levels on a few pixels.
var decodeMaxDiff = map[string]float64{"image_0161": 3, "gray": 1, "cmyk": 1, "s444": 2, "s422": 2, "s420": 2}

const decodeMeanDiff = 0.05

// TestYCbCrRatios converts YCbCr images of every subsampling ratio and odd
// sizes; the ratios libjpeg upsamples by replication must equal the
// reference conversion through the image's own chroma addressing.
func TestYCbCrRatios(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		for _, size := range [][2]int{{1, 1}, {2, 3}, {5, 3}, {7, 5}, {13, 9}} {
			w, h := size[0], size[1]
			s := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
			for i := range s.Y {
				s.Y[i] = uint8(i * 37)
			}
			for i := range s.Cb {
				s.Cb[i], s.Cr[i] = uint8(i*53+7), uint8(255-i*29)
			}
			m := toRGB8(s)
			if len(m.pix) != w*h*3 {
				t.Fatalf("%v %d×%d: %d samples", ratio, w, h, len(m.pix))
			}
			fancy := (ratio == image.YCbCrSubsampleRatio420 || ratio == image.YCbCrSubsampleRatio422) && (w+1)/2 > 2
			if fancy {
				continue // compared with libjpeg through PIL's fixtures
			}
			for y := range h {
				for x := range w {
					var want [3]uint8
					ci := s.COffset(x, y)
					yy, cb, cr := int32(s.Y[s.YOffset(x, y)]), s.Cb[ci], s.Cr[ci]
					want[0] = clamp8(yy + crR[cr])
					want[1] = clamp8(yy + (cbG[cb]+crG[cr])>>16)
					want[2] = clamp8(yy + cbB[cb])
					i := (y*w + x) * 3
					if got := [3]uint8(m.pix[i : i+3]); got != want {
						t.Fatalf("%v %d×%d: pixel (%d,%d) = %v, want %v", ratio, w, h, x, y, got, want)
					}
				}
			}
		}
	}
}

// TestGrayReplicated checks the documented gray conversion exactly.
func TestGrayReplicated(t *testing.T) {
	m := decodeFile(t, "gray.jpg")
	for i := 0; i < len(m.Pix); i += 3 {
		if m.Pix[i] != m.Pix[i+1] || m.Pix[i] != m.Pix[i+2] {
			t.Fatalf("pixel %d: %v, want equal channels", i/3, m.Pix[i:i+3])
		}
	}
}

func encodePNG(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestConversions checks the documented conversion of the PNG kinds that are
// not plain 8-bit RGB: alpha dropped (straight colour kept), palette looked
// up, 16-bit samples reduced to their high byte, gray replicated.
func TestConversions(t *testing.T) {
	r := image.Rect(0, 0, 3, 2)
	nrgba := image.NewNRGBA(r)
	nrgba.SetNRGBA(1, 0, color.NRGBA{200, 100, 50, 10})
	nrgba.SetNRGBA(2, 1, color.NRGBA{1, 2, 3, 255})
	pal := image.NewPaletted(r, color.Palette{color.NRGBA{9, 8, 7, 255}, color.NRGBA{30, 60, 90, 128}, color.NRGBA{11, 22, 33, 0}})
	pal.SetColorIndex(0, 1, 1)
	pal.SetColorIndex(1, 1, 2)
	n64 := image.NewNRGBA64(r)
	n64.SetNRGBA64(1, 0, color.NRGBA64{0xc8ff, 0x6400, 0x3210, 0x1000})
	g16 := image.NewGray16(r)
	g16.SetGray16(2, 1, color.Gray16{0xabcd})
	g := image.NewGray(r)
	g.SetGray(1, 1, color.Gray{77})
	for _, c := range []struct {
		name string
		im   image.Image
		x, y int
		want [3]float32
	}{
		{"nrgba alpha", nrgba, 1, 0, [3]float32{200, 100, 50}},
		{"nrgba opaque", nrgba, 2, 1, [3]float32{1, 2, 3}},
		{"paletted", pal, 0, 1, [3]float32{30, 60, 90}},
		{"paletted 0", pal, 2, 1, [3]float32{9, 8, 7}},
		{"paletted transparent", pal, 1, 1, [3]float32{11, 22, 33}},
		{"nrgba64", n64, 1, 0, [3]float32{0xc8, 0x64, 0x32}},
		{"gray16", g16, 2, 1, [3]float32{0xab, 0xab, 0xab}},
		{"gray", g, 1, 1, [3]float32{77, 77, 77}},
	} {
		m, err := Decode(bytes.NewReader(encodePNG(t, c.im)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.W != 3 || m.H != 2 || len(m.Pix) != 18 {
			t.Fatalf("%s: %d×%d with %d samples", c.name, m.W, m.H, len(m.Pix))
		}
		i := (c.y*m.W + c.x) * 3
		if got := [3]float32(m.Pix[i : i+3]); got != c.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", c.name, c.x, c.y, got, c.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "image_0161.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), good...)
	for i := len(corrupt) / 3; i < len(corrupt)/3+200; i++ {
		corrupt[i] = 0xff
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("this is not an image at all"),
		"truncated": good[:len(good)/2],
		"header":    good[:300],
		"corrupt":   corrupt,
		"png trunc": encodePNG(t, image.NewGray(image.Rect(0, 0, 40, 40)))[:60],
	} {
		m, err := Decode(bytes.NewReader(b))
		if err == nil && name != "corrupt" {
			t.Errorf("%s: no error (%d×%d)", name, m.W, m.H)
		}
		// Some damage to entropy-coded data decodes to wrong pixels rather
		// than failing; what matters is an error or an image, not a panic.
		if err == nil && (m.W != 500 || len(m.Pix) != m.W*m.H*3) {
			t.Errorf("%s: decoded to %d×%d", name, m.W, m.H)
		}
	}
}

// TestBomb declares a huge PNG in a tiny file: it must be refused from the
// header, before the decoder allocates it.
func TestBomb(t *testing.T) {
	b := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// Patch the IHDR's width and height to 100000×100000 and fix its CRC.
	ihdr := b[8+8 : 8+8+13]
	copy(ihdr[0:4], []byte{0, 1, 0x86, 0xa0})
	copy(ihdr[4:8], []byte{0, 1, 0x86, 0xa0})
	crc := crc32PNG(b[8+4 : 8+8+13])
	copy(b[8+8+13:], crc)
	_, err := Decode(bytes.NewReader(b))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, err := DecodeResized(bytes.NewReader(b), 10, 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("DecodeResized: err = %v, want ErrTooLarge", err)
	}
}

func TestLoad(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "image_0001.jpg"), 224, 224)
	if err != nil {
		t.Fatal(err)
	}
	if m.W != 224 || m.H != 224 || len(m.Pix) != 224*224*3 {
		t.Fatalf("%d×%d with %d samples", m.W, m.H, len(m.Pix))
	}
	_, err = Load(filepath.Join("testdata", "no_such.jpg"), 224, 224)
	if err == nil || !strings.Contains(err.Error(), "no_such.jpg") {
		t.Errorf("missing file: err = %v, want one naming the file", err)
	}
	_, err = Load(filepath.Join("testdata", "gen_pil.py"), 224, 224)
	if err == nil || !strings.Contains(err.Error(), "gen_pil.py") {
		t.Errorf("not an image: err = %v, want one naming the file", err)
	}
	if _, err := Load(filepath.Join("testdata", "image_0001.jpg"), 0, 224); err == nil {
		t.Error("size 0×224: no error")
	}
}

func TestResizeSameSizeAndRounding(t *testing.T) {
	src := &Image{W: 2, H: 1, Pix: []float32{-3, 0.4, 0.6, 254.5, 300, float32(math.NaN())}}
	got := Resize(src, 2, 1)
	want := []float32{0, 0, 1, 255, 255, 0}
	for i := range want {
		if got.Pix[i] != want[i] {
			t.Fatalf("Pix = %v, want %v", got.Pix, want)
		}
	}
	// A 1×1 image upscaled is flat.
	one := Resize(&Image{W: 1, H: 1, Pix: []float32{10, 20, 30}}, 5, 4)
	for i, v := range one.Pix {
		if v != []float32{10, 20, 30}[i%3] {
			t.Fatalf("1×1 upscaled: %v", one.Pix)
		}
	}
}

func TestResizePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Resize to 0×3 did not panic")
		}
	}()
	Resize(&Image{W: 1, H: 1, Pix: []float32{1, 2, 3}}, 0, 3)
}

func BenchmarkResize(b *testing.B) {
	f, err := os.ReadFile(filepath.Join("testdata", "image_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := decode8(bytes.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src.pix)))
	for b.Loop() {
		resize8(src, 224, 224).release()
	}
}

func BenchmarkDecode(b *testing.B) {
	f, err := os.ReadFile(filepath.Join("testdata", "image_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m, err := decode8(bytes.NewReader(f))
		if err != nil {
			b.Fatal(err)
		}
		m.release()
	}
}

func BenchmarkDecodeResized(b *testing.B) {
	f, err := os.ReadFile(filepath.Join("testdata", "image_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResized(bytes.NewReader(f), 224, 224); err != nil {
			b.Fatal(err)
		}
	}
}

// crc32PNG is the CRC that PNG puts after a chunk (over type and data).
func crc32PNG(b []byte) []byte {
	c := crc32.ChecksumIEEE(b)
	return []byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}
}

func BenchmarkHorizontal(b *testing.B) {
	f, err := os.ReadFile(filepath.Join("testdata", "image_0001.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	src, err := decode8(bytes.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	c := precompute(src.w, 224)
	dst := &rgb8{w: 224, h: src.h, pix: make([]uint8, 224*src.h*3)}
	for b.Loop() {
		horizontal(dst, src, 0, &c)
	}
}

func TestDecodeResizedInto(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "image_1201.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeResized(bytes.NewReader(b), 40, 30)
	if err != nil {
		t.Fatal(err)
	}
	dst := &Image{Pix: make([]float32, 5000)}
	p := &dst.Pix[0]
	if err := DecodeResizedInto(dst, bytes.NewReader(b), 40, 30); err != nil {
		t.Fatal(err)
	}
	if &dst.Pix[0] != p || dst.W != 40 || dst.H != 30 || len(dst.Pix) != 3600 {
		t.Fatalf("got %d×%d, %d samples, reused %v", dst.W, dst.H, len(dst.Pix), &dst.Pix[0] == p)
	}
	if maxd, _ := diff(t, dst, want); maxd != 0 {
		t.Fatal("DecodeResizedInto differs from DecodeResized")
	}
	if err := DecodeResizedInto(dst, bytes.NewReader(b[:100]), 40, 30); err == nil || dst.W != 40 {
		t.Fatalf("truncated: err %v, dst %d×%d", err, dst.W, dst.H)
	}
}
