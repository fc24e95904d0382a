// Package kerasfmt reproduces Keras 2's console output byte for byte: the
// model.summary() table of a Sequential model or a functional chain (Keras
// 2.3 layout, which adds the `Model: "name"` line to 2.2.4's), the 98-column
// table of a functional model with branches or merges (Keras 2.2.0's graph
// layout, WriteGraphSummary) and the training progress bar that Keras
// 2.2.4's fit() draws through ProgbarLogger and utils.Progbar.
//
// Everything writes to an io.Writer through a reusable byte buffer; time is
// always passed in by the caller, so output is deterministic under test.
//
// Fit is expected to drive the pieces like Keras's ProgbarLogger:
//
//	for epoch := 1; epoch <= epochs; epoch++ {
//		if verbose > 0 {
//			kerasfmt.WriteEpochHeader(w, epoch, epochs) // "Epoch 1/32\n"
//		}
//		bar.Reset(nSamples, time.Now())
//		for each batch except the last {
//			seen += batchSize
//			bar.Update(seen, runningAverages, time.Now())
//		}
//		bar.Finish(append(runningAverages, valValues...), time.Now())
//	}
//
// Like ProgbarLogger, skip Update for the last batch: Finish draws it.
package kerasfmt

import (
	"io"
	"math"
	"strconv"
)

// FormatEpochHeader returns Keras's per-epoch header, "Epoch 1/32\n".
// epoch is 1-based (Keras prints epoch+1 of its 0-based counter). Keras's
// ProgbarLogger prints it for verbose 1 and 2 before each epoch.
func FormatEpochHeader(epoch, epochs int) string {
	var b [48]byte
	return string(AppendEpochHeader(b[:0], epoch, epochs))
}

// AppendEpochHeader appends "Epoch <epoch>/<epochs>\n" to dst.
func AppendEpochHeader(dst []byte, epoch, epochs int) []byte {
	dst = append(dst, "Epoch "...)
	dst = strconv.AppendInt(dst, int64(epoch), 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(epochs), 10)
	return append(dst, '\n')
}

// WriteEpochHeader writes "Epoch <epoch>/<epochs>\n" to w.
func WriteEpochHeader(w io.Writer, epoch, epochs int) error {
	var b [48]byte
	_, err := w.Write(AppendEpochHeader(b[:0], epoch, epochs))
	return err
}

// appendPyFloat appends f formatted like Python's '%.<prec><fmt>' (fmt is
// 'f' or 'e'). Go's strconv matches Python for finite values (correct
// rounding, two-digit minimum exponent "e-04"); only the spelling of the
// non-finite values differs.
func appendPyFloat(dst []byte, f float64, fmt byte, prec int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, fmt, prec, 64)
}

// appendThousands appends n like Python's '{:,}'.format(n).
func appendThousands(dst []byte, n int) []byte {
	var tmp [24]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c)
	}
	return dst
}
