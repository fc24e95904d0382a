package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/neurona/neurona/tensor"
)

// Errors that ReadIDX, ReadIDXFile and LoadIDXDir wrap, for use with errors.Is.
var (
	// ErrTruncated means an IDX file ends before its header or its data do.
	ErrTruncated = errors.New("truncated IDX file")
	// ErrBadMagic means a file does not start with an IDX magic number
	// (two zero bytes, a dtype code and a dimension count).
	ErrBadMagic = errors.New("bad IDX magic number")
	// ErrUnsupportedDType means an IDX header names a dtype code other than
	// 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32)
	// or 0x0E (float64).
	ErrUnsupportedDType = errors.New("unsupported IDX dtype")
	// ErrInconsistentShape means dimensions that do not fit together: a
	// header whose dimensions do not match the data that follows, or files
	// of a data set whose shapes disagree.
	ErrInconsistentShape = errors.New("inconsistent IDX dimensions")
	// ErrCountMismatch means a label file holds a different number of
	// labels than its image file holds images.
	ErrCountMismatch = errors.New("label count differs from image count")
	// ErrTooLarge means an IDX header declares more elements than
	// MaxIDXElements. Errors wrapping it also wrap ErrInconsistentShape.
	ErrTooLarge = errors.New("IDX file too large")
)

// MaxIDXElements is the most elements an IDX header may declare; ReadIDX,
// ReadIDXFile and LoadIDXDir refuse larger files right after the header
// (ErrTooLarge), before reading or inflating any data. The default, 2^28
// elements (1 GiB as float32), is over five times MNIST's training images
// (47 Mi elements). Raise it before reading larger files; it must not be
// changed while a read is in progress.
var MaxIDXElements int64 = 1 << 28

// idxGrowStep is how many elements ReadIDX allocates ahead of the data when
// it cannot tell how much data its reader holds, or the data is compressed.
const idxGrowStep = 1 << 20

// maxDeflateRatio bounds how many bytes one byte of deflate data can expand
// to (the format's limit is about 1032:1).
const maxDeflateRatio = 1040

// idxDType describes one IDX element type.
type idxDType struct {
	name string
	size int
}

var idxDTypes = map[byte]idxDType{
	0x08: {"uint8", 1},
	0x09: {"int8", 1},
	0x0B: {"int16", 2},
	0x0C: {"int32", 4},
	0x0D: {"float32", 4},
	0x0E: {"float64", 8},
}

// ReadIDX reads one IDX file (the format of MNIST) from r, gzip-compressed or
// raw: it tells them apart by the gzip magic bytes 1f 8b. It returns a float32
// tensor with the file's shape and values; every IDX dtype converts exactly
// except int32 and float64 values that float32 cannot hold, which are
// rounded. ReadIDX reads r to the end; data after the declared elements is
// an error (ErrInconsistentShape).
//
// Bad input gives an error wrapping ErrTruncated, ErrBadMagic,
// ErrUnsupportedDType, ErrInconsistentShape or ErrTooLarge (a header
// declaring more than MaxIDXElements). ReadIDX never inflates more than the
// header declares plus one decompressor window: data past the declared
// elements is refused as soon as its first byte arrives. Memory is
// allocated as data arrives (or up front for raw data when r reports its
// length, as *os.File, *bytes.Reader and *strings.Reader do, and holds the
// declared data), so a lying header cannot make ReadIDX allocate much more
// than the input actually fills.
func ReadIDX(r io.Reader) (*tensor.Tensor, error) {
	return readIDX(r, nil)
}

