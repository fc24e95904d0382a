package plot

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleCurves is a typical overfitting run: training loss keeps falling,
// validation loss bottoms out at epoch 23 and then rises.
func sampleCurves(n int) []Series {
	loss := make([]float64, n)
	val := make([]float64, n)
	for i := range n {
		e := float64(i + 1)
		loss[i] = 20 + 500*math.Exp(-e/3) - 0.15*e
		val[i] = 24 + 500*math.Exp(-e/3) + 0.005*(e-15)*(e-15)
	}
	return []Series{{Name: "loss", Values: loss}, {Name: "val_loss", Values: val}}
}

// sampleSpeed is per-layer weight-change norms falling over training, one
// layer frozen (speed 0) for the first two epochs.
func sampleSpeed(n int) []Series {
	names := []string{"dense", "dense_1", "dense_2", "dense_3"}
	out := make([]Series, len(names))
	for l, name := range names {
		v := make([]float64, n)
		for i := range n {
			v[i] = math.Pow(10, -float64(l)*0.5) * 0.5 * math.Exp(-float64(i)/8) * (1 + 0.1*math.Sin(float64(i*(l+1))))
		}
		out[l] = Series{Name: name, Values: v}
	}
	out[3].Values[0], out[3].Values[1] = 0, 0
	return out
}

func TestWriteLearningCurvesPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteLearningCurves(&buf, "png", "Boston housing", sampleCurves(40), "val_loss"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != 768 || got.Y != 480 {
		t.Errorf("PNG size = %v, want 768x480", got)
	}
}

func TestWriteLearningSpeedPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteLearningSpeed(&buf, "PNG", "learning speed", sampleSpeed(20)); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != 768 || got.Y != 480 {
		t.Errorf("PNG size = %v, want 768x480", got)
	}
}

// checkXML fails unless b is well-formed XML and returns its character data.
func checkXML(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
			text.WriteByte('\n')
		}
	}
	return text.String()
}

func TestWriteLearningCurvesSVG(t *testing.T) {
	series := sampleCurves(40)
	var buf bytes.Buffer
	if err := WriteLearningCurves(&buf, "svg", "Boston <housing> & co", series, "val_loss"); err != nil {
		t.Fatal(err)
	}
	text := checkXML(t, buf.Bytes())
	epoch, v := BestEpoch(series[1])
	if epoch != 23 {
		t.Fatalf("best epoch of sample = %d, want 23", epoch)
	}
	for _, want := range []string{"loss", "val_loss", "epoch", bestLabel(epoch, v), "Boston <housing> & co"} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
}

func TestWriteLearningSpeedSVG(t *testing.T) {
	layers := sampleSpeed(20)
	layers = append(layers, Series{Name: "frozen", Values: make([]float64, 20)})
	var buf bytes.Buffer
	if err := WriteLearningSpeed(&buf, "svg", "", layers); err != nil {
		t.Fatal(err)
	}
	text := checkXML(t, buf.Bytes())
	for _, want := range []string{"dense_1", "dense_3", "frozen (no positive values)", "learning speed", "0.1"} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
}

func TestBestEpoch(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		values []float64
		epoch  int
		value  float64
	}{
		{"val_loss", []float64{5, 3, 4, 3, 2.5, 6}, 5, 2.5},
		{"val_loss", []float64{5, 3, 4, 3, 7}, 2, 3},       // tie: first
		{"loss", []float64{1, 1, 1}, 1, 1},                 // all tied
		{"val_loss", []float64{nan, 4, 2, nan}, 3, 2},      // NaN never best
		{"val_accuracy", []float64{0.5, 0.9, 0.9}, 2, 0.9}, // accuracy: maximum, tie first
		{"auc", []float64{0.7, 0.8, 0.6}, 2, 0.8},
		{"mae", []float64{3, 2, 2.5}, 2, 2},
		{"loss", []float64{-1, -3, -2}, 2, -3},
	} {
		e, v := BestEpoch(Series{Name: tc.name, Values: tc.values})
		if e != tc.epoch || v != tc.value {
			t.Errorf("BestEpoch(%s %v) = %d, %v; want %d, %v", tc.name, tc.values, e, v, tc.epoch, tc.value)
		}
	}
	if e, v := BestEpoch(Series{Name: "loss"}); e != 0 || !math.IsNaN(v) {
		t.Errorf("BestEpoch(empty) = %d, %v; want 0, NaN", e, v)
	}
	if got := bestLabel(23, 27.31); got != "best epoch 23: 27.3" {
		t.Errorf("bestLabel = %q", got)
	}
}

