package kerasfmt

import (
	"io"
	"strconv"
)

// GraphRow is one layer of a functional model's summary table in Keras's
// graph layout (a model with branches or merges).
type GraphRow struct {
	Name  string // layer name, e.g. "concatenate_1"
	Class string // layer class, e.g. "Concatenate"
	// OutputShape is the layer's output shape without the batch axis,
	// printed as by AppendShape. nil prints "multiple", as Keras does for a
	// layer without a single output shape (a shared layer); an empty,
	// non-nil shape prints (None,).
	OutputShape []int
	Params      int // count_params(), printed without thousands separators
	// Connections are the layer's inbound tensors in the model, each
	// written "layer[node][tensor]", e.g. "maxp_1[0][0]". The first goes on
	// the layer's row, each other on a continuation row of its own.
	Connections []string
	// OutputShapes, when it holds more than one shape, replaces
	// OutputShape for a layer with several outputs (their list).
	OutputShapes [][]int
}

// Keras 2.2 graph summary layout: line_length 98, positions
// [int(98*.33), int(98*.55), int(98*.67), int(98*1.)].
const graphLineLength = 98

var graphPositions = [4]int{32, 53, 65, 98}

// WriteGraphSummary writes Keras 2.2.0's model.summary() of a functional
// model that is not a simple chain (keras/utils/layer_utils.py,
// print_summary with sequential_like false), byte for byte:
//
//	__________________________________________________________________ ... (98)
//	Layer (type)                    Output Shape         Param #     Connected to
//	================================================================== ...
//	input (InputLayer)              (None, 400)          0
//	__________________________________________________________________ ...
//	concatenate_1 (Concatenate)     (None, 768)          0           maxp_1[0][0]
//	                                                                 maxp_2[0][0]
//	...
//	================================================================== ...
//	Total params: 681,601
//	Trainable params: 681,601
//	Non-trainable params: 0
//	__________________________________________________________________ ...
//
// Rows are laid out by Keras's print_row, with column stops [32, 53, 65,
// 98]: before each field after the first, the last character of the line so
// far becomes a space; each field is cut to its stop and padded with spaces
// to it, so every table row is 98 characters long, trailing spaces
// included. A layer's connections after the first go on continuation rows
// whose first three fields are empty. The totals use '{:,}' and are not
// padded; the closing '_'*98 rule follows them. Non-trainable = total -
// trainable.
//
// Keras 2.2.0 prints no model name. When modelName is not empty, the
// `Model: "name"` line of later Keras versions is written first.
// The whole table is written with a single Write.
func WriteGraphSummary(w io.Writer, modelName string, rows []GraphRow, total, trainable int) error {
	b := make([]byte, 0, 512+len(rows)*3*(graphLineLength+1))
	if modelName != "" {
		b = append(b, `Model: "`...)
		b = append(b, modelName...)
		b = append(b, "\"\n"...)
	}
	b = appendRuleN(b, '_', graphLineLength)
	b = appendGraphRow(b, "Layer (type)", "Output Shape", "Param #", "Connected to")
	b = appendRuleN(b, '=', graphLineLength)

	var shape, params []byte
	for r := range rows {
		row := &rows[r]
		shape = shape[:0]
		if len(row.OutputShapes) > 1 {
			shape = AppendShapes(shape, row.OutputShapes)
		} else if row.OutputShape == nil {
			shape = append(shape, "multiple"...)
		} else {
			shape = AppendShape(shape, row.OutputShape)
		}
		params = strconv.AppendInt(params[:0], int64(row.Params), 10)
		first := ""
		if len(row.Connections) > 0 {
			first = row.Connections[0]
		}
		b = appendGraphRow(b, row.Name+" ("+row.Class+")", string(shape), string(params), first)
		for i := 1; i < len(row.Connections); i++ {
			b = appendGraphRow(b, "", "", "", row.Connections[i])
		}
		if r == len(rows)-1 {
			b = appendRuleN(b, '=', graphLineLength)
		} else {
			b = appendRuleN(b, '_', graphLineLength)
		}
	}

	b = append(b, "Total params: "...)
	b = appendThousands(b, total)
	b = append(b, "\nTrainable params: "...)
	b = appendThousands(b, trainable)
	b = append(b, "\nNon-trainable params: "...)
	b = appendThousands(b, total-trainable)
	b = append(b, '\n')
	b = appendRuleN(b, '_', graphLineLength)
	_, err := w.Write(b)
	return err
}

// appendGraphRow appends one print_row line of the graph layout, padded
// to its full width.
func appendGraphRow(b []byte, fields ...string) []byte {
	start := len(b)
	for i, f := range fields {
		b = beginField(b, start, i)
		b = append(b, f...)
		b = endField(b, start, graphPositions[i])
	}
	return append(b, '\n')
}
