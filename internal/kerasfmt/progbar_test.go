package kerasfmt

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/neurona/neurona/internal/alloctest"
)

var t0 = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }

func loss(v float64) []LogValue { return []LogValue{{"loss", v}} }

var finalValues = []LogValue{{"loss", 583.1135}, {"val_loss", 786.3666}}

// redraw is what Keras writes before redrawing over a line of prev characters.
func redraw(prev string) string { return strings.Repeat("\b", len(prev)) + "\r" }

func TestProgbarInteractive(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 404, 1, true, t0)
	p.Update(8, loss(865.3292), at(610))      // first update always draws
	p.Update(16, loss(850), at(630))          // 20 ms later: throttled
	p.Update(200, loss(700.5), at(700))       // shorter line: padded by one space
	p.Update(300, loss(0.000123456), at(800)) // %.4e branch, longer line
	if err := p.Finish(finalValues, at(1000)); err != nil {
		t.Fatal(err)
	}

	l1 := "  8/404 [..............................] - ETA: 30s - loss: 865.3292"
	l2 := "200/404 [=============>................] - ETA: 0s - loss: 700.5000"
	l3 := "300/404 [=====================>........] - ETA: 0s - loss: 1.2346e-04"
	l4 := "404/404 [==============================] - 1s 2ms/step - loss: 583.1135 - val_loss: 786.3666"
	want := "\r" + l1 +
		redraw(l1) + l2 + " " +
		redraw(l1) + l3 + // l2 was padded to len(l1)
		redraw(l3) + l4 + "\n"
	checkText(t, buf.String(), want)
}

// A final line shorter than the one it overwrites is padded to cover it.
func TestProgbarFinalLinePadding(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 404, 1, true, t0)
	long := []LogValue{{"loss", 865.3292}, {"mean_absolute_error", 21.1234}}
	p.Update(8, long, at(610))
	p.Finish([]LogValue{{"loss", 1.5}}, at(16.6))
	l1 := "  8/404 [..............................] - ETA: 30s - loss: 865.3292 - mean_absolute_error: 21.1234"
	l2 := "404/404 [==============================] - 0s 41us/step - loss: 1.5000"
	want := "\r" + l1 + redraw(l1) + l2 + strings.Repeat(" ", len(l1)-len(l2)) + "\n"
	checkText(t, buf.String(), want)
}

func TestProgbarThrottle(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 100, 1, true, t0)
	p.Update(10, nil, at(1000))
	n := buf.Len()
	p.Update(20, nil, at(1049)) // 49 ms after the last draw
	if buf.Len() != n {
		t.Fatalf("update 49ms after a draw was not throttled: %q", buf.String()[n:])
	}
	p.Update(30, nil, at(1050)) // 50 ms: draws (Keras: now-last < interval returns)
	if buf.Len() == n {
		t.Fatal("update 50ms after a draw was throttled")
	}
	n = buf.Len()
	p.Update(40, nil, at(1060)) // throttled again: measured from the last draw
	if buf.Len() != n {
		t.Fatal("throttle not measured from the last draw")
	}
	p.Update(100, nil, at(1061)) // current >= target: final, never throttled
	if !strings.HasSuffix(buf.String(), "100/100 [==============================] - 1s 11ms/step\n") {
		t.Fatalf("final update: %q", buf.String()[n:])
	}
}

func TestProgbarNonInteractive(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 404, 1, false, t0)
	for i := 8; i < 404; i += 8 {
		p.Update(i, loss(865.3292), at(float64(i)/404*16.6))
	}
	if buf.Len() != 0 {
		t.Fatalf("non-interactive Update wrote %q", buf.String())
	}
	p.Finish(finalValues, at(16.6))
	want := "404/404 [==============================] - 0s 41us/step - loss: 583.1135 - val_loss: 786.3666\n"
	checkText(t, buf.String(), want)
}

