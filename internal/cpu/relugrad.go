package cpu

import "math"

// ReluGrad sets dz[i] = dy[i] where y[i] > 0 and +0 elsewhere (−0, negative
// y and NaN with the sign bit set give +0; a NaN with a clear sign bit
// passes): the gradient through a ReLU whose output is y, written rather
// than added (ReluBackward adds).
func ReluGrad(dz, dy, y []float32) {
	dz, dy = dz[:len(y)], dy[:len(y)]
	done := 0
	if maxAsm && len(y) >= 16 {
		done = len(y) &^ 15
		reluGradAVX512(&dz[0], &dy[0], &y[0], done/16)
	}
	for i := done; i < len(y); i++ {
		if int32(math.Float32bits(y[i])) > 0 {
			dz[i] = dy[i]
		} else {
			dz[i] = 0
		}
	}
}

// ReluGradSparse writes the nonzero entries of dz = dy·relu'(y), as
// ReluGrad computes it, into idx (their positions in dy) and val (their
// values), in order, and returns their number; the entries are those where
// dy[i] is not ±0 and y[i] > 0 as ReluGrad tests it (a −0 of dz is left
// out). It returns −1 when there are more than len(idx) of them, having
// written some. val must be as long as idx, and len(dy) below 2³¹.
func ReluGradSparse(idx []int32, val []float32, dy, y []float32) int {
	dy, val = dy[:len(y)], val[:len(idx)]
	if len(y) > math.MaxInt32 {
		panic("cpu: ReluGradSparse: more than 2³¹ values")
	}
	n, done := 0, 0
	if maxAsm && len(y) >= 16 && len(idx) > 0 {
		done = len(y) &^ 15
		if n = reluGradSparseAVX512(&dy[0], &y[0], 0, done/16, &idx[0], &val[0], len(idx)); n < 0 {
			return -1
		}
	}
	return reluGradSparseGeneric(idx, val, dy, y, done, n)
}

// reluGradSparseGeneric is ReluGradSparse from position from on, with n
// entries already written.
func reluGradSparseGeneric(idx []int32, val []float32, dy, y []float32, from, n int) int {
	for i := from; i < len(y); i++ {
		if i&15 == 0 && i+16 <= len(y) && zero16(dy[i:i+16]) {
			i += 15
			continue
		}
		if math.Float32bits(dy[i])&0x7fffffff != 0 && int32(math.Float32bits(y[i])) > 0 {
			if n == len(idx) {
				return -1
			}
			idx[n], val[n] = int32(i), dy[i]
			n++
		}
	}
	return n
}

// zero16 reports whether the 16 values of b are all ±0.
func zero16(b []float32) bool {
	var or uint32
	for _, v := range b[:16] {
		or |= math.Float32bits(v)
	}
	return or&0x7fffffff == 0
}
