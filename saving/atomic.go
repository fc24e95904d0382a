package saving

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// StaleTempAge is how old a temporary file of WriteFileAtomic must be
// (since its last write) before a later save to the same path may remove it
// as left behind by a save that was killed. On Unix a live save also holds
// an flock on its temporary file, and a locked file is never removed
// whatever its age; there the age only covers the moment between creating
// and locking the file, and between closing and renaming it. Elsewhere the
// age alone tells stale files from live ones, so a save whose write
// function stalls longer than this may lose its temporary file (and then
// fails; path is left as it was). Set it before saving, not during.
var StaleTempAge = 10 * time.Minute

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
//
// The temporary file is named "."+base+".tmp-" and random digits, beside
// path. A save killed before its rename leaves it behind; the next
// WriteFileAtomic to path first removes such files of path's that are
// regular files, older than StaleTempAge and not locked by a live save (see
// StaleTempAge). Files of other paths, and anything else, are left alone.
// This cleanup is best effort: a file it cannot remove is left.
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
	removeStaleTemps(dir, base)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving: %s: %w", path, err)
	}
	lockTemp(tmp) // best effort: without a lock, StaleTempAge protects it
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

// removeStaleTemps removes the temporary files that killed saves to
// dir/base left, as WriteFileAtomic documents.
func removeStaleTemps(dir, base string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	cutoff := time.Now().Add(-StaleTempAge)
	for _, de := range des {
		suffix, ok := strings.CutPrefix(de.Name(), prefix)
		if !ok || suffix == "" || strings.Trim(suffix, "0123456789") != "" || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
			continue
		}
		removeIfUnlocked(filepath.Join(dir, de.Name()))
	}
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
