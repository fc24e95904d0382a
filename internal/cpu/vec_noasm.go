//go:build noasm || !amd64

package cpu

// Without assembly kernels, the vector operations run the portable
// references of vec.go.

// VecKernel names the vector kernel set in use.
func VecKernel() string { return "generic" }

func adam(p, g, m, v []float32, b1, c1, b2, c2, lrT, eps float32) {
	adamGeneric(p, g, m, v, b1, c1, b2, c2, lrT, eps)
}
func relu(dst, x []float32)                         { reluGeneric(dst, x) }
func reluBackward(dx, dy, y []float32)              { reluBackwardGeneric(dx, dy, y) }
func axpy(dst, x []float32, alpha float32)          { axpyGeneric(dst, x, alpha) }
func scale(x []float32, alpha float32)              { scaleGeneric(x, alpha) }
func add(dst, a, b []float32)                       { addGeneric(dst, a, b) }
func sub(dst, a, b []float32)                       { subGeneric(dst, a, b) }
func mul(dst, a, b []float32)                       { mulGeneric(dst, a, b) }
func addMul(dst, a, b []float32)                    { addMulGeneric(dst, a, b) }
func addBias(x []float32, rows int, bias []float32) { addBiasGeneric(x, rows, bias) }
func sumRows(dst, x []float32, rows, ld int)        { sumRowsGeneric(dst, x, rows, ld) }
func sum32(x []float32, acc *[32]float64)           { sum32Generic(x, acc) }
func sumSq32(x []float32, acc *[32]float64)         { sumSq32Generic(x, acc) }
func tanhGrad(g, y []float32)                       { tanhGradGeneric(g, y) }
func sigmoidGrad(g, y []float32)                    { sigmoidGradGeneric(g, y) }
func hardSigmoid(x []float32)                       { hardSigmoidGeneric(x) }
func hardSigmoidGrad(g, y []float32)                { hardSigmoidGradGeneric(g, y) }
func oneMinus(dst, x []float32)                     { oneMinusGeneric(dst, x) }

// exp64 leaves all of Exp64 to expScalar.
func exp64(dst, x []float64) int { return 0 }

// sigmoid32 and tanh32 leave all of Sigmoid and Tanh to Go.
func sigmoid32(dst, x []float32) int { return 0 }
func tanh32(dst, x []float32) int    { return 0 }

func sigmoidF32(dst, x []float32) { sigmoidF32Generic(dst, x) }
func tanhF32(dst, x []float32)    { tanhF32Generic(dst, x) }
