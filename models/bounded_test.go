package models_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/saving"
)

// hugeModelFiles writes a small trained model, then copies of it whose
// config claims a layer far larger than the file's weights.
func hugeModelFiles(t *testing.T) map[string]string {
	dir := t.TempDir()
	layers.ResetNames()
	m := models.NewSequential(&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 13}, &layers.Dense{Units: 1})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.nrn")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	f, err := saving.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for name, units := range map[string]string{"billion": "1000000000", "hundred_million": "100000000", "maxint": "9223372036854775807", "negative": "-5"} {
		meta := map[string]string{}
		for k, v := range f.Metadata {
			meta[k] = v
		}
		if !strings.Contains(meta["config"], `"units":32`) {
			t.Fatalf("config %s", meta["config"])
		}
		meta["config"] = strings.Replace(meta["config"], `"units":32`, `"units":`+units, 1)
		path := filepath.Join(dir, name+".nrn")
		if err := saving.WriteFile(path, f.Entries, meta); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Size() > 8<<10 {
			t.Fatalf("%s is %d bytes", path, st.Size())
		}
		files[name] = path
	}
	return files
}

// TestLoadRefusesHugeLayers loads each file in a child process whose data
// segment is limited, and checks the refusal: an error naming the weight,
// in under 100 ms, the child's peak RSS under 50 MB.
func TestLoadRefusesHugeLayers(t *testing.T) {
	if path := os.Getenv("NEURONA_LOAD_CHILD"); path != "" {
		lim := syscall.Rlimit{Cur: 512 << 20, Max: 512 << 20}
		if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err := models.Load(path)
		fmt.Printf("elapsed=%d\nerr=%v\n", time.Since(start).Microseconds(), err)
		return
	}
	for name, path := range hugeModelFiles(t) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadRefusesHugeLayers$")
		cmd.Env = append(os.Environ(), "NEURONA_LOAD_CHILD="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: child failed: %v\n%s", name, err, out)
		}
		var us int64
		var loadErr string
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "elapsed="); ok {
				fmt.Sscan(v, &us)
			}
			if v, ok := strings.CutPrefix(line, "err="); ok {
				loadErr = v
			}
		}
		if !strings.Contains(loadErr, "dense_1") || loadErr == "<nil>" {
			t.Errorf("%s: Load error %q does not refuse the layer", name, loadErr)
		}
		if us > 100_000 {
			t.Errorf("%s: the refusal took %d µs", name, us)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		if rss > 50<<10 {
			t.Errorf("%s: the child's peak RSS was %d KiB", name, rss)
		}
		t.Logf("%s: refused in %d µs, peak RSS %d KiB: %s", name, us, rss, loadErr)
	}
}
