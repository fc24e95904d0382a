// Package plot draws training histories: learning curves (loss and
// val_loss against epoch, with the best epoch marked) and per-layer
// learning speed on a log scale, and histograms of counts over equal bins
// (Histogram). It writes PNG or SVG through gonum/plot.
//
// plot knows nothing of models: it takes named series of per-epoch scalars,
// such as a History's logs or a Keras CSVLogger file read by ReadHistoryCSV.
package plot

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named curve, one value per epoch (epoch i+1 for index i).
type Series struct {
	Name   string
	Values []float64
}

// Size of every figure. A PNG is rendered at 96 dots per inch, so it is
// 768×480 pixels.
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
)

// LearningCurves draws every series (typically loss and val_loss) against
// epoch and writes the figure to path, as PNG or SVG by the file extension.
//
// If best is not empty it names the series whose best epoch is marked with
// a vertical line labelled like "best epoch 23: 27.3": where validation
// loss stops improving and overfitting starts. Best means minimum, except
// for names that read as a score to maximize (see BestEpoch).
//
// All series must be non-empty, of the same length, with distinct names and
// finite values. The file is written atomically: a temporary file in the
// same directory is renamed over path once the image is complete.
func LearningCurves(path, title string, series []Series, best string) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteLearningCurves(&buf, format, title, series, best); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// LearningSpeed draws, per layer, a per-epoch speed (for example the L2 norm
// of the change of the layer's weights over the epoch) on a log-scale y axis,
// and writes the figure to path, as PNG or SVG by the file extension.
//
// A log scale cannot show zero or negative values: those points are left
// out and the layer's line is broken there (a frozen layer's speed is 0). A
// layer with no positive value at all is listed in the legend as
// "(no positive values)". It is an error if no layer has a positive value.
// NaN and infinite values are errors. The file is written atomically.
func LearningSpeed(path, title string, layers []Series) error {
	format, err := formatOf(path)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteLearningSpeed(&buf, format, title, layers); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes())
}

// WriteLearningCurves is LearningCurves writing to w in the given format,
// "png" or "svg".
func WriteLearningCurves(w io.Writer, format, title string, series []Series, best string) error {
	format, err := checkFormat(format)
	if err != nil {
		return err
	}
	p, err := learningCurves(title, series, best)
	if err != nil {
		return err
	}
	return render(w, p, format)
}

// WriteLearningSpeed is LearningSpeed writing to w in the given format,
// "png" or "svg".
func WriteLearningSpeed(w io.Writer, format, title string, layers []Series) error {
	format, err := checkFormat(format)
	if err != nil {
		return err
	}
	p, err := learningSpeed(title, layers)
	if err != nil {
		return err
	}
	return render(w, p, format)
}

// BestEpoch returns the best epoch of s (1-based) and its value. Best is the
// minimum, or the maximum when s.Name reads as a score, as Keras's "auto"
// mode decides: the name contains "acc", "auc", "precision" or "recall".
// Ties go to the first such epoch. NaN values are never best. It returns
// 0 and NaN when s has no non-NaN value.
func BestEpoch(s Series) (epoch int, value float64) {
	maximize := maximizes(s.Name)
	value = math.NaN()
	for i, v := range s.Values {
		if math.IsNaN(v) {
			continue
		}
		if epoch == 0 || (maximize && v > value) || (!maximize && v < value) {
			epoch, value = i+1, v
		}
	}
	return epoch, value
}

// maximizes reports whether a metric name reads as a score to maximize.
func maximizes(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"acc", "auc", "precision", "recall"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// bestLabel formats the best-epoch label, e.g. "best epoch 23: 27.3".
func bestLabel(epoch int, v float64) string {
	return fmt.Sprintf("best epoch %d: %s", epoch, formatValue(v))
}

func formatValue(v float64) string {
	if math.Abs(v) >= 1000 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// formatOf returns the format named by path's extension.
func formatOf(path string) (string, error) {
	ext := filepath.Ext(path)
	f, err := checkFormat(strings.TrimPrefix(ext, "."))
	if err != nil {
		return "", fmt.Errorf("plot: %s: unknown extension %q: want .png or .svg", path, ext)
	}
	return f, nil
}

func checkFormat(format string) (string, error) {
	switch f := strings.ToLower(format); f {
	case "png", "svg":
		return f, nil
	}
	return "", fmt.Errorf("plot: unknown format %q: want \"png\" or \"svg\"", format)
}

// checkSeries validates series for plotting; what names the kind of series
// ("series" or "layer") in errors.
func checkSeries(series []Series, what string) error {
	if len(series) == 0 {
		return fmt.Errorf("plot: no %s to draw", what)
	}
	n := len(series[0].Values)
	seen := make(map[string]bool, len(series))
	for i, s := range series {
		if s.Name == "" {
			return fmt.Errorf("plot: %s %d has no name", what, i)
		}
		if seen[s.Name] {
			return fmt.Errorf("plot: duplicate %s name %q", what, s.Name)
		}
		seen[s.Name] = true
		if len(s.Values) == 0 {
			return fmt.Errorf("plot: %s %q is empty", what, s.Name)
		}
		if len(s.Values) != n {
			return fmt.Errorf("plot: %s %q has %d epochs, %s %q has %d: lengths must match",
				what, s.Name, len(s.Values), what, series[0].Name, n)
		}
		for j, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("plot: %s %q: epoch %d: value is %v", what, s.Name, j+1, v)
			}
		}
	}
	return nil
}

