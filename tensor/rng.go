package tensor

import "math"

// RNG is a small, seeded, deterministic random number generator
// (xoshiro256** seeded through splitmix64). Its streams are fixed by this
// package, not by the Go release, so a seed gives the same numbers forever.
// An RNG is not safe for concurrent use.
type RNG struct {
	s [4]uint64
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	r := &RNG{}
	r.Seed(seed)
	return r
}

// Seed resets the generator to the stream for seed.
func (r *RNG) Seed(seed uint64) {
	x := seed
	for i := range r.s {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		r.s[i] = z ^ (z >> 31)
	}
}

// State returns the generator's internal state, so that training can be
// checkpointed and resumed bit-identically.
func (r *RNG) State() [4]uint64 { return r.s }

// SetState restores a state returned by State.
func (r *RNG) SetState(s [4]uint64) { r.s = s }

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

// Uint64 returns 64 random bits.
func (r *RNG) Uint64() uint64 {
	s := &r.s
	result := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return result
}

// Skip advances the generator by n draws of Uint64, as if they were made
// and thrown away (in O(n)).
func (r *RNG) Skip(n int) {
	for range n {
		r.Uint64()
	}
}

// Split returns a new generator whose stream is derived from this one.
func (r *RNG) Split() *RNG { return NewRNG(r.Uint64()) }

// Float64 returns a uniform number in [0, 1).
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) * (1.0 / (1 << 53)) }

// Float32 returns a uniform number in [0, 1).
func (r *RNG) Float32() float32 { return float32(r.Uint64()>>40) * (1.0 / (1 << 24)) }

// Intn returns a uniform integer in [0, n). It panics if n <= 0.
func (r *RNG) Intn(n int) int {
	if n <= 0 {
		panic("tensor: RNG.Intn: n <= 0")
	}
	// Lemire's multiply-shift with rejection, unbiased.
	un := uint64(n)
	for {
		x := r.Uint64()
		hi, lo := mul64(x, un)
		if lo >= un || lo >= (-un)%un {
			return int(hi)
		}
	}
}

func mul64(x, y uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	x0, x1 := x&mask32, x>>32
	y0, y1 := y&mask32, y>>32
	w0 := x0 * y0
	t := x1*y0 + w0>>32
	w1 := t & mask32
	w2 := t >> 32
	w1 += x0 * y1
	hi = x1*y1 + w2 + w1>>32
	lo = x * y
	return
}

// NormFloat64 returns a standard normal number (Box–Muller).
func (r *RNG) NormFloat64() float64 {
	for {
		u := r.Float64()
		if u == 0 {
			continue
		}
		v := r.Float64()
		return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
	}
}

// Perm fills p with a random permutation of 0..len(p)-1 (Fisher–Yates).
func (r *RNG) Perm(p []int) {
	for i := range p {
		p[i] = i
	}
	r.Shuffle(p)
}

// Shuffle permutes p in place (Fisher–Yates).
func (r *RNG) Shuffle(p []int) {
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// Uniform fills t with uniform numbers in [lo, hi).
func (r *RNG) Uniform(t *Tensor, lo, hi float32) {
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*r.Float32()
	}
}

// Normal fills t with normal numbers of the given mean and standard deviation.
func (r *RNG) Normal(t *Tensor, mean, stddev float32) {
	for i := range t.Data {
		t.Data[i] = mean + stddev*float32(r.NormFloat64())
	}
}

// TruncatedNormal fills t with normal numbers redrawn until they lie within
// two standard deviations of the mean, as tf.random.truncated_normal does.
func (r *RNG) TruncatedNormal(t *Tensor, mean, stddev float32) {
	for i := range t.Data {
		for {
			z := r.NormFloat64()
			if z >= -2 && z <= 2 {
				t.Data[i] = mean + stddev*float32(z)
				break
			}
		}
	}
}

// DropMask sets dst[i] = scale where the top 24 bits of the i-th draw are
// at least keepFrom, else 0, for the next len(dst) draws: dropout's mask
// (a value survives when Float32() ≥ rate, that is with keepFrom =
// ⌈rate·2²⁴⌉). It draws the same stream as len(dst) calls of Uint64, with
// the state in registers.
func (r *RNG) DropMask(dst []float32, keepFrom uint64, scale float32) {
	s0, s1, s2, s3 := r.s[0], r.s[1], r.s[2], r.s[3]
	for i := range dst {
		result := rotl(s1*5, 7) * 9
		t := s1 << 17
		s2 ^= s0
		s3 ^= s1
		s1 ^= s2
		s0 ^= s3
		s2 ^= t
		s3 = rotl(s3, 45)
		keep := (result >> 40) - keepFrom // wraps around when dropped
		dst[i] = scale * float32(1-(keep>>63))
	}
	r.s = [4]uint64{s0, s1, s2, s3}
}
