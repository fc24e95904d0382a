package cpu

import "math"

// MaxInto sets m[i] = x[i] where x[i] is greater than m[i] in the order
// of OrderKey (−0 below +0, NaN above +Inf, so that every value has its
// place and the result does not depend on the order of equal values): one
// position of a max-pooling window over len(x) channels.
func MaxInto(m, x []float32) {
	m = m[:len(x)]
	done := 0
	if maxAsm && len(x) >= 16 {
		done = len(x) &^ 15
		maxIntoAVX512(&m[0], &x[0], done/16)
	}
	for i := done; i < len(x); i++ {
		vb, mb := math.Float32bits(x[i]), math.Float32bits(m[i])
		if OrderKey(vb) > OrderKey(mb) {
			m[i] = x[i]
		}
	}
}

// ArgmaxInto is MaxInto that also sets at[i] = base+i where x[i] is
// greater.
func ArgmaxInto(m []float32, at []int32, x []float32, base int32) {
	m, at = m[:len(x)], at[:len(x)]
	done := 0
	if maxAsm && len(x) >= 16 {
		done = len(x) &^ 15
		argmaxIntoAVX512(&m[0], &at[0], &x[0], base, done/16)
	}
	for i := done; i < len(x); i++ {
		vb, mb := math.Float32bits(x[i]), math.Float32bits(m[i])
		if OrderKey(vb) > OrderKey(mb) {
			m[i], at[i] = x[i], base+int32(i)
		}
	}
}

// OrderKey maps a float32's bits to an int32 with the same order, −0 just
// below +0 and NaN (with a clear sign bit) above +Inf.
func OrderKey(b uint32) int32 {
	k := int32(b)
	return k ^ (k >> 31 & 0x7fffffff)
}

// ArgmaxInit sets m = x and at[i] = base+i: the first position of a
// max-pooling window, which ArgmaxInto then updates.
func ArgmaxInit(m []float32, at []int32, x []float32, base int32) {
	m, at = m[:len(x)], at[:len(x)]
	done := 0
	if maxAsm && len(x) >= 16 {
		done = len(x) &^ 15
		argmaxInitAVX512(&m[0], &at[0], &x[0], base, done/16)
	}
	for i := done; i < len(x); i++ {
		m[i], at[i] = x[i], base+int32(i)
	}
}