func learningCurves(title string, series []Series, best string) (*gplot.Plot, error) {
	if err := checkSeries(series, "series"); err != nil {
		return nil, err
	}
	bestIdx := -1
	if best != "" {
		for i, s := range series {
			if s.Name == best {
				bestIdx = i
			}
		}
		if bestIdx < 0 {
			names := make([]string, len(series))
			for i, s := range series {
				names[i] = s.Name
			}
			return nil, fmt.Errorf("plot: best: no series named %q (have %s)", best, strings.Join(names, ", "))
		}
	}

	n := len(series[0].Values)
	p := newPlot(title, "epoch", yLabel(series))
	p.X.Tick.Marker = epochTicks{}
	p.Y.Tick.Marker = linearTicks{}
	setEpochRange(p, n)

	ymin, ymax := math.Inf(1), math.Inf(-1)
	var trace []vg.Point // data points for choosing the legend's corner
	var names []string   // legend entries
	for _, s := range series {
		for _, v := range s.Values {
			ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
		}
	}
	if ymin == ymax {
		ymin, ymax = ymin-1, ymax+1
	}
	norm := func(x, y float64) vg.Point {
		return vg.Point{X: vg.Length((x - p.X.Min) / (p.X.Max - p.X.Min)), Y: vg.Length((y - ymin) / (ymax - ymin))}
	}

	styles := curveStyles(series)
	for i, s := range series {
		xys := make(plotter.XYs, len(s.Values))
		for j, v := range s.Values {
			xys[j] = plotter.XY{X: float64(j + 1), Y: v}
		}
		trace = appendTrace(trace, xys, norm)
		if n == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, fmt.Errorf("plot: series %q: %w", s.Name, err)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: styles[i].Color, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
			names = append(names, s.Name)
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("plot: series %q: %w", s.Name, err)
		}
		l.LineStyle = styles[i]
		p.Add(l)
		p.Legend.Add(s.Name, l)
		names = append(names, s.Name)
	}

	if bestIdx >= 0 {
		s := series[bestIdx]
		epoch, v := BestEpoch(s)
		m := &bestMarker{
			X: float64(epoch), Y: v, Label: bestLabel(epoch, v),
			Line:  draw.LineStyle{Color: color.Gray{Y: 90}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}},
			Glyph: draw.GlyphStyle{Color: styles[bestIdx].Color, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}},
			Text:  textStyle(10),
			xmin:  p.X.Min, xmax: p.X.Max,
		}
		p.Add(m)
		// The label sits at the top of the line, on the side with more room.
		lx := norm(float64(epoch), ymax).X
		if m.leftOfLine() {
			lx -= 0.15
		} else {
			lx += 0.15
		}
		for d := vg.Length(-0.12); d <= 0.12; d += 0.02 {
			trace = append(trace, vg.Point{X: lx + d, Y: 0.97})
		}
	}
	placeLegend(p, trace, names)
	return p, nil
}

// yLabel is "loss" when the series are losses, else a neutral label.
func yLabel(series []Series) string {
	for _, s := range series {
		if !strings.Contains(strings.ToLower(s.Name), "loss") {
			return "value"
		}
	}
	return "loss"
}

