package saving

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// dirNames lists dir, to check that no temporary file is left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestWriteFileReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	entries := []Entry{{Name: "dense/kernel", Tensor: tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2)}}
	if err := WriteFile(path, entries, map[string]string{"format": "neurona/1"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := f.Get("dense/kernel")
	if !ok || !sameBits(k.Data, entries[0].Tensor.Data) || f.Metadata["format"] != "neurona/1" {
		t.Errorf("read back %+v", f)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
			t.Errorf("new file has mode %v, want 0644", st.Mode().Perm())
		}
	}
}

func TestReadFileErrorNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "saving: "+path) {
		t.Errorf("err = %v, want a format error naming %s", err, path)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestWriteFileAtomicFailure overwrites a file with a write that fails (by
// error and by panic) half-way: the old content must survive, and no
// temporary file may be left.
func TestWriteFileAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	old := []Entry{{Name: "w", Tensor: tensor.FromSlice([]float32{1, 2}, 2)}}
	if err := WriteFile(path, old, nil); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkOld := func(what string) {
		t.Helper()
		after, err := os.ReadFile(path)
		if err != nil || string(after) != string(before) {
			t.Errorf("%s: file changed (err %v)", what, err)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
			t.Errorf("%s: directory holds %q, want only the model", what, names)
		}
	}

	boom := errors.New("boom")
	err = WriteFileAtomic(path, func(w io.Writer) error {
		big := make([]byte, 200<<10) // more than the buffer, so it reaches the disk
		if _, err := w.Write(big); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the callback's error", err)
	}
	checkOld("error mid-write")

	func() {
		defer func() {
			if recover() == nil {
				t.Error("the callback's panic was swallowed")
			}
		}()
		WriteFileAtomic(path, func(w io.Writer) error {
			w.Write(make([]byte, 100<<10))
			panic("crash mid-write")
		})
	}()
	checkOld("panic mid-write")

	// A model that cannot be encoded leaves the old file too.
	if err := WriteFile(path, []Entry{{Name: "w", Tensor: nil}}, nil); err == nil {
		t.Error("WriteFile with a nil tensor succeeded")
	}
	checkOld("encoding error")

	// Success replaces the content and keeps the old file's mode.
	newer := []Entry{{Name: "w", Tensor: tensor.FromSlice([]float32{3, 4, 5}, 3)}}
	if err := WriteFile(path, newer, nil); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := f.Get("w"); w == nil || !sameBits(w.Data, []float32{3, 4, 5}) {
		t.Errorf("after overwrite w = %v", w)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"model.safetensors"}) {
		t.Errorf("after overwrite directory holds %q", names)
	}
	if runtime.GOOS != "windows" {
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("overwrite changed the mode to %v, want 0600", st.Mode().Perm())
		}
	}
}

func TestWriteFileAtomicBadPaths(t *testing.T) {
	dir := t.TempDir()
	ok := func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir", "f"), ok); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	if err := WriteFileAtomic(dir, ok); err == nil {
		t.Error("writing over a directory succeeded")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left %q behind", names)
	}
}

func TestWriteFileAtomicRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteFileAtomic("log.csv", func(w io.Writer) error {
		_, err := io.WriteString(w, "epoch,loss\n0,1.5\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("log.csv")
	if err != nil || string(got) != "epoch,loss\n0,1.5\n" {
		t.Errorf("log.csv = %q, %v", got, err)
	}
}
