package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurona/neurona/models"
)

const kerasFixtures = "../../models/testdata/keras/"

func runImport(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"import"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestImportKeras converts a .keras archive: the written model file holds
// the archive's weights.
func TestImportKeras(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "deep.nrn")
	code, out, errs := runImport(t, kerasFixtures+"deep_mnist.keras", "--out", dst)
	if code != exitOK || !strings.Contains(out, "imported") || !strings.Contains(out, "59978 weights") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	got, err := models.Load(dst)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.LoadKeras(kerasFixtures + "deep_mnist.keras")
	if err != nil {
		t.Fatal(err)
	}
	gw, _ := got.GetWeights()
	ww, _ := want.GetWeights()
	if len(gw) != len(ww) || len(gw) != 20 {
		t.Fatalf("%d weights, want %d", len(gw), len(ww))
	}
	for i := range gw {
		if !slices.Equal(gw[i].Data, ww[i].Data) {
			t.Errorf("weight %d differs", i)
		}
	}
}

// TestImportH5 converts Keras 2 weights with the architecture of a spec.
func TestImportH5(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(sp, []byte(`model:
  input_shape: [4]
  layers:
    - Dense: {units: 3, activation: relu}
    - BatchNormalization
    - Dropout: {rate: 0.5}
    - Dense: {units: 2, activation: softmax}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "small.nrn")
	code, out, errs := runImport(t, kerasFixtures+"keras2_dense.h5", "--spec", sp, "--out", dst)
	if code != exitOK {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	m, err := models.Load(dst)
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.Layer("dense_2")
	if err != nil {
		t.Fatal(err)
	}
	if w := l.Weights()[1].Var.Value.Data; len(w) != 2 || w[0] == 0 && w[1] == 0 {
		t.Errorf("dense_2 bias %v: not loaded", w)
	}
	// The wrong architecture: the error names the layer, nothing is written.
	bad := filepath.Join(dir, "bad.nrn")
	code, _, errs = runImport(t, kerasFixtures+"keras2_dense.h5", "--spec", "deep", "--out", bad)
	if code != exitError || !strings.Contains(errs, `layer "dense_1"`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a failed import wrote its output")
	}
}

func TestImportUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{kerasFixtures + "keras2_dense.h5", "--out", "x.nrn"}, "--spec"},
		{[]string{kerasFixtures + "deep_mnist.keras"}, "--out"},
		{[]string{"model.onnx", "--out", "x.nrn"}, "want a .keras archive or a .h5 weights file"},
	} {
		code, _, errs := runImport(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
	code, out, errs := runImport(t, "--help")
	if help := out + errs; code != exitOK || !strings.Contains(help, "--spec names a spec file") || !strings.Contains(help, "-out") {
		t.Errorf("--help: exit %d, %q", code, help)
	}
}
