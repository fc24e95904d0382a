package preprocessing

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurona/neurona/internal/img"
	"github.com/neurona/neurona/tensor"
)

// imageExtensions are the file extensions FlowFromDirectory lists (compared
// in lower case). Keras's white list also has ppm, tif and tiff, which this
// package cannot decode: such files are not listed.
var imageExtensions = []string{"png", "jpg", "jpeg", "bmp"}

// DirectoryIterator is Keras's DirectoryIterator, what FlowFromDirectory
// returns: batches of images read from files, resized, transformed and
// rescaled by the generator, with targets from their class folders. It is a
// Dataset (models.Dataset: Len and Batch) that streams: images are decoded
// by the workers as the batches are asked for, and memory holds
// ReadAhead+1 batches and one decoded image per worker, however many files
// the directory holds.
type DirectoryIterator struct {
	s         *stream
	dir       string
	classes   []string // class names, in index order
	filenames []string // relative to dir, as Keras's filenames
	labels    []int    // each file's class
	numClass  int
	mode      ClassMode
	interp    Interpolation
}

// FlowFromDirectory returns the images of dir as a stream of batches:
// Keras's ImageDataGenerator.flow_from_directory.
//
// dir holds one folder per class. The classes are opts.Classes in their
// order, or else the folders of dir (hidden ones too, symbolic links to
// folders too) sorted by name, numbered in that order; a class folder
// without images is kept as a
// class with no samples, as Keras keeps it (it still has a column in the
// one-hot targets). The images of a class are the files of its folder and
// of its sub-folders (symbolic links to folders are not followed) whose
// name ends in .png, .jpg, .jpeg or .bmp in any case, in Keras's order:
// folder by folder in the order of their paths, sorted by name within a
// folder. Other files are ignored. A directory without any image is an
// error (Keras would yield nothing).
//
// Each image is decoded to RGB (a grayscale image has its gray level in
// the three channels, an alpha channel is dropped, as PIL's
// convert('RGB') does), or to one channel of luma with ColorGrayscale,
// resized to opts.TargetSize with opts.Interpolation
// (up or down: an image smaller than the target is enlarged; the aspect
// ratio is not kept), then randomly transformed and rescaled as Flow does
// to its images. Pixel values are 0..255 before Rescale. The targets
// follow opts.ClassMode. A file that cannot be decoded (corrupt,
// truncated, not an image) makes Batch fail with an error that names it;
// it is never skipped.
//
// With opts.Subset, each class folder's first ValidationSplit of images
// (int(n·ValidationSplit) of n) are the validation subset, the others the
// training subset, as in Keras.
//
// Order and transforms are fixed by opts.Seed as in Flow, whatever the
// number of workers.
func (g *ImageDataGenerator) FlowFromDirectory(dir string, opts FlowOptions) (*DirectoryIterator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	var classes []string
	if len(o.Classes) > 0 {
		seen := map[string]bool{}
		for _, c := range o.Classes {
			fi, err := os.Stat(filepath.Join(dir, c))
			switch {
			case err != nil:
				return nil, fmt.Errorf("preprocessing: FlowFromDirectory: class %q: %w", c, err)
			case !fi.IsDir():
				return nil, fmt.Errorf("preprocessing: FlowFromDirectory: class %q: %s is not a folder", c, filepath.Join(dir, c))
			case seen[c] || c == "" || strings.ContainsAny(c, `/\`) || c == "." || c == "..":
				return nil, fmt.Errorf("preprocessing: FlowFromDirectory: class %q: want distinct folder names of %s", c, dir)
			}
			seen[c] = true
		}
		classes = slices.Clone(o.Classes)
	} else if classes, err = classFolders(dir); err != nil {
		return nil, err
	}
	it := &DirectoryIterator{dir: dir, classes: classes, numClass: len(classes), mode: o.ClassMode, interp: o.Interpolation}
	for ci, c := range classes {
		files, err := listImages(filepath.Join(dir, c))
		if err != nil {
			return nil, fmt.Errorf("preprocessing: FlowFromDirectory: %w", err)
		}
		lo, hi, err := g.split(o.Subset, len(files))
		if err != nil {
			return nil, err
		}
		for _, f := range files[lo:hi] {
			it.filenames = append(it.filenames, c+"/"+f)
			it.labels = append(it.labels, ci)
		}
	}
	if len(it.filenames) == 0 {
		return nil, fmt.Errorf("preprocessing: FlowFromDirectory: %s: no images (.png, .jpg, .jpeg, .bmp) in %d class folders", dir, len(classes))
	}
	h, w := o.TargetSize[0], o.TargetSize[1]
	var yShape []int
	switch o.ClassMode {
	case ClassCategorical:
		yShape = []int{len(classes)}
	case ClassBinary, ClassSparse:
		yShape = []int{1}
	}
	src := &dirSource{it: it, h: h, w: w}
	channels := 3
	if o.ColorMode == ColorGrayscale {
		channels, src.gray = 1, true
	}
	s, err := newStream(g, src, len(it.filenames), h, w, channels, yShape, o.ClassMode == ClassInput, o)
	if err != nil {
		return nil, err
	}
	it.s = s
	return it, nil
}

// classFolders returns the names of dir's folders, sorted.
func classFolders(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("preprocessing: FlowFromDirectory: %w", err)
	}
	var classes []string
	for _, e := range ents {
		if isDir(filepath.Join(dir, e.Name()), e) {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("preprocessing: FlowFromDirectory: %s has no class folders (one folder per class is expected)", dir)
	}
	slices.Sort(classes)
	return classes, nil
}

// isDir reports whether e (in path) is a folder or a link to one, as
// Python's os.path.isdir.
func isDir(path string, e os.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&os.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		return err == nil && fi.IsDir()
	}
	return false
}

// listImages returns the image files under root, relative to it and with
// forward slashes, in Keras's order (_iter_valid_files: os.walk without
// following links, sorted by folder path, then by file name).
func listImages(root string) ([]string, error) {
	type folder struct {
		path  string
		files []string
	}
	var folders []folder
	var walk func(path string) error
	walk = func(path string) error {
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		f := folder{path: path}
		for _, e := range ents {
			p := filepath.Join(path, e.Name())
			if isDir(p, e) {
				if e.IsDir() { // os.walk(followlinks=False) does not enter links
					if err := walk(p); err != nil {
						return err
					}
				}
				continue
			}
			if hasImageExt(e.Name()) {
				f.files = append(f.files, e.Name())
			}
		}
		folders = append(folders, f)
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	slices.SortStableFunc(folders, func(a, b folder) int { return strings.Compare(a.path, b.path) })
	var out []string
	for _, f := range folders {
		slices.Sort(f.files)
		rel, err := filepath.Rel(root, f.path)
		if err != nil {
			return nil, err
		}
		for _, name := range f.files {
			if rel == "." {
				out = append(out, name)
			} else {
				out = append(out, filepath.ToSlash(filepath.Join(rel, name)))
			}
		}
	}
	return out, nil
}

func hasImageExt(name string) bool {
	l := strings.ToLower(name)
	for _, e := range imageExtensions {
		if strings.HasSuffix(l, "."+e) {
			return true
		}
	}
	return false
}

type dirSource struct {
	it   *DirectoryIterator
	h, w int
	gray bool // ColorGrayscale
}

func (d *dirSource) load(j int, dst []float32, ws *worker) error {
	path := filepath.Join(d.it.dir, filepath.FromSlash(d.it.filenames[j]))
	m, err := ws.decodeFile(path)
	if err != nil {
		return fmt.Errorf("image %s: %w", path, err)
	}
	if d.gray {
		// PIL's convert('L') (L24 in Convert.c), before the resize as in
		// load_img.
		ws.gray = grow(ws.gray, m.W*m.H)
		for i := range ws.gray {
			p := m.Pix[3*i : 3*i+3]
			ws.gray[i] = float32((uint32(p[0])*19595 + uint32(p[1])*38470 + uint32(p[2])*7471 + 0x8000) >> 16)
		}
		return ws.rs.resizeRGB(dst, ws.gray, m.W, m.H, d.w, d.h, 1, d.it.interp)
	}
	return ws.rs.resizeRGB(dst, m.Pix, m.W, m.H, d.w, d.h, 3, d.it.interp)
}

func (d *dirSource) label(j int, dst []float32) {
	c := d.it.labels[j]
	switch d.it.mode {
	case ClassCategorical:
		clear(dst)
		dst[c] = 1
	default:
		dst[0] = float32(c)
	}
}

// decodeFile decodes the image file at path: a BMP by decodeBMP, anything
// else by internal/img (JPEG, PNG).
func (ws *worker) decodeFile(path string) (*img.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if ws.br == nil {
		ws.br = bufio.NewReaderSize(f, 64<<10)
	} else {
		ws.br.Reset(f)
	}
	defer ws.br.Reset(nil)
	head, err := ws.br.Peek(2)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty or truncated file")
		}
		return nil, err
	}
	if string(head) == "BM" {
		return decodeBMP(ws.br)
	}
	return img.Decode(ws.br)
}

// Samples returns the number of images.
func (it *DirectoryIterator) Samples() int { return it.s.n }

// Len returns the number of batches per pass, ceil(Samples / BatchSize)
// (Keras's len of the iterator).
func (it *DirectoryIterator) Len() int { return it.s.Len() }

// Batch returns batch i of pass number pass (the Dataset interface):
// images of shape (batch, height, width, channels) (3 channels, 1 with
// ColorGrayscale) and, unless ClassMode is
// ClassNone, their targets. The last batch of a pass is shorter when the
// batch size does not divide the number of images. Asked for the batches of
// a pass in order (as FitDataset does), it returns batches the workers
// prepared while the caller worked on the previous ones; asked for any
// other batch, it waits for those in preparation, drops them and starts
// from the one asked for. The tensors are the iterator's and valid until
// the next call. An image that cannot be read or decoded is an error that
// names its file.
func (it *DirectoryIterator) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	return it.s.Batch(pass, i)
}

// Close stops the workers once the batches in preparation are done; Batch
// fails afterwards. An iterator dropped without Close stops its workers
// when it is garbage-collected.
func (it *DirectoryIterator) Close() error { return it.s.Close() }

// NumClasses returns the number of classes (class folders).
func (it *DirectoryIterator) NumClasses() int { return it.numClass }

// ClassNames returns the class names in the order of their indices.
func (it *DirectoryIterator) ClassNames() []string { return slices.Clone(it.classes) }

// ClassIndices returns each class name's index (Keras's class_indices).
func (it *DirectoryIterator) ClassIndices() map[string]int {
	m := make(map[string]int, len(it.classes))
	for i, c := range it.classes {
		m[c] = i
	}
	return m
}

// Filenames returns the images' paths relative to the directory, with
// forward slashes ("class/file.jpg"), in sample order (Keras's filenames).
func (it *DirectoryIterator) Filenames() []string { return slices.Clone(it.filenames) }

// Classes returns each image's class index, in sample order (Keras's
// classes).
func (it *DirectoryIterator) Classes() []int { return slices.Clone(it.labels) }
