package spec

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const hugeSpec = `model:
  input_shape: [13]
  layers:
    - Dense: {units: 32, activation: relu}
    - Dense: {units: UNITS}
    - Dense: {units: 1}
compile: {loss: mse, optimizer: adam}
`

// TestBuildRefusesHugeLayers builds specs that claim huge layers in a child
// process whose data segment is limited: each is refused with an error
// naming the layer, in under 100 ms, with a peak RSS under 50 MB.
func TestBuildRefusesHugeLayers(t *testing.T) {
	if units := os.Getenv("NEURONA_SPEC_CHILD"); units != "" {
		lim := syscall.Rlimit{Cur: 512 << 20, Max: 512 << 20}
		if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s, err := Parse([]byte(strings.Replace(hugeSpec, "UNITS", units, 1)), "huge.yaml", "")
		if err == nil {
			_, err = s.Build(1)
		}
		fmt.Printf("elapsed=%d\nerr=%v\n", time.Since(start).Microseconds(), err)
		// The peak RSS of this process's own memory since exec (the
		// parent's ru_maxrss for it also counts the parent's peak, whose
		// memory the child shares until it execs).
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					fmt.Printf("hwm=%s\n", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				}
			}
		}
		return
	}
	for units, want := range map[string]string{
		"40000000":            "more than 1,000,000,000 weights",
		"1000000000":          `layer "dense_2" (Dense): weight "kernel": shape (32, 1000000000) has more than`,
		"9223372036854775807": `layer "dense_2" (Dense): weight "kernel"`,
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBuildRefusesHugeLayers$")
		cmd.Env = append(os.Environ(), "NEURONA_SPEC_CHILD="+units)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("units %s: child failed: %v\n%s", units, err, out)
		}
		var us, hwm int64
		var buildErr string
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "elapsed="); ok {
				fmt.Sscan(v, &us)
			}
			if v, ok := strings.CutPrefix(line, "hwm="); ok {
				fmt.Sscan(v, &hwm)
			}
			if v, ok := strings.CutPrefix(line, "err="); ok {
				buildErr = v
			}
		}
		if !strings.Contains(buildErr, want) || !strings.HasPrefix(buildErr, "huge.yaml") {
			t.Errorf("units %s: error %q, want one containing %q", units, buildErr, want)
		}
		if us > 100_000 {
			t.Errorf("units %s: the refusal took %d µs", units, us)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		if hwm > 0 { // Linux: the child's own peak
			rss = hwm
		}
		if rss > 50<<10 {
			t.Errorf("units %s: the child's peak RSS was %d KiB", units, rss)
		}
	}
}

// TestMaxParams: the limit can be raised, and lowered.
func TestMaxParams(t *testing.T) {
	s, err := Parse([]byte(strings.Replace(hugeSpec, "UNITS", "100", 1)), "small.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	s.MaxParams = 4000 // the model has 448 + 3300 + 101 = 3,849 weights
	if _, err := s.Build(1); err != nil {
		t.Errorf("a model under the limit: %v", err)
	}
	s.MaxParams = 3000
	if _, err := s.Build(1); err == nil || !strings.Contains(err.Error(), "more than 3,000 weights") || !strings.Contains(err.Error(), "--max-params") {
		t.Errorf("a model over the limit: %v", err)
	}
}
