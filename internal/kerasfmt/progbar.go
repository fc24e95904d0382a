package kerasfmt

import (
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// LogValue is one metric shown on the progress bar, e.g. {"loss", 583.1135}.
type LogValue struct {
	Name  string
	Value float64
}

// progbarWidth is Keras 2.2.4's default bar width.
const progbarWidth = 30

const (
	// ProgbarInterval is Keras's minimum time between two redraws of the
	// interactive bar (interval=0.05); the final line is never throttled.
	ProgbarInterval = 50 * time.Millisecond
)

// Progbar is Keras 2.2.4's keras.utils.Progbar as driven by fit()'s
// ProgbarLogger (count_mode='samples'). It displays the values it is given
// as they are: the caller passes running averages (Keras's Progbar computes
// sample-weighted averages of per-batch values itself; here Fit does).
//
// Output by mode:
//
//   - verbose 1, interactive: every Update (at most one per
//     ProgbarInterval) redraws the line in place, written as Keras writes
//     it: '\b' * width of the previous line, '\r', then
//     "  8/404 [..............................] - ETA: 30s - loss: 865.3292",
//     padded with spaces when shorter than the previous line. Finish draws
//     "404/404 [==============================] - 0s 41us/step - loss: ... - val_loss: ...\n".
//   - verbose 1, not interactive: Update prints nothing; Finish prints only
//     the final line above, with no '\b' or '\r'. (Keras 2.2.4 itself would
//     print "\n"+bar for every unthrottled update on a non-terminal; this
//     package keeps logs clean instead.)
//   - verbose 2: Finish prints " - 0s - loss: 583.1135 - val_loss: 786.3666\n".
//   - verbose 0: nothing.
//
// Values print as ' - name: %.4f' when |v| > 1e-3, else ' - name: %.4e'
// (verbose 2 tests v > 1e-3 without abs, as Keras 2.2.4 does, so negative
// values print in %.4e there). Time is never read inside: every call takes
// now, and elapsed time is measured from the start given to NewProgbar/Reset.
//
// After the first draw, Update and Finish do not allocate. A Progbar is not
// safe for concurrent use.
type Progbar struct {
	w           io.Writer
	target      int // samples per epoch; <= 0 means unknown (Keras's None)
	verbose     int
	interactive bool

	start      time.Time
	lastUpdate time.Time
	drawn      bool // lastUpdate is valid (Keras starts it at 0)
	seen       int  // last current passed to Update
	totalWidth int  // characters in the line last drawn (for '\b' and padding)

	buf []byte
	err error
}

// NewProgbar returns a progress bar for an epoch of target samples that
// started at start. interactive reports whether w is a terminal (Keras's
// _dynamic_display: sys.stdout.isatty() or running under ipykernel).
func NewProgbar(w io.Writer, target, verbose int, interactive bool, start time.Time) *Progbar {
	p := &Progbar{w: w, verbose: verbose, interactive: interactive, buf: make([]byte, 0, 256)}
	p.Reset(target, start)
	return p
}

// Reset readies the bar for a new epoch of target samples starting at start,
// keeping its writer, mode and buffer (Keras builds a new Progbar per epoch).
func (p *Progbar) Reset(target int, start time.Time) {
	p.target = target
	p.start = start
	p.lastUpdate = time.Time{}
	p.drawn = false
	p.seen = 0
	p.totalWidth = 0
	p.err = nil
}

// Err returns the first error the writer returned since NewProgbar/Reset.
func (p *Progbar) Err() error { return p.err }

// Update reports that current samples of the epoch have been processed;
// values are the metrics to show, in order. Like Keras's Progbar.update, a
// current >= target is final and behaves as Finish. Fit should skip Update
// for the last batch and call Finish instead, as ProgbarLogger does.
func (p *Progbar) Update(current int, values []LogValue, now time.Time) {
	p.update(current, values, now, p.target > 0 && current >= p.target)
}

// Finish draws the epoch's final line with values (training averages
// followed by val_ values) at now, and returns the first write error.
func (p *Progbar) Finish(values []LogValue, now time.Time) error {
	current := p.seen
	if p.target > 0 {
		current = p.target
	}
	p.update(current, values, now, true)
	return p.err
}

func (p *Progbar) update(current int, values []LogValue, now time.Time, final bool) {
	p.seen = current
	elapsed := now.Sub(p.start).Seconds()
	switch p.verbose {
	case 1:
		if !final {
			if !p.interactive {
				return
			}
			if p.target > 0 && p.drawn && now.Sub(p.lastUpdate) < ProgbarInterval {
				return
			}
		}
		b := p.buf[:0]
		prev := p.totalWidth
		if p.interactive {
			for range prev {
				b = append(b, '\b')
			}
			b = append(b, '\r')
		}
		lineStart := len(b)
		b = p.appendBar(b, current)

		var perUnit float64
		if current != 0 {
			perUnit = elapsed / float64(current)
		}
		if p.target > 0 && current < p.target {
			b = append(b, " - ETA: "...)
			b = appendETA(b, perUnit*float64(p.target-current))
		} else {
			b = appendSeconds(b, elapsed)
			b = appendPerStep(b, perUnit)
		}
		for _, v := range values {
			b = appendValue(b, v, math.Abs(v.Value) > 1e-3)
		}
		width := utf8.RuneCount(b[lineStart:])
		for ; width < prev; width++ {
			b = append(b, ' ')
		}
		p.totalWidth = width
		if final {
			b = append(b, '\n')
		}
		p.write(b)
	case 2:
		if final {
			b := appendSeconds(p.buf[:0], elapsed)
			for _, v := range values {
				b = appendValue(b, v, v.Value > 1e-3)
			}
			b = append(b, '\n')
			p.write(b)
		}
	}
	p.lastUpdate = now
	p.drawn = true
}

func (p *Progbar) write(b []byte) {
	p.buf = b[:0]
	if p.err == nil {
		_, p.err = p.w.Write(b)
	}
}

// appendBar appends '%{numdigits}d/%d [' + '='*(w-1) + ('>' or '=') +
// '.'*(30-w) + ']', or '%7d/Unknown' without a target.
func (p *Progbar) appendBar(b []byte, current int) []byte {
	if p.target <= 0 {
		b = appendPadInt(b, current, 7)
		return append(b, "/Unknown"...)
	}
	numDigits := 1 // int(floor(log10(target))) + 1
	for t := p.target; t >= 10; t /= 10 {
		numDigits++
	}
	b = appendPadInt(b, current, numDigits)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(p.target), 10)
	b = append(b, " ["...)
	progWidth := int(progbarWidth * (float64(current) / float64(p.target)))
	progWidth = max(progWidth, 0) // int() of a negative progress: no '=' (range(0))
	if progWidth > 0 {
		for range progWidth - 1 {
			b = append(b, '=')
		}
		if current < p.target {
			b = append(b, '>')
		} else {
			b = append(b, '=')
		}
	}
	for range progbarWidth - progWidth {
		b = append(b, '.')
	}
	return append(b, ']')
}

