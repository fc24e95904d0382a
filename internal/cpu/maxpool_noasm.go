//go:build noasm || !amd64

package cpu

// maxAsm is false: max pooling runs the portable code.
var maxAsm = false

func maxIntoAVX512(m *float32, x *float32, blocks int) { panic("no assembly") }

func argmaxIntoAVX512(m *float32, at *int32, x *float32, base int32, blocks int) {
	panic("no assembly")
}

func argmaxInitAVX512(m *float32, at *int32, x *float32, base int32, blocks int) {
	panic("no assembly")
}

func reluGradAVX512(dz, dy, y *float32, blocks int) { panic("no assembly") }

func reluGradSparseAVX512(dy, y *float32, base int32, blocks int, idx *int32, val *float32, cap int) int {
	panic("no assembly")
}
