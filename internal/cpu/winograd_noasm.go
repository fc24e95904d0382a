//go:build noasm || !amd64

package cpu

// winoAsm is false: the transforms run the portable code.
var winoAsm = false

func winoInputAVX512(src *float32, rs, ps int, v *float32, vs int, blocks int) {
	panic("no assembly")
}

func winoOutputAVX512(m *float32, ms int, y *float32, rs, ps int, blocks int, bias *float32, flags int) {
	panic("no assembly")
}

func winoFilterAVX512(w *float32, ws int, u *float32, us int, blocks int) {
	panic("no assembly")
}

func transpose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	transposeGeneric(dst, ldd, src, lds, rows, cols)
}

func winoOutputAdjointAVX512(y *float32, rs, ps int, z *float32, zs int, blocks int) {
	panic("no assembly")
}

func winoFilterAdjointAVX512(u *float32, us int, w *float32, ws int, blocks int) {
	panic("no assembly")
}

func wino4InputAVX512(src *float32, rs, ps int, v *float32, vs int, blocks int) {
	panic("no assembly")
}

func wino4OutputAVX512(m *float32, ms int, y *float32, rs, ps int, blocks int, bias *float32, flags int) {
	panic("no assembly")
}

func wino4OutputAdjointAVX512(y *float32, rs, ps int, z *float32, zs int, blocks int) {
	panic("no assembly")
}

func wino4FilterAVX512(w *float32, ws int, u *float32, us int, blocks int) {
	panic("no assembly")
}

func wino4FilterAdjointAVX512(u *float32, us int, w *float32, ws int, blocks int) {
	panic("no assembly")
}