// readIDX is ReadIDX; check, when not nil, vets the header's shape before
// any data is read, and its error is returned as is.
func readIDX(r io.Reader, check func(shape []int) error) (*tensor.Tensor, error) {
	avail, known := remaining(r)
	br := bufio.NewReaderSize(r, 1<<16)
	var src io.Reader = br
	maxData := avail
	gz := false
	if m, err := br.Peek(2); err == nil && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: gzip header cut short", ErrTruncated)
			}
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		defer zr.Close()
		src = zr
		gz = true
		if known {
			maxData = avail*maxDeflateRatio + 1<<16
			if maxData/maxDeflateRatio < avail { // overflow
				maxData = math.MaxInt64
			}
		}
	}

	var hdr [4]byte
	if err := readFull(src, hdr[:], "the magic number"); err != nil {
		return nil, err
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("%w 0x%08x: an IDX file starts with 0x0000, then a dtype byte and a dimension count", ErrBadMagic, magic)
	}
	dt, ok := idxDTypes[hdr[2]]
	if !ok {
		return nil, fmt.Errorf("%w code 0x%02x (magic number 0x%08x)", ErrUnsupportedDType, hdr[2], magic)
	}
	ndim := int(hdr[3])
	if ndim == 0 {
		return nil, fmt.Errorf("%w: header declares 0 dimensions (magic number 0x%08x)", ErrInconsistentShape, magic)
	}
	dimBuf := make([]byte, 4*ndim)
	if err := readFull(src, dimBuf, fmt.Sprintf("the %d dimension sizes", ndim)); err != nil {
		return nil, err
	}
	shape := make([]int, ndim)
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(dimBuf[4*i:]))
	}
	total := int64(1)
	overflow := false // the product does not fit an int64
	for i := range shape {
		d := int64(binary.BigEndian.Uint32(dimBuf[4*i:]))
		if d == 0 {
			total, overflow = 0, false
			break
		}
		if total > math.MaxInt64/8/d { // 8: the largest element size
			overflow = true
		} else {
			total *= d
		}
	}
	if overflow {
		return nil, fmt.Errorf("%w: %w: header declares shape %s, more than datasets.MaxIDXElements (%d) elements",
			ErrTooLarge, ErrInconsistentShape, tensor.ShapeString(shape), MaxIDXElements)
	}
	if total > MaxIDXElements {
		return nil, fmt.Errorf("%w: %w: header declares shape %s, %d elements, more than datasets.MaxIDXElements (%d)",
			ErrTooLarge, ErrInconsistentShape, tensor.ShapeString(shape), total, MaxIDXElements)
	}
	if total > int64(math.MaxInt) {
		return nil, fmt.Errorf("%w: shape %v does not fit this platform's int", ErrInconsistentShape, shape)
	}
	dataBytes := total * int64(dt.size)
	headBytes := int64(4 + 4*ndim)
	if known && !gz && dataBytes > avail-headBytes {
		return nil, fmt.Errorf("%w: shape %s of %s needs %d data bytes, the input has %d",
			ErrTruncated, tensor.ShapeString(shape), dt.name, dataBytes, max(avail-headBytes, 0))
	}
	if known && dataBytes > maxData {
		return nil, fmt.Errorf("%w: shape %s of %s needs %d data bytes, more than %d compressed bytes can hold",
			ErrTruncated, tensor.ShapeString(shape), dt.name, dataBytes, avail)
	}

	if check != nil {
		if err := check(shape); err != nil {
			return nil, err
		}
	}

	// Raw data of known length holds the declared elements (checked above),
	// so they are reserved at once; otherwise the buffer grows with the data.
	n := int(total)
	alloc := n
	if !known || gz {
		alloc = min(n, idxGrowStep)
	}
	out := make([]float32, 0, alloc)
	buf := make([]byte, (1<<16)/8*8)
	for len(out) < n {
		want := min((n-len(out))*dt.size, len(buf))
		got, err := io.ReadFull(src, buf[:want])
		if got%dt.size != 0 || err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: shape %s of %s needs %d data bytes, the input has %d",
					ErrTruncated, tensor.ShapeString(shape), dt.name, dataBytes, int64(len(out))*int64(dt.size)+int64(got))
			}
			return nil, fmt.Errorf("idx: reading data: %w", err)
		}
		if len(out)+got/dt.size > cap(out) {
			grown := make([]float32, len(out), min(n, 2*cap(out)+got/dt.size))
			copy(grown, out)
			out = grown
		}
		out = decodeIDX(out, buf[:got], hdr[2])
	}
	// The data must end here.
	var one [1]byte
	extra, err := io.ReadFull(src, one[:])
	if extra > 0 {
		return nil, fmt.Errorf("%w: data continues after the %d elements of shape %s",
			ErrInconsistentShape, n, tensor.ShapeString(shape))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: the gzip stream ends before its trailer", ErrTruncated)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("idx: after the data: %w", err)
	}
	return tensor.FromSlice(out, shape...), nil
}

