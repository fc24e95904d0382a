package main

import (
	"os"

	"github.com/neurona/neurona/plot"
)

func readSeries(path string) ([]plot.Series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return plot.ReadHistoryCSV(f)
}
