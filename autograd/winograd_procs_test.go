package autograd

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets TestWinogradIdenticalAcrossGOMAXPROCS run the Winograd
// convolutions in a child process with another GOMAXPROCS (the worker
// pool is sized once per process).
func TestMain(m *testing.M) {
	if os.Getenv("NEURONA_WINO_CHILD") == "1" {
		fmt.Print(winoStepHash())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// winoStepHash hashes the bits of winoStepBits, with the thresholds
// lowered so that all three Winograd paths (3×3, 5×5, space-to-depth) run
// forward and backward, in chunks small enough to split over the workers.
func winoStepHash() string {
	defer forceWinograd(16 * 8 * 40)()
	h := fnv.New64a()
	for _, r := range winoStepBits() {
		for _, v := range r {
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// TestWinogradIdenticalAcrossGOMAXPROCS runs the Winograd convolutions
// under GOMAXPROCS=1 and 2 in child processes and checks that every bit
// of the results matches this process's.
func TestWinogradIdenticalAcrossGOMAXPROCS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	want := winoStepHash()
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		cmd.Env = append(os.Environ(), "NEURONA_WINO_CHILD=1", "GOMAXPROCS="+procs)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v", procs, err)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("GOMAXPROCS=%s: results hash %s, want %s (this process)", procs, got, want)
		}
	}
}