// readFull reads a header part, reporting a short read as ErrTruncated.
func readFull(r io.Reader, b []byte, what string) error {
	n, err := io.ReadFull(r, b)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the input ends inside %s (%d of %d bytes)", ErrTruncated, what, n, len(b))
	}
	return fmt.Errorf("idx: reading %s: %w", what, err)
}

// remaining reports how many bytes r still holds, when r can tell.
func remaining(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len()), true
	case *os.File:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		pos, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return max(fi.Size()-pos, 0), true
	}
	return 0, false
}

// decodeIDX appends the big-endian elements in b, of the given dtype code, to
// out as float32. len(b) is a multiple of the element size and out has the
// capacity.
func decodeIDX(out []float32, b []byte, code byte) []float32 {
	switch code {
	case 0x08:
		for _, v := range b {
			out = append(out, float32(v))
		}
	case 0x09:
		for _, v := range b {
			out = append(out, float32(int8(v)))
		}
	case 0x0B:
		for i := 0; i < len(b); i += 2 {
			out = append(out, float32(int16(binary.BigEndian.Uint16(b[i:]))))
		}
	case 0x0C:
		for i := 0; i < len(b); i += 4 {
			out = append(out, float32(int32(binary.BigEndian.Uint32(b[i:]))))
		}
	case 0x0D:
		for i := 0; i < len(b); i += 4 {
			out = append(out, math.Float32frombits(binary.BigEndian.Uint32(b[i:])))
		}
	case 0x0E:
		for i := 0; i < len(b); i += 8 {
			out = append(out, float32(math.Float64frombits(binary.BigEndian.Uint64(b[i:]))))
		}
	}
	return out
}

// ReadIDXFile reads the IDX file at path, gzip-compressed or raw, as ReadIDX
// does. Errors name the file.
func ReadIDXFile(path string) (*tensor.Tensor, error) {
	return readIDXFile(path, nil)
}

// readIDXFile is ReadIDXFile with readIDX's header check.
func readIDXFile(path string, check func(shape []int) error) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	defer f.Close()
	t, err := readIDX(f, check)
	if err != nil {
		return nil, fmt.Errorf("datasets: %s: %w", path, err)
	}
	return t, nil
}

// The standard IDX file names of MNIST and the data sets that copy its
// layout (Fashion-MNIST, KMNIST, ...), without the optional .gz suffix.
const (
	idxTrainImages = "train-images-idx3-ubyte"
	idxTrainLabels = "train-labels-idx1-ubyte"
	idxTestImages  = "t10k-images-idx3-ubyte"
	idxTestLabels  = "t10k-labels-idx1-ubyte"
)