// curveStyles pairs a training series with its validation twin ("loss" and
// "val_loss"): they share a color, training is dashed and validation solid.
func curveStyles(series []Series) []draw.LineStyle {
	colorOf := map[string]int{}
	styles := make([]draw.LineStyle, len(series))
	for i, s := range series {
		base, isVal := strings.CutPrefix(s.Name, "val_")
		c, ok := colorOf[base]
		if !ok {
			c = len(colorOf)
			colorOf[base] = c
		}
		styles[i] = draw.LineStyle{Color: palette[c%len(palette)], Width: vg.Points(1.5)}
		if !isVal && hasSeries(series, "val_"+s.Name) {
			styles[i].Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
	}
	return styles
}

func hasSeries(series []Series, name string) bool {
	for _, s := range series {
		if s.Name == name {
			return true
		}
	}
	return false
}

func learningSpeed(title string, layers []Series) (*gplot.Plot, error) {
	if err := checkSeries(layers, "layer"); err != nil {
		return nil, err
	}
	n := len(layers[0].Values)
	p := newPlot(title, "epoch", "learning speed")
	p.X.Tick.Marker = epochTicks{}
	setEpochRange(p, n)
	p.Y.Scale = gplot.LogScale{}

	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range layers {
		for _, v := range s.Values {
			if v > 0 {
				ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
			}
		}
	}
	if math.IsInf(ymin, 1) {
		return nil, errors.New("plot: learning speed: no layer has a positive value to draw on a log scale")
	}
	lo, hi := logRange(ymin, ymax)
	p.Y.Min, p.Y.Max = lo, hi
	p.Y.Tick.Marker = logTicks{}
	llo, lhi := math.Log10(lo), math.Log10(hi)
	norm := func(x, y float64) vg.Point {
		return vg.Point{X: vg.Length((x - p.X.Min) / (p.X.Max - p.X.Min)), Y: vg.Length((math.Log10(y) - llo) / (lhi - llo))}
	}

	var trace []vg.Point
	var names []string
	for i, s := range layers {
		ls := draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.5)}
		if i >= len(palette) { // more layers than colors: tell them apart by dashes
			ls.Dashes = []vg.Length{vg.Points(6), vg.Points(2 + float64(i/len(palette)))}
		}
		gs := draw.GlyphStyle{Color: ls.Color, Radius: vg.Points(2), Shape: glyphs[(i/len(palette)+i)%len(glyphs)]}
		// One line per run of positive values: a zero breaks the line.
		var runs []plotter.XYs
		var cur plotter.XYs
		for j, v := range s.Values {
			if v <= 0 {
				if len(cur) > 0 {
					runs = append(runs, cur)
					cur = nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: float64(j + 1), Y: v})
		}
		if len(cur) > 0 {
			runs = append(runs, cur)
		}
		if len(runs) == 0 {
			// Nothing to draw, but say so rather than drop the layer silently.
			l := &plotter.Line{LineStyle: ls}
			p.Legend.Add(s.Name+" (no positive values)", l)
			names = append(names, s.Name+" (no positive values)")
			continue
		}
		var thumbs []gplot.Thumbnailer
		for k, xys := range runs {
			l, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, fmt.Errorf("plot: layer %q: %w", s.Name, err)
			}
			l.LineStyle = ls
			sc.GlyphStyle = gs
			p.Add(l, sc)
			trace = appendTrace(trace, xys, norm)
			if k == 0 {
				thumbs = []gplot.Thumbnailer{l, sc}
			}
		}
		p.Legend.Add(s.Name, thumbs...)
		names = append(names, s.Name)
	}
	placeLegend(p, trace, names)
	return p, nil
}

// newPlot returns a plot with sans-serif text, a grid and axis labels.
func newPlot(title, xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sansFont(14)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sansFont(12)
		a.Tick.Label.Font = sansFont(10)
		a.Padding = vg.Points(2)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = sansFont(10)
	p.Legend.ThumbnailWidth = vg.Points(28)
	p.Legend.Padding = vg.Points(2)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 215}
	g.Horizontal.Color = color.Gray{Y: 215}
	p.Add(g)
	return p
}

func sansFont(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: sansFont(size), Handler: gplot.DefaultTextHandler}
}

// setEpochRange sets the x axis to epochs 1..n (0.5..1.5 for one epoch).
func setEpochRange(p *gplot.Plot, n int) {
	if n == 1 {
		p.X.Min, p.X.Max = 0.5, 1.5
		return
	}
	p.X.Min, p.X.Max = 1, float64(n)
}

// palette is matplotlib's "tab10": distinct colors that read well on white.
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff},
	color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff},
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
	color.RGBA{0xbc, 0xbd, 0x22, 0xff},
	color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{}}

// appendTrace appends points along the polyline xys, normalized to the unit
// square of the data area, sampled densely enough to find empty corners.
func appendTrace(trace []vg.Point, xys plotter.XYs, norm func(x, y float64) vg.Point) []vg.Point {
	for i, xy := range xys {
		a := norm(xy.X, xy.Y)
		trace = append(trace, a)
		if i+1 < len(xys) {
			b := norm(xys[i+1].X, xys[i+1].Y)
			const steps = 8
			for k := 1; k < steps; k++ {
				t := vg.Length(k) / steps
				trace = append(trace, vg.Point{X: a.X + t*(b.X-a.X), Y: a.Y + t*(b.Y-a.Y)})
			}
		}
	}
	return trace
}

