package kerasfmt

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SummaryRow is one layer of a Sequential model's summary table.
type SummaryRow struct {
	Name  string // layer name, e.g. "dense_1"
	Class string // layer class, e.g. "Dense"
	// OutputShape is the layer's output shape without the batch axis; it is
	// printed as a Python tuple with None for the batch: [32] -> (None, 32).
	// A negative dimension prints as None (unknown); an empty shape as (None,).
	OutputShape []int
	Params      int // count_params(), printed without thousands separators
	// OutputShapes, when it holds more than one shape, replaces
	// OutputShape for a layer with several outputs: Keras prints their
	// list, [(None, 32), (None, 32)].
	OutputShapes [][]int
}

// Keras 2 Sequential summary layout: line_length 65, positions
// [int(65*.45), int(65*.85), int(65*1.)].
const summaryLineLength = 65

var summaryPositions = [3]int{29, 55, 65}

// WriteSummary writes Keras 2.3's model.summary() for a Sequential model:
//
//	Model: "sequential_1"
//	_________________________________________________________________
//	Layer (type)                 Output Shape              Param #
//	=================================================================
//	dense_1 (Dense)              (None, 32)                448
//	...
//	=================================================================
//	Total params: 1,185
//	Trainable params: 1,089
//	Non-trainable params: 96
//
// Rows are laid out by Keras's print_row (each field truncated to its
// column, the previous column's last character replaced by a space), so a
// long "name (Class)" is cut, e.g. "batch_normalization_1 (Batch". The
// Param # column is str(int) as in Keras 2 (no separators); the totals use
// '{:,}'. Differences from Keras, by design: trailing spaces are trimmed from
// every line, and the closing '_'*65 line Keras prints after
// "Non-trainable params" is omitted. Non-trainable = total - trainable.
// The whole table is written with a single Write.
func WriteSummary(w io.Writer, modelName string, rows []SummaryRow, total, trainable int) error {
	b := make([]byte, 0, 256+len(rows)*2*(summaryLineLength+1))
	b = append(b, `Model: "`...)
	b = append(b, modelName...)
	b = append(b, "\"\n"...)
	b = appendRule(b, '_')

	// Header row.
	start := len(b)
	for i, h := range [3]string{"Layer (type)", "Output Shape", "Param #"} {
		b = beginField(b, start, i)
		b = append(b, h...)
		b = endField(b, start, summaryPositions[i])
	}
	b = endRow(b, start)
	b = appendRule(b, '=')

	for r := range rows {
		row := &rows[r]
		start := len(b)
		b = beginField(b, start, 0)
		b = append(b, row.Name...)
		b = append(b, " ("...)
		b = append(b, row.Class...)
		b = append(b, ')')
		b = endField(b, start, summaryPositions[0])

		b = beginField(b, start, 1)
		if len(row.OutputShapes) > 1 {
			b = AppendShapes(b, row.OutputShapes)
		} else {
			b = AppendShape(b, row.OutputShape)
		}
		b = endField(b, start, summaryPositions[1])

		b = beginField(b, start, 2)
		b = strconv.AppendInt(b, int64(row.Params), 10)
		b = endField(b, start, summaryPositions[2])
		b = endRow(b, start)

		if r == len(rows)-1 {
			b = appendRule(b, '=')
		} else {
			b = appendRule(b, '_')
		}
	}
	// With no rows Keras prints no closing rule: the header's '=' rule is
	// followed directly by the totals.

	b = append(b, "Total params: "...)
	b = appendThousands(b, total)
	b = append(b, "\nTrainable params: "...)
	b = appendThousands(b, trainable)
	b = append(b, "\nNon-trainable params: "...)
	b = appendThousands(b, total-trainable)
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// AppendShape appends the Python repr of the batch-prefixed shape tuple:
// [28, 28, 1] -> "(None, 28, 28, 1)", [] -> "(None,)".
func AppendShape(dst []byte, shape []int) []byte {
	dst = append(dst, "(None,"...)
	for _, d := range shape {
		dst = append(dst, ' ')
		if d < 0 {
			dst = append(dst, "None"...)
		} else {
			dst = strconv.AppendInt(dst, int64(d), 10)
		}
		dst = append(dst, ',')
	}
	if len(shape) > 0 {
		dst = dst[:len(dst)-1] // a 1-tuple keeps its comma: (None,)
	}
	return append(dst, ')')
}

// AppendShapes appends a list of shapes as Python prints a list of
// tuples: [(None, 32), (None, 32)].
func AppendShapes(dst []byte, shapes [][]int) []byte {
	dst = append(dst, '[')
	for i, s := range shapes {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = AppendShape(dst, s)
	}
	return append(dst, ']')
}

func appendRule(b []byte, c byte) []byte {
	return appendRuleN(b, c, summaryLineLength)
}

func appendRuleN(b []byte, c byte, n int) []byte {
	for range n {
		b = append(b, c)
	}
	return append(b, '\n')
}

// beginField implements print_row's `if i > 0: line = line[:-1] + ' '` for
// the line that starts at b[start:].
func beginField(b []byte, start, i int) []byte {
	if i > 0 && len(b) > start {
		_, size := utf8.DecodeLastRune(b[start:])
		b = append(b[:len(b)-size], ' ')
	}
	return b
}

// endField implements `line = line[:pos]` and
// `line += ' ' * (pos - len(line))` for the field's column stop pos,
// counting characters (runes) as Python does.
func endField(b []byte, start, pos int) []byte {
	n, cut := 0, -1
	for j := start; j < len(b); {
		if n == pos {
			cut = j
			break
		}
		_, size := utf8.DecodeRune(b[j:])
		j += size
		n++
	}
	if cut >= 0 {
		return b[:cut]
	}
	for ; n < pos; n++ {
		b = append(b, ' ')
	}
	return b
}

// endRow trims the row's trailing spaces and ends the line.
func endRow(b []byte, start int) []byte {
	b = b[:start+len(bytes.TrimRight(b[start:], " "))]
	return append(b, '\n')
}

// SummaryTables returns the summary tables in text (a summary as Keras or
// WriteSummary prints it, or several), each from its "Layer (type)" header
// to its "Non-trainable params:" line, with trailing spaces trimmed: the
// part of a summary that neurona and Keras 2.2 print alike (the
// `Model: "name"` line, the first rule and the closing rule aside). Tests
// compare summaries through it.
func SummaryTables(text string) [][]string {
	var out [][]string
	var cur []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " ")
		switch {
		case strings.HasPrefix(line, "Layer (type)"):
			cur = []string{line}
		case cur != nil:
			cur = append(cur, line)
			if strings.HasPrefix(line, "Non-trainable params:") {
				out, cur = append(out, cur), nil
			}
		}
	}
	return out
}
