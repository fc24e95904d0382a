//go:build !unix

package saving

import "os"

// openNoBlock is 0 where there are no FIFOs to block on.
const openNoBlock = 0

// lockTemp does nothing here; stale temporary files are told from live
// ones by age alone (StaleTempAge).
func lockTemp(*os.File) error { return nil }

// removeIfUnlocked removes the temporary file at path.
func removeIfUnlocked(path string) { os.Remove(path) }
