package spec

import (
	"bytes"
	"github.com/neurona/neurona/internal/kerasfmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/layers"
)

// sentimentNames are the book's nine IMDB networks (chapter 11).
var sentimentNames = []string{"dense-sentiment", "conv-sentiment", "rnn-sentiment", "lstm-sentiment", "gru-sentiment",
	"bilstm-sentiment", "stacked-bilstm-sentiment", "conv-lstm-sentiment", "multi-convnet-sentiment"}

// summaryTable returns the one summary table in text, the part that
// neurona and Keras 2.2 print alike (see kerasfmt.SummaryTables).
func summaryTable(t *testing.T, text string) []string {
	t.Helper()
	tables := kerasfmt.SummaryTables(text)
	if len(tables) != 1 {
		t.Fatalf("%d summary tables (Layer (type) ... Non-trainable params) in:\n%s", len(tables), text)
	}
	return tables[0]
}

// TestSentimentSummariesMatchNotebooks compares the nine networks'
// summaries, line by line, with the notebooks' (A12-A20; testdata holds
// notebooks.json's text), each built in a fresh session as a notebook is.
func TestSentimentSummariesMatchNotebooks(t *testing.T) {
	for _, name := range sentimentNames {
		want, err := os.ReadFile(filepath.Join("testdata", name+".summary.txt"))
		if err != nil {
			t.Fatal(err)
		}
		layers.ResetNames()
		m := bookModel(t, name, 1)
		var b bytes.Buffer
		if err := m.Summary(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), "Model: \"") {
			t.Errorf("%s: first line is not Model: \"...\":\n%s", name, b.String())
		}
		got, wantLines := summaryTable(t, b.String()), summaryTable(t, string(want))
		if len(got) != len(wantLines) {
			t.Errorf("%s: %d lines, the notebook has %d:\n%s", name, len(got), len(wantLines), b.String())
			continue
		}
		for i := range got {
			if got[i] != wantLines[i] {
				t.Errorf("%s: line %d is\n%q, the notebook's\n%q", name, i+1, got[i], wantLines[i])
			}
		}
	}
}
