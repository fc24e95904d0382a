package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeClasses writes a Keras-layout directory: two class folders of n
// small PNGs each, red ones and blue ones.
func writeClasses(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for ci, class := range []string{"hot_dog", "not_hot_dog"} {
		if err := os.Mkdir(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			m := image.NewRGBA(image.Rect(0, 0, 40, 30))
			for p := 0; p < len(m.Pix); p += 4 {
				m.Pix[p+2*ci] = uint8(150 + 10*i)
				m.Pix[p+3] = 255
			}
			m.Set(i, i, color.White)
			f, err := os.Create(filepath.Join(dir, class, string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, m); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}

// One step of the transfer-learning model on a Keras-layout directory:
// Keras's "Found ..." lines, the summary and a progress line in steps.
func TestTransferOnADirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs VGG19 on 224×224 images")
	}
	dir := writeClasses(t, 3)
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"--train", dir, "--valid", dir, "--epochs", "1", "--steps", "2", "--validation-steps", "1", "--batch-size", "2"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"Found 6 images belonging to 2 classes.", "Total params: 20,074,562", "Trainable params: 50,178", "Epoch 1/1", "2/2 [", "val_accuracy"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errs.String(), "ImageNet") {
		t.Errorf("no word on the missing ImageNet weights: %q", errs.String())
	}
}

// The same on the Flowers 17 photographs (the loader's eight test images):
// 17 classes, the last image held out.
func TestTransferOnFlowers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs VGG19 on 224×224 images")
	}
	var out, errs bytes.Buffer
	dir := filepath.Join("..", "..", "datasets", "testdata", "flowers17")
	code := run(context.Background(), []string{"--flowers", dir, "--epochs", "1", "--steps", "2", "--validation-steps", "1", "--batch-size", "3"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"predictions (Dense)          (None, 17)                426513", "2/2 [", "val_loss"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTransferUsage(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &out, &errs); code != 0 || !strings.Contains(errs.String(), "ImageNet weights cannot be downloaded here") {
		t.Errorf("--help: exit %d, %q", code, errs.String())
	}
	for _, args := range [][]string{{}, {"--train", "x"}, {"--flowers", "a", "--train", "b", "--valid", "c"}} {
		errs.Reset()
		if code := run(context.Background(), args, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	errs.Reset()
	if code := run(context.Background(), []string{"--train", t.TempDir(), "--valid", t.TempDir()}, &out, &errs); code != 1 || errs.Len() == 0 {
		t.Errorf("empty directories: exit %d, %q", code, errs.String())
	}
}