func TestProgbarVerbose2(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 404, 2, true, t0)
	p.Update(8, loss(865.3292), at(1))
	p.Update(200, loss(700), at(100))
	if buf.Len() != 0 {
		t.Fatalf("verbose 2 Update wrote %q", buf.String())
	}
	p.Finish(finalValues, at(16.6))
	checkText(t, buf.String(), " - 0s - loss: 583.1135 - val_loss: 786.3666\n")

	// Verbose 2 tests v > 1e-3 without abs (Keras 2.2.4), so negatives use %.4e.
	buf.Reset()
	p.Reset(404, t0)
	p.Finish([]LogValue{{"loss", -2.5}, {"acc", 0.0005}, {"x", 1e-3}, {"y", 0}}, at(2500))
	checkText(t, buf.String(), " - 2s - loss: -2.5000e+00 - acc: 5.0000e-04 - x: 1.0000e-03 - y: 0.0000e+00\n")
}

func TestProgbarVerbose0(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 10, 0, true, t0)
	p.Update(5, loss(1), at(100))
	p.Finish(finalValues, at(200))
	if buf.Len() != 0 {
		t.Fatalf("verbose 0 wrote %q", buf.String())
	}
}

func TestProgbarResetReusesForNextEpoch(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 404, 1, true, t0)
	p.Update(8, loss(865.3292), at(610))
	p.Finish(finalValues, at(1000))
	buf.Reset()
	p.Reset(404, at(2000))
	p.Update(8, loss(865.3292), at(2610)) // not throttled, no '\b': fresh line
	checkText(t, buf.String(), "\r  8/404 [..............................] - ETA: 30s - loss: 865.3292")
}

func TestProgbarETA(t *testing.T) {
	for _, c := range []struct {
		target, current int
		ms              float64
		want            string
	}{
		{60, 1, 1000, "\r 1/60 [..............................] - ETA: 59s - loss: 1.0000"},
		{100000, 1000, 5000, "\r  1000/100000 [..............................] - ETA: 8:15 - loss: 1.0000"},
		{100000, 1, 5000, "\r     1/100000 [..............................] - ETA: 138:53:15 - loss: 1.0000"},
		{10, 9, 9000, "\r 9/10 [==========================>...] - ETA: 1s - loss: 1.0000"},
		{10, 0, 9000, "\r 0/10 [..............................] - ETA: 0s - loss: 1.0000"},
	} {
		var buf bytes.Buffer
		p := NewProgbar(&buf, c.target, 1, true, t0)
		p.Update(c.current, loss(1), at(c.ms))
		checkText(t, buf.String(), c.want)
	}
	for _, c := range []struct {
		eta  float64
		want string
	}{
		{0, "0s"}, {0.99, "0s"}, {30.9, "30s"}, {60, "60s"}, {60.5, "1:00"}, {61, "1:01"},
		{599.9, "9:59"}, {3600, "60:00"}, {3601, "1:00:01"}, {3725.5, "1:02:05"},
		{86399, "23:59:59"}, {90061, "25:01:01"},
	} {
		if got := string(appendETA(nil, c.eta)); got != c.want {
			t.Errorf("eta %v = %q, want %q", c.eta, got, c.want)
		}
	}
}

func TestProgbarPerStep(t *testing.T) {
	for _, c := range []struct {
		ms   float64
		want string
	}{
		{12000, "10/10 [==============================] - 12s 1s/step - loss: 1.0000\n"},
		{10, "10/10 [==============================] - 0s 1ms/step - loss: 1.0000\n"},
		{9.99, "10/10 [==============================] - 0s 999us/step - loss: 1.0000\n"},
		{0.004, "10/10 [==============================] - 0s 0us/step - loss: 1.0000\n"},
		{2500, "10/10 [==============================] - 2s 250ms/step - loss: 1.0000\n"}, // '%.0f' % 2.5: half to even
		{3500, "10/10 [==============================] - 4s 350ms/step - loss: 1.0000\n"},
	} {
		var buf bytes.Buffer
		p := NewProgbar(&buf, 10, 1, false, t0)
		p.Finish(loss(1), at(c.ms))
		checkText(t, buf.String(), c.want)
	}
}

