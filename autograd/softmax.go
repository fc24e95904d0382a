package autograd

import "github.com/neurona/neurona/internal/cpu"

// expBuf is the number of exponentials softmaxExp computes at a time, in a
// buffer on the stack.
const expBuf = 512

// softmaxExp sets row r of p (rows×cols, row-major; p may be z) to
// float32(e^float64(z_rj − m_r)), where m_r = rowMax(row r of z), and then
// calls done(r, m_r, s_r) with s_r = Σ_j e^float64(z_rj − m_r), summed in
// float64 in column order. The exponentials are those of cpu.Exp64
// (math.Exp's, on amd64 with FMA), computed several rows at a time on the
// vector kernels; the results do not depend on the blocking.
func softmaxExp(p, z []float32, rows, cols int, rowMax func([]float32) float32, done func(r int, m float32, s float64)) {
	if cols <= 0 {
		return
	}
	var buf [expBuf]float64
	var maxes [expBuf]float32
	if cols > expBuf {
		for r := 0; r < rows; r++ {
			zr, pr := z[r*cols:(r+1)*cols], p[r*cols:(r+1)*cols]
			m := rowMax(zr)
			var s float64
			for c0 := 0; c0 < cols; c0 += expBuf {
				c1 := min(c0+expBuf, cols)
				e := buf[:c1-c0]
				for j, v := range zr[c0:c1] {
					e[j] = float64(v - m)
				}
				cpu.Exp64(e, e)
				for j, v := range e {
					pr[c0+j] = float32(v)
					s += v
				}
			}
			done(r, m, s)
		}
		return
	}
	per := expBuf / cols
	for r0 := 0; r0 < rows; r0 += per {
		r1 := min(r0+per, rows)
		e := buf[:(r1-r0)*cols]
		for r := r0; r < r1; r++ {
			zr := z[r*cols : (r+1)*cols]
			m := rowMax(zr)
			maxes[r-r0] = m
			er := e[(r-r0)*cols : (r-r0+1)*cols]
			for j, v := range zr {
				er[j] = float64(v - m)
			}
		}
		cpu.Exp64(e, e)
		for r := r0; r < r1; r++ {
			pr := p[r*cols : (r+1)*cols]
			er := e[(r-r0)*cols : (r-r0+1)*cols]
			var s float64
			for j, v := range er {
				pr[j] = float32(v)
				s += v
			}
			done(r, maxes[r-r0], s)
		}
	}
}
