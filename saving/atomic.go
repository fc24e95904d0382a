package saving

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile writes entries and metadata to the file at path, atomically (see
// WriteFileAtomic).
func WriteFile(path string, entries []Entry, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		return write(w, entries, metadata)
	})
}

// WriteFileAtomic replaces the file at path with what write writes, so that
// path holds either its old content or the complete new one, never a part.
//
// write writes to a temporary file in path's directory; the file is flushed
// to disk and then renamed over path, and the directory is synced so the
// rename itself is durable. If write returns an error (or panics), or any
// step fails, the temporary file is removed and path is left as it was.
// The new file keeps the old one's permissions, or gets 0644.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	perm := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fmt.Errorf("saving: %s: not a regular file", path)
		}
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		committed = true // closed and removed already
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot open a directory for
// syncing, and its rename needs no such step.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
