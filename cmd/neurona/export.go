package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurona/neurona/internal/kerasfmt"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/saving"
)

// exportFormats are the formats 'neurona export' writes.
var exportFormats = []string{"onnx"}

// exportCommand writes a saved model in another format: ONNX.
func exportCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "onnx", "the format to write (valid: "+strings.Join(exportFormats, ", ")+")")
	var out string
	fs.StringVar(&out, "o", "", "the file to write (default: MODEL with the extension .onnx)")
	fs.StringVar(&out, "output", "", "the same as -o")
	opset := fs.Int("opset", models.DefaultONNXOpset, fmt.Sprintf("the ONNX opset to write (%d to %d)", models.MinONNXOpset, models.MaxONNXOpset))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: neurona export MODEL --format onnx [-o FILE] [flags]

Writes a saved model (a .nrn file) as an ONNX model, for ONNX Runtime and
other ONNX tools. The ONNX graph's inputs are named after the model's
Input layers and its outputs after its output layers; each is float32
with a dynamic batch dimension ("batch") and the model's channels-last
shape, as neurona predict takes it: images are (batch, height, width,
channels). The file is written atomically. The preprocessing the model
was trained with is not part of the graph: it is copied into the ONNX
model's metadata_props, and inputs must be preprocessed as for
neurona predict. Flags:
`)
		fs.PrintDefaults()
	}
	path, err := parseInterleaved(fs, "export", args, "a model file")
	if err != nil {
		return err
	}
	if !slices.Contains(exportFormats, *format) {
		return usagef("export: unknown format %q (valid: %s)", *format, strings.Join(exportFormats, ", "))
	}
	if *opset < models.MinONNXOpset || *opset > models.MaxONNXOpset {
		return usagef("export: --opset %d is not supported (valid: %d to %d)", *opset, models.MinONNXOpset, models.MaxONNXOpset)
	}
	if out == "" {
		out = strings.TrimSuffix(path, filepath.Ext(path)) + ".onnx"
	}
	if a, b := filepath.Clean(out), filepath.Clean(path); a == b {
		return usagef("export: the output %s is the model file itself: name another with -o", out)
	}
	m, err := models.Load(path)
	if err != nil {
		return err
	}
	err = saving.WriteFileAtomic(out, func(w io.Writer) error {
		return m.ExportONNX(w, models.ONNXOptions{Opset: *opset})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s (ONNX, opset %d): inputs %s; outputs %s\n", out, *opset, tensorList(m.Inputs()), tensorList(m.Outputs()))
	return nil
}

// tensorList names a model's symbolic tensors by their layers, with their
// shapes: "input_1 (batch, 28, 28, 1)".
func tensorList(ts []*layers.KerasTensor) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		n, _ := t.Node()
		shape := string(kerasfmt.AppendShape(nil, t.Shape()))
		s[i] = n.Layer.LayerName() + " " + strings.Replace(shape, "None", "batch", 1)
	}
	return strings.Join(s, ", ")
}
