package dashboard

import (
	"strings"
)

// Summary is a model summary as a table: the columns of Keras's summary
// ("Layer (type)", "Output Shape", "Param #" and, for a graph,
// "Connected to"), a row per layer and the totals. For a graph, Edges
// lists the "Connected to" arrows as [from, to] layer names.
type Summary struct {
	Model   string      `json:"model"`
	Columns []string    `json:"columns"`
	Rows    [][]string  `json:"rows"`
	Totals  []string    `json:"totals"`
	Graph   bool        `json:"graph"`
	Edges   [][2]string `json:"edges,omitempty"`
	Text    string      `json:"text"`
}

// ParseSummary reads the summary table a model's Summary method (or
// Keras 2.2) prints into a Summary. Columns are cut where the header's
// titles start; a graph's continuation lines (one more "Connected to"
// entry) are joined to their layer's row.
func ParseSummary(text string) *Summary {
	s := &Summary{Text: text, Rows: [][]string{}}
	var starts []int
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimRight(line, " ")
		switch {
		case strings.HasPrefix(trimmed, "Model:"):
			s.Model = strings.Trim(strings.TrimSpace(strings.TrimPrefix(trimmed, "Model:")), `"`)
		case strings.HasPrefix(trimmed, "Layer (type)"):
			starts = nil
			for _, title := range []string{"Layer (type)", "Output Shape", "Param #", "Connected to"} {
				if i := strings.Index(trimmed, title); i >= 0 {
					starts = append(starts, i)
					s.Columns = append(s.Columns, title)
				}
			}
			s.Graph = len(starts) == 4
		case strings.HasPrefix(trimmed, "Total params:"), strings.HasPrefix(trimmed, "Trainable params:"), strings.HasPrefix(trimmed, "Non-trainable params:"):
			s.Totals = append(s.Totals, trimmed)
		case starts == nil || trimmed == "" || strings.Trim(trimmed, "=_") == "":
		default:
			cells := make([]string, len(starts))
			for i, st := range starts {
				end := len(trimmed)
				if i+1 < len(starts) {
					end = min(starts[i+1], len(trimmed))
				}
				if st < end {
					cells[i] = strings.TrimSpace(trimmed[st:end])
				}
			}
			if cells[0] == "" && len(s.Rows) > 0 && s.Graph {
				last := s.Rows[len(s.Rows)-1]
				last[3] = strings.TrimSpace(last[3] + " " + cells[3])
				continue
			}
			s.Rows = append(s.Rows, cells)
		}
	}
	if s.Graph {
		for _, row := range s.Rows {
			to := layerName(row[0])
			for _, c := range strings.Fields(row[3]) {
				from, _, _ := strings.Cut(c, "[")
				s.Edges = append(s.Edges, [2]string{from, to})
			}
		}
	}
	return s
}

// layerName returns "dense_1" of "dense_1 (Dense)".
func layerName(cell string) string {
	name, _, _ := strings.Cut(cell, " (")
	return name
}
