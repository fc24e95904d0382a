package saving

import (
	"encoding/binary"
	"math"
)

// dtype is an element type that Read can turn into float32 and, for an
// integer type, into int64 exactly.
type dtype struct {
	name      string
	size      int
	decode    func(dst []float32, src []byte) // len(src) == len(dst)*size
	decodeInt func(dst []int64, src []byte)   // nil for a float type
}

// readable are the dtypes Read reads. Write writes F32 for a Tensor and I64
// for Ints.
var readable = map[string]dtype{
	"F32":  {"F32", 4, decodeF32, nil},
	"F16":  {"F16", 2, decodeF16, nil},
	"BF16": {"BF16", 2, decodeBF16, nil},
	"F64":  {"F64", 8, decodeF64, nil},
	"I64":  {"I64", 8, viaInts(decodeI64), decodeI64},
	"I32":  {"I32", 4, viaInts(decodeI32), decodeI32},
	"U32":  {"U32", 4, viaInts(decodeU32), decodeU32},
}

// viaInts makes a float32 decoder of an integer one.
func viaInts(dec func(dst []int64, src []byte)) func(dst []float32, src []byte) {
	return func(dst []float32, src []byte) {
		var buf [512]int64
		for len(dst) > 0 {
			k := min(len(dst), len(buf))
			size := len(src) / len(dst)
			dec(buf[:k], src[:k*size])
			for i, v := range buf[:k] {
				dst[i] = float32(v)
			}
			dst, src = dst[k:], src[k*size:]
		}
	}
}

func decodeI64(dst []int64, src []byte) {
	for i := range dst {
		dst[i] = int64(binary.LittleEndian.Uint64(src[8*i:]))
	}
}

func decodeI32(dst []int64, src []byte) {
	for i := range dst {
		dst[i] = int64(int32(binary.LittleEndian.Uint32(src[4*i:])))
	}
}

func decodeU32(dst []int64, src []byte) {
	for i := range dst {
		dst[i] = int64(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// otherDtypes are the rest of safetensors' dtypes: known, but not read by
// neurona, whose tensors are float32.
var otherDtypes = map[string]bool{
	"BOOL": true, "U8": true, "I8": true, "F8_E5M2": true, "F8_E4M3": true,
	"F8_E8M0": true, "F4": true, "F6_E2M3": true, "F6_E3M2": true,
	"I16": true, "U16": true, "U64": true,
	"C64": true,
}

func decodeF32(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func decodeF64(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

func decodeBF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}

func decodeF16(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = halfToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN (payload kept)
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	default: // subnormal: mant × 2^-24
		v := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}