func TestLearningCurvesErrors(t *testing.T) {
	ok := []float64{3, 2, 1}
	for _, tc := range []struct {
		desc   string
		format string
		series []Series
		best   string
		want   string
	}{
		{"format", "pdf", []Series{{"loss", ok}}, "", `unknown format "pdf"`},
		{"no series", "png", nil, "", "no series"},
		{"empty", "png", []Series{{"loss", nil}}, "", `series "loss" is empty`},
		{"lengths", "png", []Series{{"loss", ok}, {"val_loss", ok[:2]}}, "", "lengths must match"},
		{"NaN", "png", []Series{{"loss", []float64{1, math.NaN()}}}, "", `series "loss": epoch 2: value is NaN`},
		{"Inf", "svg", []Series{{"loss", []float64{math.Inf(1)}}}, "", "value is +Inf"},
		{"no name", "png", []Series{{"", ok}}, "", "series 0 has no name"},
		{"duplicate", "png", []Series{{"loss", ok}, {"loss", ok}}, "", `duplicate series name "loss"`},
		{"best", "png", []Series{{"loss", ok}}, "val_loss", `no series named "val_loss" (have loss)`},
	} {
		var buf bytes.Buffer
		err := WriteLearningCurves(&buf, tc.format, "", tc.series, tc.best)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.desc, err, tc.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes despite the error", tc.desc, buf.Len())
		}
	}
}

func TestLearningSpeedErrors(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		layers []Series
		want   string
	}{
		{"none", nil, "no layer"},
		{"all zero", []Series{{"dense", []float64{0, 0}}, {"dense_1", []float64{-1, 0}}}, "no layer has a positive value"},
		{"NaN", []Series{{"dense", []float64{1, math.NaN()}}}, `layer "dense": epoch 2: value is NaN`},
		{"lengths", []Series{{"dense", []float64{1}}, {"dense_1", []float64{1, 2}}}, "lengths must match"},
	} {
		err := WriteLearningSpeed(io.Discard, "png", "", tc.layers)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.desc, err, tc.want)
		}
	}
}