func TestProgbarValueFormats(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{583.1135, "583.1135"},
		{0.0011, "0.0011"},
		{1e-3, "1.0000e-03"}, // |v| > 1e-3 is strict
		{1.23456e-4, "1.2346e-04"},
		{-0.0005, "-5.0000e-04"},
		{-2.5, "-2.5000"}, // verbose 1 uses abs
		{0, "0.0000e+00"},
		{1e-300, "1.0000e-300"},
		{123456.78915, "123456.7891"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		var buf bytes.Buffer
		p := NewProgbar(&buf, 1, 1, false, t0)
		p.Finish([]LogValue{{"m", c.v}}, at(0))
		want := "1/1 [==============================] - 0s 0us/step - m: " + c.want + "\n"
		if got := buf.String(); got != want {
			t.Errorf("value %v:\n got %q\nwant %q", c.v, got, want)
		}
	}
}

func TestProgbarUnknownTarget(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgbar(&buf, 0, 1, true, t0)
	p.Update(32, loss(2), at(10))
	p.Update(64, loss(1), at(20)) // never throttled without a target (as Keras)
	p.Finish(loss(0.5), at(1000))
	l1 := "     32/Unknown - 0s 312us/step - loss: 2.0000"
	l2 := "     64/Unknown - 0s 312us/step - loss: 1.0000"
	l3 := "     64/Unknown - 1s 16ms/step - loss: 0.5000"
	checkText(t, buf.String(), "\r"+l1+redraw(l1)+l2+redraw(l2)+l3+" \n") // l3 padded to len(l2)
}

func TestProgbarWriteError(t *testing.T) {
	fw := &failWriter{}
	p := NewProgbar(fw, 10, 1, true, t0)
	p.Update(1, nil, at(100))
	p.Update(2, nil, at(200))
	if err := p.Finish(nil, at(300)); err != errWrite {
		t.Fatalf("Finish err = %v, want %v", err, errWrite)
	}
	if fw.n != 1 {
		t.Fatalf("%d writes after an error, want 1", fw.n)
	}
	if p.Err() != errWrite {
		t.Fatal("Err() lost the error")
	}
}

func TestEpochHeader(t *testing.T) {
	if got := FormatEpochHeader(1, 32); got != "Epoch 1/32\n" {
		t.Fatalf("FormatEpochHeader = %q", got)
	}
	var buf bytes.Buffer
	if err := WriteEpochHeader(&buf, 32, 32); err != nil || buf.String() != "Epoch 32/32\n" {
		t.Fatalf("WriteEpochHeader = %q, %v", buf.String(), err)
	}
}

func TestProgbarAllocs(t *testing.T) {
	vals := []LogValue{{"loss", 865.3292}, {"mean_absolute_error", 0.000123}}
	for _, interactive := range []bool{false, true} {
		p := NewProgbar(io.Discard, 60000, 1, interactive, t0)
		p.Update(32, vals, at(1)) // warm the buffer
		p.Finish(vals, at(2))
		p.Reset(60000, t0)
		i := 0
		allocs := alloctest.PerRun(200, func() {
			i++
			p.Update(32*i, vals, at(float64(60*i))) // 60 ms apart: every call draws
		})
		if allocs != 0 {
			t.Errorf("interactive=%v: Update allocates %v times per call", interactive, allocs)
		}
		allocs = alloctest.PerRun(50, func() { p.Finish(vals, at(20000)) })
		if allocs != 0 {
			t.Errorf("interactive=%v: Finish allocates %v times per call", interactive, allocs)
		}
	}
	p := NewProgbar(io.Discard, 60000, 2, false, t0)
	if a := alloctest.PerRun(50, func() { p.Update(32, vals, at(1)); p.Finish(vals, at(2)) }); a != 0 {
		t.Errorf("verbose 2 allocates %v times per epoch", a)
	}
}

func BenchmarkProgbarUpdateInteractive(b *testing.B) {
	vals := []LogValue{{"loss", 865.3292}, {"acc", 0.5}}
	p := NewProgbar(io.Discard, 60000, 1, true, t0)
	b.ReportAllocs()
	for i := range b.N {
		p.Update(32*(i%1000), vals, at(float64(60*i)))
	}
}
