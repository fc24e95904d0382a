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
