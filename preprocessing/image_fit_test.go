package preprocessing_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// writeClassDir writes n PNG images of side×side pixels into three class
// folders of dir; the class shows as the dominant colour.
func writeClassDir(t *testing.T, dir string, n, side int) {
	t.Helper()
	rng := tensor.NewRNG(1)
	im := image.NewRGBA(image.Rect(0, 0, side, side))
	var buf bytes.Buffer
	for c := range 3 {
		if err := os.Mkdir(filepath.Join(dir, fmt.Sprintf("class%d", c)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		c := i % 3
		for p := 0; p < len(im.Pix); p += 4 {
			for k := range 3 {
				v := 60 + rng.Intn(80)
				if k == c {
					v += 100
				}
				im.Pix[p+k] = uint8(v)
			}
			im.Pix[p+3] = 255
		}
		buf.Reset()
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, im); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("class%d", c), fmt.Sprintf("%04d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// heapWatch is a Dataset that records the heap in use after each batch.
type heapWatch struct {
	models.Dataset
	peak uint64
	ms   runtime.MemStats
}

func (h *heapWatch) Batch(pass, i int) (xs, ys []*tensor.Tensor, err error) {
	xs, ys, err = h.Dataset.Batch(pass, i)
	runtime.ReadMemStats(&h.ms)
	h.peak = max(h.peak, h.ms.HeapInuse)
	return xs, ys, err
}

// TestFitDatasetFromDirectory trains a small convolutional net on an image
// directory streamed by FlowFromDirectory (augmented, shuffled, with a
// validation stream), under a soft memory limit of 48 MiB and GOGC 50: two
// runs with the same seed and 1 or 4 workers give the same History, bit for
// bit, and the heap in use stays under 32 MiB, less than half the images'
// 69 MiB decoded (about 17 MiB measured).
func TestFitDatasetFromDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice on 600 files")
	}
	const n, side = 600, 100
	dir := t.TempDir()
	writeClassDir(t, dir, n, side)
	decoded := float64(n*side*side*3*4) / (1 << 20)
	// A soft limit and a lower GOGC keep the heap close to what is live,
	// so that the peak measures the stream's memory, not the collector's
	// slack.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
	defer debug.SetGCPercent(debug.SetGCPercent(50))

	gen := &preprocessing.ImageDataGenerator{RotationRange: 15, WidthShiftRange: 0.1, Zoom: 0.1,
		HorizontalFlip: true, Rescale: 1.0 / 255}
	plain := &preprocessing.ImageDataGenerator{Rescale: 1.0 / 255}
	train := func(workers int) (*models.History, uint64) {
		opts := preprocessing.FlowOptions{TargetSize: [2]int{24, 24}, BatchSize: 32, Seed: 7, Workers: workers}
		ds, err := gen.FlowFromDirectory(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer ds.Close()
		opts.NoShuffle = true
		val, err := plain.FlowFromDirectory(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer val.Close()
		m := models.NewSequential(
			&layers.Conv2D{Filters: 4, KernelSize: [2]int{3, 3}, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{24, 24, 3}}},
			&layers.MaxPooling2D{},
			&layers.Flatten{},
			&layers.Dense{Units: 3, Activation: activations.Softmax},
		)
		m.Seed = 1
		if err := m.Compile(losses.CategoricalCrossentropy{}, &optimizers.Adam{}, metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		w := &heapWatch{Dataset: ds}
		h, err := m.FitDataset(context.Background(), w, models.FitConfig{Epochs: 2, ValidationData: val})
		if err != nil {
			t.Fatal(err)
		}
		return h, w.peak
	}
	h1, peak1 := train(1)
	h4, peak4 := train(4)
	if !reflect.DeepEqual(h1.Values, h4.Values) {
		t.Errorf("1 worker: %v\n4 workers: %v", h1.Values, h4.Values)
	}
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	const bound = 32 << 20
	t.Logf("%d files, %.0f MiB decoded as float32; peak heap in use %.1f MiB (1 worker), %.1f MiB (4 workers); History %v",
		n, decoded, mb(peak1), mb(peak4), h1.Values)
	if peak1 > bound || peak4 > bound {
		t.Errorf("heap in use reached %.1f / %.1f MiB: want under %.0f MiB", mb(peak1), mb(peak4), mb(bound))
	}
	if acc := h1.Values["val_accuracy"]; acc[len(acc)-1] < 0.5 {
		t.Errorf("validation accuracy %v: the net did not learn the colours", acc)
	}
}
