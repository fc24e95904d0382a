package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// zeroMember is one gzip member holding 1 MiB of zeros (about 1 KiB).
func zeroMember(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBomb builds a gzip stream that inflates to head followed by mib MiB of
// zeros: head in one member, then mib copies of a 1 MiB member of zeros (gzip
// readers join members into one stream). It compresses about 1000:1.
func gzipBomb(t testing.TB, head []byte, mib int) []byte {
	t.Helper()
	out := gzipBytes(t, head)
	z := zeroMember(t)
	out = append(make([]byte, 0, len(out)+mib*len(z)), out...)
	for range mib {
		out = append(out, z...)
	}
	return out
}

// countingReader counts the bytes read through it and hides their length.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A header declaring a small count, followed by a gigabyte of zeros: ReadIDX
// must stop right after the declared data, not inflate the rest.
func TestReadIDXGzipBombTrailing(t *testing.T) {
	head := idxBytes(0x08, []uint32{10, 28, 28}, make([]byte, 10*28*28))
	bomb := gzipBomb(t, head, 1024) // about 1 MB inflating to 1 GiB
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb is %d bytes, want about 1 MB", len(bomb))
	}
	for _, known := range []bool{true, false} {
		cr := &countingReader{r: bytes.NewReader(bomb)}
		var r io.Reader = cr
		if known {
			r = bytes.NewReader(bomb)
		}
		start := time.Now()
		var err error
		alloc := allocDuring(func() { _, err = ReadIDX(r) })
		wantErr(t, "gzip bomb", err, ErrInconsistentShape, "continues after")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("known length %v: refusing the bomb took %v", known, d)
		}
		if alloc > 8<<20 {
			t.Errorf("known length %v: allocated %d bytes for %d declared elements", known, alloc, 10*28*28)
		}
		// The compressed bytes consumed bound what was inflated: 1 KiB of
		// this stream holds at most 1 MiB, so 256 KiB read would mean ~256 MiB
		// inflated past the 7840 declared bytes.
		if !known && cr.n > 256<<10 {
			t.Errorf("read %d compressed bytes (of %d) for 7840 declared data bytes", cr.n, len(bomb))
		}
	}
}

// A header declaring more than MaxIDXElements is refused before any data is
// inflated or reserved, with an error that names the limit.
func TestReadIDXGzipBombOverLimit(t *testing.T) {
	const images = 1 << 19 // 411 M pixels, within what 400 KB of deflate can hold
	head := idxBytes(0x08, []uint32{images, 28, 28}, nil)
	bomb := gzipBomb(t, head, images*28*28>>20)
	cr := &countingReader{r: bytes.NewReader(bomb)}
	start := time.Now()
	var err error
	alloc := allocDuring(func() { _, err = ReadIDX(bytes.NewReader(bomb)) })
	wantErr(t, "over the limit", err, ErrTooLarge, "(524288, 28, 28)", "MaxIDXElements")
	if !errors.Is(err, ErrInconsistentShape) {
		t.Errorf("err %v does not wrap ErrInconsistentShape", err)
	}
	if alloc > 8<<20 {
		t.Errorf("allocated %d bytes before refusing", alloc)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
	if _, err := ReadIDX(cr); !errors.Is(err, ErrTooLarge) || cr.n > 128<<10 {
		t.Errorf("unknown length: err %v after %d compressed bytes", err, cr.n)
	}

	// Raising the limit admits the file.
	defer func(old int64) { MaxIDXElements = old }(MaxIDXElements)
	MaxIDXElements = 10
	small := idxBytes(0x08, []uint32{11}, make([]byte, 11))
	wantErr(t, "lowered limit", func() error { _, err := ReadIDX(bytes.NewReader(small)); return err }(), ErrTooLarge, "11 elements", "10")
	MaxIDXElements = 11
	if _, err := ReadIDX(bytes.NewReader(small)); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// A gzip header lying about its count, over a body of incompressible bytes
// big enough that deflate could in principle hold the claim: ReadIDX must
// reserve memory for the data that arrives, not for the claim.
func TestReadIDXGzipLyingCountReservation(t *testing.T) {
	body := make([]byte, 200<<10)
	rand.Read(body)
	lie := gzipBytes(t, idxBytes(0x08, []uint32{1 << 27}, body)) // claims 128 Mi elements, 512 MiB as float32
	var err error
	alloc := allocDuring(func() { _, err = ReadIDX(bytes.NewReader(lie)) })
	wantErr(t, "lying gzip header", err, ErrTruncated, "134217728 data bytes")
	if alloc > 32<<20 {
		t.Errorf("allocated %d bytes for %d bytes of data", alloc, len(body))
	}
}

// LoadIDXDir compares the image count with the label count before it reads
// the images: a bomb of images paired with 10 labels is refused after its
// header.
func TestLoadIDXDirBombCountMismatch(t *testing.T) {
	dir := mnistDir(t)
	const images = 100000
	writeFile(t, dir, "train-labels-idx1-ubyte", idxBytes(0x08, []uint32{10}, make([]byte, 10)))
	bomb := gzipBomb(t, idxBytes(0x08, []uint32{images, 28, 28}, nil), images*28*28>>20)
	writeFile(t, dir, "train-images-idx3-ubyte.gz", append(bomb, gzipBytes(t, make([]byte, images*28*28%(1<<20)))...))
	var err error
	alloc := allocDuring(func() { _, _, err = LoadIDXDir(dir) })
	wantErr(t, "bomb with 10 labels", err, ErrCountMismatch, "train-labels-idx1-ubyte holds 10 labels",
		filepath.Join(dir, "train-images-idx3-ubyte.gz")+" holds 100000 images")
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes before comparing the counts", alloc)
	}
}
