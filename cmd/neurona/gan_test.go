package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/tensor"
)

// writeBitmaps writes n pseudo-random uint8 28×28 bitmaps as a (n, 784)
// .npy file, as Quick, Draw!'s numpy_bitmap files are.
func writeBitmaps(t *testing.T, n int) string {
	t.Helper()
	dict := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, 784), }", n)
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(append(b, dict...), '\n')
	rng := tensor.NewRNG(9)
	for range n * 784 {
		b = append(b, byte(rng.Intn(256)))
	}
	p := filepath.Join(t.TempDir(), "bitmaps.npy")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var ganLine = regexp.MustCompile(`^(\d+): \[D loss: (\d+\.\d{6}), acc: (\d+\.\d{6})\]  \[A loss: (\d+\.\d{6}), acc: (\d+\.\d{6})\]$`)

// TestRunGAN trains three iterations on 40 bitmaps: one book line per
// iteration (--every 1) with the notebook's running means, a sample grid
// each, the two plots; the same seed prints the same lines, another seed
// others.
func TestRunGAN(t *testing.T) {
	data := writeBitmaps(t, 40)
	run := func(seed int) (string, string) {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		err := runCommand(context.Background(), []string{"gan", "--iterations", "3", "--batch", "8", "--every", "1",
			"--seed", fmt.Sprint(seed), "--data", data, "--out", out}, &stdout, &stderr)
		if err != nil {
			t.Fatalf("run gan: %v (stderr %q)", err, stderr.String())
		}
		return stdout.String(), out
	}
	got, dir := run(5)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), got)
	}
	for i, l := range lines {
		m := ganLine.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprint(i) {
			t.Errorf("line %d %q is not the book's 'i: [D loss: ..., acc: ...]  [A loss: ..., acc: ...]'", i, l)
		}
	}
	for _, f := range []string{"samples_0000.png", "samples_0001.png", "samples_0002.png", "losses.png", "accuracies.png"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", f, err)
		}
	}
	if again, _ := run(5); again != got {
		t.Errorf("seed 5 twice printed\n%s\nand\n%s", got, again)
	}
	if other, _ := run(6); other == got {
		t.Errorf("seeds 5 and 6 printed the same:\n%s", got)
	}
}

// TestGANRunningMeans: the printed values are the running sums divided by
// i (1 at i = 0), as the notebook prints them, of the values trainGAN
// returns per iteration.
func TestGANRunningMeans(t *testing.T) {
	x, err := ganData(writeBitmaps(t, 24))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	h, _, err := trainGAN(context.Background(), ganConfig{iterations: 3, batch: 8, every: 1, seed: 2, out: t.TempDir(), optimizer: "rmsprop"}, x, &out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var sum [4]float64
	for i, l := range lines {
		for k, v := range [][]float64{h.dLoss, h.dAcc, h.aLoss, h.aAcc} {
			sum[k] += v[i]
		}
		div := float64(max(i, 1))
		want := fmt.Sprintf("%d: [D loss: %f, acc: %f]  [A loss: %f, acc: %f]", i, sum[0]/div, sum[1]/div, sum[2]/div, sum[3]/div)
		if l != want {
			t.Errorf("line %d %q, want %q", i, l, want)
		}
	}
	if len(lines) != 3 {
		t.Errorf("%d lines, want 3", len(lines))
	}
}

func weightBits(m *models.Model) []uint32 {
	var out []uint32
	for _, w := range m.Weights() {
		for _, v := range w.Var.Value.Data {
			out = append(out, math.Float32bits(v))
		}
	}
	return out
}

func equalBits(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGANAwkwardCopiesWeights: before each adversarial step the frozen,
// never-compiled discriminator equals the trained one bit for bit, and the
// trained one has moved since the previous copy (so each copy carries new
// weights); the noisy labels keep binary_accuracy at 0.
func TestGANAwkwardCopiesWeights(t *testing.T) {
	x, err := ganData(writeBitmaps(t, 24))
	if err != nil {
		t.Fatal(err)
	}
	var prev []uint32
	copies := 0
	cfg := ganConfig{awkward: true, iterations: 3, batch: 8, every: 1, seed: 3, out: t.TempDir(), optimizer: "rmsprop",
		afterCopy: func(i int, trained, frozen *models.Model) {
			copies++
			tb, fb := weightBits(trained), weightBits(frozen)
			if len(tb) == 0 || !equalBits(tb, fb) {
				t.Errorf("iteration %d: the frozen discriminator differs from the trained one after the copy", i)
			}
			if prev != nil && equalBits(prev, tb) {
				t.Errorf("iteration %d: the trained discriminator did not change since the last copy", i)
			}
			prev = tb
		}}
	var out bytes.Buffer
	h, _, err := trainGAN(context.Background(), cfg, x, &out)
	if err != nil {
		t.Fatal(err)
	}
	if copies != 3 {
		t.Errorf("%d copies, want 3", copies)
	}
	for i, v := range h.dAcc {
		if v != 0 {
			t.Errorf("iteration %d: D binary_accuracy %v with noisy labels, want 0", i, v)
		}
	}
}

func TestRunGANBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"gan", "--optimizer", "sgd"},
		{"gan", "--iterations", "0"},
		{"gan-awkward", "extra"},
	} {
		err := runCommand(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "run "+args[0]) {
			t.Errorf("%v: got %v, want an error naming 'run %s'", args, err, args[0])
		}
	}
	data := writeBitmaps(t, 4)
	err := runCommand(context.Background(), []string{"gan", "--data", data, "--out", t.TempDir()}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--batch 128 is more than the 4 images") {
		t.Errorf("4 images, batch 128: got %v", err)
	}
}

// TestGANScore: at the end of an MNIST run, the generated digits are scored
// by the (here small, freshly trained and cached) LeNet scorer, beside
// real test digits. After 2 iterations the generator draws noise, so its
// score must be far below that of the real digits.
func TestGANScore(t *testing.T) {
	x, err := ganData(writeBitmaps(t, 24))
	if err != nil {
		t.Fatal(err)
	}
	cfg := ganConfig{iterations: 2, batch: 8, every: 100, seed: 1, out: t.TempDir(), optimizer: "rmsprop",
		scorer: filepath.Join(t.TempDir(), "scorer.nrn"), scorerRows: 12000}
	_, g, err := trainGAN(context.Background(), cfg, x, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	if err := scoreGAN(context.Background(), cfg, g, &out, &log); err != nil {
		t.Fatal(err)
	}
	var gen, real float64
	for _, l := range strings.Split(out.String(), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "generated: "); ok {
			fmt.Sscanf(v, "%g", &gen)
		}
		if v, ok := strings.CutPrefix(l, "real test digits: "); ok {
			fmt.Sscanf(v, "%g", &real)
		}
	}
	t.Logf("%s", out.String())
	if real < 6 || gen < 1 || gen > real/2 {
		t.Errorf("scores: generated %v, real %v; want real ≥ 6 and 1 ≤ generated ≤ real/2 for an untrained generator\n%s", gen, real, out.String())
	}
	if _, err := os.Stat(cfg.scorer); err != nil {
		t.Errorf("the scorer was not cached: %v", err)
	}
}
