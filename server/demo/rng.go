package demo

import "math"

// The generator's randomness: every random quantity is drawn from a
// splitmix64 stream seeded by hashing the seed with the code of what it
// belongs to (a practice, a CCG, a region), so that the data of a practice
// depends on its own code and its CCG's and region's, never on the order of
// the input slices. math/rand is not used.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	golden    = 0x9e3779b97f4a7c15
)

// hashKey hashes the seed, a tag naming the purpose and a code with FNV-1a,
// then scrambles the result with the splitmix64 finaliser.
func hashKey(seed uint64, tag, code string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < 8; i++ {
		h ^= (seed >> (8 * i)) & 0xff
		h *= fnvPrime
	}
	for i := 0; i < len(tag); i++ {
		h ^= uint64(tag[i])
		h *= fnvPrime
	}
	h ^= 0xff // no tag or code byte is 0xff in valid UTF-8: a separator
	h *= fnvPrime
	for i := 0; i < len(code); i++ {
		h ^= uint64(code[i])
		h *= fnvPrime
	}
	return mix64(h)
}

// mix64 is the splitmix64 finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// rng is a splitmix64 generator with a Box-Muller normal cache.
type rng struct {
	state    uint64
	spare    float64
	hasSpare bool
}

func newRNG(key uint64) rng { return rng{state: key} }

func (r *rng) next() uint64 {
	r.state += golden
	return mix64(r.state)
}

// float returns a uniform number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// normal returns a standard normal number.
func (r *rng) normal() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	u1 := 1 - r.float() // (0, 1]: the logarithm is finite
	u2 := r.float()
	radius := math.Sqrt(-2 * math.Log(u1))
	sin, cos := math.Sincos(2 * math.Pi * u2)
	r.spare, r.hasSpare = radius*sin, true
	return radius * cos
}

// uniformOf and normalOf derive one number from a key.
func uniformOf(key uint64) float64 { r := newRNG(key); return r.float() }
func normalOf(key uint64) float64  { r := newRNG(key); return r.normal() }
