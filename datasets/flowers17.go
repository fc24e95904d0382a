package datasets

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/neurona/neurona/internal/img"
	"github.com/neurona/neurona/internal/nprand"
	"github.com/neurona/neurona/tensor"
)

// The Oxford 17 Category Flower data set (Nilsback & Zisserman, CVPR 2006):
// 1,360 JPEG photographs, image_0001.jpg ... image_1360.jpg, 80 per class in
// class order.
const (
	// Flowers17Classes is the number of classes.
	Flowers17Classes = 17
	// Flowers17PerClass is the number of images of each class.
	Flowers17PerClass = 80
	// Flowers17Images is the number of images of the full data set.
	Flowers17Images = Flowers17Classes * Flowers17PerClass
	// Flowers17Size is the default side of the square images Flowers17
	// returns, tflearn's resize_pics=(224, 224).
	Flowers17Size = 224
)

// Where Flowers17 downloads the data set from, and how it checks it. They
// are variables so that tests (and mirrors) can point them elsewhere.
var (
	// Flowers17URL is the published archive of the data set (60,270,631
	// bytes).
	Flowers17URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/17/17flowers.tgz"
	// Flowers17ArchiveSHA256 is the sha256 of the archive at Flowers17URL;
	// empty, as here, when it is not known, and then the archive itself is
	// not checked, only the files extracted from it (Flowers17FilesSHA256).
	Flowers17ArchiveSHA256 = ""
	// Flowers17FilesSHA256 is the sha256 of the contents of the extracted
	// image_NNNN.jpg files concatenated in name order. An extraction that
	// does not match it is discarded. Empty skips the check.
	Flowers17FilesSHA256 = "4e4c837dd6b24478004707165588998059fe8f131229f5b9d0e506509fcb525c"
)

// Limits on what Flowers17 extracts from the archive: a member larger than
// flowers17MaxMember or more than flowers17MaxTotal bytes in all is an
// error (the real images are at most a few hundred kilobytes, 60 MB in all).
const (
	flowers17MaxMember = 32 << 20
	flowers17MaxTotal  = 1 << 30
)

// Flowers17Options are the arguments of Flowers17. The zero value loads the
// cached data set (downloading it when absent) at 224×224, shuffled with
// seed 0, decoded by GOMAXPROCS workers.
type Flowers17Options struct {
	// Dir is a directory holding the image_NNNN.jpg files (or holding a jpg
	// subdirectory that does, as the archive unpacks). Empty means the cache,
	// DataDir()/17flowers/jpg, where the archive is downloaded and unpacked
	// when the images are not there yet.
	Dir string
	// Size is the side of the square images returned, 224 when 0.
	Size int
	// Seed seeds the shuffle: NumPy's legacy np.random.seed(Seed) followed
	// by np.random.permutation(n) of the files in name order, as tflearn's
	// shuffle draws it. (tflearn permutes the files in os.listdir order,
	// which the file system decides, so its exact order cannot be had.)
	Seed uint32
	// NoShuffle keeps the images in file (and so class) order, tflearn's
	// shuffle=False.
	NoShuffle bool
	// Workers is the number of images decoded in parallel, GOMAXPROCS when
	// 0. The result does not depend on it.
	Workers int
	// Progress receives the download's progress bar and messages;
	// os.Stderr when nil (io.Discard silences it).
	Progress io.Writer
}