func TestEdgeCasesRender(t *testing.T) {
	// One epoch, constant values, a value exactly on the 1-2-5 sequence:
	// none of these may panic or fail.
	cases := []func() error{
		func() error {
			return WriteLearningCurves(io.Discard, "png", "", []Series{{"loss", []float64{2}}, {"val_loss", []float64{3}}}, "val_loss")
		},
		func() error {
			return WriteLearningCurves(io.Discard, "svg", "", []Series{{"loss", []float64{1, 1, 1}}}, "loss")
		},
		func() error { return WriteLearningSpeed(io.Discard, "png", "", []Series{{"d", []float64{0.1}}}) },
		func() error { return WriteLearningSpeed(io.Discard, "svg", "", []Series{{"d", []float64{0.2, 0.2}}}) },
		func() error {
			return WriteLearningSpeed(io.Discard, "svg", "", []Series{{"d", []float64{1e-9, 1e3, 0, 5}}})
		},
	}
	for i, f := range cases {
		if err := f(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestLogTicks(t *testing.T) {
	lo, hi := logRange(0.013, 0.18)
	if lo != 0.01 || hi != 0.2 {
		t.Errorf("logRange(0.013, 0.18) = %v, %v; want 0.01, 0.2", lo, hi)
	}
	var labels []string
	for _, tk := range (logTicks{}).Ticks(lo, hi) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got, want := strings.Join(labels, " "), "0.01 0.02 0.05 0.1 0.2"; got != want {
		t.Errorf("labels = %q, want %q", got, want)
	}
	lo, hi = logRange(3e-6, 0.4)
	if lo != 1e-6 || hi != 1 {
		t.Errorf("logRange(3e-6, 0.4) = %v, %v; want 1e-6, 1", lo, hi)
	}
	labels = labels[:0]
	for _, tk := range (logTicks{}).Ticks(lo, hi) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got, want := strings.Join(labels, " "), "1e-06 1e-05 1e-04 0.001 0.01 0.1 1"; got != want {
		t.Errorf("labels = %q, want %q", got, want)
	}
}

func TestLinearTicks(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     string
	}{
		{5.2, 378, "50 100 150 200 250 300 350"},
		{0.31, 0.92, "0.4 0.5 0.6 0.7 0.8 0.9"},
		{-1.5, 2.5, "-1 0 1 2"},
		{0.123, 0.125, "0.1230 0.1235 0.1240 0.1245 0.1250"},
	} {
		var labels []string
		for _, tk := range (linearTicks{}).Ticks(tc.min, tc.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("Ticks(%v, %v) = %q, want %q", tc.min, tc.max, got, tc.want)
		}
	}
}

func TestEpochTicks(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     string
	}{
		{1, 5, "1 2 3 4 5"},
		{1, 40, "5 10 15 20 25 30 35 40"},
		{1, 100, "10 20 30 40 50 60 70 80 90 100"},
		{0.5, 1.5, "1"},
	} {
		var labels []string
		for _, tk := range (epochTicks{}).Ticks(tc.min, tc.max) {
			labels = append(labels, tk.Label)
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("Ticks(%v, %v) = %q, want %q", tc.min, tc.max, got, tc.want)
		}
	}
}

func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "curves.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := LearningCurves(path, "t", sampleCurves(10), "val_loss"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	svg := filepath.Join(dir, "speed.SVG")
	if err := LearningSpeed(svg, "t", sampleSpeed(5)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	checkXML(t, b)

	// Failures leave neither the target nor a temporary file behind.
	if err := LearningCurves(filepath.Join(dir, "bad.png"), "", nil, ""); err == nil {
		t.Error("no error for no series")
	}
	if err := LearningCurves(filepath.Join(dir, "bad.jpg"), "", sampleCurves(3), ""); err == nil || !strings.Contains(err.Error(), `unknown extension ".jpg"`) {
		t.Errorf("err = %v, want unknown extension", err)
	}
	if err := LearningSpeed(filepath.Join(dir, "noext"), "", sampleSpeed(3)); err == nil {
		t.Error("no error for a path without extension")
	}
	if err := LearningCurves(filepath.Join(dir, "missing", "x.png"), "", sampleCurves(3), ""); err == nil {
		t.Error("no error for a missing directory")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "curves.png speed.SVG"; got != want {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

// TestSamples writes sample figures for a person to look at when
// NEURONA_PLOT_SAMPLES names a directory.
func TestSamples(t *testing.T) {
	dir := os.Getenv("NEURONA_PLOT_SAMPLES")
	if dir == "" {
		t.Skip("set NEURONA_PLOT_SAMPLES to a directory to write sample figures")
	}
	for _, err := range []error{
		LearningCurves(filepath.Join(dir, "curves.png"), "Boston housing: mean squared error", sampleCurves(100), "val_loss"),
		LearningCurves(filepath.Join(dir, "curves.svg"), "Boston housing: mean squared error", sampleCurves(100), "val_loss"),
		LearningSpeed(filepath.Join(dir, "speed.png"), "Learning speed per layer", sampleSpeed(30)),
	} {
		if err != nil {
			t.Error(err)
		}
	}
}
