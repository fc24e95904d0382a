package plot

import (
	"fmt"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
)

// epochTicks labels whole epochs only, every 1, 2, 5, 10, 20, 50, ... epochs
// so that there are at most about ten labels.
type epochTicks struct{}

func (epochTicks) Ticks(min, max float64) []gplot.Tick {
	step := 1.0
	for _, m := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000} {
		step = m
		if (max-min)/m <= 10 {
			break
		}
	}
	for (max-min)/step > 10 { // beyond the table
		step *= 10
	}
	var ticks []gplot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		if v < 1 { // there is no epoch 0
			continue
		}
		ticks = append(ticks, gplot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// logTicks marks a log axis whose range logRange chose: a label at every
// power of ten, and also at 2 and 5 times it when the range spans at most
// two decades; unlabelled minor ticks at the other multiples.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []gplot.Tick {
	if min <= 0 || max <= 0 || min > max {
		return nil
	}
	dense := math.Log10(max/min) <= 2+1e-9
	lo, hi := int(math.Floor(math.Log10(min))), int(math.Ceil(math.Log10(max)))
	var ticks []gplot.Tick
	for d := lo; d <= hi; d++ {
		for m := 1; m <= 9; m++ {
			v := decimal(m, d)
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := gplot.Tick{Value: v}
			if m == 1 || (dense && (m == 2 || m == 5)) {
				t.Label = logLabel(m, d)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// decimal returns m×10^d as the float64 nearest to it.
func decimal(m, d int) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", m, d), 64)
	return v
}

// logLabel formats m×10^d: plainly from 0.001 to 10000, as "1e-05" outside.
func logLabel(m, d int) string {
	if d >= -3 && d <= 4 {
		return strconv.FormatFloat(decimal(m, d), 'f', -1, 64)
	}
	return fmt.Sprintf("%de%+03d", m, d)
}

// logRange returns the axis range for positive data in [ymin, ymax]: the
// nearest values of the 1-2-5 sequence around them, or whole decades when
// the data spans more than two decades.
func logRange(ymin, ymax float64) (lo, hi float64) {
	if math.Log10(ymax/ymin) > 2 {
		return decimal(1, int(math.Floor(math.Log10(ymin)+1e-9))), decimal(1, int(math.Ceil(math.Log10(ymax)-1e-9)))
	}
	lo, hi = step125(ymin, false), step125(ymax, true)
	if lo == hi { // constant data that sits on the sequence
		lo, hi = step125(lo*0.99, false), step125(hi*1.01, true)
	}
	return lo, hi
}

// step125 rounds v > 0 down (or up) to the sequence ..., 0.5, 1, 2, 5, 10, ...
func step125(v float64, up bool) float64 {
	d := int(math.Floor(math.Log10(v)))
	ms := []int{1, 2, 5, 10}
	if up {
		for _, m := range ms {
			if c := decimal(m, d); c >= v*(1-1e-12) {
				return c
			}
		}
		return decimal(1, d+1)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if c := decimal(ms[i], d); c <= v*(1+1e-12) {
			return c
		}
	}
	return decimal(5, d-1)
}

// linearTicks labels multiples of a 1-2-5 step chosen for at most eight
// labels, with an unlabelled minor tick halfway between labels.
type linearTicks struct{}

func (linearTicks) Ticks(min, max float64) []gplot.Tick {
	if !(max > min) {
		return []gplot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 6, 64)}}
	}
	// The step is m×10^e; start below the answer and grow along 1, 2, 5.
	m, e := 1, int(math.Floor(math.Log10((max-min)/8)))
	for {
		step := decimal(m, e)
		if math.Floor(max/step+1e-9)-math.Ceil(min/step-1e-9)+1 <= 8 {
			break
		}
		switch m {
		case 1:
			m = 2
		case 2:
			m = 5
		default:
			m, e = 1, e+1
		}
	}
	// Labels sit at multiples of m×10^e, minor ticks halfway, at
	// multiples of (5m)×10^(e-1).
	prec := 0
	if e < 0 {
		prec = -e
	}
	var ticks []gplot.Tick
	for k := int(math.Ceil(min/decimal(5*m, e-1) - 1e-9)); ; k++ {
		v := decimal(k*5*m, e-1)
		if v > max+(max-min)*1e-9 {
			break
		}
		t := gplot.Tick{Value: v}
		if k%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
