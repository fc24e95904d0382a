package datasets_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/internal/img"
	"github.com/neurona/neurona/internal/nprand"
)

const flowersDir = "testdata/flowers17"

// The testdata images: one or two of each of eight classes.
var flowersNames = []string{"image_0001.jpg", "image_0081.jpg", "image_0161.jpg", "image_0241.jpg", "image_0561.jpg", "image_1121.jpg", "image_1201.jpg", "image_1281.jpg"}

func label(t *testing.T, y []float32) int {
	t.Helper()
	k := -1
	for j, v := range y {
		switch v {
		case 1:
			if k >= 0 {
				t.Fatalf("label %v: two ones", y)
			}
			k = j
		case 0:
		default:
			t.Fatalf("label %v: not one-hot", y)
		}
	}
	if k < 0 {
		t.Fatalf("label %v: no one", y)
	}
	return k
}

func TestFlowers17Files(t *testing.T) {
	paths, labels, err := datasets.Flowers17Files(flowersDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(flowersNames) {
		t.Fatalf("%d files, want %d", len(paths), len(flowersNames))
	}
	for i, p := range paths {
		if filepath.Base(p) != flowersNames[i] {
			t.Errorf("paths[%d] = %s, want %s", i, p, flowersNames[i])
		}
		num, _ := strconv.Atoi(flowersNames[i][6:10])
		if labels[i] != (num-1)/80 {
			t.Errorf("%s: label %d, want %d", p, labels[i], (num-1)/80)
		}
	}
	if want := []int{0, 1, 2, 3, 7, 14, 15, 16}; !slices.Equal(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}
}

// TestFlowers17 loads the testdata images unshuffled and checks shapes,
// labels, the value range and the first images against PIL's
// Image.open(p).convert('RGB').resize((224, 224), Image.LANCZOS) / 255 (the
// fixtures of internal/img, written by its testdata/gen_pil.py), and against
// an independent call of internal/img.
func TestFlowers17(t *testing.T) {
	s, err := datasets.Flowers17(datasets.Flowers17Options{Dir: flowersDir, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	n := len(flowersNames)
	if !slices.Equal(s.X.Shape, []int{n, 224, 224, 3}) || !slices.Equal(s.Y.Shape, []int{n, 17}) {
		t.Fatalf("shapes %v %v", s.X.Shape, s.Y.Shape)
	}
	for i, name := range flowersNames {
		num, _ := strconv.Atoi(name[6:10])
		if got := label(t, s.Y.Data[i*17:(i+1)*17]); got != (num-1)/80 {
			t.Errorf("%s: class %d, want %d", name, got, (num-1)/80)
		}
	}
	for i, v := range s.X.Data {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("X.Data[%d] = %v, outside [0, 1]", i, v)
		}
	}
	const sample = 224 * 224 * 3
	for i, name := range flowersNames[:3] {
		got := s.X.Data[i*sample : (i+1)*sample]
		m, err := img.Load(filepath.Join(flowersDir, name), 224, 224)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m.Pix {
			if got[k] != v/255 {
				t.Fatalf("%s: X[%d] = %v, internal/img gives %v/255", name, k, got[k], v)
			}
		}
		if name == "image_0081.jpg" {
			continue // no PIL fixture for it
		}
		pil := readPNG(t, filepath.Join("..", "internal", "img", "testdata", strings.TrimSuffix(name, ".jpg")+"_224x224.png"))
		maxd, sum := 0.0, 0.0
		for k, v := range pil {
			d := math.Abs(float64(got[k]) - float64(v)/255)
			maxd, sum = max(maxd, d), sum+d
		}
		mean := sum / float64(len(pil))
		t.Logf("%s: max |X − PIL/255| = %.4f (%.1f levels), mean %.5f (%.3f levels)", name, maxd, maxd*255, mean, mean*255)
		// internal/img's JPEG bounds: 2 levels max, 0.06 mean.
		if maxd > 2.0/255+1e-6 || mean > 0.06/255 {
			t.Errorf("%s: max |X − PIL/255| = %g, mean %g: over 2 and 0.06 levels", name, maxd, mean)
		}
	}
}

// readPNG returns the 8-bit RGB samples of a PNG fixture.
func readPNG(t *testing.T, path string) []uint8 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := img.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint8, len(m.Pix))
	for i, v := range m.Pix {
		out[i] = uint8(v)
	}
	return out
}

