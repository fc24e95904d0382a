package preprocessing_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// The hard limit of the children's data segment, and the directory's
// size: 1,200 images of 256×256 are 900 MiB once decoded as float32,
// three times the limit.
const (
	rssLimit           = 300 << 20
	rssImages, rssSide = 1200, 256
)

// writeSmoothDir writes rssImages PNGs of rssSide² pixels into three class
// folders: smooth colour ramps, which PNG stores in a few kilobytes each.
func writeSmoothDir(t *testing.T, dir string) {
	t.Helper()
	im := image.NewRGBA(image.Rect(0, 0, rssSide, rssSide))
	var buf bytes.Buffer
	for c := range 3 {
		if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("class%d", c)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range rssImages {
		c := i % 3
		for y := range rssSide {
			for x := range rssSide {
				p := (y*rssSide + x) * 4
				for k := range 3 {
					v := 40 + (x+y+7*i)%60
					if k == c {
						v += 120
					}
					im.Pix[p+k] = uint8(v)
				}
				im.Pix[p+3] = 255
			}
		}
		buf.Reset()
		if err := png.Encode(&buf, im); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("class%d", c), fmt.Sprintf("%04d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rssChild runs in a child process under the data-segment limit: it
// trains on the directory through the stream ("stream"), or first decodes
// every image into memory at full size ("memory", which must not fit).
func rssChild(mode, dir string) error {
	lim := syscall.Rlimit{Cur: rssLimit, Max: rssLimit}
	if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
		return err
	}
	gen := &preprocessing.ImageDataGenerator{Rescale: 1.0 / 255, HorizontalFlip: true, RotationRange: 10}
	size := [2]int{32, 32}
	if mode == "memory" {
		size = [2]int{rssSide, rssSide}
	}
	ds, err := gen.FlowFromDirectory(dir, preprocessing.FlowOptions{TargetSize: size, BatchSize: 32, Seed: 3, Workers: 2})
	if err != nil {
		return err
	}
	defer ds.Close()
	if mode == "memory" { // keep every batch: the whole directory in memory
		var kept []*tensor.Tensor
		for i := range ds.Len() {
			xs, _, err := ds.Batch(0, i)
			if err != nil {
				return err
			}
			kept = append(kept, xs[0].Clone())
		}
		fmt.Println("kept", len(kept), "batches")
		return nil
	}
	m := models.NewSequential(
		&layers.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{32, 32, 3}}},
		&layers.MaxPooling2D{},
		&layers.Flatten{},
		&layers.Dense{Units: 3, Activation: activations.Softmax},
	)
	if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}); err != nil {
		return err
	}
	h, err := m.FitDataset(context.Background(), ds, models.FitConfig{Epochs: 2})
	if err != nil {
		return err
	}
	fmt.Printf("trained: loss %v\n", h.Values["loss"])
	return nil
}

// A directory three times larger, decoded, than the hard limit on the
// process's data segment trains through FlowFromDirectory and FitDataset;
// holding the same images in memory under the same limit fails.
func TestStreamTrainsUnderAMemoryLimit(t *testing.T) {
	if mode := os.Getenv("NEURONA_RSS_CHILD"); mode != "" {
		if err := rssChild(mode, os.Getenv("NEURONA_RSS_DIR")); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		return
	}
	if testing.Short() {
		t.Skip("writes 1,200 images and trains on them")
	}
	dir := t.TempDir()
	writeSmoothDir(t, dir)
	child := func(mode string) (string, error, int64) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStreamTrainsUnderAMemoryLimit$")
		cmd.Env = append(os.Environ(), "NEURONA_RSS_CHILD="+mode, "NEURONA_RSS_DIR="+dir)
		out, err := cmd.CombinedOutput()
		var rss int64
		if cmd.ProcessState != nil {
			rss = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		}
		return string(out), err, rss
	}
	out, err, rss := child("stream")
	if err != nil || !strings.Contains(out, "trained:") {
		t.Fatalf("streaming under a %d MiB limit failed: %v\n%s", rssLimit>>20, err, out)
	}
	t.Logf("stream: %d images (%d MiB decoded) trained under a %d MiB data limit; child peak RSS %d MiB (it counts the parent's until exec)",
		rssImages, rssImages*rssSide*rssSide*3*4>>20, rssLimit>>20, rss>>10)
	if rss<<10 > rssLimit {
		t.Errorf("the streaming child's peak RSS was %d MiB, over the %d MiB limit", rss>>10, rssLimit>>20)
	}
	if out, err, _ := child("memory"); err == nil {
		t.Errorf("holding the decoded images did not hit the %d MiB limit: the limit proves nothing\n%s", rssLimit>>20, out)
	}
}
