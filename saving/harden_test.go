package saving

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurona/neurona/tensor"
)

// Temporary files left by killed saves of path are removed by the next
// save to path; other files, fresh temporary files (a save in progress)
// and files of other paths stay.
func TestWriteFileAtomicRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ck.nrn")
	old := time.Now().Add(-2 * StaleTempAge)
	mk := func(name string, mtime time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, 1000), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	stale := []string{".ck.nrn.tmp-1234567", ".ck.nrn.tmp-42"}
	keep := []string{
		".ck.nrn.tmp-999",      // fresh: a save may be writing it
		".other.nrn.tmp-12345", // another path's
		".ck.tmp-12345",        // the temp of path "ck"
		".ck.nrn.tmp-12x",      // not CreateTemp's pattern
		"ck.nrn.tmp-12345",     // not hidden: not ours
		"notes.txt",
	}
	for _, n := range stale {
		mk(n, old)
	}
	for _, n := range keep {
		if n == ".ck.nrn.tmp-999" {
			mk(n, time.Now())
		} else {
			mk(n, old)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".ck.nrn.tmp-77"), 0o755); err != nil { // not a regular file
		t.Fatal(err)
	}
	keep = append(keep, ".ck.nrn.tmp-77")
	if err := WriteFile(path, []Entry{{Name: "w", Tensor: tensor.FromSlice([]float32{1}, 1)}}, nil); err != nil {
		t.Fatal(err)
	}
	names := dirNames(t, dir)
	for _, n := range stale {
		if slices.Contains(names, n) {
			t.Errorf("stale temp file %s is still there: %v", n, names)
		}
	}
	for _, n := range append(keep, "ck.nrn") {
		if !slices.Contains(names, n) {
			t.Errorf("%s was removed: %v", n, names)
		}
	}
}

// ReadFile refuses what is not a regular file with a clear error instead of
// blocking on it or reading it.
func TestReadFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{dir, os.DevNull} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		_, err := ReadFile(p)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), p) {
			t.Errorf("ReadFile(%s): err %v, want \"not a regular file\" naming it", p, err)
		}
	}
}

// A file that is not a safetensors file at all (here a CSV file) is
// reported as such, not as a huge header length.
func TestReadNotAModelFile(t *testing.T) {
	for name, b := range map[string][]byte{
		"csv":         []byte("crim,zn,indus,chas\n0.00632,18,2.31,0\n0.02731,0,7.07,0\n"),
		"short csv":   []byte("a,b\n1,2\n3,4\n"),
		"not json":    append([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "hello!!!"...),
		"binary junk": {0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0xfd, 0xfc},
	} {
		path := filepath.Join(t.TempDir(), "data.csv")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path)
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "not a neurona model file (no safetensors header)") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err %v, want \"not a neurona model file\" naming %s", name, err, path)
		}
	}
	// A real model file cut short still says truncated.
	b := file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))
	_, err := Read(strings.NewReader(string(b[:20])), 20)
	if err == nil || !strings.Contains(err.Error(), "truncated") || strings.Contains(err.Error(), "not a neurona model") {
		t.Errorf("truncated model file: err %v, want truncated", err)
	}
}
