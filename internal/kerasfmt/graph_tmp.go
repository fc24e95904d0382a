package kerasfmt

import "io"

// GraphRow is a temporary stand-in until the graph layout lands.
type GraphRow struct {
	Name, Class string
	OutputShape []int
	Params      int
	Connections []string
}

// WriteGraphSummary is a temporary stand-in until the graph layout lands.
func WriteGraphSummary(w io.Writer, modelName string, rows []GraphRow, total, trainable int) error {
	var rs []SummaryRow
	for _, r := range rows {
		rs = append(rs, SummaryRow{Name: r.Name, Class: r.Class, OutputShape: r.OutputShape, Params: r.Params})
	}
	return WriteSummary(w, modelName, rs, total, trainable)
}