// LoadIDXDir reads an MNIST-style data set from dir: the files
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each raw or gzip-compressed with a .gz suffix (the
// raw file is used when both exist). X holds the images as stored, (n, rows,
// cols) for MNIST, and Y the labels, (n,). Label files must be 1-D with one
// label per image, and the training and test images must have the same
// per-sample shape.
//
// Each label file is read before its image file, and an image file's header
// is checked against the label count (and the test images' against the
// training images' sample shape) before any of its data is read or
// inflated, so a mismatched or oversized image file costs only its header.
func LoadIDXDir(dir string) (train, test Split, err error) {
	var names [4]string
	for i, base := range [4]string{idxTrainImages, idxTrainLabels, idxTestImages, idxTestLabels} {
		path := filepath.Join(dir, base)
		if _, err := os.Stat(path); err != nil {
			gz := path + ".gz"
			if _, errGz := os.Stat(gz); errGz != nil {
				return Split{}, Split{}, fmt.Errorf("datasets: %s: found neither %s nor %s.gz", dir, base, base)
			}
			path = gz
		}
		names[i] = path
	}
	if train, err = loadIDXPair(names[0], names[1], nil, ""); err != nil {
		return Split{}, Split{}, err
	}
	if test, err = loadIDXPair(names[2], names[3], train.X.Shape[1:], names[0]); err != nil {
		return Split{}, Split{}, err
	}
	return train, test, nil
}

// loadIDXPair reads the labels file, then the images file, refusing images
// whose header disagrees with the labels or, when sample is not nil, whose
// samples are not of that shape (the shape of likeName's samples), before
// reading their data.
func loadIDXPair(imagesName, labelsName string, sample []int, likeName string) (Split, error) {
	labels, err := readIDXFile(labelsName, func(shape []int) error {
		if len(shape) != 1 {
			return fmt.Errorf("%w: %s has shape %s, want 1-D labels",
				ErrInconsistentShape, labelsName, tensor.ShapeString(shape))
		}
		return nil
	})
	if err != nil {
		return Split{}, err
	}
	images, err := readIDXFile(imagesName, func(shape []int) error {
		if len(shape) < 2 {
			return fmt.Errorf("%w: %s has shape %s, want (samples, ...) with at least 2 dimensions",
				ErrInconsistentShape, imagesName, tensor.ShapeString(shape))
		}
		if shape[0] != labels.Dim(0) {
			return fmt.Errorf("%w: %s holds %d labels but %s holds %d images",
				ErrCountMismatch, labelsName, labels.Dim(0), imagesName, shape[0])
		}
		if sample != nil && !tensor.EqualShape(sample, shape[1:]) {
			return fmt.Errorf("%w: %s has samples of shape %s but %s has %s", ErrInconsistentShape,
				likeName, tensor.ShapeString(sample), imagesName, tensor.ShapeString(shape[1:]))
		}
		return nil
	})
	if err != nil {
		return Split{}, err
	}
	return PairIDX(images, labels, imagesName, labelsName)
}

// PairIDX checks that images and labels, read from the IDX files named
// imagesName and labelsName, form a data set, and returns them as a Split:
// images must have at least 2 dimensions (a sample count, then the sample
// shape) and labels must be 1-D with one label per image. Errors name the
// files and wrap ErrInconsistentShape or ErrCountMismatch.
func PairIDX(images, labels *tensor.Tensor, imagesName, labelsName string) (Split, error) {
	if images == nil || labels == nil {
		return Split{}, fmt.Errorf("datasets: PairIDX: nil tensor for %s or %s", imagesName, labelsName)
	}
	if images.Dims() < 2 {
		return Split{}, fmt.Errorf("datasets: %w: %s has shape %s, want (samples, ...) with at least 2 dimensions",
			ErrInconsistentShape, imagesName, tensor.ShapeString(images.Shape))
	}
	if labels.Dims() != 1 {
		return Split{}, fmt.Errorf("datasets: %w: %s has shape %s, want 1-D labels",
			ErrInconsistentShape, labelsName, tensor.ShapeString(labels.Shape))
	}
	if images.Dim(0) != labels.Dim(0) {
		return Split{}, fmt.Errorf("datasets: %w: %s holds %d labels but %s holds %d images",
			ErrCountMismatch, labelsName, labels.Dim(0), imagesName, images.Dim(0))
	}
	return Split{X: images, Y: labels}, nil
}