// TestFlowers17Shuffle: the seed fixes the order (NumPy's
// RandomState(seed).permutation), the number of workers changes nothing.
func TestFlowers17Shuffle(t *testing.T) {
	base, err := datasets.Flowers17(datasets.Flowers17Options{Dir: flowersDir, NoShuffle: true, Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	const sample = 32 * 32 * 3
	var first []float32
	for _, workers := range []int{1, 3, 16} {
		s, err := datasets.Flowers17(datasets.Flowers17Options{Dir: flowersDir, Seed: 7, Size: 32, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = s.X.Data
			perm := nprand.New(7).Permutation(len(flowersNames))
			for i, j := range perm {
				if !slices.Equal(s.X.Data[i*sample:(i+1)*sample], base.X.Data[j*sample:(j+1)*sample]) ||
					!slices.Equal(s.Y.Data[i*17:(i+1)*17], base.Y.Data[j*17:(j+1)*17]) {
					t.Fatalf("sample %d is not file %d of the permutation %v", i, j, perm)
				}
			}
		} else if !slices.Equal(s.X.Data, first) {
			t.Fatalf("%d workers: X differs from 1 worker's", workers)
		}
	}
	other, err := datasets.Flowers17(datasets.Flowers17Options{Dir: flowersDir, Seed: 8, Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(other.X.Data, first) {
		t.Error("seeds 7 and 8 give the same order")
	}
}

// copyFlowers copies the testdata images into a temporary directory.
func copyFlowers(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range flowersNames {
		b, err := os.ReadFile(filepath.Join(flowersDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func grayJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFlowers17BadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(flowersDir, "image_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	o := func(dir string) datasets.Flowers17Options {
		return datasets.Flowers17Options{Dir: dir, Size: 16, NoShuffle: true}
	}

	// A grayscale JPEG (smaller than the target, so upscaled) among colour
	// ones: converted to RGB by replicating the gray level.
	dir := copyFlowers(t)
	if err := os.WriteFile(filepath.Join(dir, "image_0400.jpg"), grayJPEG(t, 12, 9), 0o644); err != nil {
		t.Fatal(err)
	}
	// Names that are not image_NNNN.jpg are ignored.
	for _, name := range []string{"files.txt", "image_0002.png", "image_0003.JPG", "notes.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("not an image"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "image_0004.jpg"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := datasets.Flowers17(o(dir))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != len(flowersNames)+1 {
		t.Fatalf("%d images, want %d", s.Len(), len(flowersNames)+1)
	}
	const sample = 16 * 16 * 3
	gray := s.X.Data[4*sample : 5*sample] // image_0400 sorts between 0241 and 0561
	if label(t, s.Y.Data[4*17:5*17]) != 4 {
		t.Errorf("image_0400: class %d, want 4", label(t, s.Y.Data[4*17:5*17]))
	}
	for k := 0; k < sample; k += 3 {
		if gray[k] != gray[k+1] || gray[k] != gray[k+2] {
			t.Fatalf("gray image: pixel %d = %v, want equal channels", k/3, gray[k:k+3])
		}
	}

	// Corrupt and truncated files are errors that name the file.
	corrupt := append([]byte(nil), good...)
	copy(corrupt[2:], bytes.Repeat([]byte{0x12}, 400))
	for name, b := range map[string][]byte{
		"corrupt":   corrupt,
		"truncated": good[:len(good)/3],
		"empty":     {},
		"text":      []byte("GIF89a but not really"),
	} {
		dir := copyFlowers(t)
		if err := os.WriteFile(filepath.Join(dir, "image_0500.jpg"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := datasets.Flowers17(o(dir))
		t.Logf("%s JPEG: %v", name, err)
		if err == nil || !strings.Contains(err.Error(), "image_0500.jpg") {
			t.Errorf("%s JPEG: err = %v, want one naming image_0500.jpg", name, err)
		}
	}

	// Numbers outside 1..1360 and two names for one image are errors.
	for _, names := range [][]string{{"image_0000.jpg"}, {"image_1361.jpg"}, {"image_7.jpg", "image_0007.jpg"}} {
		dir := t.TempDir()
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), good, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := datasets.Flowers17(o(dir)); err == nil {
			t.Errorf("%v: no error", names)
		}
	}

	// An empty directory, one without images and a missing one.
	empty := t.TempDir()
	if _, err := datasets.Flowers17(o(empty)); err == nil || !strings.Contains(err.Error(), "no image_NNNN.jpg files") {
		t.Errorf("empty directory: err = %v", err)
	}
	if _, _, err := datasets.Flowers17Files(filepath.Join(empty, "missing")); err == nil {
		t.Error("missing directory: no error")
	}
	if _, err := datasets.Flowers17(datasets.Flowers17Options{Dir: flowersDir, Size: -1}); err == nil {
		t.Error("size -1: no error")
	}
}

// TestFlowers17JpgSubdir: a directory holding jpg/ (the archive's layout)
// is read through it.
func TestFlowers17JpgSubdir(t *testing.T) {
	dir := copyFlowers(t)
	root := t.TempDir()
	if err := os.Rename(dir, filepath.Join(root, "jpg")); err != nil {
		t.Fatal(err)
	}
	paths, _, err := datasets.Flowers17Files(root)
	if err != nil || len(paths) != len(flowersNames) || filepath.Base(filepath.Dir(paths[0])) != "jpg" {
		t.Fatalf("paths %v, err %v", paths, err)
	}
}

type tarMember struct {
	name string
	body []byte
	typ  byte
}

func writeTgz(t *testing.T, members []tarMember) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: typ, ModTime: time.Unix(1e9, 0)}
		if typ != tar.TypeReg {
			h.Size, h.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(m.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFlowers17Download serves a small archive from a local server: the
// images are downloaded into the cache, unpacked (only jpg/image_NNNN.jpg
// members, nothing outside the cache), checked and loaded, and a second
// load reads the cache without the network.
func TestFlowers17Download(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("NEURONA_DATA", cache)
	var members []tarMember
	h := sha256.New()
	for _, name := range flowersNames[:4] {
		b, err := os.ReadFile(filepath.Join(flowersDir, name))
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, tarMember{name: "jpg/" + name, body: b})
		h.Write(b)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	members = append(members,
		tarMember{name: "jpg/files.txt", body: []byte("image_0001.jpg\n")},
		tarMember{name: "../image_0002.jpg", body: []byte("escape")},
		tarMember{name: "jpg/../../image_0003.jpg", body: []byte("escape")},
		tarMember{name: "/jpg/image_0005.jpg", body: []byte("absolute")},
		tarMember{name: "jpg/image_0006.jpg", typ: tar.TypeSymlink},
	)
	good := writeTgz(t, members)
	var body atomic.Value
	body.Store(good)
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		b := body.Load().([]byte)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}))
	defer srv.Close()
	defer func(u, s string) { datasets.Flowers17URL, datasets.Flowers17FilesSHA256 = u, s }(datasets.Flowers17URL, datasets.Flowers17FilesSHA256)
	datasets.Flowers17URL = srv.URL + "/17flowers.tgz"
	o := datasets.Flowers17Options{Size: 8, NoShuffle: true, Progress: io.Discard}

	// The extracted files do not match the expected sum: nothing is kept
	// under the final name.
	datasets.Flowers17FilesSHA256 = strings.Repeat("0", 64)
	if _, err := datasets.Flowers17(o); !errors.Is(err, datasets.ErrChecksum) {
		t.Fatalf("wrong sum: err = %v, want ErrChecksum", err)
	}
	for _, name := range []string{"jpg", "17flowers.tgz"} {
		if _, err := os.Stat(filepath.Join(cache, "17flowers", name)); !os.IsNotExist(err) {
			t.Fatalf("a rejected extraction left %s: %v", name, err)
		}
	}

	datasets.Flowers17FilesSHA256 = sum
	s, err := datasets.Flowers17(o)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 {
		t.Fatalf("%d images, want 4", s.Len())
	}
	var files []string
	filepath.WalkDir(filepath.Dir(cache), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(p, filepath.Dir(cache)) {
			rel, _ := filepath.Rel(cache, p)
			files = append(files, rel)
		}
		return nil
	})
	want := []string{"17flowers/17flowers.tgz"}
	for _, name := range flowersNames[:4] {
		want = append(want, "17flowers/jpg/"+name)
	}
	if !slices.Equal(files, want) {
		t.Errorf("files written: %v, want %v", files, want)
	}
	n := requests.Load()
	if _, err := datasets.Flowers17(o); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != n {
		t.Error("the second load downloaded again")
	}
}

// TestFlowers17BadArchive: archives that are not what they should be are
// errors, and leave no image directory behind.
func TestFlowers17BadArchive(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(flowersDir, "image_0001.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer func(u, s string) { datasets.Flowers17URL, datasets.Flowers17FilesSHA256 = u, s }(datasets.Flowers17URL, datasets.Flowers17FilesSHA256)
	datasets.Flowers17FilesSHA256 = ""
	tgz := writeTgz(t, []tarMember{{name: "jpg/image_0001.jpg", body: good}})
	for name, body := range map[string][]byte{
		"not gzip":      []byte("<html>moved</html>"),
		"truncated":     tgz[:len(tgz)/2],
		"no images":     writeTgz(t, []tarMember{{name: "README", body: []byte("hi")}}),
		"oversized":     writeTgz(t, []tarMember{{name: "jpg/image_0001.jpg", body: make([]byte, 33<<20)}}),
		"duplicate":     writeTgz(t, []tarMember{{name: "jpg/image_0001.jpg", body: good}, {name: "./jpg/image_0001.jpg", body: good}}),
		"404 (no body)": nil,
	} {
		cache := t.TempDir()
		t.Setenv("NEURONA_DATA", cache)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if body == nil {
				http.NotFound(w, r)
				return
			}
			w.Write(body)
		}))
		datasets.Flowers17URL = srv.URL + "/17flowers.tgz"
		_, err := datasets.Flowers17(datasets.Flowers17Options{Size: 8, Progress: io.Discard})
		srv.Close()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		t.Logf("%s: %v", name, err)
		if _, err := os.Stat(filepath.Join(cache, "17flowers", "jpg")); !os.IsNotExist(err) {
			t.Errorf("%s: left a jpg directory", name)
		}
		if ents, _ := filepath.Glob(filepath.Join(cache, "17flowers", "jpg.part-*")); len(ents) != 0 {
			t.Errorf("%s: left %v", name, ents)
		}
	}
}

// TestFlowers17Real loads the full data set from $NEURONA_FLOWERS17 (a
// directory of the 1,360 original JPEGs) and checks the files' sha256 and
// the class counts.
func TestFlowers17Real(t *testing.T) {
	dir := os.Getenv("NEURONA_FLOWERS17")
	if dir == "" {
		t.Skip("set NEURONA_FLOWERS17 to the directory of the 1,360 image_NNNN.jpg files")
	}
	paths, _, err := datasets.Flowers17Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != datasets.Flowers17FilesSHA256 {
		t.Errorf("sha256 of the concatenated files = %s, want %s", got, datasets.Flowers17FilesSHA256)
	}
	start := time.Now()
	s, err := datasets.Flowers17(datasets.Flowers17Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d images in %v with %d workers", s.Len(), time.Since(start).Round(time.Millisecond), runtime.GOMAXPROCS(0))
	if s.Len() != 1360 {
		t.Fatalf("%d images, want 1360", s.Len())
	}
	var counts [17]int
	for i := range s.Len() {
		counts[label(t, s.Y.Data[i*17:(i+1)*17])]++
	}
	for c, n := range counts {
		if n != 80 {
			t.Errorf("class %d: %d images, want 80", c, n)
		}
	}
}

// Flowers17 on a directory of the image_NNNN.jpg files; Dir: "" reads (and
// on first use downloads) the cache instead.
func ExampleFlowers17() {
	s, err := datasets.Flowers17(datasets.Flowers17Options{Dir: "testdata/flowers17", Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.X.Shape, s.Y.Shape)
	// Output:
	// [8 224 224 3] [8 17]
}