// placeLegend puts the legend in the corner of the data area that the
// curves cross least: top right, top left, bottom right or bottom left. The
// legend is then drawn by a legendBox, on a white box, and p.Legend is left
// empty.
func placeLegend(p *gplot.Plot, trace []vg.Point, names []string) {
	type corner struct{ top, left bool }
	corners := []corner{{true, false}, {true, true}, {false, false}, {false, true}}
	bestCount := -1
	var best corner
	for _, c := range corners {
		count := 0
		for _, pt := range trace {
			inX := pt.X >= 0.6
			if c.left {
				inX = pt.X <= 0.4
			}
			inY := pt.Y >= 0.65
			if !c.top {
				inY = pt.Y <= 0.35
			}
			if inX && inY {
				count++
			}
		}
		if bestCount < 0 || count < bestCount {
			bestCount, best = count, c
		}
	}
	l := p.Legend
	l.Top, l.Left = best.top, best.left
	inset := vg.Points(8)
	l.XOffs, l.YOffs = -inset, -inset
	if best.left {
		l.XOffs = inset
	}
	if !best.top {
		l.YOffs = inset
	}
	p.Legend = gplot.NewLegend()
	p.Add(&legendBox{Legend: l, names: names})
}

// legendBox draws a legend over a white box, so that it stays readable
// where a curve passes under it. gonum's Legend draws no background.
type legendBox struct {
	Legend gplot.Legend
	names  []string // the entries' texts, to size the box
}

func (b *legendBox) Plot(c draw.Canvas, _ *gplot.Plot) {
	l := &b.Legend
	sty := l.TextStyle
	var textw, enth vg.Length
	for _, n := range b.names {
		r := sty.Rectangle(n)
		textw = max(textw, r.Max.X)
		enth = max(enth, r.Max.Y)
	}
	em := sty.Rectangle(" ").Max.X
	w := l.ThumbnailWidth + em + textw
	h := vg.Length(len(b.names))*(enth+l.Padding) - l.Padding
	// The same corner arithmetic as gplot.Legend.Draw.
	var r vg.Rectangle
	if l.Left {
		r.Min.X = c.Min.X + l.XOffs
	} else {
		r.Min.X = c.Max.X + l.XOffs - w
	}
	if l.Top {
		r.Min.Y = c.Max.Y - sty.FontExtents().Descent + l.YOffs - h
	} else {
		r.Min.Y = c.Min.Y + l.YOffs
	}
	r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
	pad := vg.Points(4)
	r.Min.X, r.Min.Y, r.Max.X, r.Max.Y = r.Min.X-pad, r.Min.Y-pad, r.Max.X+pad, r.Max.Y+pad
	c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 230})
	c.Fill(r.Path())
	c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 200}, Width: vg.Points(0.5)},
		[]vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
	l.Draw(c)
}

// bestMarker draws a vertical line across the data area at the best epoch,
// a dot on the best value and a label at the top of the line.
type bestMarker struct {
	X, Y  float64
	Label string
	Line  draw.LineStyle
	Glyph draw.GlyphStyle
	Text  text.Style

	xmin, xmax float64 // the x axis range, set by Plot
}

// leftOfLine reports whether the label goes to the left of the line: when
// the best epoch lies in the right half of the plot.
func (m *bestMarker) leftOfLine() bool {
	return m.xmax > m.xmin && (m.X-m.xmin)/(m.xmax-m.xmin) > 0.6
}

func (m *bestMarker) Plot(c draw.Canvas, p *gplot.Plot) {
	m.xmin, m.xmax = p.X.Min, p.X.Max
	trX, trY := p.Transforms(&c)
	x := trX(m.X)
	c.StrokeLine2(m.Line, x, c.Min.Y, x, c.Max.Y)
	c.DrawGlyph(m.Glyph, vg.Point{X: x, Y: trY(m.Y)})

	sty := m.Text
	sty.YAlign = draw.YTop
	gap := vg.Points(4)
	pt := vg.Point{X: x + gap, Y: c.Max.Y - gap}
	sty.XAlign = draw.XLeft
	if m.leftOfLine() {
		pt.X = x - gap
		sty.XAlign = draw.XRight
	}
	// A white box keeps the label readable over the grid and curves.
	r := sty.Rectangle(m.Label)
	r.Min, r.Max = r.Min.Add(pt), r.Max.Add(pt)
	pad := vg.Points(2)
	r.Min.X -= pad
	r.Max.X += pad
	r.Min.Y -= pad
	r.Max.Y += pad
	c.SetColor(color.White)
	c.Fill(r.Path())
	c.FillText(sty, pt, m.Label)
}

// render writes p to w in format ("png" or "svg").
func render(w io.Writer, p *gplot.Plot, format string) error {
	wt, err := p.WriterTo(Width, Height, format)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("plot: writing %s: %w", format, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file in path's directory and
// renames it to path, so that readers never see a partial image.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("plot: writing %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
