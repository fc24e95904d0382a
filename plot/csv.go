package plot

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadHistoryCSV reads a history written by Keras's CSVLogger (or neurona's):
// a header "epoch,loss,val_loss,..." and one row per epoch, epochs counted
// from 0. It returns one Series per column other than epoch, in the header's
// order, with index i holding epoch i (drawn as epoch i+1).
//
// Epochs must run 0, 1, 2, ... without gaps or repeats (a file appended to
// by a restarted run fails here), and every value must be a finite number:
// Keras writes "NA" for a value it lacks and "nan" for a diverged loss, and
// both are errors. Errors name the line (the header is line 1) and column.
func ReadHistoryCSV(r io.Reader) ([]Series, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("plot: history CSV is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("plot: history CSV: %w", err)
	}
	epochCol := -1
	names := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			return nil, fmt.Errorf("plot: history CSV line 1, column %d: empty column name", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("plot: history CSV line 1, column %d: duplicate column %q", i+1, h)
		}
		seen[h] = true
		names[i] = h
		if h == "epoch" {
			epochCol = i
		}
	}
	if epochCol < 0 {
		return nil, fmt.Errorf("plot: history CSV line 1: no \"epoch\" column in header %q", strings.Join(names, ","))
	}
	if len(names) == 1 {
		return nil, errors.New("plot: history CSV line 1: no column besides \"epoch\"")
	}

	series := make([]Series, 0, len(names)-1)
	for i, n := range names {
		if i != epochCol {
			series = append(series, Series{Name: n})
		}
	}
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plot: history CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		f := strings.TrimSpace(rec[epochCol])
		epoch, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("plot: history CSV line %d, column \"epoch\": %q is not a whole number", line, f)
		}
		if epoch != row {
			return nil, fmt.Errorf("plot: history CSV line %d, column \"epoch\": epoch %d, want %d (epochs count from 0 without gaps)", line, epoch, row)
		}
		k := 0
		for i, f := range rec {
			if i == epochCol {
				continue
			}
			f = strings.TrimSpace(f)
			v, err := strconv.ParseFloat(f, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("plot: history CSV line %d, column %q: %q is not a finite number", line, names[i], f)
			}
			series[k].Values = append(series[k].Values, v)
			k++
		}
	}
	if len(series[0].Values) == 0 {
		return nil, errors.New("plot: history CSV has a header but no epochs")
	}
	return series, nil
}