// Flowers17 loads the Oxford 17 Flowers data set as tflearn's
// oxflower17.load_data(one_hot=True) does: X holds every image decoded to
// RGB, resized to Size×Size with PIL's antialiasing Lanczos filter (the
// aspect ratio is not kept; see internal/img), and scaled by 1/255, with
// shape (n, Size, Size, 3); Y holds the one-hot labels, shape (n, 17), where
// the class of image_NNNN.jpg is (NNNN−1) div 80. X and Y are shuffled
// together by one seeded permutation unless NoShuffle is set.
//
// One difference from tflearn: tflearn moves the images into class folders
// named "0" ... "16" and numbers the classes in the sorted order of those
// names ("0", "1", "10", "11", ..., "16", "2", ..., "9"), so its one-hot
// column for class c is that of c's name in this order (class 10 is its
// column 2, class 2 its column 9). Flowers17 keeps column c for class c, the
// data set's own numbering; the two differ by a fixed permutation of the
// columns, which no model's accuracy can tell apart.
//
// The files are those Flowers17Files lists. Grayscale, CMYK, paletted and
// alpha images are converted to RGB as PIL's convert('RGB') does, and images
// smaller than Size are upscaled with the same filter. A file that does not
// decode (corrupt, truncated, not an image) is an error naming it.
func Flowers17(opts Flowers17Options) (Split, error) {
	size := opts.Size
	if size == 0 {
		size = Flowers17Size
	}
	if size < 0 {
		return Split{}, fmt.Errorf("datasets: Flowers17: invalid size %d", size)
	}
	dir := opts.Dir
	if dir == "" {
		var progress io.Writer = os.Stderr
		if opts.Progress != nil {
			progress = opts.Progress
		}
		var err error
		if dir, err = flowers17Cache(progress); err != nil {
			return Split{}, err
		}
	}
	paths, labels, err := Flowers17Files(dir)
	if err != nil {
		return Split{}, err
	}
	n := len(paths)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if !opts.NoShuffle {
		order = nprand.New(opts.Seed).Permutation(n)
	}
	sample := size * size * 3
	x := tensor.New(n, size, size, 3)
	y := tensor.New(n, Flowers17Classes)
	for i, j := range order {
		y.Data[i*Flowers17Classes+labels[j]] = 1
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var (
		next   atomic.Int64
		failed atomic.Bool
		mu     sync.Mutex
		errAt  = n // the lowest output index that failed
		first  error
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := new(img.Image) // reused from image to image
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := loadInto(m, paths[order[i]], size); err != nil {
					mu.Lock()
					if i < errAt {
						errAt, first = i, err
					}
					mu.Unlock()
					failed.Store(true)
					return
				}
				dst := x.Data[i*sample : (i+1)*sample]
				for k, v := range m.Pix {
					dst[k] = v / 255
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return Split{}, fmt.Errorf("datasets: Flowers17: %w", first)
	}
	return Split{X: x, Y: y}, nil
}

// loadInto decodes the image file at path into m, resized to size×size.
func loadInto(m *img.Image, path string, size int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := img.DecodeResizedInto(m, f, size, size); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// flowers17Name matches the data set's file names and captures the number.
var flowers17Name = regexp.MustCompile(`^image_([0-9]+)\.jpg$`)

// Flowers17Files lists the images of the data set in dir, in name (and so
// class) order, with their classes, (NNNN−1) div 80 for image_NNNN.jpg.
// Files whose names are not image_NNNN.jpg (files.txt, README, other
// extensions) and subdirectories are ignored; when dir holds no such image
// but has a jpg subdirectory (as the archive unpacks), that is listed
// instead. A number outside 1..1360, two names for one number (image_7.jpg
// and image_0007.jpg) or a directory without any image is an error.
func Flowers17Files(dir string) (paths []string, labels []int, err error) {
	paths, labels, err = flowers17List(dir)
	if err == nil && len(paths) == 0 {
		if st, serr := os.Stat(filepath.Join(dir, "jpg")); serr == nil && st.IsDir() {
			paths, labels, err = flowers17List(filepath.Join(dir, "jpg"))
		}
	}
	if err == nil && len(paths) == 0 {
		err = fmt.Errorf("datasets: Flowers17: no image_NNNN.jpg files in %s", dir)
	}
	return paths, labels, err
}

func flowers17List(dir string) ([]string, []int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("datasets: Flowers17: %w", err)
	}
	type file struct {
		num  int
		name string
	}
	var files []file
	for _, e := range ents {
		m := flowers17Name.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		num, err := strconv.Atoi(m[1])
		if err != nil || num < 1 || num > Flowers17Images {
			return nil, nil, fmt.Errorf("datasets: Flowers17: %s: image number outside 1..%d", filepath.Join(dir, e.Name()), Flowers17Images)
		}
		files = append(files, file{num, e.Name()})
	}
	slices.SortFunc(files, func(a, b file) int { return a.num - b.num })
	paths := make([]string, len(files))
	labels := make([]int, len(files))
	for i, f := range files {
		if i > 0 && files[i-1].num == f.num {
			return nil, nil, fmt.Errorf("datasets: Flowers17: %s and %s are the same image number", files[i-1].name, f.name)
		}
		paths[i] = filepath.Join(dir, f.name)
		labels[i] = (f.num - 1) / Flowers17PerClass
	}
	return paths, labels, nil
}

// flowers17Cache returns the cached image directory, DataDir()/17flowers/jpg,
// downloading and unpacking the archive first when it is absent.
func flowers17Cache(progress io.Writer) (string, error) {
	root := filepath.Join(DataDir(), "17flowers")
	dst := filepath.Join(root, "jpg")
	if st, err := os.Stat(dst); err == nil && st.IsDir() {
		return dst, nil
	}
	tgz, err := Fetch("17flowers.tgz", Flowers17URL, Flowers17ArchiveSHA256, root, progress)
	if err != nil {
		return "", fmt.Errorf("%w (or pass Flowers17 a directory of the image_NNNN.jpg files)", err)
	}
	if err := flowers17Extract(tgz, dst, progress); err != nil {
		// The archive is not checked by itself (its sum is not known), so a
		// bad one must not stay cached: the next call downloads it again.
		os.Remove(tgz)
		return "", fmt.Errorf("datasets: Flowers17: %w (the archive was removed)", err)
	}
	return dst, nil
}

// flowers17Extract unpacks the jpg/image_NNNN.jpg members of the archive at
// tgz into dst, atomically: into a temporary directory beside dst, checked
// against Flowers17FilesSHA256, then renamed to dst. Other members are
// skipped; since only names of that exact form are written, and under their
// base name, no member can write outside dst.
func flowers17Extract(tgz, dst string, progress io.Writer) (err error) {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), filepath.Base(dst)+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	fmt.Fprintf(progress, "extracting %s\n", tgz)
	tr := tar.NewReader(zr)
	var total int64
	count := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
		name := path.Clean(h.Name)
		dir, base := path.Split(name)
		if h.Typeflag != tar.TypeReg || dir != "jpg/" || !flowers17Name.MatchString(base) {
			continue
		}
		if h.Size > flowers17MaxMember || total+h.Size > flowers17MaxTotal {
			return fmt.Errorf("%s: member %s: %d bytes, over the limit", tgz, h.Name, h.Size)
		}
		out, err := os.OpenFile(filepath.Join(tmp, base), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("%s: member %s: %w", tgz, h.Name, err)
		}
		n, err := io.Copy(out, io.LimitReader(tr, h.Size))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil && n != h.Size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return fmt.Errorf("%s: member %s: %w", tgz, h.Name, err)
		}
		total += n
		count++
	}
	if count == 0 {
		return fmt.Errorf("%s: no jpg/image_NNNN.jpg members", tgz)
	}
	if Flowers17FilesSHA256 != "" {
		got, err := flowers17FilesSum(tmp)
		if err != nil {
			return err
		}
		if got != Flowers17FilesSHA256 {
			return fmt.Errorf("%s: the %d extracted images: %w: got %s, want %s", tgz, count, ErrChecksum, got, Flowers17FilesSHA256)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		// Another process may have unpacked it meanwhile.
		if st, serr := os.Stat(dst); serr == nil && st.IsDir() {
			os.RemoveAll(tmp)
			return nil
		}
		return err
	}
	return nil
}

// flowers17FilesSum is the sha256 of the image_NNNN.jpg files of dir
// concatenated in name order.
func flowers17FilesSum(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range ents { // os.ReadDir sorts by name
		if !e.Type().IsRegular() || !flowers17Name.MatchString(e.Name()) {
			continue
		}
		if err := hashFile(h, filepath.Join(dir, e.Name())); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(w io.Writer, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}
