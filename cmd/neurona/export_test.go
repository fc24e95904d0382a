package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

func exportCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"export"}, args...), &o, &e)
	return o.String(), e.String(), code
}

func TestExportONNXCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.nrn")
	m := models.NewSequential(&layers.Input{Shape: []int{4}}, &layers.Dense{Units: 3, Activation: activations.Softmax})
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := m.ExportONNX(&want, models.ONNXOptions{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sub.onnx")
	stdout, stderr, code := exportCLI(path, "--format", "onnx", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the file (%d bytes) differs from ExportONNX's %d bytes", len(got), want.Len())
	}
	if !strings.Contains(stdout, "Wrote "+out) || !strings.Contains(stdout, "(batch, 4)") || !strings.Contains(stdout, "(batch, 3)") {
		t.Errorf("stdout %q", stdout)
	}
	// Without -o the file is the model's name with .onnx; flags may follow it.
	if _, stderr, code := exportCLI(path, "--opset", "18"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.onnx")); err != nil {
		t.Error(err)
	}
}

func TestExportCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.nrn")
	m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 2})
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{path, "--format", "tflite"}, exitUsage, `unknown format "tflite" (valid: onnx)`},
		{[]string{path, "--opset", "12"}, exitUsage, "--opset 12 is not supported (valid: 17 to 21)"},
		{[]string{path, "-o", path}, exitUsage, "is the model file itself"},
		{[]string{}, exitUsage, "name a model file"},
		{[]string{filepath.Join(dir, "missing.nrn")}, exitError, "missing.nrn"},
	} {
		_, stderr, code := exportCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("export %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	stdout, stderr, code := exportCLI("--help")
	if code != 0 || !strings.Contains(stderr+stdout, "Usage: neurona export MODEL --format onnx") {
		t.Errorf("--help: exit %d, %q %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.onnx")); err == nil {
		t.Error("a refused export wrote m.onnx")
	}
}
