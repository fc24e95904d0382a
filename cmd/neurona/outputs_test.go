package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/neurona/neurona/models"
)

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("%s is not a PNG: %v", path, err)
	}
}

// TestLearningSpeedOrdering checks the book's Figure 8.8 finding on a
// short run: the layers nearest the input learn slowest.
func TestLearningSpeedOrdering(t *testing.T) {
	dir := t.TempDir()
	plotPath := filepath.Join(dir, "speed.png")
	out, stderr, code := neurona(t, nil, "run", "learning-speed", "--epochs", "2", "--verbose", "0", "--speed-plot", plotPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	re := regexp.MustCompile(`(?m)^  (dense_\d+) +([0-9.]+)$`)
	var speeds []float64
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		speeds = append(speeds, v)
	}
	if len(speeds) != 6 {
		t.Fatalf("found %d hidden-layer speeds in:\n%s", len(speeds), out)
	}
	for l := 1; l < len(speeds); l++ {
		if !(speeds[l-1] < speeds[l]) {
			t.Errorf("hidden layer %d is not slower than layer %d: %v", l, l+1, speeds)
		}
	}
	checkPNG(t, plotPath)
}

func TestRegressionPlotHistoryAndSave(t *testing.T) {
	dir := t.TempDir()
	curves, hist, model := filepath.Join(dir, "curves.png"), filepath.Join(dir, "h.csv"), filepath.Join(dir, "m.nrn")
	_, stderr, code := neurona(t, nil, "run", "regression", "--epochs", "5", "--verbose", "0",
		"--plot", curves, "--history", hist, "--save", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkPNG(t, curves)
	b, err := os.ReadFile(hist)
	if err != nil || !strings.HasPrefix(string(b), "epoch,loss,val_loss\n0,") || strings.Count(string(b), "\n") != 6 {
		t.Errorf("history CSV:\n%s (%v)", b, err)
	}
	if _, err := models.Load(model); err != nil {
		t.Error(err)
	}
	// neurona plot redraws the curves from the CSV.
	again := filepath.Join(dir, "again.svg")
	out, stderr, code := neurona(t, nil, "plot", hist, "--out", again)
	if code != 0 || strings.TrimSpace(out) != again {
		t.Fatalf("plot: exit %d, %q, %s", code, out, stderr)
	}
	if b, _ := os.ReadFile(again); !bytes.Contains(b, []byte("val_loss")) {
		t.Error("the SVG does not name val_loss")
	}
}

// TestInterruptWritesCheckpoint sends SIGINT during training: the command
// finishes the batch, keeps the end-of-epoch checkpoint, says where and how
// to resume from it, and exits 130.
func TestInterruptWritesCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "ckpt.nrn")
	cmd := exec.Command(exe, "run", "shallow", "--verbose", "0", "--checkpoint", ckpt)
	cmd.Env = append(os.Environ(), "NEURONA_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the first epoch's checkpoint, then interrupt.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, stderr %q", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--resume "+ckpt) {
		t.Errorf("stderr %q does not say where the checkpoint is", stderr.String())
	}
	if strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("a stack trace reached the user: %s", stderr.String())
	}
	if _, err := models.Load(ckpt); err != nil {
		t.Errorf("the checkpoint does not load: %v", err)
	}
}