// appendPadInt appends n right-aligned in width columns ('%{width}d').
func appendPadInt(b []byte, n, width int) []byte {
	var tmp [24]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// appendETA appends Keras's ETA: '%d:%02d:%02d' above an hour, '%d:%02d'
// above a minute, else '%ds' (Python's %d truncates the float).
func appendETA(b []byte, eta float64) []byte {
	switch {
	case eta > 3600:
		b = strconv.AppendInt(b, int64(math.Floor(eta/3600)), 10)
		b = append(b, ':')
		b = append2d(b, int64(math.Floor(math.Mod(eta, 3600)/60)))
		b = append(b, ':')
		return append2d(b, int64(math.Mod(eta, 60)))
	case eta > 60:
		b = strconv.AppendInt(b, int64(math.Floor(eta/60)), 10)
		b = append(b, ':')
		return append2d(b, int64(math.Mod(eta, 60)))
	default:
		b = strconv.AppendInt(b, int64(eta), 10)
		return append(b, 's')
	}
}

func append2d(b []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

// appendSeconds appends ' - %.0fs'.
func appendSeconds(b []byte, s float64) []byte {
	b = append(b, " - "...)
	b = appendPyFloat(b, s, 'f', 0)
	return append(b, 's')
}

// appendPerStep appends ' %.0fs/step', ' %.0fms/step' or ' %.0fus/step'.
func appendPerStep(b []byte, perUnit float64) []byte {
	b = append(b, ' ')
	switch {
	case perUnit >= 1:
		b = appendPyFloat(b, perUnit, 'f', 0)
		return append(b, "s/step"...)
	case perUnit >= 1e-3:
		b = appendPyFloat(b, perUnit*1e3, 'f', 0)
		return append(b, "ms/step"...)
	default:
		b = appendPyFloat(b, perUnit*1e6, 'f', 0)
		return append(b, "us/step"...)
	}
}

// appendValue appends ' - name: %.4f' (fixed) or ' - name: %.4e'.
func appendValue(b []byte, v LogValue, fixed bool) []byte {
	b = append(b, " - "...)
	b = append(b, v.Name...)
	b = append(b, ": "...)
	if fixed {
		return appendPyFloat(b, v.Value, 'f', 4)
	}
	return appendPyFloat(b, v.Value, 'e', 4)
}
