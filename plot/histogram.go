package plot

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Histogram draws counts as bars over len(counts) equal bins from lo to
// hi (the weight-initialization demo's activations) and writes the figure
// to path, as PNG or SVG by the file extension. xlabel names the values
// counted. The file is written atomically.
func Histogram(path, title, xlabel string, lo, hi float64, counts []int) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteHistogram(&buf, format, title, xlabel, lo, hi, counts); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// WriteHistogram is Histogram writing to w in the given format, "png" or
// "svg".
func WriteHistogram(w io.Writer, format, title, xlabel string, lo, hi float64, counts []int) error {
	format, err := checkFormat(format)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		return fmt.Errorf("plot: histogram: no bins to draw")
	}
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || !(hi > lo) {
		return fmt.Errorf("plot: histogram: range [%v, %v] is not a finite, non-empty interval", lo, hi)
	}
	width := (hi - lo) / float64(len(counts))
	bins := make([]plotter.HistogramBin, len(counts))
	top := 0
	for i, c := range counts {
		if c < 0 {
			return fmt.Errorf("plot: histogram: bin %d has a negative count %d", i, c)
		}
		top = max(top, c)
		bins[i] = plotter.HistogramBin{Min: lo + float64(i)*width, Max: lo + float64(i+1)*width, Weight: float64(c)}
	}
	p := newPlot(title, xlabel, "count")
	h := &plotter.Histogram{Bins: bins, Width: width, FillColor: palette[0], LineStyle: plotter.DefaultLineStyle}
	h.LineStyle.Width = vg.Points(0.5)
	p.Add(h)
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, math.Max(1, float64(top)*1.05)
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	return render(w, p, format)
}
