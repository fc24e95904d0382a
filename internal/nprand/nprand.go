// Package nprand reproduces NumPy's legacy random generator,
// numpy.random.RandomState (MT19937), bit for bit, as far as neurona needs it:
// seeding from a 32-bit integer, raw 32-bit draws and the in-place shuffle of
// a 1-D array. It exists so that neurona's datasets split data exactly as
// keras.datasets does.
package nprand

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// RandomState is NumPy's legacy MT19937 generator. A RandomState is not safe
// for concurrent use.
type RandomState struct {
	mt  [n]uint32
	pos int
}

// New returns a generator seeded as numpy.random.RandomState(seed) is (the
// reference init_genrand seeding of MT19937).
func New(seed uint32) *RandomState {
	r := &RandomState{}
	r.Seed(seed)
	return r
}

// Seed resets the generator to the stream of numpy.random.seed(seed).
func (r *RandomState) Seed(seed uint32) {
	r.mt[0] = seed
	for i := 1; i < n; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.pos = n
}

// generate refills the state with the next 624 words.
func (r *RandomState) generate() {
	mt := &r.mt
	var i int
	for i = 0; i < n-m; i++ {
		y := mt[i]&upperMask | mt[i+1]&lowerMask
		mt[i] = mt[i+m] ^ y>>1 ^ (-(y & 1) & matrixA)
	}
	for ; i < n-1; i++ {
		y := mt[i]&upperMask | mt[i+1]&lowerMask
		mt[i] = mt[i+m-n] ^ y>>1 ^ (-(y & 1) & matrixA)
	}
	y := mt[n-1]&upperMask | mt[0]&lowerMask
	mt[n-1] = mt[m-1] ^ y>>1 ^ (-(y & 1) & matrixA)
	r.pos = 0
}

// Uint32 returns the next 32 random bits, as MT19937's genrand_int32 does.
func (r *RandomState) Uint32() uint32 {
	if r.pos >= n {
		r.generate()
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// uint64 returns 64 random bits from two 32-bit draws, the first in the high
// half (NumPy's mt19937_next64). Only Interval uses it, for max >= 2^32, which
// no shuffle in neurona reaches.
func (r *RandomState) uint64() uint64 {
	hi := uint64(r.Uint32())
	return hi<<32 | uint64(r.Uint32())
}

// Interval returns a uniform integer in [0, max] by NumPy's masked rejection
// sampling (random_interval): draws are masked to the smallest all-ones bit
// pattern that covers max and redrawn while they exceed it. Draws are 32 bits
// wide when max fits in 32 bits and 64 bits wide otherwise.
func (r *RandomState) Interval(max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= 0xffffffff {
		for {
			v := uint64(r.Uint32()) & mask
			if v <= max {
				return v
			}
		}
	}
	for {
		v := r.uint64() & mask
		if v <= max {
			return v
		}
	}
}

// Shuffle permutes p in place exactly as RandomState.shuffle permutes a 1-D
// NumPy array: for i from len(p)-1 down to 1 it swaps p[i] with p[j], where
// j = Interval(i).
func (r *RandomState) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := int(r.Interval(uint64(i)))
		p[i], p[j] = p[j], p[i]
	}
}

// Permutation returns a shuffled copy of 0..k-1, as
// RandomState.permutation(k) does. It returns an empty slice when k <= 0.
func (r *RandomState) Permutation(k int) []int {
	if k <= 0 {
		return []int{}
	}
	p := make([]int, k)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(p)
	return p
}
