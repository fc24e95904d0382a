//go:build unix

package saving

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurona/neurona/tensor"
)

// A FIFO given as a model file is refused at once: opening it for reading
// would block until a writer comes.
func TestReadFileFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.nrn")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := ReadFile(path)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), path) {
			t.Errorf("err %v, want \"not a regular file\" naming %s", err, path)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO for 3 s")
		// The goroutine stays blocked in open until the test binary exits.
	}
}

// An old temporary file that a live save holds locked is not removed.
func TestWriteFileAtomicKeepsLockedTemp(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, ".ck.nrn.tmp-31337")
	if err := os.WriteFile(live, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * StaleTempAge)
	if err := os.Chtimes(live, old, old); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := lockTemp(f); err != nil {
		t.Skipf("flock: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "ck.nrn"), []Entry{{Name: "w", Tensor: tensor.New(1)}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a locked temporary file was removed: %v", err)
	}
	f.Close() // the save is over; the next save removes it
	if err := WriteFile(filepath.Join(dir, "ck.nrn"), []Entry{{Name: "w", Tensor: tensor.New(1)}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live); !os.IsNotExist(err) {
		t.Errorf("an unlocked stale temporary file stayed: %v", err)
	}
}
