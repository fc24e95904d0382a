package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// 'neurona run alexnet --data-dir DIR' prints the notebook's summary and
// trains on the images of DIR (here the eight of the loader's testdata),
// holding out the last 10% as validation_split 0.1.
func TestRunAlexNetOnADirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a 22-million-weight net")
	}
	dir := filepath.Join("..", "..", "datasets", "testdata", "flowers17")
	out, stderr, code := neurona(t, nil, "run", "alexnet", "--data-dir", dir, "--epochs", "1", "--verbose", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Total params: 21,883,153", "Non-trainable params: 1,472", "Train on 7 samples, validate on 1 samples", "Epoch 1/1", "val_accuracy"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunFlowersBadDirectory(t *testing.T) {
	empty := t.TempDir()
	_, stderr, code := neurona(t, nil, "run", "vggnet", "--data-dir", empty, "--epochs", "1")
	if code == 0 || !strings.Contains(stderr, empty) {
		t.Errorf("an empty directory: exit %d, stderr %q", code, stderr)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "image_0001.jpg"), []byte("not a jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = neurona(t, nil, "run", "alexnet", "--data-dir", bad, "--epochs", "1")
	if code == 0 || !strings.Contains(stderr, "image_0001.jpg") || strings.Contains(stderr, "panic") {
		t.Errorf("a corrupt JPEG: exit %d, stderr %q", code, stderr)
	}
}

// The summaries of chapter 10's nets have the notebooks' totals (the
// whole tables are compared with the notebooks by the book-summaries tool).
func TestChapter10Summaries(t *testing.T) {
	for name, wants := range map[string][]string{
		"vggnet":            {"conv2d_13 (Conv2D)           (None, 2, 2, 512)         2359808", "Total params: 33,672,785", "Non-trainable params: 2,944"},
		"alexnet":           {"Total params: 21,883,153", "Trainable params: 21,881,681"},
		"vgg19":             {"block5_pool (MaxPooling2D)   (None, 7, 7, 512)         0", "Total params: 20,024,384"},
		"transfer-learning": {"Total params: 20,074,562", "Trainable params: 50,178"},
	} {
		out, stderr, code := neurona(t, nil, "summary", name)
		if code != 0 {
			t.Fatalf("summary %s: exit %d: %s", name, code, stderr)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("summary %s lacks %q:\n%s", name, w, out)
			}
		}
	}
}
