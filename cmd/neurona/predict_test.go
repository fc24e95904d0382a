package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPredictStreams predicts 100,000 rows and checks that the process's
// peak memory grows by well under 100 MB over a 10-row run, and that the
// output keeps the input's order.
func TestPredictStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and predicts 100,000 rows")
	}
	dir := writeFiles(t, map[string]string{
		"houses.csv": housesCSV(200, 3),
		"spec.yaml": `
model:
  input_shape: [3]
  layers: [{Dense: {units: 32, activation: relu}}, {Dense: {units: 1}}]
compile: {loss: mse, optimizer: adam}
data: {csv: houses.csv, targets: [price], preprocessing: {standardize: true}}
fit: {epochs: 2, batch_size: 32}
output: {model: m.nrn}
`})
	if _, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "spec.yaml"), "--verbose", "0"); code != 0 {
		t.Fatal(stderr)
	}
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "rooms,age,distance")
		for i := range n {
			// Rooms grow with the row number, so predictions rise in order.
			fmt.Fprintf(w, "%.4f,%d,%d\n", 3+6*float64(i)/float64(n), 50, 5)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	small, big := write("small.csv", 10), write("big.csv", 100000)
	peak := func(input string) (int64, string) {
		exe, _ := os.Executable()
		cmd := exec.Command(exe, "predict", filepath.Join(dir, "m.nrn"), input)
		cmd.Env = append(os.Environ(), "NEURONA_TEST_MAIN=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024, string(out)
	}
	base, _ := peak(small)
	rss, out := peak(big)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 100001 || lines[0] != "price" {
		t.Fatalf("%d output lines", len(lines))
	}
	var first, last float64
	fmt.Sscan(lines[1], &first)
	fmt.Sscan(lines[100000], &last)
	if !(last > first) {
		t.Errorf("predictions out of order: first %v, last %v", first, last)
	}
	t.Logf("peak RSS: %d MB for 10 rows, %d MB for 100,000 rows", base>>20, rss>>20)
	if rss-base > 100<<20 {
		t.Errorf("predicting 100,000 rows used %d MB more than 10 rows", (rss-base)>>20)
	}
}
