package preprocessing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

var imagesDir = filepath.Join("testdata", "images")

type imagesFixture struct {
	PIL        string                 `json:"pil"`
	Target     [2]int                 `json:"target"`
	Files      []string               `json:"files"`
	Classes    []int                  `json:"classes"`
	ClassNames []string               `json:"class_names"`
	Loaded     map[string][][]float32 `json:"loaded"`
}

func readImagesFixture(t *testing.T) imagesFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "images.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx imagesFixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestFlowFromDirectoryKeras reads testdata/images (JPEG colour and
// grayscale, RGBA PNG in a sub-folder, 24-bit and paletted BMP, an image
// smaller than the target, one of the target's size, a class folder without
// images) and compares the listing and every loaded image with what Keras's
// load_img makes of them with PIL (testdata/gen_images.py).
func TestFlowFromDirectoryKeras(t *testing.T) {
	fx := readImagesFixture(t)
	for _, interp := range []Interpolation{InterpNearest, InterpBilinear} {
		it, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{
			TargetSize: fx.Target, BatchSize: 3, NoShuffle: true, Interpolation: interp, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(it.Filenames(), fx.Files) || !slices.Equal(it.Classes(), fx.Classes) {
			t.Fatalf("files %v classes %v, Keras's %v %v", it.Filenames(), it.Classes(), fx.Files, fx.Classes)
		}
		if !slices.Equal(it.ClassNames(), fx.ClassNames) || it.NumClasses() != 3 ||
			!maps.Equal(it.ClassIndices(), map[string]int{"cat": 0, "dog": 1, "zebra": 2}) {
			t.Fatalf("classes %v %v", it.ClassNames(), it.ClassIndices())
		}
		if it.Samples() != 7 || it.Len() != 3 {
			t.Fatalf("Samples %d Len %d", it.Samples(), it.Len())
		}
		h, w := fx.Target[0], fx.Target[1]
		var worstJPEG float64
		for i := range it.Len() {
			xs, ys, err := it.Batch(0, i)
			if err != nil {
				t.Fatal(err)
			}
			if ys[0].Shape[1] != 3 {
				t.Fatalf("one-hot width %d, want 3 (the empty class is kept)", ys[0].Shape[1])
			}
			for r := range xs[0].Shape[0] {
				j := i*3 + r
				if xs[0].Dims() != 4 || xs[0].Shape[1] != h || xs[0].Shape[2] != w || xs[0].Shape[3] != 3 {
					t.Fatalf("batch shape %v", xs[0].Shape)
				}
				got, want := xs[0].Row(r), fx.Loaded[string(interp)][j]
				jpeg := strings.HasSuffix(strings.ToLower(fx.Files[j]), ".jpg")
				for k := range want {
					d := math.Abs(float64(got[k] - want[k]))
					if jpeg {
						worstJPEG = max(worstJPEG, d)
						continue
					}
					if d != 0 {
						t.Fatalf("%s %s: sample %d = %v, PIL %v", interp, fx.Files[j], k, got[k], want[k])
					}
				}
				for c := range 3 {
					v := float32(0)
					if c == fx.Classes[j] {
						v = 1
					}
					if ys[0].Row(r)[c] != v {
						t.Fatalf("%s: target %v", fx.Files[j], ys[0].Row(r))
					}
				}
			}
		}
		// Go's JPEG decoder is not libjpeg: internal/img documents a level
		// or so per sample.
		if worstJPEG > 8 {
			t.Errorf("%s: JPEG samples differ from PIL's by up to %v", interp, worstJPEG)
		}
		t.Logf("%s: PNG and BMP identical to PIL %s; JPEG max |Δ| %v levels", interp, fx.PIL, worstJPEG)
		it.Close()
	}
}

func TestFlowFromDirectoryClassModes(t *testing.T) {
	g := &ImageDataGenerator{Rescale: 1.0 / 255}
	open := func(m ClassMode) *DirectoryIterator {
		it, err := g.FlowFromDirectory(imagesDir, FlowOptions{TargetSize: [2]int{5, 4}, BatchSize: 7, NoShuffle: true, ClassMode: m})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { it.Close() })
		return it
	}
	for _, m := range []ClassMode{ClassBinary, ClassSparse} {
		xs, ys, err := open(m).Batch(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ys[0].Shape, []int{7, 1}) || !slices.Equal(ys[0].Data, []float32{0, 0, 0, 1, 1, 1, 1}) {
			t.Errorf("%s: targets %v %v", m, ys[0].Shape, ys[0].Data)
		}
		for _, v := range xs[0].Data {
			if v < 0 || v > 1 {
				t.Fatalf("%s: rescaled value %v", m, v)
			}
		}
	}
	xs, ys, err := open(ClassInput).Batch(0, 0)
	if err != nil || !slices.Equal(xs[0].Data, ys[0].Data) || !slices.Equal(xs[0].Shape, ys[0].Shape) {
		t.Errorf("input: targets are not the images (%v)", err)
	}
	if &xs[0].Data[0] == &ys[0].Data[0] {
		t.Error("input: targets share the images' memory (Keras copies)")
	}
	xs, ys, err = open(ClassNone).Batch(0, 0)
	if err != nil || ys != nil || xs[0].Shape[0] != 7 {
		t.Errorf("none: %v %v", ys, err)
	}
}

