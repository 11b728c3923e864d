package assessment

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
)

// HashSeed returns the commitment to a seed: the lower-case hex SHA-256 of
// its UTF-8 bytes.
func HashSeed(seed string) string {
	h := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(h[:])
}

// Draw draws a sample of size case ids from population, deterministically
// from seed, so that anyone can recompute it:
//
//  1. Sort the population (byte-wise ascending) and drop duplicates; let n
//     be its length and k = min(size, n).
//  2. Random numbers: the c-th (c = 0, 1, 2, …) is the first 8 bytes, read
//     as a big-endian unsigned integer r, of SHA-256(seed ‖ c), where seed
//     is the seed's UTF-8 bytes and c is an 8-byte big-endian counter that
//     grows by one for every number taken, accepted or not.
//  3. For i = 0 … k−1 (a partial Fisher–Yates shuffle): let m = n − i; take
//     numbers until r ≥ 2^64 mod m (rejection keeps the choice unbiased);
//     j = i + (r mod m); swap positions i and j.
//  4. The sample is the first k ids, in draw order.
//
// The same seed, population (in any order) and size always give the same
// sample. A size of 0 or less, or an empty population, gives no sample.
func Draw(seed string, population []string, size int) []string {
	pop := slices.Clone(population)
	slices.Sort(pop)
	pop = slices.Compact(pop)
	n := len(pop)
	k := min(size, n)
	if k <= 0 {
		return nil
	}
	var counter uint64
	next := func() uint64 {
		buf := make([]byte, 0, len(seed)+8)
		buf = append(buf, seed...)
		buf = binary.BigEndian.AppendUint64(buf, counter)
		counter++
		h := sha256.Sum256(buf)
		return binary.BigEndian.Uint64(h[:8])
	}
	for i := 0; i < k; i++ {
		m := uint64(n - i)
		floor := (math.MaxUint64%m + 1) % m // 2^64 mod m
		r := next()
		for r < floor {
			r = next()
		}
		j := i + int(r%m)
		pop[i], pop[j] = pop[j], pop[i]
	}
	return pop[:k:k]
}
