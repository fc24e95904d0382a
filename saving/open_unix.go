//go:build unix

package saving

import (
	"os"
	"syscall"
)

// openNoBlock makes opening a FIFO return at once instead of waiting for a
// writer; it does nothing to a regular file.
const openNoBlock = syscall.O_NONBLOCK

// lockTemp takes an exclusive advisory lock (flock) on a temporary file
// being written, so that other saves see it is live. The lock goes with the
// process, also when it is killed.
func lockTemp(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		lockErr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
	}); err != nil {
		return err
	}
	return lockErr
}

// removeIfUnlocked removes the temporary file at path unless a live save
// holds its lock.
func removeIfUnlocked(path string) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return
	}
	if lockTemp(f) == nil {
		os.Remove(path)
	}
}
