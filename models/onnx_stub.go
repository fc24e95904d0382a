package models

// TEMPORARY stub for the ONNX check in bench/onnx, which is written against
// the ExportONNX API before the export itself lands (on another branch).
// Drop this file when merging that branch: the real export replaces it.

import (
	"errors"
	"io"
)

// ONNXOptions configures ExportONNX.
type ONNXOptions struct {
	// Opset is the ONNX opset to target; 0 means 17.
	Opset int
}

// ExportONNX will write the model as an ONNX graph; this stub only says
// that it does not exist yet.
func (m *Model) ExportONNX(w io.Writer, opts ONNXOptions) error {
	return errors.New("ExportONNX: not implemented")
}