// copyDir copies testdata/images into a temporary directory.
func copyDir(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(imagesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(imagesDir, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFlowFromDirectoryBadInput: corrupt and truncated files fail the
// batch that holds them with an error naming the file (never a panic) and
// leave the other batches alone; empty directories are errors.
func TestFlowFromDirectoryBadInput(t *testing.T) {
	dir := copyDir(t)
	good, err := os.ReadFile(filepath.Join(dir, "cat", "c1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"cat/d_truncated.jpg": good[:len(good)/2],
		"cat/e_garbage.jpg":   []byte("\xff\xd8\xff\xe0 this is not a JPEG"),
		"cat/f_empty.png":     nil,
		"cat/g_short.bmp":     []byte("BM\x00\x00"),
		"cat/h_text.jpeg":     []byte("hello"),
	}
	for name, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	it, err := (&ImageDataGenerator{RotationRange: 10}).FlowFromDirectory(dir, FlowOptions{TargetSize: [2]int{8, 8}, BatchSize: 1, NoShuffle: true, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	files := it.Filenames()
	if len(files) != 12 {
		t.Fatalf("%d files: %v", len(files), files)
	}
	for i, f := range files {
		_, _, err := it.Batch(0, i)
		if _, isBad := bad[f]; isBad {
			if err == nil {
				t.Errorf("%s: no error", f)
			} else if !strings.Contains(err.Error(), filepath.FromSlash(f)) {
				t.Errorf("%s: the error does not name the file: %v", f, err)
			} else {
				t.Logf("%s: %v", f, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	// Empty directories.
	empty := t.TempDir()
	if _, err := (&ImageDataGenerator{}).FlowFromDirectory(empty, FlowOptions{}); err == nil {
		t.Error("empty directory: no error")
	}
	os.Mkdir(filepath.Join(empty, "a"), 0o755)
	os.WriteFile(filepath.Join(empty, "a", "x.txt"), []byte("x"), 0o644)
	if _, err := (&ImageDataGenerator{}).FlowFromDirectory(empty, FlowOptions{}); err == nil {
		t.Error("class folders without images: no error")
	}
	if _, err := (&ImageDataGenerator{}).FlowFromDirectory(filepath.Join(empty, "missing"), FlowOptions{}); err == nil {
		t.Error("missing directory: no error")
	}
	if _, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{TargetSize: [2]int{0, 5}}); err == nil {
		t.Error("target 0×5: no error")
	}
}

// TestFlowFromDirectoryWorkers: the same seed with 1 and 4 workers gives
// the same batches over two passes, shuffled and augmented.
func TestFlowFromDirectoryWorkers(t *testing.T) {
	var ref [][]float32
	for _, workers := range []int{1, 4} {
		it, err := augment.FlowFromDirectory(imagesDir, FlowOptions{TargetSize: [2]int{9, 11}, BatchSize: 3, Seed: 5, Workers: workers, Interpolation: InterpBilinear})
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, it, 2)
		it.Close()
		if ref == nil {
			ref = got
			continue
		}
		for i := range ref {
			if !slices.Equal(ref[i], got[i]) {
				t.Fatalf("batch %d: 4 workers differ from 1", i)
			}
		}
	}
}

// TestFlowFromDirectoryBoundedMemory streams a directory of 2,000 PNG files
// of 100×100 pixels, 229 MiB once decoded as float32 (57 MiB as bytes),
// resized to 32×32 in batches of 32, and checks that the heap in use
// stays under 24 MiB throughout, with a soft memory limit of 32 MiB set so
// that the garbage collector works as it would in a tight container.
func TestFlowFromDirectoryBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2,000 files")
	}
	const n, side = 2000, 100
	dir := t.TempDir()
	var buf bytes.Buffer
	im := image.NewRGBA(image.Rect(0, 0, side, side))
	for c := range 4 {
		os.Mkdir(filepath.Join(dir, string(rune('a'+c))), 0o755)
	}
	for i := range n {
		for y := range side {
			for x := range side {
				copy(im.Pix[(y*side+x)*4:], []uint8{uint8(x + i), uint8(y * i), uint8(x ^ y), 255})
			}
		}
		buf.Reset()
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, im); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, string(rune('a'+i%4)), fmt.Sprintf("img%05d.png", i))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	decoded := float64(n*side*side*3*4) / (1 << 20)
	im, buf = nil, bytes.Buffer{}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(32 << 20))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	it, err := augment.FlowFromDirectory(dir, FlowOptions{TargetSize: [2]int{32, 32}, BatchSize: 32, Seed: 1, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var peak uint64
	seen := 0
	for i := range it.Len() {
		xs, _, err := it.Batch(0, i)
		if err != nil {
			t.Fatal(err)
		}
		seen += xs[0].Shape[0]
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	if seen != n {
		t.Fatalf("%d images streamed, want %d", seen, n)
	}
	const bound = 24 << 20
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	t.Logf("%d files (%.0f MiB decoded as float32): heap in use %.1f MiB before, peak %.1f MiB while streaming (bound %.0f MiB)",
		n, decoded, mb(base), mb(peak), mb(bound))
	if peak > bound {
		t.Errorf("heap in use reached %.1f MiB streaming %.0f MiB of images: want under %.0f MiB", mb(peak), decoded, mb(bound))
	}
}

func TestFlowFromDirectoryClasses(t *testing.T) {
	it, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{TargetSize: [2]int{4, 4}, NoShuffle: true, Classes: []string{"dog", "cat"}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	if !slices.Equal(it.ClassNames(), []string{"dog", "cat"}) || !slices.Equal(it.Classes(), []int{0, 0, 0, 0, 1, 1, 1}) ||
		it.Filenames()[0] != "dog/d1.bmp" || it.NumClasses() != 2 {
		t.Errorf("classes %v, labels %v, files %v", it.ClassNames(), it.Classes(), it.Filenames())
	}
	_, ys, err := it.Batch(0, 0)
	if err != nil || ys[0].Shape[1] != 2 || ys[0].Row(0)[0] != 1 || ys[0].Row(6)[1] != 1 {
		t.Errorf("targets %v %v", ys, err)
	}
	for _, bad := range [][]string{{"cat", "lion"}, {"cat", "cat"}, {"../images"}, {"dog/notes.txt"}} {
		if _, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{Classes: bad}); err == nil {
			t.Errorf("classes %q: no error", bad)
		}
	}
}

type panicSource struct{}

func (panicSource) load(j int, dst []float32, _ *worker) error {
	if j == 2 {
		panic("bug")
	}
	return nil
}
func (panicSource) label(int, []float32) {}

// A panic in a worker (a bug) fails the batch instead of the program.
func TestStreamRecoversPanics(t *testing.T) {
	o, _ := FlowOptions{BatchSize: 2, NoShuffle: true, Workers: 2}.withDefaults()
	s, err := newStream(&ImageDataGenerator{}, panicSource{}, 4, 2, 2, 1, nil, false, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Batch(0, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Batch(0, 1); err == nil || !strings.Contains(err.Error(), "bug") {
		t.Fatalf("got %v", err)
	}
	if _, _, err := s.Batch(0, 0); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
}

func TestFlowFromDirectorySubset(t *testing.T) {
	g := &ImageDataGenerator{ValidationSplit: 0.5}
	want := map[Subset][]string{
		// cat has 3 images (int(1.5) = 1 for validation), dog 4 (2).
		SubsetValidation: {"cat/c1.jpg", "dog/d1.bmp", "dog/d2_pal.bmp"},
		SubsetTraining:   {"cat/c2_gray.JPG", "cat/sub/c3.png", "dog/d3_tiny.png", "dog/d4_same.png"},
	}
	for subset, files := range want {
		it, err := g.FlowFromDirectory(imagesDir, FlowOptions{Subset: subset, TargetSize: [2]int{4, 4}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(it.Filenames(), files) || it.NumClasses() != 3 {
			t.Errorf("%s: %v", subset, it.Filenames())
		}
		it.Close()
	}
}

// ColorGrayscale loads one channel, PIL's convert('L') before the resize.
func TestFlowFromDirectoryGrayscale(t *testing.T) {
	fx := readImagesFixture(t)
	it, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{
		TargetSize: fx.Target, BatchSize: 7, NoShuffle: true, ColorMode: ColorGrayscale})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	xs, _, err := it.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(xs[0].Shape, []int{7, fx.Target[0], fx.Target[1], 1}) {
		t.Fatalf("shape %v", xs[0].Shape)
	}
	var worstJPEG float64
	for j, want := range fx.Loaded["grayscale_nearest"] {
		got := xs[0].Row(j)
		for k := range want {
			d := math.Abs(float64(got[k] - want[k]))
			if strings.HasSuffix(strings.ToLower(fx.Files[j]), ".jpg") {
				worstJPEG = max(worstJPEG, d)
			} else if d != 0 {
				t.Fatalf("%s: sample %d = %v, PIL %v", fx.Files[j], k, got[k], want[k])
			}
		}
	}
	if worstJPEG > 8 {
		t.Errorf("JPEG luma differs from PIL's by up to %v", worstJPEG)
	}
	t.Logf("PNG and BMP luma identical to PIL's; JPEG max |Δ| %v levels", worstJPEG)
	for _, m := range []ColorMode{"rgba", "cmyk"} {
		if _, err := (&ImageDataGenerator{}).FlowFromDirectory(imagesDir, FlowOptions{ColorMode: m}); err == nil {
			t.Errorf("ColorMode %s: no error", m)
		}
	}
}

// TestFlowFromDirectoryListing checks Keras's listing on a tricky tree
// (the expected order is what keras_preprocessing 1.0.5's os.walk-based
// listing gives for the same tree): folders in the order of their paths
// ("sub" < "sub-2" < "sub/deeper"), names sorted bytewise, extensions in
// any case, hidden files included, links to folders not followed inside a
// class but counted as classes at the top, other files and top-level
// files ignored. Listing reads no image, so the files are empty.
func TestFlowFromDirectoryListing(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "R")
	for _, d := range []string{"R/c/sub/deeper", "R/c/sub-2", "other"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"R/c/b.png", "R/c/A.PNG", "R/c/sub/x.jpg", "R/c/sub-2/y.jpeg", "R/c/sub/deeper/z.bmp",
		"R/c/readme.md", "R/c/.hidden.jpg", "R/top.jpg", "other/o.png", "other/p.tif"} {
		if err := os.WriteFile(filepath.Join(base, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join("..", "..", "other"), filepath.Join(root, "c", "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Symlink(filepath.Join("..", "other"), filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}
	it, err := (&ImageDataGenerator{}).FlowFromDirectory(root, FlowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	want := []string{"c/.hidden.jpg", "c/A.PNG", "c/b.png", "c/sub/x.jpg", "c/sub-2/y.jpeg", "c/sub/deeper/z.bmp", "d/o.png"}
	if got := it.Filenames(); !slices.Equal(got, want) {
		t.Errorf("files\n%q\nwant (Keras)\n%q", got, want)
	}
	if !slices.Equal(it.ClassNames(), []string{"c", "d"}) || !slices.Equal(it.Classes(), []int{0, 0, 0, 0, 0, 0, 1}) {
		t.Errorf("classes %v %v", it.ClassNames(), it.Classes())
	}
	if _, _, err := it.Batch(0, 0); err == nil {
		t.Error("empty files decoded without error")
	}
}
